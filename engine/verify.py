"""Re-parse every utterance with all grammars and report its readings: the proof behind each gold call.

A full Earley parse costs about a millisecond, so work is shared per *template*: the utterance with
each lexicon slot replaced by that lexicon's placeholder character. The template is parsed once;
an utterance reuses its readings only when its lexical lattice (every terminal match at every
position, exactly what Lark's dynamic lexer can scan) is isomorphic to the template's, which holds
when no terminal matches across or into a slot and only slot terminals match a slot. Then the two
parse forests are the same up to token text, so the readings are too. Anything else is fully parsed.
"""
from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass

from lark.exceptions import LarkError
from lark.lexer import PatternStr
from lark.parsers.earley_forest import SymbolNode

from engine.chart import REPLY, ChartParser
from engine.expand import Chunk
from engine.grammar import Grammar, base_name

_EMPTY: frozenset = frozenset()


@dataclass(frozen=True, slots=True)
class Binding:
    """A parameter bound to the text span ``[start, end)`` through lexicon ``terminal``."""

    param: str
    terminal: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Reading:
    """One way the grammars read an utterance: an intent and what it binds."""

    intent: str
    bindings: frozenset  # of Binding

    def reply_keys(self) -> list[str]:
        """The reply-keyed rules this reading passed through (a negative's reply is chosen by them)."""
        return sorted(b.terminal for b in self.bindings if b.param == REPLY)

    def params(self) -> list[Binding]:
        """The bindings of tool parameters (reply-key marks left out), in text order: a set's own order follows
        string hashes, which differ from process to process, and what is built from them must not."""
        return sorted((b for b in self.bindings if b.param != REPLY), key=lambda b: (b.start, b.end, b.param, b.terminal))


