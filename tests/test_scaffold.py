"""`callgram new`: a tool schema of a domain callgram knows nothing about (an order tracker) scaffolds a
project that lints clean, generates its positives and clarifications with the shipped negatives, parses
its own samples back, and keeps working once the user grows the phrasing."""
from __future__ import annotations

import io
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from engine.cli import main
from engine.errors import CallgramError
from engine.scaffold import scaffold

ROOT = Path(__file__).resolve().parent.parent

TRACK_ORDER = {
    "name": "track_order",
    "description": "查询订单的物流状态，需要订单号和下单手机号的后四位。",
    "parameters": {
        "type": "object",
        "properties": {
            "order_no": {"type": "string", "pattern": "^[A-Z]{2}[0-9]{8,10}$", "description": "订单号，如 JD20231029"},
            "phone_last4": {"type": "string", "pattern": "^[0-9]{4}$", "description": "下单手机号后四位"},
        },
        "required": ["order_no", "phone_last4"],
        "additionalProperties": False,
    },
}


@pytest.fixture
def scratch(tmp_path) -> Path:
    """A scratch copy of the project with tools/track_order.json added, nothing else."""
    root = tmp_path / "proj"
    for name in ("grammars", "lexicons", "tools"):
        shutil.copytree(ROOT / name, root / name)
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    (root / "tools" / "track_order.json").write_text(json.dumps(TRACK_ORDER, ensure_ascii=False, indent=2), encoding="utf-8")
    return root


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _samples(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "samples.jsonl").read_text(encoding="utf-8").splitlines()]


def _reparse(capsys, monkeypatch, root: Path, samples: list[dict], extra: dict | None = None) -> None:
    """Every track_order user turn parses back to its own call (or to the same clarification); so do the
    ``extra`` utterances, to the arguments given."""
    mine = [s for s in samples if s["intent"] == "track_order"]
    lines = [s["messages"][1]["content"] for s in mine] + list(extra or {})
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(line + "\n" for line in lines)))
    code, out, _ = _run(capsys, "--root", str(root), "parse", "--today", "2024-01-10", "--json")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == len(lines)
    for text, row in zip(extra or {}, rows[len(mine):]):
        assert (row["intent"], row["arguments"]) == ("track_order", extra[text]), row
    for s, row in zip(mine, rows):
        reply = s["messages"][2]
        assert row["intent"] == "track_order", (s["messages"][1]["content"], row)
        if reply.get("tool_calls"):
            assert row["arguments"] == json.loads(reply["tool_calls"][0]["function"]["arguments"]) and row["clarify"] == []
        else:
            assert row["clarify"] == [t.split(":", 1)[1] for t in s["tags"] if t.startswith("clarify:")]
            assert row["arguments"] == {slot["param"]: slot["value"] for slot in s["provenance"]["slots"]}


def _check_generated(samples: list[dict]) -> None:
    mine = [s for s in samples if s["intent"] == "track_order"]
    kinds = Counter(s["kind"] for s in mine)
    assert kinds["positive"] > 30
    clarify = Counter(t for s in mine for t in s["tags"] if t.startswith("clarify:"))
    assert clarify["clarify:order_no"] > 3 and clarify["clarify:phone_last4"] > 3
    negatives = {s["intent"] for s in samples if s["kind"] == "negative"}
    assert {"unsupported", "music", "train_bus"} <= negatives  # the shipped negatives, untouched



def _lint_and_generate(capsys, root, out, n: int, seed: int) -> list[dict]:
    """lint is clean, generate writes samples that pass the per-sample checks; returns them."""
    code, _, err = _run(capsys, "--root", str(root), "lint")
    assert code == 0, err
    assert _run(capsys, "--root", str(root), "generate", "--n", str(n), "--seed", str(seed), "--out", str(out))[0] == 0
    samples = _samples(out)
    _check_generated(samples)
    return samples

