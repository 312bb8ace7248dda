"""Periods people ask about (weather, "what's available"): 这周, 下个月, 九月, 未来三天, 一周内, 最近, 现在,
三个月后, 两小时后 → a span, a date or a vague question, by RESOLVER_RULES.md "Periods people ask about".

Every word comes from ``lexicons/<lang>/date_words.toml``; the date resolver (``dates``) tries these rules
after its own, so its ranges (这周到下周) read periods too.
"""
from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from engine.resolve import Resolved, add_months, iso
from engine.resolve.numbers import resolve_int

_NUM = r"[0-9０-９零〇一二三四五六七八九十百两俩仨]+"
# Every period's rule starts with this, so that a period with a time of day (下周晚上) is not read as its
# first day at that time.
PERIOD = "period"


def resolve_period(text: str, today: date, words: dict, numerals: dict) -> Resolved | None:
    """The period ``text`` names when said on ``today``; None when it names none."""
    r = _Periods.get(words, numerals)
    for rule in (_now, _vague, _week_period, _month_period, _days_period, _months_after, _soon):
        out = rule(r, text, today)
        if out is not None:
            return out
    return None


class _Periods:
    """Regexes compiled once per word table."""

    _cache: dict[int, "_Periods"] = {}

    @classmethod
    def get(cls, words: dict, numerals: dict) -> "_Periods":
        if id(words) not in cls._cache:
            cls._cache[id(words)] = cls(words, numerals)
        return cls._cache[id(words)]

    def __init__(self, words: dict, numerals: dict):
        self.words, self.numerals = words, numerals
        self.week_offsets = words["week_offsets"]
        alt = lambda xs: "|".join(sorted(map(re.escape, xs), key=len, reverse=True))  # noqa: E731
        # A vague numeral (几) is matched so that 未来几天 is refused as vague, not left unread.
        num_or_vague = f"[0-9０-９零〇一二三四五六七八九十百两俩仨{''.join(numerals.get('vague', []))}]+"
        self.re_week_period = re.compile(f"^({alt(self.week_offsets)})({alt(words['week_words'])})$")
        self.re_month_period = re.compile(f"^({_NUM}){re.escape(words['month_word'])}$")
        units = f"({alt(words['day_units'])})|(?:个)?({alt(words['week_units'])})"
        self.re_days_period = re.compile(f"^({alt(words['period_prefixes'])})?({num_or_vague})(?:{units})({alt(words['period_suffixes'])})?$")
        half = alt(words["half_words"])
        self.re_months_after = re.compile(f"^({_NUM}|{half})(?:{alt(words['month_units'])})(?:{alt(words['after_words'])})$")
        self.re_soon = re.compile(f"^({num_or_vague})({alt(words['soon_units'])})(?:{alt(words['soon_words'])})$")
        self.re_soon_half = re.compile(f"^({half})({alt(words['soon_units'])})(?:{alt(words['soon_words'])})$")


def _int(r: _Periods, s: str) -> int | None:
    n = resolve_int(s, r.numerals)
    return n.value if n.type == "int" else None


def _dated(d: date, today: date, rule: str) -> Resolved:
    return Resolved("date", iso(d), ("past",) if d < today else (), rule)


def _vague(r: _Periods, text: str, today: date) -> Resolved | None:
    if text in r.words["vague_periods"]:
        return Resolved("ambiguous", [], ("vague",), f"{PERIOD} {text}: no length, vague")
    return None


def _now(r: _Periods, text: str, today: date) -> Resolved | None:
    if text in r.words["now_words"]:
        return Resolved("date", iso(today), ("now",), f"{PERIOD} {text}: today, now")
    return None


