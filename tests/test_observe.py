"""Fake tool results (engine/observe.py): deterministic, consistent with the call, valid against x-result."""
from __future__ import annotations

import json
import math
import random
import re
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest

from engine.errors import CallgramError
from engine.observe import Observer
from engine.project import load_project
from engine.tools import load_tool

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2023, 10, 29)
CITIES = ["上海", "北京", "广州", "成都", "乌鲁木齐", "三亚", "哈尔滨", "拉萨", "芜湖", "伦敦"]


@pytest.fixture(scope="module")
def project():
    return load_project(ROOT)


@pytest.fixture(scope="module")
def observer(project):
    return Observer(project)


def _day(rng: random.Random, lo: int = 0, hi: int = 60) -> str:
    return (TODAY + timedelta(days=rng.randint(lo, hi))).isoformat()


def _calls(n: int = 60):
    """Schema-valid calls of every tool, with and without their optional arguments."""
    rng = random.Random(5)
    for _ in range(n):
        a, b = rng.sample(CITIES, 2)
        day = _day(rng)
        flights = {"origin": a, "destination": b, "date": day}
        for param, values in [("airline", ["MU", "CA", "CZ", "3U", "9C"]), ("cabin", ["economy", "premium_economy", "business", "first"]),
                              ("time_of_day", ["early_morning", "morning", "forenoon", "noon", "afternoon", "dusk", "evening"]),
                              ("sort_by", ["price", "departure_early", "departure_late", "duration"])]:
            if rng.random() < 0.4:
                flights[param] = rng.choice(values)
        yield "search_flights", flights
        hotels = {"city": a, "check_in": day}
        if rng.random() < 0.4:
            hotels["min_stars"] = rng.choice([3, 4, 5])
        if rng.random() < 0.4:
            hotels["max_price"] = rng.choice([300, 500, 800, 1500])
        yield "search_hotels", hotels
        yield "get_weather", {"city": a, **({"date": day} if rng.random() < 0.5 else {})}
        yield "book_flight", {"flight_no": "MU5101", "date": day, "passengers": rng.randint(1, 9)}
        out = (date.fromisoformat(day) + timedelta(days=rng.randint(1, 5))).isoformat()
        yield "book_hotel", {"hotel_name": "全季酒店(火车站店)", "city": a, "check_in": day, "check_out": out, "rooms": 2}
        yield "get_user_profile", rng.choice([{}, {"section": "points"}, {"section": "basic"}, {"section": "preferences"}])


CALLS = list(_calls())


def _validate(schema: dict, observation: dict) -> None:
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER).validate(observation)


@pytest.mark.parametrize("outcome", ["ok", "empty"])
def test_results_validate_against_x_result_and_are_plain_json(project, observer, outcome):
    for i, (tool, args) in enumerate(CALLS):
        assert project.tools[tool].errors(args) == [], (tool, args)
        obs = observer.observe(tool, args, TODAY, random.Random(i), outcome)
        _validate(project.tools[tool].result, obs)
        assert json.loads(json.dumps(obs, ensure_ascii=False)) == obs


def test_same_rng_state_same_result(observer):
    for i, (tool, args) in enumerate(CALLS[:30]):
        for outcome in ("ok", "empty", "error"):
            first = observer.observe(tool, args, TODAY, random.Random(i), outcome)
            assert observer.observe(tool, args, TODAY, random.Random(i), outcome) == first
    flights = CALLS[0][1]
    assert len({json.dumps(observer.observe("search_flights", flights, TODAY, random.Random(s))) for s in range(10)}) == 10


def _minutes(clock: str) -> int:
    h, m = clock.split(":")
    return int(h) * 60 + int(m)


