"""Expander: exact parameter sets, weights, bounded recursion."""
from __future__ import annotations

import random

import pytest

from engine.expand import Expander
from engine.project import load_project


@pytest.fixture(scope="module")
def expander(project):
    return Expander(project.grammar)


@pytest.mark.parametrize("intent", ["search_flights", "book_flight", "search_hotels", "book_hotel", "get_weather", "get_user_profile"])
def test_binds_exactly_the_requested_parameters(expander, intent):
    rng = random.Random(intent)
    for params in expander.bindable_sets(intent):
        for _ in range(5):
            d = expander.expand(intent, rng, params)
            bound = [c.param for c in d.chunks if c.param]
            assert sorted(bound) == sorted(params)


def test_clarification_sets_are_expressible(expander):
    assert expander.can_bind("search_flights", {"destination", "date"})  # 明天飞北京的机票
    assert expander.can_bind("get_weather", {"date"})  # 明天会下雨吗
    assert expander.can_bind("get_user_profile", {"section"}) and expander.can_bind("get_user_profile", set())


def test_impossible_parameter_set_is_rejected(expander):
    # book_flight's grammar never binds nothing at all: a flight number is always said
    assert not expander.can_bind("book_flight", set())
    with pytest.raises(ValueError, match="cannot bind"):
        expander.expand("book_flight", random.Random(0), set())


def test_weights_follow_rule_priority(project_copy):
    (project_copy / "grammars" / "chitchat.lark").write_text(
        'start: heavy | light\nheavy.9: "你好"\nlight: "谢谢"\n', encoding="utf-8")
    exp = Expander(load_project(project_copy).grammar)
    rng = random.Random(1)
    texts = ["".join(c.text for c in exp.expand("chitchat", rng, set()).chunks) for _ in range(2000)]
    share = texts.count("你好") / len(texts)
    assert 0.85 < share < 0.95  # 9 : 1


def test_recursion_is_bounded(project_copy):
    (project_copy / "grammars" / "chitchat.lark").write_text(
        'start: talk\ntalk: "啊" talk | "啊" talk talk | "好"\n', encoding="utf-8")
    exp = Expander(load_project(project_copy).grammar, max_depth=6)
    rng = random.Random(3)
    for _ in range(200):
        text = "".join(c.text for c in exp.expand("chitchat", rng, set()).chunks)
        assert text.endswith("好") and len(text) < 2 ** 9
