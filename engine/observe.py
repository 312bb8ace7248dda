"""Fake tool results: what a tool returns for a call, drawn from its ``x-result`` (a JSON Schema of the
result with the hints below) and the data tables they name, deterministically from the caller's rng.

A field's value comes from the first of these that applies (standard keywords where they suffice):
``x-arg: "p"``, the call's argument p; ``default`` when the call lacks it ("today" on a date field; a
field with x-arg and no other source is then left out); an object or array, drawn field by field / item by
item; ``x-lexicon: "NAME"``, a value of that slot lexicon by its forms' weights, among those matching the
field's ``pattern`` and ``x-match`` (a regex; ``{name}`` in it is a value, escaped); ``x-table: path``,
drawn from a table: ``{value: weight}``, ``{value: {weight = w, ...}}``, a list (evenly) or one value;
``x-band: [expr, path]``, the word of an ``{upper_bound: word}`` table whose band holds the number; a
number: ``x-range`` ([lo, hi] or a path to one; else ``minimum``/``maximum``) times each ``x-scale``
factor plus each ``x-offset`` term, rounded to ``x-step`` (1 unless ``type: number``), item i of n drawing
from the i-th n-th of the range with ``x-spread`` (departures over the day); ``enum``; ``const``;
``pattern`` (an example of the regex: order numbers). Then ``x-format: "{airline}{}"`` writes the value
({}) into a template, ``x-as: "clock"`` shows minutes as HH:MM, and ``x-limit: {"min": e, "max": e}``
bounds it: a range is narrowed to the bounds; a value that cannot meet them redraws its list item (after
``_TRIES`` draws an empty range is taken just inside the bound; an item no draw fits is left out).

Arrays: ``x-count: [lo, hi]`` items; ``x-unique: field``; ``x-sort: "field"`` ("-field": descending) or
``{"default": f, "arg": "sort_by", "by": {arg value: f}}``; ``x-list: true`` marks the result's list, what
a user points into (:meth:`Observer.items`) and what the ``empty`` outcome empties. On the result:
``x-errors``, the codes the tool can return (messages in ``observations.toml [error]``; ``date_in_past``
whenever a date argument lies before today); ``x-profile: "section"``, the user's profile cut to that
argument (engine/profile.py); ``x-let: {name: spec}``, values computed when first used: a path,
``{"distance": [a, b], "table": path, "plus": km}`` (km between the places' ``<table>.<x>.at``),
``{"month": a}``, ``{"days": [a, b]}`` (b − a), ``{"member": a, "table": path}`` (the key listing a).

An expression is a number; ``"{name}"``, a field of this item or an enclosing one (drawn first if need
be), else a let, else an argument (absent: the term is skipped, the bound dropped); or a path
``file.key.key`` into ``lexicons/<lang>/<file>.toml`` whose ``{name}`` segments are filled in, where a key
a table lacks (or an absent name) reads its ``default`` and a number indexes a list from 1 (months).
A tool without ``x-result`` returns ``{"status": "ok"}``.
"""
from __future__ import annotations

import json
import math
import random
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from engine.errors import CallgramError, did_you_mean
from engine.pattern_examples import examples_of

HINTS = frozenset({
    "x-arg", "x-lexicon", "x-match", "x-table", "x-band", "x-range", "x-scale", "x-offset", "x-step", "x-spread",
    "x-format", "x-as", "x-limit", "x-count", "x-unique", "x-sort", "x-list", "x-let", "x-errors", "x-profile",
})
OUTCOMES = ("ok", "empty", "error")
_TRIES = 40  # draws of a list item (or of the whole result) before its limits are relaxed
_FALLBACK_ERROR = "service_busy"  # the code a tool without x-errors (or without a fitting one) returns
_PATH_HINTS = frozenset({"x-table", "x-band", "x-range", "x-scale", "x-offset", "x-limit", "x-let"})
_PLACEHOLDER = re.compile(r"\{(\w*)\}")
_ABSENT = object()  # a field the result leaves out


class _Redraw(Exception):
    """A value cannot meet its x-limit: its list item (or the whole result) is drawn again."""


