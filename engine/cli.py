"""The ``callgram`` command: generate, parse, lint. User mistakes print one located line and exit 2."""
from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

from engine.errors import CallgramError


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except CallgramError as e:
        print(str(e), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="callgram", description="Verified function-calling data from grammars, no LLM in the loop.")
    ap.add_argument("--root", default=".", help="project folder holding grammars/, lexicons/, tools/ (default: .)")
    sub = ap.add_subparsers(required=True, metavar="COMMAND")

    g = sub.add_parser("generate", help="write samples.jsonl and manifest.json")
    g.add_argument("--n", type=int, help="number of samples (default 2000)")
    g.add_argument("--seed", type=int, help="random seed (default 0)")
    g.add_argument("--mix", help="positive,hard,negative shares, e.g. 0.6,0.3,0.1")
    g.add_argument("--config", type=Path, help="TOML config file; flags override it")
    g.add_argument("--today", help="fix every sample's reference date (YYYY-MM-DD) instead of drawing it")
    g.add_argument("--out", type=Path, default=Path("output"), help="output folder (default output/)")
    g.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    g.add_argument("--shard", default="0/1", help="K/N: only sample indices ≡ K (mod N)")
    g.set_defaults(run=_generate)

    p = sub.add_parser("parse", help="read utterances with the grammars: intent and gold call")
    p.add_argument("text", nargs="?", help="the utterance; without it, one utterance a line from stdin")
    p.add_argument("--today", help="reference date (default: the system date)")
    p.add_argument("--json", action="store_true", help="one JSON object a line")
    p.set_defaults(run=_parse)

    r = sub.add_parser("resolve", help="what a date, time, number or city expression means on a given day")
    r.add_argument("text", nargs="?", help="the expression; without it, one expression a line from stdin")
    r.add_argument("--today", help="reference date (default: the system date)")
    r.add_argument("--json", action="store_true", help="one JSON object a line (RESOLVER_RULES.md format)")
    r.set_defaults(run=_resolve)

    st = sub.add_parser("stats", help="audit a samples.jsonl (or a folder of *.jsonl shards): mix, distinctness, values, checks")
    st.add_argument("file", type=Path, help="samples.jsonl, or a folder of *.jsonl shards")
    st.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    st.add_argument("--workers", type=int, default=1, help="processes for re-parsing user turns (default 1)")
    st.add_argument("--no-reparse", action="store_true", help="skip the checks that re-parse user turns")
    st.add_argument("--strict", action="store_true", help="exit 1 when any check fails")
    st.set_defaults(run=_stats)

    lint = sub.add_parser("lint", help="check grammars, lexicons and tools; exit 1 on problems")
    lint.set_defaults(run=_lint)
    return ap


def _date(text: str | None, flag: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CallgramError(f"{flag}: expected a date like 2023-10-29, got {text!r}") from None


def _generate(args) -> int:
    from engine.config import Mix, load_config, project_defaults
    from engine.pipeline import generate
    from engine.project import load_project

    overrides = {"n": args.n, "seed": args.seed, "today": _date(args.today, "--today")}
    if args.mix is not None:
        overrides["mix"] = Mix.parse(args.mix).model_dump()
    config = load_config(args.config, overrides, project_defaults(args.root))
    shard = _shard(args.shard)
    if args.workers < 1:
        raise CallgramError(f"--workers: must be at least 1, got {args.workers}")
    project = load_project(args.root)
    start = time.perf_counter()
    report = generate(project, config, args.out, workers=args.workers, shard=shard, progress=True)
    took = time.perf_counter() - start
    drops = ", ".join(f"{k} {v}" for k, v in report.drops.items()) or "none"
    print(f"wrote {report.written} samples to {args.out / 'samples.jsonl'} in {took:.1f}s "
          f"({report.written / max(took, 1e-9):.0f}/s); dropped attempts: {drops}; indices lost: {report.lost}", file=sys.stderr)
    return 0


def _shard(text: str):
    from engine.pipeline import Shard

    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise CallgramError(f"--shard: expected K/N such as 0/2, got {text!r}") from None
    if not 0 <= k < n:
        raise CallgramError(f"--shard: need 0 <= K < N, got {text!r}")
    return Shard(index=k, count=n)


def _parse(args) -> int:
    from engine.parse import UtteranceParser
    from engine.project import load_project

    today = _date(args.today, "--today") or date.today()
    parser = UtteranceParser(load_project(args.root))
    lines = [args.text] if args.text is not None else (line.rstrip("\n") for line in sys.stdin)
    for line in lines:
        result = parser.parse(line, today)
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
        else:
            print(_human(result))
        sys.stdout.flush()
    return 0


def _human(r: dict) -> str:
    if r["intent"] is None:
        return f"{r['text']}\n  no call" + (f" ({r['error']})" if r["error"] else "")
    out = f"{r['text']}\n  {r['intent']} {json.dumps(r['arguments'], ensure_ascii=False)}"
    if r["clarify"]:
        out += f"\n  clarify: {', '.join(r['clarify'])}"
    if r["error"]:
        out += f"\n  error: {r['error']}"
    return out


def _resolve(args) -> int:
    from engine.lexicon import load_lexicons
    from engine.paths import ProjectPaths
    from engine.resolve.expression import ResolveContext, resolve_expression

    today = _date(args.today, "--today") or date.today()
    paths = ProjectPaths(root=Path(args.root))
    ctx = ResolveContext.from_lexicons(load_lexicons(paths.lexicons, paths.rel))
    lines = [args.text] if args.text is not None else (line.rstrip("\n") for line in sys.stdin)
    out = sys.stdout
    for line in lines:
        r = resolve_expression(line, today, ctx)
        if args.json:
            out.write(json.dumps(r.as_json(line), ensure_ascii=False) + "\n")
        else:
            flags = f"  [{', '.join(r.flags)}]" if r.flags else ""
            out.write(f"{line}\t{r.type}\t{json.dumps(r.value, ensure_ascii=False)}{flags}\t# {r.rule}\n")
    return 0


def _stats(args) -> int:
    from engine.stats import build_report, failures

    if args.workers < 1:
        raise CallgramError(f"--workers: must be at least 1, got {args.workers}")
    report = build_report(args.file, Path(args.root), workers=args.workers, reparse=not args.no_reparse)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, default=str))
    else:
        from rich.console import Console

        from engine.stats_render import render

        render(report, Console(highlight=False))
    return 1 if args.strict and failures(report) else 0


def _lint(args) -> int:
    from engine.lint import lint

    problems = lint(args.root)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 1
    print("lint: no problems", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
