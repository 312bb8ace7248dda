"""City surface forms → canonical city name, from the city lexicon (RESOLVER_RULES.md, Cities)."""
from __future__ import annotations

from functools import lru_cache

from pypinyin import lazy_pinyin

from engine.resolve import Resolved

AMBIGUOUS_SEP = "|"  # a lexicon value naming several cities: the surface is ambiguous


class CityTable:
    """Every surface of the city lexicon, plus a toneless-pinyin index of canonical names for typos."""

    def __init__(self, surfaces: dict[str, tuple[str, tuple[str, ...]]]):
        self.exact = surfaces  # surface -> (value, tags)
        self.folded = {s.lower(): v for s, v in surfaces.items() if s.isascii()}
        self.by_pinyin: dict[str, set[str]] = {}
        for value, _ in surfaces.values():
            if AMBIGUOUS_SEP not in value:
                self.by_pinyin.setdefault(_pinyin(value), set()).add(value)

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
            return Resolved("ambiguous", value.split(AMBIGUOUS_SEP), (), f"nickname {key} is shared by several cities")
        kind = next((t for t in tags), "name")
        return Resolved("city", value, ("typo",) if "typo" in tags else (), f"city lexicon ({kind})")
    if key and not key.isascii() and len(key) <= 6:
        stem = key[:-1] if key.endswith("市") and len(key) > 2 else key
        cands = table.by_pinyin.get(_pinyin(stem), set())
        if len(cands) == 1:
            city = next(iter(cands))
            return Resolved("city", city, ("typo",), f"sounds like {city} (pinyin {_pinyin(stem)})")
        if len(cands) > 1:
            return Resolved("ambiguous", sorted(cands), ("typo",), "sounds like several cities")
    return Resolved("unknown", rule="not in the city lexicon")


def resolve_city(text: str, table: CityTable) -> Resolved:
    """Canonical name for a full name, 市 form, abbreviation, nickname, pinyin, English name, IATA code or typo."""
    return table.resolve(text)