class Observer:
    """Fake results for every tool of a project (``project.tools``, ``project.lexicons``)."""

    def __init__(self, project):
        self.tools = project.tools
        self.lexicons = project.lexicons
        self._values: dict[tuple[str, tuple[str, ...]], tuple[list[str], list[float]]] = {}
        self._maker = None  # engine.profile.ProfileMaker, built when a profile must be drawn
        self._lists: set[str] = set()
        for tool in self.tools.values():
            if tool.result is not None:
                self._check(tool.result, tool.file)

    def observe(self, tool: str, args: dict, today: date, rng: random.Random,
                outcome: str = "ok", profile: dict | None = None) -> dict:
        """The tool's result for a call with ``args`` (already schema-valid): ``outcome`` "ok", "empty" (the
        result's list is empty; a result without a list is as for "ok") or "error" (``{"error": {"code",
        "message"}}``). ``profile`` (a dict as ``Profile.model_dump()`` or ``section(p, None)`` gives, or a
        Profile) is the user's, for get_user_profile-like tools; one is drawn when it is None."""
        if tool not in self.tools:
            raise ValueError(f"unknown tool {tool!r}{did_you_mean(tool, self.tools)}")
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r} (one of {', '.join(OUTCOMES)})")
        spec = self.tools[tool]
        if outcome == "error":
            return self._error(spec, args, today, rng)
        schema = spec.result
        if schema is None:
            return {"status": "ok"}
        if "x-profile" in schema:
            return self._profile(schema["x-profile"], args, rng, profile)
        draw = _Draw(self, args, today, rng, empty=outcome == "empty")
        for attempt in range(2 * _TRIES):
            draw.lenient = attempt >= _TRIES
            try:
                return draw.obj(schema, None)
            except _Redraw:
                continue
        raise CallgramError(f"x-result: no result of {tool} meets its limits for {args}", spec.file)

    def items(self, observation: dict) -> list[dict]:
        """The list a user can point into (flights, hotels), in the order shown; [] for other results."""
        return next((v for k, v in observation.items() if k in self._lists and isinstance(v, list)), [])

    def error_text(self, code: str) -> str:
        """The message of an error code (observations.toml [error])."""
        return self.lexicons.table("observations").get("error", {}).get(code, code)

    # -- parts ------------------------------------------------------------------------------------------
    def _error(self, tool, args: dict, today: date, rng: random.Random) -> dict:
        codes = list((tool.result or {}).get("x-errors", []))
        days = [args[p] for p, s in tool.properties.items() if s.get("format") == "date" and isinstance(args.get(p), str)]
        if "date_in_past" in codes and any(date.fromisoformat(d) < today for d in days):
            code = "date_in_past"
        else:
            code = rng.choice([c for c in codes if c != "date_in_past"] or [_FALLBACK_ERROR])
        messages = self.lexicons.table("observations").get("error", {})
        return {"error": {"code": code, "message": messages.get(code, code)}}

    def _profile(self, arg: str, args: dict, rng: random.Random, profile) -> dict:
        from engine.profile import Profile, ProfileMaker, section

        if profile is None:
            self._maker = self._maker or ProfileMaker(self.lexicons)
            profile = self._maker.draw(rng)
        elif not isinstance(profile, Profile):
            profile = Profile.model_validate(profile)  # as Profile.model_dump() (= section(p, None)) gives it
        return section(profile, args.get(arg))

    def values(self, lexicon: str, matches: tuple[str, ...]) -> tuple[list[str], list[float]]:
        """A lexicon's values matching every regex, each weighted by the sum of its forms' weights."""
        key = (lexicon, matches)
        if key not in self._values:
            rxs = [re.compile(m) for m in matches]
            weights: dict[str, float] = {}
            for e in self.lexicons.get(lexicon).entries:
                value = e.value or e.surface
                if all(rx.search(value) for rx in rxs):
                    weights[value] = weights.get(value, 0.0) + e.weight
            self._values[key] = (list(weights), list(weights.values()))
        return self._values[key]

    def _check(self, schema: Any, file: str) -> None:
        """Every x- hint is known and every lexicon and data file it names exists (a typo fails on load, not
        in the middle of a run)."""
        if not isinstance(schema, dict):
            return
        for key, value in schema.items():
            if key.startswith("x-") and key not in HINTS:
                raise CallgramError(f"x-result: unknown hint {key!r}{did_you_mean(key, HINTS)}", file)
            if key == "x-lexicon" and value not in self.lexicons.slots:
                raise CallgramError(f"x-result: unknown lexicon {value!r}{did_you_mean(value, self.lexicons.slots)}", file)
            for stem in re.findall(r'"([A-Za-z_]\w*)\.[^"]*"', json.dumps(value)) if key in _PATH_HINTS else []:
                if stem not in self.lexicons.data:
                    raise CallgramError(f"x-result: {key} names a table of {stem}.toml, which does not exist", file)
        for name, sub in schema.get("properties", {}).items():
            if isinstance(sub, dict) and sub.get("x-list"):
                self._lists.add(name)
            self._check(sub, file)
        self._check(schema.get("items"), file)


