"""A fast exact parser for verification: memoised top-down over Lark's compiled rules.

Lark's Earley parser is general but predicts every alternative of every intent at every position;
here each (nonterminal, position) is solved once, and an alternative is only tried where its FIRST
terminals actually match. Tokens come from the same lexical lattice Lark's dynamic lexer scans
(longest match of each terminal at each position), so both parsers accept the same strings with the
same readings; ``tests/test_chart.py`` checks that against Lark on generated and hand-written text.

Lark expands every ``[optional]`` into separate alternatives (``[a] [b] c [d] [e]`` becomes 16), so
each nonterminal's alternatives are first merged into a minimal acyclic automaton over symbols: shared
prefixes and suffixes are then parsed once.

Direct left recursion (what Lark makes of ``x*`` and ``x+``) is solved by growing the result from
its non-recursive alternatives; indirect left recursion is rejected when the grammar loads.
"""
from __future__ import annotations

from lark.grammar import NonTerminal

from engine.errors import CallgramError
from engine.grammar import Grammar, base_name, rule_line

_UNIT = frozenset({frozenset()})  # one way to derive, binding nothing
REPLY = "@reply"  # the pseudo-parameter a reading of a reply-keyed rule binds (its terminal is the key)


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
        self.key_of = {n: k for n, (_, k) in grammar.reply_keys.items()}
        self.dags = {name: _Dag([a.syms for a in alts], self) for name, alts in self.alts.items()}
        self._intent_masks()
        self.tails = {name: _Dag(tails, self) for name, tails in self.lrec.items()}

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

    def _intent_masks(self) -> None:
        """terminal -> bit set of the intents that may use it: an intent is tried only when the text's
        lattice has a path from start to end through its terminals (most texts have one for a few of dozens)."""
        self.intent_bit = {intent: 1 << k for k, intent in enumerate(self.g.intents)}
        self.mask: dict[str, int] = {}
        for intent, bit in self.intent_bit.items():
            seen, todo = {intent}, [intent]
            while todo:
                for rule in self.g.rules.get(todo.pop(), ()):
                    for s in rule.expansion:
                        if not isinstance(s, NonTerminal):
                            self.mask[s.name] = self.mask.get(s.name, 0) | bit
                        elif s.name not in seen:
                            seen.add(s.name)
                            todo.append(s.name)

    def _reject_indirect_left_recursion(self) -> None:
        # A -> B ... -> A with only nullable symbols before each step would recurse at one position.
        edges = {n: {name for alt in alts for name in self._left_nts(alt.syms)} - {n} for n, alts in self.alts.items()}
        state: dict[str, int] = {}

        def visit(n, stack):
            state[n] = 1
            for m in edges.get(n, ()):
                if state.get(m) == 1:
                    cycle = stack[stack.index(m):] + [m]
                    intent = self.g.intents.get(m.split("__", 1)[0])
                    where = (intent.file, *rule_line(intent.source, base_name(m))) if intent is not None else ()
                    raise CallgramError(f"left recursion through {' -> '.join(base_name(c) for c in cycle)} is not supported; recurse on the right", *where)
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
        reach = [0] * (n + 1)  # position -> intents whose terminals can tile the text up to it
        reach[0] = (1 << len(self.intent_bit)) - 1
        mask = self.mask
        for pos in range(n):
            here = reach[pos]
            if here:
                for name, end in lattice[pos].items():
                    reach[end] |= here & mask.get(name, 0)
        out = set()
        for intent, bit in self.intent_bit.items():
            if not reach[n] & bit:
                continue
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
        param = p.param_of.get(name)
        if param is not None:
            out = {}
            for alt in p.alts[name]:
                term = alt.syms[0][1]
                end = toks.get(term)
                if end is not None:
                    out[end] = frozenset({frozenset({(param, base_name(term), pos, end)})})
            self.memo[key] = out
            return out
        result = self.walk(p.dags[name], {pos: _UNIT})
        if name in p.lrec:
            self._grow(name, result)
        reply = p.key_of.get(name)
        if reply is None:
            out = {e: frozenset(s) for e, s in result.items()}
        else:  # a reply-keyed rule marks its readings, so the reply can be checked like a binding
            out = {e: frozenset(b | {(REPLY, reply, pos, e)} for b in s) for e, s in result.items()}
        self.memo[key] = out
        return out

    def _grow(self, name: str, result) -> None:
        frontier = {e: frozenset(s) for e, s in result.items()}
        while frontier:
            grown = self.walk(self.p.tails[name], frontier)
            frontier = {}
            for end, more in grown.items():
                fresh = more - result.get(end, set())
                if fresh:
                    result.setdefault(end, set()).update(fresh)
                    frontier[end] = frozenset(fresh)

    def walk(self, dag: "_Dag", start: dict) -> dict:
        """Run ``start`` (position -> binding sets) through an automaton; returns end -> binding sets."""
        frontiers: list = [None] * len(dag.edges)
        frontiers[0] = start
        result: dict = {}
        lattice = self.lattice
        p = self.p
        for node in range(len(dag.edges)):
            frontier = frontiers[node]
            if frontier is None:
                continue
            if dag.final[node]:
                for end, bsets in frontier.items():
                    if end in result:
                        result[end] |= bsets
                    else:
                        result[end] = set(bsets)
            for is_nt, name, child in dag.edges[node]:
                nxt = frontiers[child]
                for pos, bsets in frontier.items():
                    toks = lattice[pos]
                    if is_nt:
                        if name not in p.nullable and p.first[name].isdisjoint(toks):
                            continue
                        for end, more in self.nt(name, pos).items():
                            comb = _product(bsets, more)
                            if nxt is None:
                                nxt = frontiers[child] = {}
                            nxt[end] = nxt[end] | comb if end in nxt else comb
                    else:
                        end = toks.get(name)
                        if end is not None:
                            if nxt is None:
                                nxt = frontiers[child] = {}
                            nxt[end] = nxt[end] | bsets if end in nxt else bsets
        return result


class _Dag:
    """A minimal acyclic automaton accepting exactly a set of symbol sequences; node 0 is the start.

    Nodes are numbered in topological order, so one forward pass visits each after all its parents.
    """

    def __init__(self, seqs, parser: ChartParser):
        trie: list = [({}, False)]
        for syms in seqs:
            node = 0
            for sym in syms:
                kids = trie[node][0]
                if sym not in kids:
                    kids[sym] = len(trie)
                    trie.append(({}, False))
                node = kids[sym]
            trie[node] = (trie[node][0], True)
        # Merge equivalent subtrees bottom-up (same finality, same labelled children).
        canon: dict = {}
        rep = [0] * len(trie)
        for node in reversed(range(len(trie))):  # children always have larger ids than parents
            kids, final = trie[node]
            sig = (final, tuple(sorted((sym, rep[k]) for sym, k in kids.items())))
            rep[node] = canon.setdefault(sig, node)
        order, seen = [], set()

        def visit(n):  # reverse post-order = topological order
            seen.add(n)
            for k in trie[n][0].values():
                if rep[k] not in seen:
                    visit(rep[k])
            order.append(n)

        visit(rep[0])
        order.reverse()
        index = {n: i for i, n in enumerate(order)}
        self.final = [trie[n][1] for n in order]
        self.edges = [[(sym[0], sym[1], index[rep[k]]) for sym, k in sorted(trie[n][0].items())] for n in order]


def _product(a: frozenset, b: frozenset) -> frozenset:
    if b is _UNIT or b == _UNIT:
        return a
    if a is _UNIT or a == _UNIT:
        return b
    return frozenset(x | y for x in a for y in b)
