"""The one definition of a valid project: ``callgram lint`` prints these problems, and every command that
loads a project (generate, parse, stats) refuses with all of them, located, before doing anything."""
from __future__ import annotations

import hashlib
import os
import random
import re
from datetime import date
from pathlib import Path

from engine.chart import ChartParser
from engine.errors import CallgramError, ErrorList, did_you_mean, locate
from engine.expand import _INF, Expander
from engine.grammar import rule_line
from engine.paths import ProjectPaths
from engine.project import Project, load_project
from engine.slots import SlotFiller

_RULE_DEF = re.compile(r"^[ \t]*[?!]?([a-z_][a-z0-9_]*)[ \t]*(?:\.-?\d+)?[ \t]*:", re.M)
_LINT_TODAY = date(2024, 1, 10)  # any day works: date lexicon entries must be readable on it
_OVERLAP_SAMPLES = 80  # sentences drawn per tool intent to find another intent's grammar reading them too
_OVERLAP_SAMPLES_NEGATIVE = 20  # ...and per negative domain (dozens of them), besides
_OVERLAP_PER_RULE = 3  # ...this many of each of its reply-keyed rules


def load_checked(root: Path | str = ".") -> Project:
    """The project at ``root``, refused (every problem, located) wherever ``callgram lint`` would fail.

    A process that loads the same unchanged files again (a library user, the test suite) gets the
    project it already checked: compiling and checking is the slow part of every command.
    """
    key = _fingerprint(root)
    if key in _CHECKED:
        return _CHECKED[key]
    project = load_project(root)
    passed = _passed_marker(project)
    if passed is None or not passed.exists():
        found = check_project(project)
        if found:
            raise ErrorList(found) if len(found) > 1 else found[0]
        _remember(passed)
    _CHECKED.clear()
    _CHECKED[key] = project
    return project


def _passed_marker(project: Project) -> Path | None:
    """Where a clean verdict on exactly these inputs, checked by exactly this engine, is remembered
    (the user's cache folder): the same files and code give the same verdict, so a later command skips
    the slow checks. Any change to an input or to the engine is another marker."""
    h = hashlib.sha256()
    engine_dir = Path(__file__).resolve().parent
    for path in [*project.paths.input_files(), *sorted(engine_dir.rglob("*.py"))]:
        h.update(str(path.name).encode() + b"\0" + path.read_bytes() + b"\0")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "callgram" / "checked" / h.hexdigest()


def _remember(marker: Path | None) -> None:
    if marker is None:
        return
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError:
        pass  # no cache folder to write: the next command checks again


_CHECKED: dict[tuple, Project] = {}


def _fingerprint(root: Path | str) -> tuple:
    paths = ProjectPaths(root=Path(root))
    stamp = []
    for path in paths.input_files():
        st = path.stat()
        stamp.append((str(path), st.st_mtime_ns, st.st_size))
    return (str(paths.root.resolve()), tuple(stamp))


def check(root: Path | str = ".") -> list[CallgramError]:
    """All problems of the project at ``root``; an empty list means it is clean."""
    try:
        project = load_project(root)
    except ErrorList as e:
        return e.errors
    except CallgramError as e:
        return [e]
    found = check_project(project)
    if not found:
        _remember(_passed_marker(project))
    return found


def check_project(project: Project) -> list[CallgramError]:
    """Every problem of a loaded project, sorted by place."""
    problems = (_grammar_problems(project) + _recursion_problems(project) + _turn_problems(project) + _pick_problems(project)
                + _lexicon_problems(project) + _value_problems(project) + _reply_problems(project))
    if not problems:  # sampling needs grammars that expand and parse
        problems += _overlap_problems(project)
    return sorted(problems, key=lambda e: (e.file or "", e.line, e.col))


def _recursion_problems(project: Project) -> list[CallgramError]:
    """Rules no derivation can finish (s: "啊" s), and left recursion through other rules."""
    g, out = project.grammar, []
    expander = Expander.of(g)
    for name, intent in g.intents.items():
        for rule in dict.fromkeys(_RULE_DEF.findall(intent.source)):
            full = name if rule == "start" else f"{name}__{rule}"
            if expander.height.get(full, 0) >= _INF:
                out.append(CallgramError(f"rule {rule!r} never ends: every alternative recurses (add a base case)", intent.file, *rule_line(intent.source, rule)))
    if not out:
        try:
            ChartParser(g, lambda text, pos: {})
        except CallgramError as e:
            out.append(e)
    return out


def _pick_problems(project: Project) -> list[CallgramError]:
    """``x-pick`` names a tool that exists, and arguments each tool has."""
    out = []
    for tool in project.tools.values():
        spec = tool.pick
        if not spec:
            continue
        text = Path(project.paths.root, tool.file).read_text(encoding="utf-8")
        where = (tool.file, *locate(text, '"x-pick"'))
        books = project.tools.get(spec["tool"])
        if books is None:
            out.append(CallgramError(f"x-pick: unknown tool {spec['tool']!r}{did_you_mean(spec['tool'], project.tools)}", *where))
            continue
        for arg in [*spec["item"], *spec.get("args", {})]:
            if arg not in books.properties:
                out.append(CallgramError(f"x-pick: {books.name} has no parameter {arg!r}{did_you_mean(arg, books.properties)}", *where))
        for arg in spec.get("args", {}).values():
            if arg not in tool.properties:
                out.append(CallgramError(f"x-pick: {tool.name} has no parameter {arg!r}{did_you_mean(arg, tool.properties)}", *where))
    return out


