"""Any expression → its value: tries dates (with times and ranges), clock times, cities, then counts."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from engine.lexicon import Lexicons
from engine.resolve import Resolved
from engine.resolve.cities import CityTable
from engine.resolve.dates import resolve_date
from engine.resolve.numbers import resolve_count
from engine.resolve.times import resolve_time


@dataclass
class ResolveContext:
    """The language data every resolver reads, loaded once from ``lexicons/<lang>/``."""

    date_words: dict
    time_words: dict
    numerals: dict
    cities: CityTable

    @classmethod
    def from_lexicons(cls, lexicons: Lexicons) -> "ResolveContext":
        from engine.slots import city_table

        city = next(lex for lex in lexicons.slots.values() if lex.resolver == "city")
        return cls(lexicons.table("date_words"), lexicons.table("time_words"), lexicons.table("numerals"), city_table(city))


def resolve_expression(text: str, today: date, ctx: ResolveContext) -> Resolved:
    """The first reading among date, time, city and count; ``unknown`` when none applies. Never raises."""
    text = text.strip().rstrip("。！？!?，,")
    if not text:
        return Resolved("unknown", rule="empty")
    try:
        for attempt in (
            lambda: resolve_date(text, today, ctx.date_words, ctx.numerals, ctx.time_words),
            lambda: resolve_time(text, ctx.time_words, ctx.numerals),
            lambda: ctx.cities.resolve(text),
            lambda: resolve_count(text, ctx.numerals),
        ):
            out = attempt()
            if out.type != "unknown":
                return out
    except (ValueError, OverflowError, ArithmeticError) as e:  # a year 99999 or 10**9 days later
        return Resolved("invalid", None, (), f"out of range: {e}")
    return Resolved("unknown", rule="no rule matched")
