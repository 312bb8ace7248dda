"""``callgram parse``: the grammars used as a parser, to label real utterances. No keyword guessing."""
from __future__ import annotations

from datetime import date

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
        readings = self.verifier.readings(text.strip())
        calls = {}
        for r in readings:
            tool = self.p.tools.get(r.intent)
            if tool is None:
                calls[(r.intent, ())] = (r.intent, None, [])
                continue
            args, problems = {}, []
            for b in sorted(r.bindings, key=lambda b: b.start):
                surface = text.strip()[b.start:b.end]
                res = self.filler.resolve(b.terminal, surface, today, tool.properties[b.param])
                if b.param in args:
                    problems.append(f"{b.param} given twice")
                elif res.ok:
                    args[b.param] = res.value
                else:
                    problems.append(f"{b.param}: {surface!r} is {res.type} ({res.rule})")
            ordered = {p: args[p] for p in tool.properties if p in args}
            calls[(r.intent, tuple(sorted((k, str(v)) for k, v in ordered.items())), tuple(problems))] = (r.intent, ordered, problems)
        if len(calls) > 1:
            names = sorted({c[0] for c in calls.values()})
            out["error"] = f"ambiguous: {len(calls)} different readings ({', '.join(names)})"
            return out
        if not calls:
            return out
        intent, args, problems = next(iter(calls.values()))
        if args is None:
            return out  # a negative intent: no tool applies
        tool = self.p.tools[intent]
        out["intent"], out["arguments"] = intent, args
        unresolved = [p.split(":")[0] for p in problems if ":" in p]
        out["clarify"] = [p for p in tool.properties if (p in tool.required and p not in args) or p in unresolved]
        if problems:
            out["error"] = "; ".join(problems)
        return out
