"""Slot values for a parameter: schema bounds make values invalid (never clamped); a span for one date is a question."""
from __future__ import annotations

from datetime import date

import pytest

from engine.slots import SlotFiller

TODAY = date(2023, 11, 1)
PASSENGERS = {"type": "integer", "minimum": 1, "maximum": 9}
A_DATE = {"type": "string", "format": "date"}


@pytest.fixture(scope="module")
def filler(project):
    return SlotFiller(project.lexicons, ["cn_numeral"])


@pytest.mark.parametrize(("surface", "typ", "value"), [("9", "int", 9), ("十", "invalid", 10), ("1", "int", 1)])
def test_bounds_come_from_the_schema(filler, surface, typ, value):
    r = filler.resolve("COUNT", surface, TODAY, PASSENGERS)
    assert (r.type, r.value) == (typ, value)


def test_enum_comes_from_the_schema(filler):
    assert filler.resolve("CABIN", "头等舱", TODAY, {"type": "string", "enum": ["first"]}).value == "first"
    assert filler.resolve("CABIN", "头等舱", TODAY, {"type": "string", "enum": ["economy"]}).type == "invalid"


def test_a_span_said_for_a_single_date_asks_which_day(filler):
    # issue 7: a range is never silently cut to its first day
    r = filler.resolve("DATE", "周末", TODAY, A_DATE)
    assert (r.type, r.value) == ("ambiguous", ["2023-11-04", "2023-11-05"]) and "from_span" in r.flags
    r = filler.resolve("DATE", "10号到12号", TODAY, A_DATE)
    assert r.value == ["2023-11-10", "2023-11-11", "2023-11-12"]
    assert filler.resolve("DATE", "周末", TODAY, {"derive": "span"}).value == ["2023-11-04", "2023-11-05"]


def test_day_and_time_forms_fill_a_date(filler):
    r = filler.resolve("DATE", "明晚8点", TODAY, A_DATE)
    assert (r.type, r.value, r.flags) == ("date", "2023-11-02", ("time:20:00",))


def test_pools(filler, project):
    assert filler.has_hard("COUNT") and filler.has_ambiguous("DATE") and filler.has_ambiguous("CITY")
    assert not filler.has_ambiguous("CABIN")
    import random

    rng = random.Random(0)
    assert all(not filler.is_hard(filler.draw("COUNT", rng, "plain")) for _ in range(200))
    assert all(filler.is_hard(filler.draw("COUNT", rng, "hard")) for _ in range(200))
    # ambiguous nicknames carry weight 0: never drawn as an ordinary city
    assert all(filler.draw("CITY", rng, "any").value.count("|") == 0 for _ in range(2000))
