"""Derived bindings (x-derived): nights and spans set hotel check-in/check-out; check_out is always later."""
from __future__ import annotations

from datetime import date

import pytest

from engine.compose import Composer
from engine.config import GenerateConfig
from engine.derive import each_day, finalize, provides
from engine.parse import UtteranceParser


@pytest.fixture(scope="module")
def hotels(project):
    return project.tools["search_hotels"]


def test_nights_set_check_out(hotels):
    assert finalize(hotels, {"city": "上海", "check_in": "2023-12-30", "nights": 3}) == {"city": "上海", "check_in": "2023-12-30", "check_out": "2024-01-02"}


def test_span_sets_both(hotels):
    assert finalize(hotels, {"city": "上海", "stay": ["2023-11-04", "2023-11-05"]}) == {"city": "上海", "check_in": "2023-11-04", "check_out": "2023-11-06"}


@pytest.mark.parametrize("values", [
    {"check_in": "2023-11-02", "stay": ["2023-11-04", "2023-11-05"]},
    {"check_in": "2023-11-02", "check_out": "2023-11-04", "nights": 2},
])
def test_two_phrases_for_one_argument_clash(hotels, values):
    assert finalize(hotels, values) is None
    assert provides(hotels, set(values))[1]


def test_unresolved_propagates(hotels):
    out = finalize(hotels, {"stay": ("unresolved", "ambiguous")})
    assert out == {"check_in": ("unresolved", "ambiguous"), "check_out": ("unresolved", "ambiguous")}


PARSED = [
    ("帮我找一下上海明天入住三晚的酒店", "search_hotels", {"city": "上海", "check_in": "2023-11-02", "check_out": "2023-11-05"}),
    ("这周末入住上海的酒店", "search_hotels", {"city": "上海", "check_in": "2023-11-04", "check_out": "2023-11-06"}),  # Sat in, Mon out
    ("明天入住，住到周日，帮我找杭州的酒店", "search_hotels", {"city": "杭州", "check_in": "2023-11-02", "check_out": "2023-11-05"}),
    ("在杭州订如家，下周一到周三住", "book_hotel", {"hotel_name": "如家酒店", "city": "杭州", "check_in": "2023-11-06", "check_out": "2023-11-09"}),
    ("预订成都全季酒店，明天入住，住两晚", "book_hotel", {"hotel_name": "全季酒店", "city": "成都", "check_in": "2023-11-02", "check_out": "2023-11-04"}),
]


@pytest.mark.parametrize(("text", "intent", "args"), PARSED, ids=[p[0] for p in PARSED])
def test_hotel_dates_when_parsed(project, text, intent, args):
    out = UtteranceParser(project).parse(text, date(2023, 11, 1))
    assert (out["intent"], out["arguments"], out["error"]) == (intent, args, None)


def test_generated_stays_check_out_after_check_in(project):
    c = Composer(project, GenerateConfig(seed=13))
    seen = 0
    for i in range(1500):
        s = c.compose(i).sample
        call = s and s.tool_call()
        if call and "check_out" in call["arguments"]:
            a = call["arguments"]
            assert a["check_out"] > a["check_in"] >= s.today
            seen += 1
    assert seen > 50


@pytest.mark.parametrize(("text", "today", "days"), [
    ("这周", "2023-10-25", ["2023-10-25", "2023-10-26", "2023-10-27", "2023-10-28", "2023-10-29"]),  # Wednesday to Sunday
    ("未来三天", "2023-12-31", ["2023-12-31", "2024-01-01", "2024-01-02"]),
    ("这个周末", "2023-10-27", ["2023-10-28", "2023-10-29"]),
    ("周五到周日", "2024-02-26", ["2024-03-01", "2024-03-02", "2024-03-03"]),
    ("这周", "2023-10-29", None),  # a Sunday: one day left, not a period
    ("未来十天", "2023-10-25", None),  # longer than x-each-day: asked about
    ("明天", "2023-10-25", None),
])
def test_each_day_of_a_weather_period(project, text, today, days):
    from engine.slots import SlotFiller

    tool = project.tools["get_weather"]
    r = SlotFiller(project.lexicons, []).resolve("DATE", text, date.fromisoformat(today), tool.properties["date"])
    assert each_day(tool, "date", r, date.fromisoformat(today)) == days
    assert each_day(project.tools["search_flights"], "date", r, date.fromisoformat(today)) is None
