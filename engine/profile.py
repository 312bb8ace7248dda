"""Seeded user profiles for conversations that look the user up (get_user_profile): home and current city,
preferred cabin, airline and hotel, frequent passengers and membership, drawn as real app users look.

Every word, name and weight comes from ``lexicons/zh/profile.toml``; every city, carrier, cabin, hotel brand
and relation it names must be a value of the matching lexicon, checked when the maker is built. A profile
depends only on the ``random.Random`` it is drawn with.
"""
from __future__ import annotations

import math
import random
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.errors import CallgramError, did_you_mean

Gender = Literal["male", "female"]
_Generation = Literal["elder", "peer", "young"]
# A name that clashes with a name already in the profile is redrawn this often, then kept.
_NAME_TRIES = 20


class Passenger(BaseModel):
    relation: str  # a value of relation.tsv (spouse, mother, colleague…)
    name: str


class Membership(BaseModel):
    level: str
    points: int


class HotelPrefs(BaseModel):
    min_stars: int | None
    brand: str | None  # a brand value of hotel.tsv (no branch)


class Profile(BaseModel):
    user_id: str
    name: str
    gender: Gender  # who says 我老婆 and who says 我老公 (ProfileMaker.says)
    home_city: str | None
    current_city: str | None
    preferred_cabin: str | None  # a value of search_flights' cabin enum
    preferred_airline: str | None  # an IATA code, a value of carrier.tsv
    frequent_passengers: list[Passenger]
    hotel: HotelPrefs
    membership: Membership


# What get_user_profile returns per `section`: the profile's own fields (dotted: inside a nested one), so a
# path that reads a field from the whole profile (home_city, hotel.brand, membership.points: profile_fill and
# the profile: refs of the conversation engine) reads it the same from any section that holds it.
_SECTIONS: dict[str, tuple[str, ...]] = {
    "basic": ("user_id", "name", "gender", "home_city", "current_city"),
    "membership": ("membership.level", "membership.points"),
    "points": ("membership.points",),
    "passengers": ("frequent_passengers",),
    "preferences": ("preferred_cabin", "preferred_airline", "hotel.min_stars", "hotel.brand"),
}


def section(profile: Profile, name: str | None) -> dict:
    """What get_user_profile returns for its ``section`` argument (basic, membership, points, passengers,
    preferences; None = everything, which is ``profile.model_dump()``): a JSON-serialisable dict whose keys
    never depend on the values (a missing field is null). Every section is a part of the whole."""
    whole = profile.model_dump(mode="json")
    if name is None:
        return whole
    if name not in _SECTIONS:
        raise ValueError(f"unknown profile section {name!r} (one of {', '.join(_SECTIONS)})")
    out: dict = {}
    for path in _SECTIONS[name]:
        *parents, leaf = path.split(".")
        src, dst = whole, out
        for part in parents:
            src, dst = src[part], dst.setdefault(part, {})
        dst[leaf] = src[leaf]
    return out


# -- profile.toml, validated ------------------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Account(_Strict):
    id_prefix: str
    id_digits: int = Field(ge=1)
    male_share: float = Field(ge=0, le=1)


class _Cities(_Strict):
    home_tier: dict[int, float]
    away_tier: dict[int, float]
    at_home_share: float = Field(ge=0, le=1)
    abroad: list[str] = []
    scenic: list[str] = []
    scenic_home: float = Field(ge=0)
    scenic_away: float = Field(ge=0)


class _Airlines(_Strict):
    hub_boost: float = Field(ge=0)
    hubs: dict[str, list[str]] = {}


class _HotelClass(_Strict):
    brands: list[str]
    min_stars: int | None = Field(None, ge=1, le=5)


class _Hotels(_Strict):
    brand_share: float = Field(ge=0, le=1)
    stars_share: float = Field(ge=0, le=1)
    class_: dict[str, _HotelClass] = Field(alias="class")


class _Level(_Strict):
    level: str
    weight: float = Field(gt=0)
    points: tuple[int, int]
    cabin: dict[str, float]
    hotel_class: dict[str, float]


class _Passengers(_Strict):
    count: dict[int, float]
    paternal_share: float = Field(ge=0, le=1)


class _Relation(_Strict):
    weight: float = Field(gt=0)
    gender: Literal["male", "female", "opposite", "any"]
    generation: _Generation
    surname: Literal["user", "father", "mother", "spouse", "spouse_father", "child", "any"]
    users: Gender | None = None
    excludes: list[str] = []


class _Table(_Strict):
    account: _Account
    city: _Cities
    airline: _Airlines
    hotel: _Hotels
    membership: list[_Level] = Field(min_length=1)
    passengers: _Passengers
    relation: dict[str, _Relation] = Field(min_length=1)
    speaker: dict[Gender, list[str]]
    surname: dict[str, float] = Field(min_length=1)
    given: dict[Gender, dict[_Generation, list[str]]]