@dataclass
class _Scope:
    """An object being drawn: its raw field values so far (clocks in minutes), its parent, its place in its list."""

    schema: dict
    parent: _Scope | None
    index: int = 0
    count: int = 1
    values: dict[str, Any] = field(default_factory=dict)
    lets: dict[str, Any] = field(default_factory=dict)
    busy: set[str] = field(default_factory=set)


class _Draw:
    """One result being drawn for one call."""

    def __init__(self, observer: Observer, args: dict, today: date, rng: random.Random, empty: bool):
        self.o, self.args, self.today, self.rng, self.empty = observer, args, today, rng, empty
        self.lenient = False  # an empty range is taken just inside its bound instead of asking for a redraw

    # -- structure --------------------------------------------------------------------------------------
    def obj(self, schema: dict, parent: _Scope | None, index: int = 0, count: int = 1) -> dict:
        scope = _Scope(schema, parent, index, count)
        props = schema.get("properties", {})
        for name in props:
            self._field(scope, name)
        return {name: _shown(props[name], scope.values[name]) for name in props if scope.values[name] is not _ABSENT}

    def _field(self, scope: _Scope, name: str) -> None:
        if name in scope.values:
            return
        if name in scope.busy:
            raise CallgramError(f"x-result: field {name!r} depends on itself")
        scope.busy.add(name)
        try:
            scope.values[name] = self._value(scope.schema["properties"][name], scope)
        finally:
            scope.busy.discard(name)

    def _value(self, sub: dict, scope: _Scope) -> Any:
        kind = sub.get("type")
        if "x-arg" in sub and sub["x-arg"] in self.args:
            return self.args[sub["x-arg"]]
        if "default" in sub:
            return self.today.isoformat() if sub["default"] == "today" and sub.get("format") == "date" else sub["default"]
        if kind == "object":
            return self.obj(sub, scope)
        if kind == "array":
            return self._array(sub, scope)
        if "x-lexicon" in sub:
            values, weights = self.o.values(sub["x-lexicon"], self._match(scope, sub))
            if not values:
                raise CallgramError(f"x-result: no value of {sub['x-lexicon']} matches {self._match(scope, sub)!r}")
            value: Any = self.rng.choices(values, weights)[0]
        elif "x-table" in sub:
            value = self._choose(self._lookup(scope, sub["x-table"]))
        elif "x-band" in sub:
            value = _band(self._num(scope, sub["x-band"][0]), self._lookup(scope, sub["x-band"][1]))
        elif "x-range" in sub or "x-offset" in sub or ("minimum" in sub and "maximum" in sub and kind in ("integer", "number")):
            value = self._number(scope, sub)
        elif "enum" in sub:
            value = self.rng.choice(sub["enum"])
        elif "const" in sub:
            value = sub["const"]
        elif "pattern" in sub:
            value = examples_of(sub["pattern"], str(self.rng.random()), 1)[0]
        else:
            return _ABSENT
        if "x-format" in sub:
            value = self._fill(scope, sub["x-format"], value)
            value = int(value) if kind == "integer" else value
        if isinstance(value, (int, float)) and "x-range" not in sub and "x-offset" not in sub:
            value = self._bounded(scope, sub, value)
        return value

    def _array(self, sub: dict, scope: _Scope) -> list:
        if sub.get("x-list") and self.empty:
            return []
        lo, hi = sub.get("x-count", [sub.get("minItems", 1), sub.get("maxItems", max(3, sub.get("minItems", 1)))])
        n = self.rng.randint(lo, hi)
        items, unique, seen, out = sub.get("items", {}), sub.get("x-unique"), set(), []
        for i in range(n):  # an item no draw fits is left out: the list may come out short, even empty
            for attempt in range(2 * _TRIES):
                try:
                    item = self._item(items, scope, i, n, lenient=attempt >= _TRIES)
                except _Redraw:
                    continue
                key = item.get(unique) if unique and isinstance(item, dict) else None
                if key is None or key not in seen:
                    seen.add(key)
                    out.append(item)
                    break
        order = sub.get("x-sort")
        if isinstance(order, dict):
            order = order.get("by", {}).get(self.args.get(order.get("arg", "")), order.get("default"))
        if order:
            out.sort(key=lambda it: it.get(order.lstrip("-")) if isinstance(it, dict) else it, reverse=order[0] == "-")
        return out

    def _item(self, items: dict, scope: _Scope, i: int, n: int, lenient: bool) -> Any:
        """Item i of n. Lenient, a hotel over budget is priced at it; an arrival past the last still fails."""
        self.lenient, was = lenient, self.lenient
        try:
            if items.get("type") == "object":
                return self.obj(items, scope, i, n)
            holder = _Scope({"properties": {"_": items}}, scope, i, n)
            self._field(holder, "_")
            return _shown(items, holder.values["_"])
        finally:
            self.lenient = was

    # -- numbers ----------------------------------------------------------------------------------------
    def _number(self, scope: _Scope, sub: dict) -> int | float:
        scale = math.prod(v for v in (self._num(scope, e) for e in sub.get("x-scale", [])) if v is not None)
        offset = sum(v for v in (self._num(scope, e) for e in sub.get("x-offset", [])) if v is not None)
        integer = sub.get("type") != "number"  # a number drawn for a string (a flight number) is whole too
        step = sub.get("x-step", 1 if integer else None)
        low, high = self._limits(scope, sub)
        spec = sub.get("x-range")
        if spec is None and "x-offset" not in sub:
            spec = [sub["minimum"], sub["maximum"]]
        if spec is None:
            value = offset
        else:
            lo, hi = self._pair(scope, spec)
            if sub.get("x-spread") and scope.count > 1:
                width = (hi - lo) / scope.count
                lo, hi = lo + width * scope.index, lo + width * (scope.index + 1)
            a, b = sorted((lo * scale + offset, hi * scale + offset))
            a, b = max(a, low), min(b, high)
            if a > b:
                if not self.lenient:
                    raise _Redraw
                # the tenth of the range just inside the bound it overshot: prices at the budget, not all equal
                a, b = (max(low, high - abs(high) / 10), high) if a > high else (low, min(high, low + abs(low) / 10))
            pad = (step or 0) / 2
            value = self.rng.uniform(a - pad, b + pad)
            if step:  # to the nearest step, kept inside [a, b] where a step fits
                value = round(value / step) * step
                value += step * ((value < a - 1e-9 and value + step <= b + 1e-9) - (value > b + 1e-9 and value - step >= a - 1e-9))
        value = self._bounded(scope, sub, value)
        if integer:
            return int(round(value))
        return round(value, _decimals(step)) if step else value

    def _bounded(self, scope: _Scope, sub: dict, value: float) -> float:
        low, high = self._limits(scope, sub)
        if low - 1e-9 <= value <= high + 1e-9:
            return value
        raise _Redraw

    def _limits(self, scope: _Scope, sub: dict) -> tuple[float, float]:
        spec = sub.get("x-limit", {})
        low = self._num(scope, spec["min"]) if "min" in spec else None
        high = self._num(scope, spec["max"]) if "max" in spec else None
        return (-math.inf if low is None else low), (math.inf if high is None else high)

    def _pair(self, scope: _Scope, spec: Any) -> tuple[float, float]:
        pair = self._lookup(scope, spec) if isinstance(spec, str) else [self._num(scope, e) for e in spec]
        return float(pair[0]), float(pair[1])

    def _num(self, scope: _Scope, expr: Any) -> float | None:
        if isinstance(expr, (int, float)):
            return float(expr)
        whole = _PLACEHOLDER.fullmatch(expr)
        value = self._named(scope, whole.group(1)) if whole else self._lookup(scope, expr)
        return None if value is None else float(value)

    # -- names, lets and tables -------------------------------------------------------------------------
    def _named(self, scope: _Scope, name: str) -> Any:
        """A field of this object or an enclosing one (drawn now if need be), else a let, else an argument."""
        s: _Scope | None = scope
        while s is not None:
            if name in s.schema.get("properties", {}):
                self._field(s, name)
                value = s.values[name]
                return None if value is _ABSENT else value
            s = s.parent
        s = scope
        while s is not None:
            if name in s.schema.get("x-let", {}):
                if name not in s.lets:
                    s.lets[name] = self._let(s, s.schema["x-let"][name])
                return s.lets[name]
            s = s.parent
        return self.args.get(name)

    def _let(self, scope: _Scope, spec: Any) -> Any:
        if isinstance(spec, str):
            return self._lookup(scope, spec)
        if "distance" in spec:
            a, b = (self._named(scope, n) for n in spec["distance"])
            table = spec["table"].split(".")
            (la1, lo1), (la2, lo2) = (self._walk([*table, p, "at"], spec["table"]) for p in (a, b))
            return _km(la1, lo1, la2, lo2) + spec.get("plus", 0)
        if "month" in spec:
            day = self._named(scope, spec["month"])
            return None if day is None else date.fromisoformat(str(day)).month
        if "days" in spec:
            a, b = (self._named(scope, n) for n in spec["days"])
            return None if a is None or b is None else (date.fromisoformat(b) - date.fromisoformat(a)).days
        if "member" in spec:
            value = self._named(scope, spec["member"])
            table = self._walk(spec["table"].split("."), spec["table"])
            return next((k for k, members in table.items() if value in members), None)
        raise CallgramError(f"x-let: unknown spec {spec!r} (a path, distance, month, days or member)")

    def _lookup(self, scope: _Scope, path: str) -> Any:
        segments: list[str | None] = []
        for seg in path.split("."):
            whole = _PLACEHOLDER.fullmatch(seg)
            if whole:
                value = self._named(scope, whole.group(1))
                segments.append(None if value is None else _key(value))
            else:
                segments.append(self._fill(scope, seg, None) if "{" in seg else seg)
        return self._walk(segments, path)

    def _walk(self, segments: list[str | None], path: str) -> Any:
        node: Any = self.o.lexicons.table(str(segments[0]))
        for seg in segments[1:]:
            if isinstance(node, list) and seg is not None and seg.isdigit() and 1 <= int(seg) <= len(node):
                node = node[int(seg) - 1]
            elif isinstance(node, dict) and (seg in node or "default" in node):
                node = node[seg if seg in node else "default"]
            else:
                raise CallgramError(f"x-result: {path!r}: no key {seg!r} and no default")
        return node

    def _choose(self, node: Any) -> Any:
        if isinstance(node, dict):
            weights = [v if isinstance(v, (int, float)) else v.get("weight", 1) if isinstance(v, dict) else 1 for v in node.values()]
            return self.rng.choices(list(node), weights)[0]
        return self.rng.choice(node) if isinstance(node, list) else node

    def _match(self, scope: _Scope, sub: dict) -> tuple[str, ...]:
        """The regexes a lexicon value must match: the field's pattern and its x-match, names filled in."""
        match = sub.get("x-match")
        if match:
            match = _PLACEHOLDER.sub(lambda m: re.escape(_key(self._named(scope, m.group(1)))), match)
        return tuple(p for p in (sub.get("pattern"), match) if p)

    def _fill(self, scope: _Scope, template: str, value: Any) -> str:
        def one(m: re.Match) -> str:
            if not m.group(1):
                return _key(value)
            named = self._named(scope, m.group(1))
            if named is None:
                raise CallgramError(f"x-result: {template!r}: {m.group(1)!r} has no value")
            return _key(named)
        return _PLACEHOLDER.sub(one, template)


def _shown(sub: dict, value: Any) -> Any:
    """A field's value as the result shows it: clock fields as HH:MM."""
    if sub.get("x-as") == "clock" and isinstance(value, (int, float)):
        return f"{int(value) % 1440 // 60:02d}:{int(value) % 60:02d}"  # past midnight: the next morning's
    return value


def _key(value: Any) -> str:
    """A value as a table key or text: 4.0 reads as 4."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _band(value: float | None, table: dict) -> Any:
    bands = sorted((float(bound), word) for bound, word in table.items())
    return next((word for bound, word in bands if value is not None and value <= bound), bands[-1][1])


def _decimals(step: float) -> int:
    return max(0, -Decimal(str(step)).as_tuple().exponent)


def _km(la1: float, lo1: float, la2: float, lo2: float) -> float:
    """Great-circle distance on a sphere of the Earth's mean radius."""
    p1, p2, dp, dl = map(math.radians, (la1, la2, la2 - la1, lo2 - lo1))
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))
