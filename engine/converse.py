"""Write one conversation of a flow (grammars/flows/): each user turn drawn from a grammar, read back in
its context by every grammar (engine/context.py) and kept only when it means exactly what it was drawn
for; the assistant's turns follow from the state: questions, profile look-ups, calls, tool results
(engine/observe.py) and answers that state only what the results say (engine/results.py)."""
from __future__ import annotations

import hashlib
import json
import random
from dataclasses import replace
from datetime import date, timedelta

from engine.context import Reader, State
from engine.policy import Move, Policy
from engine.flows import Flow
from engine.gold import Drop, Retry
from engine.samples import Sample
from engine.turn_draw import TurnDrawer


class Conversations:
    """Conversations for one project and config; shares the single-turn composer's drawing machinery."""

    def __init__(self, composer):
        from engine.observe import Observer
        from engine.profile import ProfileMaker, section
        from engine.results import ResultText

        self.c = composer
        self.p = composer.p
        cfg = composer.cfg
        self.lookup = cfg.profile_lookup
        self.reader = Reader(self.p, self.p.turns, composer.filler)
        self.policy = Policy(self.p.tools, cfg.profile_fill)
        self.turns = TurnDrawer(composer, self.reader)
        self.observer = Observer(self.p)
        self.results = ResultText(self.p.lexicons)
        self.profiles = ProfileMaker(self.p.lexicons)
        self.section = section

    # -- one conversation ---------------------------------------------------------------------------
    def compose(self, i: int, flow: Flow, rng: random.Random) -> Sample:
        today = self._today = self.c._today(rng)
        profile = self.profiles.draw(rng, self.c.cfg.profile_lacking)
        state = State()
        self.turns.reset()
        self.turns.known = {q.relation for q in profile.frequent_passengers}
        self._recalled: set[str] = set()
        self._items: list[dict] = []
        names = self.c.offer.choose(rng, self._needs(flow))
        messages: list[dict] = [{"role": "system", "content": self.c.replies.system(today, names)}]
        turns: list[dict] = []
        clauses: list[str] = []
        calls = 0
        first_intent = None  # the tool the user first asks for: the sample's intent, as its slots are the first message's
        for k, step in enumerate(flow.steps):
            if step.say == "answer" and step.optional and not state.asked:
                continue  # nothing was asked: the step is not needed
            text, reading, kind, prov = self.turns.say(step, state, today, rng)
            if any("relation" in slot["lexicon"] and not self.profiles.says(profile, slot["surface"]) for slot in prov["slots"]):
                raise Retry  # 我老公 said by a user whose spouse is a wife
            target = self.reader.read(kind, reading, text, state, today)
            if target is None:
                raise Retry
            got = self.reader.states(text, state, today)
            if [s.key() for s in got] != [target.key()]:
                rival = next((s for s in got if s.key() != target.key()), None)
                raise Drop("unparsed" if not got else "ambiguous_in_context", text, _shown(target),
                           _shown(rival) if rival is not None else None)
            state = target
            first_intent = first_intent or state.intent
            self._recalled = {p for p, _ in state.recall} or self._recalled
            turns.append({"turn": kind, **prov, "state": _shown(state)})
            last_step = k == len(flow.steps) - 1
            if flow.join:  # one message: the clauses so far, read as a whole once the last is said
                clauses.append(text)
                if not last_step:
                    continue
                text = self.c.replies.join_clauses(clauses)
                got = self.reader.message_states(text, State(), today)
                if [s.call_key() for s in got] != [state.call_key()]:
                    raise Drop("unparsed" if not got else "ambiguous_in_context", text, _shown(state), _shown(got[0]) if got else None)
            messages.append({"role": "user", "content": text})
            state, calls = self._assistant(i, flow, step, state, profile, messages, today, rng, calls, last_step)
        tags = [f"flow:{flow.name}"] + [f"clarify:{p}" for p in state.asked]
        if state.profile is not None:
            tags.append("profile")
        sid = self.c._sid(i)
        return Sample(
            id=sid, kind=flow.kind, intent=first_intent or state.intent or "conversation", tags=tags, today=today.isoformat(),
            messages=messages, tools=self.c.offer.shown(names),
            # "slots": those of the first user message, as a single turn's are (a long message: all its clauses')
            provenance={"flow": flow.file, "profile": profile.model_dump(), "turns": turns,
                        "slots": [slot for t in (turns if flow.join else turns[:1]) for slot in t["slots"]]},
        )

    def _assistant(self, i, flow, step, state, profile, messages, today, rng, calls, last_step):
        """The assistant's moves after a user turn, until it needs the user again (or the flow ends)."""
        while True:
            move = self.policy.next_move(state, self.lookup)
            if move.kind == "lookup":
                call = self._call(i, calls, "get_user_profile", {})
                calls += 1
                shown = self.section(profile, None)
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
                messages.append({"role": "tool", "tool_call_id": call["id"], "content": json.dumps(shown, ensure_ascii=False)})
                state = Policy.after(state, move, shown)
                continue
            if move.kind == "ask":
                question = self.c.replies.clarify(self.p.tools[move.intent], list(move.params), rng)
                if state.profile is not None and self._looked_up(move):
                    question = rng.choice(self.c.replies.t["not_in_profile"]) + self._bare(question)
                if state.turn == "aside":
                    question = rng.choice(self.c.replies.t["aside"]).format(question=self._bare(question))
                messages.append({"role": "assistant", "content": question})
            elif move.kind == "disambiguate":
                said, options = move.options
                messages.append({"role": "assistant", "content": self.c.replies.disambiguate(said, list(options), rng)})
            elif move.kind == "ack":
                messages.append({"role": "assistant", "content": rng.choice(self.c.replies.t["ack"])})
            else:
                self._check_call(move)
                if step.wrong_tool:  # the wrong tool, with what of the request it takes, never trained on
                    wrong = self.p.tools[step.wrong_tool]
                    move = Move("call", wrong.name, {p: v for p, v in move.args.items() if p in wrong.properties})
                    if wrong.errors(move.args):
                        raise Retry
                    calls = self._make_calls(i, flow, step, move, state, messages, today, rng, calls, last_step, wrong=True)
                elif step.wrong:  # the article's wrong turn, never trained on: fixed by the user, or by a tool error
                    right = move
                    move = Move("call", move.intent, self._wrong(move, state, rng, step.mistake))
                    calls = self._make_calls(i, flow, step, move, state, messages, today, rng, calls, last_step and step.fixed_by != "tool", wrong=True)
                    if step.fixed_by == "tool":  # the tool refused: call again, rightly, at once
                        move = right
                        calls = self._make_calls(i, flow, step, move, state, messages, today, rng, calls, last_step)
                else:
                    calls = self._make_calls(i, flow, step, move, state, messages, today, rng, calls, last_step)
                return replace(Policy.after(state, move), items=tuple(self._items)), calls
            return Policy.after(state, move), calls

    def _make_calls(self, i, flow, step, move, state, messages, today, rng, calls, last, wrong=False) -> int:
        """The assistant's call(s), then (unless the conversation ends on them) each result and the answer."""
        made = [(move.intent, move.args), *move.more]
        self._items = []
        call_list = [self._call(i, calls + k, name, args) for k, (name, args) in enumerate(made)]
        extra = {"weight": 0} if wrong else {}
        if self.c.cfg.reasoning and not wrong:
            extra["reasoning_content"] = self._rationale(move, state, today)
        messages.append({"role": "assistant", "content": None, "tool_calls": call_list, **extra})
        refused = wrong and step.fixed_by == "tool"
        if last and not flow.answer_last and not refused:
            return calls + len(made)
        outcome = "error" if refused else step.result
        answers = []
        self._items = []
        for call, (name, args) in zip(call_list, made):
            bad = self.p.tools[name].errors(args)
            if refused and bad:  # an argument the schema refuses: the tool says which
                result = {"error": {"code": "invalid_argument", "message": f"{self.observer.error_text('invalid_argument')}: {bad[0]}"}}
            else:
                result = self.observer.observe(name, args, today, rng, outcome=outcome)
            self._items += self.observer.items(result)
            messages.append({"role": "tool", "tool_call_id": call["id"], "content": json.dumps(result, ensure_ascii=False)})
            if not refused:
                answers.append(self.results.answer(name, args, result, rng))
        if answers:
            messages.append({"role": "assistant", "content": "".join(answers), **({"weight": 0} if wrong else {})})
        return calls + len(made)

    def _rationale(self, move: Move, state: State, today: date) -> str:
        """What fired for this call: forms said in any turn that gave its arguments, and profile fields."""
        said = [(s["surface"], s["value"]) for s in self.turns.said if move.args.get(s["param"]) == s["value"]
                or (isinstance(s["value"], list) and s["param"] not in move.args)]
        fills = self.c.cfg.profile_fill
        profile = [(fills[f"{move.intent}.{p}"], v) for p, v in move.args.items()
                   if f"{move.intent}.{p}" in fills and state.profile and state.profile.get(fills[f"{move.intent}.{p}"]) == v
                   and not any(s["param"] == p for s in self.turns.said)]
        unique = list({(s, str(v)): (s, v) for s, v in said}.values())
        return self.c.rationale.text(today, unique, profile)

    def _wrong(self, move: Move, state: State, rng: random.Random, mistake: str) -> dict:
        """The call with one argument wrong the way models get it wrong: a date one day off, or a place
        left as the user said it (魔都); a date a week early and already gone (``past``), or left as said
        (``as_said``: 明天), both of which the tool refuses. Remembers how to say the right value."""
        tool = self.p.tools[move.intent]
        said = {s["param"]: s for s in self.turns.last_slots}
        options = []
        for p, v in move.args.items():
            if p not in said or p not in self.turns.fixable:
                continue
            if tool.properties[p].get("format") == "date" and mistake == "as_said":
                options.append((p, said[p]["surface"], said[p]["surface"]))
            elif tool.properties[p].get("format") == "date":
                wrong = (date.fromisoformat(v) + timedelta(days=-7 if mistake == "past" else rng.choice((-1, 1)))).isoformat()
                # refused by the tool only when meant to be: a wrong day shown with results is still to come
                if (wrong < self._today.isoformat()) == (mistake == "past"):
                    options.append((p, wrong, said[p]["surface"]))
            elif said[p]["surface"] != v and "enum" not in tool.properties[p] and mistake == "shift":
                options.append((p, said[p]["surface"], v))  # the alias as text; the correction names the city
        if not options:
            raise Retry
        p, wrong, right_surface = rng.choice(options)
        self.turns.fix = (p, right_surface)
        return {**move.args, p: wrong}

    def _bare(self, question: str) -> str:
        """A question without its soft opener (好的，), to follow another sentence."""
        for opener in self.c.replies.t["soft_openers"]:
            question = question.removeprefix(opener)
        return question

    def _looked_up(self, move: Move) -> bool:
        """Whether the assistant asks for something it looked for in the profile and did not find."""
        fills = self.c.cfg.profile_fill
        return any(f"{move.intent}.{p}" in fills for p in move.params) or any(p in move.params for p in self._recalled)

    def _needs(self, flow: Flow) -> set[str]:
        """Tools a conversation of ``flow`` may call: offered whatever the subset (a flow's own tools, else all)."""
        named = {n for step in flow.steps for n in ([step.intent] if isinstance(step.intent, str) else step.intent or [])}
        if not named or any(step.say == "request" and step.intent is None for step in flow.steps):
            return set(self.p.tools)
        needs = named | ({"get_user_profile"} if self.c.cfg.profile_fill else set())
        return needs & set(self.p.tools)

    def _check_call(self, move: Move) -> None:
        tool = self.p.tools[move.intent]
        if tool.errors(move.args):
            raise Drop("schema", None, {"intent": move.intent, "arguments": move.args})
        if not self.c.plausible.price_ok(move.args):
            raise Retry
        if any(isinstance(v, int) and self.c.plausible.weight(p, v) == 0 for p, v in move.args.items()):
            raise Retry  # a party or a stay no one books, however the turns added up to it
        if self.c.drawer.clashing(tool, move.args):
            raise Retry  # 回家 to the city the flight leaves from
        for a, b in tool.after:  # the stay two turns made (入住 said first, 退房 answered later) is plausible too
            if isinstance(move.args.get(a), str) and isinstance(move.args.get(b), str):
                nights = (date.fromisoformat(move.args[a]) - date.fromisoformat(move.args[b])).days
                if not 1 <= nights <= self.c.cfg.max_nights or self.c.plausible.weight("nights", nights) == 0:
                    raise Retry

    def _call(self, i: int, k: int, intent: str, args: dict) -> dict:
        call_id = "call_" + hashlib.sha1(f"{self.c._sid(i)}/{k}".encode()).hexdigest()[:16]
        return {"id": call_id, "type": "function", "function": {"name": intent, "arguments": json.dumps(args, ensure_ascii=False)}}

    # -- one user turn ----------------------------------------------------------------------------
def _shown(state: State | None) -> dict | None:
    if state is None:
        return None
    return {"intent": state.intent, "arguments": dict(state.args), "asked": list(state.asked), "mentioned": dict(state.mentioned)}
