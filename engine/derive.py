"""Derived bindings: grammar rules that set tool arguments indirectly (declared in a tool's ``x-derived``).

``"nights": {"type": "integer", "minimum": 1, "maximum": 30, "derive": "add_days", "from": "check_in", "to": "check_out"}``
lets 住三晚 set check_out = check_in + 3; ``"stay": {"derive": "span", "to": ["check_in", "check_out"]}``
lets 周五到周日 set check_in = Friday and check_out = Monday (the day after the span's last day).
Generation, verification and ``callgram parse`` all turn bindings into arguments through :func:`finalize`.
"""
from __future__ import annotations

from datetime import date, timedelta

DERIVATIONS = ("add_days", "span")


def provides(tool, names) -> tuple[set[str], bool]:
    """The tool parameters a set of bound names fills, and whether two names fill the same one."""
    out: set[str] = set()
    clash = False
    for name in names:
        spec = tool.derived.get(name)
        targets = {name} if spec is None else set(_targets(spec))
        clash |= bool(out & targets)
        out |= targets
    return out, clash


def _targets(spec: dict) -> list[str]:
    return list(spec["to"]) if isinstance(spec["to"], list) else [spec["to"]]


def finalize(tool, values: dict) -> dict | None:
    """Tool arguments from bound values (parameters and derived names); None when two bindings clash.

    A value that is an ``("unresolved", kind)`` marker makes every argument it would set that marker.
    """
    args = {k: v for k, v in values.items() if k not in tool.derived}
    for name, spec in tool.derived.items():
        if name not in values:
            continue
        value = values[name]
        targets = _targets(spec)
        if any(t in args for t in targets if not (spec["derive"] == "add_days" and t == spec["from"])):
            return None
        if _is_marker(value):
            args.update({t: value for t in targets})
        elif spec["derive"] == "add_days":
            start = args.get(spec["from"])
            if start is None or _is_marker(start):
                args[targets[0]] = ("unresolved", "needs " + spec["from"])
            else:
                args[targets[0]] = (date.fromisoformat(start) + timedelta(days=int(value))).isoformat()
        elif spec["derive"] == "span":
            first, last = value if isinstance(value, list) else (value, value)
            args[targets[0]] = first
            args[targets[1]] = (date.fromisoformat(last) + timedelta(days=1)).isoformat()
    return {p: args[p] for p in tool.properties if p in args}


def arguments(tool, resolved: dict, part_of_day) -> dict | None:
    """Tool arguments from the resolutions of every bound name; None when two phrases set one argument.

    ``part_of_day(resolution, schema)`` gives the enum value of the part of day a date was said with
    (明早出发 fills time_of_day with morning where the tool declares ``x-part-of-day``).
    """
    # An unresolved value keeps what it could mean: two readings unclear in different ways (查下周五 /
    # 查 下周五) are two readings, not one.
    # A vague day (最近, 这几天) for an optional date says nothing to fill: the call goes without it
    # (RESOLVER_RULES.md); for a required one it stays unresolved, and the assistant asks.
    resolved = {n: r for n, r in resolved.items() if not (is_vague(r) and n in tool.properties and n not in tool.required)}
    values = {name: (r.value if r.ok else ("unresolved", f"{r.type} {r.value!r}")) for name, r in resolved.items()}
    for src, target in tool.part_of_day.items():
        r = resolved.get(src)
        part = part_of_day(r, tool.properties[target]) if r is not None and r.ok else None
        if part is not None:
            if target in values:
                return None  # 明早早上: the part of day said twice
            values[target] = part
    return finalize(tool, values)


def waiting(args: dict) -> set[str]:
    """Arguments that wait on another one still to be asked (住三晚 with no check-in yet: the check-out
    follows from the answer), so they are not asked about themselves."""
    return {p for p, v in args.items() if _is_marker(v) and str(v[1]).startswith("needs ")}


def span_misplaced(tool, name: str, resolved) -> bool:
    """Whether a binding is no reading at all, for a tool whose spans set two dates (hotels): a span in
    a one-date slot (周末入住 means Saturday in, Monday out, RESOLVER_RULES.md, not only a Saturday
    check-in), or a single day where a span is expected (明天 is a check-in, not a one-night stay)."""
    spec = tool.derived.get(name)
    if spec is not None:
        if spec["derive"] != "span":
            return False
        if resolved.type == "ambiguous":  # 下周六住: a choice of single days is no stay either
            return bool(resolved.value) and not all(isinstance(o, list) for o in resolved.value)
        return resolved.ok and resolved.type != "span"
    return "from_span" in resolved.flags and name in tool.properties and any(s["derive"] == "span" for s in tool.derived.values())


def each_day(tool, name: str, r, today: date) -> list[str] | None:
    """The days of a period said for a parameter the tool takes one day at a time (x-each-day: 这周的天气 is a
    call for each of its days, never its first day alone); None when it is no such period (too long, or past)."""
    limit = tool.each_day.get(name)
    if limit is None or r.type != "ambiguous" or "from_span" not in r.flags:
        return None
    days = list(r.value)
    return days if 2 <= len(days) <= limit and days[0] >= today.isoformat() else None


def per_day(tool, name: str, days: list[str], args: dict) -> list[dict]:
    """One call a day: ``args`` with ``name`` set to each of ``days``, in the tool's parameter order."""
    return [{p: (d if p == name else args[p]) for p in tool.properties if p in args or p == name} for d in days]


def period_calls(tool, resolved: dict, args: dict, today: date) -> list[dict] | None:
    """The calls a request makes when its one unresolved argument is a period said for a parameter the tool
    takes one day at a time and nothing required is missing (这周北京天气怎么样: a call per day); else None."""
    open_ = [p for p, v in args.items() if _is_marker(v) and p not in waiting(args)]
    if len(open_) != 1 or open_[0] not in resolved or any(p not in args for p in tool.required):
        return None
    days = each_day(tool, open_[0], resolved[open_[0]], today)
    return None if days is None else per_day(tool, open_[0], days, args)


def is_vague(r) -> bool:
    """A day said too vaguely to be one (最近, 这几天): ambiguous with no candidates."""
    return r.type == "ambiguous" and not r.value and "vague" in r.flags


def _is_marker(v) -> bool:
    return isinstance(v, tuple) and len(v) == 2 and v[0] == "unresolved"
