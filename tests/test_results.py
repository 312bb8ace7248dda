"""The assistant's answers to tool results (engine/results.py): natural templates stating only facts of the
result, and a checker that catches doctored answers."""
from __future__ import annotations

import random
import re
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from engine.observe import Observer
from engine.project import load_project
from engine.results import ResultText, unsupported_facts

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2023, 10, 29)
CITIES = ["上海", "北京", "广州", "成都", "乌鲁木齐", "三亚", "哈尔滨", "拉萨", "芜湖", "西双版纳"]


@pytest.fixture(scope="module")
def project():
    return load_project(ROOT)


@pytest.fixture(scope="module")
def observer(project):
    return Observer(project)


@pytest.fixture(scope="module")
def rt(project):
    return ResultText(project.lexicons)


def _calls(n: int):
    rng = random.Random(11)
    for _ in range(n):
        a, b = rng.sample(CITIES, 2)
        day = (TODAY + timedelta(days=rng.randint(-2, 60))).isoformat()  # a few in the past: date_in_past errors
        flights = {"origin": a, "destination": b, "date": day}
        for param, values in [("airline", ["MU", "CA", "FM", "GS", "HU"]), ("cabin", ["economy", "business", "first", "premium_economy"]),
                              ("time_of_day", ["early_morning", "morning", "noon", "evening"]), ("sort_by", ["price", "departure_late"])]:
            if rng.random() < 0.3:
                flights[param] = rng.choice(values)
        yield "search_flights", flights
        hotels = {"city": a, "check_in": day, **({"min_stars": rng.choice([2, 3, 4, 5])} if rng.random() < 0.3 else {})}
        if rng.random() < 0.3:
            hotels["max_price"] = rng.choice([200, 400, 800])
        yield "search_hotels", hotels
        yield "get_weather", {"city": a, **({"date": day} if rng.random() < 0.5 else {})}
        yield "book_flight", {"flight_no": "MU5101", "date": day, "passengers": rng.randint(1, 4), **({"cabin": "business"} if rng.random() < 0.3 else {})}
        out = (date.fromisoformat(day) + timedelta(days=rng.randint(1, 4))).isoformat()
        hotel = rng.choice(["如家酒店", "7天酒店", "速8酒店(火车站店)"])
        yield "book_hotel", {"hotel_name": hotel, "city": a, "check_in": day, "check_out": out, **({"rooms": 2, "room_type": "twin"} if rng.random() < 0.4 else {})}
        section = rng.choice([None, "basic", "membership", "points", "passengers", "preferences"])
        yield "get_user_profile", {"section": section} if section else {}


CALLS = list(_calls(70))


def _answers(observer, rt, outcomes=("ok", "empty", "error")):
    for i, (tool, args) in enumerate(CALLS):
        for outcome in outcomes:
            rng = random.Random(f"{i}/{outcome}")
            obs = observer.observe(tool, args, TODAY, rng, outcome)
            yield tool, args, outcome, obs, rt.answer(tool, args, obs, rng)


def test_answers_state_only_facts_of_the_result(observer, rt):
    per_tool: Counter = Counter()
    for tool, args, outcome, obs, text in _answers(observer, rt):
        assert rt.unsupported(text, obs, args) == [], (tool, outcome, text, obs)
        assert unsupported_facts(text, obs, args) == [], (tool, outcome, text)
        assert "{" not in text and "None" not in text and text.endswith(("。", "？"))
        per_tool[tool] += 1
    assert set(per_tool) == {"search_flights", "search_hotels", "get_weather", "book_flight", "book_hotel", "get_user_profile"}


def test_answers_vary_and_repeat_for_the_same_rng(observer, rt):
    texts = {tool: set() for tool, _ in CALLS}
    for tool, args, outcome, obs, text in _answers(observer, rt, ("ok",)):
        texts[tool].add(text.split("：")[0][:8])
    assert all(len(openings) >= 2 for openings in texts.values()), texts
    args = CALLS[0][1]
    obs = observer.observe("search_flights", args, TODAY, random.Random(1))
    assert rt.answer("search_flights", args, obs, random.Random(9)) == rt.answer("search_flights", args, obs, random.Random(9))