# -- drawing ----------------------------------------------------------------------------------------------
class ProfileMaker:
    """Draws profiles from profile.toml and the city, carrier, cabin, hotel and relation lexicons."""

    def __init__(self, lexicons):
        self._file = str(lexicons.folder / "profile.toml")
        try:
            self.t = _Table.model_validate(lexicons.table("profile"))
        except ValidationError as e:
            err = e.errors()[0]
            raise CallgramError(f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}", self._file) from None
        self._check(lexicons)
        t = self.t
        tier_of = {c: int(k) for k, cs in lexicons.table("city_tiers").get("tier", {}).items() for c in cs}
        last_tier = max(tier_of.values(), default=0) + 1  # unlisted cities: the tier after the listed ones
        abroad, scenic = set(t.city.abroad), set(t.city.scenic)
        self.cities = [c for c in _canonical_cities(lexicons) if c not in abroad]
        tiers = [tier_of.get(c, last_tier) for c in self.cities]
        self._home_w = [_tier_weight(t.city.home_tier, k) * (t.city.scenic_home if c in scenic else 1) for c, k in zip(self.cities, tiers)]
        self._away_w = [_tier_weight(t.city.away_tier, k) * (t.city.scenic_away if c in scenic else 1) for c, k in zip(self.cities, tiers)]
        # A carrier's share of the traffic is what carrier.tsv's weights already say, summed over its forms.
        carrier: dict[str, float] = {}
        for e in lexicons.get("CARRIER").entries:
            carrier[e.value] = carrier.get(e.value, 0) + e.weight
        self.airlines, self._airline_w = list(carrier), list(carrier.values())
        self._hubs = {code: set(cities) for code, cities in t.airline.hubs.items()}
        self.relations = list(t.relation)
        self._surnames, self._surname_w = list(t.surname), list(t.surname.values())
        self._counts = sorted(t.passengers.count)

    def _check(self, lexicons) -> None:
        """Every value profile.toml names is one the lexicons (and so the tools) know."""
        t = self.t
        cities = set(_canonical_cities(lexicons))
        carriers = {e.value for e in lexicons.get("CARRIER").entries}
        cabins = {e.value for e in lexicons.get("CABIN").entries}
        brands = {e.value for e in lexicons.get("HOTEL").entries if e.value and "(" not in e.value}
        if "RELATION" not in lexicons.slots:
            raise CallgramError("profiles need lexicons/zh/relation.tsv (the relation keys of frequent passengers)", self._file)
        said = {e.value for e in lexicons.get("RELATION").entries}
        wanted: list[tuple[str, list[str], set[str]]] = [
            ("city.abroad", t.city.abroad, cities), ("city.scenic", t.city.scenic, cities),
            ("airline.hubs", list(t.airline.hubs), carriers),
            *((f"airline.hubs.{k}", v, cities) for k, v in t.airline.hubs.items()),
            *((f"hotel.class.{k}.brands", c.brands, brands) for k, c in t.hotel.class_.items()),
            *((f"membership {lv.level!r} cabin", list(lv.cabin), cabins) for lv in t.membership),
            *((f"membership {lv.level!r} hotel_class", list(lv.hotel_class), set(t.hotel.class_)) for lv in t.membership),
            ("relation", list(t.relation), said),
            ("relation.tsv values", sorted(said), set(t.relation)),
            *((f"relation.{k}.excludes", r.excludes, set(t.relation)) for k, r in t.relation.items()),
        ]
        for where, names, known in wanted:
            for name in names:
                if name not in known:
                    raise CallgramError(f"{where}: unknown {name!r}{did_you_mean(name, known)}", self._file)
        for lv in t.membership:
            if not 0 <= lv.points[0] <= lv.points[1]:
                raise CallgramError(f"membership {lv.level!r}: points must be [low, high], 0 <= low <= high", self._file)
        for g in ("male", "female"):
            for gen in ("elder", "peer", "young"):
                if not t.given.get(g, {}).get(gen):
                    raise CallgramError(f"given.{g}.{gen}: no names", self._file)

    def draw(self, rng: random.Random, lacking: float = 0.2) -> Profile:
        """A plausible profile; each of home_city, current_city, preferred_cabin, preferred_airline is None with
        probability ``lacking`` (so conversations must sometimes ask instead). Deterministic given rng.

        Every value is drawn whatever ``lacking`` is, so one seed gives the same user at any rate."""
        t = self.t
        level = _pick(rng, t.membership, [lv.weight for lv in t.membership])
        points = _log_uniform(rng, *level.points)
        gender: Gender = "male" if rng.random() < t.account.male_share else "female"
        family = self._family(rng, gender)
        name = family["user"] + rng.choice(t.given[gender]["peer"])
        home = _pick(rng, self.cities, self._home_w)
        current = home
        if rng.random() >= t.city.at_home_share:
            away = [0 if c == home else w for c, w in zip(self.cities, self._away_w)]
            current = _pick(rng, self.cities, away)
        cabin = _pick(rng, list(level.cabin), list(level.cabin.values()))
        boosted = [w * (t.airline.hub_boost if home in self._hubs.get(a, ()) else 1) for a, w in zip(self.airlines, self._airline_w)]
        airline = _pick(rng, self.airlines, boosted)
        hotel = self._hotel(rng, level)
        passengers = self._passengers(rng, gender, name, family)
        digits = t.account.id_digits
        user_id = t.account.id_prefix + str(rng.randrange(10 ** (digits - 1), 10 ** digits))
        home, current, cabin, airline = (None if rng.random() < lacking else v for v in (home, current, cabin, airline))
        return Profile(
            user_id=user_id, name=name, gender=gender, home_city=home, current_city=current,
            preferred_cabin=cabin, preferred_airline=airline, frequent_passengers=passengers,
            hotel=hotel, membership=Membership(level=level.level, points=points),
        )

    def says(self, profile: Profile, surface: str) -> bool:
        """Whether this user would name a companion so: a man says 我老婆 and 岳父, a woman 我老公 and 公公."""
        other = "female" if profile.gender == "male" else "male"
        return not any(word in surface for word in self.t.speaker.get(other, []))

    # -- parts ------------------------------------------------------------------------------------------
    def _surname(self, rng: random.Random) -> str:
        return _pick(rng, self._surnames, self._surname_w)

    def _family(self, rng: random.Random, gender: Gender) -> dict[str, str]:
        """The surname each relative carries: a child takes the father's (paternal_share), else the mother's,
        which is how the user got theirs too. Always the same draws, whoever ends up in the profile."""
        p = self.t.passengers.paternal_share
        user, other, spouse, spouse_mother = (self._surname(rng) for _ in range(4))
        father, mother = (user, other) if rng.random() < p else (other, user)
        spouse_father = spouse if rng.random() < p else spouse_mother
        dad, mum = (user, spouse) if gender == "male" else (spouse, user)
        child = dad if rng.random() < p else mum
        return {"user": user, "father": father, "mother": mother, "spouse": spouse,
                "spouse_father": spouse_father, "child": child}

    def _hotel(self, rng: random.Random, level: _Level) -> HotelPrefs:
        """A class of hotel by membership level; a brand of that class and its star floor, each often unset."""
        h = self.t.hotel
        kind = h.class_[_pick(rng, list(level.hotel_class), list(level.hotel_class.values()))]
        brand = rng.choice(kind.brands)
        has_brand, has_stars = rng.random() < h.brand_share, rng.random() < h.stars_share
        return HotelPrefs(min_stars=kind.min_stars if has_stars else None, brand=brand if has_brand else None)

    def _passengers(self, rng: random.Random, gender: Gender, user_name: str, family: dict[str, str]) -> list[Passenger]:
        """0–3 companions of distinct relations the user can have (a boyfriend excludes a spouse), each with a
        name of their gender and generation and the surname their place in the family gives them."""
        t = self.t
        n = _pick(rng, self._counts, [t.passengers.count[k] for k in self._counts])
        chosen: list[str] = []
        for _ in range(n):
            barred = {x for c in chosen for x in t.relation[c].excludes}
            options = [r for r in self.relations if r not in chosen and r not in barred
                       and not set(t.relation[r].excludes) & set(chosen) and t.relation[r].users in (None, gender)]
            if not options:
                break
            chosen.append(_pick(rng, options, [t.relation[r].weight for r in options]))
        taken, out = {user_name}, []
        for key in chosen:
            rel = t.relation[key]
            if rel.gender == "opposite":
                sex: Gender = "female" if gender == "male" else "male"
            elif rel.gender == "any":
                sex = "male" if rng.random() < t.account.male_share else "female"
            else:
                sex = rel.gender
            # A spouse's name shares no character with the user's (unless their surnames happen to match).
            avoid = set(user_name) - set(family["spouse"]) if key == "spouse" else set()
            for _ in range(_NAME_TRIES):
                surname = self._surname(rng) if rel.surname == "any" else family[rel.surname]
                name = surname + rng.choice(t.given[sex][rel.generation])
                if name not in taken and not avoid & set(name):
                    break
            taken.add(name)
            out.append(Passenger(relation=key, name=name))
        return out


def _canonical_cities(lexicons) -> list[str]:
    """Canonical city names in file order: a city is a line whose value is its own surface (checks.py)."""
    return list(dict.fromkeys(e.value for e in lexicons.get("CITY").entries if e.value == e.surface))


def _tier_weight(weights: dict[int, float], tier: int) -> float:
    """The weight of a tier; a tier beyond the table weighs like the table's last."""
    return weights.get(tier, weights[max(weights)])


def _pick(rng: random.Random, items: list, weights: list[float]):
    return rng.choices(items, weights=weights)[0]


def _log_uniform(rng: random.Random, low: int, high: int) -> int:
    """An integer in [low, high], log-uniform (shifted by one so 0 is possible): most balances sit low."""
    value = round(math.exp(rng.uniform(math.log(low + 1), math.log(high + 1)))) - 1
    return min(max(value, low), high)
