"""``callgram new tools/<name>.json``: scaffold a new domain from its tool schema alone.

Writes a starter grammar (``grammars/<name>.lark``), a lexicon for each parameter that needs one
(``lexicons/zh/<lexicon>.tsv``) and the tool's clarification questions (appended to
``lexicons/zh/replies.toml``), so that ``callgram lint`` is clean and ``callgram generate`` writes the
tool's positives and clarifications at once. Everything comes from the schema: each parameter's type,
``enum``, ``pattern``, ``format``, bounds and ``description`` (its noun, cut at the first separator as
engine/replies.py does). No domain knowledge is assumed: the user grows the phrasing afterwards.

Never overwrites a file: an existing grammar is refused, existing lexicons are reused only when
compatible with the parameter, and replies.toml is only appended to.
"""
from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from engine.errors import CallgramError, locate
from engine.lexicon import Lexicon, load_lexicons
from engine.paths import ProjectPaths
from engine.pattern_examples import examples_of, unanchored
from engine.replies import noun_of, task_of
from engine.resolve.numbers import resolve_int
from engine.tools import Tool, load_tool

_RULE_NAME = re.compile(r"[a-z_][a-z0-9_]*")
# Phrases shared by every grammar (grammars/shared/phrases.lark) that the starter uses.
_SHARED = ("opener", "please", "end")
_COUNT = "COUNT"
_DATE = "DATE"


@dataclass
class _Param:
    """How one parameter is bound: its lexicon terminal and, when it needs one, the lexicon file to write."""

    name: str
    schema: dict
    noun: str
    kind: str  # enum, date, count, pattern, free
    lexicon: str = ""  # terminal name
    write: str | None = None  # TSV text of a new lexicon, else None (an existing one is reused)
    note: str | None = None


@dataclass
class _Plan:
    words: dict = field(default_factory=dict)  # lexicons/zh/scaffold.toml
    files: dict[Path, str] = field(default_factory=dict)  # new files and their text
    append: str = ""  # text appended to replies.toml
    notes: list[str] = field(default_factory=list)


def scaffold(root: Path, tool_file: Path, notes: list[str] | None = None) -> list[Path]:
    """Scaffold the domain of ``tool_file`` in the project at ``root``; returns the files written.

    Raises CallgramError (located) if the tool file is invalid or ``grammars/<name>.lark`` exists.
    ``notes``, if given, receives what the user should look at (placeholders, skipped parameters).
    """
    paths = ProjectPaths(root=Path(root))
    tool_file = Path(tool_file)
    if not tool_file.is_file() and not tool_file.is_absolute() and (paths.root / tool_file).is_file():
        tool_file = paths.root / tool_file
    shown = paths.rel(tool_file)
    if not tool_file.is_file():
        raise CallgramError("tool file not found", shown)
    tool = load_tool(tool_file, shown)
    text = tool_file.read_text(encoding="utf-8")
    if not _RULE_NAME.fullmatch(tool.name):
        raise CallgramError(f"tool name {tool.name!r} must be a grammar name (lower case letters, digits, _)", shown, *locate(text, f'"{tool.name}"'))
    grammar_file = paths.grammars / f"{tool.name}.lark"
    if grammar_file.exists():
        raise CallgramError("already exists: `callgram new` never overwrites a file", paths.rel(grammar_file))
    lexicons = load_lexicons(paths.lexicons, paths.rel)
    replies = lexicons.data.get("replies", {})
    separators = replies["noun_separators"]

    plan = _Plan(words=lexicons.table("scaffold"))
    target = paths.tools / f"{tool.name}.json"
    if tool_file.resolve() != target.resolve():
        if target.exists() and target.read_text(encoding="utf-8") != text:
            raise CallgramError(f"{paths.rel(target)} already exists and differs from {shown}", paths.rel(target))
        if not target.exists():
            plan.files[target] = text
    params = _plan_params(tool, text, shown, lexicons, separators, plan)
    task = _task(tool, separators, plan.words)
    if task.note:
        plan.notes.append(task.note)
    plan.files[grammar_file] = _grammar(tool, params, task, plan)
    plan.append = _clarify_text(tool, params, task, replies, plan)
    replies_file = paths.lexicons / "replies.toml"
    if plan.append:
        before = replies_file.read_text(encoding="utf-8") if replies_file.exists() else ""
        if before and not before.endswith("\n"):
            plan.append = "\n" + plan.append
        try:
            tomllib.loads(before + plan.append)
        except tomllib.TOMLDecodeError as e:  # pragma: no cover - guarded by the checks above
            raise CallgramError(f"cannot append clarification tables: {e}", paths.rel(replies_file)) from None

    written = []
    for path, body in plan.files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as f:  # "x": never overwrite, even if one appeared meanwhile
            f.write(body)
        written.append(path)
    if plan.append:
        with replies_file.open("a", encoding="utf-8") as f:
            f.write(plan.append)
        written.append(replies_file)
    if notes is not None:
        notes.extend(plan.notes)
    return written


