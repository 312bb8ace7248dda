"""``callgram stats`` on a terminal: rich tables, and text histograms where a shape says more than numbers."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

_BAR = 30


def render(report: dict, console: Console) -> None:
    """The whole report, section by section, checks last so the verdict is what stays on screen."""
    console.print(f"[bold]{report['file']}[/]: {report['samples']} samples")
    _mix(report["mix"], console)
    _distinct(report["distinct"], console)
    if "conversations" in report:
        _conversations(report["conversations"], console)
    if report.get("hard_forms", {}).get("samples"):
        _hard_forms(report["hard_forms"], console)
    _values(report["values"], console)
    _surface(report["surface"], console)
    _bad_patterns(report["bad_patterns"], console)
    _drops(report["drops"], console)
    _checks(report["checks"], console)
    secs = report["seconds"]
    extra = ""
    if "reparse" in report:
        rp = report["reparse"]
        extra = f"; re-parse {rp['distinct']} distinct turns in {rp['seconds']}s ({rp['workers']} worker(s))"
    console.print(f"read in {secs['read']}s{extra}; total {secs['total']}s")


def _conversations(conv: dict, console: Console) -> None:
    t = Table(title=f"conversations: {conv['samples']} ({_pct(conv['share'])})", title_justify="left")
    for col in ("flow", "count", "share", "configured", "user turns (mean / max)"):
        t.add_column(col, justify="left" if col == "flow" else "right")
    for name, f in conv["flows"].items():
        turns = f["turns"]
        t.add_row(name, str(f["count"]), _pct(f["share"]), _pct(f["configured"]) if f["configured"] is not None else "-",
                  f"{turns['mean']:.1f} / {turns['max']}" if turns else "-")
    console.print(t)


def _hard_forms(forms: dict, console: Console) -> None:
    t = Table(title=f"hard forms by tag: {forms['samples']} single-turn hard samples", title_justify="left")
    for col in ("tag", "count", "share", "configured"):
        t.add_column(col, justify="left" if col == "tag" else "right")
    for name, f in forms["tags"].items():
        t.add_row(name, str(f["count"]), _pct(f["share"]), _pct(f["configured"]) if f["configured"] is not None else "-")
    console.print(t)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _counts(title: str, rows: dict, console: Console, limit: int | None = None) -> None:
    t = Table(title=title, title_justify="left")
    t.add_column("name")
    t.add_column("count", justify="right")
    t.add_column("share", justify="right")
    items = list(rows.items())
    for name, v in items[:limit]:
        t.add_row(name, str(v["count"]), _pct(v["share"]))
    if limit and len(items) > limit:
        t.add_row(f"… {len(items) - limit} more", "", "")
    console.print(t)


def _mix(mix: dict, console: Console) -> None:
    _counts("Mix: kind", mix["kind"], console)
    _counts("Mix: intent", mix["intent"], console)
    _counts("Mix: tag", mix["tag"], console)


def _distinct(d: dict, console: Console) -> None:
    t = Table(title="Distinct user turns (near: punctuation, openers, closing particles stripped)", title_justify="left")
    for col in ("kind", "n", "exact", "exact %", "near", "near %", "most repeated (near)"):
        t.add_column(col, justify="left" if col in ("kind", "most repeated (near)") else "right")
    for kind, v in d.items():
        top = "  ".join(f"{text}×{n}" for text, n in v["top_repeats"])
        t.add_row(kind, str(v["n"]), str(v["exact"]), _pct(v["exact_ratio"]), str(v["near"]), _pct(v["near_ratio"]), top)
    console.print(t)


def _histogram(title: str, bins: list, console: Console) -> None:
    total = sum(c for _, c in bins) or 1
    peak = max((c for _, c in bins), default=0) or 1
    console.print(f"  [bold]{title}[/]")
    width = max((len(str(label)) for label, _ in bins), default=1)
    for label, c in bins:
        bar = "█" * round(_BAR * c / peak)
        console.print(f"    {str(label):>{width}} │{bar:<{_BAR}} {c:>6} {_pct(c / total):>6}", highlight=False)


def _summary_table(title: str, rows: dict, over: tuple, console: Console) -> None:
    t = Table(title=title, title_justify="left")
    for col in ("", "n", "min", "median", "p90", "max", *[f"> {o}" for o in over]):
        t.add_column(col, justify="left" if col == "" else "right")
    for name, v in rows.items():
        if not v.get("n"):
            t.add_row(name, "0", *[""] * (4 + len(over)))
            continue
        t.add_row(name, str(v["n"]), f"{v['min']:g}", f"{v['median']:g}", f"{v['p90']:g}", f"{v['max']:g}",
                  *[_pct(v[f"over_{o}"]) for o in over])
    console.print(t)


def _values(v: dict, console: Console) -> None:
    _summary_table("Nights (later date − earlier date in gold calls)", v["nights"], (14, 30), console)
    for name, s in v["nights"].items():
        _histogram(f"nights {name}", s["histogram"], console)
    _summary_table("Lead time in days (date − today, gold calls)", v["lead"], (60, 180), console)
    for name, s in v["lead"].items():
        _histogram(f"lead {name}", s["histogram"], console)
    _summary_table("Integer arguments", v["integers"], (), console)
    for name, s in v["integers"].items():
        if "histogram" in s:
            _histogram(name, s["histogram"], console)
    c = v["cities"]
    if c.get("n"):
        tops = ", ".join(f"{city} {n}" for city, n in c["top"])
        console.print(f"[bold]Cities[/]: {c['n']} city arguments, {c['distinct']} distinct, top-10 share {_pct(c['top10_share'])}: {tops}")


def _surface(s: dict, console: Console) -> None:
    _counts("Surface-form families (share of samples)", s["tags"], console)
    latin = s["latin"]
    console.print(f"Latin-script forms ({'+'.join(latin['tags'])}): {latin['count']} samples, {_pct(latin['share'])}")


def _bad_patterns(b: dict, console: Console) -> None:
    if not b:
        return
    t = Table(title="Bad patterns (lexicons/zh/bad_patterns.toml, user turns)", title_justify="left")
    for col in ("pattern", "hits", "share", "examples"):
        t.add_column(col, justify="right" if col in ("hits", "share") else "left")
    for name, v in sorted(b.items(), key=lambda kv: -kv[1]["count"]):
        t.add_row(name, str(v["count"]), _pct(v["share"]), " | ".join(u for _, u in v["examples"]))
    console.print(t)


def _drops(drops: dict, console: Console) -> None:
    if drops:
        _counts("Dropped attempts (manifest)", {k: {"count": n, "share": n / max(sum(drops.values()), 1)} for k, n in drops.items()}, console)


def _checks(checks: dict, console: Console) -> None:
    t = Table(title="Checks (each counts failing samples)", title_justify="left")
    for col in ("check", "checked", "failures", "by kind"):
        t.add_column(col, justify="right" if col in ("checked", "failures") else "left", overflow="fold")
    for name, c in checks.items():
        status = "[green]0[/]" if not c["failures"] else f"[red]{c['failures']}[/]"
        if c.get("skipped"):
            status = "[yellow]skipped[/]"
        kinds = ", ".join(f"{k} {n}" for k, n in c.get("kinds", {}).items()) or c.get("skipped", "")
        t.add_row(name, str(c["checked"]), status, kinds)
    console.print(t)
    for name, c in checks.items():
        if c["failures"] and c["examples"]:
            console.print(f"  [bold]{name}[/] e.g.")
            for e in c["examples"][:4]:
                console.print(f"    {_example(e)}", highlight=False, markup=False)


def _example(e) -> str:
    if isinstance(e, dict):
        return f"{e['id']} {e['user']} — {e['kind']}: {e['detail']}"
    return " ".join(str(x) for x in e)
