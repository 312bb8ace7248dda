"""A fast exact parser for verification: memoised top-down over Lark's compiled rules.

Lark's Earley parser is general but predicts every alternative of every intent at every position;
here each (nonterminal, position) is solved once, and an alternative is only tried where its FIRST
terminals actually match. Tokens come from the same lexical lattice Lark's dynamic lexer scans
(longest match of each terminal at each position), so both parsers accept the same strings with the
same readings; ``tests/test_chart.py`` checks that against Lark on generated and hand-written text.

Direct left recursion (what Lark makes of ``x*`` and ``x+``) is solved by growing the result from
its non-recursive alternatives; indirect left recursion is rejected when the grammar loads.
"""
from __future__ import annotations

from collections import defaultdict

from lark.grammar import NonTerminal

from engine.errors import CallgramError
from engine.grammar import Grammar, base_name

_UNIT = frozenset({frozenset()})  # one way to derive, binding nothing


class _Alt:
    __slots__ = ("syms", "first", "nullable")

    def __init__(self, syms):
        self.syms = syms  # tuple of (is_nonterminal, name)
        self.first: frozenset = frozenset()
        self.nullable = False


class ChartParser:
    """Readings of a string under every intent, from the compiled grammar and a lattice function."""

    def __init__(self, grammar: Grammar, matches):
        self.g = grammar
        self.matches = matches  # (text, pos) -> {terminal: end}
        self.alts: dict[str, list[_Alt]] = {}
        self.lrec: dict[str, list[tuple]] = {}
        for name, rules in grammar.rules.items():
            for r in rules:
                syms = tuple((isinstance(s, NonTerminal), s.name) for s in r.expansion)
                if syms and syms[0] == (True, name):
                    self.lrec.setdefault(name, []).append(syms[1:])
                else:
                    self.alts.setdefault(name, []).append(_Alt(syms))
            self.alts.setdefault(name, [])
        self._first_sets()
        self._reject_indirect_left_recursion()
        self.param_of = {n: p for n, (_, p) in grammar.params.items()}

    # -- static analysis ----------------------------------------------------------------------
    def _first_sets(self) -> None:
        self.first: dict[str, set] = {n: set() for n in self.alts}
        self.nullable: set[str] = set()
        changed = True
        while changed:
            changed = False
            for name, alts in self.alts.items():
                for alt in alts:
                    first, nullable = self._seq_first(alt.syms)
                    if not first <= self.first[name]:
                        self.first[name] |= first
                        changed = True
                    if nullable and name not in self.nullable:
                        self.nullable.add(name)
                        changed = True
        for alts in self.alts.values():
            for alt in alts:
                f, alt.nullable = self._seq_first(alt.syms)
                alt.first = frozenset(f)
        self.first = {n: frozenset(f) for n, f in self.first.items()}

    def _seq_first(self, syms) -> tuple[set, bool]:
        out: set = set()
        for is_nt, name in syms:
            if not is_nt:
                out.add(name)
                return out, False
            out |= self.first[name]
            if name not in self.nullable:
                return out, False
        return out, True

    def _reject_indirect_left_recursion(self) -> None:
        # A -> B ... -> A with only nullable symbols before each step would recurse at one position.
        edges = {n: {name for alt in alts for name in self._left_nts(alt.syms)} - {n} for n, alts in self.alts.items()}
        state: dict[str, int] = {}

        def visit(n, stack):
            state[n] = 1
            for m in edges.get(n, ()):
                if state.get(m) == 1:
                    cycle = stack[stack.index(m):] + [m]
                    raise CallgramError(f"left recursion through {' -> '.join(base_name(c) for c in cycle)} is not supported; recurse on the right")
                if m not in state:
                    visit(m, stack + [m])
            state[n] = 2

        for n in edges:
            if n not in state:
                visit(n, [n])

    def _left_nts(self, syms):
        for is_nt, name in syms:
            if not is_nt:
                return
            yield name
            if name not in self.nullable:
                return

    # -- parsing --------------------------------------------------------------------------------
    def parse(self, text: str):
        """{(intent, frozenset of (param, terminal, start, end))} for every complete reading."""
        lattice = [self.matches(text, p) for p in range(len(text))] + [{}]
        run = _Run(self, lattice)
        n = len(text)
        out = set()
        for intent in self.g.intents:
            for bindings in run.nt(intent, 0).get(n, ()):
                out.add((intent, bindings))
        return out


class _Run:
    """One parse: the lattice and the memo table."""

    __slots__ = ("p", "lattice", "memo")

    def __init__(self, parser: ChartParser, lattice):
        self.p = parser
        self.lattice = lattice
        self.memo: dict = {}

    def nt(self, name: str, pos: int) -> dict:
        key = (name, pos)
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        p = self.p
        toks = self.lattice[pos]
        if name not in p.nullable and p.first[name].isdisjoint(toks):
            self.memo[key] = {}
            return self.memo[key]
        self.memo[key] = {}  # in progress: indirect left recursion was rejected at load
        result: dict = defaultdict(set)
        param = p.param_of.get(name)
        for alt in p.alts[name]:
            if not alt.nullable and alt.first.isdisjoint(toks):
                continue
            for end, bsets in self.seq(alt.syms, pos).items():
                if param is not None:
                    term = alt.syms[0][1]
                    result[end].add(frozenset({(param, base_name(term), pos, end)}))
                else:
                    result[end] |= bsets
        if name in p.lrec:
            self._grow(name, result)
        out = {e: frozenset(s) for e, s in result.items()}
        self.memo[key] = out
        return out

    def _grow(self, name: str, result) -> None:
        frontier = {e: set(s) for e, s in result.items()}
        while frontier:
            new: dict = defaultdict(set)
            for tail in self.p.lrec[name]:
                for start, bsets in frontier.items():
                    for end, more in self.seq(tail, start, bsets).items():
                        fresh = more - result[end]
                        if fresh:
                            result[end] |= fresh
                            new[end] |= fresh
            frontier = new

    def seq(self, syms, pos: int, start=_UNIT) -> dict:
        frontier = {pos: start}
        for is_nt, name in syms:
            nxt: dict = {}
            for p, bsets in frontier.items():
                if is_nt:
                    for end, more in self.nt(name, p).items():
                        comb = _product(bsets, more)
                        nxt[end] = nxt[end] | comb if end in nxt else comb
                else:
                    end = self.lattice[p].get(name)
                    if end is not None:
                        nxt[end] = nxt[end] | bsets if end in nxt else bsets
            if not nxt:
                return {}
            frontier = nxt
        return frontier


def _product(a: frozenset, b: frozenset) -> frozenset:
    if b is _UNIT or b == _UNIT:
        return a
    if a is _UNIT or a == _UNIT:
        return b
    return frozenset(x | y for x in a for y in b)