def _turn_problems(project: Project) -> list[CallgramError]:
    """The turn grammars (grammars/turns/): every rule reachable and finishing, and a rule named like a tool
    parameter (or asked_*, or <param>_2) exactly one lexicon slot in each alternative, and only such rules."""
    g, out = project.turns, []
    if g is None:
        return out
    lexicon_names = set(project.lexicons.slots)
    expander = Expander.of(g)
    binds = {p for _, p in g.params.values()}
    for name, intent in g.intents.items():
        for rule in dict.fromkeys(_RULE_DEF.findall(intent.source)):
            full = name if rule == "start" else f"turns__{name}__{rule}"
            compiled = g.rules.get(full)
            where = (intent.file, *rule_line(intent.source, rule))
            if compiled is None:
                out.append(CallgramError(f"rule {rule!r} is unreachable from start", *where))
                continue
            if expander.height.get(full, 0) >= _INF:
                out.append(CallgramError(f"rule {rule!r} never ends: every alternative recurses (add a base case)", *where))
            if rule == "start":
                continue
            single_slot = all(len(r.expansion) == 1 and r.expansion[0].name.rsplit("__", 1)[-1] in lexicon_names for r in compiled)
            if full in g.params and not single_slot:
                out.append(CallgramError(f"rule {rule!r} is named like a parameter, so it must be exactly one lexicon terminal in each alternative", *where))
            elif single_slot and full not in g.params:
                out.append(CallgramError(f"rule {rule!r} binds a lexicon slot but no tool has a parameter {rule!r}{did_you_mean(rule, binds)}", *where))
    return out


def _value_problems(project: Project) -> list[CallgramError]:
    """Literal lexicon values a tool parameter bound to them cannot take (outside its enum or pattern)."""
    g, out, seen = project.grammar, [], set()
    for rule, (intent, param) in g.params.items():
        schema = project.tools[intent].bindable.get(param, {})
        if "enum" not in schema and "pattern" not in schema:
            continue
        for r in g.rules.get(rule, []):
            lex = project.lexicons.get(g.slots[r.expansion[0].name]) if r.expansion[0].name in g.slots else None
            if lex is None or lex.resolver != "literal":
                continue
            for e in lex.entries:
                value = e.value or e.surface
                bad = ("enum" in schema and value not in schema["enum"]) or ("pattern" in schema and not re.search(schema["pattern"], value))
                if bad and (lex.name, e.line, param) not in seen:
                    seen.add((lex.name, e.line, param))
                    allowed = f"one of {schema['enum']}" if "enum" in schema else f"matching {schema['pattern']}"
                    out.append(CallgramError(f"value {value!r} is not a valid {intent}.{param} ({allowed})", lex.file, e.line, len(e.surface) + 2))
    return out


def _overlap_problems(project: Project) -> list[CallgramError]:
    """A tool's requests that another grammar also reads (a negative one included), found by drawing
    sentences of each intent and parsing them with every grammar; reported with an example."""
    from engine.verify import Verifier

    g = project.grammar
    expander, verifier = Expander.of(g), Verifier(g)
    seen: dict[tuple[str, str], str] = {}
    for name in g.intents:
        # Each intent's sentences from its own stream, and the slot values from another: which sentences are
        # drawn does not shift when another grammar or a lexicon grows.
        rng, vrng = random.Random(f"overlap:{name}"), random.Random(f"overlap-values:{name}")
        sets = expander.bindable_sets(name)
        # A negative domain: some sentences of the whole grammar, and a few of each reply-keyed rule, so that
        # every kind of request it holds is tried (a rare rule, 准点吗, is where a new tool overlaps).
        starts = [None] * (_OVERLAP_SAMPLES if name in project.tools else _OVERLAP_SAMPLES_NEGATIVE)
        starts += [rule for rule, (owner, _) in sorted(g.reply_keys.items()) if owner == name and name not in project.tools
                   for _ in range(_OVERLAP_PER_RULE)]
        for start in starts:
            options = [s for s in sets if start is None or expander.mask(name, s) in expander.masks[start]]
            if not options:
                continue
            d = expander.expand(name, rng, rng.choice(options), start)
            values = [vrng.choice([e for e in project.lexicons.get(c.terminal).entries if e.weight > 0]).surface for c in d.chunks if c.terminal]
            text, readings = verifier.readings_of(d.chunks, values)
            for r in readings:
                tool_involved = name in project.tools or r.intent in project.tools
                if r.intent != name and tool_involved:
                    seen.setdefault((r.intent, name), text)
    out = []
    for (reader, writer), text in sorted(seen.items()):
        intent = g.intents[reader]
        out.append(CallgramError(f"also reads {writer} requests, e.g. {text!r}: narrow one grammar or the other", intent.file, 1, 1))
    return out


