"""Re-parse checks of ``callgram stats``: user turns are read again with the project's grammars, independently
of how the file was made, and each assistant turn is compared with what that reading calls for."""
from __future__ import annotations

import json
import multiprocessing as mp
import re
import time
from datetime import date, timedelta
from functools import lru_cache

import polars as pl

from engine.resolve.expression import ResolveContext, resolve_expression

CHECKS = ("reply_mismatch", "wrong_clarification", "beyond_horizon", "call_mismatch", "collapsed_range", "turn_mismatch")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_EXAMPLES = 2
_SLICE = 20_000  # rows audited at a time
_RECENT_DAYS = 31  # a day named in a question and at most this long ago is read as past, not as next year's


@lru_cache(maxsize=65536)
def template_regex(template: str, fixed: tuple[tuple[str, str], ...] = ()) -> re.Pattern:
    """A reply template as a regex: fixed placeholders literal, every other one a lazy named group."""
    known = dict(fixed)
    out, pos, seen = [], 0, set()
    for m in _PLACEHOLDER.finditer(template):
        out.append(re.escape(template[pos:m.start()]))
        name = m.group(1)
        if name in known:
            out.append(re.escape(known[name]))
        elif name in seen:
            out.append(f"(?P={name})")
        else:
            seen.add(name)
            out.append(f"(?P<{name}>.+?)")
        pos = m.end()
    out.append(re.escape(template[pos:]))
    return re.compile("".join(out), re.S)


def match_any(templates: list[str], text: str | None, fixed: dict[str, str]) -> re.Match | None:
    """The first template that matches the whole text, or None."""
    if not text:
        return None
    for t in templates:
        names = set(_PLACEHOLDER.findall(t))
        m = template_regex(t, tuple(sorted((k, v) for k, v in fixed.items() if k in names))).fullmatch(text.strip())
        if m:
            return m
    return None


# -- re-parsing, cached and optionally in worker processes --------------------------------------
_PARSER = None


def _parse_chunk(pairs: list[tuple[str, str]]) -> list[dict]:
    return [_PARSER.parse(text, date.fromisoformat(today)) for text, today in pairs]


