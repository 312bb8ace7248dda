"""Fill lexicon slots and turn their surface forms into argument values a tool schema accepts."""
from __future__ import annotations

import bisect
import random
from datetime import date
from itertools import accumulate

from engine.lexicon import Entry, Lexicon, Lexicons
from engine.resolve import Resolved
from engine.resolve.cities import CityTable
from engine.resolve.dates import resolve_date
from engine.resolve.numbers import resolve_int


class _Pool:
    """Entries of one lexicon with cumulative weights, for weighted draws."""

    def __init__(self, entries: list[Entry]):
        self.entries = entries
        self.cum = list(accumulate(e.weight for e in entries))

    def draw(self, rng: random.Random) -> Entry:
        return self.entries[bisect.bisect_right(self.cum, rng.random() * self.cum[-1])]


# Lexicon tags of forms that can be ambiguous on some reference date (周三 said on a Wednesday, 江城).
AMBIGUOUS_TAGS = ("weekday", "weekend", "ambiguous")


class SlotFiller:
    """Draws surface forms (plain, hard, ambiguous or any) and resolves them for a parameter schema."""

    def __init__(self, lexicons: Lexicons, hard_tags: list[str]):
        self.lexicons = lexicons
        self.hard_tags = set(hard_tags)
        self.date_words = lexicons.table("date_words")
        self.numerals = lexicons.table("numerals")
        self.time_words = lexicons.table("time_words")
        self.pools: dict[tuple[str, str], _Pool] = {}
        for lex in lexicons.slots.values():
            hard = [e for e in lex.entries if self.is_hard(e)]
            plain = [e for e in lex.entries if not self.is_hard(e)]
            self.pools[(lex.name, "any")] = _Pool(lex.entries)
            self.pools[(lex.name, "hard")] = _Pool(hard) if hard else None
            self.pools[(lex.name, "plain")] = _Pool(plain) if plain else self.pools[(lex.name, "any")]
            # uniform: ambiguous nicknames carry weight 0 so that they are never drawn as gold
            maybe = [Entry(e.surface, e.value, e.tags, 1.0, e.line) for e in lex.entries if any(t in AMBIGUOUS_TAGS for t in e.tags)]
            self.pools[(lex.name, "ambiguous")] = _Pool(maybe) if maybe else None
        self._cities = {name: city_table(lex) for name, lex in lexicons.slots.items() if lex.resolver == "city"}
        self._memo: dict = {}
        self._schemas: dict[int, dict | None] = {}

    def is_hard(self, entry: Entry) -> bool:
        return any(t in self.hard_tags for t in entry.tags)

    def has_hard(self, lexicon: str) -> bool:
        return self.pools[(lexicon, "hard")] is not None

    def has_ambiguous(self, lexicon: str) -> bool:
        return self.pools[(lexicon, "ambiguous")] is not None

    def draw(self, lexicon: str, rng: random.Random, mode: str) -> Entry:
        """One entry; ``mode`` is plain (no hard tag), hard (some hard tag) or any."""
        return self.pools[(lexicon, mode)].draw(rng)

    def resolve(self, lexicon: str, surface: str, today: date, schema: dict | None) -> Resolved:
        """The argument value ``surface`` gives a parameter with ``schema`` when said on ``today``."""
        key = (lexicon, surface, today, id(schema))
        self._schemas.setdefault(id(schema), schema)  # keep it alive: a freed dict's id could be reused
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = self._resolve(self.lexicons.get(lexicon), surface, today, schema or {})
            if len(self._memo) > 100_000:
                self._memo.clear()
        return hit

    def _resolve(self, lex: Lexicon, surface: str, today: date, schema: dict) -> Resolved:
        entry = lex.by_surface.get(surface)
        if entry is None and lex.value_of(surface) is None:
            return Resolved("unknown", rule=f"{surface!r} is not in {lex.file}")
        if lex.resolver == "date":
            r = resolve_date(surface, today, self.date_words, self.numerals, self.time_words)
            if r.type == "span" and schema.get("derive") != "span":
                r = Resolved("date", r.value[0], r.flags + ("from_span",), r.rule + "; a span fills a date with its first day")
        elif lex.resolver == "count":
            r = resolve_int(surface, self.numerals)
        elif lex.resolver == "city":
            r = self._cities[lex.name].resolve(surface)
        else:
            where = f"{lex.file}:{entry.line}" if entry else f"{lex.file} pattern"
            r = Resolved("string", lex.value_of(surface), (), where)
        return _check_schema(r, schema)


def city_table(lex: Lexicon) -> CityTable:
    """The resolver's view of a city lexicon."""
    return CityTable({e.surface: (e.value or e.surface, e.tags) for e in lex.entries})


def _check_schema(r: Resolved, schema: dict) -> Resolved:
    """Bounds and enums come from the tool's schema: outside them a value is invalid, never clamped."""
    if not r.ok:
        return r
    if "enum" in schema and r.value not in schema["enum"]:
        return Resolved("invalid", r.value, r.flags, f"{r.value!r} is not one of the schema's enum")
    if isinstance(r.value, int):
        lo, hi = schema.get("minimum"), schema.get("maximum")
        if (lo is not None and r.value < lo) or (hi is not None and r.value > hi):
            return Resolved("invalid", r.value, r.flags, f"{r.value} is outside [{lo}, {hi}]")
    return r
