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
# ``// lexicon CITY without iata, pinyin``: the grammar neither reads nor writes CITY's forms with those
# tags (airport codes in a train request). A comment, so the file stays plain Lark.
_WITHOUT = re.compile(r"^[ \t]*//[ \t]*lexicon[ \t]+(\w+)[ \t]+without[ \t]+(.*?)[ \t]*$", re.M)
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
    without: dict[str, frozenset[str]] = field(default_factory=dict)  # lexicon -> tags left out (see _WITHOUT)


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

    def left_out(self, terminal: str) -> frozenset[str]:
        """Tags of the lexicon forms slot ``terminal`` does not read (its grammar's ``// lexicon X without``)."""
        intent = self.intents.get(terminal.removeprefix("turns__").split("__", 1)[0])
        return intent.without.get(self.slots[terminal], frozenset()) if intent else frozenset()


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
            wanted = [_module_part(p) for p in parts[1].removesuffix(".lark").split("__")]
            if all(n in lexicons.slots for n, _ in wanted):
                return grammar_path, "\n".join(lexicons.get(n).lark_definition(tags) for n, tags in wanted) + "\n"
        path = folder / grammar_path if folder is not None else Path(grammar_path)
        if folder is not None and path.suffix == ".lark" and path.is_file():
            return str(path), narrow_lexicon_imports(read_text(path))
        raise OSError(grammar_path)

    return load


def narrow_lexicon_imports(source: str) -> str:
    """``%import lexicon (A, B)`` → ``%import lexicon.A__B (A, B)``; ``%import lexicon.A`` → ``%import lexicon.A.A``.

    A lexicon imported ``without`` some tags is served as its own module, ``A_WITHOUT_<hex of the tags>``
    (a Lark module name is all capitals, tags are any text).
    """
    without = without_tags(source)

    def module(name: str) -> str:
        tags = without.get(name)
        return f"{name}_WITHOUT_{','.join(sorted(tags)).encode().hex().upper()}" if tags else name

    def one(m: re.Match) -> str:
        if m.group(1):
            return f"%import lexicon.{module(m.group(1))}.{m.group(1)}"
        names = [n.strip() for n in m.group(2).split(",") if n.strip()]
        return f"%import lexicon.{'__'.join(module(n) for n in names)} ({', '.join(names)})"

    return _LEXICON_IMPORT_BODY.sub(one, source)


def without_tags(source: str) -> dict[str, frozenset[str]]:
    """``{lexicon: tags}`` from a grammar's ``// lexicon NAME without tag, tag`` lines."""
    out: dict[str, frozenset[str]] = {}
    for m in _WITHOUT.finditer(source):
        out[m.group(1)] = out.get(m.group(1), frozenset()) | frozenset(t for t in re.split(r"[,\s，、]+", m.group(2)) if t)
    return out


def _module_part(part: str) -> tuple[str, frozenset[str]]:
    name, _, tags = part.partition("_WITHOUT_")
    return name, frozenset(bytes.fromhex(tags).decode().split(",")) if tags else frozenset()


def load_grammar(folder: Path, lexicons: Lexicons, tools: dict[str, Tool], rel=str, turns: bool = False) -> Grammar | None:
    """Discover, check and compile every ``*.lark`` intent in ``folder``.

    With ``turns``, the follow-up turns of conversations in ``folder/turns/`` instead (None if there are
    none): each file is a kind of turn (an answer, a change), binding any tool's parameter names, and a
    rule named like a tool marks the readings that ask for that tool (see engine/turns.py).
    """
    intents: dict[str, Intent] = {}
    import_paths = [lexicon_loader(lexicons, folder)]
    prefix = "turns." if turns else ""
    for path in sorted((folder / "turns" if turns else folder).glob("*.lark")):
        intents[path.stem] = Intent(path.stem, rel(path), read_text(path, rel(path)), None if turns else tools.get(path.stem))
    if not intents and turns:
        return None
    if not intents:
        raise CallgramError("no grammars (*.lark) found", rel(folder))
    errors: list[CallgramError] = []
    for intent in intents.values():
        try:
            check_lexicon_imports(intent, lexicons)
            intent.without = _checked_without(intent, lexicons)
        except CallgramError as e:
            errors.append(e)
            intent.source = ""  # already reported: do not compile it again below
    combined = "start: " + " | ".join(intents) + "\n" + "".join(f"%import {prefix}{n}.start -> {n}\n" for n in intents)
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
    _index(grammar, turn_binds(tools) if turns else None, tools)
    return grammar


