"""The checks every gold answer passes before it is written: the grammars read the utterance back as
exactly this call (or this reply key), the schema accepts it, and what is asked about is what is unclear."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from engine.derive import arguments, period_calls, span_misplaced, waiting
from engine.replies import is_iso_date
from engine.verify import Reading


class Retry(Exception):
    """This attempt cannot satisfy its constraints; try the next attempt (not a verification drop)."""


class Drop(Exception):
    """The utterance failed verification: counted in the manifest by reason, and (``generate --dropped``)
    written with the text, the reading it was meant to have and the rival reading that defeated it."""

    def __init__(self, reason: str, text: str | None = None, wanted: dict | None = None, rival: dict | None = None):
        super().__init__(reason)
        self.reason, self.text, self.wanted, self.rival = reason, text, wanted, rival

    def record(self) -> dict:
        return {"reason": self.reason, "user": self.text, "wanted": self.wanted, "rival": self.rival}


@dataclass
class Gold:
    """The verified answer to one request: arguments to call with, or what to ask about first."""

    args: dict
    missing: list[str] = field(default_factory=list)  # required parameters the user did not give
    unclear: dict[str, list] = field(default_factory=dict)  # bound name -> the options its form leaves open
    calls: list[dict] = field(default_factory=list)  # a period said for a one-day parameter: a call per day


class GoldChecker:
    """Turns readings into calls and proves a gold answer against them."""

    def __init__(self, project, filler):
        self.p = project
        self.filler = filler

    def call(self, tool, used: dict, missing: list[str], readings: frozenset, text: str, today: date) -> Gold:
        """The gold answer for bound slots ``used`` (name -> (entry, resolution, terminal))."""
        args = arguments(tool, {name: r for name, (_, r, _) in used.items()}, self.filler.part_of_day)
        if args is None:
            raise Retry
        dates = {p: v for p, v in args.items() if tool.properties[p].get("format") == "date" and isinstance(v, str)}
        if any(v < today.isoformat() for v in dates.values()):
            raise Retry  # e.g. 这周末 said on a Sunday: a check-in that has already passed
        if any(a in dates and b in dates and dates[a] <= dates[b] for a, b in tool.after):
            raise Retry  # 住到周三 with a Wednesday check-in
        self.check(tool.name, args, readings, text, today)
        later = waiting(args)
        asked = [p for p, v in args.items() if isinstance(v, tuple) and p not in later]
        sources = {name: r.value for name, (_, r, _) in used.items() if r.type == "ambiguous"}
        calls = period_calls(tool, {name: r for name, (_, r, _) in used.items()}, args, today) if list(sources) == asked else None
        if calls and not missing:
            if any(tool.errors(c) for c in calls):
                raise Drop("schema")
            return Gold(calls[0], calls=calls)
        if bool(asked) != bool(sources) or len(sources) > 1:
            raise Retry  # something unresolved that is no question of one form (a clash of phrases)
        args = {p: v for p, v in args.items() if not isinstance(v, tuple)}
        unclear = {name: valid_options(tool, name, options, args, today) for name, options in sources.items()}
        if any(len(options) < 2 for options in unclear.values()):
            raise Retry  # in context only one reading is possible: not a question worth asking
        errors = tool.errors(args)
        if missing or unclear:
            errors = [e for e in errors if "is a required property" not in e]
        if errors:
            raise Drop("schema")
        order = list(tool.properties)
        missing = sorted(set(missing) | set(asked), key=order.index)
        return Gold(args, missing, unclear)

    def check(self, intent: str, args: dict, readings: frozenset, text: str, today: date) -> None:
        """The grammars must read ``text`` as exactly this call, and as nothing else."""
        expected = (intent, tuple(sorted(args.items())))
        if not readings:
            raise Drop("unparsed", text, _shown(expected))
        pairs = [(r, self.call_of(r, text, today)) for r in readings]
        pairs = [(r, call) for r, call in pairs if call is not None]
        if not pairs:
            raise Drop("unparsed", text, _shown(expected))
        for r, call in sorted(pairs, key=lambda p: repr(p[1])):  # the same rival named whatever the set order
            if call != expected:
                raise Drop("ambiguous" if r.intent == intent else f"other_intent:{r.intent}", text, _shown(expected), _shown(call))

    def call_of(self, r: Reading, text: str, today: date):
        """(intent, sorted argument items) of one reading; None when it is no reading at all."""
        tool = self.p.tools.get(r.intent)
        if tool is None:
            return (r.intent, ())
        resolved = {}
        for b in r.params():
            if b.param in resolved:
                return (r.intent, "bound twice")
            res = self.filler.resolve(b.terminal, text[b.start:b.end], today, tool.bindable[b.param])
            if span_misplaced(tool, b.param, res):
                return None  # not a reading at all (see engine/derive.py)
            resolved[b.param] = res
        args = arguments(tool, resolved, self.filler.part_of_day)
        return None if args is None else (r.intent, tuple(sorted(args.items())))  # clashing phrases: no reading

    def reply_key(self, intent: str, derived_keys: list[str], readings: frozenset, text: str, today: date) -> str:
        """The reply key of a negative request: the one keyed rule it was derived through, and the one
        every reading of it passes (so the reply fits however the text is read)."""
        wanted = {"intent": intent, "reply_keys": derived_keys}
        if not readings:
            raise Drop("unparsed", text, wanted)
        rivals = sorted((r for r in readings if r.intent != intent or r.reply_keys() != derived_keys), key=lambda r: (r.intent, r.reply_keys()))
        tool = next((r for r in rivals if r.intent in self.p.tools), None)
        if tool is not None:
            raise Drop("negative_reads_as_tool", text, wanted, _shown(self.call_of(tool, text, today) or (tool.intent, ())))
        if rivals and rivals[0].intent != intent:
            raise Drop(f"other_intent:{rivals[0].intent}", text, wanted, {"intent": rivals[0].intent, "reply_keys": rivals[0].reply_keys()})
        if len(derived_keys) != 1:
            raise Drop("no_reply_key" if not derived_keys else "several_reply_keys", text, wanted)
        if rivals:
            raise Drop("ambiguous_reply_key", text, wanted, {"intent": intent, "reply_keys": rivals[0].reply_keys()})
        return derived_keys[0]


def _shown(call: tuple) -> dict:
    """A call as ``call_of`` gives it, for people: {"intent", "arguments"} (or what went wrong with it)."""
    intent, args = call
    return {"intent": intent, "arguments": dict(args)} if isinstance(args, tuple) else {"intent": intent, "problem": args}


def valid_options(tool, param: str, options: list, args: dict, today: date) -> list:
    """The options of an unclear form that fit everything else said: not past, and in order with the
    other dates (a check-out option after the check-in)."""
    keep = []
    for o in options:
        first, last = (o[0], o[-1]) if isinstance(o, list) else (o, o)
        if not is_iso_date(first):
            keep.append(o)  # a place or a name: nothing to compare
            continue
        if first < today.isoformat():
            continue
        ok = True
        for later, earlier in tool.after:
            if param == later and isinstance(args.get(earlier), str) and first <= args[earlier]:
                ok = False
            if param == earlier and isinstance(args.get(later), str) and last >= args[later]:
                ok = False
        if ok:
            keep.append(o)
    return keep