def _week_period(r: _Periods, text: str, today: date) -> Resolved | None:
    m = r.re_week_period.match(text)
    if not m:
        return None
    weeks = r.week_offsets[m.group(1)]
    monday = today - timedelta(days=today.isoweekday() - 1) + timedelta(days=7 * weeks)
    sunday = monday + timedelta(days=6)
    if weeks == 0:
        return Resolved("span", [iso(today), iso(sunday)], (), f"{PERIOD} this week: T to Sunday")
    if weeks == 1 and today.isoweekday() == 7:
        later = [iso(monday + timedelta(days=7)), iso(sunday + timedelta(days=7))]
        return Resolved("ambiguous", [[iso(monday), iso(sunday)], later], (), f"{PERIOD} {text} said on a Sunday")
    flags = ("past",) if sunday < today else ()
    return Resolved("span", [iso(monday), iso(sunday)], flags, f"{PERIOD} week {weeks:+d}: Monday to Sunday")


def _month_span(year: int, month: int, today: date, rule: str) -> Resolved:
    """A whole month, from today when today is inside it."""
    first, last = date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    return Resolved("span", [iso(max(first, today)), iso(last)], ("past",) if last < today else (), rule)


def _month_period(r: _Periods, text: str, today: date) -> Resolved | None:
    if text in r.words["month_offsets"]:
        k = r.words["month_offsets"][text]
        y, mo = add_months(today.year, today.month, k)
        return _month_span(y, mo, today, f"{PERIOD} month {k:+d}")
    m = r.re_month_period.match(text)
    if not m:
        return None
    month = _int(r, m.group(1))
    if month is None:
        return None
    if not 1 <= month <= 12:
        return Resolved("invalid", None, (), f"no month {month}")
    year = today.year + (1 if month < today.month else 0)
    return _month_span(year, month, today, f"{PERIOD} month {month}: this year's unless ended")


def _days_period(r: _Periods, text: str, today: date) -> Resolved | None:
    m = r.re_days_period.match(text)
    if not m:
        return None
    prefix, num, day_unit, week_unit, suffix = m.groups()
    if prefix is None and suffix is None:
        return None
    n = resolve_int(num, r.numerals)
    if n.type == "ambiguous":
        return Resolved("ambiguous", [], ("vague",), f"{PERIOD} {text}: no number of days, vague")
    if n.type != "int":
        return None
    days = n.value * (7 if week_unit else 1)
    if days < 1:
        return Resolved("invalid", None, (), f"{PERIOD} of {days} days")
    return Resolved("span", [iso(today), iso(today + timedelta(days=days - 1))], (), f"{PERIOD} next {days} days: T to T+{days - 1}")


def _months_after(r: _Periods, text: str, today: date) -> Resolved | None:
    m = r.re_months_after.match(text)
    if not m:
        return None
    if m.group(1) in r.words["half_words"]:
        n = r.words["half_month_days"]
        return _dated(today + timedelta(days=n), today, f"half a month later: T+{n}")
    k = _int(r, m.group(1))
    if k is None:
        return None
    y, mo = add_months(today.year, today.month, k)
    day = min(today.day, calendar.monthrange(y, mo)[1])
    return _dated(date(y, mo, day), today, f"N months later: T+{k} calendar months, day clamped to the month's last")


def _soon(r: _Periods, text: str, today: date) -> Resolved | None:
    m = r.re_soon_half.match(text)
    if m:
        minutes = r.words["soon_units"][m.group(2)] / 2
    else:
        m = r.re_soon.match(text)
        if not m:
            return None
        n = resolve_int(m.group(1), r.numerals)
        unit = r.words["soon_units"][m.group(2)]
        if n.type == "ambiguous" and unit < 60:  # 几分钟后, 十几分钟内: no number, but surely today
            return Resolved("date", iso(today), ("soon",), f"{text}: some minutes ahead, still today")
        if n.type == "ambiguous":  # 几个小时后 may or may not cross midnight
            return Resolved("ambiguous", [], ("vague",), f"{text}: no number of hours, vague")
        if n.type != "int":
            return None
        minutes = n.value * unit
    if minutes >= r.words["soon_day_minutes"]:
        return Resolved("unknown", rule=f"{text}: a day or more ahead, not 'soon'")
    return Resolved("date", iso(today), ("soon",), f"{text}: hours or minutes ahead, still today")