def test_flight_answer_names_airlines_as_people_say_them(rt):
    obs = {"origin": "上海", "destination": "北京", "date": "2023-10-30", "cabin": "economy", "flights": [
        {"flight_no": "MU5101", "airline": "MU", "depart_time": "07:30", "arrive_time": "09:45", "duration_min": 135, "price": 680, "seats_left": 5},
        {"flight_no": "CA1858", "airline": "CA", "depart_time": "12:00", "arrive_time": "14:15", "duration_min": 135, "price": 590, "seats_left": 9},
        {"flight_no": "HO1252", "airline": "HO", "depart_time": "19:05", "arrive_time": "21:20", "duration_min": 135, "price": 720, "seats_left": 7},
    ]}
    args = {"origin": "上海", "destination": "北京", "date": "2023-10-30"}
    seen = set()
    for s in range(40):
        text = rt.answer("search_flights", args, obs, random.Random(s))
        assert "10月30日" in text and "上海" in text and "北京" in text and rt.unsupported(text, obs, args) == []
        assert not re.search(r"(?<![A-Z])(MU|CA|HO)(?![0-9])", text)  # codes only inside flight numbers
        seen.add(text)
    joined = "".join(seen)
    assert "东航MU5101" in joined and "国航CA1858" in joined and len(seen) >= 3


def _doctor(text: str, old: str, new: str) -> str:
    assert old in text, (old, text)
    return text.replace(old, new, 1)


def test_doctored_flight_answers_are_caught(observer, rt):
    caught = 0
    for i, (tool, args) in enumerate(CALLS):
        if tool != "search_flights":
            continue
        obs = observer.observe(tool, args, TODAY, random.Random(i))
        text = rt.answer(tool, args, obs, random.Random(i))
        flights = obs["flights"]
        if not flights:
            continue
        said = {f["price"] for f in flights}
        price = re.search(r"([0-9]+)元", text).group(1)  # a wrong price
        wrong = next(p for p in range(int(price) + 10, 99_999, 10) if p not in said)
        assert f"{wrong}元" in rt.unsupported(_doctor(text, f"{price}元", f"{wrong}元"), obs, args)
        clock = re.search(r"[0-9]{2}:[0-9]{2}", text).group()  # a wrong time
        times = {f["depart_time"] for f in flights} | {f["arrive_time"] for f in flights}
        wrong_time = next(t for t in (f"{clock[:3]}{(int(clock[3:]) + k) % 60:02d}" for k in range(1, 60)) if t not in times)
        assert wrong_time in unsupported_facts(_doctor(text, clock, wrong_time), obs, args)
        number = re.search(r"[A-Z0-9]{2}[0-9]{4}", text).group()  # a flight the result does not list
        other = next(n for n in (f"{number[:2]}{k}" for k in range(1001, 9999)) if n not in {f["flight_no"] for f in flights})
        assert other in unsupported_facts(_doctor(text, number, other), obs, args)
        named = next((f for f in flights if rt.carriers[f["airline"]] + f["flight_no"] in text), None)
        if named is not None:  # another airline's name before a flight number
            stranger = next(c for c in sorted(rt.carriers) if c not in {f["airline"] for f in flights})
            spoken = rt.carriers[named["airline"]]
            assert rt.unsupported(_doctor(text, spoken + named["flight_no"], rt.carriers[stranger] + named["flight_no"]), obs, args)
        caught += 1
    assert caught >= 40


def test_doctored_hotel_and_weather_answers_are_caught(project, observer, rt):
    names = sorted({e.value for e in project.lexicons.get("HOTEL").entries if "(" in e.value})
    checked = Counter()
    for i, (tool, args) in enumerate(CALLS):
        if tool == "search_hotels":
            obs = observer.observe(tool, args, TODAY, random.Random(i))
            text = rt.answer(tool, args, obs, random.Random(i))
            said = next(h["name"] for h in obs["hotels"] if h["name"] in text)
            stranger = next(n for n in names if n not in {h["name"] for h in obs["hotels"]} and n.split("(")[0] != said.split("(")[0])
            assert unsupported_facts(_doctor(text, said, stranger), obs, args)  # the bracketed branch gives it away
            brand_only = stranger.split("(")[0]
            if brand_only not in {h["brand"] for h in obs["hotels"]}:
                assert rt.unsupported(_doctor(text, said, brand_only), obs, args)  # the vocabulary does
            checked["hotel"] += 1
        elif tool == "get_weather":
            obs = observer.observe(tool, args, TODAY, random.Random(i))
            text = rt.answer(tool, args, obs, random.Random(i))
            high = f"{obs['temp_high']}℃"
            if high in text:  # 9 degrees off: possibly the date's day, so only the unit tells
                assert rt.unsupported(_doctor(text, high, f"{obs['temp_high'] + 9}℃"), obs, args)
            other = "大雨" if obs["condition"] != "大雨" else "晴"
            assert rt.unsupported(_doctor(text, obs["condition"], other), obs, args)
            checked["weather"] += 1
    assert checked["hotel"] >= 30 and checked["weather"] >= 30


