"""City surface forms → canonical city name, from the city lexicon."""
from __future__ import annotations

from engine.resolve import Resolved


def resolve_city(text: str, cities: dict[str, str], tags: tuple[str, ...] = ()) -> Resolved:
    """Canonical name for a city's full name, 市 form, abbreviation, nickname, pinyin or IATA code."""
    key = text.strip()
    canonical = cities.get(key) or cities.get(key.lower()) or cities.get(key.upper())
    if canonical is None:
        return Resolved("unknown", rule="not in the city lexicon")
    flags = tuple(t for t in tags if t == "typo")
    kind = tags[0] if tags else "name"
    return Resolved("city", canonical, flags, rule=f"city lexicon ({kind})")
