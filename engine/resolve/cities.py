"""City surface forms → canonical city name, from the city lexicon (RESOLVER_RULES.md, Cities)."""
from __future__ import annotations

from functools import lru_cache

from pypinyin import lazy_pinyin

from engine.resolve import Resolved

AMBIGUOUS_SEP = "|"  # a lexicon value naming several cities: the surface is ambiguous
AIRPORT = "airport:"  # a lexicon tag naming the airport a surface stands for (虹桥机场: airport:SHA)


class CityTable:
    """Every surface of the city lexicon, plus a toneless-pinyin index of canonical names for typos."""

    def __init__(self, surfaces: dict[str, tuple[str, tuple[str, ...]]]):
        self.exact = surfaces  # surface -> (value, tags)
        self.folded = {s.lower(): v for s, v in surfaces.items() if s.isascii()}
        self.by_pinyin: dict[str, set[str]] = {}
        for value, _ in surfaces.values():
            if AMBIGUOUS_SEP not in value:  # a city named by its 市 form (安康市) sounds like its bare name too
                for name in {value, value[:-1] if len(value) > 2 and value.endswith("市") else value}:
                    self.by_pinyin.setdefault(_pinyin(name), set()).add(value)

    def resolve(self, text: str) -> Resolved:
        return _resolve(self, text.strip())


@lru_cache(maxsize=65536)
def _pinyin(text: str) -> str:
    return "".join(lazy_pinyin(text))


@lru_cache(maxsize=65536)
def _resolve(table: CityTable, key: str) -> Resolved:
    hit = table.exact.get(key) or (table.folded.get(key.lower()) if key.isascii() else None)
    if hit is None and len(key) > 2 and key.endswith("市"):
        hit = table.exact.get(key[:-1])
    if hit is not None:
        value, tags = hit
        if AMBIGUOUS_SEP in value:
            what = "a region: its cities with an airport" if "province" in tags else "a nickname shared by several cities"
            return Resolved("ambiguous", value.split(AMBIGUOUS_SEP), (), f"{key} is {what}")
        flags = _flags(key, tags)
        kind = next((f.replace(":", " ") for f in flags if f.startswith(AIRPORT)), None) or next((t for t in tags), "name")
        return Resolved("city", value, flags, f"city lexicon ({kind})")
    if key and not key.isascii() and len(key) <= 6:
        stem = key[:-1] if key.endswith("市") and len(key) > 2 else key
        # A misspelling keeps part of the name (成督, 苏洲): a word that only sounds like a city (五位, 武威) is none.
        cands = {c for c in table.by_pinyin.get(_pinyin(stem), set()) if any(a == b for a, b in zip(stem, c))}
        if len(cands) == 1:
            city = next(iter(cands))
            return Resolved("city", city, ("typo",), f"sounds like {city} (pinyin {_pinyin(stem)})")
        if len(cands) > 1:
            return Resolved("ambiguous", sorted(cands), ("typo",), "sounds like several cities")
    return Resolved("unknown", rule="not in the city lexicon")


def _flags(key: str, tags: tuple[str, ...]) -> tuple[str, ...]:
    """typo for a misspelling; airport:<IATA> for an airport's code or name, so a caller knows which airport."""
    airport = next((t for t in tags if t.startswith(AIRPORT)), None)
    if airport is None and "iata" in tags:
        airport = AIRPORT + key.upper()
    return tuple(f for f in ("typo" if "typo" in tags else None, airport) if f)


def resolve_city(text: str, table: CityTable) -> Resolved:
    """Canonical name for a full name, 市 form, abbreviation, nickname, pinyin, English name, IATA code, airport or typo."""
    return table.resolve(text)
