"""Gold answers ask for exactly what is unclear, in the tool's wording, offering only valid options (issue 7)."""
from __future__ import annotations

import re
from datetime import date

import pytest

from engine.gold import valid_options
from engine.parse import UtteranceParser

TODAY = date(2023, 11, 1)  # a Wednesday


@pytest.fixture(scope="module")
def parser(project):
    return UtteranceParser(project)


@pytest.mark.parametrize(("param", "options", "args", "kept"), [
    # a check-out option on or before the check-in is no option (后天住，周一退房)
    ("check_out", ["2023-11-06", "2023-11-13"], {"check_in": "2023-11-06"}, ["2023-11-13"]),
    ("check_out", ["2023-11-06", "2023-11-13"], {"check_in": "2023-11-03"}, ["2023-11-06", "2023-11-13"]),
    ("check_in", ["2023-11-06", "2023-11-13"], {"check_out": "2023-11-08"}, ["2023-11-06"]),
    ("date", ["2023-10-31", "2023-11-02"], {}, ["2023-11-02"]),  # never a past day
    ("city", ["太原", "常州"], {}, ["太原", "常州"]),
], ids=["out-after-in", "both-after-in", "in-before-out", "not-past", "places"])
def test_valid_options(project, param, options, args, kept):
    assert valid_options(project.tools["book_hotel"], param, options, args, TODAY) == kept


@pytest.mark.parametrize(("text", "clarify", "args"), [
    ("在杭州订个汉庭，住三晚", ["check_in"], {"hotel_name": "汉庭酒店", "city": "杭州"}),  # nights given: only the check-in
    ("10号到12号从上海到北京的机票", ["date"], {"origin": "上海", "destination": "北京"}),  # a range for one date: which day?
    ("明早从上海飞北京的机票", [], {"origin": "上海", "destination": "北京", "date": "2023-11-02", "time_of_day": "morning"}),
], ids=["nights-given", "range-for-one-date", "part-of-day-kept"])
def test_parse_asks_for_exactly_what_is_unclear(parser, text, clarify, args):
    r = parser.parse(text, TODAY)
    assert r["clarify"] == clarify, r
    assert {k: v for k, v in r["arguments"].items() if k in args} == args, r


def _clarify_tags(s):
    return [t.split(":", 1)[1] for t in s.tags if t.startswith("clarify:")]


def test_questions_use_the_wording_of_the_tool_at_hand(project, shipped_samples):
    table = project.lexicons.table("replies")["clarify"]
    asked = [s for s in shipped_samples if _clarify_tags(s) and "ambiguous" not in s.tags]
    assert len(asked) > 50
    for s in asked:
        missing, question = _clarify_tags(s), s.messages[-1]["content"]
        own = table[s.intent]
        if len(missing) == 1:
            assert question in own[missing[0]]["ask"], (s.intent, question)
        else:
            nouns = [own[p]["noun"] for p in missing]
            assert any(question == m.format(nouns="、".join(nouns[:-1]) + "和" + nouns[-1]) for m in own["many"]), question


def test_never_asks_for_what_was_said(shipped_samples):
    for s in shipped_samples:
        said = {slot["param"] for slot in s.provenance["slots"] if slot["value"] is not None and not isinstance(slot["value"], list)}
        missing = set(_clarify_tags(s))
        assert not (missing & said) or "ambiguous" in s.tags, (s.messages[1]["content"], missing)
        if "nights" in said:
            assert "check_out" not in missing, s.messages[1]["content"]


def test_offered_options_are_valid(parser, shipped_samples):
    asked = [s for s in shipped_samples if "ambiguous" in s.tags]
    assert len(asked) > 20
    for s in asked:
        today = date.fromisoformat(s.today)
        question = s.messages[-1]["content"]
        days = [date(today.year + (int(m) < today.month), int(m), int(d)) for m, d in re.findall(r"(\d+)月(\d+)日", question)]
        assert all(d >= today for d in days), question
        check_in = parser.parse(s.messages[1]["content"], today)["arguments"].get("check_in")
        if _clarify_tags(s) == ["check_out"] and check_in:
            assert all(d.isoformat() > check_in for d in days), question
