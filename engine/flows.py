"""Conversation flows, declared as data: one ``grammars/flows/<name>.toml`` per flow, listing the user's
turns. The assistant's turns are not declared: they follow from the state (engine/context.py).

A step says what the user says next:

- ``request``: a request of a tool intent, complete, or leaving ``leave_out`` required arguments out
  (a number, or the names of arguments); ``intent`` picks the tool, ``give`` the arguments it states.
- ``answer``: answers what the assistant asked; ``give = 1`` answers only one of several.
- ``change``: changes one argument of the call just made (那后天呢).
- ``refer``: asks ``intent`` about the place or day of the call just made (那边的酒店).
- ``plan``: states a plan before any request (想去北京玩几天), giving ``give``.
- ``both``: asks ``intent`` twice at once, one parameter said twice (北京和上海明天的天气): two calls in one turn.
- ``memory``: a request of ``intent`` leaving an argument to the user's profile (回家的机票, 上次那家).
- ``two``: asks two tools at once, the second about the first one's place and day (天气，再看看那边的酒店).
- ``selffix``: a request of ``intent`` correcting itself in the same turn (去上海，不对，去杭州).
- ``retool``: says the assistant called the wrong tool (不是查，是帮我订); the step before has ``wrong_tool``.
- ``pick``: picks one of the results just shown to book it (订第二个, 就要最便宜的那班).
- ``aside``: asks a question of its own while the assistant waits for an answer (大概多少钱？).
- ``correct``: corrects the argument the assistant got wrong (不对，我说的是后天); the step before it has
  ``wrong = true``: its call is marked ``"weight": 0``, not to be trained on.
- ``prefer``: after a request in the same message, adds an argument it lacked (最好是头等舱的, 从杭州走).

A flow with ``join = true`` is one long message: its turns are clauses joined by the language's clause
mark (lexicons/<lang>/clauses.toml), read clause by clause, and the assistant answers once, after the last.
"""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from engine.errors import CallgramError, ErrorList, did_you_mean
from engine.paths import read_text

SAYS = ("request", "answer", "change", "refer", "plan", "aside", "correct", "both", "memory", "pick", "two", "selffix", "retool", "prefer")


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")

    say: Literal["request", "answer", "change", "refer", "plan", "aside", "correct", "both", "memory", "pick", "two", "selffix", "retool", "prefer"]
    intent: str | list[str] | None = None  # the tool asked for, or the tools one is picked from
    leave_out: int | list[str] | None = None
    give: int | list[str] | None = None
    wrong: bool = False  # the assistant's call after this turn gets one argument wrong (weight 0), for a correction
    wrong_tool: str | None = None  # ...or calls this tool instead of the one asked for (search_hotels for a booking)
    fixed_by: Literal["user", "tool"] = "user"
    # How the call is wrong: a date a day off or an alias left as said ("shift", for the user to correct), a
    # day already gone ("past"), or a date left as the user said it, 明天 for 2023-10-30 ("as_said"): both refused.
    mistake: Literal["shift", "past", "as_said"] = "shift"  # who shows it wrong: the user (a correct step) or the tool (an error result)
    optional: bool = False  # an answer step skipped when nothing was asked
    form: Literal["plain", "ambiguous"] = "plain"  # an answer said in a form that means several things here (周三, 江城)
    result: Literal["ok", "empty"] = "ok"  # what the call after this turn finds: results, or nothing (no flights that day)


class Flow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = ""
    file: str = ""
    kind: Literal["positive", "hard", "negative"]
    steps: list[Step]
    answer_last: bool = False  # end with the last call's result and the answer to it, not the call
    join: bool = False  # the user's turns are the clauses of one message; the assistant answers after the last


def load_flows(folder: Path, tools: dict, turn_kinds: set[str], rel=str) -> dict[str, Flow]:
    """Every flow in ``folder`` (``grammars/flows``), checked against the tools and the turn grammars."""
    flows: dict[str, Flow] = {}
    errors: list[CallgramError] = []
    for path in sorted(folder.glob("*.toml")) if folder.is_dir() else []:
        shown = rel(path)
        text = read_text(path, shown)
        try:
            flow = Flow(**tomllib.loads(text), name=path.stem, file=shown)
        except tomllib.TOMLDecodeError as e:
            errors.append(CallgramError(f"malformed TOML: {e}", shown, getattr(e, "lineno", 1), getattr(e, "colno", 1)))
            continue
        except ValidationError as e:
            err = e.errors()[0]
            where = ".".join(str(x) for x in err["loc"])
            errors.append(CallgramError(f"{where}: {err['msg']}", shown, _line_of(text, str(err["loc"][0])), 1))
            continue
        for k, step in enumerate(flow.steps):
            for name in [step.intent] if isinstance(step.intent, str) else step.intent or []:
                if name not in tools:
                    errors.append(CallgramError(f"steps[{k}]: unknown intent {name!r}{did_you_mean(name, tools)}", shown, _line_of(text, name), 1))
            if step.say != "request" and step.say not in turn_kinds:
                errors.append(CallgramError(f"steps[{k}]: no grammars/turns/{step.say}.lark for say = {step.say!r}", shown, _line_of(text, step.say), 1))
            if step.wrong_tool is not None and step.wrong_tool not in tools:
                errors.append(CallgramError(f"steps[{k}]: unknown wrong_tool {step.wrong_tool!r}{did_you_mean(step.wrong_tool, tools)}", shown, _line_of(text, step.wrong_tool), 1))
            if step.say in ("refer", "both", "memory") and not isinstance(step.intent, str):
                errors.append(CallgramError(f"steps[{k}]: a refer step names the one intent it asks for", shown, _line_of(text, "refer"), 1))
        if not flow.steps or flow.steps[0].say not in ("request", "plan", "both", "memory", "two", "selffix"):
            errors.append(CallgramError("a flow starts with a request or a plan", shown, _line_of(text, "steps"), 1))
        flows[flow.name] = flow
    if errors:
        raise errors[0] if len(errors) == 1 else ErrorList(errors)
    return flows


def _line_of(text: str, needle: str) -> int:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else 1
