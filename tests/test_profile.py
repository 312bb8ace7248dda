"""Seeded user profiles (engine/profile.py): deterministic, every value one the tools and lexicons know,
missing fields at the asked rate, and get_user_profile's sections in a stable shape."""
from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path

import pytest

from engine.errors import CallgramError
from engine.lexicon import Lexicons
from engine.profile import Profile, ProfileMaker, section

ROOT = Path(__file__).resolve().parent.parent
OPTIONAL = ("home_city", "current_city", "preferred_cabin", "preferred_airline")


@pytest.fixture(scope="module")
def project():
    from engine.project import load_project

    return load_project(ROOT)


@pytest.fixture(scope="module")
def maker(project):
    return ProfileMaker(project.lexicons)


@pytest.fixture(scope="module")
def drawn(maker) -> list[Profile]:
    rng = random.Random("profiles")
    return [maker.draw(rng, lacking=0.0) for _ in range(2000)]


def _tool(name: str) -> dict:
    return json.loads((ROOT / "tools" / f"{name}.json").read_text(encoding="utf-8"))


def _values(project, lexicon: str) -> set[str]:
    return {e.value for e in project.lexicons.get(lexicon).entries}


def test_same_rng_same_profile(maker, project):
    a = [maker.draw(random.Random(k)).model_dump() for k in range(50)]
    b = [ProfileMaker(project.lexicons).draw(random.Random(k)).model_dump() for k in range(50)]
    assert a == b
    assert len({json.dumps(p, ensure_ascii=False, sort_keys=True) for p in a}) == 50


def test_lacking_only_blanks_fields(maker):
    """One seed is one user at any rate: ``lacking`` decides what is missing, not who the user is."""
    for k in range(50):
        full, some = maker.draw(random.Random(k), 0.0), maker.draw(random.Random(k), 0.5)
        for f in OPTIONAL:
            assert getattr(some, f) in (None, getattr(full, f))
        assert some.model_dump(exclude=set(OPTIONAL)) == full.model_dump(exclude=set(OPTIONAL))


def test_every_value_is_one_the_tools_know(project, maker):
    cabins = set(_tool("search_flights")["parameters"]["properties"]["cabin"]["enum"])
    airline_pattern = _tool("search_flights")["parameters"]["properties"]["airline"]["pattern"]
    carriers = _values(project, "CARRIER")
    cities = {e.value for e in project.lexicons.get("CITY").entries if e.value == e.surface}
    relations = _values(project, "RELATION")
    brands = {v for v in _values(project, "HOTEL") if "(" not in v}
    table = project.lexicons.table("profile")
    levels = {lv["level"]: lv["points"] for lv in table["membership"]}
    surnames = sorted(table["surname"], key=len, reverse=True)
    rng = random.Random("valid")
    for _ in range(500):
        p = maker.draw(rng, lacking=0.3)
        assert p.preferred_cabin is None or p.preferred_cabin in cabins
        assert p.preferred_airline is None or (p.preferred_airline in carriers and re.fullmatch(airline_pattern, p.preferred_airline))
        assert p.home_city is None or p.home_city in cities
        assert p.current_city is None or p.current_city in cities
        assert p.hotel.brand is None or p.hotel.brand in brands
        assert p.hotel.min_stars is None or 1 <= p.hotel.min_stars <= 5
        low, high = levels[p.membership.level]
        assert low <= p.membership.points <= high
        assert re.fullmatch(r"U\d{9}", p.user_id)
        assert len(p.frequent_passengers) <= 3
        rels = [q.relation for q in p.frequent_passengers]
        assert set(rels) <= relations and len(set(rels)) == len(rels)
        names = [p.name, *(q.name for q in p.frequent_passengers)]
        assert len(set(names)) == len(names)
        for n in names:  # a surname from the table, then a given name of one or two characters
            assert any(n.startswith(s) and 1 <= len(n) - len(s) <= 2 for s in surnames), n


def test_missing_fields_at_the_asked_rate(maker):
    rng = random.Random("lacking")
    profiles = [maker.draw(rng, lacking=0.2) for _ in range(2000)]
    for f in OPTIONAL:
        share = sum(getattr(p, f) is None for p in profiles) / len(profiles)
        assert 0.15 <= share <= 0.25, (f, share)
    assert all(getattr(maker.draw(rng, 0.0), f) is not None for _ in range(200) for f in OPTIONAL)
    assert all(getattr(maker.draw(rng, 1.0), f) is None for _ in range(200) for f in OPTIONAL)


def test_plausible_shares(project, drawn):
    at_home = sum(p.current_city == p.home_city for p in drawn) / len(drawn)
    assert 0.7 <= at_home <= 0.8
    cabins = Counter(p.preferred_cabin for p in drawn)
    assert cabins["economy"] / len(drawn) > 0.6 and cabins.most_common(1)[0][0] == "economy"
    airlines = Counter(p.preferred_airline for p in drawn)
    big, small = ("MU", "CA", "CZ"), ("DR", "NS", "QW", "AQ", "OQ")  # carrier.tsv weighs the first far more
    assert min(airlines[a] for a in big) > 5 * max(airlines[a] for a in small)
    tier = {c: int(k) for k, cs in project.lexicons.table("city_tiers")["tier"].items() for c in cs}
    homes = Counter(p.home_city for p in drawn)
    per_city = {k: sum(n for c, n in homes.items() if tier.get(c, 3) == k) / max(1, sum(tier.get(c, 3) == k for c in homes)) for k in (1, 2, 3)}
    assert per_city[1] > per_city[2] > per_city[3]
    assert "伦敦" not in homes  # abroad: no domestic app user lives there
    counts = Counter(len(p.frequent_passengers) for p in drawn)
    assert set(counts) == {0, 1, 2, 3}


