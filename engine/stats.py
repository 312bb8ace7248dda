"""``callgram stats``: read a callgram file (or a folder of shards) with polars and compute its figures.

Reading keeps only the fields the figures need (never the offered tools, which dominate each line), so a
1M-line file stays a few hundred MB. Re-parse checks live in :mod:`engine.audit`; rendering in
:mod:`engine.stats_render`.
"""
from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from engine.errors import CallgramError

_S = pl.Struct
# Only these fields are parsed; every other key of a line (tools, ids of calls, slot values) is skipped.
_SCHEMA = {
    "id": pl.Utf8, "kind": pl.Utf8, "intent": pl.Utf8, "tags": pl.List(pl.Utf8), "today": pl.Utf8,
    "messages": pl.List(_S({"role": pl.Utf8, "content": pl.Utf8, "weight": pl.Int64,
                            "tool_calls": pl.List(_S({"function": _S({"name": pl.Utf8, "arguments": pl.Utf8})}))})),
    "provenance": _S({"grammar": pl.Utf8, "reply_key": pl.Utf8, "hard_form": pl.Utf8,
                      "slots": pl.List(_S({"param": pl.Utf8, "terminal": pl.Utf8, "surface": pl.Utf8}))}),
}
# Tags that say how the assistant answered, not which surface form the user chose.
_ANSWER_TAG = re.compile(r"^(clarify:|negative:|ambiguous$|beyond_horizon$)")
# Surface families written in Latin script: a model trained on many of them learns romanised Chinese.
LATIN_TAGS = ("pinyin", "english", "iata")
LEAD_BINS = [(None, -1, "past"), (0, 0, "0"), (1, 7, "1-7"), (8, 14, "8-14"), (15, 30, "15-30"), (31, 60, "31-60"),
             (61, 180, "61-180"), (181, 365, "181-365"), (366, None, ">365")]
NIGHT_BINS = [(None, 0, "<=0"), (1, 1, "1"), (2, 2, "2"), (3, 3, "3"), (4, 7, "4-7"), (8, 14, "8-14"),
              (15, 30, "15-30"), (31, None, ">30")]


def sample_files(path: Path) -> list[Path]:
    """The file itself, or a folder's ``*.jsonl`` shards in name order."""
    if path.is_dir():
        files = sorted(path.glob("*.jsonl"))
        if not files:
            raise CallgramError("no *.jsonl files in this folder", path)
        return files
    if not path.is_file():
        raise CallgramError("file not found", path)
    return [path]


def read_samples(path: Path) -> pl.DataFrame:
    """One row a sample: id, kind, intent, tags, today, the last user turn, the assistant turn after it, the call."""
    files = sample_files(path)
    try:
        raw = pl.scan_ndjson(files, schema=_SCHEMA).collect()
    except Exception as e:  # polars names neither file nor line: find the bad line ourselves
        raise _locate(files, e) from None
    roles = pl.col("messages").list.eval(pl.element().struct.field("role"))
    from_end = roles.list.reverse().list.eval(pl.element() == "user").list.arg_max()
    last_user = roles.list.len() - 1 - from_end
    # The answer to the last user turn: the first assistant message after it that is trained on (a wrong
    # call shown for a correction carries weight 0 and is skipped).
    after = pl.col("messages").list.eval(
        (pl.element().struct.field("role") == "assistant") & (pl.element().struct.field("weight").fill_null(1) != 0))
    index = pl.int_ranges(0, roles.list.len())
    answer_at = pl.struct(after=after, index=index, last=last_user).map_elements(
        lambda r: next((i for ok, i in zip(r["after"], r["index"]) if ok and i > r["last"]), None), return_dtype=pl.Int64)
    df = raw.with_columns(
        has_user=roles.list.contains("user").fill_null(False),
        user=pl.col("messages").list.get(last_user, null_on_oob=True).struct.field("content"),
        answer=pl.col("messages").list.get(answer_at, null_on_oob=True),
    ).with_columns(
        reply=pl.col("answer").struct.field("content"),
        call=pl.col("answer").struct.field("tool_calls").list.first().struct.field("function"),
        # the further calls of the same turn (a period's other days): their arguments, as JSON text
        more=pl.col("answer").struct.field("tool_calls").list.slice(1).list.eval(pl.element().struct.field("function").struct.field("arguments")),
    ).select(
        "id", "kind", "intent", pl.col("tags").fill_null([]), "today", pl.col("today").str.to_date(strict=False).alias("day"),
        pl.when("has_user").then("user").alias("user"), "reply",
        # every user turn, for how distinct whole conversations are (a fragment answer alone repeats: 明天)
        pl.col("messages").list.eval(pl.element().filter(pl.element().struct.field("role") == "user").struct.field("content"))
          .list.join(" / ").alias("dialogue"),
        pl.col("call").struct.field("name").alias("call_name"), pl.col("call").struct.field("arguments").alias("call_args"),
        pl.col("more").fill_null([]).alias("more_args"),
        pl.col("provenance").struct.field("slots").alias("slots"), pl.col("provenance").struct.field("reply_key").alias("reply_key"),
        pl.col("provenance").struct.field("hard_form").alias("hard_form"),
        "messages",
    )
    if df.height == 0:
        raise CallgramError("no samples", files[0])
    bad = df.filter(pl.col("day").is_null() | pl.col("kind").is_null() | pl.col("user").is_null())
    if bad.height:
        row = bad.row(0, named=True)
        what = "no user turn" if row["user"] is None else "missing kind" if row["kind"] is None else f"bad today {row['today']!r}"
        raise CallgramError(f"sample {row['id']}: {what}", files[0] if len(files) == 1 else path)
    return df


