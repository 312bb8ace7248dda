"""``callgram coverage``: what of a real log the grammars do not read yet.

Every line is parsed exactly as ``callgram parse`` parses it. Of the lines no grammar reads, slot values
the lexicons and resolvers recognise are masked ({CITY}, {DATE}, {TIME}, {NUM}) so that requests asked
the same way group into one pattern; words standing where places or dates stand that no lexicon holds
are offered as ready-to-paste lexicon lines, and frequent patterns as grammar alternatives. All of it is
a suggestion for a person: nothing is written to grammars or lexicons. Rendering: ``coverage_render``.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from engine.errors import CallgramError
from engine.parse import UtteranceParser
from engine.paths import read_text
from engine.project import Project
from engine.resolve.dates import resolve_date
from engine.resolve.numbers import resolve_count
from engine.resolve.times import resolve_time

MASKS = ("DATE", "TIME", "CITY", "NUM")  # also the order that breaks a tie between equally long matches
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LONGEST = {"DATE": 16, "TIME": 8, "NUM": 8}  # longest span tried per resolver, in characters
_EXAMPLES = 3  # dates the lexicon lacks named per pattern
_NUMERAL = "\x00"  # stands for a run of numerals in a date's shape


@dataclass(frozen=True, slots=True)
class LogLine:
    """One request of the log: where it is, its text (None when over the cap) and its label, if any."""

    file: str
    line: int
    text: str | None
    label: str | None = None


def read_logs(paths: list[Path], cap: int) -> list[LogLine]:
    """Every non-empty line of ``paths``: plain text, or a JSON object with ``text`` (and an optional
    ``intent`` label). Anything else is one located error, raised before any parsing."""
    out: list[LogLine] = []
    for path in paths:
        shown = str(path)
        for no, raw in enumerate(read_text(path, shown).splitlines(), 1):
            line = raw.strip()
            if not line:
                continue
            text, label = _json_line(line, shown, no, len(raw) - len(raw.lstrip())) if line.startswith("{") else (line, None)
            out.append(LogLine(shown, no, text.strip() if len(text.strip()) <= cap else None, label))
    if not out:
        raise CallgramError("no requests: every line is empty", paths[0] if paths else None)
    return out


def _json_line(line: str, file: str, no: int, indent: int) -> tuple[str, str | None]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise CallgramError(f"not JSON: {e.msg}", file, no, indent + e.colno) from None
    if not isinstance(obj, dict):
        raise CallgramError("not a JSON object", file, no, indent + 1)
    text, label = obj.get("text"), obj.get("intent")
    if not isinstance(text, str):
        raise CallgramError('a JSON line needs "text": a string' + ("" if "text" not in obj else f", got {type(text).__name__}"), file, no, indent + 1)
    if label is not None and not isinstance(label, str):
        raise CallgramError(f'"intent" must be a string, got {type(label).__name__}', file, no, indent + line.find('"intent"') + 1)
    return text, label


class Masker:
    """Finds the spans of a request the lexicons and resolvers recognise, longest first, left to right."""

    def __init__(self, project: Project, today: date):
        lex = project.lexicons
        self.today = today
        self.words, self.numerals, self.times = lex.table("date_words"), lex.table("numerals"), lex.table("time_words")
        self.cities = {e.surface for x in lex.slots.values() if x.resolver == "city" for e in x.entries}
        self.city_suffix = _city_suffix(lex)
        self._longest_city = max(map(len, self.cities), default=0) + len(self.city_suffix)
        self.dates = {e.surface for x in lex.slots.values() if x.resolver == "date" for e in x.entries}
        self.surfaces = {e.surface for x in lex.slots.values() for e in x.entries}
        self.date_file = next((x.file for x in lex.slots.values() if x.resolver == "date"), "date.tsv")
        # The grammars match a date lexicon's surfaces only: a date the resolver reads but the lexicon lacks
        # is unparsed. Its suggested tags are those of a listed date of the same shape (十月四号 ~ 10月4号).
        self._shapes: dict[str, tuple[str, ...]] = {}
        for x in (x for x in lex.slots.values() if x.resolver == "date"):
            for e in x.entries:
                self._shapes.setdefault(self.shape(e.surface), e.tags)

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, mask) of each recognised span, none overlapping."""
        out, i = [], 0
        while i < len(text):
            end, _, kind = max((self._end(kind, text, i), -k, kind) for k, kind in enumerate(MASKS))
            if end > i:
                out.append((i, end, kind))
                i = end
            else:
                i += 1
        return out

    def mask(self, text: str) -> str:
        parts, last = [], 0
        for start, end, kind in self.spans(text):
            parts += [text[last:start], "{" + kind + "}"]
            last = end
        return "".join(parts) + text[last:]

    def city_base(self, word: str) -> str:
        """A full name's city (丹阳市 → 丹阳): the lexicon lists the name, the resolver reads the full form."""
        return word[: -len(self.city_suffix)] if self._full_form(word) else word

    def shape(self, text: str) -> str:
        """``text`` with every run of numerals as one mark: 十月四号 and 10月4号 have one shape."""
        marked = "".join(_NUMERAL if resolve_count(ch, self.numerals).type == "int" else ch for ch in text)
        return re.sub(f"{_NUMERAL}+", _NUMERAL, marked)

    def date_line(self, surface: str) -> str:
        """A ready-to-paste date lexicon line (the value column stays empty: the resolver computes it)."""
        return f"{surface}\t\t{','.join(self._shapes.get(self.shape(surface), ()))}\t1"

    def listed(self, surface: str) -> bool:
        """True when the date lexicon has ``surface``, or a date of it followed by another lexicon's word
        (明天 + 下午: the grammars may read the two as two slots)."""
        return surface in self.dates or any(surface[:i] in self.dates and surface[i:] in self.surfaces for i in range(1, len(surface)))

    def date_value(self, surface: str) -> dict:
        """What the date resolver reads ``surface`` as on the report's day: {reads_as, flags}."""
        r = resolve_date(surface, self.today, self.words, self.numerals, self.times)
        return {"reads_as": r.value, "flags": list(r.flags)}

    def reads(self, word: str) -> bool:
        """True when any resolver (date, time, city, count) reads ``word`` on its own."""
        return any(self._is(kind, word) for kind in MASKS)

    def _end(self, kind: str, text: str, i: int) -> int:
        longest = self._longest_city if kind == "CITY" else _LONGEST[kind]
        for end in range(min(len(text), i + longest), i, -1):
            if self._is(kind, text[i:end]) and _bounded(text, i, end):
                return end
        return i

    def _full_form(self, s: str) -> bool:
        return bool(self.city_suffix) and len(s) > len(self.city_suffix) + 1 and s.endswith(self.city_suffix)

    def _is(self, kind: str, s: str) -> bool:
        if kind == "CITY":
            return s in self.cities or (self._full_form(s) and s[: -len(self.city_suffix)] in self.cities)
        if kind == "DATE":
            return s in self.dates or resolve_date(s, self.today, self.words, self.numerals, self.times).type in ("date", "span", "ambiguous")
        if kind == "TIME":
            return resolve_time(s, self.times, self.numerals).type == "time"
        # A lone numeral character is part of too many words (一下, 一起) to be a count by itself.
        return not (len(s) == 1 and not s.isdigit()) and resolve_count(s, self.numerals).type == "int"


