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


# Lexicon tags of forms that can be ambiguous on some reference date (周三 said on a Wednesday, 江城),
# or that name several days where a tool needs one (周末的机票, 10号到12号的天气, 这周).
AMBIGUOUS_TAGS = ("weekday", "weekend", "ambiguous", "range", "period")


class SlotFiller:
    """Draws surface forms (plain, hard, ambiguous or any) and resolves them for a parameter schema."""

    def __init__(self, lexicons: Lexicons, hard_tags: list[str], form_rates: dict[str, float] | None = None, form_intents: dict[str, list[str]] | None = None,
                 without: dict[str, dict[str, frozenset[str]]] | None = None):
        self.lexicons = lexicons
        self.without = without or {}  # intent -> lexicon -> tags its grammar leaves out
        self.hard_tags = set(hard_tags)
        self.form_rates = dict(form_rates or {})
        self.form_intents = {t: set(v) for t, v in (form_intents or {}).items()}
        self.date_words = lexicons.table("date_words")
        self.numerals = lexicons.table("numerals")
        self.time_words = lexicons.table("time_words")
        self.pools: dict[tuple, _Pool | None] = {}
        self._cities = {name: city_table(lex) for name, lex in lexicons.slots.items() if lex.resolver == "city"}
        self._memo: dict = {}
        self._schemas: dict[int, dict | None] = {}
        self._enum_words: dict[tuple, str | None] = {}

    def _pool(self, lexicon: str, mode: str, intent: str | None, value: str | None) -> _Pool | None:
        """Entries of ``lexicon`` drawable in ``mode`` by ``intent`` (with ``value``, if given), rare forms capped."""
        key = (lexicon, mode, intent, value)
        if key not in self.pools:
            left_out = self.without.get(intent, {}).get(lexicon, frozenset())
            entries = [e for e in self.lexicons.get(lexicon).entries if self._allowed(e, intent) and not left_out & set(e.tags)]
            if mode == "hard":
                entries = [e for e in entries if self.is_hard(e)]
            elif mode.startswith("tag:"):  # a hard form of one tag (config tag_shares)
                entries = [e for e in entries if mode[4:] in e.tags]
            elif mode == "plain":
                plain = [e for e in entries if not self.is_hard(e)]
                entries = plain or entries
            elif mode == "ambiguous":
                # uniform: ambiguous nicknames carry weight 0 so that they are never drawn as gold
                entries = [Entry(e.surface, e.value, e.tags, 1.0, e.line) for e in entries if any(t in AMBIGUOUS_TAGS for t in e.tags)]
            if value is not None:
                entries = [e for e in entries if (e.value or e.surface) == value]
            self.pools[key] = _Pool(self._capped(entries)) if any(e.weight > 0 for e in entries) else None
        return self.pools[key]

    def _allowed(self, entry: Entry, intent: str | None) -> bool:
        return all(intent in self.form_intents[t] for t in entry.tags if t in self.form_intents)

    def _capped(self, entries: list[Entry]) -> list[Entry]:
        """Scale down forms people rarely type (pinyin, IATA codes…) to at most their configured share."""
        total = sum(e.weight for e in entries)
        scale = {}
        for tag, rate in self.form_rates.items():
            tagged = sum(e.weight for e in entries if tag in e.tags)
            if tagged and tagged / total > rate:
                # solve for s: s*tagged / (total - tagged + s*tagged) = rate
                rest = total - tagged
                scale[tag] = (rate * rest / ((1 - rate) * tagged)) if rest and rate < 1 else 1.0
        if not scale:
            return entries
        out = []
        for e in entries:
            w = e.weight
            for tag in e.tags:
                w *= scale.get(tag, 1.0)
            out.append(Entry(e.surface, e.value, e.tags, w, e.line))
        return out

    def is_hard(self, entry: Entry) -> bool:
        return any(t in self.hard_tags for t in entry.tags)

    def has_hard(self, lexicon: str, intent: str | None = None) -> bool:
        return self._pool(lexicon, "hard", intent, None) is not None

    def has_tagged(self, tag: str):
        """A test like has_hard, for forms carrying ``tag``."""
        return lambda lexicon, intent=None: self._pool(lexicon, f"tag:{tag}", intent, None) is not None

    def has_ambiguous(self, lexicon: str, intent: str | None = None) -> bool:
        return self._pool(lexicon, "ambiguous", intent, None) is not None

    def draw(self, lexicon: str, rng: random.Random, mode: str, intent: str | None = None, value: int | str | None = None) -> Entry:
        """One entry; ``mode`` is plain (no hard tag), hard (some hard tag), tag:<tag>, ambiguous or any; with
        ``value``, one whose value it is when the lexicon has such a form in that mode."""
        pool = self._pool(lexicon, mode, intent, None if value is None else str(value)) if value is not None else None
        return (pool or self._pool(lexicon, mode, intent, None)).draw(rng)

    def part_of_day(self, r: Resolved, schema: dict) -> str | None:
        """The enum value of ``schema`` for the part of day a date was said with (明早 → morning), if exactly one."""
        when = next((f[5:] for f in r.flags if f.startswith("time:")), None)
        if when is None or "enum" not in schema:
            return None
        parts = self.time_words["parts"]
        if "-" in when:
            words = [w for w, p in parts.items() if "-".join(p["window"]) == when]
        else:  # a clock time: the parts of day whose window holds it
            words = [w for w, p in parts.items() if p["window"][0] <= when < p["window"][1]]
        values = {v for v in (self._enum_word(w, schema) for w in words) if v is not None}
        return values.pop() if len(values) == 1 else None

    def _enum_word(self, word: str, schema: dict) -> str | None:
        """The enum value a literal lexicon gives ``word`` (早上 → morning), if it is one of ``schema``'s."""
        key = (word, tuple(schema["enum"]))
        if key not in self._enum_words:
            found = None
            for lex in self.lexicons.slots.values():
                v = lex.value_of(word) if lex.resolver == "literal" else None
                if v in schema["enum"]:
                    found = v
                    break
            self._enum_words[key] = found
        return self._enum_words[key]

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

    def date_phrase(self, text: str, today: date) -> Resolved:
        """What ``text`` means read as one date phrase, listed or not (明天晚上, 现在晚上)."""
        return resolve_date(text, today, self.date_words, self.numerals, self.time_words)

    def _resolve(self, lex: Lexicon, surface: str, today: date, schema: dict) -> Resolved:
        entry = lex.by_surface.get(surface)
        if entry is None and lex.value_of(surface) is None:
            return Resolved("unknown", rule=f"{surface!r} is not in {lex.file}")
        if lex.resolver == "date":
            r = resolve_date(surface, today, self.date_words, self.numerals, self.time_words)
            if r.type == "span" and schema.get("derive") != "span":
                # Never cut a span to its first day: which of its days is meant is a question.
                first, last = (date.fromisoformat(v) for v in r.value)
                days = [date.fromordinal(o).isoformat() for o in range(first.toordinal(), last.toordinal() + 1)]
                r = Resolved("ambiguous", days, r.flags + ("from_span",), r.rule + "; a span said for one date: which day?")
        elif lex.resolver == "count":
            r = resolve_int(surface, self.numerals)
        elif lex.resolver == "city":
            r = self._cities[lex.name].resolve(surface)
        elif lex.resolver == "ref":  # resolved against the conversation (engine/context.py), never alone
            return Resolved("ref", lex.value_of(surface), (), f"{lex.file}:{entry.line}: points back to a {lex.value_of(surface)}")
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
