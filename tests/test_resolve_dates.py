"""Date resolver: table of (reference date, text) → (type, value), by ../shared/RESOLVER_RULES.md."""
from __future__ import annotations

from datetime import date

import pytest

from engine.resolve.dates import resolve_date

SUN = "2023-10-29"  # Sunday
WED = "2023-11-01"  # Wednesday
SAT = "2023-10-28"  # Saturday
MONTH_END = "2024-01-31"
LEAP = "2024-02-29"

CASES = [
    # relative days
    (SUN, "今天", "date", "2023-10-29"),
    (SUN, "明天", "date", "2023-10-30"),
    (SUN, "后天", "date", "2023-10-31"),
    (SUN, "大后天", "date", "2023-11-01"),
    (SUN, "大大后天", "date", "2023-11-02"),
    (SUN, "昨天", "date", "2023-10-28"),
    (MONTH_END, "明天", "date", "2024-02-01"),
    ("2023-12-31", "明天", "date", "2024-01-01"),
    # N days / weeks later
    (SUN, "3天后", "date", "2023-11-01"),
    (SUN, "三天后", "date", "2023-11-01"),
    (SUN, "两天以后", "date", "2023-10-31"),
    (SUN, "过两天", "date", "2023-10-31"),
    (SUN, "十天之后", "date", "2023-11-08"),
    (SUN, "一周后", "date", "2023-11-05"),
    (SUN, "两个星期后", "date", "2023-11-12"),
    # this week / next week
    (WED, "这周五", "date", "2023-11-03"),
    (WED, "本周一", "date", "2023-10-30"),
    (WED, "这个星期六", "date", "2023-11-04"),
    (WED, "下周三", "date", "2023-11-08"),
    (WED, "下个星期一", "date", "2023-11-06"),
    (WED, "下礼拜天", "date", "2023-11-12"),
    (WED, "下下周一", "date", "2023-11-13"),
    (WED, "上周五", "date", "2023-10-27"),
    (SUN, "下周一", "ambiguous", ["2023-10-30", "2023-11-06"]),
    (SAT, "下周一", "date", "2023-10-30"),
    # bare weekdays
    (WED, "周五", "date", "2023-11-03"),
    (WED, "星期一", "date", "2023-11-06"),
    (WED, "周三", "ambiguous", ["2023-11-01", "2023-11-08"]),
    (SUN, "周日", "ambiguous", ["2023-10-29", "2023-11-05"]),
    (SUN, "礼拜六", "date", "2023-11-04"),
    # weekends
    (WED, "周末", "span", ["2023-11-04", "2023-11-05"]),
    (WED, "这周末", "span", ["2023-11-04", "2023-11-05"]),
    (WED, "下周末", "span", ["2023-11-11", "2023-11-12"]),
    (SAT, "周末", "ambiguous", [["2023-10-28", "2023-10-29"], ["2023-11-04", "2023-11-05"]]),
    (SAT, "这周末", "span", ["2023-10-28", "2023-10-29"]),
    (WED, "周六日", "span", ["2023-11-04", "2023-11-05"]),
    # day of month
    (WED, "5号", "date", "2023-11-05"),
    (WED, "1号", "date", "2023-11-01"),
    ("2023-11-20", "5号", "date", "2023-12-05"),
    (MONTH_END, "30号", "invalid", None),  # next month is February
    (WED, "下个月3号", "date", "2023-12-03"),
    # month/day
    (WED, "12月25日", "date", "2023-12-25"),
    (WED, "3月1号", "date", "2024-03-01"),
    (WED, "11月1日", "date", "2023-11-01"),
    (WED, "2月29日", "date", "2024-02-29"),
    ("2024-03-01", "2月29日", "invalid", None),
    (WED, "2月30日", "invalid", None),
    (WED, "2024年5月1日", "date", "2024-05-01"),
    (WED, "2023-12-24", "date", "2023-12-24"),
    (WED, "12/24", "date", "2023-12-24"),
    # month end
    (WED, "月底", "date", "2023-11-30"),
    (LEAP, "月底", "date", "2024-02-29"),
    (WED, "下个月底", "date", "2023-12-31"),
    # holidays (fixed dates; lunar ones are checked against published dates in test_resolve_holidays)
    (WED, "元旦", "date", "2024-01-01"),
    (WED, "国庆", "date", "2024-10-01"),
    ("2023-09-30", "国庆节", "date", "2023-10-01"),
    (WED, "圣诞节", "date", "2023-12-25"),
    (WED, "明年五一", "date", "2024-05-01"),
    # not dates
    (WED, "随便哪天", "unknown", None),
    (WED, "", "unknown", None),
]


@pytest.mark.parametrize(("today", "text", "typ", "value"), CASES, ids=[f"{c[0]}-{c[1] or 'empty'}" for c in CASES])
def test_resolve_date(project, today, text, typ, value):
    words, numerals = project.lexicons.table("date_words"), project.lexicons.table("numerals")
    r = resolve_date(text, date.fromisoformat(today), words, numerals)
    assert r.type == typ, r.rule
    if value is not None:
        assert r.value == value
    assert r.rule


def test_past_dates_are_flagged(project):
    words, numerals = project.lexicons.table("date_words"), project.lexicons.table("numerals")
    assert "past" in resolve_date("昨天", date(2023, 10, 29), words, numerals).flags
    assert "past" in resolve_date("上周五", date(2023, 11, 1), words, numerals).flags
    assert "past" not in resolve_date("明天", date(2023, 10, 29), words, numerals).flags
