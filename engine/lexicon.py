"""Load slot lexicons: each ``lexicons/<lang>/<name>.tsv`` is the terminal NAME that grammars import.

A file starts with ``# resolver: <kind>`` (how its surface forms become values), optionally
``# pattern: REGEX`` (the slot then accepts any text matching it when parsing, e.g. any flight number,
while generation still draws from the listed entries), ``# also: REGEX`` (the slot accepts its entries and,
when parsing, any text matching REGEX too: every date the resolver reads, not only the listed ones; REGEX
is tried first, and must read a listed form whole when it reads its beginning) and ``# normalize: upper``; then a header line
``surface<TAB>value<TAB>tags<TAB>weight``; every other line is one surface form. ``value`` may be empty
when the resolver computes it (dates); ``tags`` are comma-separated and end up in each sample's tags.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import CallgramError, did_you_mean
from engine.paths import read_text

# ref: a word pointing back into the conversation (那边, 同一天); its value says to what (engine/context.py).
RESOLVERS = ("city", "date", "count", "literal", "ref")
_COLUMNS = ["surface", "value", "tags", "weight"]
# Private-use characters stand for "any value of this lexicon" in verification templates.
_PLACEHOLDER_BASE = 0xE000


@dataclass(frozen=True, slots=True)
class Entry:
    """One surface form of a lexicon slot."""

    surface: str
    value: str | None
    tags: tuple[str, ...]
    weight: float
    line: int


@dataclass
class Lexicon:
    """All surface forms of one slot terminal."""

    name: str
    file: str
    resolver: str
    entries: list[Entry]
    placeholder: str = ""
    by_surface: dict[str, Entry] = field(default_factory=dict)
    pattern: str | None = None
    normalize: str | None = None
    also: str | None = None

    def lark_definition(self, without: frozenset[str] = frozenset()) -> str:
        """The terminal as Lark source: one regex of the placeholder and every surface, longest first,
        leaving out forms with a tag in ``without``.

        Lark compiles an alternation of strings into exactly this regex; writing it as one token keeps
        Lark from tokenising thousands of strings for every grammar that imports the lexicon.
        """
        if self.pattern is not None:
            return f"{self.name}: /(?:{self.pattern.replace('/', chr(92) + '/')})/ | {_lark_string(self.placeholder)}"
        alts = sorted({self.placeholder, *(e.surface for e in self.entries if not without & set(e.tags))}, key=lambda x: (-len(x), x))
        body = "|".join(re.escape(a) for a in alts).replace("/", chr(92) + "/")
        if self.also is not None:  # tried first, as the parser's lattice does (one regex, first match)
            body = self.also.replace("/", chr(92) + "/") + "|" + body
        return f"{self.name}: /(?:{body})/"

    def value_of(self, surface: str) -> str | None:
        """The lexicon's value for a surface form: its entry's value, or the pattern-matched text normalised."""
        entry = self.by_surface.get(surface)
        if entry is not None and entry.value is not None:
            return entry.value
        if entry is None and not any(p is not None and re.fullmatch(p, surface) for p in (self.pattern, self.also)):
            return None
        return surface.upper() if self.normalize == "upper" else surface


@dataclass
class Lexicons:
    """Every slot lexicon plus the language's data tables (``*.toml``)."""

    folder: Path
    slots: dict[str, Lexicon]
    data: dict[str, dict]

    def grammar_text(self) -> str:
        """A Lark grammar defining every slot terminal, served as ``%import lexicon.NAME``."""
        return "\n".join(lex.lark_definition() for lex in self.slots.values()) + "\n"

    def get(self, name: str) -> Lexicon:
        return self.slots[name]

    def table(self, name: str) -> dict:
        """A data table such as ``date_words`` (``date_words.toml``)."""
        if name not in self.data:
            raise CallgramError(f"missing lexicon data file {name}.toml", str(self.folder))
        return self.data[name]


def _lark_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def load_lexicons(folder: Path, rel=str) -> Lexicons:
    """Read every ``*.tsv`` slot lexicon and ``*.toml`` data table in ``folder``."""
    if not folder.is_dir():
        raise CallgramError("lexicon folder not found", rel(folder))
    slots: dict[str, Lexicon] = {}
    for i, path in enumerate(sorted(folder.glob("*.tsv"))):
        lex = _load_tsv(path, rel(path))
        lex.placeholder = chr(_PLACEHOLDER_BASE + i)
        slots[lex.name] = lex
    data = {}
    for path in sorted(folder.glob("*.toml")):
        try:
            data[path.stem] = tomllib.loads(read_text(path, rel(path)))
        except tomllib.TOMLDecodeError as e:
            raise CallgramError(f"invalid TOML: {e}", rel(path)) from None
    return Lexicons(folder=folder, slots=slots, data=data)


