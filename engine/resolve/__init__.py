"""Turn a surface form into a typed value relative to a reference date ("today").

Each kind has its own module (``dates``, ``numbers``, ``cities``); every resolver is a pure function
of (text, today, language data) returning a :class:`Resolved` whose ``rule`` names the rule that fired,
so a sample's provenance can say why 下周三 became 2023-11-08.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

TYPES = ("date", "span", "time", "int", "city", "string", "ambiguous", "invalid", "unknown")


@dataclass(frozen=True)
class Resolved:
    """A resolver's answer: ``type`` is one of TYPES; ``value`` is JSON-ready."""

    type: str
    value: Any = None
    flags: tuple[str, ...] = ()
    rule: str = ""

    @property
    def ok(self) -> bool:
        """True when the value is usable as gold (not ambiguous, invalid or unknown)."""
        return self.type not in ("ambiguous", "invalid", "unknown")

    def as_json(self, text: str) -> dict:
        out: dict[str, Any] = {"text": text, "type": self.type}
        if self.type != "unknown":
            out["value"] = self.value
        out["flags"] = list(self.flags)
        return out


UNKNOWN = Resolved("unknown", rule="no rule matched")


@dataclass
class ResolveContext:
    """Language data the resolvers read (from ``lexicons/<lang>/*.toml`` and the city lexicon)."""

    date_words: dict
    numerals: dict
    cities: dict[str, str] = field(default_factory=dict)  # surface -> canonical


def iso(d: date) -> str:
    return d.isoformat()
