"""What the assistant does next, from the conversation's state alone (engine/context.py reads the user's
turns into that state): ask for exactly what is missing, look it up in the user's profile first when the
profile can say it, or call. Generation, `callgram parse` in context and the stats replay share it."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from engine.context import State


@dataclass(frozen=True)
class Move:
    """The assistant's next move: ask for ``params``, look them up (``lookup``), call, or acknowledge."""

    kind: str  # ask | disambiguate | lookup | call | ack
    intent: str | None = None
    args: dict = field(default_factory=dict)
    params: tuple[str, ...] = ()
    more: tuple = ()  # further (intent, args) calls made in the same turn
    options: tuple = ()  # (what was said, its options), for a disambiguate move


class Policy:
    """The assistant's moves for one project's tools and its ``profile_fill`` config."""

    def __init__(self, tools: dict, profile_fill: dict[str, str]):
        self.tools = tools
        # "get_weather.city" -> "current_city": a parameter the user's profile may fill when it is left out.
        self.profile_fill = profile_fill

    def next_move(self, state: State, lookup: bool = True) -> Move:
        """Ask for what is missing, unless the profile can say it (look it up first); else call."""
        if state.intent is None:
            return Move("ack")
        tool = self.tools[state.intent]
        args = dict(state.args)
        if state.unclear:  # which of the options the answer meant
            name, said, options = state.unclear
            return Move("disambiguate", tool.name, args, (name,), options=(said, options))
        if state.recall and state.profile is None:
            return Move("lookup", "get_user_profile", {}, tuple(p for p, _ in state.recall))
        companions = [path.split(":", 1)[1] for _, path in state.recall if path.startswith("companion:")]
        for p, path in state.recall:  # what the user left to the profile, where the profile has it
            value = _field(state.profile, path) if not path.startswith("companion:") else None
            if value is not None:
                args[p] = value
        listed = {q.get("relation") for q in (state.profile or {}).get("frequent_passengers", []) if isinstance(q, dict)}
        if companions and set(companions) <= listed:  # the user and each companion on file
            args["passengers"] = 1 + len(companions)
        missing = [p for p in tool.properties if p in tool.required and p not in args]
        fillable = [p for p in missing if f"{tool.name}.{p}" in self.profile_fill]
        if fillable and state.profile is None and lookup and "get_user_profile" in self.tools:
            return Move("lookup", "get_user_profile", {}, tuple(fillable))
        if fillable and state.profile is not None:
            for p in fillable:
                value = state.profile.get(self.profile_fill[f"{tool.name}.{p}"])
                if value is not None:
                    args[p] = value
            missing = [p for p in missing if p not in args]
        if missing:
            return Move("ask", tool.name, args, tuple(missing))
        return Move("call", tool.name, args, more=state.more)

    @staticmethod
    def after(state: State, move: Move, profile: dict | None = None) -> State:
        """The state once the assistant made ``move`` (a lookup brings the profile in)."""
        if move.kind in ("ask", "disambiguate"):
            return replace(state, args=dict(move.args), asked=move.params, called=False, recall=())
        if move.kind == "call":
            return replace(state, intent=move.intent, args=dict(move.args), asked=(), called=True, more=(), recall=())
        if move.kind == "lookup":
            return replace(state, profile=profile or {})
        return state

def _field(profile: dict | None, path: str):
    """A profile field by dotted path (hotel.brand)."""
    value = profile
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value