class Verifier:
    """Parses utterances (or their templates) into readings, caching per template."""

    def __init__(self, grammar: Grammar, cache_size: int = 10_000):
        self.g = grammar
        self.parser = grammar.parser
        self.cache: OrderedDict[str, tuple] = OrderedDict()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self.cache_size = cache_size
        self.stats = {"template_hits": 0, "template_parses": 0, "full_parses": 0}
        self._build_lattice_tables()
        self.chart = ChartParser(grammar, self.matches)

    # -- lexical lattice ----------------------------------------------------------------------
    def _build_lattice_tables(self) -> None:
        self._trie: dict = {}
        # pattern -> the terminals it is (every intent grammar has its own DATE): matched once per position
        regexes: dict[str, list[str]] = {}
        also: dict[str, list[str]] = {}
        for term in self.parser.terminals:
            lex = self.g.lexicons.get(self.g.slots[term.name]) if term.name in self.g.slots else None
            if lex is not None and lex.pattern is None:
                left_out = self.g.left_out(term.name)
                for s in [lex.placeholder] + [e.surface for e in lex.entries if not left_out & set(e.tags)]:
                    self._add(s, term.name)
                if lex.also is not None:  # tried before the listed forms, as in Lark's one regex for the terminal
                    also.setdefault(lex.also, []).append(term.name)
            elif isinstance(term.pattern, PatternStr) and not term.pattern.flags:
                self._add(term.pattern.value, term.name)
            else:
                regexes.setdefault(term.pattern.to_regexp(), []).append(term.name)
        self._regexes = [(re.compile(rx), tuple(names)) for rx, names in regexes.items()]
        self._also = [(re.compile(rx), tuple(names)) for rx, names in also.items()]

    def _add(self, s: str, name: str) -> None:
        node = self._trie
        for ch in s:
            node = node.setdefault(ch, {})
        node.setdefault("", set()).add(name)

    def matches(self, text: str, pos: int) -> dict[str, int]:
        """terminal → end of its (longest) match at ``pos``, as Lark's dynamic lexer sees it."""
        found: dict[str, int] = {}
        node = self._trie
        i = pos
        n = len(text)
        while i < n:
            node = node.get(text[i])
            if node is None:
                break
            i += 1
            ends = node.get("")
            if ends:
                for name in ends:
                    found[name] = i
        for rx, names in self._regexes:
            m = rx.match(text, pos)
            if m:
                for name in names:
                    found[name] = m.end()
        for rx, names in self._also:  # its match wins over the listed forms' longest, as Lark's alternation does
            m = rx.match(text, pos)
            if m and m.end() > pos:
                for name in names:
                    found[name] = m.end()
        return found

    # -- readings -----------------------------------------------------------------------------
    def readings(self, text: str) -> frozenset:
        """Every reading of ``text`` under every grammar (empty when none derives it)."""
        self.stats["full_parses"] += 1
        return self._parse(text)

    def readings_of(self, chunks: list[Chunk], values: list[str]) -> tuple[str, frozenset]:
        """The utterance made of ``chunks`` with slot ``values``, and its readings (cached per template)."""
        parts, tparts, spans = [], [], []
        pos = tpos = 0
        vi = 0
        for c in chunks:
            if c.terminal is None:
                parts.append(c.text)
                tparts.append(c.text)
                pos += len(c.text)
                tpos += len(c.text)
            else:
                v = values[vi]
                vi += 1
                spans.append((pos, pos + len(v), tpos))
                parts.append(v)
                tparts.append(self.g.lexicons.get(c.terminal).placeholder)
                pos += len(v)
                tpos += 1
        text, template = "".join(parts), "".join(tparts)
        cached = self.cache.get(template)
        if cached is None and template not in self._seen:
            # A template seen once is usually never seen again: parse the utterance itself, remember
            # the template, and only parse templates that come back.
            self._seen[template] = None
            if len(self._seen) > self.cache_size:
                self._seen.popitem(last=False)
            return text, self.readings(text)
        if cached is None:
            self.stats["template_parses"] += 1
            cached = (self._parse(template), self._lattice(template))
            self.cache[template] = cached
            if len(self.cache) > self.cache_size:
                self.cache.popitem(last=False)
        else:
            self.stats["template_hits"] += 1
        treadings, tlattice = cached
        mapping = self._position_map(len(text), spans)
        if mapping is None or not self._same_lattice(text, mapping, tlattice):
            return text, self.readings(text)
        back = {tp: p for p, tp in mapping.items()}  # template position -> utterance position
        out = set()
        for r in treadings:
            out.add(Reading(r.intent, frozenset(Binding(b.param, b.terminal, back[b.start], back[b.end]) for b in r.bindings)))
        return text, frozenset(out)

    def _lattice(self, text: str) -> list[dict[str, int]]:
        return [self.matches(text, p) for p in range(len(text))]

    @staticmethod
    def _position_map(n: int, spans) -> dict[int, int] | None:
        """Utterance position → template position, for every position not inside a slot."""
        mapping: dict[int, int] = {}
        shift = 0
        inside = set()
        for s, e, t in spans:
            inside.update(range(s + 1, e))
        p = 0
        span_at = {s: (e, t) for s, e, t in spans}
        while p <= n:
            if p in span_at:
                e, t = span_at[p]
                mapping[p] = t
                shift = t + 1 - e
                p = e
                continue
            mapping[p] = p + shift
            p += 1
        return mapping

    def _same_lattice(self, text: str, mapping: dict[int, int], tlattice) -> bool:
        for p, tp in mapping.items():
            if p == len(text):
                continue
            found = self.matches(text, p)
            expected = tlattice[tp]
            if len(found) != len(expected):
                return False
            for name, end in found.items():
                te = mapping.get(end)
                if te is None or expected.get(name) != te:
                    return False
        return True

    def _parse(self, text: str) -> frozenset:
        return frozenset(Reading(intent, frozenset(Binding(*b) for b in bs)) for intent, bs in self.chart.parse(text))

    def lark_readings(self, text: str) -> frozenset:
        """The same readings from Lark's own Earley parser (slow; the reference the chart parser is tested against)."""
        try:
            root = self.parser.parse(text)
        except LarkError:
            return _EMPTY
        return _ForestWalk(self.g).readings(root)


class _ForestWalk:
    """Folds a shared packed parse forest into the set of readings, without building trees."""

    def __init__(self, grammar: Grammar):
        self.params = grammar.params
        self.keys = grammar.reply_keys
        self.memo: dict[int, frozenset] = {}

    def readings(self, root: SymbolNode) -> frozenset:
        out = set()
        for packed in root.children:
            intent = packed.rule.expansion[0].name
            for bindings in self._packed(packed):
                out.add(Reading(intent, bindings))
        return frozenset(out)

    def _node(self, node) -> frozenset:
        if not isinstance(node, SymbolNode):
            return frozenset({_EMPTY})
        key = id(node)
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        name = None if node.is_intermediate else node.s.name
        if name in self.params:
            param = self.params[name][1]
            out = frozenset(frozenset({Binding(param, base_name(p.rule.expansion[0].name), node.start, node.end)}) for p in node.children)
        else:
            acc: set = set()
            for packed in node.children:
                acc |= self._packed(packed)
            if name in self.keys:
                mark = Binding(REPLY, self.keys[name][1], node.start, node.end)
                acc = {bs | {mark} for bs in acc}
            out = frozenset(acc)
        self.memo[key] = out
        return out

    def _packed(self, packed) -> frozenset:
        left = self._node(packed.left) if packed.left is not None else frozenset({_EMPTY})
        right = self._node(packed.right) if packed.right is not None else frozenset({_EMPTY})
        if len(left) == 1 and _EMPTY in left:
            return right
        if len(right) == 1 and _EMPTY in right:
            return left
        return frozenset(a | b for a in left for b in right)
