"""``callgram lint``: every problem in grammars, lexicons and tools, collected before reporting."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from engine.errors import CallgramError, ErrorList, did_you_mean, locate
from engine.expand import Expander
from engine.grammar import rule_line
from engine.project import Project, load_project
from engine.slots import SlotFiller

_RULE_DEF = re.compile(r"^[ \t]*[?!]?([a-z_][a-z0-9_]*)[ \t]*(?:\.-?\d+)?[ \t]*:", re.M)
_LINT_TODAY = date(2024, 1, 10)  # any day works: date lexicon entries must be readable on it


def lint(root: Path | str = ".") -> list[CallgramError]:
    """All problems found; an empty list means the project is clean."""
    try:
        project = load_project(root)
    except ErrorList as e:
        return e.errors
    except CallgramError as e:
        return [e]
    problems: list[CallgramError] = []
    problems += _grammar_problems(project)
    problems += _lexicon_problems(project)
    problems += _reply_problems(project)
    return sorted(problems, key=lambda e: (e.file or "", e.line, e.col))


def _grammar_problems(project: Project) -> list[CallgramError]:
    g = project.grammar
    lexicon_names = set(project.lexicons.slots)
    expander = Expander(g)
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
        for e in lex.entries:
            if lex.resolver == "city" and not e.value:
                out.append(CallgramError(f"city {e.surface!r} has no canonical value", lex.file, e.line, 1))
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
    for key in ("clarify_default", "noun_separators", "clarify_ambiguous", "clarify_span", "beyond_horizon"):
        if not replies.get(key):
            out.append(CallgramError(f"missing {key} = [...]", shown, 1, 1))
    return out
