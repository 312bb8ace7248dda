"""Load grammars: one ``grammars/<intent>.lark`` per intent, lexicon slots served as ``%import lexicon.NAME``.

All intents are also compiled into one combined Earley parser, so a single parse of an utterance yields
every reading under every intent: the basis of verification and of ``callgram parse``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lark import Lark
from lark.exceptions import LarkError, UnexpectedInput
from lark.lexer import PatternStr

from engine.errors import CallgramError, ErrorList, did_you_mean
from engine.lexicon import Lexicons
from engine.tools import Tool
from engine.paths import read_text

_LEXICON_IMPORT = re.compile(r"^\s*%import\s+lexicon\s*(?:\.\s*(\w+)|\(([^)]*)\))", re.M)
_LEXICON_IMPORT_BODY = re.compile(r"%import\s+lexicon\s*(?:\.\s*(\w+)|\(([^)]*)\))")
_LOCATION = re.compile(r"line (\d+)(?:,? col(?:umn)? (\d+))?", re.I)
_NAMED_RULE = re.compile(r"<(\w+) :")
_QUOTED_NAME = re.compile(r"'(\w+)' used but not defined")
_PARSER_OPTIONS = dict(parser="earley", lexer="dynamic", ambiguity="forest")


@dataclass
class Intent:
    """One grammar file: a tool intent (``tool`` set) or a negative intent (no tool)."""

    name: str
    file: str
    source: str
    tool: Tool | None = None


@dataclass
class Grammar:
    """Every intent of a project compiled into one parser, plus the tables the expander walks."""

    intents: dict[str, Intent]
    lexicons: Lexicons
    parser: Lark
    rules: dict[str, list] = field(default_factory=dict)  # nonterminal -> compiled lark Rules
    literals: dict[str, str] = field(default_factory=dict)  # terminal -> its fixed text
    slots: dict[str, str] = field(default_factory=dict)  # terminal -> lexicon name
    params: dict[str, tuple[str, str]] = field(default_factory=dict)  # nonterminal -> (intent, parameter)
    reply_keys: dict[str, tuple[str, str]] = field(default_factory=dict)  # nonterminal -> (negative intent, key)

    def tool_intents(self) -> list[str]:
        return [n for n, i in self.intents.items() if i.tool is not None]

    def negative_intents(self) -> list[str]:
        return [n for n, i in self.intents.items() if i.tool is None]


class _Compiled(Lark):
    """Lark with its Earley frontend built on first ``parse``: verification runs engine/chart.py over the
    compiled rules and terminals, and only the reference tests parse with Lark itself, while building
    the frontend was half the time of loading a project."""

    def _build_parser(self):
        return None

    def parse(self, text, start=None, on_error=None):
        if self.parser is None:
            self.parser = Lark._build_parser(self)
        return super().parse(text, start, on_error)


def lexicon_loader(lexicons: Lexicons, folder: Path | None = None):
    """A Lark import loader serving lexicon slots from the lexicon files, never from disk.

    Each grammar is served with its ``%import lexicon (CITY, DATE)`` rewritten to a module holding just
    those terminals (``lexicon/CITY__DATE.lark``): Lark parses an imported module once per importing
    file, and the whole lexicon module (thousands of surface forms) for each of dozens of grammars made
    loading ten times slower. Lines are kept, so error locations stay right.
    """

    def load(base_path, grammar_path):
        if grammar_path == "lexicon.lark":  # a grammar file read as written (plain Lark): every slot
            return "lexicon.lark", lexicons.grammar_text()
        parts = Path(grammar_path).parts
        if len(parts) == 2 and parts[0] == "lexicon":
            names = parts[1].removesuffix(".lark").split("__")
            if all(n in lexicons.slots for n in names):
                return grammar_path, "\n".join(lexicons.get(n).lark_definition() for n in names) + "\n"
        path = folder / grammar_path if folder is not None else Path(grammar_path)
        if folder is not None and path.suffix == ".lark" and path.is_file():
            return str(path), narrow_lexicon_imports(read_text(path))
        raise OSError(grammar_path)

    return load


def narrow_lexicon_imports(source: str) -> str:
    """``%import lexicon (A, B)`` → ``%import lexicon.A__B (A, B)``; ``%import lexicon.A`` → ``%import lexicon.A.A``."""

    def one(m: re.Match) -> str:
        if m.group(1):
            return f"%import lexicon.{m.group(1)}.{m.group(1)}"
        names = [n.strip() for n in m.group(2).split(",") if n.strip()]
        return f"%import lexicon.{'__'.join(names)} ({', '.join(names)})"

    return _LEXICON_IMPORT_BODY.sub(one, source)


def load_grammar(folder: Path, lexicons: Lexicons, tools: dict[str, Tool], rel=str) -> Grammar:
    """Discover, check and compile every ``*.lark`` intent in ``folder``."""
    intents: dict[str, Intent] = {}
    import_paths = [lexicon_loader(lexicons, folder)]
    for path in sorted(folder.glob("*.lark")):
        intents[path.stem] = Intent(path.stem, rel(path), read_text(path, rel(path)), tools.get(path.stem))
    if not intents:
        raise CallgramError("no grammars (*.lark) found", rel(folder))
    errors: list[CallgramError] = []
    for intent in intents.values():
        try:
            check_lexicon_imports(intent, lexicons)
        except CallgramError as e:
            errors.append(e)
            intent.source = ""  # already reported: do not compile it again below
    combined = "start: " + " | ".join(intents) + "\n" + "".join(f"%import {n}.start -> {n}\n" for n in intents)
    parser = None
    if not errors:
        try:
            parser = _Compiled(combined, import_paths=import_paths, **_PARSER_OPTIONS)
        except (LarkError, OSError):
            pass  # compile each file alone below, to say which one is wrong and where
    if parser is None:
        for intent in intents.values():
            if not intent.source:
                continue
            try:
                Lark(narrow_lexicon_imports(intent.source), import_paths=import_paths, source_path=intent.file, **_PARSER_OPTIONS)
            except (LarkError, OSError) as e:
                errors.append(lark_error(e, intent.file, intent.source))
        if not errors:  # pragma: no cover - each file compiles alone but not together
            errors.append(CallgramError("grammars compile alone but not together", rel(folder)))
        raise errors[0] if len(errors) == 1 else ErrorList(errors)
    grammar = Grammar(intents=intents, lexicons=lexicons, parser=parser)
    _index(grammar)
    return grammar


def check_lexicon_imports(intent: Intent, lexicons: Lexicons) -> None:
    """Every ``%import lexicon.NAME`` names a lexicon file; located error with a suggestion if not."""
    for m in _LEXICON_IMPORT.finditer(intent.source):
        names = [m.group(1)] if m.group(1) else [n.strip() for n in m.group(2).split(",") if n.strip()]
        for name in names:
            if name not in lexicons.slots:
                pos = intent.source.find(name, m.start())
                line = intent.source.count("\n", 0, pos) + 1
                col = pos - intent.source.rfind("\n", 0, pos)
                hint = did_you_mean(name, lexicons.slots) or f" (lexicons: {', '.join(sorted(lexicons.slots))})"
                raise CallgramError(f"unknown lexicon {name}{hint}", intent.file, line, col)


def lark_error(e: Exception, file: str, source: str = "") -> CallgramError:
    """A Lark exception as one located line (a rule it names is located in ``source``)."""
    if isinstance(e, UnexpectedInput):
        msg = str(e).strip().splitlines()[0]
        return CallgramError(f"malformed grammar: {msg}", file, e.line, e.column)
    msg = " ".join(str(e).split())
    m = _LOCATION.search(msg)
    line, col = (int(m.group(1)), int(m.group(2) or 1)) if m else (0, 0)
    named = _NAMED_RULE.search(msg)
    quoted = _QUOTED_NAME.search(msg)
    if not line and named and source:
        line, col = rule_line(source, named.group(1))
    elif not line and quoted and source:
        m = re.search(rf"^(?![ \t]*//).*?\b({re.escape(quoted.group(1))})\b", source, re.M)
        if m:
            line = source.count("\n", 0, m.start(1)) + 1
            col = m.start(1) - source.rfind("\n", 0, m.start(1))
    if isinstance(e, OSError):
        msg = f"cannot import {e.args[0] if e.args else e}"
    return CallgramError(f"malformed grammar: {msg}", file, line, col)


def _index(g: Grammar) -> None:
    for rule in g.parser.rules:
        g.rules.setdefault(rule.origin.name, []).append(rule)
    placeholders = {lex.placeholder: lex.name for lex in g.lexicons.slots.values()}
    for term in g.parser.terminals:
        if isinstance(term.pattern, PatternStr) and not term.pattern.flags:
            g.literals[term.name] = term.pattern.value
        else:
            src = term.pattern.value
            owner = next((n for p, n in placeholders.items() if p in src), None)
            if owner is not None and base_name(term.name) == owner:
                g.slots[term.name] = owner
    answers = g.lexicons.data.get("answers", {})
    for name, intent in g.intents.items():
        if intent.tool is None:
            # A negative's reply is chosen by the rule that derived the request ([<intent>.<rule>] in answers.toml).
            for key, entry in answers.get(name, {}).items():
                if isinstance(entry, dict) and f"{name}__{key}" in g.rules:
                    g.reply_keys[f"{name}__{key}"] = (name, key)
            continue
        for param in intent.tool.bindable:
            if f"{name}__{param}" in g.rules:
                g.params[f"{name}__{param}"] = (name, param)


def base_name(symbol: str) -> str:
    """``search_flights__CITY`` → ``CITY``: the name as written in its own grammar file."""
    return symbol.rsplit("__", 1)[-1]


def rule_line(source: str, name: str) -> tuple[int, int]:
    """Where rule ``name`` is defined in a grammar source, 1-based; (1, 1) if not found."""
    m = re.search(rf"^[ \t]*[?!]?{re.escape(name)}[ \t]*(?:\.-?\d+)?[ \t]*:", source, re.M)
    if not m:
        return 1, 1
    line = source.count("\n", 0, m.start()) + 1
    return line, m.start() - source.rfind("\n", 0, m.start()) + (len(m.group(0)) - len(m.group(0).lstrip()))


__all__ = ["Grammar", "Intent", "load_grammar", "base_name", "rule_line"]