# -- parameters --------------------------------------------------------------------------------------
def _plan_params(tool: Tool, text: str, shown: str, lexicons, separators, plan: _Plan) -> list[_Param]:
    out = []
    folder = lexicons.folder
    for name, schema in tool.properties.items():
        where = locate(text, f'"{name}"', text.find('"properties"'))
        if not _RULE_NAME.fullmatch(name) or name == "start":
            raise CallgramError(f"parameter {name!r}: a grammar rule named like it binds it, so it must be a rule name (lower case letters, digits, _; not start)", shown, *where)
        p = _Param(name, schema, noun_of(schema, name, separators), _kind(schema))
        if p.kind == "unsupported":
            msg = f"parameter {name!r}: type {schema.get('type')!r} has no lexicon kind (enum, date, integer, string)"
            if name in tool.required:
                raise CallgramError(msg + "; it is required, so no phrasing could bind it", shown, *where)
            plan.notes.append(f"{shown}: {msg}: skipped, the grammar does not bind it")
            continue
        if p.kind == "date":
            if _DATE not in lexicons.slots or lexicons.slots[_DATE].resolver != "date":
                raise CallgramError(f"parameter {name!r} is a date but the project has no DATE lexicon (date.tsv)", shown, *where)
            p.lexicon = _DATE
        elif p.kind == "count" and _count_fits(schema, lexicons.slots.get(_COUNT)):
            p.lexicon = _COUNT
        else:
            for candidate in (name.upper(), f"{tool.name}_{name}".upper()):
                existing = lexicons.slots.get(candidate)
                if existing is None and not (folder / f"{candidate.lower()}.tsv").exists():
                    p.lexicon = candidate
                    p.write = _lexicon_text(tool, p, lexicons, plan)
                    plan.files[folder / f"{candidate.lower()}.tsv"] = p.write
                    break
                if existing is not None and _compatible(existing, p):
                    p.lexicon = candidate
                    break
            else:
                raise CallgramError(f"parameter {name!r}: lexicons {name}.tsv and {tool.name}_{name}.tsv exist but do not fit it (see their resolver and values)", shown, *where)
        out.append(p)
    return out


def _kind(schema: dict) -> str:
    types = schema.get("type")
    if "enum" in schema:
        return "enum"
    if types == "string" and schema.get("format") == "date":
        return "date"
    if types in ("integer", "number"):
        return "count"
    if types == "string":
        return "pattern" if schema.get("pattern") else "free"
    return "unsupported"


def _count_fits(schema: dict, count: Lexicon | None) -> bool:
    """COUNT serves an integer whose bounds lie within COUNT's values (1..10 as shipped)."""
    if count is None or count.resolver != "count":
        return False
    values = sorted({int(e.value) for e in count.entries if e.value and e.value.isdigit()})
    if not values:
        return False
    lo, hi = schema.get("minimum", values[0]), schema.get("maximum", values[-1])
    return values[0] <= lo and hi <= values[-1] and schema.get("type") == "integer"


def _compatible(lex: Lexicon, p: _Param) -> bool:
    """Whether an existing lexicon of the parameter's name can bind it (its values fit the schema)."""
    values = [e.value or e.surface for e in lex.entries]
    if p.kind == "enum":
        return lex.resolver == "literal" and all(v in [str(x) for x in p.schema["enum"]] for v in values)
    if p.kind == "pattern":
        rx = re.compile(p.schema["pattern"])
        return lex.resolver == "literal" and all(rx.search(v) for v in values)
    if p.kind == "count":
        lo, hi = p.schema.get("minimum"), p.schema.get("maximum")
        nums = [int(v) for v in values if v.isdigit()]
        return lex.resolver == "count" and len(nums) == len(values) and all((lo is None or n >= lo) and (hi is None or n <= hi) for n in nums)
    return lex.resolver in ("literal", "city")  # a free string takes any text value


