"""Date words → ISO date or span, by ../shared/RESOLVER_RULES.md, relative to a reference date.

Every word list comes from ``lexicons/<lang>/date_words.toml``; this module only holds the rules.
"""
from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from functools import lru_cache

from engine.resolve import Resolved, add_months, iso
from engine.resolve.numbers import resolve_int
from engine.resolve.periods import PERIOD, resolve_period

_NUM = r"[0-9０-９零〇一二三四五六七八九十百两俩仨]+"


def resolve_date(text: str, today: date, words: dict, numerals: dict, time_words: dict | None = None) -> Resolved:
    """The date or span ``text`` means when said on ``today``.

    With ``time_words``, a day with a time of day (明晚8点, 后天下午) is also read: its date is the value
    and the time rides along as a ``time:HH:MM`` (or ``time:HH:MM-HH:MM``) flag. Periods people ask about
    (这周, 未来三天, 最近, 现在) are read by ``periods`` after every rule here.
    """
    text = text.strip()
    rules = _Rules.get(words, numerals)
    out = rules.resolve(text, today)
    if out.type == "unknown":
        out = _range(rules, text, today)
    if out.type == "unknown" and time_words is not None:
        out = _with_time(rules, text, today, time_words, numerals)
    return out


def _range(rules: "_Rules", text: str, today: date) -> Resolved:
    """``A到B``: a span, both ends inclusive, B read after A (3号到5号, 下周一到周三, 从明天到后天)."""
    body = text
    for p in rules.words["range_prefixes"]:
        if body.startswith(p):
            body = body[len(p):]
            break
    for sep in rules.words["range_words"]:
        left, found, right = body.partition(sep)
        if not found or not left or not right:
            continue
        start = rules.resolve(left, today)
        if start.type == "span":
            start = Resolved("date", start.value[0], start.flags, start.rule)
        if start.type != "date":
            return start if start.type in ("ambiguous", "invalid") else Resolved("unknown", rule="range start is not a date")
        first = date.fromisoformat(start.value)
        end = rules.resolve(right, today)
        if end.type == "span":
            end = Resolved("date", end.value[1], end.flags, end.rule)
        if end.type != "date" or end.value < start.value:
            end = rules.resolve(right, first)  # read the end from the start: 3号到5号 said on the 4th
            if end.type == "span":
                end = Resolved("date", end.value[1], end.flags, end.rule)
        if end.type == "ambiguous" and end.value and isinstance(end.value[0], str):
            end = Resolved("date", end.value[0], (), end.rule + "; the range's end falls on or after its start")
        if end.type != "date" or end.value < start.value:
            return Resolved("invalid", None, (), f"range end {right!r} is not a date after {left!r}")
        flags = ("past",) if start.value < today.isoformat() else ()
        return Resolved("span", [start.value, end.value], flags, f"range {left}{sep}{right}: {start.rule} / {end.rule}")
    return Resolved("unknown", rule="no date rule matched")


def _with_time(rules: "_Rules", text: str, today: date, time_words: dict, numerals: dict) -> Resolved:
    from engine.resolve.times import resolve_time

    for word, (offset, part) in time_words["day_parts"].items():
        if text.startswith(word):
            rest = text[len(word):]
            t = resolve_time(part + rest, time_words, numerals)
            if t.type == "time":
                return _dated_with(today + timedelta(days=offset), today, t, f"{word} = T{offset:+d} {part}; {t.rule}")
            if t.type == "invalid":  # 今早20点: the hour contradicts the part of day
                return t
    for cut in range(len(text) - 1, 0, -1):
        d = rules.resolve(text[:cut], today)
        if d.type in ("ambiguous", "invalid") and resolve_time(text[cut:], time_words, numerals).type == "time":
            return d
        if d.type == "date" and {"now", "soon"} & set(d.flags) and resolve_time(text[cut:], time_words, numerals).type != "unknown":
            return Resolved("invalid", None, (), f"{d.rule}: a moment (现在, 两小时后) takes no time of day")
        if d.type == "date" or (d.type == "span" and not d.rule.startswith(PERIOD)):
            t = resolve_time(text[cut:], time_words, numerals)
            if t.type == "time":
                day = date.fromisoformat(d.value if d.type == "date" else d.value[0])
                return _dated_with(day, today, t, f"{d.rule}; {t.rule}")
            if t.type in ("ambiguous", "invalid"):
                return t
    return Resolved("unknown", rule="no date rule matched")


def _dated_with(day: date, today: date, t: Resolved, rule: str) -> Resolved:
    when = t.value if isinstance(t.value, str) else "-".join(t.value)
    flags = (("past",) if day < today else ()) + (f"time:{when}",)
    return Resolved("date", iso(day), flags, rule)


