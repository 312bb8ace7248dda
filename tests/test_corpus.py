"""One test per shipped file: a new grammar, lexicon or tool is tested without writing a test."""
from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest

from engine.compose import Composer
from engine.gold import Drop, Retry
from engine.config import GenerateConfig

ROOT = Path(__file__).resolve().parent.parent
GRAMMARS = sorted(p.stem for p in (ROOT / "grammars").glob("*.lark"))
LEXICONS = sorted(p.stem.upper() for p in (ROOT / "lexicons" / "zh").glob("*.tsv"))
TODAYS = [date(2023, 10, 29), date(2024, 2, 29), date(2024, 12, 31), date(2025, 6, 18)]


@pytest.mark.parametrize("intent", GRAMMARS)
def test_grammar_yields_verified_samples(project, intent):
    """Every style of sample an intent allows comes out verified; verification drops stay rare.

    Some drops are right (查下周五 is 查下+周五 or 查+下周五), so the bound is a rate, not zero."""
    c = Composer(project, GenerateConfig(seed=5))
    kinds = ["negative"] if intent not in project.tools else ["positive", "hard"]
    made = dropped = 0
    for k in range(80):
        rng = random.Random(f"corpus/{intent}/{k}")
        kind = kinds[k % len(kinds)]
        try:
            sample = c.attempt(k, kind, rng, intent=intent)
        except Retry:
            continue
        except Drop:
            dropped += 1
            continue
        assert sample.intent == intent
        made += 1
    assert made >= 30 and dropped <= 8


@pytest.mark.parametrize("name", LEXICONS)
def test_lexicon_entries_resolve(project, name):
    from engine.slots import SlotFiller

    lex = project.lexicons.get(name)
    filler = SlotFiller(project.lexicons, [])
    for e in lex.entries:
        types = {filler.resolve(name, e.surface, t, None).type for t in TODAYS}
        assert "unknown" not in types, (e.surface, types)


@pytest.mark.parametrize("tool", sorted(p.stem for p in (ROOT / "tools").glob("*.json")))
def test_tool_has_grammar_and_clarifications(project, tool):
    assert tool in project.grammar.intents
    replies = project.lexicons.table("replies")["clarify"].get(tool, {})  # in the tool's own wording
    for p in project.tools[tool].required:
        assert replies[p]["ask"] and replies[p]["noun"], p