def _load_tsv(path: Path, shown: str) -> Lexicon:
    name = path.stem.upper()
    if not name.isidentifier():
        raise CallgramError(f"lexicon file name must be a terminal name, got {path.stem!r}", shown)
    resolver = None
    directives: dict[str, tuple[str, int]] = {}
    header_seen = False
    entries: list[Entry] = []
    by_surface: dict[str, Entry] = {}
    for lineno, raw in enumerate(read_text(path, shown).splitlines(), 1):
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        if line.startswith("#"):
            key, _, val = line[1:].partition(":")
            if key.strip() == "resolver":
                resolver = val.strip()
                if resolver not in RESOLVERS:
                    raise CallgramError(f"unknown resolver {resolver!r}{did_you_mean(resolver, RESOLVERS)}", shown, lineno, line.find(resolver) + 1)
            elif key.strip() in ("pattern", "normalize", "also") and not header_seen:
                directives[key.strip()] = (val.strip(), lineno)
            continue
        cols = line.split("\t")
        if not header_seen:
            if cols[: len(_COLUMNS)] != _COLUMNS[: len(cols)] or cols[0] != "surface":
                raise CallgramError(f"header line must be {' / '.join(_COLUMNS)} (tab-separated)", shown, lineno, 1)
            header_seen = True
            continue
        if len(cols) > len(_COLUMNS):
            raise CallgramError(f"too many columns ({len(cols)}, at most {len(_COLUMNS)})", shown, lineno, 1)
        cols += [""] * (len(_COLUMNS) - len(cols))
        surface, value, tags, weight = (c.strip() for c in cols)
        if not surface:
            raise CallgramError("empty surface form", shown, lineno, 1)
        if surface in by_surface:
            raise CallgramError(f"duplicate surface {surface!r} (first on line {by_surface[surface].line})", shown, lineno, 1)
        try:
            w = float(weight) if weight else 1.0
        except ValueError:
            raise CallgramError(f"weight must be a number, got {weight!r}", shown, lineno, line.rfind(weight) + 1) from None
        entry = Entry(surface, value or None, tuple(t for t in tags.split(",") if t), w, lineno)
        entries.append(entry)
        by_surface[surface] = entry
    if resolver is None:
        raise CallgramError(f"missing '# resolver: <{'|'.join(RESOLVERS)}>' line", shown, 1, 1)
    if not entries:
        raise CallgramError("lexicon has no entries", shown, 1, 1)
    pattern, pline = directives.get("pattern", (None, 0))
    if pattern is not None:
        try:
            rx = re.compile(pattern)
        except re.error as e:
            raise CallgramError(f"invalid pattern: {e}", shown, pline, 1) from None
        for e in entries:
            if not rx.fullmatch(e.surface):
                raise CallgramError(f"surface {e.surface!r} does not match the lexicon's pattern", shown, e.line, 1)
    also, aline = directives.get("also", (None, 0))
    if also is not None:
        if pattern is not None:
            raise CallgramError("a lexicon takes '# pattern:' or '# also:', not both", shown, aline, 1)
        try:
            rx = re.compile(also)
        except re.error as e:
            raise CallgramError(f"invalid 'also' pattern: {e}", shown, aline, 1) from None
        for e in entries:  # the pattern is tried first: it must not read a listed form's beginning only
            m = rx.match(e.surface)
            if m and m.end() < len(e.surface):
                raise CallgramError(f"the 'also' pattern reads only {m.group(0)!r} of {e.surface!r}: let it read the whole form", shown, e.line, 1)
    normalize = directives.get("normalize", (None, 0))[0]
    if normalize not in (None, "upper"):
        raise CallgramError(f"unknown normalize {normalize!r} (only: upper)", shown, directives["normalize"][1], 1)
    return Lexicon(name=name, file=shown, resolver=resolver, entries=entries, by_surface=by_surface, pattern=pattern, normalize=normalize, also=also)
