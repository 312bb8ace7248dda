"""The verification parser must read exactly what Lark's own Earley parser reads (differential test)."""
from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.errors import CallgramError
from engine.expand import Expander
from engine.project import load_project
from engine.verify import Verifier

HAND_WRITTEN = [
    "帮我查一下明天从上海到北京的机票", "帮我查一下后天魔都飞帝都的机票", "明天飞北京的机票", "你好",
    "上海到北京多远", "明天上海到北京的高铁票", "北京明天天气怎么样", "要不要带伞", "订两张明天MU5101的机票",
    "帮我订如家", "我的积分还有多少", "明天明天", "", "上海上海到北京", "查一下上海市区的酒店", "随便说点什么",
]


@pytest.fixture(scope="module")
def verifier(project):
    return Verifier(project.grammar)


@pytest.mark.parametrize("text", HAND_WRITTEN)
def test_hand_written(verifier, text):
    assert verifier.readings(text) == verifier.lark_readings(text)


def _utterances(project, seed: int, k: int):
    rng = random.Random(seed)
    exp = Expander(project.grammar)
    lexicons = project.lexicons
    for _ in range(k):
        intent = rng.choice(list(project.grammar.intents))
        params = rng.choice(exp.bindable_sets(intent))
        d = exp.expand(intent, rng, params)
        text = "".join(c.text or rng.choice(lexicons.get(c.terminal).entries).surface for c in d.chunks)
        yield text
        # a mangled neighbour, most of which no grammar derives
        if len(text) > 2:
            i = rng.randrange(len(text))
            yield text[:i] + text[i + 1:]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**6))
def test_generated_and_mangled(project, verifier, seed):
    for text in _utterances(project, seed, 4):
        assert verifier.readings(text) == verifier.lark_readings(text), text


def test_repetition_and_left_recursion(project_copy):
    (project_copy / "grammars" / "chitchat.lark").write_text(
        'start: filler* "你好" tail+\nfiller: "嗯" | "啊"\ntail: "呀" | "啊"\nlist: list "，" "你好" | "你好"\n', encoding="utf-8")
    p = load_project(project_copy)
    v = Verifier(p.grammar)
    for text in ["你好呀", "嗯啊嗯你好呀啊", "啊你好啊啊", "你好", "嗯嗯"]:
        assert v.readings(text) == v.lark_readings(text), text
    assert v.readings("嗯啊你好呀")


def test_indirect_left_recursion_is_rejected(project_copy):
    (project_copy / "grammars" / "chitchat.lark").write_text('start: a\na: b "x" | "y"\nb: a "z"\n', encoding="utf-8")
    with pytest.raises(CallgramError, match="left recursion"):
        Verifier(load_project(project_copy).grammar)
