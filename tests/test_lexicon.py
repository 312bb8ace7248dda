"""Slot lexicons: shipped data is consistent; malformed files give located errors."""
from __future__ import annotations

import math

import pytest

from engine.errors import CallgramError
from engine.lexicon import load_lexicons


def test_city_lexicon_has_the_big_cities_and_nicknames(project):
    city = project.lexicons.get("CITY")
    canon = {e.value for e in city.entries}
    assert len(canon) >= 40
    for nick, name in [("魔都", "上海"), ("帝都", "北京"), ("申城", "上海"), ("羊城", "广州"), ("鹏城", "深圳"), ("蓉城", "成都"), ("春城", "昆明")]:
        assert city.by_surface[nick].value == name


def _airport_codes(city) -> list[tuple[str, str]]:
    """(IATA code, city) for every code the city lexicon names: code lines and airport:<IATA> tags of airport names."""
    out = []
    for e in city.entries:
        if "iata" in e.tags:
            out.append((e.surface, e.value))
        out += [(t.split(":", 1)[1], e.value) for t in e.tags if t.startswith("airport:")]
    return out


def test_iata_codes_are_real_airports_of_that_city(project):
    airportsdata = pytest.importorskip("airportsdata")
    airports = airportsdata.load("IATA")
    abroad = set(project.lexicons.table("profile")["city"]["abroad"])  # abroad, Hong Kong, Macau, Taiwan
    where = project.lexicons.table("observations")["city"]
    codes = _airport_codes(project.lexicons.get("CITY"))
    assert len(codes) >= 300
    for code, value in codes:
        assert code in airports, code
        a = airports[code]
        assert (a["country"] == "CN") == (value not in abroad), (code, value, a["country"])
        lat, lon = where[value]["at"]
        km = 111 * math.hypot(lat - a["lat"], (lon - a["lon"]) * math.cos(math.radians(lat)))
        assert km < 80, (code, value, round(km))


def test_airport_names_are_flagged_with_their_code(project):
    city = project.lexicons.get("CITY")
    named = [e for e in city.entries if any(t.startswith("airport:") for t in e.tags)]
    assert len(named) >= 100
    assert {e.surface for e in named} >= {"虹桥", "上海虹桥", "虹桥机场", "浦东机场", "首都机场", "大兴机场", "白云机场", "宝安机场",
                                          "双流机场", "天府机场", "萧山机场", "三灶机场"}


def test_regions_are_ambiguous_between_their_cities_with_an_airport(project):
    city = project.lexicons.get("CITY")
    with_airport = {v for _, v in _airport_codes(city)}
    regions = [e for e in city.entries if "province" in e.tags]
    assert {e.surface for e in regions} >= {"海南", "云南", "新疆", "西藏", "台湾", "内蒙古", "广西"}
    for e in regions:
        cands = e.value.split("|")
        assert "ambiguous" in e.tags and e.weight == 0 and len(cands) >= 2, e.surface
        assert set(cands) <= with_airport, e.surface
    assert city.by_surface["海南"].value == "海口|三亚|琼海"


def test_placeholders_are_private_use_and_distinct(project):
    marks = [lex.placeholder for lex in project.lexicons.slots.values()]
    assert len(set(marks)) == len(marks)
    assert all(0xE000 <= ord(m) <= 0xF8FF for m in marks)


BROKEN = [
    ("surface\tvalue\n上海\t上海\n", "missing '# resolver", 1),
    ("# resolver: town\n", "unknown resolver 'town'", 1),
    ("# resolver: city\nsurface\tvalue\n上海\t上海\n上海\t上海\n", "duplicate surface '上海' (first on line 3)", 4),
    ("# resolver: city\nsurface\tvalue\tweight\n", "header line", 2),
    ("# resolver: city\nsurface\tvalue\ttags\tweight\n上海\t上海\tname\theavy\n", "weight must be a number", 3),
    ("# resolver: literal\n# pattern: [A-Z]{2}\nsurface\tvalue\nabc\tabc\n", "does not match the lexicon's pattern", 4),
]


@pytest.mark.parametrize(("text", "message", "line"), BROKEN, ids=[b[1][:25] for b in BROKEN])
def test_broken_lexicon_gives_located_error(tmp_path, text, message, line):
    (tmp_path / "city.tsv").write_text(text, encoding="utf-8")
    with pytest.raises(CallgramError) as err:
        load_lexicons(tmp_path, rel=lambda p: f"lexicons/zh/{p.name}")
    assert message in str(err.value)
    assert str(err.value).startswith(f"lexicons/zh/city.tsv:{line}:")


def test_pattern_lexicon_accepts_unlisted_text(project):
    flight = project.lexicons.get("FLIGHT_NO")
    assert flight.value_of("mu5101") == "MU5101"
    assert flight.value_of("hello") is None
