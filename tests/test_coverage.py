"""Requests written apart from the grammars must keep parsing to the same call (tests/fixtures/coverage_probe.tsv)."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from engine.parse import UtteranceParser

ROWS = [line.split("\t") for line in (Path(__file__).parent / "fixtures" / "coverage_probe.tsv").read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]


@pytest.fixture(scope="module")
def parser(project):
    return UtteranceParser(project)


def test_probe_covers_every_tool(project):
    assert {r[1] for r in ROWS} >= set(project.tools)


@pytest.mark.parametrize(("text", "intent", "arguments", "clarify"), ROWS, ids=[r[0] for r in ROWS])
def test_probe(parser, text, intent, arguments, clarify):
    out = parser.parse(text, date(2023, 11, 1))
    assert (out["intent"] or "-", out["arguments"], out["clarify"]) == (intent, json.loads(arguments), json.loads(clarify))
