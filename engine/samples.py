"""The shape of one generated conversation (OpenAI chat format plus callgram's metadata)."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel

Kind = Literal["positive", "hard", "negative"]


class Sample(BaseModel):
    """One conversation: ``messages`` in OpenAI chat shape, the tools offered, and where it came from."""

    id: str
    kind: Kind
    intent: str
    tags: list[str]
    today: str
    messages: list[dict[str, Any]]
    tools: list[Any]  # tool definitions, or their names when they are written once to tools.json
    provenance: dict[str, Any]

    def tool_call(self) -> dict | None:
        """The gold call (name and parsed arguments), or None when the assistant only talks."""
        import json

        calls = self.messages[-1].get("tool_calls")
        if not calls:
            return None
        fn = calls[0]["function"]
        return {"name": fn["name"], "arguments": json.loads(fn["arguments"])}
