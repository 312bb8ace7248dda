"""Build sample i: its kind from the mix, an intent, a verified utterance, and the assistant's turn.

Everything random about sample i comes from ``Random(f"{seed}/{i}/{attempt}")``, so a sample is the
same whatever else is generated, in whichever process, in whichever shard.
"""
from __future__ import annotations

import bisect
import calendar
import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate

from engine.config import GenerateConfig
from engine.derive import provides
from engine.draw import SlotDrawer
from engine.expand import Expander
from engine.gold import Drop, Gold, GoldChecker, Retry
from engine.offer import Offer
from engine.reasoning import Rationale
from engine.plausible import Plausibility
from engine.project import Project
from engine.replies import NoReply, Replies
from engine.samples import Sample
from engine.slots import SlotFiller
from engine.verify import Verifier

_GOLDEN = 0.6180339887498949  # Kronecker sequence step: kinds land on the mix within a sample or two


@dataclass
class Outcome:
    """What composing one index produced: a sample (or None) and the drops on the way."""

    sample: Sample | None
    drops: list[dict] = field(default_factory=list)  # Drop.record() of each, with the index and attempt


class Composer:
    """Turns sample indices into verified samples for one project and config."""

    def __init__(self, project: Project, config: GenerateConfig):
        self.p = project
        self.cfg = config
        self.expander = Expander.of(project.grammar)
        self.verifier = Verifier(project.grammar)
        self.filler = SlotFiller(project.lexicons, config.hard_tags, config.form_rates, config.form_intents,
                                 {name: intent.without for name, intent in project.grammar.intents.items()})
        self._conversations = None
        self._tagged: dict[str, list[str]] = {}  # hard tag -> tool intents that can carry a form of it
        self.replies = Replies(project.lexicons, [t for _, t in sorted(project.tools.items())])
        self.plausible = Plausibility(config, project.lexicons)
        self.drawer = SlotDrawer(self.filler, self.plausible)
        self.gold = GoldChecker(project, self.filler)
        tools = sorted(project.tools.items())
        self.offer = Offer(project, config)
        self.rationale = Rationale(project.lexicons)
        self.tool_intents = project.grammar.tool_intents()
        self.negatives = project.grammar.negative_intents()
        self._seed_phase = random.Random(f"kinds/{config.seed}").random()
        self._edges = edge_days(*config.today_range, project.lexicons.table("date_words")["holidays"])
        # Per tool intent: each bindable set of names with the parameters it fills (clashing sets left out).
        self._fills = {
            n: [(s, f) for s, f, clash in ((s, *provides(self.p.tools[n], s)) for s in self.expander.bindable_sets(n)) if not clash]
            for n in self.tool_intents
        }
        # Which intents can carry each style at all (a hard form needs a lexicon with hard entries,
        # a clarification needs a required parameter that can be left out, a date past the horizon a date).
        self.styles = {
            "plain": self.tool_intents,
            "hard": [n for n in self.tool_intents if self._can_be(n, self.filler.has_hard)],
            "clarify": [n for n in self.tool_intents if any(self.expander.can_bind(n, s) for s in self._clarify_sets(n))],
            "ambiguous": [n for n in self.tool_intents if self._can_be(n, self.filler.has_ambiguous)],
            "beyond": [n for n in self.tool_intents if n in config.forecast_days and self._date_params(n)],
        }

    def _can_be(self, intent: str, has) -> bool:
        params = {p for s in self.expander.bindable_sets(intent) for p in s}
        lexicons = {lex for p in params for lex in self._param_lexicons(intent, p)}
        return any(has(lex, intent) for lex in lexicons)

    def _param_lexicons(self, intent: str, param: str) -> list[str]:
        rules = self.p.grammar.rules.get(f"{intent}__{param}", [])
        return [self.p.grammar.slots[r.expansion[0].name] for r in rules if r.expansion[0].name in self.p.grammar.slots]

    def _clarify_sets(self, intent: str) -> list[set[str]]:
        required = set(self.p.tools[intent].required)
        looked_up = {p for p in required if self.cfg.profile_lookup and f"{intent}.{p}" in self.cfg.profile_fill}
        return [s for s, filled in self._fills[intent] if required and not required <= filled and not looked_up - filled]

    def _date_params(self, intent: str) -> set[str]:
        return {p for p, sch in self.p.tools[intent].properties.items() if sch.get("format") == "date"}

    def kind_of(self, i: int) -> str:
        """The kind of sample i: a low-discrepancy walk over the mix."""
        u = (self._seed_phase + i * _GOLDEN) % 1.0
        mix = self.cfg.mix
        if u < mix.positive:
            return "positive"
        return "hard" if u < mix.positive + mix.hard else "negative"

    def compose(self, i: int) -> Outcome:
        out = Outcome(None)
        kind = self.kind_of(i)
        flow = self.flow_of(i, kind)
        # A conversation that cannot be written in its attempts gives way to a single turn of its kind, so
        # no index is lost to a flow (its own attempts, then the single turn's, each from their own stream).
        for attempt in range(self.cfg.max_attempts * (2 if flow else 1)):
            rng = random.Random(f"{self.cfg.seed}/{i}/{attempt}")
            try:
                if flow and attempt < self.cfg.max_attempts:
                    out.sample = self.conversations.compose(i, flow, rng)
                else:
                    out.sample = self.attempt(i, kind, rng)
                return out
            except Retry:
                continue
            except Drop as d:
                out.drops.append({"index": i, "attempt": attempt, "kind": kind, **d.record()})
        return out

    def flow_of(self, i: int, kind: str):
        """The conversation flow of sample i, or None for a single turn: each flow takes its configured
        share of all samples out of its kind's share."""
        flows = [(n, f) for n, f in sorted((self.p.flows or {}).items()) if f.kind == kind and self.cfg.flow_shares.get(n, 0) > 0]
        if not flows:
            return None
        u = random.Random(f"{self.cfg.seed}/{i}/flow").random() * getattr(self.cfg.mix, kind)
        for name, flow in flows:
            u -= self.cfg.flow_shares[name]
            if u < 0:
                return flow
        return None

    @property
    def conversations(self):
        """Built on first use: a run without flows never loads observations or profiles."""
        if self._conversations is None:
            from engine.converse import Conversations

            self._conversations = Conversations(self)
        return self._conversations

    # -- one attempt ----------------------------------------------------------------------------
    def _today(self, rng: random.Random) -> date:
        """Each sample's reference date: uniform over the range, or (edge_days_share) a calendar edge."""
        if self.cfg.today is not None:
            return self.cfg.today
        if self._edges and rng.random() < self.cfg.edge_days_share:
            return rng.choice(self._edges)
        lo, hi = self.cfg.today_range
        return lo + timedelta(days=rng.randrange((hi - lo).days + 1))

    def _pick(self, pool: list[str], rng: random.Random) -> str:
        """An intent of ``pool`` by its configured weight (``intent_weights``; unlisted intents weigh 1)."""
        cum = list(accumulate(self.cfg.intent_weights.get(n, 1.0) for n in pool))
        if not pool or cum[-1] <= 0:
            raise Retry
        return pool[bisect.bisect_right(cum, rng.random() * cum[-1])]

    def _style(self, kind: str, rng: random.Random) -> str:
        if kind == "positive":
            return "plain"
        if rng.random() < self.cfg.no_tool_share:
            return "no_tool"
        if self.styles["beyond"] and rng.random() < self.cfg.beyond_horizon_share:
            return "beyond"
        style = "clarify" if rng.random() < self.cfg.clarify_share else "hard"
        if style == "clarify" and rng.random() < self.cfg.ambiguous_share:
            style = "ambiguous"
        if not self.styles[style]:
            style = "hard" if style == "clarify" else "clarify"
        return style

    def attempt(self, i: int, kind: str, rng: random.Random, intent: str | None = None) -> Sample:
        """One try at sample i of ``kind`` (of ``intent`` if given); raises Retry or Drop on failure."""
        today = self._today(rng)
        if kind == "negative":
            if intent is not None and intent in self.p.tools:
                raise Retry
            return self._negative(i, intent or self._pick(self.negatives, rng), today, rng)
        style = self._style(kind, rng)
        if style == "no_tool":
            return self._no_tool(i, today, rng)
        tag = self._hard_tag(i) if style == "hard" else None
        able = self.styles[style] if tag is None else self._tag_intents(tag)
        intent = self._pick([n for n in able if intent in (None, n)], rng)
        tool = self.p.tools[intent]
        params, missing = self._params(intent, style, rng)
        deriv = self.expander.expand(intent, rng, params)
        surfaces, used = self.drawer.fill(tool, deriv.chunks, style, today, rng, tag)
        text, readings = self.verifier.readings_of(deriv.chunks, surfaces)
        gold = self.gold.call(tool, used, missing, readings, text, today)
        if not self.plausible.price_ok(gold.args) or not self.drawer.options_ok(tool, gold, today):
            raise Retry
        tags = sorted({t for entry, _, _ in used.values() for t in entry.tags if t in self.filler.hard_tags})
        tags += [f"clarify:{p}" for p in gold.missing]
        reply = self._answer(i, intent, gold, used, style, today, rng)
        if self.cfg.reasoning and reply.get("tool_calls"):
            reply["reasoning_content"] = self.rationale.text(today, [(e.surface, r.value) for e, r, _ in used.values()])
        if gold.unclear:
            tags.append("ambiguous")
        if gold.calls:
            tags.append("each_day")
        if style == "beyond":
            tags.append("beyond_horizon")
        sample = self._sample(i, kind, intent, today, text, reply, tags, deriv, used, self.offer.choose(rng, {intent}))
        if style == "hard":
            sample.provenance["hard_form"] = tag or "any"
        return sample

    def _hard_tag(self, i: int) -> str | None:
        """The tag sample i's hard form must carry (config tag_shares), or None for any hard tag: drawn from the
        index alone, so that retries cannot tilt the shares toward tags that are easier to write."""
        u = random.Random(f"{self.cfg.seed}/{i}/tag").random()
        for tag, share in sorted(self.cfg.tag_shares.items()):
            u -= share
            if u < 0:
                return tag
        return None

    def _tag_intents(self, tag: str) -> list[str]:
        if tag not in self._tagged:
            self._tagged[tag] = [n for n in self.tool_intents if self._can_be(n, self.filler.has_tagged(tag))]
        return self._tagged[tag]

    def _no_tool(self, i: int, today: date, rng: random.Random) -> Sample:
        """A complete request whose tool this sample does not offer: the assistant says so, no call."""
        intent = self._pick(self.tool_intents, rng)
        tool = self.p.tools[intent]
        params, _ = self._params(intent, "plain", rng)
        deriv = self.expander.expand(intent, rng, params)
        surfaces, used = self.drawer.fill(tool, deriv.chunks, "plain", today, rng)
        text, readings = self.verifier.readings_of(deriv.chunks, surfaces)
        self.gold.call(tool, used, [], readings, text, today)  # read as that tool's request, and only so
        names = self.offer.without(rng, intent)
        reply = {"role": "assistant", "content": self.replies.no_tool(tool, names, rng)}
        return self._sample(i, "hard", intent, today, text, reply, ["no_tool"], deriv, used, names)

    def _answer(self, i: int, intent: str, gold: Gold, used: dict, style: str, today: date, rng: random.Random) -> dict:
        """The assistant's turn: a question (what is unclear, else what is missing), a reply, or the call."""
        try:
            if gold.unclear:
                name, options = next(iter(gold.unclear.items()))
                return {"role": "assistant", "content": self.replies.disambiguate(used[name][0].surface, options, rng)}
            if gold.missing:
                return {"role": "assistant", "content": self.replies.clarify(self.p.tools[intent], gold.missing, rng)}
        except NoReply:
            raise Drop("no_reply") from None
        if style == "beyond":
            day = date.fromisoformat(next(v for p, v in gold.args.items() if p in self._date_params(intent)))
            last = today + timedelta(days=self.cfg.forecast_days[intent])
            return {"role": "assistant", "content": self.replies.beyond_horizon(day, last, rng)}
        if gold.calls:  # a period: one call per day, in one turn
            return {"role": "assistant", "content": None,
                    "tool_calls": [self._call(f"{self._sid(i)}/{k}", intent, a) for k, a in enumerate(gold.calls)]}
        return {"role": "assistant", "content": None, "tool_calls": [self._call(self._sid(i), intent, gold.args)]}

    def _negative(self, i: int, intent: str, today: date, rng: random.Random) -> Sample:
        """A request no tool serves, answered by the reply of the keyed rule it was derived through."""
        deriv = self.expander.expand(intent, rng, set())
        surfaces, slots, named = [], {}, []
        for c in deriv.chunks:
            if c.terminal is None:
                continue
            entry, value = self.drawer.named(c.terminal, intent, today, rng)
            surfaces.append(entry.surface)
            kind = self.p.lexicons.get(c.terminal).resolver
            if value is not None:
                slots.setdefault("asked" if kind == "date" else kind, value)
            shown = value.isoformat() if isinstance(value, date) else value
            named.append({"param": None, "terminal": c.terminal, "surface": entry.surface, "value": shown, "lexicon": f"{self.p.lexicons.get(c.terminal).file}:{entry.line}"})
        text, readings = self.verifier.readings_of(deriv.chunks, surfaces)
        keys = [k for k in (self.p.grammar.reply_keys.get(r) for r in deriv.rules) if k is not None]
        key = self.gold.reply_key(intent, [k for _, k in keys], readings, text, today)
        try:
            names = self.offer.choose(rng, set())
            content = self.replies.answer(intent, key, today, slots, rng, names)
        except NoReply:
            raise Retry from None
        sample = self._sample(i, "negative", intent, today, text, {"role": "assistant", "content": content}, [f"negative:{intent}"], deriv, {}, names)
        sample.provenance["slots"] = named
        sample.provenance["reply_key"] = key
        return sample

    def _params(self, intent: str, style: str, rng: random.Random) -> tuple[set[str], list[str]]:
        """Which parameters the utterance states, and which required ones it leaves out (clarify)."""
        tool = self.p.tools[intent]
        required = set(tool.required)
        filled = self._fills[intent]
        if style == "clarify":
            if not required:
                raise Retry
            k = 1 if len(required) == 1 or rng.random() < 0.75 else 2
            missing = set(rng.sample(sorted(required), k))
            if self.cfg.profile_lookup and any(f"{intent}.{p}" in self.cfg.profile_fill for p in missing):
                raise Retry  # looked up in the profile, not asked: a conversation (flow profile_weather) shows it
            sets = [s for s, f in filled if f & required == required - missing]
        else:  # plain, hard, ambiguous and beyond forms state every required parameter
            missing = set()
            sets = [s for s, f in filled if required <= f]
            if style == "beyond":
                sets = [s for s in sets if s & self._date_params(intent)]
        if not sets:
            raise Retry
        # Fewer optional parameters are likelier, as in real requests; a tool with nothing required is
        # mostly asked about something in particular (我的积分), only sometimes as a whole (我的账户).
        fewest = 1 if not required and any(sets) else 0
        weights = [0.45 ** abs(len(s - required) - fewest) for s in sets]
        chosen = rng.choices(sets, weights)[0]
        return chosen, [p for p in tool.properties if p in missing]

    # -- output -------------------------------------------------------------------------------
    def _sid(self, i: int) -> str:
        return f"{self.cfg.seed}-{i:08d}"

    @staticmethod
    def _call(sid: str, intent: str, args: dict) -> dict:
        call_id = "call_" + hashlib.sha1(sid.encode()).hexdigest()[:16]
        return {"id": call_id, "type": "function", "function": {"name": intent, "arguments": json.dumps(args, ensure_ascii=False)}}

    def _sample(self, i, kind, intent, today, text, reply, tags, deriv, used, names: list[str]) -> Sample:
        provenance = {
            "grammar": self.p.grammar.intents[intent].file,
            "rules": list(dict.fromkeys(r.split("__", 1)[-1] for r in deriv.rules)),
            "slots": [
                {"param": p, "terminal": term, "surface": e.surface, "value": r.value, "lexicon": f"{self.p.lexicons.get(term).file}:{e.line}", "rule": r.rule}
                for p, (e, r, term) in used.items()
            ],
        }
        return Sample(
            id=self._sid(i), kind=kind, intent=intent, tags=tags, today=today.isoformat(),
            messages=[{"role": "system", "content": self.replies.system(today, names)}, {"role": "user", "content": text}, reply],
            tools=self.offer.shown(names), provenance=provenance,
        )


def edge_days(lo: date, hi: date, holidays: dict) -> list[date]:
    """Days where date words are easy to get wrong: month and year ends, leap days, and the weeks
    around 春节 and 国庆 (the holidays whose dates move or that end a long break)."""
    from engine.resolve.holidays import holiday_date

    days: set[date] = set()
    for year in range(lo.year, hi.year + 1):
        for month in range(1, 13):
            days.add(date(year, month, calendar.monthrange(year, month)[1]))
            days.add(date(year, month, 1))
        for name in ("春节", "国庆"):
            if name in holidays:
                mid = holiday_date(holidays[name], year)
                days.update(mid + timedelta(days=k) for k in range(-3, 8))
    return sorted(d for d in days if lo <= d <= hi)