def test_flights_follow_the_call(project, observer):
    windows = project.lexicons.table("observations")["flight"]["departs"]
    carriers = {e.value for e in project.lexicons.get("CARRIER").entries}
    sort_keys = {"price": "price", "departure_early": "depart_time", "departure_late": "depart_time", "duration": "duration_min"}
    for i, (tool, args) in enumerate(CALLS):
        if tool != "search_flights":
            continue
        obs = observer.observe(tool, args, TODAY, random.Random(i))
        assert (obs["origin"], obs["destination"], obs["date"]) == (args["origin"], args["destination"], args["date"])
        assert obs["cabin"] == args.get("cabin", "economy")
        flights = obs["flights"]
        assert len(flights) <= 6 and (len(flights) >= 2 or "伦敦" in (obs["origin"], obs["destination"]))
        assert len({f["flight_no"] for f in flights}) == len(flights)
        lo, hi = windows[args.get("time_of_day", "default")]
        for f in flights:
            assert f["airline"] in carriers and f["airline"] == args.get("airline", f["airline"])
            assert re.fullmatch(rf"{f['airline']}[1-9][0-9]{{3}}", f["flight_no"])
            assert lo <= _minutes(f["depart_time"]) <= hi
            assert (_minutes(f["depart_time"]) + f["duration_min"]) % 1440 == _minutes(f["arrive_time"])
            assert 1 <= f["seats_left"] <= 9
        key = sort_keys.get(args.get("sort_by"), "depart_time")
        values = [f[key] for f in flights]
        assert values == sorted(values, reverse=args.get("sort_by") == "departure_late")


