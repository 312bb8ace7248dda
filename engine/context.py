"""Conversations: what a user turn means in its context, and what the assistant does next.

A turn is read by every grammar: the intent grammars (a request of its own) and the turn grammars in
``grammars/turns/`` (an answer to a question, a change to the call just made, a request about the same
place, a plan stated before any request). Each reading either makes sense in the context (:class:`State`)
and gives the next state, or does not and is no reading here. Generation writes a turn only when every
reading that makes sense gives the same next state (as single turns are verified in engine/gold.py), and
``callgram parse`` reads real conversations the same way. The assistant's move follows from the state
alone (engine/policy.py): ask for what is missing, look it up in the user's profile, or call.
"""
from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import date

from engine.derive import arguments, each_day, per_day, span_misplaced
from engine.gold import valid_options
from engine.grammar import ASKED, COMPANION, PLUS, SECOND, USUAL
from engine.chart import REPLY
from engine.verify import Reading


@dataclass(frozen=True)
class State:
    """What the conversation has settled before the assistant's next move."""

    intent: str | None = None  # the tool being asked for, or last called
    args: dict = field(default_factory=dict)  # its arguments so far
    asked: tuple[str, ...] = ()  # what the assistant's last turn asked for
    called: bool = False  # the assistant's last turn called ``intent`` with ``args``
    mentioned: dict = field(default_factory=dict)  # values a plan stated before any request
    profile: dict | None = None  # the user's profile, once get_user_profile was called
    turn: str = "start"  # how the last user turn was read: request, answer, change, refer, plan, negative
    more: tuple = ()  # further (intent, args) calls asked for in the same turn (查北京和上海的天气)
    recall: tuple = ()  # (parameter, profile field) the user left to the profile (回家 → home_city)
    items: tuple = ()  # the results the last call showed, in order (a user may pick one: 订第二个)
    unclear: tuple = ()  # (parameter, what the user said, its options): an answer that could mean several
    request: tuple = ()  # (intent, args) of the user's last request as read, whatever the assistant then did

    def key(self) -> tuple:
        """What two readings must agree on to be one reading."""
        more = tuple((i, tuple(sorted(a.items()))) for i, a in self.more)
        return (self.intent, tuple(sorted(self.args.items())), self.asked, tuple(sorted(self.mentioned.items())), self.turn == "negative",
                more, self.recall, repr(self.unclear))

    def call_key(self) -> tuple:
        """What two readings of one long message must agree on: what the assistant does next, not how the
        message got there (a plan clause read on its own, or inside the request)."""
        more = tuple((i, tuple(sorted(a.items()))) for i, a in self.more)
        return (self.intent, tuple(sorted(self.args.items())), self.asked, self.turn == "negative", more, self.recall, repr(self.unclear))


_MEMO = 4096  # texts whose readings a Reader remembers
_MAX_CLAUSES = 8  # a message is cut at most this many ways per mark: 2^(n-1) ways to read it


