"""The resolve dispatcher and command: never crashes on any Unicode input; output is the documented format."""
from __future__ import annotations

import io
import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli import main
from engine.resolve import TYPES
from engine.resolve.expression import ResolveContext, resolve_expression

CHUNKS = st.sampled_from(["明天", "下周", "三", "号", "到", "点", "晚上", "半", "上海", "市", "年", "月", "日", "9999", "0", "-", "/", "周", "后", "天", "个"])


@pytest.fixture(scope="module")
def ctx(project):
    return ResolveContext.from_lexicons(project.lexicons)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(max_size=24), st.lists(CHUNKS, max_size=6).map("".join)),
       today=st.dates(min_value=date(1900, 1, 1), max_value=date(9990, 12, 31)))
def test_never_crashes(ctx, text, today):
    r = resolve_expression(text, today, ctx)
    assert r.type in TYPES
    out = r.as_json(text)
    assert list(out) == ["text", "type", "value", "flags"]
    json.dumps(out, ensure_ascii=False)


def test_command_keeps_input_order(monkeypatch, capsys):
    lines = ["下周三", "魔都", "三张票", "晚上8点", "江城", "随便", "", "☃"]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    assert main(["resolve", "--today", "2023-11-01", "--json"]) == 0
    rows = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [r["text"] for r in rows] == lines
    assert rows[0] == {"text": "下周三", "type": "date", "value": "2023-11-08", "flags": []}
    assert [r["type"] for r in rows] == ["date", "city", "int", "time", "ambiguous", "unknown", "unknown", "unknown"]
