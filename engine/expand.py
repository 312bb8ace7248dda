"""Walk a grammar from a seed: emit one utterance as chunks, with the parameters it binds.

Like Hypothesis' ``extra/lark.py``, this works on Lark's compiled rules and never enumerates the
language. Two tables make each draw cheap and always successful:

* ``height``: the shortest derivation of each symbol, so recursion past ``max_depth`` takes the
  shortest way out;
* ``masks``: for each symbol, every set of tool parameters (a bitmask) one derivation of it can bind.
  Asking for an exact set (all required parameters, or all but ``origin`` for a clarification) then
  only ever picks alternatives that can still produce it.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from lark.grammar import NonTerminal

from engine.grammar import Grammar, base_name

_INF = 10**9


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of an utterance: fixed text, or a lexicon slot (``terminal`` set) to fill."""

    text: str = ""
    terminal: str | None = None  # lexicon name, e.g. CITY
    param: str | None = None  # the tool parameter this slot binds, if any


@dataclass
class Derivation:
    """What one walk produced: chunks in order and the rules it used (for provenance)."""

    intent: str
    chunks: list[Chunk] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)


class Expander:
    """Draws derivations from a compiled :class:`Grammar`."""

    def __init__(self, grammar: Grammar, max_depth: int = 24):
        self.g = grammar
        self.max_depth = max_depth
        self.bits: dict[str, dict[str, int]] = {}
        for name in grammar.intents:
            tool = grammar.intents[name].tool
            names = list(tool.bindable) if tool else sorted({p for i, p in grammar.params.values() if i == name})  # turn grammars
            self.bits[name] = {p: 1 << i for i, p in enumerate(names)}
        self.alts = {name: [(tuple(r.expansion), self._weight(r)) for r in rules] for name, rules in grammar.rules.items()}
        self.height = self._heights()
        self.masks = self._masks()
        self._suffix: dict[tuple, frozenset[int]] = {}
        # Per alternative, plain tuples for the hot loop: (symbols, weight, masks of each suffix, height).
        self.table = {
            name: [(syms, w, [self.suffix_masks(syms, k) for k in range(len(syms) + 1)], self._alt_height(syms)) for syms, w in alts]
            for name, alts in self.alts.items()
        }

    @classmethod
    def of(cls, grammar: Grammar) -> "Expander":
        """The expander of ``grammar``, built once: its tables depend on nothing else."""
        ex = grammar.__dict__.get("_expander")
        if ex is None:
            ex = grammar.__dict__["_expander"] = cls(grammar)
        return ex

    # -- tables -----------------------------------------------------------------------------
    def _weight(self, rule) -> float:
        w = 1.0
        for sym in rule.expansion:
            if isinstance(sym, NonTerminal):
                prio = self.g.rules[sym.name][0].options.priority
                if prio and prio > 0:
                    w *= prio
                elif prio and prio < 0:  # a rare form (a slip: 查寻, 从从): name.-19 is drawn 1/20 as often
                    w /= 1 - prio
        return w

    def _heights(self) -> dict[str, int]:
        h = {name: _INF for name in self.alts}
        changed = True
        while changed:
            changed = False
            for name, alts in self.alts.items():
                best = min((1 + max((h.get(s.name, 0) if isinstance(s, NonTerminal) else 0) for s in syms) if syms else 1) for syms, _ in alts)
                if best < h[name]:
                    h[name], changed = best, True
        return h

    def _masks(self) -> dict[str, frozenset[int]]:
        masks: dict[str, frozenset[int]] = {name: frozenset() for name in self.alts}
        for name, (intent, param) in self.g.params.items():
            masks[name] = frozenset({self.bits[intent][param]})
        changed = True
        while changed:
            changed = False
            for name, alts in self.alts.items():
                if name in self.g.params:
                    continue
                new = frozenset().union(*(self._seq_masks(syms, masks) for syms, _ in alts))
                if new != masks[name]:
                    masks[name], changed = new, True
        return masks

    def _seq_masks(self, syms, masks) -> frozenset[int]:
        acc = {0}
        for s in syms:
            if isinstance(s, NonTerminal):
                acc = {a | m for a in acc for m in masks[s.name] if not a & m}
        return frozenset(acc)

    def suffix_masks(self, syms: tuple, k: int) -> frozenset[int]:
        """Parameter sets the symbols ``syms[k:]`` can bind together."""
        key = (syms, k)
        if key not in self._suffix:
            self._suffix[key] = self._seq_masks(syms[k:], self.masks)
        return self._suffix[key]

    # -- queries ------------------------------------------------------------------------------
    def can_bind(self, intent: str, params: set[str]) -> bool:
        """True when some utterance of ``intent`` binds exactly ``params``."""
        return self.mask(intent, params) in self.masks[intent]

    def mask(self, intent: str, params) -> int:
        bits = self.bits[intent]
        return sum(bits[p] for p in params)

    def bindable_sets(self, intent: str) -> list[set[str]]:
        """Every exact parameter set some utterance of ``intent`` binds, in a stable order."""
        names = list(self.bits[intent])
        return [{p for p in names if m & self.bits[intent][p]} for m in sorted(self.masks[intent])]

    # -- walking ------------------------------------------------------------------------------
    def expand(self, intent: str, rng: random.Random, params: set[str], start: str | None = None) -> Derivation:
        """One derivation of ``intent`` binding exactly ``params`` (from its rule ``start``, if given)."""
        target = self.mask(intent, params)
        if target not in self.masks[start or intent]:
            raise ValueError(f"{start or intent} cannot bind exactly {sorted(params)}")
        out = Derivation(intent)
        self._walk(start or intent, target, rng, 0, out, None)
        return out

    def _walk(self, name: str, target: int, rng: random.Random, depth: int, out: Derivation, param: str | None) -> None:
        if name in self.g.params:
            param = self.g.params[name][1]
            target = 0  # the rule binds itself; nothing below it binds anything
        options = [opt for opt in self.table[name] if target in opt[2][0]]
        if depth > self.max_depth:
            low = min(opt[3] for opt in options)
            options = [opt for opt in options if opt[3] == low]
        syms, _, suffixes, _ = _choose(rng, options)
        if not name.startswith("__"):
            out.rules.append(name)
        remaining = target
        for k, sym in enumerate(syms):
            sname = sym.name
            if isinstance(sym, NonTerminal):
                masks = self.masks[sname]
                if len(masks) == 1 and remaining == 0:
                    m = 0  # the common case: nothing left to bind
                else:
                    rest = suffixes[k + 1]
                    choices = sorted(m for m in masks if m & remaining == m and (remaining & ~m) in rest)
                    m = choices[rng.randrange(len(choices))] if len(choices) > 1 else choices[0]
                self._walk(sname, m, rng, depth + 1, out, param)
                remaining &= ~m
            elif sname in self.g.slots:
                out.chunks.append(Chunk(terminal=self.g.slots[sname], param=param))
            else:
                out.chunks.append(Chunk(text=self.g.literals[sname]))

    def _alt_height(self, syms) -> int:
        return max((self.height[s.name] for s in syms if isinstance(s, NonTerminal)), default=0)


def _choose(rng: random.Random, options):
    total = sum(opt[1] for opt in options)
    x = rng.random() * total
    for opt in options:
        x -= opt[1]
        if x < 0:
            return opt
    return options[-1]


__all__ = ["Chunk", "Derivation", "Expander", "base_name"]