def test_new_tool_lints_generates_parses_and_grows(scratch, tmp_path, capsys, monkeypatch):
    replies = scratch / "lexicons" / "zh" / "replies.toml"
    replies_before = replies.read_text(encoding="utf-8")
    written = scaffold(scratch, scratch / "tools" / "track_order.json")
    rel = sorted(str(p.relative_to(scratch)) for p in written)
    assert rel == ["grammars/track_order.lark", "lexicons/zh/order_no.tsv", "lexicons/zh/phone_last4.tsv", "lexicons/zh/replies.toml"]
    grammar = (scratch / "grammars" / "track_order.lark").read_text(encoding="utf-8")
    assert "order_no: ORDER_NO" in grammar and "phone_last4: PHONE_LAST4" in grammar
    assert "# pattern: [0-9]{4}" in (scratch / "lexicons" / "zh" / "phone_last4.tsv").read_text(encoding="utf-8")
    after = replies.read_text(encoding="utf-8")
    assert after.startswith(replies_before)  # appended, never rewritten
    assert "[clarify.track_order.order_no]" in after and 'noun = "订单号"' in after and "{nouns}" in after

    # Never overwrite: a second run refuses and leaves everything as it was.
    with pytest.raises(CallgramError, match="already exists"):
        scaffold(scratch, scratch / "tools" / "track_order.json")
    assert (scratch / "grammars" / "track_order.lark").read_text(encoding="utf-8") == grammar
    assert replies.read_text(encoding="utf-8") == after

    samples = _lint_and_generate(capsys, scratch, tmp_path / "out", 2000, 1)
    _reparse(capsys, monkeypatch, scratch, samples)

    # Grow the phrasing as a README reader would: alternatives in the generated grammar.
    grown = grammar.replace('what: "订单的物流状态"', 'what: "订单的物流状态" | "订单物流" | "我的订单物流"')
    grown = grown.replace('"下单手机号后四位：" phone_last4', '"下单手机号后四位：" phone_last4 | "手机尾号" phone_last4')
    grown = grown.replace('     | [opener] [please] verb what [end]\n',
                          '     | [opener] [please] verb what [end]\n     | [opener] say_order_no "，" say_phone_last4 "，" [please] verb what [end]\n')
    assert grown.count("|") == grammar.count("|") + 4
    (scratch / "grammars" / "track_order.lark").write_text(grown, encoding="utf-8")
    samples = _lint_and_generate(capsys, scratch, tmp_path / "grown", 2000, 2)
    texts = [s["messages"][1]["content"] for s in samples if s["intent"] == "track_order"]
    assert any("手机尾号" in t for t in texts) and any("订单物流" in t for t in texts)
    assert any("订单号" in t and t.index("订单号") < t.index("物流") for t in texts)  # the new start alternative
    _reparse(capsys, monkeypatch, scratch, samples, {"订单号：AB12345678，手机尾号0427，帮我查一下我的订单物流": {"order_no": "AB12345678", "phone_last4": "0427"}})


def test_every_parameter_kind(tmp_path):
    """Enum, date, bounded integers, free strings and a name taken by an incompatible lexicon; no lint here
    (the test above pays for one), just what is written."""
    root = tmp_path / "proj"
    shutil.copytree(ROOT / "lexicons", root / "lexicons")
    (root / "grammars").mkdir()
    (root / "tools").mkdir()
    tool = {
        "name": "create_ticket", "description": "创建一张维修工单。",
        "parameters": {"type": "object", "properties": {
            "title": {"type": "string", "description": "问题标题，一句话"},
            "sort": {"type": "string", "enum": ["urgent", "normal"], "description": "紧急程度"},
            "visit_date": {"type": "string", "format": "date", "description": "上门日期"},
            "priority": {"type": "integer", "minimum": 1, "maximum": 5, "description": "优先级（1-5）"},
            "quantity": {"type": "integer", "minimum": 1, "maximum": 50, "description": "设备数量"},
            "tags": {"type": "array", "items": {"type": "string"}},
        }, "required": ["title", "visit_date"], "additionalProperties": False},
    }
    src = tmp_path / "create_ticket.json"  # outside tools/: copied in
    src.write_text(json.dumps(tool, ensure_ascii=False), encoding="utf-8")
    notes: list[str] = []
    written = {str(p.relative_to(root)) for p in scaffold(root, src, notes)}
    lex = root / "lexicons" / "zh"
    assert {"tools/create_ticket.json", "grammars/create_ticket.lark", "lexicons/zh/title.tsv", "lexicons/zh/quantity.tsv",
            "lexicons/zh/create_ticket_sort.tsv", "lexicons/zh/replies.toml"} == written
    g = (root / "grammars" / "create_ticket.lark").read_text(encoding="utf-8")
    assert "visit_date: DATE" in g and "priority: COUNT" in g and "sort: CREATE_TICKET_SORT" in g and "tags" not in g.split("start:")[1]
    assert 'verb: "创建" | "新建"' in g and 'what: "一张维修工单"' in g
    assert "urgent\turgent" in (lex / "create_ticket_sort.tsv").read_text(encoding="utf-8")  # sort.tsv holds other values
    q = (lex / "quantity.tsv").read_text(encoding="utf-8")
    assert "# resolver: count" in q and "50\t50" in q and "五十\t50" in q
    assert any("placeholder" in n for n in notes) and any("'tags'" in n for n in notes)


def test_refusals(tmp_path):
    root = tmp_path / "proj"
    shutil.copytree(ROOT / "lexicons", root / "lexicons")
    (root / "grammars").mkdir()
    (root / "tools").mkdir()
    bad = root / "tools" / "track_order.json"
    bad.write_text('{\n  "name": "track_order",\n  "descripton": "x",\n  "parameters": {"type": "object"}\n}\n', encoding="utf-8")
    with pytest.raises(CallgramError) as e:
        scaffold(root, bad)
    assert (e.value.file, e.value.line, e.value.col) == ("tools/track_order.json", 3, 3) and "description" in str(e.value)
    arr = dict(TRACK_ORDER, parameters={"type": "object", "properties": {"items": {"type": "array"}}, "required": ["items"]})
    bad.write_text(json.dumps(arr), encoding="utf-8")
    with pytest.raises(CallgramError, match="required"):
        scaffold(root, bad)
    assert list((root / "grammars").iterdir()) == []
