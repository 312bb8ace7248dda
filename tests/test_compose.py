"""Composer: the kind mix, and properties every emitted sample must have (round trip, schema, safety)."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.compose import Composer
from engine.config import GenerateConfig, Mix, project_config
from engine.parse import UtteranceParser

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def utterance_parser(project):
    return UtteranceParser(project)


@pytest.mark.parametrize("mix", [(0.6, 0.3, 0.1), (0.2, 0.5, 0.3), (1.0, 0.0, 0.0), (0.0, 0.0, 1.0)])
def test_kinds_follow_the_mix(project, mix):
    c = Composer(project, GenerateConfig(seed=3, mix=Mix(positive=mix[0], hard=mix[1], negative=mix[2])))
    n = 3000
    counts = {k: 0 for k in ("positive", "hard", "negative")}
    for i in range(n):
        counts[c.kind_of(i)] += 1
    for k, share in zip(counts, mix):
        assert abs(counts[k] / n - share) < 0.005


def _check_sample(project, parser, s):
    tool = project.tools.get(s.intent)
    today = date.fromisoformat(s.today)
    assert f"{today.year}年{today.month}月{today.day}日" in s.messages[0]["content"]
    text = s.messages[1]["content"]
    parsed = parser.parse(text, today)
    call = s.tool_call()
    if s.kind == "negative":
        assert tool is None and call is None and parsed["intent"] is None
        assert s.tags == [f"negative:{s.intent}"]
        # the reply was chosen by the rule the grammars read the request through
        assert (parsed["negative"], parsed["reply_key"]) == (s.intent, s.provenance["reply_key"])
        return
    assert tool is not None
    if "no_tool" in s.tags:  # the tool it needs is not offered: said so, not called
        assert call is None and s.kind == "hard" and parsed["intent"] == s.intent
        assert s.intent not in [t if isinstance(t, str) else t["function"]["name"] for t in s.tools]
        return
    if "beyond_horizon" in s.tags:  # a forecast asked for too far ahead: answered, not called
        assert call is None and s.kind == "hard" and parsed["intent"] == s.intent and parsed["clarify"] == []
        return
    clarify = [t.split(":", 1)[1] for t in s.tags if t.startswith("clarify:")]
    if clarify:
        # the assistant asks for exactly the missing required parameters, and calls nothing
        assert call is None and parsed["intent"] == s.intent and parsed["clarify"] == clarify
        assert s.kind == "hard"
        return
    # round trip: the grammars read the utterance back as the gold call, which the schema accepts
    assert call["name"] == s.intent == parsed["intent"]
    assert parsed["arguments"] == call["arguments"] and parsed["clarify"] == [] and parsed["error"] is None
    assert tool.errors(call["arguments"]) == []
    json.loads(s.messages[-1]["tool_calls"][0]["function"]["arguments"])
    # a period for a one-day parameter: the further calls of the turn are its other days, as parse reads them
    more = [json.loads(c["function"]["arguments"]) for c in s.messages[-1]["tool_calls"][1:]]
    assert parsed["more"] == more and bool(more) == ("each_day" in s.tags)
    for name, value in call["arguments"].items():
        schema = tool.properties[name]
        if schema.get("format") == "date":
            assert value >= s.today  # never a past date
    cities = {e.value for e in project.lexicons.get("CITY").entries}
    for name in ("origin", "destination", "city"):
        if name in call["arguments"]:
            assert call["arguments"][name] in cities  # canonical
    if s.kind == "positive":
        assert set(s.tags) <= {"each_day"}  # plain forms; a period (这周的天气) is said plainly, and called per day
    else:
        assert s.tags  # a hard form, named


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31), index=st.integers(0, 10**7))
def test_every_sample_round_trips(project, utterance_parser, seed, index):
    out = Composer(project, project_config(ROOT, seed=seed, flow_shares={})).compose(index)
    assert out.sample is not None, out.drops
    _check_sample(project, utterance_parser, out.sample)


def test_a_run_of_samples(project, composer, utterance_parser):
    for i in range(300):
        out = composer.compose(i)
        _check_sample(project, utterance_parser, out.sample)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31), index=st.integers(0, 10**7))
def test_sample_i_does_not_depend_on_what_else_was_generated(project, seed, index):
    a = Composer(project, project_config(ROOT, seed=seed))
    b = Composer(project, project_config(ROOT, seed=seed))
    for j in range(5):  # warm b's caches with other samples first
        b.compose(index + 1000 + j)
    assert a.compose(index).sample == b.compose(index).sample


def test_fixed_today_is_used(project):
    c = Composer(project, GenerateConfig(seed=1, today=date(2023, 10, 29)))
    s = c.compose(0).sample
    assert s.today == "2023-10-29" and "2023年10月29日，星期日" in s.messages[0]["content"]


def test_a_period_for_weather_is_a_call_for_each_of_its_days(project, utterance_parser):
    """这周/未来三天 said for get_weather's one date (x-each-day): one call per day, in one turn, never the first
    day alone; the same period for a flight is a question (a flight leaves on one day)."""
    c = Composer(project, project_config(ROOT, seed=8, flow_shares={}))
    found = [s for s in (c.compose(i).sample for i in range(3000)) if s is not None and "each_day" in s.tags]
    assert len(found) >= 3
    for s in found:
        _check_sample(project, utterance_parser, s)
        days = [json.loads(t["function"]["arguments"])["date"] for t in s.messages[-1]["tool_calls"]]
        assert days == sorted(days) and len(set(days)) == len(days) >= 2
        assert all((date.fromisoformat(b) - date.fromisoformat(a)).days == 1 for a, b in zip(days, days[1:]))
    got = utterance_parser.parse("这周从北京到上海的机票", date(2023, 10, 25))
    assert got["clarify"] == ["date"] and got["more"] == []
