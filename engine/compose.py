"""Build sample i: its kind from the mix, an intent, a verified utterance, and the assistant's turn.

Everything random about sample i comes from ``Random(f"{seed}/{i}/{attempt}")``, so a sample is the
same whatever else is generated, in whichever process, in whichever shard.
"""
from __future__ import annotations

import calendar
import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from engine.config import GenerateConfig
from engine.derive import finalize, provides, span_misplaced
from engine.expand import Expander
from engine.project import Project
from engine.samples import Sample
from engine.slots import SlotFiller
from engine.verify import Reading, Verifier

_GOLDEN = 0.6180339887498949  # Kronecker sequence step: kinds land on the mix within a sample or two
_DRAWS_PER_SLOT = 12


class _Retry(Exception):
    """This attempt cannot satisfy its constraints; try the next attempt (not a verification drop)."""


class _Drop(Exception):
    """The utterance failed verification: counted in the manifest by reason."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Outcome:
    """What composing one index produced: a sample (or None) and the drops on the way."""

    sample: Sample | None
    drops: list[str] = field(default_factory=list)


class Composer:
    """Turns sample indices into verified samples for one project and config."""

    def __init__(self, project: Project, config: GenerateConfig):
        self.p = project
        self.cfg = config
        self.expander = Expander(project.grammar)
        self.verifier = Verifier(project.grammar)
        self.filler = SlotFiller(project.lexicons, config.hard_tags)
        self.replies = project.lexicons.table("replies")
        self.offered = [t.offered() for _, t in sorted(project.tools.items())]
        self.tool_intents = project.grammar.tool_intents()
        self.negatives = project.grammar.negative_intents()
        self.weekdays = project.lexicons.table("date_words")["weekday_names"]
        self._seed_phase = random.Random(f"kinds/{config.seed}").random()
        self._edges = edge_days(*config.today_range, project.lexicons.table("date_words")["holidays"])
        # Per tool intent: each bindable set of names with the parameters it fills (clashing sets left out).
        self._fills = {
            n: [(s, f) for s, f, clash in ((s, *provides(self.p.tools[n], s)) for s in self.expander.bindable_sets(n)) if not clash]
            for n in self.tool_intents
        }
        # Which intents can carry each style at all (a hard form needs a lexicon with hard entries,
        # a clarification needs a required parameter that can be left out).
        self.styles = {
            "plain": self.tool_intents,
            "hard": [n for n in self.tool_intents if self._can_be_hard(n)],
            "clarify": [n for n in self.tool_intents if any(self.expander.can_bind(n, s) for s in self._clarify_sets(n))],
            "ambiguous": [n for n in self.tool_intents if self._can_be(n, self.filler.has_ambiguous)],
        }

    def _can_be_hard(self, intent: str) -> bool:
        return self._can_be(intent, self.filler.has_hard)

    def _can_be(self, intent: str, has) -> bool:
        params = {p for s in self.expander.bindable_sets(intent) for p in s}
        lexicons = {lex for p in params for lex in self._param_lexicons(intent, p)}
        return any(has(lex) for lex in lexicons)

    def _param_lexicons(self, intent: str, param: str) -> list[str]:
        rules = self.p.grammar.rules.get(f"{intent}__{param}", [])
        return [self.p.grammar.slots[r.expansion[0].name] for r in rules if r.expansion[0].name in self.p.grammar.slots]

    def _clarify_sets(self, intent: str) -> list[set[str]]:
        required = set(self.p.tools[intent].required)
        return [s for s, filled in self._fills[intent] if required and not required <= filled]

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
        for attempt in range(self.cfg.max_attempts):
            rng = random.Random(f"{self.cfg.seed}/{i}/{attempt}")
            try:
                out.sample = self.attempt(i, kind, rng)
                return out
            except _Retry:
                continue
            except _Drop as d:
                out.drops.append(d.reason)
        return out

    # -- one attempt ----------------------------------------------------------------------------
    def _today(self, rng: random.Random) -> date:
        """Each sample's reference date: uniform over the range, or (edge_days_share) a calendar edge."""
        if self.cfg.today is not None:
            return self.cfg.today
        if self._edges and rng.random() < self.cfg.edge_days_share:
            return rng.choice(self._edges)
        lo, hi = self.cfg.today_range
        return lo + timedelta(days=rng.randrange((hi - lo).days + 1))

    def attempt(self, i: int, kind: str, rng: random.Random, intent: str | None = None) -> Sample:
        """One try at sample i of ``kind`` (of ``intent`` if given); raises _Retry or _Drop on failure."""
        today = self._today(rng)
        if kind == "negative":
            pool = [intent] if intent else self.negatives
            if not pool or pool[0] in self.p.tools:
                raise _Retry
            intent, style, params, missing = rng.choice(pool), "any", set(), []
        else:
            style = "plain" if kind == "positive" else ("clarify" if rng.random() < self.cfg.clarify_share else "hard")
            if style == "clarify" and rng.random() < self.cfg.ambiguous_share:
                style = "ambiguous"
            if not self.styles[style]:
                style = "hard" if style == "clarify" else "clarify"
            pool = [n for n in self.styles[style] if intent in (None, n)]
            if not pool:
                raise _Retry
            intent = rng.choice(pool)
            params, missing = self._params(intent, style, rng)
        deriv = self.expander.expand(intent, rng, params)
        surfaces, used = self._fill(intent, deriv.chunks, style, today, rng)
        text, readings = self.verifier.readings_of(deriv.chunks, surfaces)
        tool = self.p.tools.get(intent)
        args = {}
        if tool is not None:
            args, missing = self._gold(tool, used, missing, readings, text, today)
        elif any(r.intent in self.p.tools for r in readings):
            raise _Drop("negative_reads_as_tool")
        elif not readings:
            raise _Drop("unparsed")
        return self._sample(i, kind, intent, today, text, args, missing, deriv, used, rng)

    def _gold(self, tool, used: dict, missing: list[str], readings, text: str, today: date) -> tuple[dict, list[str]]:
        """The gold arguments and the parameters to ask about, after every check a gold call must pass:
        no past dates and dates in order, the grammars read exactly this call, the schema accepts it."""
        args = finalize(tool, {name: _arg(r) for name, (_, r, _) in used.items()})
        if args is None:
            raise _Retry
        dates = {p: v for p, v in args.items() if tool.properties[p].get("format") == "date" and isinstance(v, str)}
        if any(v < today.isoformat() for v in dates.values()):
            raise _Retry  # e.g. 这周末 said on a Sunday: a check-in that has already passed
        if any(a in dates and b in dates and dates[a] <= dates[b] for a, b in tool.after):
            raise _Retry  # 住到周三 with a Wednesday check-in
        self._check(tool.name, args, readings, text, today)
        unclear = [p for p, v in args.items() if isinstance(v, tuple)]  # ambiguous: asked about, not called
        missing = missing + [p for p in unclear if p not in missing]
        args = {p: v for p, v in args.items() if p not in unclear}
        errors = tool.errors(args)
        if missing:
            errors = [e for e in errors if "is a required property" not in e]
        if errors:
            raise _Drop("schema")
        return args, missing

    def _params(self, intent: str, style: str, rng: random.Random) -> tuple[set[str], list[str]]:
        """Which parameters the utterance states, and which required ones it leaves out (clarify)."""
        tool = self.p.tools[intent]
        required = set(tool.required)
        filled = self._fills[intent]
        if style == "clarify":
            if not required:
                raise _Retry
            k = 1 if len(required) == 1 or rng.random() < 0.75 else 2
            missing = set(rng.sample(sorted(required), k))
            sets = [s for s, f in filled if f & required == required - missing]
        else:  # plain, hard and ambiguous forms state every required parameter
            missing = set()
            sets = [s for s, f in filled if required <= f]
        if not sets:
            raise _Retry
        # Fewer optional parameters are likelier, as in real requests.
        weights = [0.45 ** len(s - required) for s in sets]
        chosen = rng.choices(sets, weights)[0]
        return chosen, [p for p in tool.properties if p in missing]

    def _fill(self, intent: str, chunks, style: str, today: date, rng: random.Random):
        """Surface form for every slot; for bound parameters also a usable resolved value."""
        tool = self.p.tools.get(intent)
        slots = [k for k, c in enumerate(chunks) if c.terminal is not None]
        special_at = None
        if style in ("hard", "ambiguous"):
            has = self.filler.has_hard if style == "hard" else self.filler.has_ambiguous
            candidates = [k for k in slots if chunks[k].param and has(chunks[k].terminal)]
            if not candidates:
                raise _Retry
            special_at = rng.choice(candidates)
        surfaces, used = [], {}
        for k in slots:
            c = chunks[k]
            mode = style if k == special_at else ("plain" if style == "plain" else "any")
            schema = tool.bindable.get(c.param) if tool and c.param else None
            tries = _DRAWS_PER_SLOT * (4 if mode == "ambiguous" or (schema or {}).get("derive") == "span" else 1)
            for _ in range(tries):
                entry = self.filler.draw(c.terminal, rng, mode)
                if schema is None:
                    break
                r = self.filler.resolve(c.terminal, entry.surface, today, schema)
                if mode == "ambiguous":
                    wanted = r.type == "ambiguous"
                else:
                    wanted = r.ok and "past" not in r.flags and (r.type == "span") == (schema.get("derive") == "span")
                    wanted = wanted and not span_misplaced(tool, c.param, r)
                if wanted and not self._clashes(tool, c.param, r.value, used):
                    used[c.param] = (entry, r, c.terminal)
                    break
            else:
                raise _Retry
            surfaces.append(entry.surface)
        return surfaces, used

    @staticmethod
    def _clashes(tool, param: str, value, used) -> bool:
        for group in tool.distinct:
            if param in group and any(p in used and used[p][1].value == value for p in group if p != param):
                return True
        return False

    def _check(self, intent: str, args: dict, readings: frozenset, text: str, today: date) -> None:
        """The grammars must read ``text`` as exactly this call, and as nothing else."""
        if not readings:
            raise _Drop("unparsed")
        expected = (intent, tuple(sorted(args.items())))
        pairs = [(r, self._call_of(r, text, today)) for r in readings]
        pairs = [(r, call) for r, call in pairs if call is not None]
        if not pairs:
            raise _Drop("unparsed")
        for r, call in pairs:
            if call != expected:
                raise _Drop("ambiguous" if r.intent == intent else f"other_intent:{r.intent}")

    def _call_of(self, r: Reading, text: str, today: date):
        tool = self.p.tools.get(r.intent)
        if tool is None:
            return (r.intent, ())
        values = {}
        for b in r.bindings:
            if b.param in values:
                return (r.intent, "bound twice")
            res = self.filler.resolve(b.terminal, text[b.start:b.end], today, tool.bindable[b.param])
            if span_misplaced(tool, b.param, res):
                return None  # not a reading at all (see engine/derive.py)
            values[b.param] = _arg(res)
        args = finalize(tool, values)
        return None if args is None else (r.intent, tuple(sorted(args.items())))  # clashing phrases: no reading

    # -- output -------------------------------------------------------------------------------
    def _sample(self, i, kind, intent, today, text, args, missing, deriv, used, rng) -> Sample:
        sid = f"{self.cfg.seed}-{i:08d}"
        tags = sorted({t for entry, _, _ in used.values() for t in entry.tags if t in self.filler.hard_tags})
        tags += [f"clarify:{p}" for p in missing]
        unclear = [name for name, (_, r, _) in used.items() if r.type == "ambiguous"]
        if unclear:
            tags.append("ambiguous")
        if intent not in self.p.tools:
            tags.append(f"negative:{intent}")
            reply = {"role": "assistant", "content": rng.choice(self.replies["negative"][intent]["reply"])}
        elif unclear:
            entry, r, _ = used[unclear[0]]
            reply = {"role": "assistant", "content": self._disambiguate(entry.surface, r.value, rng)}
        elif missing:
            reply = {"role": "assistant", "content": self._clarify(missing, rng)}
        else:
            call_id = "call_" + hashlib.sha1(sid.encode()).hexdigest()[:16]
            fn = {"name": intent, "arguments": json.dumps(args, ensure_ascii=False)}
            reply = {"role": "assistant", "content": None, "tool_calls": [{"id": call_id, "type": "function", "function": fn}]}
        system = self.replies["system"].format(date=_cn_date(today), weekday=self.weekdays[today.weekday()])
        provenance = {
            "grammar": self.p.grammar.intents[intent].file,
            "rules": list(dict.fromkeys(r.split("__", 1)[-1] for r in deriv.rules)),
            "slots": [
                {"param": p, "terminal": term, "surface": e.surface, "value": r.value, "lexicon": f"{self.p.lexicons.get(term).file}:{e.line}", "rule": r.rule}
                for p, (e, r, term) in used.items()
            ],
        }
        return Sample(
            id=sid, kind=kind, intent=intent, tags=tags, today=today.isoformat(),
            messages=[{"role": "system", "content": system}, {"role": "user", "content": text}, reply],
            tools=self.offered, provenance=provenance,
        )

    def _disambiguate(self, surface: str, options: list, rng: random.Random) -> str:
        texts = [_option_text(o, self.replies["range_word"]) for o in options]
        joined = self.replies["list_sep"].join(texts[:-1]) + self.replies["or_word"] + texts[-1]
        return rng.choice(self.replies["clarify_ambiguous"]).format(surface=surface, options=joined)

    def _clarify(self, missing: list[str], rng: random.Random) -> str:
        table = self.replies["clarify"]
        if len(missing) == 1:
            return rng.choice(table[missing[0]]["ask"])
        nouns = [table[p]["noun"] for p in missing]
        joined = self.replies["list_sep"].join(nouns[:-1]) + self.replies["and_word"] + nouns[-1]
        return rng.choice(self.replies["clarify_many"]).format(nouns=joined)


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


def _arg(r):
    """The argument value of a resolution; an unusable one becomes a marker no reading can equal by accident."""
    return r.value if r.ok else ("unresolved", r.type)


def _option_text(option, range_word: str) -> str:
    if isinstance(option, list):
        return range_word.join(_option_text(o, range_word) for o in option)
    try:
        return _cn_month_day(date.fromisoformat(option))
    except (TypeError, ValueError):
        return str(option)


def _cn_month_day(d: date) -> str:
    return f"{d.month}月{d.day}日"


def _cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"
