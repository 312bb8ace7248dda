"""The CLI as a user runs it: generation is deterministic and shardable; bad input is one line, exit 2."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import json
from collections import Counter
from pathlib import Path

import pytest

from engine.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _gen(out: Path, *flags: str, root: Path = ROOT) -> int:
    return main(["--root", str(root), "generate", "--out", str(out), *flags])


@pytest.fixture(scope="module")
def seed7(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("seed7")
    assert _gen(out, "--n", "2000", "--seed", "7", "--dropped", str(out / "dropped.jsonl")) == 0
    return out


def _lines(out: Path) -> list[str]:
    return (out / "samples.jsonl").read_text(encoding="utf-8").splitlines()


def test_generate_2000(seed7):
    samples = [json.loads(line) for line in _lines(seed7)]
    assert len(samples) == 2000
    kinds = Counter(s["kind"] for s in samples)
    for kind, share in (("positive", 0.6), ("hard", 0.3), ("negative", 0.1)):
        assert abs(kinds[kind] / 2000 - share) <= 0.02
    intents = Counter(s["intent"] for s in samples)
    assert {"search_flights", "book_flight", "search_hotels", "book_hotel", "get_weather", "get_user_profile"} <= set(intents)
    manifest = json.loads((seed7 / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["seed"] == 7 and manifest["samples"] == 2000
    assert manifest["counts"]["kind"] == dict(sorted(kinds.items()))
    assert "grammars/search_flights.lark" in manifest["inputs"] and "tools/book_flight.json" in manifest["inputs"]
    assert sum(1 for s in samples if any(t.startswith("clarify:") for t in s["tags"])) > 100


def test_same_seed_same_bytes_other_seed_differs(seed7, tmp_path):
    assert _gen(tmp_path / "again", "--n", "2000", "--seed", "7") == 0
    assert (tmp_path / "again" / "samples.jsonl").read_bytes() == (seed7 / "samples.jsonl").read_bytes()
    assert (tmp_path / "again" / "manifest.json").read_bytes() == (seed7 / "manifest.json").read_bytes()
    assert _gen(tmp_path / "other", "--n", "2000", "--seed", "8") == 0
    assert (tmp_path / "other" / "samples.jsonl").read_bytes() != (seed7 / "samples.jsonl").read_bytes()


def test_workers_and_shards_give_the_same_samples(seed7, tmp_path):
    assert _gen(tmp_path / "w2", "--n", "2000", "--seed", "7", "--workers", "2", "--dropped", str(tmp_path / "w2" / "dropped.jsonl")) == 0
    assert (tmp_path / "w2" / "samples.jsonl").read_bytes() == (seed7 / "samples.jsonl").read_bytes()
    assert (tmp_path / "w2" / "dropped.jsonl").read_bytes() == (seed7 / "dropped.jsonl").read_bytes()
    assert _gen(tmp_path / "s0", "--n", "2000", "--seed", "7", "--shard", "0/2") == 0
    assert _gen(tmp_path / "s1", "--n", "2000", "--seed", "7", "--shard", "1/2", "--workers", "2") == 0
    merged = sorted(_lines(tmp_path / "s0") + _lines(tmp_path / "s1"), key=lambda line: json.loads(line)["id"])
    assert merged == _lines(seed7)


def test_dropped_attempts_are_listed(seed7):
    """--dropped writes every attempt the manifest counts, with its text, the reading it was meant to have,
    and, where one defeated it, the rival reading."""
    rows = [json.loads(line) for line in (seed7 / "dropped.jsonl").read_text(encoding="utf-8").splitlines()]
    manifest = json.loads((seed7 / "manifest.json").read_text(encoding="utf-8"))
    assert Counter(r["reason"] for r in rows) == Counter(manifest["drops"]) and rows
    assert [(r["index"], r["attempt"]) for r in rows] == sorted((r["index"], r["attempt"]) for r in rows)
    for r in rows:
        assert r["user"] and r["wanted"]["intent"], r
        if r["reason"] == "ambiguous" or r["reason"].startswith("other_intent:"):
            assert r["rival"] and r["rival"] != r["wanted"], r
            if r["reason"].startswith("other_intent:"):
                assert r["rival"]["intent"] == r["reason"].split(":", 1)[1]


BAD = [
    (["--mix", "0.6,0.3,0.2"], "--mix: mix must sum to 1, got 1.1"),
    (["--mix", "a,b,c"], "--mix: expected three numbers"),
    (["--shard", "3/2"], "--shard: need 0 <= K < N"),
    (["--today", "2023-02-30"], "--today: expected a date"),
    (["--workers", "0"], "--workers: must be at least 1"),
    (["--config", "missing.toml"], "missing.toml: config file not found"),
]


@pytest.mark.parametrize(("flags", "message"), BAD, ids=[b[1][:20] for b in BAD])
def test_bad_flags(tmp_path, capsys, flags, message):
    assert _gen(tmp_path / "out", *flags) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
    assert not (tmp_path / "out").exists()


BROKEN_INPUT = [
    ("grammars/get_weather.lark", "(CITY, DATE, PART_OF_DAY)", "(CITYY, DATE, PART_OF_DAY)", "grammars/get_weather.lark:", "unknown lexicon CITYY"),
    ("grammars/chitchat.lark", 'talk: "你好"', 'talk: ("你好"', "grammars/chitchat.lark:", "malformed grammar"),
    ("tools/book_flight.json", '"passengers": {"type"', '"passengers": {"tpye"', "tools/book_flight.json:", "unknown schema keyword 'tpye'"),
    ("lexicons/zh/city.tsv", "魔都\t上海", "魔都\t上海\t\tx", "lexicons/zh/city.tsv:", "too many columns"),
]


@pytest.mark.parametrize(("file", "old", "new", "where", "message"), BROKEN_INPUT, ids=[b[4][:20] for b in BROKEN_INPUT])
def test_bad_input_is_one_located_line_and_no_output(project_copy, tmp_path, capsys, file, old, new, where, message):
    path = project_copy / file
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    assert _gen(tmp_path / "out", "--n", "10", root=project_copy) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(where) and message in err[0] and err[0].split(":")[1].isdigit()
    assert not (tmp_path / "out").exists()


def test_config_file(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('n = 50\nseed = 2\nmix = {positive = 0.5, hard = 0.5, negative = 0.0}\ntoday = 2023-10-29\n', encoding="utf-8")
    assert _gen(tmp_path / "out", "--config", str(cfg)) == 0
    samples = [json.loads(line) for line in _lines(tmp_path / "out")]
    assert len(samples) == 50 and {s["today"] for s in samples} == {"2023-10-29"}
    assert {s["kind"] for s in samples} == {"positive", "hard"}
    cfg.write_text('n = 10\nmix = {positive = 0.5, hard = 0.5, negative = 0.5}\n', encoding="utf-8")
    assert _gen(tmp_path / "bad", "--config", str(cfg)) == 2
    assert "mix must sum to 1" in capsys.readouterr().err


def _parse(capsys, monkeypatch, *args: str, stdin: str | None = None) -> list[str]:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    assert main(["--root", str(ROOT), "parse", *args]) == 0
    return capsys.readouterr().out.splitlines()


def test_parse_article_examples(capsys, monkeypatch):
    lines = _parse(capsys, monkeypatch, "--today", "2023-10-29", "--json", stdin="帮我查一下明天从上海到北京的机票\n帮我查一下后天魔都飞帝都的机票\n明天飞北京的机票\n")
    a, b, c = (json.loads(x) for x in lines)
    assert a["intent"] == "search_flights" and a["arguments"] == {"origin": "上海", "destination": "北京", "date": "2023-10-30"}
    assert b["intent"] == "search_flights" and b["arguments"] == {"origin": "上海", "destination": "北京", "date": "2023-10-31"}
    assert c["intent"] == "search_flights" and c["clarify"] == ["origin"] and c["arguments"] == {"destination": "北京", "date": "2023-10-30"}


def test_parse_mixed_file(capsys, monkeypatch):
    text = "你好\n帮我写一首诗\n明天北京会下雨吗\n\n☃☃ 🙂 \x00 ñ\n上海到北京多远\n帮我订MU5101，明天，两个人\n查一下周日上海到北京的机票\n"
    rows = [json.loads(x) for x in _parse(capsys, monkeypatch, "--today", "2023-10-29", "--json", stdin=text)]
    assert len(rows) == 8 and all(set(r) == {"text", "intent", "arguments", "clarify", "error", "negative", "reply_key", "more"} for r in rows)
    assert [r["intent"] for r in rows] == [None, None, "get_weather", None, None, None, "book_flight", "search_flights"]
    assert rows[6]["arguments"] == {"flight_no": "MU5101", "date": "2023-10-30", "passengers": 2}
    assert rows[7]["clarify"] == ["date"] and "ambiguous" in rows[7]["error"]  # 周日 said on a Sunday


def test_parse_human_output(capsys, monkeypatch):
    out = _parse(capsys, monkeypatch, "帮我查一下后天魔都飞帝都的机票", "--today", "2023-10-29")
    assert out[1].strip() == 'search_flights {"origin": "上海", "destination": "北京", "date": "2023-10-31"}'


def test_lint_command(capsys):
    assert main(["--root", str(ROOT), "lint"]) == 0


def test_tools_written_once(tmp_path):
    # issue 7: tool definitions live in tools.json; each sample names the tools it offers (or inlines them)
    assert main(["generate", "--n", "20", "--seed", "2", "--out", str(tmp_path / "a")]) == 0
    tools = json.loads((tmp_path / "a" / "tools.json").read_text(encoding="utf-8"))
    names = [t["function"]["name"] for t in tools]
    first = json.loads((tmp_path / "a" / "samples.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first["tools"] == names and all("x-derived" not in json.dumps(t) for t in tools)
    cfg = tmp_path / "inline.toml"
    cfg.write_text("tools_file = false\n", encoding="utf-8")
    assert main(["generate", "--n", "20", "--seed", "2", "--out", str(tmp_path / "b"), "--config", str(cfg)]) == 0
    inline = json.loads((tmp_path / "b" / "samples.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert inline["tools"] == tools and not (tmp_path / "b" / "tools.json").exists()


def test_version_and_generate_help(capsys):
    from engine.config import GenerateConfig

    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.startswith("callgram ")
    with pytest.raises(SystemExit):
        main(["generate", "--help"])
    out = capsys.readouterr().out
    assert "example:" in out and all(k in out for k in GenerateConfig.model_fields)


def test_same_bytes_whatever_the_hash_seed(tmp_path):
    """Sets iterate by string hashes, which differ per process: nothing written may follow them
    (plans stated before a request, with two values, once came out in either order)."""
    cfg = tmp_path / "plans.toml"
    cfg.write_text("flow_shares = {long_plan = 0.3, plan_then_ask = 0.2}\n", encoding="utf-8")
    outs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"out{hash_seed}"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        subprocess.run([sys.executable, "-m", "engine.cli", "--root", str(ROOT), "generate", "--n", "300", "--seed", "3",
                        "--config", str(cfg), "--out", str(out)], check=True, capture_output=True, env=env, cwd=ROOT)
        outs.append((out / "samples.jsonl").read_bytes())
    assert b"flow:long_plan" in outs[0]
    assert outs[0] == outs[1]
