"""``callgram coverage`` on a terminal: tables for the shares and patterns, plain text for what a person
may paste (lexicon lines keep their tabs, which rich would turn into spaces)."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table


def render(report: dict, console: Console) -> None:
    files = ", ".join(report["files"])
    console.print(f"[bold]{files}[/]: {report['requests']} requests, today {report['today']}", markup=True, highlight=False)
    extra = "".join(f", {name} {report[key]}" for key, name in (("ambiguous", "ambiguous"), ("over_cap", "over the cap")) if report[key])
    console.print(f"parsed {report['parsed']} ({_pct(report['parsed_share'])}), unparsed {report['unparsed']} "
                  f"({_pct(report['unparsed_share'])}){extra}", highlight=False)
    _intents(report["intents"], console)
    if report["labels"]:
        _labels(report["labels"], console)
    _patterns(report["patterns"], console)
    _alternatives(report["patterns"], console)
    _places(report["places"], console)
    _unlisted(report["unlisted_dates"], console)
    _dates(report["dates"], console)


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _intents(intents: dict, console: Console) -> None:
    t = Table(title="Parsed, per intent", title_justify="left")
    for col in ("intent", "kind", "count", "share"):
        t.add_column(col, justify="right" if col in ("count", "share") else "left")
    for name, v in intents.items():
        t.add_row(name, v["kind"], str(v["count"]), _pct(v["share"]))
    console.print(t)


def _labels(labels: dict, console: Console) -> None:
    t = Table(title="Per labelled intent (the log's own intent field)", title_justify="left")
    for col in ("label", "requests", "parsed as it", "share", "read as another intent", "unparsed"):
        t.add_column(col, justify="left" if col in ("label", "read as another intent") else "right", overflow="fold")
    for name, v in labels.items():
        other = ", ".join(f"{k} {n}" for k, n in v["other"].items())
        t.add_row(name, str(v["count"]), str(v["as_label"]), _pct(v["as_label_share"]), other, str(v["unparsed"]))
    console.print(t)


def _patterns(patterns: list, console: Console) -> None:
    t = Table(title=f"Uncovered patterns, most frequent first (top {len(patterns)}; slots masked)", title_justify="left")
    for col in ("count", "share", "pattern", "example", "labels"):
        t.add_column(col, justify="right" if col in ("count", "share") else "left", overflow="fold")
    for p in patterns:
        labels = ", ".join(f"{k} {n}" for k, n in p["labels"].items())
        t.add_row(str(p["count"]), _pct(p["share"]), p["pattern"], p["example"], labels)
    console.print(t, markup=False)


def _alternatives(patterns: list, console: Console) -> None:
    masked = [p for p in patterns if "{" in p["pattern"]]
    if not masked:
        return
    _raw(console, "", "Suggested grammar alternatives (suggestions only: bind each slot through its parameter rule, "
         "e.g. origin: CITY, before pasting; nothing is written):")
    for p in masked:
        label = next(iter(p["labels"]), None)
        where = f", labelled {label}" if label else ""
        first = f"; may parse once the date lexicon lists {', '.join(p['unlisted'])}" if p["unlisted"] else ""
        _raw(console, f"  // {_times(p['count'])}: {p['pattern']}{where}{first}", f"  {p['alternative']}")


def _places(places: dict, console: Console) -> None:
    if not places["words"]:
        return
    _raw(console, "", f"Place words the lexicons lack (ready to paste into {places['lexicon']} after checking each; "
         "nothing is written; those facing a known city first):")
    for w in places["words"]:
        n = w["beside_city"]
        beside = "" if not n else ", facing a known city" if n == w["count"] else f" ({n} facing a known city)"
        _raw(console, f"# seen {_times(w['count'])}{beside}, e.g. {w['example']}", w["line"])


def _unlisted(unlisted: dict, console: Console) -> None:
    if not unlisted["words"]:
        return
    _raw(console, "", f"Dates the resolver reads but {unlisted['lexicon']} lacks (the grammars match its surfaces only; "
         "ready to paste after checking the tags, copied from a listed date of the same shape; nothing is written):")
    for w in unlisted["words"]:
        value = "–".join(w["reads_as"]) if isinstance(w["reads_as"], list) and all(isinstance(v, str) for v in w["reads_as"]) else w["reads_as"]
        flags = f" [{', '.join(w['flags'])}]" if w["flags"] else ""
        _raw(console, f"# seen {_times(w['count'])}, reads as {value}{flags}, e.g. {w['example']}", w["line"])


def _dates(dates: list, console: Console) -> None:
    if not dates:
        return
    t = Table(title="Dates the resolver does not read (date-like words where a date stands)", title_justify="left")
    for col in ("word", "count", "example"):
        t.add_column(col, justify="right" if col == "count" else "left", overflow="fold")
    for d in dates:
        t.add_row(d["surface"], str(d["count"]), d["example"])
    console.print(t, markup=False)


def _raw(console: Console, *lines: str) -> None:
    """Lines exactly as given (tabs kept), for pasting."""
    console.file.write("".join(line + "\n" for line in lines))
    console.file.flush()