def _grammar_problems(project: Project) -> list[CallgramError]:
    g = project.grammar
    lexicon_names = set(project.lexicons.slots)
    expander = Expander.of(g)
    out = []
    for name, intent in g.intents.items():
        defined = _RULE_DEF.findall(intent.source)
        params = intent.tool.bindable if intent.tool else {}
        for rule in defined:
            compiled = g.rules.get(f"{name}__{rule}")
            if rule != "start" and compiled is None:
                out.append(CallgramError(f"rule {rule!r} is unreachable from start", intent.file, *rule_line(intent.source, rule)))
                continue
            if compiled is None or rule == "start":
                continue
            single_slot = all(len(r.expansion) == 1 and r.expansion[0].name.rsplit("__", 1)[-1] in lexicon_names for r in compiled)
            if rule in params and not single_slot:
                out.append(CallgramError(f"parameter rule {rule!r} must be exactly one lexicon terminal in each alternative", intent.file, *rule_line(intent.source, rule)))
            elif single_slot and rule not in params and intent.tool is not None:
                out.append(CallgramError(f"rule {rule!r} binds a lexicon slot but {name} has no parameter {rule!r}{did_you_mean(rule, params)}", intent.file, *rule_line(intent.source, rule)))
        if intent.tool is not None:
            bindable = 0
            for m in expander.masks[name]:
                bindable |= m
            text = Path(project.paths.root, intent.tool.file).read_text(encoding="utf-8")
            from engine.derive import provides

            names = [n for n, bit in expander.bits[name].items() if bindable & bit]
            filled, _ = provides(intent.tool, names)
            for p in intent.tool.required:
                if p not in filled:
                    out.append(CallgramError(f"required parameter {p!r} cannot be bound by any rule of {intent.file}", intent.tool.file, *locate(text, f'"{p}"', text.find('"required"'))))
    for tool in project.tools:
        if tool not in g.intents:
            out.append(CallgramError(f"tool {tool!r} has no grammar (expected grammars/{tool}.lark)", project.tools[tool].file, 1, 1))
    return out


def _lexicon_problems(project: Project) -> list[CallgramError]:
    filler = SlotFiller(project.lexicons, [])
    out = []
    for lex in project.lexicons.slots.values():
        canonical = {e.value for e in lex.entries if e.value == e.surface}
        for e in lex.entries:
            if lex.resolver == "city" and not e.value:
                out.append(CallgramError(f"city {e.surface!r} has no canonical value", lex.file, e.line, 1))
                continue
            if lex.resolver == "city" and not set(e.value.split("|")) <= canonical:  # a missing column shifts the tags into it
                out.append(CallgramError(f"city {e.surface!r}: value {e.value!r} is no city of this lexicon (no line {e.value}\t{e.value})", lex.file, e.line, len(e.surface) + 2))
                continue
            if lex.resolver not in ("date", "count"):
                continue
            r = filler.resolve(lex.name, e.surface, _LINT_TODAY, None)
            if r.type == "unknown":
                out.append(CallgramError(f"the {lex.resolver} resolver cannot read {e.surface!r}", lex.file, e.line, 1))
            elif lex.resolver == "count" and e.value is not None and str(r.value) != e.value:
                out.append(CallgramError(f"{e.surface!r} resolves to {r.value}, but the value column says {e.value}", lex.file, e.line, len(e.surface) + 2))
    return out


def _reply_problems(project: Project) -> list[CallgramError]:
    lex = project.paths.lexicons
    replies, answers = project.lexicons.table("replies"), project.lexicons.data.get("answers", {})
    shown, shown_answers = project.paths.rel(lex / "replies.toml"), project.paths.rel(lex / "answers.toml")
    out = []
    keyed = {}
    for nt, (intent, key) in project.grammar.reply_keys.items():
        keyed.setdefault(intent, set()).add(key)
    for name in project.grammar.negative_intents():
        if not keyed.get(name):
            out.append(CallgramError(f"negative intent {name!r} has no reply: name its rules in [{name}.<rule>] tables", shown_answers, 1, 1))
        for key, entry in answers.get(name, {}).items():
            if isinstance(entry, dict) and key not in keyed.get(name, set()):
                out.append(CallgramError(f"[{name}.{key}]: {project.grammar.intents[name].file} has no rule {key!r}", shown_answers, 1, 1))
            elif isinstance(entry, dict) and not entry.get("reply"):
                out.append(CallgramError(f"[{name}.{key}] has no reply list", shown_answers, 1, 1))
    for key in ("system", "assistant", "group_sep", "clarify_default", "noun_separators", "clarify_ambiguous", "clarify_span", "beyond_horizon"):
        if not replies.get(key):
            out.append(CallgramError(f"missing {key} = [...]", shown, 1, 1))
    return out
