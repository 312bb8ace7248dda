"""``callgram parse``: the grammars used as a parser, to label real utterances. No keyword guessing."""
from __future__ import annotations

from datetime import date

from engine.derive import finalize, span_misplaced
from engine.slots import SlotFiller
from engine.verify import Verifier


class UtteranceParser:
    """Reads an utterance into {text, intent, arguments, clarify, error}."""

    def __init__(self, project):
        self.p = project
        self.verifier = Verifier(project.grammar)
        self.filler = SlotFiller(project.lexicons, [])

    def parse(self, text: str, today: date) -> dict:
        out = {"text": text, "intent": None, "arguments": None, "clarify": [], "error": None}
        text = text.strip()
        calls = {}
        for r in self.verifier.readings(text):
            tool = self.p.tools.get(r.intent)
            if tool is None:
                calls[(r.intent,)] = (r.intent, None, [], set())
                continue
            call = self._call(tool, r, text, today)
            if call is not None:
                args, problems, unresolved = call
                calls[(r.intent, tuple(sorted((k, str(v)) for k, v in args.items())), tuple(problems))] = (r.intent, args, problems, unresolved)
        if len(calls) > 1:
            names = sorted({c[0] for c in calls.values()})
            out["error"] = f"ambiguous: {len(calls)} different readings ({', '.join(names)})"
            return out
        if not calls:
            return out
        intent, args, problems, unresolved = next(iter(calls.values()))
        if args is None:
            return out  # a negative intent: no tool applies
        tool = self.p.tools[intent]
        out["intent"], out["arguments"] = intent, args
        out["clarify"] = [p for p in tool.properties if (p in tool.required and p not in args) or p in unresolved]
        if problems:
            out["error"] = "; ".join(problems)
        return out

    def _call(self, tool, reading, text: str, today: date):
        """(arguments, problems, unresolved parameters) of one reading, or None if it is no reading."""
        values, problems = {}, []
        for b in sorted(reading.bindings, key=lambda b: b.start):
            surface = text[b.start:b.end]
            res = self.filler.resolve(b.terminal, surface, today, tool.bindable[b.param])
            if span_misplaced(tool, b.param, res):
                return None
            if b.param in values:
                problems.append(f"{b.param} given twice")
            elif res.ok:
                values[b.param] = res.value
            else:
                values[b.param] = ("unresolved", res.type)
                problems.append(f"{b.param}: {surface!r} is {res.type} ({res.rule})")
        final = finalize(tool, values)
        if final is None:
            return None  # two phrases set the same argument: not a reading
        unresolved = {p for p, v in final.items() if isinstance(v, tuple)}
        return {p: v for p, v in final.items() if p not in unresolved}, problems, unresolved
