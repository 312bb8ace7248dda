"""``callgram parse``: the grammars used as a parser, to label real utterances. No keyword guessing."""
from __future__ import annotations

from datetime import date

from engine.derive import arguments, span_misplaced, waiting
from engine.slots import SlotFiller
from engine.verify import Verifier


class UtteranceParser:
    """Reads an utterance into {text, intent, arguments, clarify, error}."""

    def __init__(self, project):
        self.p = project
        self.verifier = Verifier(project.grammar)
        self.filler = SlotFiller(project.lexicons, [])

    def parse(self, text: str, today: date) -> dict:
        out = {"text": text, "intent": None, "arguments": None, "clarify": [], "error": None, "negative": None, "reply_key": None}
        text = text.strip()
        calls = {}
        for r in self.verifier.readings(text):
            tool = self.p.tools.get(r.intent)
            if tool is None:
                keys = tuple(r.reply_keys())
                calls[(r.intent, keys)] = (r.intent, None, keys, (set(), set()))
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
        if args is None:  # a negative intent: no tool applies; say which, and by which reply-keyed rule
            out["negative"] = intent
            out["reply_key"] = problems[0] if len(problems) == 1 else None
            return out
        tool = self.p.tools[intent]
        out["intent"], out["arguments"] = intent, args
        unresolved, later = unresolved
        out["clarify"] = [p for p in tool.properties if ((p in tool.required and p not in args) or p in unresolved) and p not in later]
        if problems:
            out["error"] = "; ".join(problems)
        return out

    def _call(self, tool, reading, text: str, today: date):
        """(arguments, problems, (unresolved, waiting) parameters) of one reading, or None if it is no reading."""
        resolved, problems = {}, []
        for b in sorted(reading.params(), key=lambda b: b.start):
            surface = text[b.start:b.end]
            res = self.filler.resolve(b.terminal, surface, today, tool.bindable[b.param])
            if span_misplaced(tool, b.param, res):
                return None
            if b.param in resolved:
                problems.append(f"{b.param} given twice")
                continue
            resolved[b.param] = res
            if not res.ok:
                problems.append(f"{b.param}: {surface!r} is {res.type} ({res.rule})")
        final = arguments(tool, resolved, self.filler.part_of_day)
        if final is None:
            return None  # two phrases set the same argument: not a reading
        # An argument waiting on one still to be asked (住三晚, no check-in yet) is asked through that one.
        later = waiting(final)
        unresolved = {p for p, v in final.items() if isinstance(v, tuple)} - later
        return {p: v for p, v in final.items() if not isinstance(v, tuple)}, problems, (unresolved, later)
