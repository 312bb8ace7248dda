"""Slot lexicons: shipped data is consistent; malformed files give located errors."""
from __future__ import annotations

import pytest

from engine.errors import CallgramError
from engine.lexicon import load_lexicons


def test_city_lexicon_has_the_big_cities_and_nicknames(project):
    city = project.lexicons.get("CITY")
    canon = {e.value for e in city.entries}
    assert len(canon) >= 40
    for nick, name in [("魔都", "上海"), ("帝都", "北京"), ("申城", "上海"), ("羊城", "广州"), ("鹏城", "深圳"), ("蓉城", "成都"), ("春城", "昆明")]:
        assert city.by_surface[nick].value == name


def test_iata_codes_are_real_airports_of_that_city(project):
    airportsdata = pytest.importorskip("airportsdata")
    airports = airportsdata.load("IATA")
    iata = [e for e in project.lexicons.get("CITY").entries if "iata" in e.tags]
    assert len(iata) >= 40
    for e in iata:
        assert e.surface in airports, e.surface
        assert airports[e.surface]["country"] == "CN"


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
