"""Conversations read in context (engine/context.py) through `callgram parse --json`, which takes a whole
conversation as one JSON line: the article's dialogue, answers, changes, references, asides, corrections."""
from __future__ import annotations

import io
import json

import pytest

from engine.cli import main


def _say(*turns, today="2023-11-01", profile=None) -> dict:
    """A conversation of user turns (str) and logged assistant calls ((name, args)) or questions (str after '?')."""
    messages = []
    for k, t in enumerate(turns):
        if isinstance(t, tuple):
            messages.append({"role": "assistant", "content": None, "tool_calls": [
                {"id": f"c{k}", "type": "function", "function": {"name": t[0], "arguments": json.dumps(t[1], ensure_ascii=False)}}]})
            messages.append({"role": "tool", "tool_call_id": f"c{k}", "content": "{}"})
            messages.append({"role": "assistant", "content": "好的。"})
        elif t.startswith("?"):
            messages.append({"role": "assistant", "content": t[1:]})
        else:
            messages.append({"role": "user", "content": t})
    conv = {"today": today, "messages": messages}
    if profile is not None:
        conv["profile"] = profile
    return conv


def _parse(capsys, monkeypatch, *convs) -> list[dict]:
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in convs)))
    capsys.readouterr()
    assert main(["parse", "--json", "--today", "2023-10-29"]) == 0
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


ARTICLE = ("想去北京玩几天。", "下周一出发。", "帮我查机票。")


def test_the_articles_dialogue(capsys, monkeypatch):
    """Done means: no profile → destination 北京, date 2023-11-06 and origin asked; home_city 杭州 → the full call."""
    plain, home = _parse(capsys, monkeypatch, _say(*ARTICLE), _say(*ARTICLE, profile={"home_city": "杭州"}))
    assert (plain["intent"], plain["arguments"], plain["clarify"]) == ("search_flights", {"destination": "北京", "date": "2023-11-06"}, ["origin"])
    assert (home["intent"], home["arguments"], home["clarify"]) == ("search_flights", {"destination": "北京", "date": "2023-11-06", "origin": "杭州"}, [])


CASES = [
    # (turns, profile, intent, arguments, clarify, how the last turn was read)
    (("帮我查一下去上海的机票", "?请问从哪里出发？哪天？", "从杭州走"), None,
     "search_flights", {"destination": "上海", "origin": "杭州"}, ["date"], "answer"),
    (("帮我查一下去上海的机票", "?请问从哪里出发？哪天？", "杭州到上海"), None, None, None, None, None),  # origin said twice: no reading
    (("订MU5101", "?哪天？几位？", "明天", ), None, "book_flight", {"flight_no": "MU5101", "date": "2023-11-02"}, ["passengers"], "answer"),
    (("订MU5101", "?哪天？几位？", "两个人"), None, "book_flight", {"flight_no": "MU5101", "passengers": 2}, ["date"], "answer"),
    (("明天北京天气怎么样", ("get_weather", {"city": "北京", "date": "2023-11-02"}), "那后天呢？"), None,
     "get_weather", {"city": "北京", "date": "2023-11-03"}, [], "change"),
    (("明天北京天气怎么样", ("get_weather", {"city": "北京", "date": "2023-11-02"}), "上海呢？"), None,
     "get_weather", {"city": "上海", "date": "2023-11-02"}, [], "change"),
    (("明天北京天气怎么样", ("get_weather", {"city": "北京", "date": "2023-11-02"}), "那边同一天的酒店呢？"), None,
     "search_hotels", {"city": "北京", "check_in": "2023-11-02"}, [], "refer"),
    (("明天北京天气怎么样", ("get_weather", {"city": "北京", "date": "2023-11-02"}), "看看那边的酒店"), None,
     "search_hotels", {"city": "北京"}, ["check_in"], "refer"),
    (("明天从上海飞北京的机票", ("search_flights", {"origin": "上海", "destination": "北京", "date": "2023-11-03"}), "不对，我说的是明天"), None,
     "search_flights", {"origin": "上海", "destination": "北京", "date": "2023-11-02"}, [], "correct"),
    (("明天从上海飞北京的机票", ("search_flights", {"origin": "上海", "destination": "北京", "date": "2023-11-02"}), "改成商务舱"), None,
     "search_flights", {"origin": "上海", "destination": "北京", "date": "2023-11-02", "cabin": "business"}, [], "change"),
    (("订MU5101，两个人", "?哪天？", "大概多少钱？"), None, "book_flight", {"flight_no": "MU5101", "passengers": 2}, ["date"], "aside"),
    (("今天下雨吗",), {"current_city": "成都"}, "get_weather", {"city": "成都", "date": "2023-11-01"}, [], "request"),
    (("今天下雨吗",), {"home_city": "成都"}, "get_weather", {"date": "2023-11-01"}, ["city"], "request"),
]


@pytest.mark.parametrize(("turns", "profile", "intent", "arguments", "clarify", "turn"), CASES, ids=[c[0][-1] for c in CASES])
def test_in_context(capsys, monkeypatch, turns, profile, intent, arguments, clarify, turn):
    (got,) = _parse(capsys, monkeypatch, _say(*turns, profile=profile))
    if intent is None:
        assert got["intent"] is None and "context" in got["error"], got
        return
    assert (got["intent"], got["arguments"], got["clarify"], got["turn"]) == (intent, arguments, clarify, turn), got


def test_bad_conversation_lines(capsys, monkeypatch):
    rows = _parse(capsys, monkeypatch, {"messages": "x"}, {"messages": [{"role": "assistant", "content": "你好"}]})
    assert all(r["intent"] is None and r["error"] for r in rows)
    monkeypatch.setattr("sys.stdin", io.StringIO('{"messages": [\n'))
    assert main(["parse", "--json"]) == 0
    assert "not a conversation" in json.loads(capsys.readouterr().out.splitlines()[-1])["error"]