def _locate(files: list[Path], error: Exception) -> CallgramError:
    """The first line that is not a JSON object, as a located error; else polars' own message."""
    for f in files:
        with f.open(encoding="utf-8", errors="replace") as fh:
            for no, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    return CallgramError(f"not JSON: {e.msg}", f, no, e.colno)
                if not isinstance(obj, dict):
                    return CallgramError("not a JSON object", f, no, 1)
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return CallgramError(f"cannot read samples: {first}", files[0])


def load_manifest(path: Path) -> dict:
    """``manifest.json`` beside the file (or in the folder), or {}."""
    folder = path if path.is_dir() else path.parent
    m = folder / "manifest.json"
    if not m.is_file():
        return {}
    try:
        data = json.loads(m.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise CallgramError(f"not JSON: {e.msg}", m, e.lineno, e.colno) from None
    return data if isinstance(data, dict) else {}


@dataclass
class Normalizer:
    """Near-duplicate key of a user turn: punctuation, openers and closing particles stripped (normalize.toml)."""

    openers: list[str]
    closers: list[str]

    @classmethod
    def from_table(cls, table: dict) -> "Normalizer":
        return cls(list(table.get("openers", [])), list(table.get("closers", [])) + list(table.get("particles", [])))

    def expr(self, col: str) -> pl.Expr:
        """The key as a polars expression (one vectorised pass, no Python per line)."""
        out = pl.col(col).str.replace_all(r"[\p{P}\p{S}\s]+", "").str.to_lowercase()
        if self.openers:
            out = out.str.replace(f"^(?:{_alternation(self.openers)})+", "")
        if self.closers:
            out = out.str.replace(f"(?:{_alternation(self.closers)})+$", "")
        return out


def _alternation(words: list[str]) -> str:
    return "|".join(re.escape(w.lower()) for w in sorted(set(words), key=len, reverse=True))


def mix(df: pl.DataFrame) -> dict:
    """Counts and shares per kind, intent and tag."""
    n = df.height
    out = {}
    for name, frame in (("kind", df.select("kind")), ("intent", df.select("intent")), ("tag", df.select(pl.col("tags").explode().alias("tag")).drop_nulls())):
        counts = frame.group_by(name).len().sort(["len", name], descending=[True, False])
        out[name] = {r[0]: {"count": r[1], "share": r[1] / n} for r in counts.iter_rows()}
    return out


def conversations(df: pl.DataFrame, shares: dict[str, float]) -> dict:
    """Per flow: count, share against its configured share, and user turns per conversation."""
    flows = df.with_columns(
        flow=pl.col("tags").list.eval(pl.element().filter(pl.element().str.starts_with("flow:")).str.slice(5)).list.first(),
        turns=pl.col("messages").list.eval((pl.element().struct.field("role") == "user").cast(pl.Int32)).list.sum(),
    ).filter(pl.col("flow").is_not_null())
    n = df.height
    out = {"samples": flows.height, "share": flows.height / n, "flows": {}}
    for flow in sorted(set(flows["flow"].to_list()) | set(shares)):
        part = flows.filter(pl.col("flow") == flow)
        turns = part["turns"]
        out["flows"][flow] = {"count": part.height, "share": part.height / n, "configured": shares.get(flow),
                              "turns": {"mean": turns.mean(), "max": turns.max()} if part.height else {}}
    return out


def hard_forms(df: pl.DataFrame, shares: dict[str, float]) -> dict:
    """Single-turn hard samples by the tag their hard form was drawn for, against config tag_shares
    ("any": no tag asked for)."""
    forms = df.filter(pl.col("hard_form").is_not_null())
    n = forms.height
    counts = dict(forms.group_by("hard_form").len().iter_rows())
    return {"samples": n, "tags": {t: {"count": counts.get(t, 0), "share": counts.get(t, 0) / n if n else 0.0,
                                       "configured": shares.get(t, max(0.0, 1 - sum(shares.values())) if t == "any" else None)}
                                   for t in sorted(set(counts) | set(shares))}}


def distinctness(df: pl.DataFrame, norm: Normalizer) -> dict:
    """Per kind (and overall): exact-distinct and near-distinct ratio of user turns."""
    keyed = df.select("kind", pl.col("dialogue").alias("user"), norm.expr("dialogue").alias("near"))
    out = {}
    for kind, frame in [("all", keyed)] + sorted(keyed.partition_by("kind", as_dict=True).items()):
        kind = kind[0] if isinstance(kind, tuple) else kind
        n, exact, near = frame.height, frame["user"].n_unique(), frame["near"].n_unique()
        top = frame.group_by("near").len().filter(pl.col("len") > 1).sort(["len", "near"], descending=[True, False]).head(3)
        out[kind] = {"n": n, "exact": exact, "exact_ratio": exact / n, "near": near, "near_ratio": near / n,
                     "top_repeats": [[r[0], r[1]] for r in top.iter_rows()]}
    return out


def surface_families(df: pl.DataFrame) -> dict:
    """Share of samples carrying each surface tag, and the share carrying any Latin-script form."""
    n = df.height
    tags = df.select(pl.col("tags").list.unique().explode().alias("tag")).drop_nulls()
    tags = tags.filter(~pl.col("tag").str.contains(_ANSWER_TAG.pattern))
    counts = tags.group_by("tag").len().sort(["len", "tag"], descending=[True, False])
    latin = df.filter(pl.col("tags").list.eval(pl.element().is_in(list(LATIN_TAGS))).list.any()).height
    return {"tags": {t: {"count": c, "share": c / n} for t, c in counts.iter_rows()},
            "latin": {"tags": list(LATIN_TAGS), "count": latin, "share": latin / n}}


def histogram(values: pl.Series, bins) -> list[list]:
    """[[label, count], ...] over inclusive (lo, hi) bins; None is open-ended."""
    out = []
    for lo, hi, label in bins:
        mask = pl.lit(True)
        if lo is not None:
            mask = mask & (pl.col("v") >= lo)
        if hi is not None:
            mask = mask & (pl.col("v") <= hi)
        out.append([label, values.to_frame("v").filter(mask).height])
    return out


def summary(values: pl.Series, over: tuple[int, ...] = ()) -> dict:
    """n, min, median, p90, max and the share above each threshold of a numeric series."""
    v = values.drop_nulls()
    if v.len() == 0:
        return {"n": 0}
    out = {"n": v.len(), "min": v.min(), "median": v.median(), "p90": v.quantile(0.9, "nearest"), "max": v.max()}
    for t in over:
        out[f"over_{t}"] = (v > t).sum() / v.len()
    return out


def load_bad_patterns(path: Path) -> list[dict]:
    """``[[pattern]] name, regex, why`` from bad_patterns.toml (absent file: none); compiled."""
    if not path.is_file():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise CallgramError(f"invalid TOML: {e}", path) from None
    out = []
    for k, p in enumerate(data.get("pattern", []), 1):
        try:
            out.append({"name": p.get("name", f"pattern{k}"), "why": p.get("why", ""), "re": re.compile(p["regex"])})
        except (KeyError, re.error) as e:
            raise CallgramError(f"pattern {k}: bad or missing regex: {e}", path) from None
    return out


def bad_patterns(df: pl.DataFrame, patterns: list[dict], examples: int = 2) -> tuple[dict, dict]:
    """Hits per pattern over user turns (Python re, so patterns may use any syntax lint accepts), and the
    check: how many samples hit any pattern."""
    users = df["user"].to_list()
    ids = df["id"].to_list()
    out, hit = {}, set()
    for p in patterns:
        search = p["re"].search
        hits = [k for k, u in enumerate(users) if search(u)]
        hit.update(hits)
        out[p["name"]] = {"count": len(hits), "share": len(hits) / max(len(users), 1), "why": p["why"],
                          "examples": [[ids[k], users[k]] for k in hits[:examples]]}
    first = sorted(hit)[:examples]
    check = {"checked": len(users) if patterns else 0, "failures": len(hit), "examples": [[ids[k], users[k]] for k in first]}
    if not patterns:
        check["skipped"] = "no bad_patterns.toml"
    return out, check


def _dtype(schema: dict) -> pl.DataType:
    return pl.Int64 if schema.get("type") == "integer" else pl.Utf8


def city_params(project) -> set[tuple[str, str]]:
    """(tool, parameter) pairs whose grammar rule reads a city lexicon."""
    out = set()
    for name, tool in project.tools.items():
        for param in tool.properties:
            for rule in project.grammar.rules.get(f"{name}__{param}", []):
                term = rule.expansion[0].name
                if term in project.grammar.slots and project.lexicons.get(project.grammar.slots[term]).resolver == "city":
                    out.add((name, param))
    return out


def values(df: pl.DataFrame, project, config: dict) -> tuple[dict, dict]:
    """Distributions of gold call arguments, and the value checks: (figures, checks)."""
    forecast = config.get("forecast_days") or {}
    max_nights = config.get("max_nights")
    lead, nights, ints, cities = {}, {}, {}, []
    checks = {name: {"checked": 0, "failures": 0, "examples": []} for name in ("past_date", "date_order", "beyond_horizon_call", "nights_over_max")}
    cparams = city_params(project)

    def fail(name: str, frame: pl.DataFrame, what: pl.Expr) -> None:
        bad = frame.filter(what.fill_null(False))
        checks[name]["failures"] += bad.height
        checks[name]["examples"] += [[r[0], r[1]] for r in bad.select("id", "user").head(2).iter_rows()][: 2 - len(checks[name]["examples"])]

    for name, tool in sorted(project.tools.items()):
        frame = df.filter(pl.col("call_name") == name)
        if frame.height == 0:
            continue
        dtype = pl.Struct({p: _dtype(s) for p, s in tool.properties.items()})
        try:
            frame = frame.select("id", "user", "day", pl.col("call_args").str.json_decode(dtype).alias("a")).unnest("a")
        except Exception:
            raise CallgramError(f"a {name} call has arguments that are not a JSON object of its parameters") from None
        dates = [p for p, s in tool.properties.items() if s.get("format") == "date"]
        later = {a for a, _ in tool.after}
        frame = frame.with_columns([pl.col(p).str.to_date(strict=False).alias(p) for p in dates])
        for p in dates:
            days = (pl.col(p) - pl.col("day")).dt.total_days()
            checks["past_date"]["checked"] += frame.filter(pl.col(p).is_not_null()).height
            fail("past_date", frame, days < 0)
            if p not in later:
                lead[f"{name}.{p}"] = frame.select(days.alias("v"))["v"].drop_nulls()
            if name in forecast:
                checks["beyond_horizon_call"]["checked"] += frame.filter(pl.col(p).is_not_null()).height
                fail("beyond_horizon_call", frame, days > int(forecast[name]))
        for a, b in tool.after:
            span = (pl.col(a) - pl.col(b)).dt.total_days()
            both = frame.filter(pl.col(a).is_not_null() & pl.col(b).is_not_null())
            nights[f"{name}.{a}-{b}"] = both.select(span.alias("v"))["v"]
            checks["date_order"]["checked"] += both.height
            fail("date_order", both, span <= 0)
            if max_nights:
                checks["nights_over_max"]["checked"] += both.height
                fail("nights_over_max", both, span > int(max_nights))
        for p, s in tool.properties.items():
            if s.get("type") == "integer":
                ints.setdefault(p, []).append(frame[p])
            if (name, p) in cparams:
                cities.append(frame[p])
    for name in ("beyond_horizon_call", "nights_over_max"):
        if not checks[name]["checked"]:
            checks[name]["skipped"] = "no forecast_days in the manifest config" if name.startswith("beyond") else "no max_nights in the manifest config"
    figures = {
        "nights": {k: {**summary(v, (14, 30)), "histogram": histogram(v, NIGHT_BINS)} for k, v in nights.items()},
        "lead": {k: {**summary(v, (60, 180)), "histogram": histogram(v, LEAD_BINS)} for k, v in sorted(lead.items())},
        "integers": {p: f for p, v in sorted(ints.items()) if (f := _int_figures(pl.concat(v)))["n"]},
        "cities": _city_figures(pl.concat(cities) if cities else pl.Series("v", [], pl.Utf8)),
    }
    return figures, checks


def _int_figures(v: pl.Series) -> dict:
    v = v.drop_nulls()
    out = summary(v)
    if 0 < v.n_unique() <= 12:  # small ranges (party size, stars) read best as a histogram of each value
        out["histogram"] = [[str(k), c] for k, c in v.value_counts().sort(v.name).iter_rows()]
    return out


def _city_figures(v: pl.Series, top: int = 10) -> dict:
    v = v.drop_nulls()
    if v.len() == 0:
        return {"n": 0}
    counts = v.value_counts(sort=True, name="len")
    counts = counts.sort(["len", v.name], descending=[True, False])
    return {"n": v.len(), "distinct": counts.height, f"top{top}_share": counts.head(top)["len"].sum() / v.len(),
            "top": [[c, k] for c, k in counts.head(top).iter_rows()]}


def _project(root: Path):
    """The project whose grammars re-read the file, refused where lint fails (a seam tests replace)."""
    from engine.checks import load_checked

    return load_checked(root)


def build_report(path: Path, root: Path, workers: int = 1, reparse: bool = True) -> dict:
    """Every figure and check of ``callgram stats`` as one JSON-ready dict."""
    import time

    start = time.perf_counter()
    df = read_samples(path)
    read_s = time.perf_counter() - start
    manifest = load_manifest(path)
    config = manifest.get("config") or {}
    if "profile_fill" not in config:  # a file without its manifest: the project's own defaults
        from engine.config import project_defaults

        config = {**config, "profile_fill": project_defaults(root).get("profile_fill", {})}
    project = _project(root)
    tables = project.lexicons.data
    report = {"file": str(path), "samples": df.height, "mix": mix(df),
              "distinct": distinctness(df, Normalizer.from_table(tables.get("normalize", {})))}
    report["values"], checks = values(df, project, config)
    report["conversations"] = conversations(df, config.get("flow_shares") or {})
    report["hard_forms"] = hard_forms(df, config.get("tag_shares") or {})
    report["surface"] = surface_families(df)
    report["bad_patterns"], checks["bad_pattern"] = bad_patterns(df, load_bad_patterns(project.paths.lexicons / "bad_patterns.toml"))
    if reparse:
        from engine.audit import Auditor

        audit = Auditor(project, config.get("forecast_days"), config.get("profile_fill")).run(df, workers)
        checks.update(audit["checks"])
        report["reparse"] = audit["reparse"]
    report["checks"] = checks
    report["drops"] = manifest.get("drops") or {}
    report["seconds"] = {"read": round(read_s, 2), "total": round(time.perf_counter() - start, 2)}
    return report


def failures(report: dict) -> int:
    """Total failing samples over all checks."""
    return sum(c.get("failures", 0) for c in report["checks"].values())