def test_families_are_named_like_families(project, drawn):
    given = project.lexicons.table("profile")["given"]
    children = [(p, q) for p in drawn for q in p.frequent_passengers if q.relation in ("son", "daughter") and p.gender == "male"]
    assert sum(q.name[0] == p.name[0] for p, q in children) / len(children) > 0.8  # a father's children carry his surname
    spouses = [(p, q) for p in drawn for q in p.frequent_passengers if q.relation == "spouse"]
    assert sum(not set(p.name) & set(q.name) for p, q in spouses) / len(spouses) > 0.9
    for p, q in spouses:  # of the other gender
        other = "female" if p.gender == "male" else "male"
        assert any(q.name.endswith(g) for g in given[other]["peer"])
    for p in drawn:
        rels = {q.relation for q in p.frequent_passengers}
        assert not ({"spouse", "father_in_law", "mother_in_law"} & rels and {"boyfriend", "girlfriend"} & rels)
        assert "boyfriend" not in rels or p.gender == "female"
        assert "girlfriend" not in rels or p.gender == "male"


def test_relation_words_fit_the_speaker(project, maker, drawn):
    man = next(p for p in drawn if p.gender == "male")
    woman = next(p for p in drawn if p.gender == "female")
    assert maker.says(man, "我老婆") and not maker.says(woman, "我老婆")
    assert maker.says(woman, "我老公") and not maker.says(man, "我老公")
    assert maker.says(man, "我爱人") and maker.says(woman, "我爱人")
    assert not maker.says(woman, "我岳父") and not maker.says(man, "我公公")
    for e in project.lexicons.get("RELATION").entries:  # every form fits some user
        assert maker.says(man, e.surface) or maker.says(woman, e.surface), e.surface


def test_relation_keys_match_the_lexicon(project):
    """Every companion a user can name can be a frequent passenger, and every passenger can be named."""
    assert set(project.lexicons.table("profile")["relation"]) == _values(project, "RELATION")


def _paths(d: dict, prefix: str = "") -> set[str]:
    return {q for k, v in d.items() for q in (_paths(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}"})}


def _at(d: dict, path: str):
    for part in path.split("."):
        d = d.get(part) if isinstance(d, dict) else None
    return d


def test_sections(maker, drawn):
    enum = _tool("get_user_profile")["parameters"]["properties"]["section"]["enum"]
    blank = maker.draw(random.Random(3), lacking=1.0)
    parts = set()
    for name in [*enum, None]:
        shapes = {frozenset(_paths(section(p, name))) for p in [*drawn[:200], blank]}
        assert len(shapes) == 1, name  # the same keys whatever is missing
        json.dumps(section(blank, name), ensure_ascii=False)
        if name is not None:
            parts |= shapes.pop()
    assert _paths(section(blank, None)) == parts  # every field in some section
    p = next(p for p in drawn if len(p.frequent_passengers) == 2)
    whole = section(p, None)
    assert whole == json.loads(json.dumps(p.model_dump()))
    for name in enum:  # a field reads the same from its section as from the whole (hotel.brand, home_city)
        assert all(_at(section(p, name), f) == _at(whole, f) for f in _paths(section(p, name)))
    assert section(p, "basic") == {"user_id": p.user_id, "name": p.name, "gender": p.gender,
                                   "home_city": p.home_city, "current_city": p.current_city}
    assert section(p, "membership") == {"membership": {"level": p.membership.level, "points": p.membership.points}}
    assert section(p, "points") == {"membership": {"points": p.membership.points}}
    assert section(p, "passengers") == {"frequent_passengers": [q.model_dump() for q in p.frequent_passengers]}
    assert section(p, "preferences") == {"preferred_cabin": p.preferred_cabin, "preferred_airline": p.preferred_airline,
                                         "hotel": {"min_stars": p.hotel.min_stars, "brand": p.hotel.brand}}
    assert section(blank, None)["home_city"] is None  # what the conversation reads for profile_fill
    with pytest.raises(ValueError):
        section(p, "address")


@pytest.mark.parametrize("where, change, message", [
    ("airline.hubs", lambda t: t["airline"]["hubs"].update({"ZZ": ["北京"]}), "unknown 'ZZ'"),
    ("city.scenic", lambda t: t["city"]["scenic"].append("魔都"), "unknown '魔都'"),
    ("hotel brand", lambda t: t["hotel"]["class"]["economy"]["brands"].append("如家"), "unknown '如家'"),
    ("relation", lambda t: t["relation"].pop("spouse"), "relation.tsv values: unknown 'spouse'"),
    ("schema", lambda t: t["relation"]["mother"].update({"gender": "woman"}), "relation.mother.gender"),
])
def test_bad_table_is_refused(project, where, change, message):
    import copy

    data = copy.deepcopy(project.lexicons.data)
    change(data["profile"])
    lex = Lexicons(folder=project.lexicons.folder, slots=project.lexicons.slots, data=data)
    with pytest.raises(CallgramError, match=re.escape(message)) as e:
        ProfileMaker(lex)
    assert e.value.file.endswith("profile.toml")