class _Rules:
    """Regexes compiled once per word table."""

    _cache: dict[int, "_Rules"] = {}

    @classmethod
    def get(cls, words: dict, numerals: dict) -> "_Rules":
        key = id(words)
        if key not in cls._cache:
            cls._cache[key] = cls(words, numerals)
        return cls._cache[key]

    def __init__(self, words: dict, numerals: dict):
        self.words = words
        self.numerals = numerals
        self.relative = words["relative_days"]
        self.weekdays = words["weekdays"]
        self.week_offsets = words["week_offsets"]
        alt = lambda xs: "|".join(sorted(map(re.escape, xs), key=len, reverse=True))  # noqa: E731
        self.re_weekday = re.compile(f"^({alt(self.week_offsets)})?({alt(words['week_words'])})({alt(self.weekdays)})$")
        self.re_weekend = re.compile(f"^({alt(self.week_offsets)})?({alt(words['weekend_words'])})$")
        self.re_after_days = re.compile(f"^(?:过)?({_NUM})(?:{alt(words['day_units'])})(?:{alt(words['after_words'])})?$")
        self.re_after_weeks = re.compile(f"^({_NUM})(?:个)?(?:{alt(words['week_units'])})(?:{alt(words['after_words'])})$")
        self.re_day_of_month = re.compile(f"^({alt(words['month_offsets'])})?({_NUM})(?:号|日)$")
        self.re_month_day = re.compile(f"^(?:({_NUM})年)?({_NUM})月({_NUM})(?:号|日)?$")
        self.re_iso = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
        self.re_slash = re.compile(r"^(\d{1,2})/(\d{1,2})$")

    def _int(self, s: str) -> int | None:
        r = resolve_int(s, self.numerals)
        return r.value if r.type == "int" else None

    def resolve(self, text: str, today: date) -> Resolved:
        return _resolve_cached(self, text, today)


@lru_cache(maxsize=65536)
def _resolve_cached(rules: _Rules, text: str, today: date) -> Resolved:
    for rule in (_relative_day, _weekday, _weekend, _after, _day_of_month, _month_day, _literal, _month_end, _holiday):
        out = rule(rules, text, today)
        if out is not None:
            return out
    out = resolve_period(text, today, rules.words, rules.numerals)
    return out if out is not None else Resolved("unknown", rule="no date rule matched")


def _dated(d: date, today: date, rule: str) -> Resolved:
    return Resolved("date", iso(d), ("past",) if d < today else (), rule)


def _relative_day(r: _Rules, text: str, today: date) -> Resolved | None:
    if text in r.relative:
        n = r.relative[text]
        return _dated(today + timedelta(days=n), today, f"relative day {text} = T{n:+d}")
    return None


def _weekday(r: _Rules, text: str, today: date) -> Resolved | None:
    m = r.re_weekday.match(text)
    if not m:
        return None
    prefix, _, day = m.groups()
    wd = r.weekdays[day]
    monday = today - timedelta(days=today.isoweekday() - 1)
    if prefix is None:
        ahead = (wd - today.isoweekday()) % 7
        first = today + timedelta(days=ahead)
        if ahead == 0:
            return Resolved("ambiguous", [iso(first), iso(first + timedelta(days=7))], (), f"bare weekday {text} said on that weekday")
        return _dated(first, today, f"bare weekday {text}: first day >= T")
    weeks = r.week_offsets[prefix]
    target = monday + timedelta(days=7 * weeks + wd - 1)
    if weeks == 1 and today.isoweekday() == 7:
        later = target + timedelta(days=7)
        return Resolved("ambiguous", [iso(target), iso(later)], (), f"{prefix}X said on a Sunday")
    return _dated(target, today, f"week offset {prefix} = {weeks:+d}, weekday {wd}")


def _weekend(r: _Rules, text: str, today: date) -> Resolved | None:
    m = r.re_weekend.match(text)
    if not m:
        return None
    prefix, word = m.groups()
    monday = today - timedelta(days=today.isoweekday() - 1)
    if word in r.words["weekend_pair_words"]:
        sat = monday + timedelta(days=5)
        if sat + timedelta(days=1) < today:
            sat += timedelta(days=7)
        weeks = r.week_offsets[prefix] if prefix else 0
        sat += timedelta(days=7 * weeks)
        return Resolved("span", [iso(sat), iso(sat + timedelta(days=1))], (), "weekend pair: first weekend ending >= T")
    weeks = r.week_offsets[prefix] if prefix else 0
    sat = monday + timedelta(days=5 + 7 * weeks)
    span = [iso(sat), iso(sat + timedelta(days=1))]
    if prefix is None and today.isoweekday() >= 6:
        nxt = sat + timedelta(days=7)
        return Resolved("ambiguous", [span, [iso(nxt), iso(nxt + timedelta(days=1))]], (), "bare 周末 said on a weekend")
    flags = ("past",) if sat + timedelta(days=1) < today else ()
    return Resolved("span", span, flags, f"weekend of week {weeks:+d}")


