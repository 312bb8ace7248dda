"""Turn a surface form into a typed value relative to a reference date ("today").

Each kind has its own module (``dates``, ``numbers``, ``cities``); every resolver is a pure function
of (text, today, language data) returning a :class:`Resolved` whose ``rule`` names the rule that fired,
so a sample's provenance can say why 下周三 became 2023-11-08.
"""
from __future__ import annotations

from dataclasses import dataclass
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
        return self.type not in ("ambiguous", "invalid", "unknown", "ref")

    def as_json(self, text: str) -> dict:
        """The ``callgram resolve --json`` object (RESOLVER_RULES.md, last section)."""
        return {"text": text, "type": self.type, "value": self.value, "flags": list(self.flags)}


def iso(d: date) -> str:
    return d.isoformat()


def add_months(year: int, month: int, k: int) -> tuple[int, int]:
    """The (year, month) ``k`` months after ``year``-``month`` (k may be negative)."""
    m = month - 1 + k
    return year + m // 12, m % 12 + 1