def _city_suffix(lexicons) -> str:
    """The suffix a city's full name adds (上海 → 上海市), read off the lexicon's ``full`` forms."""
    for city in (x for x in lexicons.slots.values() if x.resolver == "city"):
        for e in city.entries:
            if "full" in e.tags and e.value and e.surface.startswith(e.value):
                return e.surface[len(e.value):]
    return ""


def _bounded(text: str, start: int, end: int) -> bool:
    """A Latin or digit span must not cut a longer Latin or digit word (SHA in SHANGHAI, 8 in 18)."""
    def word(ch: str) -> bool:
        return ch.isascii() and ch.isalnum()
    return not ((start > 0 and word(text[start]) and word(text[start - 1])) or (end < len(text) and word(text[end - 1]) and word(text[end])))


def pattern_key(masked: str) -> str:
    """The pattern requests are grouped by: the masked text without trailing punctuation or spaces."""
    s = masked.strip()
    while s and (unicodedata.category(s[-1]).startswith("P") or s[-1].isspace()):
        s = s[:-1]
    return s


def lark_alternative(pattern: str, terminals: dict[str, str]) -> str:
    """``{DATE}{CITY}到{CITY}的飞机航班`` → ``| DATE CITY "到" CITY "的飞机航班"``."""
    items = []
    for piece in re.split(r"(\{(?:" + "|".join(MASKS) + r")\})", pattern):
        if not piece:
            continue
        if piece[1:-1] in MASKS and piece.startswith("{"):
            items.append(terminals.get(piece[1:-1], piece[1:-1]))
        else:
            items.append(json.dumps(piece, ensure_ascii=False))
    return "| " + " ".join(items)


