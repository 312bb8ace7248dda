"""Replies fit their request (issue 7): the rule that derived a request picks its reply, and what the
assistant can answer without a tool (today's weekday, the weekday of a named day) it answers right."""
from __future__ import annotations

import random
import re
from datetime import date, timedelta

import pytest

from engine.parse import UtteranceParser
from engine.replies import Replies
from engine.tools import Tool

TODAY = date(2023, 10, 29)  # a Sunday

# request → (negative grammar, reply key): the kind of reply it must get
TABLE = [
    ("你好", "chitchat", "greeting"),
    ("谢谢", "chitchat", "thanks"),
    ("拜拜", "chitchat", "goodbye"),
    ("你能做什么", "chitchat", "capabilities"),
    ("你会干什么", "chitchat", "capabilities"),
    ("今天星期几", "chitchat", "date_question"),
    ("现在几点了", "chitchat", "ask_time"),
    ("讲个笑话", "joke", "joke"),
    ("红烧肉怎么做", "recipe", "recipe"),
    ("明天早上七点叫我起床", "alarm", "alarm"),
    ("设置明天早上七点的闹钟", "alarm", "alarm"),
    ("提醒我明天交水费", "reminder", "reminder"),
    ("给妈妈打电话", "phone_call", "call"),
    ("给妈妈发短信", "messaging", "message"),
    ("放首周杰伦的歌", "music", "play_music"),
    ("我要听Shape of You", "music", "play_music"),
    ("下一首", "music", "player"),
    ("我想看Titanic", "film_tv", "video"),
    ("打开收音机", "radio", "radio"),
    ("帮我叫个车", "taxi", "taxi"),
    ("导航到火车站", "navigation", "navigation"),
    ("一加一等于几", "arithmetic", "math"),
    ("一公斤等于多少斤", "unit_conversion", "convert"),
    ("apple是什么意思", "translation", "translate"),
    ("今天油价", "petrol", "petrol"),
    ("京A是哪里的车牌", "licence_plate", "traffic"),
    ("梦见蛇是什么意思", "dream", "dream"),
    ("退票", "unsupported", "refund"),
    ("明天从上海到北京的高铁票", "train_bus", "train"),
    ("帮我订一张去杭州的汽车票", "train_bus", "coach"),
    ("上海有什么好玩的", "out_of_scope", "city_sights"),
]


@pytest.fixture(scope="module")
def parser(project):
    return UtteranceParser(project)


@pytest.mark.parametrize(("text", "grammar", "key"), TABLE, ids=[t[0] for t in TABLE])
def test_request_gets_its_reply_type(parser, text, grammar, key):
    r = parser.parse(text, TODAY)
    assert (r["intent"], r["negative"], r["reply_key"]) == (None, grammar, key), r


def test_every_key_has_replies_and_a_rule(project):
    answers = project.lexicons.table("answers")
    keyed = {(i, k) for i, k in project.grammar.reply_keys.values()}
    for intent in project.grammar.negative_intents():
        keys = {k for k, v in answers.get(intent, {}).items() if isinstance(v, dict)}
        assert keys and keys <= {k for i, k in keyed if i == intent}, intent
        assert all(len(answers[intent][k]["reply"]) >= 2 for k in keys), intent


@pytest.mark.parametrize("offset", range(7))
def test_weekday_answers_are_right(project, offset):
    today = TODAY + timedelta(days=offset)
    replies, weekdays = Replies(project.lexicons, list(project.tools.values())), project.lexicons.table("date_words")["weekday_names"]
    asked = today + timedelta(days=2)
    text = replies.answer("chitchat", "date_question", today, {"asked": asked}, random.Random(offset))
    assert weekdays[asked.weekday()] in text and f"{asked.month}月{asked.day}日" in text
    with pytest.raises(Exception):  # a template needing a day the request did not name is never used
        replies.answer("chitchat", "date_question", today, {}, random.Random(0))


def test_generated_replies_fit(project, shipped_samples):
    weekdays = project.lexicons.table("date_words")["weekday_names"]
    negatives = [s for s in shipped_samples if s.kind == "negative"]
    assert len(negatives) > 200
    assert len({s.provenance["reply_key"] for s in negatives}) > 30
    for s in negatives:
        reply, key = s.messages[-1]["content"], s.provenance["reply_key"]
        assert ("不客气" in reply) <= (key == "thanks"), (s.messages[1]["content"], reply)
        if key == "date_question":  # the weekday of the day asked about, computed from the sample's today
            day = date.fromisoformat(next(x["value"] for x in s.provenance["slots"] if x["value"]))
            assert weekdays[day.weekday()] in reply and f"{day.month}月{day.day}日" in reply, reply
        for name in re.findall(r"星期[一二三四五六日]", reply):
            assert key in ("date_question", "ask_time", "almanac", "holiday") or name == weekdays[date.fromisoformat(s.today).weekday()]


def test_capabilities_come_from_the_tools(project):
    """The system prompt and {capabilities} say what the offered tools do, from their descriptions alone:
    a project with other tools gets other text, and no tool means nothing travel-specific is claimed."""
    tools = [t for _, t in sorted(project.tools.items())]
    replies = Replies(project.lexicons, tools)
    assert replies.capabilities == "预订机票和酒店，查看用户资料，查询天气、航班和酒店"
    system = replies.system(TODAY)
    assert replies.capabilities in system and "出行助手" in system
    order = Tool(name="track_order", description="用于查询订单的物流状态，需要订单号。", parameters={}, file="tools/track_order.json")
    weather = next(t for t in tools if t.name == "get_weather")
    assert Replies(project.lexicons, [order]).capabilities == "查询订单的物流状态"
    assert Replies(project.lexicons, [weather, order]).capabilities == "查询天气和订单的物流状态"
    text = Replies(project.lexicons, [order]).answer("chitchat", "capabilities", TODAY, {}, random.Random(1))
    assert "查询订单的物流状态" in text and not any(w in text for w in ("机票", "酒店", "天气"))