def _lexicon_text(tool: Tool, p: _Param, lexicons, plan: _Plan) -> str:
    head = f"# {tool.name}.{p.name}: {p.noun}. Written by `callgram new` from tools/{tool.name}.json; edit freely.\n"
    rows: list[tuple[str, str, str]] = []
    if p.kind == "enum":
        head = "# resolver: literal\n" + head + "# One line per enum value: value = the tool's enum value; replace or add surface forms people say for it.\n"
        rows = [(str(v), str(v), "enum") for v in p.schema["enum"]]
        if any(not isinstance(v, str) for v in p.schema["enum"]):
            plan.notes.append(f"lexicons/zh/{p.lexicon.lower()}.tsv: enum values that are not strings are read back as strings; the schema will reject them")
    elif p.kind == "count":
        head = "# resolver: count\n" + head + "# Numbers within the schema's bounds; value is checked against the numeral resolver.\n"
        rows = _count_rows(p.schema, lexicons.data.get("numerals", {}))
    elif p.kind == "pattern":
        pattern = p.schema["pattern"]
        body = unanchored(pattern)
        examples = examples_of(pattern, f"{tool.name}/{p.name}") if body is not None else []
        if examples:
            head = f"# resolver: literal\n# pattern: {body}\n" + head + "# Any text matching the pattern is read when parsing; generation draws these examples: add real ones.\n"
            rows = [(e, e, "example") for e in examples]
        else:
            head = "# resolver: literal\n" + head + (
                f"# TODO: no examples could be derived from the pattern {pattern}: replace the placeholder below with real\n"
                f"# values matching it and add a '# pattern: ...' line (without ^ and $) so that any matching text parses.\n")
            one = plan.words["placeholder"].format(noun=p.noun, mark="")
            rows = [(one, one, "placeholder")]
            p.note = f"lexicons/zh/{p.lexicon.lower()}.tsv: could not derive examples from pattern {pattern!r}: one placeholder written, replace it"
            plan.notes.append(p.note)
    else:
        head = "# resolver: literal\n" + head + "# Placeholder surface forms: replace them with real values (value = what the tool receives).\n"
        marks = [plan.words["placeholder"].format(noun=p.noun, mark=m) for m in plan.words["placeholder_marks"]]
        rows = [(m, m, "placeholder") for m in marks]
        plan.notes.append(f"lexicons/zh/{p.lexicon.lower()}.tsv: placeholder values for {p.name!r}: replace them with real ones")
    return head + "surface\tvalue\ttags\tweight\n" + "".join(f"{s}\t{v}\t{t}\t1\n" for s, v, t in rows)


def _count_rows(schema: dict, numerals: dict) -> list[tuple[str, str, str]]:
    lo, hi = int(schema.get("minimum", 1)), int(schema.get("maximum", max(int(schema.get("minimum", 1)), 10)))
    if hi - lo + 1 <= 12:
        values = list(range(lo, hi + 1))
    else:
        values = sorted({lo, hi, *(lo + round(k * (hi - lo) / 9) for k in range(10))})
    rows = [(str(v), str(v), "arabic") for v in values]
    import cn2an

    for v in values:
        if 0 <= v <= 99:
            cn = cn2an.an2cn(v)
            r = resolve_int(cn, numerals)
            if r.type == "int" and r.value == v and cn != str(v):
                rows.append((cn, str(v), "cn_numeral"))
    return rows


# -- grammar -----------------------------------------------------------------------------------------
@dataclass
class _Task:
    verbs: list[str]  # neutral synonyms of the description's leading verb, or [] when none is known
    what: str  # the rest of the task, or the whole of it
    text: str  # as said in a clarification (查询订单的物流状态)
    note: str | None = None


def _task(tool: Tool, separators: list[str], words: dict) -> _Task:
    """What the tool does, from its description up to the first separator: verb + what."""
    text = task_of(tool.description, [*separators, *words["sentence_ends"]], words["task_prefixes"])
    if not text:
        return _Task([], tool.name, tool.name, f"grammars/{tool.name}.lark: the tool has no description to phrase its task: edit rule what")
    verbs = words["verbs"]
    for verb in sorted(verbs, key=len, reverse=True):
        if text.startswith(verb) and len(text) > len(verb):
            return _Task(verbs[verb], text[len(verb):], text)
    return _Task([], text, text, f"grammars/{tool.name}.lark: the description does not start with a verb callgram knows: check rule what ({text!r})")