# What a turn grammar may bind besides tool parameters: ``asked``, the parameter the assistant just asked for.
ASKED = "asked"
# ...and ``<param>_2``: the second value of a parameter said twice (北京和上海: city, city_2).
SECOND = "_2"


# ...and ``<param>_plus``: a number added to that argument of the call just made (再加一个人).
PLUS = "_plus"
# ...and ``pick``: one of the results just shown (订第二个), booked with the tool the search's x-pick names.
PICK = "pick"


# ...and ``usual``: 老样子, the tool's x-usual arguments left to the profile.
USUAL = "usual"
# ...and ``companion``: 给我和我老婆订, a companion the profile's frequent passengers must list (passengers).
COMPANION = "companion"


def turn_binds(tools: dict[str, Tool]) -> set[str]:
    return {ASKED, PICK, USUAL, COMPANION} | {name for tool in tools.values() for name in tool.bindable}


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


def _checked_without(intent: Intent, lexicons: Lexicons) -> dict[str, frozenset[str]]:
    """The grammar's ``without`` lines, each naming an imported lexicon, tags it has, and leaving some form."""
    imported = {n.strip() for m in _LEXICON_IMPORT.finditer(intent.source) for n in (m.group(1) or m.group(2)).split(",")}
    without = without_tags(intent.source)
    for m in _WITHOUT.finditer(intent.source):
        line = intent.source.count("\n", 0, m.start(1)) + 1
        col = m.start(1) - intent.source.rfind("\n", 0, m.start(1))
        name = m.group(1)
        if name not in imported:
            raise CallgramError(f"lexicon {name} is not imported here, so nothing of it can be left out{did_you_mean(name, imported)}", intent.file, line, col)
        lexicon = lexicons.get(name)
        if lexicon.pattern is not None:
            raise CallgramError(f"lexicon {name} is read by a pattern: its forms cannot be left out", intent.file, line, col)
        known = {t for e in lexicon.entries for t in e.tags}
        for tag in sorted(without[name] - known):
            at = intent.source.find(tag, m.start(2))
            at = at if m.start(2) <= at < m.end(2) else m.start(2)  # named on another line of the same lexicon
            raise CallgramError(f"lexicon {name} has no tag {tag!r}{did_you_mean(tag, known)}", intent.file, line, at - intent.source.rfind("\n", 0, at))
        if all(without[name] & set(e.tags) for e in lexicon.entries):
            raise CallgramError(f"lexicon {name} without {', '.join(sorted(without[name]))} has no forms left", intent.file, line, col)
    return without


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


def _index(g: Grammar, turn_names: set[str] | None = None, tools: dict | None = None) -> None:
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
        if turn_names is not None:  # a turn grammar: parameters by name (asked_* is what was asked), tools by rule name
            own = f"turns__{name}__"
            for rule in (r for r in g.rules if r.startswith(own)):
                base = rule[len(own):]
                suffixed = any(base.endswith(x) and base.removesuffix(x) in turn_names for x in (SECOND, PLUS))
                if base in turn_names or base.startswith(ASKED + "_") or suffixed:
                    g.params[rule] = (name, ASKED if base.startswith(ASKED) else base)
                elif base in tools:
                    g.reply_keys[rule] = (name, base)
            continue
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
