"""The ``callgram`` command: generate, parse, lint. User mistakes print one located line and exit 2."""
from __future__ import annotations

import argparse
import itertools
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
    except KeyboardInterrupt as e:
        code = getattr(e, "exit_code", 130)
        if str(e).startswith("interrupted"):
            print(str(e), file=sys.stderr)
        return code
    except BrokenPipeError:
        return 0
    except OSError as e:  # the disk filled up, a file vanished, a folder became unwritable while running
        where = f"{e.filename}: " if e.filename else ""
        print(f"{where}{e.strerror or e}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="callgram", description="Verified function-calling data from grammars, no LLM in the loop.")
    ap.add_argument("--root", default=".", help="project folder holding grammars/, lexicons/, tools/ (default: .)")
    ap.add_argument("--version", action="version", version=f"callgram {_version()}")
    sub = ap.add_subparsers(required=True, metavar="COMMAND")

    g = sub.add_parser("generate", help="write samples.jsonl and manifest.json", epilog=_generate_epilog(),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    g.add_argument("--n", type=int, help="number of samples (default 2000)")
    g.add_argument("--seed", type=int, help="random seed (default 0)")
    g.add_argument("--mix", help="positive,hard,negative shares, e.g. 0.6,0.3,0.1")
    g.add_argument("--config", type=Path, help="TOML config file; flags override it")
    g.add_argument("--today", help="fix every sample's reference date (YYYY-MM-DD) instead of drawing it")
    g.add_argument("--out", type=Path, default=Path("output"), help="output folder (default output/)")
    g.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    g.add_argument("--shard", default="0/1", help="K/N: only sample indices ≡ K (mod N)")
    g.add_argument("--dropped", type=Path, metavar="FILE",
                   help="also write every dropped attempt (JSON lines: reason, user text, wanted and rival reading)")
    g.set_defaults(run=_generate)

    p = sub.add_parser("parse", help="read utterances with the grammars: intent and gold call")
    p.add_argument("text", nargs="?", help="the utterance; without it, one utterance a line from stdin")
    p.add_argument("--today", help="reference date (default: the system date)")
    p.add_argument("--json", action="store_true", help="one JSON object a line")
    p.add_argument("--max-chars", type=int, default=_MAX_CHARS, help=f"longest line read; longer ones get an error object (default {_MAX_CHARS})")
    p.set_defaults(run=_parse)

    r = sub.add_parser("resolve", help="what a date, time, number or city expression means on a given day")
    r.add_argument("text", nargs="?", help="the expression; without it, one expression a line from stdin")
    r.add_argument("--today", help="reference date (default: the system date)")
    r.add_argument("--json", action="store_true", help="one JSON object a line (RESOLVER_RULES.md format)")
    r.add_argument("--max-chars", type=int, default=_MAX_CHARS, help=f"longest line read; longer ones get an error object (default {_MAX_CHARS})")
    r.set_defaults(run=_resolve)

    st = sub.add_parser("stats", help="audit a samples.jsonl (or a folder of *.jsonl shards): mix, distinctness, values, checks")
    st.add_argument("file", type=Path, help="samples.jsonl, or a folder of *.jsonl shards")
    st.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    st.add_argument("--workers", type=int, default=1, help="processes for re-parsing user turns (default 1)")
    st.add_argument("--no-reparse", action="store_true", help="skip the checks that re-parse user turns")
    st.add_argument("--strict", action="store_true", help="exit 1 when any check fails")
    st.set_defaults(run=_stats)

    cv = sub.add_parser("coverage", help="what of a real log the grammars do not read yet: shares, uncovered patterns, lexicon suggestions")
    cv.add_argument("logs", nargs="+", type=Path, help='log files: one request a line, plain text or JSON with "text" (and an optional "intent" label)')
    cv.add_argument("--today", help="reference date (default: the system date)")
    cv.add_argument("--top", type=int, default=30, help="patterns and suggested words shown (default 30)")
    cv.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    cv.add_argument("--max-chars", type=int, default=_MAX_CHARS, help=f"longest request read; longer ones are counted, not parsed (default {_MAX_CHARS})")
    cv.set_defaults(run=_coverage)

    lint = sub.add_parser("lint", help="check grammars, lexicons and tools; exit 2 on problems, as every command refuses bad input")
    lint.set_defaults(run=_lint)

    new = sub.add_parser("new", help="scaffold a tool's grammar, lexicons and questions from its schema (tools/<name>.json)")
    new.add_argument("tool", type=Path, help="the tool's JSON schema, e.g. tools/track_order.json (copied into tools/ if elsewhere)")
    new.set_defaults(run=_new)
    return ap


def _date(text: str | None, flag: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CallgramError(f"{flag}: expected a date like 2023-10-29, got {text!r}") from None


def _generate(args) -> int:
    from engine.pipeline import signals_raise

    with signals_raise():  # SIGINT/SIGTERM: one line, no temp file, previous output intact, exit 130/143
        try:
            return _generate_run(args)
        except KeyboardInterrupt as e:
            if hasattr(e, "exit_code"):
                raise
            e.exit_code = 128 + getattr(e, "signum", 2)
            e.args = (f"interrupted before writing began; {args.out}/ unchanged",)
            raise


def _generate_run(args) -> int:
    from engine.config import Mix, check_against_project, load_config, project_defaults
    from engine.pipeline import check_output, generate
    from engine.checks import load_checked as load_project  # refused wherever lint would fail

    overrides = {"n": args.n, "seed": args.seed, "today": _date(args.today, "--today")}
    if args.mix is not None:
        overrides["mix"] = Mix.parse(args.mix).model_dump()
    config = load_config(args.config, overrides, project_defaults(args.root))
    shard = _shard(args.shard)
    if args.workers < 1:
        raise CallgramError(f"--workers: must be at least 1, got {args.workers}")
    check_output(args.out, len(shard.indices(config.n)))  # before the slow load
    if args.dropped is not None:
        if args.dropped.is_dir():
            raise CallgramError("--dropped: a folder; give a file name", args.dropped)
        check_output(args.dropped.parent, 0)
    project = load_project(args.root)
    check_against_project(config, project, args.config)
    start = time.perf_counter()
    report = generate(project, config, args.out, workers=args.workers, shard=shard, progress=True, dropped=args.dropped)
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
    from engine.parse import UtteranceParser, blank
    from engine.checks import load_checked as load_project  # refused wherever lint would fail

    from engine.config import project_config

    today = _date(args.today, "--today") or date.today()
    cap = _cap(args.max_chars)
    parser = UtteranceParser(load_project(args.root), project_config(args.root).profile_fill)
    # A line may be a whole conversation as JSON (up to _TURNS turns of --max-chars each).
    for lineno, line, length in _lines(args.text, cap * _TURNS):
        if line is not None and not line.lstrip().startswith("{") and len(line) > cap:
            line, length = None, (line[:_HEAD], len(line))
        if line is None:
            error = f"line {lineno}: {length[1]} characters, over the cap of {cap}"
            result = blank(_head(length), error)
        elif line.lstrip().startswith("{"):
            result = _conversation(parser, line, lineno, today, cap)
        else:
            result = parser.parse(line, today)
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
        else:
            print(_human(result))
        sys.stdout.flush()
    return 0


_TURNS = 40  # the most turns a conversation line of `parse` may hold


def _conversation(parser, line: str, lineno: int, today: date, cap: int) -> dict:
    """One JSON conversation line: its last user turn read in context (its own "today" wins over --today)."""
    from engine.parse import blank

    try:
        conv = json.loads(line)
        when = date.fromisoformat(conv["today"]) if isinstance(conv, dict) and conv.get("today") else today
    except (ValueError, TypeError) as e:
        return {**blank(None, f"line {lineno}: not a conversation: {e}"), "turn": None}
    if not isinstance(conv, dict):
        return {**blank(None, f"line {lineno}: not a conversation object"), "turn": None}
    return parser.parse_conversation(conv, when, cap)


# The longest utterance or expression parse/resolve read (--max-chars): a longer line gets an error
# object instead of a parse, and is skipped without being held in memory.
_MAX_CHARS = 500
_HEAD = 50  # characters of an over-long line shown in its error object
_READ = 1 << 16  # characters read at a time while skipping an over-long line


def _cap(value: int) -> int:
    if value < 1:
        raise CallgramError(f"--max-chars: must be at least 1, got {value}")
    return value


def _head(length: tuple[str, int]) -> str:
    return length[0][:_HEAD] + "…"


def _lines(text: str | None, cap: int):
    """(line number, line or None when over ``cap``, (head, length)) for the argument or each stdin line.
    Stdin is read in bounded pieces: an over-long line is counted and skipped, never held whole."""
    if text is not None:
        yield (1, text, None) if len(text) <= cap else (1, None, (text[:_HEAD], len(text)))
        return
    stdin = sys.stdin
    if hasattr(stdin, "reconfigure"):
        stdin.reconfigure(errors="replace")  # bytes that are no UTF-8 become U+FFFD, not a traceback
    for lineno in itertools.count(1):
        line = stdin.readline(cap + 2)
        if not line:
            return
        if lineno == 1:
            line = line.removeprefix("\ufeff")
        if line.endswith("\n") or len(line) <= cap:
            body = line.removesuffix("\n")
            if len(body) <= cap:
                yield lineno, body, None
                continue
            yield lineno, None, (body[:_HEAD], len(body))
            continue
        head, length = line[:_HEAD], len(line)
        while True:
            part = stdin.readline(_READ)
            if not part:
                break
            if part.endswith("\n"):
                length += len(part) - 1
                break
            length += len(part)
        yield lineno, None, (head, length)


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
    cap = _cap(args.max_chars)
    ctx = ResolveContext.from_lexicons(load_lexicons(paths.lexicons, paths.rel))
    out = sys.stdout
    for lineno, line, length in _lines(args.text, cap):
        if line is None:
            error = f"line {lineno}: {length[1]} characters, over the cap of {cap}"
            if args.json:
                out.write(json.dumps({"text": _head(length), "type": None, "value": None, "flags": [], "error": error}, ensure_ascii=False) + "\n")
            else:
                out.write(f"{_head(length)}\terror\tnull\t# {error}\n")
            continue
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


def _coverage(args) -> int:
    from engine.checks import load_checked as load_project  # refused wherever lint would fail
    from engine.config import project_config
    from engine.coverage import build_report, read_logs

    today = _date(args.today, "--today") or date.today()
    if args.top < 1:
        raise CallgramError(f"--top: must be at least 1, got {args.top}")
    lines = read_logs(args.logs, _cap(args.max_chars))  # bad input is refused before the slow load
    report = build_report(load_project(args.root), lines, today, args.top, project_config(args.root).profile_fill)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        from rich.console import Console

        from engine.coverage_render import render

        render(report, Console(highlight=False))
    return 0


def _new(args) -> int:
    from engine.paths import ProjectPaths
    from engine.scaffold import scaffold

    paths = ProjectPaths(root=Path(args.root))
    notes: list[str] = []
    for path in scaffold(paths.root, args.tool, notes):
        print(f"{'appended to' if path.name == 'replies.toml' else 'wrote'} {paths.rel(path)}")
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"next: callgram lint, then grow the phrasing in grammars/{args.tool.stem}.lark (README: Writing grammars)", file=sys.stderr)
    return 0


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("callgram")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree that was never installed
        return "unknown"


def _generate_epilog() -> str:
    import textwrap

    from engine.config import GenerateConfig

    keys = textwrap.fill(", ".join(GenerateConfig.model_fields), 100, initial_indent="  ", subsequent_indent="  ")
    return ("example:\n  callgram generate --n 20000 --seed 3 --workers 2 --out output/\n\n"
            'config keys (pyproject.toml [tool.callgram], then --config FILE, then flags; README "Config file"):\n' + keys)


def _lint(args) -> int:
    from engine.lint import lint

    problems = lint(args.root)
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem(s)", file=sys.stderr)
        return 2
    print("lint: no problems", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
