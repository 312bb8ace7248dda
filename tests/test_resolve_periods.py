"""Periods people ask about, minutes and 24-hour clock forms, and dates with a time of day
(RESOLVER_RULES.md), each form checked on every reference date against a small independent oracle.

The oracle reads the rules with python-dateutil (relativedelta, weekday anchors) and day-by-day scans,
never through engine.resolve, so a wrong rule in the resolver cannot also be the expected value.
"""
from __future__ import annotations

import io
import json
from datetime import date, timedelta
from typing import Callable

import pytest
from dateutil.relativedelta import MO, SU, relativedelta

from engine.cli import main
from engine.resolve.expression import ResolveContext, resolve_expression

# Chosen for the edges: Sunday (下周 is ambiguous, 这周 is one day), Monday, month ends in a leap and a
# common year (N个月后 clamps to 02-29 / 02-28), February's last days, year ends (下个月, M月 roll over),
# days inside a named month (九月 from T), a Saturday at a month's end.
REFS = [
    "2023-10-29",  # Sunday
    "2023-10-30",  # Monday
    "2023-01-31",  # month end, common year
    "2024-01-31",  # month end, leap year
    "2024-02-29",  # leap day
    "2023-02-28",  # February's end, common year
    "2025-12-28",  # Sunday in the year's last week
    "2025-12-31",  # year end
    "2024-09-10",  # inside September
    "2024-11-30",  # Saturday, November's last day
]

Expected = tuple[str, object, list[str]]


def _d(d: date) -> str:
    return d.isoformat()


def _this_monday(t: date) -> date:
    return t + relativedelta(weekday=MO(-1))


def _week(t: date, weeks: int) -> list[str]:
    monday = _this_monday(t) + timedelta(weeks=weeks)
    return [_d(monday), _d(monday + relativedelta(weekday=SU(+1)))]


def _next_week(t: date) -> Expected:
    if t.isoweekday() == 7:
        return ("ambiguous", [_week(t, 1), _week(t, 2)], [])
    return ("span", _week(t, 1), [])


def _named_month(month: int) -> Callable[[date], Expected]:
    """The first run of days in ``month`` from T on: this year's month (from T), else next year's."""
    def oracle(t: date) -> Expected:
        days = [t + timedelta(days=i) for i in range(400)]
        start = next(d for d in days if d.month == month)
        end = start
        while (end + timedelta(days=1)).month == month:
            end += timedelta(days=1)
        return ("span", [_d(start), _d(end)], [])
    return oracle


def _first_on_or_after(month: int, day: int) -> Callable[[date], Expected]:
    def oracle(t: date) -> Expected:
        d = next(t + timedelta(days=i) for i in range(800) if (t + timedelta(days=i)).month == month and (t + timedelta(days=i)).day == day)
        return ("date", _d(d), [])
    return oracle


def _sunday(t: date) -> Expected:
    if t.isoweekday() == 7:
        return ("ambiguous", [_d(t), _d(t + timedelta(days=7))], [])
    return ("date", _d(t + relativedelta(weekday=SU(+1))), [])


def _span_days(n: int) -> Callable[[date], Expected]:
    return lambda t: ("span", [_d(t), _d(t + timedelta(days=n - 1))], [])


def _months_later(n: int) -> Callable[[date], Expected]:
    return lambda t: ("date", _d(t + relativedelta(months=n)), [])  # relativedelta clamps to the month's end


def _day_at(offset: int, when: str) -> Callable[[date], Expected]:
    return lambda t: ("date", _d(t + timedelta(days=offset)), [f"time:{when}"])


def _const(typ: str, value: object, flags: list[str] | None = None) -> Callable[[date], Expected]:
    return lambda t: (typ, value, flags or [])


THIS_WEEK = lambda t: ("span", [_d(t), _week(t, 0)[1]], [])  # noqa: E731
THIS_MONTH = lambda t: ("span", [_d(t), _d(t + relativedelta(day=31))], [])  # noqa: E731
NEXT_MONTH = lambda t: ("span", [_d(t + relativedelta(months=1, day=1)), _d(t + relativedelta(months=1, day=31))], [])  # noqa: E731
NOW = lambda t: ("date", _d(t), ["now"])  # noqa: E731
SOON = lambda t: ("date", _d(t), ["soon"])  # noqa: E731
VAGUE = _const("ambiguous", [], ["vague"])