def test_flight_durations_and_fares_are_plausible(observer):
    def one(origin, destination, cabin, seed):
        args = {"origin": origin, "destination": destination, "date": "2023-11-05", "cabin": cabin}
        return observer.observe("search_flights", args, TODAY, random.Random(seed))["flights"]

    shanghai_beijing = [f for s in range(20) for f in one("上海", "北京", "economy", s)]
    assert all(120 <= f["duration_min"] <= 150 for f in shanghai_beijing)  # about 2h15 in real timetables
    assert all(400 <= f["price"] <= 1300 for f in shanghai_beijing)
    urumqi = [f for s in range(10) for f in one("上海", "乌鲁木齐", "economy", s)]
    assert min(f["duration_min"] for f in urumqi) > max(f["duration_min"] for f in shanghai_beijing)
    business = [f for s in range(20) for f in one("上海", "北京", "business", s)]
    assert min(f["price"] for f in business) > sorted(f["price"] for f in shanghai_beijing)[len(shanghai_beijing) // 2]


def test_hotels_follow_the_call(project, observer):
    brands = project.lexicons.table("observations")["hotel"]["brand"]
    hotel_values = {e.value for e in project.lexicons.get("HOTEL").entries}
    for i, (tool, args) in enumerate(CALLS):
        if tool != "search_hotels":
            continue
        obs = observer.observe(tool, args, TODAY, random.Random(i))
        assert (obs["city"], obs["check_in"]) == (args["city"], args["check_in"])
        hotels = obs["hotels"]
        assert 2 <= len(hotels) <= 6 and len({h["name"] for h in hotels}) == len(hotels)
        assert [h["rating"] for h in hotels] == sorted((h["rating"] for h in hotels), reverse=True)
        for h in hotels:
            assert h["name"] in hotel_values and h["name"].startswith(h["brand"] + "(")
            assert h["stars"] == brands[h["brand"]]["stars"] >= args.get("min_stars", 0)
            assert 100 <= h["price"] <= args.get("max_price", 10_000)
            assert 4.0 <= h["rating"] <= 5.0 and round(h["rating"], 1) == h["rating"]


def test_every_listed_brand_has_branches(project):
    values = {e.value for e in project.lexicons.get("HOTEL").entries}
    for brand in project.lexicons.table("observations")["hotel"]["brand"]:
        assert any(v.startswith(brand + "(") for v in values), brand


def test_weather_fits_the_place_and_month(project, observer):
    def highs(city, day):
        return [observer.observe("get_weather", {"city": city, "date": day}, TODAY, random.Random(s))["temp_high"] for s in range(20)]

    assert max(highs("哈尔滨", "2024-01-15")) < 0 < min(highs("广州", "2024-07-15")) - 25
    bands = project.lexicons.table("observations")["weather"]["aqi_level"]
    for s in range(30):
        obs = observer.observe("get_weather", {"city": "北京"}, TODAY, random.Random(s))
        assert obs["date"] == TODAY.isoformat()  # no date: today
        assert obs["temp_high"] > obs["temp_low"] and 0 <= obs["precip_prob"] <= 100
        bound = min(int(b) for b in bands if obs["aqi"] <= int(b))
        assert obs["aqi_level"] == bands[str(bound)]


def test_bookings_echo_the_call(observer):
    args = {"hotel_name": "如家酒店", "city": "上海", "check_in": "2023-11-01", "check_out": "2023-11-04"}
    obs = observer.observe("book_hotel", args, TODAY, random.Random(1))
    assert {k: obs[k] for k in args} == args and obs["nights"] == 3 and obs["rooms"] == 1 and "room_type" not in obs
    assert re.fullmatch(r"H[0-9]{11}", obs["order_id"]) and obs["status"] == "confirmed"
    flight = observer.observe("book_flight", {"flight_no": "CA1501", "date": "2023-11-01", "passengers": 2, "cabin": "first"}, TODAY, random.Random(1))
    assert (flight["flight_no"], flight["passengers"], flight["cabin"]) == ("CA1501", 2, "first")


def test_profile_is_cut_to_its_section(project, observer):
    from engine.profile import ProfileMaker, section

    profile = ProfileMaker(project.lexicons).draw(random.Random(3))
    for name in (None, "basic", "membership", "points", "passengers", "preferences"):
        args = {"section": name} if name else {}
        expected = section(profile, name)
        assert observer.observe("get_user_profile", args, TODAY, random.Random(0), profile=profile) == expected
        assert observer.observe("get_user_profile", args, TODAY, random.Random(0), profile=profile.model_dump()) == expected
    drawn = observer.observe("get_user_profile", {}, TODAY, random.Random(4))
    assert drawn == observer.observe("get_user_profile", {}, TODAY, random.Random(4)) and drawn["user_id"]


def test_empty_and_items(observer):
    args = {"origin": "上海", "destination": "北京", "date": "2023-11-01"}
    full = observer.observe("search_flights", args, TODAY, random.Random(2))
    assert observer.items(full) == full["flights"] and len(observer.items(full)) >= 2
    empty = observer.observe("search_flights", args, TODAY, random.Random(2), "empty")
    assert empty["flights"] == [] and observer.items(empty) == [] and empty["origin"] == "上海"
    hotels = observer.observe("search_hotels", {"city": "上海", "check_in": "2023-11-01"}, TODAY, random.Random(2))
    assert observer.items(hotels) == hotels["hotels"]
    weather = observer.observe("get_weather", {"city": "上海"}, TODAY, random.Random(2), "empty")
    assert observer.items(weather) == [] and "condition" in weather  # nothing to empty: as for ok


def test_errors(project, observer):
    messages = project.lexicons.table("observations")["error"]
    past = observer.observe("search_flights", {"origin": "上海", "destination": "北京", "date": "2023-10-01"}, TODAY, random.Random(0), "error")
    assert past == {"error": {"code": "date_in_past", "message": messages["date_in_past"]}}
    for i, (tool, args) in enumerate(CALLS[:60]):
        obs = observer.observe(tool, args, TODAY, random.Random(i), "error")
        assert set(obs) == {"error"} and obs["error"]["code"] in project.tools[tool].result["x-errors"]
        assert obs["error"]["code"] != "date_in_past" and obs["error"]["message"] == messages[obs["error"]["code"]]
    with pytest.raises(ValueError, match="unknown outcome"):
        observer.observe("get_weather", {"city": "上海"}, TODAY, random.Random(0), "oops")


def _tool(tmp_path: Path, result: dict | None):
    body = {"name": "track_order", "description": "查询订单的物流状态。",
            "parameters": {"type": "object", "properties": {"order_no": {"type": "string"}}, "required": ["order_no"]}}
    if result is not None:
        body["x-result"] = result
    path = tmp_path / "track_order.json"
    path.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    return load_tool(path, "tools/track_order.json")


def test_a_new_tool_needs_only_its_x_result(project, tmp_path):
    result = {
        "type": "object",
        "properties": {
            "order_no": {"type": "string", "x-arg": "order_no"},
            "status": {"type": "string", "enum": ["已发货", "运输中", "派送中", "已签收"]},
            "carrier_city": {"type": "string", "x-lexicon": "CITY", "pattern": "^[^A-Za-z]+$"},
            "eta": {"type": "string", "format": "date", "default": "today"},
            "parcels": {"type": "array", "x-list": True, "x-count": [1, 3], "x-sort": "-weight_kg",
                        "items": {"type": "object", "properties": {"weight_kg": {"type": "number", "x-range": [0.2, 9.5], "x-step": 0.1},
                                                                   "code": {"type": "string", "pattern": "^SF[0-9]{10}$"}}}},
        },
    }
    tool = _tool(tmp_path, result)
    assert tool.result == result and "x-result" not in json.dumps(tool.offered())
    observer = Observer(SimpleNamespace(tools={"track_order": tool}, lexicons=project.lexicons))
    for s in range(20):
        obs = observer.observe("track_order", {"order_no": "JD2023102901"}, TODAY, random.Random(s))
        _validate(result, obs)
        assert obs["order_no"] == "JD2023102901" and obs["eta"] == TODAY.isoformat() and observer.items(obs) == obs["parcels"]
    bare = Observer(SimpleNamespace(tools={"track_order": _tool(tmp_path, None)}, lexicons=project.lexicons))
    assert bare.observe("track_order", {"order_no": "x"}, TODAY, random.Random(0)) == {"status": "ok"}
    err = bare.observe("track_order", {"order_no": "x"}, TODAY, random.Random(0), "error")
    assert err["error"]["code"] == "service_busy"


@pytest.mark.parametrize(("result", "message"), [
    ({"type": "object", "properties": {"a": {"type": "integer", "x-rnage": [1, 2]}}}, "unknown hint 'x-rnage' (did you mean x-range?)"),
    ({"type": "object", "properties": {"a": {"type": "string", "x-lexicon": "CITYY"}}}, "unknown lexicon 'CITYY' (did you mean CITY?)"),
    ({"type": "object", "properties": {"a": {"type": "string", "x-table": "nowhere.a.b"}}}, "nowhere.toml"),
])
def test_bad_hints_are_refused_on_load(project, tmp_path, result, message):
    tool = _tool(tmp_path, result)
    with pytest.raises(CallgramError, match=re.escape(message)):
        Observer(SimpleNamespace(tools={"track_order": tool}, lexicons=project.lexicons))


@pytest.mark.parametrize(("result", "message"), [
    ({"type": "object", "properties": {"a": {"tpye": "string"}}}, "unknown schema keyword 'tpye'"),
    ({"type": "objekt"}, "invalid JSON Schema in x-result"),
    (["not", "a", "schema"], "must be a JSON Schema object"),
])
def test_broken_x_result_is_a_located_error(tmp_path, result, message):
    with pytest.raises(CallgramError, match=re.escape(message)):
        _tool(tmp_path, result)


def test_city_coordinates_are_near_their_airports(project):
    airportsdata = pytest.importorskip("airportsdata")
    airports = airportsdata.load("IATA")
    cities = project.lexicons.table("observations")["city"]
    checked = 0
    for e in project.lexicons.get("CITY").entries:
        if "iata" in e.tags and e.surface in airports:
            lat, lon = cities[e.value]["at"]
            a = airports[e.surface]
            km = 111 * math.hypot(lat - a["lat"], (lon - a["lon"]) * math.cos(math.radians(lat)))
            assert km < 80, (e.value, e.surface, round(km))
            checked += 1
    assert checked > 80
    canonical = {e.value for e in project.lexicons.get("CITY").entries if e.value == e.surface}
    assert canonical <= set(cities)