def _after(r: _Rules, text: str, today: date) -> Resolved | None:
    m = r.re_after_days.match(text)
    if m and (text.startswith("过") or any(text.endswith(w) for w in r.words["after_words"])):
        n = r._int(m.group(1))
        if n is not None:
            return _dated(today + timedelta(days=n), today, f"N days later: T+{n}")
    m = r.re_after_weeks.match(text)
    if m:
        n = r._int(m.group(1))
        if n is not None:
            return _dated(today + timedelta(days=7 * n), today, f"N weeks later: T+7*{n}")
    return None


def _day_of_month(r: _Rules, text: str, today: date) -> Resolved | None:
    m = r.re_day_of_month.match(text)
    if not m:
        return None
    prefix, num = m.groups()
    day = r._int(num)
    if day is None:
        return None
    if prefix:
        y, mo = add_months(today.year, today.month, r.words["month_offsets"][prefix])
        rule = f"{prefix}N号"
    else:
        y, mo = today.year, today.month
        if day < today.day:
            y, mo = add_months(y, mo, 1)
        rule = "N号: this month if >= T, else next month"
    if not 1 <= day <= calendar.monthrange(y, mo)[1]:
        return Resolved("invalid", None, (), f"{y}-{mo:02d} has no day {day}")
    return _dated(date(y, mo, day), today, rule)


def _month_day(r: _Rules, text: str, today: date) -> Resolved | None:
    m = r.re_month_day.match(text)
    if not m:
        return None
    ys, ms, ds = m.groups()
    month, day = r._int(ms), r._int(ds)
    year = r._int(ys) if ys else None
    if month is None or day is None or (ys and year is None):
        return None
    return _calendar_date(year, month, day, today, "M月N日")


def _calendar_date(year: int | None, month: int, day: int, today: date, rule: str) -> Resolved:
    if not 1 <= month <= 12:
        return Resolved("invalid", None, (), f"no month {month}")
    if year is not None:
        if not 1 <= day <= calendar.monthrange(year, month)[1]:
            return Resolved("invalid", None, (), f"{year}-{month:02d} has no day {day}")
        return _dated(date(year, month, day), today, f"{rule} with year, literal")
    for y in (today.year, today.year + 1):
        if day <= calendar.monthrange(y, month)[1] and date(y, month, day) >= today:
            return _dated(date(y, month, day), today, f"{rule}: first occurrence >= T")
    if month == 2 and day == 29:
        return Resolved("invalid", None, (), "no 2月29日 in this year or the next")
    if not 1 <= day <= calendar.monthrange(today.year, month)[1]:
        return Resolved("invalid", None, (), f"month {month} has no day {day}")
    return _dated(date(today.year + 1, month, day), today, f"{rule}: next year")


def _literal(r: _Rules, text: str, today: date) -> Resolved | None:
    m = r.re_iso.match(text)
    if m:
        y, mo, d = map(int, m.groups())
        return _calendar_date(y, mo, d, today, "ISO date")
    m = r.re_slash.match(text)
    if m:
        mo, d = map(int, m.groups())
        return _calendar_date(None, mo, d, today, "M/D")
    return None


def _month_end(r: _Rules, text: str, today: date) -> Resolved | None:
    k = r.words["month_end"].get(text)
    if k is None:
        return None
    y, mo = add_months(today.year, today.month, k)
    return _dated(date(y, mo, calendar.monthrange(y, mo)[1]), today, f"month end, month {k:+d}")


def _holiday(r: _Rules, text: str, today: date) -> Resolved | None:
    from engine.resolve.holidays import holiday_date

    prefix = ""
    for p in r.words["year_prefixes"]:
        if text.startswith(p) and text[len(p):] in r.words["holidays"]:
            prefix, text = p, text[len(p):]
            break
    if text not in r.words["holidays"]:
        return None
    spec = r.words["holidays"][text]
    if prefix:
        year = today.year + r.words["year_prefixes"][prefix]
        d = holiday_date(spec, year)
        return _dated(d, today, f"{prefix}{text}: literal year")
    for year in (today.year, today.year + 1):
        d = holiday_date(spec, year)
        if d >= today:
            return _dated(d, today, f"holiday {text}: first occurrence >= T")
    return None  # pragma: no cover - every holiday recurs within a year