class _Words:
    """Candidate place and date words in the unread stretches of a request (lexicons/zh/coverage.toml)."""

    def __init__(self, project: Project, masker: Masker, cues: dict):
        self.masker = masker
        self.stops = set(cues.get("stops", []))
        self.max_word = int(cues.get("max_word", 4))
        self.date_cues = list(cues.get("date_cues", []))
        self.date_before = sorted(cues.get("date_before", []), key=len, reverse=True)
        self.before = set(cues.get("place_before", []))
        self.after = set(cues.get("place_after", []))
        known = set(project.grammar.literals.values())
        if project.turns is not None:
            known |= set(project.turns.literals.values())
        self.known = known | set(cues.get("known_words", [])) | {e.surface for x in project.lexicons.slots.values() for e in x.entries}
        self._trie = _trie(w for w in self.known if len(w) >= 2)
        self._anchors = sorted(self.before | self.after, key=len, reverse=True)
        self._single = {a for a in self._anchors if len(a) == 1}

    def free(self, text: str, spans: list[tuple[int, int, str]]) -> list[bool]:
        """Per character: may it belong to a new word (Han, not masked, not in a known word, no stop or cue)?"""
        free = [bool(_HAN.match(ch)) and ch not in self.stops and ch not in self._single for ch in text]
        for start, end, _ in spans:
            free[start:end] = [False] * (end - start)
        for start, end in _known_words(self._trie, text):
            free[start:end] = [False] * (end - start)
        return free

    def places(self, text: str, spans: list[tuple[int, int, str]], free: list[bool]) -> list[tuple[str, bool]]:
        """(word, faces a known city) for each word right after a place_after cue or right before a
        place_before cue: the free stretch there, less a date-like end (月中婺源的天气 → 婺源). The words
        found are taken out of ``free``, so that a date beside them stands alone."""
        cities = {(s, e) for s, e, kind in spans if kind == "CITY"}
        starts, ends = {s for s, _ in cities}, {e for _, e in cities}
        found: dict[tuple[int, int], bool] = {}
        for word in self._anchors:
            for m in re.finditer(re.escape(word), text):
                if word in self.after:
                    end = m.end()
                    while end < len(text) and free[end]:
                        end += 1
                    span = self._undated(text, m.end(), end, at_start=True)
                    found[span] = found.get(span, False) or m.start() in ends
                if word in self.before:
                    start = m.start()
                    while start > 0 and free[start - 1]:
                        start -= 1
                    span = self._undated(text, start, m.start(), at_start=False)
                    found[span] = found.get(span, False) or m.end() in starts
        out = []
        for (start, end), paired in sorted(found.items()):
            w = text[start:end]
            if self._new(w) and not self._date_like(w):
                out.append((w, paired))
                free[start:end] = [False] * (end - start)
        return out

    def _undated(self, text: str, start: int, end: int, at_start: bool) -> tuple[int, int]:
        """The part of ``text[start:end]`` left when a date-like end of two characters or more is cut off."""
        cuts = range(start + 2, end) if not at_start else range(end - 2, start, -1)
        for cut in cuts:
            date_part, place = (text[start:cut], text[cut:end]) if not at_start else (text[cut:end], text[start:cut])
            if self._date_like(date_part) and not self._date_like(place):
                return (cut, end) if not at_start else (start, cut)
        return start, end

    def dates(self, text: str, spans: list[tuple[int, int, str]], free: list[bool]) -> list[str]:
        """Free stretches with a date cue, standing where a date stands, which no resolver reads."""
        edges = {s for s, _, _ in spans} | {e for _, e, _ in spans}
        out, i = [], 0
        while i < len(text):
            if not free[i]:
                i += 1
                continue
            j = i
            while j < len(text) and free[j]:
                j += 1
            word = text[i:j]
            placed = i == 0 or i in edges or j in edges or any(text.startswith(w, j) for w in self.date_before)
            if placed and self._date_like(word) and self._new(word):
                out.append(word)
            i = j
        return out

    def _new(self, word: str) -> bool:
        return 2 <= len(word) <= self.max_word and word not in self.known and not self.masker.reads(word)

    def _date_like(self, word: str) -> bool:
        return any(c in word for c in self.date_cues)


def _trie(words) -> dict:
    root: dict = {}
    for w in words:
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = True
    return root


def _known_words(trie: dict, text: str):
    """(start, end) of every known word in ``text``, overlapping ones too (查查一下: 查查 and 查一下)."""
    for i in range(len(text)):
        node = trie
        for j in range(i, len(text)):
            node = node.get(text[j])
            if node is None:
                break
            if "" in node:
                yield i, j + 1