FORMS: dict[str, Callable[[date], Expected]] = {
    # weeks
    **dict.fromkeys(["这周", "本周", "这个星期", "这礼拜", "本星期"], THIS_WEEK),
    **dict.fromkeys(["下周", "下个星期", "下礼拜"], _next_week),
    "下下周": lambda t: ("span", _week(t, 2), []),
    # months
    **dict.fromkeys(["这个月", "本月"], THIS_MONTH),
    **dict.fromkeys(["下个月", "下月"], NEXT_MONTH),
    "九月": _named_month(9), "9月": _named_month(9), "十一月": _named_month(11), "十二月": _named_month(12),
    "1月": _named_month(1), "二月": _named_month(2), "十三月": _const("invalid", None),
    # the next N days / weeks
    "未来3天": _span_days(3), "接下来十四天": _span_days(14), "两天内": _span_days(2), "10天以内": _span_days(10),
    "五天之内": _span_days(5), "这两天": _span_days(2), "近7天": _span_days(7), "最近三天": _span_days(3),
    "未来十五天": _span_days(15), "未来１天": _span_days(1),
    **dict.fromkeys(["未来一周", "这一周", "一周内", "最近一周", "接下来一个星期"], _span_days(7)),
    "未来两周": _span_days(14),
    # vague, now, later
    **dict.fromkeys(["最近", "这几天", "近几天", "近期", "这阵子", "过几天", "未来几天"], VAGUE),
    **dict.fromkeys(["现在", "目前", "此刻", "当前", "眼下"], NOW),
    "一个月后": _months_later(1), "两个月以后": _months_later(2), "3个月后": _months_later(3),
    "十一个月之后": _months_later(11), "十二个月后": _months_later(12),
    "半个月后": lambda t: ("date", _d(t + timedelta(days=15)), []),
    **dict.fromkeys(["3小时后", "两小时内", "十分钟后", "30分钟内", "半小时后", "两个小时以后", "几分钟后"], SOON),
    "几个小时后": VAGUE, "48小时后": _const("unknown", None),
    # minutes and 24-hour clock times
    **dict.fromkeys(["17点30分", "17点半", "17:30", "17：30", "晚上17点30分", "傍晚17点半"], _const("time", "17:30")),
    "15:19:29": _const("time", "15:19"), "下午15点": _const("time", "15:00"), "中午13点": _const("time", "13:00"),
    "晚上23点": _const("time", "23:00"), "下午七点": _const("time", "19:00"), "早上6点": _const("time", "06:00"),
    "早上20点": _const("invalid", None), "凌晨15点": _const("invalid", None), "上午14点": _const("invalid", None),
    "下午21点": _const("invalid", None), "15:19:75": _const("invalid", None),
    "凌晨": _const("time", ["00:00", "06:00"]), "晚上": _const("time", ["18:00", "24:00"]),
    # a day with a part of day or a time
    "明天晚上": _day_at(1, "18:00-24:00"), "后天早上8点": _day_at(2, "08:00"), "今晚7点": _day_at(0, "19:00"),
    "后天晚上9点15分": _day_at(2, "21:15"), "明天晚上17点30分": _day_at(1, "17:30"), "今天下午": _day_at(0, "12:00-18:00"),
    "明天中午": _day_at(1, "11:00-13:00"), "明天15:19:29": _day_at(1, "15:19"),
    "明天早上20点": _const("invalid", None), "今早20点": _const("invalid", None),
    # a moment takes no part of day: 现在晚上 is no date phrase (generation never writes it)
    **dict.fromkeys(["现在晚上", "目前早上", "两小时后晚上", "十分钟后下午"], _const("invalid", None)),
    # months and days in Chinese numerals, Sundays, this weekend
    "九月二十号": _first_on_or_after(9, 20), "十月一号": _first_on_or_after(10, 1), "八月十一日": _first_on_or_after(8, 11),
    "十二月三十一号": _first_on_or_after(12, 31), "二月二十八日": _first_on_or_after(2, 28),
    "星期天": _sunday, "礼拜天": _sunday, "周日": _sunday,
    "这个周末": lambda t: ("span", [_d(_this_monday(t) + timedelta(days=5)), _week(t, 0)[1]], []),
}

CASES = [pytest.param(today, text, id=f"{today}-{text}") for text in FORMS for today in REFS]


@pytest.fixture(scope="module")
def ctx(project):
    return ResolveContext.from_lexicons(project.lexicons)


def test_refs_hit_the_edges():
    days = [date.fromisoformat(d) for d in REFS]
    assert {d.isoweekday() for d in days} >= {1, 6, 7}
    assert any(d.month == 2 and d.day == 29 for d in days) and any(d.month == 12 and d.day >= 28 for d in days)
    assert any((d + timedelta(days=1)).day == 1 for d in days if d.month == 1)


@pytest.mark.parametrize(("today", "text"), CASES)
def test_period(ctx, today, text):
    t = date.fromisoformat(today)
    r = resolve_expression(text, t, ctx)
    assert [r.type, r.value, list(r.flags)] == list(FORMS[text](t)), r.rule


def test_spans_fill_one_date_with_their_first_day(ctx):
    """Every period that is a span starts on or after today: nothing past is offered for weather. (这个周末
    said on a Sunday is the weekend rule's Sat–Sun of T's week, not a period.)"""
    for text in FORMS:
        if text == "这个周末":
            continue
        for today in REFS:
            r = resolve_expression(text, date.fromisoformat(today), ctx)
            if r.type == "span":
                assert today <= r.value[0] <= r.value[1] and "past" not in r.flags, text


def test_command_prints_the_documented_types(monkeypatch, capsys):
    lines = ["这周", "下周", "九月", "未来3天", "最近", "现在", "3小时后", "17点30分", "早上20点", "明天晚上17点30分"]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    assert main(["resolve", "--today", "2023-10-29", "--json"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["type"] for r in rows] == ["span", "ambiguous", "span", "span", "ambiguous", "date", "date", "time", "invalid", "date"]
    assert rows[4] == {"text": "最近", "type": "ambiguous", "value": [], "flags": ["vague"]}
    assert rows[5]["flags"] == ["now"] and rows[6]["flags"] == ["soon"]
    assert rows[9] == {"text": "明天晚上17点30分", "type": "date", "value": "2023-10-30", "flags": ["time:17:30"]}