class Reader:
    """Reads user turns in context, for one project (its tools, intent grammars and turn grammars)."""

    def __init__(self, project, turns_grammar, filler):
        from engine.verify import Verifier

        self.p = project
        self.tools = project.tools
        self.filler = filler
        self.intents = Verifier(project.grammar)
        self.turns = Verifier(turns_grammar) if turns_grammar is not None else None
        self._lexicons_of: dict[tuple, set[str]] = {}
        self._memo: OrderedDict[str, list] = OrderedDict()

    def readings(self, text: str) -> list[tuple[str, Reading]]:
        """Every reading of ``text``: ("request", r) from an intent grammar, (turn kind, r) from a turn grammar.
        Remembered for the last few thousand texts: a turn is read once as drawn and again in its context."""
        hit = self._memo.get(text)
        if hit is not None:
            self._memo.move_to_end(text)
            return hit
        return self._remember(text, self.intents.readings(text), self.turns.readings(text) if self.turns is not None else ())

    def readings_of(self, chunks, values: list[str]) -> str:
        """The turn made of ``chunks`` with slot ``values`` (as drawn), its readings remembered for ``readings``.
        Each grammar set reuses the readings of the turn's template when it can (engine/verify.py): a drawn
        turn's template recurs (北京吧, 改成后天), a real one's text rarely does."""
        text, requests = self.intents.readings_of(chunks, values)
        if text not in self._memo:
            self._remember(text, requests, self.turns.readings_of(chunks, values)[1] if self.turns is not None else ())
        return text

    def _remember(self, text: str, requests, turns) -> list[tuple[str, Reading]]:
        """("request", r) for each intent reading, (turn kind, r) for each turn reading; kept for ``readings``."""
        out = [("request", r) for r in requests] + [(r.intent, r) for r in turns]
        self._memo[text] = out
        if len(self._memo) > _MEMO:
            self._memo.popitem(last=False)
        return out

    def message_states(self, text: str, state: State, today: date) -> list[State]:
        """The next states of a whole user message: read whole, or, when no grammar reads it whole, clause by
        clause (lexicons/<lang>/clauses.toml), each clause in the state the ones before it left, with no
        assistant move between them. A request may itself hold a comma (从上海出发，去北京的机票), so every way
        of cutting the message at its clause marks is tried; readings that differ make it ambiguous. A part
        with no reading leaves that cut unread (never a value silently dropped); a greeting or thanks is skipped."""
        whole = self.states(text, state, today)
        if whole:
            return whole
        table = self.p.lexicons.data.get("clauses") or {}
        seps = table.get("separators", "")
        pieces = re.split("([" + re.escape(seps) + "]+)", text) if seps else [text]
        clauses = pieces[0::2]  # each clause, with the marks that follow it in pieces[1::2]
        if len(clauses) < 2 or len(clauses) > _MAX_CLAUSES:
            return []
        skip = set(table.get("skip", []))
        found: dict[tuple, State] = {}
        for cut in range(1 << (len(clauses) - 1)):  # bit k set: a cut after clause k
            parts, begin = [], 0
            for k in range(len(clauses)):
                if k == len(clauses) - 1 or cut >> k & 1:
                    parts.append("".join(pieces[2 * begin: 2 * k + 1]))
                    begin = k + 1
            if len(parts) < 2:
                continue
            for s in self._read_parts(parts, state, today, skip):
                found.setdefault(s.call_key(), s)
        return [found[k] for k in sorted(found, key=repr)]

    def _read_parts(self, parts: list[str], state: State, today: date, skip: set[str]) -> list[State]:
        states = [state]
        for part in parts:
            part = part.strip()
            if not part:
                return []
            readings = self.readings(part)
            if readings and all(self.tools.get(r.intent) is None and kind == "request" and r.reply_keys()
                                and {f"{r.intent}.{k}" for k in r.reply_keys()} <= skip for kind, r in readings):
                continue
            found: dict[tuple, State] = {}
            for s in states:
                for kind, r in readings:
                    nxt = self.read(kind, r, part, s, today)
                    if nxt is not None and nxt.turn != "negative":
                        found.setdefault(nxt.key(), nxt)
            if not found:
                return []
            states = list(found.values())
        return [s for s in states if s.intent is not None]

    def states(self, text: str, state: State, today: date) -> list[State]:
        """Every distinct next state a reading of ``text`` gives in ``state`` (one when the turn is clear)."""
        found: dict[tuple, State] = {}
        for kind, r in self.readings(text):
            nxt = self.read(kind, r, text, state, today)
            if nxt is not None:
                found.setdefault(nxt.key(), nxt)
        return [found[k] for k in sorted(found, key=repr)]

    # -- one reading ---------------------------------------------------------------------------
    def read(self, kind: str, r: Reading, text: str, state: State, today: date) -> State | None:
        """The state after user turn ``text`` read as ``r``; None when that reading makes no sense here."""
        if kind == "request":
            return self._request(r, text, state, today)
        if kind == "answer":
            return self._answer(r, text, state, today)
        if kind in ("change", "correct"):
            nxt = self._change(r, text, state, today)
            return nxt if nxt is None else replace(nxt, turn=kind)
        if kind == "aside":  # a question of the user's own while a question is open: nothing changes
            return replace(state, turn="aside") if state.asked and not r.params() else None
        if kind == "refer":
            return self._refer(r, text, state, today)
        if kind == "plan":
            return self._plan(r, text, state, today)
        if kind == "prefer":
            return self._prefer(r, text, state, today)
        if kind == "both":
            return self._both(r, text, state, today)
        if kind == "memory":
            return self._memory(r, text, state, today)
        if kind == "pick":
            return self._pick(r, text, state)
        if kind == "two":
            return self._two(r, text, state, today)
        if kind == "selffix":
            return self._selffix(r, text, state, today)
        if kind == "retool":  # 不是查，是帮我订: the tool the user asked for, with what they said for it
            keys = r.reply_keys()
            if len(keys) != 1 or not state.called or not state.request or keys[0] != state.request[0] or keys[0] == state.intent:
                return None
            return replace(state, intent=keys[0], args=dict(state.request[1]), asked=(), called=False, turn="retool")
        return None

    def _request(self, r: Reading, text: str, state: State, today: date) -> State | None:
        tool = self.tools.get(r.intent)
        if tool is None:  # a request no tool serves
            return replace(state, intent=None, args={}, asked=(), called=False, turn="negative")
        bound = {b.param: b for b in r.params()}
        calls = self._each_day(tool, bound, text, today, state) or [self._args(tool, bound, text, today, state)]
        if calls[0] is None:
            return None
        for args in calls:
            for p in tool.properties:  # a plan stated earlier fills what the request leaves out
                if p not in args and p in state.mentioned:
                    args[p] = state.mentioned[p]
        more = tuple((tool.name, a) for a in calls[1:])
        return State(tool.name, calls[0], (), False, state.mentioned, state.profile, "request", more, request=(tool.name, dict(calls[0])))

    def _each_day(self, tool, bound: dict, text: str, today: date, state: State) -> list[dict] | None:
        """A period said for a parameter the tool takes one day at a time (这周北京天气怎么样): a call per day."""
        for name, b in bound.items():
            days = each_day(tool, name, self._resolve(tool, name, b, text, today), today) if name in tool.each_day else None
            if days is not None:
                rest = self._args(tool, {n: x for n, x in bound.items() if n != name}, text, today, state)
                return None if rest is None else per_day(tool, name, days, rest)
        return None

    def _answer(self, r: Reading, text: str, state: State, today: date) -> State | None:
        if not state.asked or state.called or state.intent is None:
            return None
        tool = self.tools[state.intent]
        bound = {}
        for b in r.params():
            if b.param == ASKED:  # the one asked parameter this value fits (said with a lexicon its grammar uses)
                fits = [a for a in state.asked if b.terminal in self.param_lexicons(tool.name, a) and self._resolve(tool, a, b, text, today).ok]
                if len(fits) != 1:
                    return None
                name = fits[0]
            else:
                name = b.param
            if name not in state.asked or name in bound:
                return None
            bound[name] = b
        if len(bound) == 1:  # an answer that can mean several things here (周三 said on a Wednesday, 江城)
            (name, b), = bound.items()
            res = self._resolve(tool, name, b, text, today)
            if res.type == "ambiguous":
                if span_misplaced(tool, name, res):
                    return None  # 周五到周日 for a hotel check-in is a stay, not a choice of days
                options = valid_options(tool, name, res.value, state.args, today)
                if len(options) < 2 or any(isinstance(o, list) for o in options):
                    return None
                return replace(state, asked=(name,), unclear=(name, text[b.start:b.end], tuple(options)), turn="answer")
        new = self._args(tool, bound, text, today, state)
        if new is None or not new or not _in_order(tool, {**state.args, **new}):
            return None
        if state.unclear and new.get(state.unclear[0]) not in state.unclear[2]:
            return None  # asked which of the options: the answer names one of them
        return replace(state, args={**state.args, **new}, asked=(), unclear=(), turn="answer")

    def _change(self, r: Reading, text: str, state: State, today: date) -> State | None:
        if not state.called or state.intent is None:
            return None
        tool = self.tools[state.intent]
        bound = {b.param: b for b in r.params()}
        added = {p: b for p, b in bound.items() if p.endswith(PLUS)}
        bound = {p: b for p, b in bound.items() if p not in added}
        if not (bound or added) or any(p not in tool.properties for p in [*bound, *(a.removesuffix(PLUS) for a in added)]):
            return None
        new = self._args(tool, bound, text, today, state) if bound else {}
        for name, b in added.items():  # 再加一个人: added to the argument as the call had it
            base = name.removesuffix(PLUS)
            res = self._resolve(tool, base, b, text, today)
            if base not in state.args or not res.ok:
                return None
            new[base] = state.args[base] + res.value
        if new is None or all(state.args.get(p) == v for p, v in new.items()):
            return None  # 那后天呢 when the call was for 后天: no change
        args = {**state.args, **new}
        if tool.errors(args) or not _in_order(tool, args):
            return None
        return replace(state, args=args, asked=(), called=False, turn="change")

    def _prefer(self, r: Reading, text: str, state: State, today: date) -> State | None:
        """A clause after a request in the same message (最好是头等舱的, 从杭州走): an argument it lacked."""
        if state.intent is None or state.called or state.asked or state.turn not in ("request", "prefer"):
            return None
        tool = self.tools[state.intent]
        bound = {b.param: b for b in r.params()}
        if not bound or any(p not in tool.properties or p in state.args for p in bound):
            return None
        new = self._args(tool, bound, text, today, state)
        if not new:
            return None
        args = {**state.args, **new}
        return replace(state, args=args, turn="prefer", request=(tool.name, dict(args)))

    def _refer(self, r: Reading, text: str, state: State, today: date) -> State | None:
        keys = r.reply_keys()
        if len(keys) != 1 or not state.called or keys[0] == state.intent:
            return None
        tool = self.tools[keys[0]]
        args = self._args(tool, {b.param: b for b in r.params()}, text, today, state)
        if args is None:
            return None
        return State(tool.name, args, (), False, state.mentioned, state.profile, "refer")

    def _pick(self, r: Reading, text: str, state: State) -> State | None:
        """One of the results just shown, booked with the tool the search's ``x-pick`` names."""
        spec = self.tools[state.intent].pick if state.intent and state.called else None
        bound = r.params()
        if not spec or not state.items or len(bound) != 1:
            return None
        entry = self.p.lexicons.get(bound[0].terminal).by_surface.get(text[bound[0].start:bound[0].end])
        if entry is None or not ({"any", spec["noun"]} & set(entry.tags)):
            return None  # 那家 said of flights
        item = pick_item(list(state.items), entry.value.split(":", 1)[1], spec)
        if item is None:
            return None
        args = {p: item[f] for p, f in spec["item"].items() if f in item}
        args.update({p: state.args[a] for p, a in spec.get("args", {}).items() if a in state.args})
        return State(spec["tool"], args, (), False, state.mentioned, state.profile, "pick")

    def _selffix(self, r: Reading, text: str, state: State, today: date) -> State | None:
        """A request correcting itself (去上海，不对，去杭州): a value said again (<param>_2) replaces the first."""
        keys = r.reply_keys()
        if len(keys) != 1:
            return None
        tool = self.tools[keys[0]]
        bound = {b.param: b for b in r.params()}
        fixed = [p for p in bound if p.endswith(SECOND)]
        if len(fixed) != 1 or fixed[0].removesuffix(SECOND) not in bound:
            return None
        base = fixed[0].removesuffix(SECOND)
        said, meant = (self._resolve(tool, base, bound[p], text, today) for p in (base, fixed[0]))
        if not said.ok or said.value == meant.value:
            return None  # 去上海，不对，去上海: nothing corrected
        bound[base] = bound.pop(fixed[0])
        args = self._args(tool, bound, text, today, state)
        return None if args is None else State(tool.name, args, (), False, state.mentioned, state.profile, "selffix")

    def _two(self, r: Reading, text: str, state: State, today: date) -> State | None:
        """Two tools in one turn: each binds what lies inside its own rule; the second may point back to
        the first one's place and day (明天北京天气怎么样，再看看那边同一天的酒店)."""
        marks = sorted((b for b in r.bindings if b.param == REPLY), key=lambda b: b.start)
        if len(marks) != 2 or any(m.terminal not in self.tools for m in marks):
            return None
        first, second = (self.tools[m.terminal] for m in marks)
        parts = [{b.param.removesuffix(SECOND): b for b in r.params() if m.start <= b.start and b.end <= m.end} for m in marks]
        if sum(len(p) for p in parts) != len(r.params()):
            return None
        args1 = self._args(first, parts[0], text, today, state)
        if args1 is None:
            return None
        args2 = self._args(second, parts[1], text, today, State(first.name, args1, called=True))
        if args2 is None or any(p not in a for t, a in ((first, args1), (second, args2)) for p in t.required):
            return None
        return State(first.name, args1, (), False, state.mentioned, state.profile, "two", ((second.name, args2),))

    def _memory(self, r: Reading, text: str, state: State, today: date) -> State | None:
        """A request leaving some arguments to the profile (回家 → home_city): asked for by rule name."""
        keys = r.reply_keys()
        if len(keys) != 1:
            return None
        tool = self.tools[keys[0]]
        bound, recall = {}, []
        for b in r.params():
            if b.param == USUAL:  # 老样子: whatever the tool's x-usual leaves to the profile
                if not tool.usual:
                    return None
                recall += list(tool.usual.items())
                continue
            if b.param.removesuffix(SECOND) == COMPANION:  # 和我老婆: a passenger the profile must list
                relation = self.p.lexicons.get(b.terminal).value_of(text[b.start:b.end])
                if "passengers" not in tool.properties or relation is None or ("passengers", f"companion:{relation}") in recall:
                    return None
                recall.append(("passengers", f"companion:{relation}"))
                continue
            res = self._resolve(tool, b.param, b, text, today)
            if res.type == "ref" and str(res.value).startswith("profile:"):
                recall.append((b.param, res.value.split(":", 1)[1]))
            else:
                bound[b.param] = b
        args = self._args(tool, bound, text, today, state)
        if args is None or not recall or any(p in args for p, _ in recall):
            return None
        return State(tool.name, args, (), False, state.mentioned, state.profile, "memory", (), tuple(sorted(recall)))

    def _both(self, r: Reading, text: str, state: State, today: date) -> State | None:
        """Two calls of one tool: the one parameter said twice gives each its value, the rest is shared."""
        keys = r.reply_keys()
        if len(keys) != 1:
            return None
        tool = self.tools[keys[0]]
        by_param: dict[str, list] = {}
        for b in sorted(r.params(), key=lambda b: (b.param.endswith(SECOND), b.start)):
            by_param.setdefault(b.param.removesuffix(SECOND), []).append(b)
        twice = [p for p, bs in by_param.items() if len(bs) == 2]
        if len(twice) != 1 or any(len(bs) > 2 for bs in by_param.values()):
            return None
        shared = {p: bs[0] for p, bs in by_param.items() if p != twice[0]}
        calls = [self._args(tool, {**shared, twice[0]: b}, text, today, state) for b in by_param[twice[0]]]
        if any(c is None for c in calls) or calls[0] == calls[1]:
            return None
        if any(p in tool.required and p not in c for c in calls for p in tool.properties):
            return None  # both complete, or it is no such request
        return State(tool.name, calls[0], (), False, state.mentioned, state.profile, "both", ((tool.name, calls[1]),))

    def _plan(self, r: Reading, text: str, state: State, today: date) -> State | None:
        if state.intent is not None:
            return None  # a plan comes before any request
        mentioned = dict(state.mentioned)
        for b in r.params():
            schema = self._schema(b.param)
            res = self.filler.resolve(b.terminal, text[b.start:b.end], today, schema)
            if not res.ok or b.param in mentioned:
                return None
            mentioned[b.param] = res.value
        return replace(state, mentioned=mentioned, turn="plan")

    # -- values --------------------------------------------------------------------------------
    def _args(self, tool, bound: dict, text: str, today: date, state: State) -> dict | None:
        """Arguments from bound names (a reference filled from the call before); None if any is unusable."""
        resolved = {}
        for name, b in bound.items():
            if name not in tool.bindable:
                return None
            res = self._resolve(tool, name, b, text, today)
            if res.type == "ref":
                res = self._referent(res, state)
            if res is None or not res.ok or span_misplaced(tool, name, res):
                return None
            resolved[name] = res
        args = arguments(tool, resolved, self.filler.part_of_day)
        if args is None or any(isinstance(v, tuple) for v in args.values()) or not _in_order(tool, args):
            return None
        return args

    def _resolve(self, tool, name: str, b, text: str, today: date):
        return self.filler.resolve(b.terminal, text[b.start:b.end], today, tool.bindable.get(name))

    def _referent(self, res, state: State):
        """那边 → the place of the call before (its city or destination); 同一天 → its day."""
        from engine.resolve import Resolved

        wanted = {"place": ("city", "destination"), "day": ("date", "check_in")}.get(res.value, ())
        value = next((state.args[p] for p in wanted if p in state.args), None)
        return None if value is None else Resolved("city" if res.value == "place" else "date", value, ("ref",), f"{res.rule}: {value}")

    def param_lexicons(self, intent: str, param: str) -> set[str]:
        """The lexicons the tool's own grammar binds ``param`` with (a city answers where, a date when)."""
        key = (intent, param)
        if key not in self._lexicons_of:
            g = self.p.grammar
            rules = g.rules.get(f"{intent}__{param}", [])
            self._lexicons_of[key] = {g.slots[r.expansion[0].name] for r in rules if r.expansion and r.expansion[0].name in g.slots}
        return self._lexicons_of[key]

    def _schema(self, name: str) -> dict | None:
        return next((t.bindable[name] for _, t in sorted(self.tools.items()) if name in t.bindable), None)