def build_report(project: Project, lines: list[LogLine], today: date, top: int, profile_fill: dict | None = None) -> dict:
    """The coverage report of ``lines`` as one JSON-ready dict (``callgram coverage --json``)."""
    parser, masker = UtteranceParser(project, profile_fill), Masker(project, today)
    cues = project.lexicons.table("coverage")
    words = _Words(project, masker, cues)
    parsed: dict[str, dict] = {}
    intents: Counter = Counter()
    labels: dict[str, Counter] = {}
    patterns: dict[str, dict] = {}
    places: Counter = Counter()
    paired: Counter = Counter()  # of those, how often facing a known city (上海到喀什)
    date_words: Counter = Counter()
    unlisted: Counter = Counter()  # dates the resolver reads that the date lexicon lacks
    examples: dict[tuple[str, str], str] = {}
    over = ambiguous = 0
    for log in lines:
        if log.text is None:
            over += 1
            got = "(over the cap)"
        else:
            if log.text not in parsed:
                parsed[log.text] = parser.parse(log.text, today, unknown_places=False)  # a place no lexicon lists is a gap to show
            r = parsed[log.text]
            got = r["intent"] or r["negative"] or ("(ambiguous)" if r["error"] else "(unparsed)")
            if got.startswith("("):
                ambiguous += got == "(ambiguous)"
            else:
                intents[got] += 1
            if got == "(unparsed)":
                spans = masker.spans(log.text)
                key = pattern_key(masker.mask(log.text))
                p = patterns.setdefault(key, {"pattern": key, "count": 0, "example": log.text, "where": f"{log.file}:{log.line}", "labels": Counter(), "unlisted": {}})
                p["count"] += 1
                if log.label is not None:
                    p["labels"][log.label] += 1
                for start, end, kind in spans:
                    if kind == "DATE" and not masker.listed(log.text[start:end]):
                        unlisted[log.text[start:end]] += 1
                        p["unlisted"].setdefault(log.text[start:end])
                        examples.setdefault(("unlisted", log.text[start:end]), log.text)
                free = words.free(log.text, spans)
                for w, beside_city in words.places(log.text, spans, free):
                    w = masker.city_base(w)
                    places[w] += 1
                    paired[w] += beside_city
                    examples.setdefault(("place", w), log.text)
                for w in words.dates(log.text, spans, free):
                    date_words[w] += 1
                    examples.setdefault(("date", w), log.text)
        if log.label is not None:
            labels.setdefault(log.label, Counter())[got] += 1
    n = len(lines)
    done = sum(intents.values())
    unparsed = n - done - ambiguous - over
    terminals = cues.get("terminals", {})
    ranked = sorted(patterns.values(), key=lambda p: -p["count"])[:top]
    tools = set(project.tools)
    city_lex = next((x.file for x in project.lexicons.slots.values() if x.resolver == "city"), "city.tsv")
    return {
        "files": list(dict.fromkeys(x.file for x in lines)), "today": today.isoformat(), "requests": n,
        "parsed": done, "parsed_share": _share(done, n), "unparsed": unparsed, "unparsed_share": _share(unparsed, n),
        "ambiguous": ambiguous, "over_cap": over,
        "intents": {k: {"count": v, "share": _share(v, n), "kind": "tool" if k in tools else "negative"} for k, v in intents.most_common()},
        "labels": {k: _label(k, c) for k, c in sorted(labels.items(), key=lambda kv: -sum(kv[1].values()))},
        "patterns": [{**{k: v for k, v in p.items() if k != "labels"}, "share": _share(p["count"], unparsed),
                      "labels": dict(p["labels"].most_common()), "unlisted": list(p["unlisted"])[:_EXAMPLES], "alternative": lark_alternative(p["pattern"], terminals)} for p in ranked],
        "places": {"lexicon": city_lex, "words": [
            {"surface": w, "count": c, "beside_city": paired[w], "line": f"{w}\t{w}\tname\t1", "example": examples[("place", w)]}
            for w, c in sorted(places.items(), key=lambda wc: (not paired[wc[0]], -wc[1]))[:top]]},
        "unlisted_dates": {"lexicon": masker.date_file, "words": [
            {"surface": w, "count": c, "line": masker.date_line(w), **masker.date_value(w), "example": examples[("unlisted", w)]}
            for w, c in unlisted.most_common(top)]},
        "dates": [{"surface": w, "count": c, "example": examples[("date", w)]} for w, c in date_words.most_common(top)],
    }


def _label(label: str, got: Counter) -> dict:
    total = sum(got.values())
    as_label = got.get(label, 0)
    return {"count": total, "as_label": as_label, "as_label_share": _share(as_label, total),
            "unparsed": got.get("(unparsed)", 0), "ambiguous": got.get("(ambiguous)", 0),
            "other": {k: v for k, v in got.most_common() if k != label and not k.startswith("(")}}


def _share(k: int, n: int) -> float:
    return round(k / n, 4) if n else 0.0
