"""Parts of the day and clock times → "HH:MM" or a ["HH:MM", "HH:MM"] window (RESOLVER_RULES.md)."""
from __future__ import annotations

import re
from functools import lru_cache

from engine.resolve import Resolved
from engine.resolve.numbers import resolve_int

_NUM = r"[0-9０-９零〇一二三四五六七八九十两]+"


def resolve_time(text: str, words: dict, numerals: dict) -> Resolved:
    """A clock time (八点, 晚上8点, 三点半, 8:15) or a part of the day (下午) said on its own."""
    return _Times.get(words, numerals).resolve(text.strip())


class _Times:
    _cache: dict[int, "_Times"] = {}

    @classmethod
    def get(cls, words: dict, numerals: dict) -> "_Times":
        if id(words) not in cls._cache:
            cls._cache[id(words)] = cls(words, numerals)
        return cls._cache[id(words)]

    def __init__(self, words: dict, numerals: dict):
        self.words, self.numerals = words, numerals
        parts = "|".join(sorted(map(re.escape, words["parts"]), key=len, reverse=True))
        hours = "|".join(map(re.escape, words["hour_words"]))
        mins = "|".join(map(re.escape, words["minute_words"]))
        tail = f"(?:({re.escape(words['half'])})|({re.escape(words['quarter'])})|({re.escape(words['three_quarters'])})|({_NUM})(?:{mins})?)?"
        self.re_clock = re.compile(f"^({parts})?({_NUM})(?:{hours}){tail}$")
        self.re_colon = re.compile(f"^({parts})?(\\d{{1,2}})[:：](\\d{{2}})(?:[:：](\\d{{2}}))?$")

    def resolve(self, text: str) -> Resolved:
        return _resolve(self, text)

    def clock(self, part: str | None, hour: int, minute: int) -> Resolved:
        if not (0 <= hour <= 24 and 0 <= minute < 60):
            return Resolved("invalid", None, (), f"no clock time {hour}:{minute:02d}")
        rule = "clock time"
        if part and hour > 12:  # a 24-hour hour: the part of day must agree with it (晚上17点, not 早上20点)
            lo, hi = self.words["parts"][part].get("hours24", [0, -1])
            if not lo <= hour <= hi:
                return Resolved("invalid", None, (), f"{hour}点 contradicts {part}")
            return Resolved("time", f"{hour % 24:02d}:{minute:02d}", (), f"24-hour clock time in the {part}")
        if part:
            shift = self.words["parts"][part]["shift"]
            if shift == "night" and hour == 12:
                hour = 0
                rule = f"{part}12点 is midnight"
            elif shift in ("pm", "night") and hour < 12:
                hour += 12
                rule = f"{part} shifts the hour by 12"
            elif shift == "noon" and hour < 6:
                hour += 12
                rule = f"{part} {hour - 12}点 is after noon"
            else:
                rule = f"clock time in the {part}"
        return Resolved("time", f"{hour % 24:02d}:{minute:02d}", (), rule)


@lru_cache(maxsize=8192)
def _resolve(t: _Times, text: str) -> Resolved:
    parts = t.words["parts"]
    if text in parts:
        return Resolved("time", list(parts[text]["window"]), (), f"part of day {text}")
    m = t.re_colon.match(text)
    if m:
        if m.group(4) is not None and int(m.group(4)) >= 60:
            return Resolved("invalid", None, (), f"no second {m.group(4)}")
        return t.clock(m.group(1), int(m.group(2)), int(m.group(3)))  # seconds dropped
    m = t.re_clock.match(text)
    if m:
        part, h, half, quarter, three_q, mins = m.groups()
        hour = resolve_int(h, t.numerals)
        if hour.type != "int":
            return Resolved("unknown", rule="no hour")
        minute = 30 if half else 15 if quarter else 45 if three_q else 0
        if mins:
            r = resolve_int(mins, t.numerals)
            if r.type != "int":
                return Resolved("unknown", rule="no minutes")
            minute = r.value
        return t.clock(part, hour.value, minute)
    return Resolved("unknown", rule="no time rule matched")