def _lark_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _grammar(tool: Tool, params: list[_Param], task: _Task, plan: _Plan) -> str:
    names = set(tool.properties)
    taken = set(names) | {"start"}

    def free(base: str) -> str:
        name = base
        while name in taken:
            name += "_phrase"
        taken.add(name)
        return name

    shared = [s for s in _SHARED if s not in names]
    taken |= set(shared)
    verb, what = free("verb"), free("what")
    say = {p.name: free(f"say_{p.name}") for p in params}
    required = [p for p in params if p.name in tool.required]
    optional = [p for p in params if p.name not in tool.required]
    opener = "[opener] " if "opener" in shared else ""
    please = "[please] " if "please" in shared else ""
    end = " [end]" if "end" in shared else ""
    details = "".join(f' ["，" {say[p.name]}]' for p in optional)
    head = f"{opener}{please}{verb + ' ' if task.verbs else ''}{what}"
    alts = []
    # Every combination of required parameters, all of them first: clarifications leave some out.
    for k in range(len(required), -1, -1):
        for combo in combinations(required, k):
            alts.append(head + "".join(f' "，" {say[p.name]}' for p in combo) + details + end)
    skipped = [n for n in tool.properties if n not in {p.name for p in params}]

    lines = [
        f"// {tool.name}: " + ", ".join(f"{p.name} ({'required' if p.name in tool.required else 'optional'}, {p.lexicon})" for p in params) + ".",
        f"// Written by `callgram new tools/{tool.name}.json` from the tool's descriptions: a starter to grow.",
        "// Add alternatives with | to any rule below (README: Writing grammars); each rule named like a",
        "// parameter binds it and stays one lexicon terminal per alternative.",
        "// start has one phrasing per combination of required parameters, so that clarification samples",
        "// can leave any of them out; optional parameters are optional details after them.",
    ]
    if skipped:
        lines.append(f"// Not bound (no lexicon kind for their type): {', '.join(skipped)}.")
    lines += ["", "start: " + "\n     | ".join(alts), ""]
    if task.verbs:
        lines.append(f"{verb}: " + " | ".join(_lark_str(v) for v in task.verbs))
    lines.append(f"{what}: {_lark_str(task.what)}")
    lines.append("")
    for p in params:
        lines.append(f"{say[p.name]}: " + " | ".join(f"{_lark_str(f.format(noun=p.noun))} {p.name}" for f in plan.words["frames"]))
    lines.append("")
    for p in params:
        lines.append(f"{p.name}: {p.lexicon}")
    lines.append("")
    if shared:
        lines.append(f"%import shared.phrases ({', '.join(shared)})")
    lines.append(f"%import lexicon ({', '.join(dict.fromkeys(p.lexicon for p in params))})")
    return "\n".join(lines) + "\n"


# -- clarification questions -------------------------------------------------------------------------
def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(json.dumps(s, ensure_ascii=False) for s in items) + "]"


def _asks(p: _Param, task: _Task, ask: dict) -> list[str]:
    return [q.format(n=p.noun, task=task.text) for q in [ask[p.kind], *ask["more"]]]


def _clarify_text(tool: Tool, params: list[_Param], task: _Task, replies: dict, plan: _Plan) -> str:
    """``[clarify.<tool>]`` and ``[clarify.<tool>.<param>]`` tables for what replies.toml lacks."""
    have = replies.get("clarify", {}).get(tool.name, {})
    required = [p for p in params if p.name in tool.required]
    parts = []
    if required and tool.name not in replies.get("clarify", {}):
        many = [m.replace("{task}", task.text) for m in plan.words["ask"]["many"]]
        parts.append(f"[clarify.{tool.name}]\nmany = {_toml_list(many)}\n")
    elif required and "many" not in have:
        plan.notes.append(f"lexicons/zh/replies.toml: [clarify.{tool.name}] exists without many = [...]: add it there")
    for p in required:
        if p.name in have:
            continue
        parts.append(f"[clarify.{tool.name}.{p.name}]\nnoun = {json.dumps(p.noun, ensure_ascii=False)}\nask = {_toml_list(_asks(p, task, plan.words['ask']))}\n")
    if not parts:
        return ""
    return f"\n# {tool.name}: written by `callgram new tools/{tool.name}.json`; reword freely.\n" + "".join(parts)


__all__ = ["scaffold"]
