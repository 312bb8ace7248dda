"""``callgram parse``: the grammars used as a parser, to label real utterances. No keyword guessing."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date

from engine.derive import arguments, each_day, is_vague, period_calls, span_misplaced, waiting
from engine.slots import SlotFiller
from engine.verify import Verifier


def blank(text: str, error: str | None = None) -> dict:
    """What ``parse`` says of an utterance before reading it (every key, so each line has the same ones)."""
    return {"text": text, "intent": None, "arguments": None, "clarify": [], "error": error, "negative": None, "reply_key": None, "more": []}


class UtteranceParser:
    """Reads an utterance into {text, intent, arguments, clarify, error}."""

    def __init__(self, project, profile_fill: dict[str, str] | None = None):
        self.p = project
        self.verifier = Verifier(project.grammar)
        self.filler = SlotFiller(project.lexicons, [])
        self.profile_fill = profile_fill or {}
        self._reader = None

    def parse(self, text: str, today: date, fallbacks: bool = True, unknown_places: bool = True) -> dict:
        """The call a message asks for: read whole by a grammar; else (``fallbacks``) clause by clause; else
        (``unknown_places``) with one stretch read as a place no lexicon lists."""
        out = blank(text)
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
                # Readings that differ only in how much text a slot took (从下周一到周三 / 下周一到周三) are one reading.
                key = (r.intent, tuple(sorted((k, str(v)) for k, v in args.items())), tuple(sorted(unresolved[0])), tuple(sorted(unresolved[1])),
                       str(unresolved[2]))
                calls.setdefault(key, (r.intent, args, problems, unresolved))
        if len(calls) > 1:
            names = sorted({c[0] for c in calls.values()})
            out["error"] = f"ambiguous: {len(calls)} different readings ({', '.join(names)})"
            return out
        if not calls and fallbacks:
            out = self._clauses(text, today, out)
            if unknown_places and out["intent"] is None and out["error"] is None:
                return self._unknown_place(text, today, out)
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
        unresolved, later, each = unresolved
        if each:  # a period for a one-day parameter: a call per day
            out["arguments"], *out["more"] = each
            unresolved = set()
        out["clarify"] = [p for p in tool.properties if ((p in tool.required and p not in args) or p in unresolved) and p not in later]
        if problems:
            out["error"] = "; ".join(problems)
        return out

    def _unknown_place(self, text: str, today: date, out: dict) -> dict:
        """A place no lexicon lists, where a grammar puts a place (博登敦的天气): the one stretch of the text that,
        said as a known place, makes a grammar read the whole, read as itself (lexicons/<lang>/places.toml)."""
        table = self.p.lexicons.data.get("places") or {}
        if "name" not in table:
            return out
        name = re.compile(f"(?:{table['name']})")
        cities = [lex for lex in self.p.lexicons.slots.values() if lex.resolver == "city"]
        # Each place lexicon's most drawn name stands in for the unknown one (never one the text says itself).
        stand_ins = [(lex, max((e for e in lex.entries if e.value in (None, e.surface) and e.surface not in text), key=lambda e: e.weight).surface)
                     for lex in cities]
        # Where slot forms (a date, a known place) lie: an unknown place starts after one and holds none.
        # ...save forms of the lexicons a name may hold (国家公园 holds 家 and 公园, both points of interest).
        slot_ends, inside, may_hold = {0}, [], set(table.get("may_hold", []))
        for k in range(len(text)):
            for term, end in self.verifier.matches(text, k).items():
                if term in self.p.grammar.slots and end > k:
                    slot_ends.add(end)
                    if self.p.grammar.slots[term].lower() not in may_hold:
                        inside.append((k, end))
        starts = [i for i in range(len(text)) if i in slot_ends or any(text[:i].endswith(c) for c in table.get("after", []))]
        found = {}
        for i in starts:
            if text[i] in table.get("not_first", ""):
                continue
            for j in range(i + 2, min(len(text), i + 31) + 1):
                span = text[i:j]
                if j < len(text) and not any(text[j:].startswith(c) for c in table.get("before", [])):
                    continue
                if span[-1] in table.get("not_last", "") or not name.fullmatch(span) or any(lex.value_of(span) for lex in cities):
                    continue
                if any(i <= a and b <= j for a, b in inside):
                    continue  # holds a form some lexicon reads (今天博登敦): not one name
                for lex, stand_in in stand_ins:
                    got = self.parse(text[:i] + stand_in + text[j:], today, fallbacks=False)
                    args = got["arguments"] or {}
                    where = [p for p, v in args.items() if v == lex.value_of(stand_in)]
                    if got["intent"] and len(where) == 1:
                        args[where[0]] = span
                        found[(got["intent"], json.dumps(args, ensure_ascii=False, sort_keys=True))] = {**got, "text": text, "arguments": args, "unknown_place": span}
        if len(found) == 1:
            return next(iter(found.values()))
        if len(found) > 1:
            out["error"] = f"ambiguous: {len(found)} readings with a place no lexicon lists"
        return out

    def _clauses(self, text: str, today: date, out: dict) -> dict:
        """A message no grammar reads whole, read clause by clause (你好，下周去厦门出差，帮我查一下机票，最好是头等舱的)."""
        from engine.context import State

        states = self._context_reader().message_states(text, State(), today)
        if len(states) > 1:
            out["error"] = f"ambiguous: {len(states)} readings clause by clause"
        if len(states) != 1:
            return out
        out["clauses"] = True
        return self._next_move(states[0], out)

    def _next_move(self, state, out: dict) -> dict:
        """``out`` with what the assistant does next in ``state``: the call, or the question for what is missing."""
        from engine.policy import Policy

        move = Policy(self.p.tools, self.profile_fill).next_move(state, lookup=False)
        out["intent"], out["arguments"] = move.intent, dict(move.args)
        out["clarify"] = list(move.params) if move.kind in ("ask", "disambiguate") else []
        out["more"] = [dict(a) for _, a in move.more]
        return out

    def _context_reader(self):
        from engine.context import Reader

        if self._reader is None:
            self._reader = Reader(self.p, self.p.turns, self.filler)
        return self._reader

    def _call(self, tool, reading, text: str, today: date):
        """(arguments, problems, (unresolved, waiting parameters, a period's calls per day)) of one reading, or None
        if it is no reading."""
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
            if not res.ok and not (is_vague(res) and b.param not in tool.required) and each_day(tool, b.param, res, today) is None:
                problems.append(f"{b.param}: {surface!r} is {res.type} ({res.rule})")  # (an optional vague day is left out)
        final = arguments(tool, resolved, self.filler.part_of_day)
        if final is None:
            return None  # two phrases set the same argument: not a reading
        # An argument waiting on one still to be asked (住三晚, no check-in yet) is asked through that one.
        later = waiting(final)
        unresolved = {p for p, v in final.items() if isinstance(v, tuple)} - later
        each = None if problems else period_calls(tool, resolved, final, today)
        return {p: v for p, v in final.items() if not isinstance(v, tuple)}, problems, (unresolved, later, each)

    # -- in context -------------------------------------------------------------------------------
    def parse_conversation(self, conv: dict, today: date, cap: int) -> dict:
        """The call (or question) for the last user turn of ``{"messages": [...], "today": ..., "profile": {...}}``,
        with what earlier turns settled carried over. The log's own assistant calls are taken as made; between
        user turns with no assistant turn logged, the assistant is taken to have done what callgram's would."""
        from engine.context import State, result_items
        from engine.policy import Move, Policy

        reader, policy = self._context_reader(), Policy(self.p.tools, self.profile_fill)
        out = {**blank(None), "turn": None}
        messages = conv.get("messages")
        if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
            out["error"] = "a conversation is {\"messages\": [{\"role\": ..., \"content\": ...}, ...]}"
            return out
        profile = conv.get("profile")
        state = State(profile=profile if isinstance(profile, dict) else None)
        lookup = state.profile is None and bool(self.profile_fill)
        pending_user = False
        for k, m in enumerate(messages):
            role, content = m.get("role"), m.get("content")
            if role == "user":
                if pending_user:  # two user turns in a row: the assistant did what it would have
                    state = Policy.after(state, policy.next_move(state, lookup=False))
                text = str(content or "").strip()
                if len(text) > cap:
                    out["error"] = f"messages[{k}]: {len(text)} characters, over the cap of {cap}"
                    return out
                states = reader.message_states(text, state, today)
                out["text"] = text
                if len(states) != 1:
                    out["error"] = f"messages[{k}]: " + ("no reading in this context" if not states else f"ambiguous: {len(states)} readings in this context")
                    return out
                state = states[0]
                out["turn"] = state.turn
                pending_user = True
            elif role == "assistant":
                pending_user = False
                for call in m.get("tool_calls") or []:
                    fn = call.get("function", {})
                    try:
                        args = json.loads(fn.get("arguments") or "{}")
                    except (TypeError, ValueError):
                        args = {}
                    if fn.get("name") in self.p.tools and fn.get("name") != "get_user_profile":
                        state = Policy.after(replace(state, intent=fn["name"]), Move("call", fn["name"], args))
                if content and not m.get("tool_calls"):  # a question: what callgram's assistant would have asked
                    move = policy.next_move(state, lookup=False)
                    state = Policy.after(state, move) if move.kind in ("ask", "disambiguate") else state
            elif role == "tool" and isinstance(content, str):
                try:
                    data = json.loads(content)
                except ValueError:
                    continue
                if isinstance(data, dict) and any(k in data for k in set(self.profile_fill.values())):
                    state = replace(state, profile=data)
                elif state.called and state.intent in self.p.tools:
                    state = replace(state, items=result_items(self.p.tools[state.intent], data))
        if not pending_user:
            out["error"] = "the conversation does not end with a user turn"
            return out
        if state.turn == "negative":
            out["negative"] = True
            return out
        return self._next_move(state, out)

    def turn_problems(self, messages: list[dict], today: date) -> tuple[int, list[str]]:
        """Replays a generated conversation: each user turn must have one reading in its context, and each
        assistant move after it must be the one that state calls for (a look-up, a question for exactly
        what is missing, or the call with every argument). A turn marked "weight": 0 (a wrong call shown
        for a correction) is not judged, but the next user turn is read after it. Returns (turns, problems)."""
        from engine.context import State, result_items
        from engine.policy import Move, Policy

        reader, state, judged, turns, problems = self._context_reader(), State(), None, 0, []
        policy = Policy(self.p.tools, self.profile_fill)
        looked_up = False
        for k, m in enumerate(messages):
            role, calls = m.get("role"), m.get("tool_calls") or []
            if role == "user":
                turns += 1
                states = reader.message_states(str(m.get("content") or ""), state, today)
                if len(states) != 1:
                    problems.append(f"messages[{k}]: {len(states)} readings in context")
                    return turns, problems
                state = judged = states[0]
            elif role == "assistant" and m.get("weight") == 0:
                for call in calls:  # what the user's correction is read against
                    state = Policy.after(state, Move("call", call["function"]["name"], json.loads(call["function"]["arguments"] or "{}")))
            elif role == "assistant" and judged is not None:
                names = [c["function"]["name"] for c in calls]
                looked_up = names == ["get_user_profile"]
                if names == ["get_user_profile"] and policy.next_move(judged, lookup=bool(self.profile_fill)).kind == "lookup":
                    continue  # the profile comes in the tool message; the move after it is judged next
                move = policy.next_move(judged, lookup=False)
                if calls:
                    made = [(c["function"]["name"], json.loads(c["function"]["arguments"] or "{}")) for c in calls]
                    if move.kind != "call" or made != [(move.intent, move.args), *move.more]:
                        problems.append(f"messages[{k}]: called {made}, context calls for {move.kind} {move.intent} {move.args} {list(move.params)}")
                    state = Policy.after(judged, Move("call", made[0][0], made[0][1]))
                elif move.kind == "call":
                    problems.append(f"messages[{k}]: talks where the context calls {move.intent} {move.args}")
                else:
                    state = Policy.after(judged, move)
                judged = None
            elif role == "tool" and judged is not None and isinstance(m.get("content"), str):
                try:
                    data = json.loads(m["content"])
                except ValueError:
                    continue
                if isinstance(data, dict) and looked_up:  # the profile get_user_profile returned
                    judged = replace(judged, profile=data)
                    state = replace(state, profile=data)
            if role == "tool" and state.called and state.intent in self.p.tools:  # results a later turn may pick from
                try:
                    state = replace(state, items=result_items(self.p.tools[state.intent], json.loads(m.get("content") or "")))
                except ValueError:
                    pass
        return turns, problems
