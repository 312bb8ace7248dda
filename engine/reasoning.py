"""A short rationale for an assistant call (``reasoning_content``, when the config asks for it), built only
from what fired: the sample's today, each form said and the value a lexicon or resolver rule gave it, a
place or day taken from an earlier turn, and a profile field. Never any text of its own."""
from __future__ import annotations

from datetime import date


class Rationale:
    """Renders rationales with the templates of ``replies.toml [reasoning]``."""

    def __init__(self, lexicons):
        self.t = lexicons.table("replies")["reasoning"]
        self.weekdays = lexicons.table("date_words")["weekday_names"]

    def text(self, today: date, said: list[tuple[str, object]], profile: list[tuple[str, object]] = ()) -> str:
        """``said``: (surface, value) of each form whose value differs from how it was said; ``profile``:
        (field, value) of each argument the user's profile gave."""
        facts = [self.t["said"].format(surface=s, value=_shown(v)) for s, v in said if str(s) != str(v)]
        facts += [self.t["profile"].format(field=f, value=v) for f, v in profile]
        head = self.t["today"].format(date=today.isoformat(), weekday=self.weekdays[today.weekday()])
        return head + (self.t["sep"] + self.t["sep"].join(facts) if facts else "")


def _shown(value) -> str:
    """A span as its two ends (2023-11-03~2023-11-05), anything else as itself."""
    return f"{value[0]}~{value[-1]}" if isinstance(value, list) and value else str(value)