def _in_order(tool, args: dict) -> bool:
    """Arguments that must come later do (a check-out after the check-in)."""
    return not any(a in args and b in args and args[a] <= args[b] for a, b in tool.after)


def pick_item(items: list[dict], which: str, spec: dict) -> dict | None:
    """The item ``which`` names (1, 2, last, cheapest, best, earliest, latest, or a part of the day), or
    None when it names none or several (早上那班 with two morning flights)."""
    if which.isdigit():
        return items[int(which) - 1] if int(which) <= len(items) else None
    if which == "last":
        return items[-1] if len(items) > 1 else None
    if which in spec.get("windows", {}):
        lo, hi = spec["windows"][which]
        inside = [i for i in items if lo <= str(i.get(spec["time"], "")) < hi]
        return inside[0] if len(inside) == 1 else None
    key, best = {"cheapest": (spec.get("price"), min), "best": (spec.get("rating"), max),
                 "earliest": (spec.get("time"), min), "latest": (spec.get("time"), max)}.get(which, (None, None))
    if key is None or any(key not in i for i in items):
        return None
    top = best(i[key] for i in items)
    chosen = [i for i in items if i[key] == top]
    return chosen[0] if len(chosen) == 1 else None


def result_items(tool, result) -> tuple:
    """The list a user can point into in a tool's result (flights, hotels), for a tool that has x-pick."""
    if not getattr(tool, "pick", None) or not isinstance(result, dict):
        return ()
    return tuple(next((v for v in result.values() if isinstance(v, list) and v and all(isinstance(i, dict) for i in v)), ()))
