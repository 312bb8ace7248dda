"""``callgram lint``: every problem in grammars, lexicons and tools (engine/checks.py), collected before reporting."""
from __future__ import annotations

from pathlib import Path

from engine.checks import check
from engine.errors import CallgramError


def lint(root: Path | str = ".") -> list[CallgramError]:
    """All problems found; an empty list means the project is clean."""
    return check(root)