def reparse(parser, pairs: list[tuple[str, str]], workers: int = 1) -> dict[tuple[str, str], dict]:
    """Each distinct (text, today) parsed once; workers share the loaded parser by fork, results keep input order."""
    global _PARSER
    unique = list(dict.fromkeys(pairs))
    _PARSER = parser
    if workers <= 1 or len(unique) < 2000 or "fork" not in mp.get_all_start_methods():
        results = _parse_chunk(unique)
    else:
        size = max(500, len(unique) // (workers * 8))
        chunks = [unique[k:k + size] for k in range(0, len(unique), size)]
        with mp.get_context("fork").Pool(workers) as pool:
            results = [r for part in pool.map(_parse_chunk, chunks) for r in part]
    return dict(zip(unique, results))


# -- the checks ------------------------------------------------------------------------------------
class Auditor:
    """Runs every re-parse check over a stats frame; figures are counts per check and per failure kind."""

    def __init__(self, project, forecast_days: dict | None = None, profile_fill: dict | None = None):
        from engine.parse import UtteranceParser
        from engine.replies import capabilities

        self.p = project
        data = project.lexicons.data
        self.replies = data.get("replies", {})
        self.answers = data.get("answers")  # the keyed negative replies; absent in older projects
        self.capabilities = capabilities([t for _, t in sorted(project.tools.items())], self.replies, data["scaffold"])
        norm = data.get("normalize", {}).get("dates", {})
        self.full_date = norm.get("full", "{year}-{month}-{day}")
        self.month_day = re.compile(norm.get("month_day", r"(\d{1,2})-(\d{1,2})"))
        self.weekdays = data.get("date_words", {}).get("weekday_names", [])
        self.forecast = forecast_days or {}
        self.parser = UtteranceParser(project, profile_fill)
        self.ctx = ResolveContext.from_lexicons(project.lexicons)
        self.out = {c: {"checked": 0, "failures": 0, "kinds": {}, "examples": []} for c in CHECKS}

    def run(self, df: pl.DataFrame, workers: int = 1) -> dict:
        """Every check's figures, plus the re-parse time."""
        took, texts, distinct = 0.0, 0, 0
        cols = df.select("id", "kind", "intent", "tags", "today", "user", "reply", "call_name", "call_args", "more_args", "slots", "messages")
        for offset in range(0, cols.height, _SLICE):  # in slices, so memory stays flat however long the file
            rows = cols.slice(offset, _SLICE).rows(named=True)
            start = time.perf_counter()
            parsed = reparse(self.parser, [(r["user"], r["today"]) for r in rows], workers)
            took += time.perf_counter() - start
            texts, distinct = texts + len(rows), distinct + len(parsed)
            for r in rows:
                self._sample(r, parsed[(r["user"], r["today"])])
        if not self.forecast:
            self.out["beyond_horizon"]["skipped_horizon"] = "no forecast_days in the manifest config: horizon not checked"
        return {"checks": self.out, "reparse": {"texts": texts, "distinct": distinct, "seconds": round(took, 2), "workers": workers}}

    def _fail(self, check: str, kind: str, row: dict, detail: str) -> None:
        c = self.out[check]
        c["failures"] += 1
        c["kinds"][kind] = c["kinds"].get(kind, 0) + 1
        if sum(1 for e in c["examples"] if e["kind"] == kind) < _EXAMPLES:
            c["examples"].append({"kind": kind, "id": row["id"], "user": row["user"], "detail": detail})

    def _fixed(self, today: date) -> dict[str, str]:
        fixed = {"today_date": self.full_date.format(year=today.year, month=today.month, day=today.day)}
        if self.weekdays:
            fixed["today_weekday"] = self.weekdays[today.weekday()]
        fixed["capabilities"] = self.capabilities
        fixed["assistant"] = self.replies.get("assistant", "")
        return fixed

    def _offered(self, row: dict, fixed: dict) -> dict:
        """``fixed`` with the capabilities the sample's own system prompt states (it may offer a subset of tools)."""
        system = (row.get("messages") or [{}])[0]
        template = self.replies.get("system")
        if system.get("role") != "system" or not template:
            return fixed
        m = template_regex(template, tuple(sorted((k, v) for k, v in fixed.items() if k != "capabilities"))).fullmatch(system.get("content") or "")
        if m is None:
            return fixed
        return {**fixed, "capabilities": m.groupdict().get("capabilities", fixed["capabilities"])}

    def _sample(self, row: dict, parse: dict) -> None:
        tags = row["tags"] or []
        today = date.fromisoformat(row["today"])
        if any(t.startswith("flow:") for t in tags):  # a conversation: every turn, read in its context
            turns, problems = self.parser.turn_problems(row["messages"], today)
            self.out["turn_mismatch"]["checked"] += turns
            for problem in problems:
                self._fail("turn_mismatch", next(t for t in tags if t.startswith("flow:")), row, problem)
            return
        negative = next((t.split(":", 1)[1] for t in tags if t.startswith("negative:")), None)
        clarify = {t.split(":", 1)[1] for t in tags if t.startswith("clarify:")}
        if negative is not None:
            self._reply(row, parse, negative, today)
        if clarify:
            self._clarify(row, parse, clarify, "ambiguous" in tags, today)
        if "beyond_horizon" in tags:
            self._beyond(row, parse, today)
        if row["call_name"] is not None:
            self._call(row, parse, today)

    def _reply(self, row, parse, negative: str, today: date) -> None:
        self.out["reply_mismatch"]["checked"] += 1
        if parse["intent"] is not None:
            return self._fail("reply_mismatch", "reads_as_tool", row, f"re-parse: {parse['intent']}")
        if self.answers is None:  # older projects: one reply list per negative grammar, no keys
            templates = self.replies.get("negative", {}).get(negative, {}).get("reply", [])
            if not templates:
                return self._fail("reply_mismatch", "no_templates", row, f"no [negative.{negative}] reply in replies.toml and no answers.toml")
        else:
            if "reply_key" not in parse:
                return self._fail("reply_mismatch", "parser_without_keys", row, "the parser gives no reply_key")
            if parse.get("negative") != negative:
                return self._fail("reply_mismatch", "other_negative", row, f"re-parse: {parse.get('negative')}")
            key = parse.get("reply_key")
            if not key:
                return self._fail("reply_mismatch", "no_unique_key", row, "re-parse gives no unique reply key")
            templates = self.answers.get(negative, {}).get(key, {}).get("reply", [])
            if not templates:
                return self._fail("reply_mismatch", "no_templates", row, f"answers.toml has no [{negative}.{key}] reply")
        if not match_any(templates, row["reply"], self._offered(row, self._fixed(today))):
            self._fail("reply_mismatch", "text", row, f"reply {row['reply']!r}")

    def _clarify_templates(self, tool: str, params: list[str], ambiguous: bool) -> tuple[list[str], list[str]]:
        """(templates, nouns that must appear) for a clarification; both table layouts are read."""
        table = self.replies.get("clarify", {})
        if ambiguous:
            return list(self.replies.get("clarify_ambiguous", [])) + list(self.replies.get("clarify_span", [])), []

        def entry(p):  # [clarify.<tool>.<param>], else the older [clarify.<param>]
            e = table.get(tool, {}).get(p)
            return e if isinstance(e, dict) and ("ask" in e or "noun" in e) else table.get(p, {})
        default = list(self.replies.get("clarify_default", []))  # a tool without questions of its own
        if len(params) == 1:
            return list(entry(params[0]).get("ask", [])) or default, []
        many = table.get(tool, {}).get("many") or self.replies.get("clarify_many", []) or default
        return list(many), [entry(p).get("noun", "") for p in params]

    def _clarify(self, row, parse, clarify: set[str], ambiguous: bool, today: date) -> None:
        self.out["wrong_clarification"]["checked"] += 1
        tool = self.p.tools.get(row["intent"])
        if parse["intent"] != row["intent"] or tool is None:
            return self._fail("wrong_clarification", "intent", row, f"re-parse: {parse['intent']} ({parse['error']})")
        if set(parse["clarify"]) != clarify:
            return self._fail("wrong_clarification", "params", row, f"re-parse asks for {sorted(parse['clarify'])}, sample for {sorted(clarify)}")
        params = [p for p in tool.properties if p in clarify]
        templates, nouns = self._clarify_templates(row["intent"], params, ambiguous)
        m = match_any(templates, row["reply"], self._fixed(today))
        if not m or any(n not in row["reply"] for n in nouns) or ("surface" in m.groupdict() and m.group("surface") not in row["user"]):
            return self._fail("wrong_clarification", "template", row, f"question {row['reply']!r}")
        named = self._named_dates(row["reply"], today)
        if any(d < today for d in named):
            return self._fail("wrong_clarification", "past_date", row, f"question {row['reply']!r} names a past day")
        for later, earlier in tool.after:
            start = (parse["arguments"] or {}).get(earlier)
            if later in clarify and start and any(d.isoformat() <= start for d in named):
                return self._fail("wrong_clarification", "order", row, f"a {later} option is not after {earlier} {start}")

    def _named_dates(self, text: str, today: date) -> list[date]:
        """Each M月D日 in a reply, read as a past day when it fell within the last month, else as its next
        occurrence: a question naming 10月28日 on 10月29日 offers yesterday; 5月1日 in October means next May."""
        out = []
        for m in self.month_day.finditer(text or ""):
            month, day = int(m.group(1)), int(m.group(2))
            options = []
            for year in (today.year - 1, today.year, today.year + 1):
                try:
                    options.append(date(year, month, day))
                except ValueError:
                    continue
            recent = [d for d in options if timedelta(0) < today - d <= timedelta(days=_RECENT_DAYS)]
            ahead = [d for d in options if d >= today]
            if recent or ahead:
                out.append(recent[0] if recent else ahead[0])
        return out

    def _beyond(self, row, parse, today: date) -> None:
        self.out["beyond_horizon"]["checked"] += 1
        if row["call_name"] is not None:
            return self._fail("beyond_horizon", "has_call", row, f"calls {row['call_name']}")
        if self.forecast:
            days = self.forecast.get(parse["intent"])
            dates = [v for p, v in (parse["arguments"] or {}).items() if self._is_date(parse["intent"], p)]
            if days is None or not any(date.fromisoformat(v) > today + timedelta(days=int(days)) for v in dates):
                return self._fail("beyond_horizon", "not_beyond", row, f"re-parse: {parse['intent']} {parse['arguments']}")
        if not match_any(list(self.replies.get("beyond_horizon", [])), row["reply"], self._fixed(today)):
            self._fail("beyond_horizon", "template", row, f"reply {row['reply']!r}")

    def _is_date(self, tool: str | None, param: str) -> bool:
        t = self.p.tools.get(tool or "")
        return t is not None and t.properties.get(param, {}).get("format") == "date"

    def _call(self, row, parse, today: date) -> None:
        self.out["call_mismatch"]["checked"] += 1
        try:
            gold = json.loads(row["call_args"] or "")
        except json.JSONDecodeError:
            gold = None
        if parse["intent"] != row["call_name"]:
            self._fail("call_mismatch", "intent", row, f"re-parse: {parse['intent']} ({parse['error']})")
        elif parse["arguments"] != gold:
            self._fail("call_mismatch", "arguments", row, f"gold {gold} ≠ re-parse {parse['arguments']}")
        elif parse["clarify"] or parse["error"]:
            self._fail("call_mismatch", "unclear", row, f"re-parse asks for {parse['clarify']} ({parse['error']})")
        elif parse.get("more", []) != [json.loads(a) for a in row["more_args"] or []]:
            self._fail("call_mismatch", "more", row, f"further calls {row['more_args']} ≠ re-parse {parse.get('more')}")
        self.out["collapsed_range"]["checked"] += 1
        if row["more_args"]:
            return  # a period as a call per day: every day is called, none collapsed
        for slot in row["slots"] or []:
            if self._is_date(row["call_name"], slot["param"]) and self._is_span(slot["surface"], row["today"]):
                return self._fail("collapsed_range", row["call_name"] + "." + slot["param"], row, f"{slot['surface']!r} is a span, given as one {slot['param']}")

    @lru_cache(maxsize=65536)
    def _is_span(self, surface: str, today: str) -> bool:
        """A span, or a choice between spans (周末 said on a weekend): either way not one day."""
        r = resolve_expression(surface, date.fromisoformat(today), self.ctx)
        return r.type == "span" or (r.type == "ambiguous" and isinstance(r.value, list) and all(isinstance(o, list) for o in r.value))
