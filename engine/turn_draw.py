"""Draw the user's turns of a conversation: a request from the intent grammars, or a later turn from the
turn grammars (grammars/turns/), with slots that fit the tool at hand (what was asked, the results shown),
and the reading each was drawn as, which engine/converse.py then proves is its only reading in context."""
from __future__ import annotations

import random
from datetime import date

from engine.context import State, pick_item
from engine.expand import Chunk
from engine.flows import Step
from engine.gold import Retry
from engine.grammar import COMPANION, PLUS, SECOND, USUAL
from engine.resolve import Resolved
from engine.verify import Binding, Reading

_EXPANSIONS = 12  # derivations tried for a turn whose slot must fit what was asked
_ON_FILE = 0.8  # how often a companion the user names (给我和我老婆订) is one their profile lists


class TurnDrawer:
    """Draws user turns for one project and config; remembers, per conversation, what was said."""

    def __init__(self, composer, reader):
        self.c = composer
        self.p = composer.p
        self.reader = reader
        self.lookup = composer.cfg.profile_lookup
        self.turn_expander = composer.expander.of(self.p.turns) if self.p.turns is not None else None
        self._options: dict[int, dict] = {}
        self._asked_param: str | None = None
        # Arguments a correction can name again (its grammar binds them).
        self.fixable = set(self.turn_expander.bits.get("correct", {})) if self.turn_expander else set()
        self.reset()

    def reset(self) -> None:
        """Forget the last conversation: what was said in it, and the correction it owes."""
        self.said: list[dict] = []  # every slot of every user turn: param, surface, value
        self.last_slots: list[dict] = []  # the slots of the last user turn
        self.fix: tuple[str, str] = ("", "")  # (parameter, how to say it rightly) after a wrong call
        self.known: set[str] = set()  # relations of the companions the user's profile lists

    def say(self, step: Step, state: State, today: date, rng: random.Random):
        """A user turn for ``step``: (text, the reading it was drawn as, turn kind, provenance)."""
        if step.say == "request":
            intent, params = self._request_params(step, state, rng)
            deriv = self.c.expander.expand(intent, rng, params)
            tool = self.p.tools[intent]
            chunks, kind = deriv.chunks, "request"
        else:
            tool, intent, params, start = self._turn_params(step, state, rng)
            deriv = self._turn_derivation(step.say, tool, params, start, state, rng)
            chunks, kind = deriv.chunks, step.say
        drawn = [Chunk(c.text, c.terminal, self._drawn_as(c, state, tool)) for c in chunks]
        surfaces, used = self._fill(tool, drawn, today, rng, step.form)
        if any(c.param and c.param.endswith(PLUS) and used[c.param.removesuffix(PLUS)][1].value > 2 for c in chunks):
            raise Retry  # 再加一两个人, not 再加五个人
        if kind == "answer" and state.unclear:  # which one it was: a form naming one of the options
            name, _, options = state.unclear
            at = next(k for k, c in enumerate(c for c in drawn if c.terminal is not None) if c.param == name)
            surfaces[at], used[name] = self._naming(drawn, at, tool, name, options, today, rng)
        if kind == "pick":  # a word that points at exactly one of the results shown
            surfaces[[c.terminal for c in chunks if c.terminal is not None].index(self._pick_lexicon(chunks))] = self._pick_word(state, rng)
        if kind == "correct":  # say again, rightly, what the wrong call got wrong
            at = next(k for k, c in enumerate(c for c in chunks if c.terminal is not None) if c.param == self.fix[0])
            surfaces[at] = self.fix[1]
        text, bindings, pos, si = "", [], 0, 0
        for c in chunks:
            piece = c.text if c.terminal is None else surfaces[si]
            if c.terminal is not None:
                si += 1
                if c.param is not None:
                    bindings.append(Binding(c.param, c.terminal, pos, pos + len(piece)))
            text += piece
            pos += len(piece)
        self.reader.readings_of(chunks, surfaces)  # read now through its template, remembered for the reading in context
        reading = Reading(intent if kind == "request" else step.say, frozenset(bindings))
        keys = sorted(k for k in (self._reply_key(r) for r in deriv.rules) if k is not None)
        if keys:  # the reading itself, with where each tool's rule lies (the marks the chart parser sets)
            same = [r for k, r in self.reader.readings(text) if k == kind and frozenset(r.params()) == reading.bindings and r.reply_keys() == keys]
            if not same:
                raise Retry
            reading = same[0]
        self.last_slots = [{"param": p, "surface": e.surface} for p, (e, r, t) in used.items()]
        self.said += [{"param": self._asked_param if p == "asked" else p, "surface": e.surface, "value": r.value} for p, (e, r, t) in used.items()]
        prov = {"grammar": (self.p.grammar if kind == "request" else self.p.turns).intents[deriv.intent].file,
                "rules": list(dict.fromkeys(r.split("__")[-1] for r in deriv.rules)),
                "slots": [{"param": p, "surface": e.surface, "value": r.value, "lexicon": f"{self.p.lexicons.get(t).file}:{e.line}"}
                          for p, (e, r, t) in used.items()]}
        return text, reading, kind, prov

    def _fill(self, tool, drawn: list[Chunk], today: date, rng: random.Random, form: str = "plain"):
        """Surfaces for the slots; a parameter said twice (北京和上海) is drawn again for its second slot."""
        seen: set[str] = set()
        again: dict[int, str] = {}  # chunk index -> parameter drawn again
        for k, c in enumerate(drawn):
            if c.param is not None and c.param in seen:
                again[k] = c.param
            elif c.param is not None:
                seen.add(c.param)
        firsts = [c for k, c in enumerate(drawn) if k not in again]
        surfaces, used = self.c.drawer.fill(tool, firsts, form, today, rng)
        it = iter(surfaces)
        out = []
        for k, c in enumerate(drawn):
            if c.terminal is None:
                continue
            if k in again:
                one, second = self.c.drawer.fill(tool, [Chunk("", c.terminal, again[k])], "plain", today, rng)
                out.append(one[0])
                if again[k] in second:
                    used[again[k] + SECOND] = second[again[k]]
            else:
                out.append(next(it))
            if c.param == COMPANION and self.known and rng.random() < _ON_FILE:  # mostly someone the profile lists
                fits = [e for e in self.p.lexicons.get(c.terminal).entries if e.value in self.known and e.weight > 0
                        and e.surface not in out and e.value not in {self.p.lexicons.get(c.terminal).value_of(x) for x in out}]
                if fits:
                    out[-1] = rng.choices(fits, [e.weight for e in fits])[0].surface
            name = c.param + (SECOND if k in again else "") if c.param else None
            if name and name not in used:  # a slot no schema checks (a companion): kept for provenance
                entry = self.p.lexicons.get(c.terminal).by_surface[out[-1]]
                used[name] = (entry, Resolved("string", entry.value or entry.surface, (), f"{self.p.lexicons.get(c.terminal).file}:{entry.line}"), c.terminal)
        return out, used

    def _naming(self, drawn, at: int, tool, name: str, options, today: date, rng: random.Random):
        """A plain form of slot ``at``'s lexicon that resolves, for ``name``, to one of ``options``: its surface,
        and what it was drawn as (entry, resolved value, terminal) for provenance."""
        terminal = [c.terminal for c in drawn if c.terminal is not None][at]
        wanted = rng.choice(list(options))
        forms = [e for e in self.p.lexicons.get(terminal).entries if e.weight > 0 and not self.c.filler.is_hard(e)
                 and self.c.filler.resolve(terminal, e.surface, today, tool.bindable[name]).value == wanted]
        if not forms:
            raise Retry
        entry = rng.choices(forms, [e.weight for e in forms])[0]
        return entry.surface, (entry, self.c.filler.resolve(terminal, entry.surface, today, tool.bindable[name]), terminal)

    @staticmethod
    def _pick_lexicon(chunks) -> str:
        return next(c.terminal for c in chunks if c.param == "pick")

    def _pick_word(self, state: State, rng: random.Random) -> str:
        spec = self.p.tools[state.intent].pick
        lexicon = next(lex for lex in self.p.lexicons.slots.values() if lex.resolver == "ref" and any(e.value and e.value.startswith("item:") for e in lex.entries))
        fits = [e for e in lexicon.entries if {"any", spec["noun"]} & set(e.tags) and pick_item(list(state.items), e.value.split(":", 1)[1], spec) is not None]
        if not fits:
            raise Retry
        return rng.choices(fits, [e.weight for e in fits])[0].surface

    def _reply_key(self, rule: str):
        hit = self.p.turns.reply_keys.get(rule) if self.p.turns is not None else None
        return hit[1] if hit else None

    def _drawn_as(self, c: Chunk, state: State, tool) -> str | None:
        """The parameter a slot is drawn for: what was asked, for an answer; none for 那边 (it points back)."""
        if c.terminal is not None and self.p.lexicons.get(c.terminal).resolver == "ref":
            return None
        if c.param == "asked":
            return self._asked_param
        return c.param.removesuffix(SECOND).removesuffix(PLUS) if c.param else None

    def _request_params(self, step: Step, state: State, rng: random.Random) -> tuple[str, set[str]]:
        """The intent of a request and the names it binds: all required ones, or leaving some out."""
        c = self.c
        if isinstance(step.give, list):
            if not isinstance(step.intent, str) or not c.expander.can_bind(step.intent, set(step.give)):
                raise Retry
            return step.intent, set(step.give)
        options = self._request_options(step)
        intent = c._pick(sorted(options), rng)
        missing = rng.choice(options[intent])
        fills = [(s, f) for s, f in c._fills[intent] if set(self.p.tools[intent].required) - f == missing]
        weights = [0.45 ** len(f - set(self.p.tools[intent].required)) for _, f in fills]
        return intent, rng.choices([s for s, _ in fills], weights)[0]

    def _request_options(self, step: Step) -> dict[str, list[frozenset]]:
        """Per intent a step may ask for, the sets of required arguments it may leave out (cached per step)."""
        key = id(step)
        if key not in self._options:
            c = self.c
            options = {}
            for intent in [step.intent] if isinstance(step.intent, str) else step.intent or c.tool_intents:
                if c.cfg.intent_weights.get(intent, 1.0) <= 0:
                    continue
                required = set(self.p.tools[intent].required)
                gaps = sorted({frozenset(required - f) for _, f in c._fills[intent]}, key=sorted)
                if isinstance(step.leave_out, list):
                    gaps = [g for g in gaps if g == set(step.leave_out)]
                else:
                    gaps = [g for g in gaps if len(g) == (step.leave_out or 0)]
                    if self.lookup:  # an argument the profile gives is looked up, not asked: the profile flows show it
                        gaps = [g for g in gaps if not any(f"{intent}.{p}" in c.cfg.profile_fill for p in g)]
                if gaps:
                    options[intent] = gaps
            self._options[key] = options
        if not self._options[key]:
            raise Retry
        return self._options[key]

    def _turn_params(self, step: Step, state: State, rng: random.Random):
        """(tool, turn intent, names bound, start rule) of a follow-up turn of kind ``step.say``."""
        self._asked_param = None
        if step.say == "answer":
            if not state.asked:
                raise Retry
            asked = list(state.asked)
            give = asked if step.give is None else rng.sample(asked, min(step.give, len(asked)))
            if len(give) == 1:
                self._asked_param = give[0]
                options = [{"asked"}, set(give)]
            else:
                options = [set(give)]
            return self.p.tools[state.intent], "answer", options, None
        if step.say == "change":
            tool = self.p.tools[state.intent]
            options = [{p} for p in tool.properties if (p not in tool.required or p in state.args)
                       and (not isinstance(step.give, list) or p in step.give)]
            options += [{p + PLUS} for p, v in state.args.items() if isinstance(v, int) and not isinstance(step.give, list)]
            return tool, "change", options, None
        if step.say == "refer":
            tool = self.p.tools[step.intent]
            start = f"turns__refer__{step.intent}"
            options = [s for s in self.turn_expander.bindable_sets("refer") if set(tool.required) <= s | {"city"}]
            return tool, "refer", options, start
        if step.say == "memory":
            tool = self.p.tools[step.intent]
            start = f"turns__memory__{step.intent}"
            options = [o for o in self.turn_expander.bindable_sets("memory") if o <= set(tool.bindable) | {USUAL, COMPANION, COMPANION + SECOND}]
            return tool, "memory", options, start
        if step.say == "selffix":
            names = [step.intent] if isinstance(step.intent, str) else list(step.intent or [])
            name = rng.choice([n for n in names if f"turns__selffix__{n}" in self.turn_expander.masks])
            tool = self.p.tools[name]
            start = f"turns__selffix__{name}"
            options = [o for o in self.turn_expander.bindable_sets("selffix") if self.turn_expander.mask("selffix", o) in self.turn_expander.masks[start]]
            return tool, "selffix", options, start
        if step.say == "retool":
            start = f"turns__retool__{state.request[0]}" if state.request else ""
            if start not in self.turn_expander.masks:
                raise Retry
            return self.p.tools[state.request[0]], "retool", [set()], start
        if step.say == "two":
            return self.p.tools["get_weather"] if "get_weather" in self.p.tools else None, "two", [o for o in self.turn_expander.bindable_sets("two")], None
        if step.say == "both":
            tool = self.p.tools[step.intent]
            start = f"turns__both__{step.intent}"
            options = [o for o in self.turn_expander.bindable_sets("both") if set(tool.required) <= o]
            return tool, "both", options, start
        if step.say == "pick":
            spec = self.p.tools[state.intent].pick if state.intent else None
            if not spec or not state.items:
                raise Retry
            return self.p.tools[spec["tool"]], "pick", [{"pick"}], None
        if step.say == "aside":
            return self.p.tools[state.intent], "aside", [set()], None
        if step.say == "correct":
            return self.p.tools[state.intent], "correct", [{self.fix[0]}], None
        if step.say == "prefer":  # an argument the request lacked (a required one only if it left it out)
            if state.intent is None or state.called:
                raise Retry
            tool = self.p.tools[state.intent]
            return tool, "prefer", [{p} for p in tool.properties if p not in state.args], None
        if step.say == "plan":
            give = set(step.give or [])
            tool = next(t for _, t in sorted(self.p.tools.items()) if give <= set(t.bindable))
            return tool, "plan", [give], None
        raise Retry

    def _turn_derivation(self, say: str, tool, options: list[set[str]], start: str | None, state: State, rng: random.Random):
        """A derivation of turn grammar ``say`` binding one of ``options``, whose slots fit the tool."""
        ex = self.turn_expander
        if ex is None:
            raise Retry
        options = [o for o in options if o <= ex.bits[say].keys() and ex.can_bind(say, o) and (start is None or ex.mask(say, o) in ex.masks[start])]
        if not options:
            raise Retry
        for _ in range(_EXPANSIONS):
            params = rng.choice(options)
            deriv = ex.expand(say, rng, params, start)
            if all(self._fits(c, tool) for c in deriv.chunks if c.param is not None):
                return deriv
        raise Retry

    def _fits(self, c: Chunk, tool) -> bool:
        """A slot fits when the tool's own grammar binds that parameter with the same lexicon (or it points back)."""
        if self.p.lexicons.get(c.terminal).resolver == "ref":
            return True
        name = self._asked_param if c.param == "asked" else c.param.removesuffix(SECOND).removesuffix(PLUS)
        if name == COMPANION:
            return True  # a companion names a person, for the profile to find
        return name in tool.bindable and c.terminal in self.reader.param_lexicons(tool.name, name)
