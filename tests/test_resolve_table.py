"""The resolver against tables of expected output (tests/fixtures/resolve_*.tsv), as `callgram resolve` reads.

Each fixture is ``# today: YYYY-MM-DD`` headers followed by rows ``text, type, value, flags``; the dated
table was written by an independent oracle (dateutil and published holiday dates), the other by hand.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from engine.resolve.expression import ResolveContext, resolve_expression

FIXTURES = Path(__file__).parent / "fixtures"


def _rows():
    for path in sorted(FIXTURES.glob("resolve_*.tsv")):
        today = None
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith("# today:"):
                today = line.split(":", 1)[1].split()[0]
            elif line and not line.startswith("#"):
                text, typ, value, flags = line.split("\t")
                yield pytest.param(today, text, typ, json.loads(value), json.loads(flags), id=f"{today}-{text or 'empty'}")


ROWS = list(_rows())


@pytest.fixture(scope="module")
def ctx(project):
    return ResolveContext.from_lexicons(project.lexicons)


def test_table_is_large_enough():
    dates = {r.values[0] for r in ROWS}
    assert len(ROWS) >= 300 and len(dates) >= 8
    assert {r.values[2] for r in ROWS} >= {"date", "span", "time", "int", "city", "ambiguous", "invalid", "unknown"}


@pytest.mark.parametrize(("today", "text", "typ", "value", "flags"), ROWS)
def test_resolve(ctx, today, text, typ, value, flags):
    r = resolve_expression(text, date.fromisoformat(today), ctx)
    assert (r.type, r.value, list(r.flags)) == (typ, value, flags), r.rule
