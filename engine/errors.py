"""One exception family for every user mistake: always located, never a traceback."""
from __future__ import annotations

import difflib
from pathlib import Path


class CallgramError(Exception):
    """A problem in user input, located as ``file:line:col: message``."""

    def __init__(self, message: str, file: str | Path | None = None, line: int = 0, col: int = 0):
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.col = col

    def __str__(self) -> str:
        if self.file is None:
            return self.message
        where = self.file
        if self.line:
            where += f":{self.line}:{self.col or 1}"
        return f"{where}: {self.message}"


class ErrorList(CallgramError):
    """Several problems collected before reporting (lint mode)."""

    def __init__(self, errors: list[CallgramError]):
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


def did_you_mean(name: str, choices) -> str:
    """' (did you mean X?)' for the closest choice, or ''."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def locate(text: str, needle: str, start: int = 0) -> tuple[int, int]:
    """(line, col), 1-based, of the first ``needle`` in ``text`` at or after ``start``; (1, 1) if absent."""
    pos = text.find(needle, start)
    if pos < 0:
        return 1, 1
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, col
