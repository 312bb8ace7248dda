"""Load a whole project (tools, lexicons, grammars) in the one order that makes errors clear."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.flows import Flow, load_flows
from engine.grammar import Grammar, load_grammar
from engine.lexicon import Lexicons, load_lexicons
from engine.paths import ProjectPaths
from engine.tools import Tool, load_tools


@dataclass
class Project:
    """Everything generation and parsing read from disk."""

    paths: ProjectPaths
    tools: dict[str, Tool]
    lexicons: Lexicons
    grammar: Grammar
    turns: Grammar | None = None  # follow-up turns of conversations (grammars/turns/)
    flows: dict[str, Flow] | None = None  # conversation flows (grammars/flows/)


def load_project(root: Path | str = ".", lang: str = "zh") -> Project:
    """Tools, then lexicons, then grammars (which import both); raises CallgramError on bad input."""
    paths = ProjectPaths(root=Path(root), lang=lang)
    tools = load_tools(paths.tools, paths.rel)
    lexicons = load_lexicons(paths.lexicons, paths.rel)
    grammar = load_grammar(paths.grammars, lexicons, tools, paths.rel)
    turns = load_grammar(paths.grammars, lexicons, tools, paths.rel, turns=True)
    flows = load_flows(paths.grammars / "flows", tools, set(turns.intents) if turns else set(), paths.rel)
    return Project(paths=paths, tools=tools, lexicons=lexicons, grammar=grammar, turns=turns, flows=flows)
