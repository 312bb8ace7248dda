"""Numeral resolver: table of text → int (or ambiguous/unknown)."""
from __future__ import annotations

import pytest

from engine.resolve.numbers import resolve_int

CASES = [
    ("三", "int", 3), ("两", "int", 2), ("俩", "int", 2), ("仨", "int", 3), ("3", "int", 3), ("３", "int", 3),
    ("十", "int", 10), ("十一", "int", 11), ("二十", "int", 20), ("一百二十", "int", 120), ("1百2十", "int", 120),
    ("两百", "int", 200), ("一千五", "int", 1500), ("五百", "int", 500),
    ("半", "ambiguous", None), ("十几", "ambiguous", None), ("几", "ambiguous", None), ("好几", "ambiguous", None),
    ("abc", "unknown", None), ("", "unknown", None),
]


@pytest.mark.parametrize(("text", "typ", "value"), CASES, ids=[c[0] or "empty" for c in CASES])
def test_resolve_int(project, text, typ, value):
    r = resolve_int(text, project.lexicons.table("numerals"))
    assert r.type == typ
    if value is not None:
        assert r.value == value