def test_checker_on_hand_written_text(rt):
    obs = {"city": "上海", "check_in": "2023-11-01", "hotels": [
        {"name": "如家酒店(火车站店)", "brand": "如家酒店", "stars": 2, "price": 268, "rating": 4.6},
        {"name": "全季酒店(东站店)", "brand": "全季酒店", "stars": 3, "price": 399, "rating": 4.8}]}
    args = {"city": "上海", "check_in": "2023-11-01"}
    good = "为您找到上海11月1日入住的2家酒店：全季酒店(东站店)评分4.8，每晚399元；如家酒店(火车站店)每晚268元。"
    assert unsupported_facts(good, obs, args) == [] and rt.unsupported(good, obs, args) == []
    assert unsupported_facts(good.replace("399", "389"), obs, args) == ["389"]
    assert unsupported_facts(good.replace("4.8", "4.9"), obs, args) == ["4.9"]
    # numbers some other field holds: only the vocabulary's units and dates tell them apart
    assert unsupported_facts(good.replace("2家", "3家"), obs, args) == []  # 3 is a hotel's stars
    assert rt.unsupported(good.replace("2家", "3家"), obs, args) == ["3家"]
    assert rt.unsupported(good.replace("每晚399元", "每晚268元"), obs, args) == []  # a price of the result, of another hotel
    assert rt.unsupported(good.replace("11月1日", "11月2日"), obs, args) == ["11月2日"]
    assert rt.unsupported(good.replace("11月1日", "2月11日"), obs, args) == ["2月11日"]
    assert rt.unsupported(good.replace("全季酒店(东站店)", "汉庭酒店"), obs, args) == ["汉庭酒店"]
    [branch] = unsupported_facts(good.replace("(东站店)", "(西站店)"), obs, args)
    assert branch.endswith("全季酒店(西站店)")
    assert unsupported_facts("航班MU5101，07:30起飞", {"flights": [{"flight_no": "MU5102", "depart_time": "07:30"}]}, {}) == ["MU5101"]
    assert unsupported_facts("07:35起飞", {"flights": [{"depart_time": "07:30"}]}, {}) == ["07:35"]


def test_empty_results_offer_a_change(observer, rt):
    for i, (tool, args) in enumerate(CALLS):
        if tool not in ("search_flights", "search_hotels"):
            continue
        obs = observer.observe(tool, args, TODAY, random.Random(i), "empty")
        text = rt.answer(tool, args, obs, random.Random(i))
        assert re.search(r"没有|满了", text) and re.search(r"要不要|换", text), text
        assert not re.search(r"[0-9]+元", text.replace(f"{args.get('max_price')}元", ""))  # no prices of results it lacks


def test_errors_say_what_went_wrong(observer, rt):
    args = {"origin": "上海", "destination": "北京", "date": "2023-10-01"}
    obs = observer.observe("search_flights", args, TODAY, random.Random(0), "error")
    text = rt.answer("search_flights", args, obs, random.Random(0))
    assert "10月1日" in text and rt.unsupported(text, obs, args) == []
    busy = {"error": {"code": "service_busy", "message": "系统繁忙，请稍后再试"}}
    for tool in ("search_hotels", "get_weather", "get_user_profile"):
        assert "忙" in rt.answer(tool, {"city": "上海", "check_in": "2023-11-01"}, busy, random.Random(0))
    odd = {"error": {"code": "quota_exceeded", "message": "今日查询次数已用完"}}
    assert "今日查询次数已用完" in rt.answer("get_weather", {"city": "上海"}, odd, random.Random(0))  # any code: its message
    assert rt.answer("track_order", {}, {"status": "ok"}, random.Random(0))  # a tool without templates: [default.*]


def test_profile_answers_follow_the_section(project, observer, rt):
    from engine.profile import ProfileMaker

    maker = ProfileMaker(project.lexicons)
    for s in range(30):
        profile = maker.draw(random.Random(s))
        points = observer.observe("get_user_profile", {"section": "points"}, TODAY, random.Random(s), profile=profile)
        text = rt.answer("get_user_profile", {"section": "points"}, points, random.Random(s))
        assert str(profile.membership.points) in text and profile.name not in text
        whole = observer.observe("get_user_profile", {}, TODAY, random.Random(s), profile=profile)
        text = rt.answer("get_user_profile", {}, whole, random.Random(s))
        assert profile.name in text and rt.unsupported(text, whole, {}) == []
        for p in profile.frequent_passengers:
            assert p.name in text
