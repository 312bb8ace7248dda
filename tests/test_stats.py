"""``callgram stats``: every check fails on a hand-made bad line and passes on good ones; bad input is exit 2."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from engine import stats
from engine.audit import Auditor, match_any, template_regex
from engine.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIX = ROOT / "tests" / "fixtures" / "stats"


@pytest.fixture
def cli(capsys, project, monkeypatch):
    """Captured CLI output, with the session's loaded project shared instead of loading the grammars again."""
    monkeypatch.setattr(stats, "_project", lambda root: project)  # load the grammars once per session
    return capsys


def _report(path: Path, cli, *flags: str) -> dict:
    assert main(["--root", str(ROOT), "stats", str(path), "--json", *flags]) == 0
    return json.loads(cli.readouterr().out)


def test_good_file_passes_every_check(cli):
    r = _report(FIX / "good.jsonl", cli)
    assert r["samples"] == 5
    failing = {k: c for k, c in r["checks"].items() if c["failures"]}
    assert failing == {}, failing
    assert r["reparse"]["texts"] == 5


def test_bad_file_fails_each_check(cli):
    r = _report(FIX / "bad", cli)  # a folder of shards, with manifest.json (forecast_days, max_nights)
    c = r["checks"]
    expect = {"past_date": "b-past", "date_order": "b-order", "beyond_horizon_call": "b-horizon", "nights_over_max": "b-nights",
              "beyond_horizon": "b-beyond", "wrong_clarification": "b-clarify", "reply_mismatch": "b-reply",
              "call_mismatch": "b-call", "collapsed_range": "b-span"}
    for check, sid in expect.items():
        ids = [e["id"] if isinstance(e, dict) else e[0] for e in c[check]["examples"]]
        assert c[check]["failures"] >= 1 and sid in ids, (check, c[check])
    assert c["wrong_clarification"]["kinds"] == {"params": 1}
    assert c["beyond_horizon"]["kinds"] == {"not_beyond": 1}
    assert r["drops"] == {"ambiguous": 3, "schema": 1}
    nights = r["values"]["nights"]["book_hotel.check_out-check_in"]
    assert nights["max"] == 51 and nights["over_30"] == 0.5


def test_json_structure(cli):
    r = _report(FIX / "good.jsonl", cli)
    assert set(r) >= {"file", "samples", "mix", "distinct", "values", "surface", "bad_patterns", "checks", "drops", "seconds", "reparse"}
    assert r["mix"]["kind"]["positive"] == {"count": 5, "share": 1.0}
    assert set(r["values"]) == {"nights", "lead", "integers", "cities"}
    assert r["values"]["lead"]["search_flights.date"]["histogram"][2] == ["1-7", 1]
    for check in r["checks"].values():
        assert {"checked", "failures", "examples"} <= set(check)


def test_near_distinct_strips_openers_and_particles(cli):
    r = _report(FIX / "good.jsonl", cli, "--no-reparse")
    d = r["distinct"]["positive"]
    assert d["exact"] == 5 and d["near"] == 4  # 嗯，北京明天天气怎么样？ ≈ 北京明天天气怎么样
    assert "reparse" not in r


def test_text_report_and_strict(cli):
    assert main(["--root", str(ROOT), "stats", str(FIX / "good.jsonl"), "--strict"]) == 0
    out = cli.readouterr().out
    assert "Checks" in out and "lead search_flights.date" in out and "█" in out
    assert main(["--root", str(ROOT), "stats", str(FIX / "bad"), "--strict"]) == 1


@pytest.mark.parametrize("path, message", [
    (FIX / "missing.jsonl", "file not found"),
    (FIX / "not_json.jsonl", "not_json.jsonl:2:"),
])
def test_bad_input_is_one_located_line(path, message, cli):
    assert main(["--root", str(ROOT), "stats", str(path)]) == 2
    err = cli.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_bad_patterns_fail_and_pass():
    df = stats.read_samples(FIX / "good.jsonl")
    pats = [{"name": "doubled_verb", "why": "", "re": re.compile("帮我查一下后天")}, {"name": "never", "why": "", "re": re.compile("不存在的话")}]
    figures, check = stats.bad_patterns(df, pats)
    assert figures["doubled_verb"]["count"] == 1 and figures["never"]["count"] == 0
    assert check["failures"] == 1 and check["examples"][0][0] == "g-1"


def test_template_regex():
    fixed = {"today_date": "2023年10月29日"}
    assert match_any(["今天是{today_date}，{x}。"], "今天是2023年10月29日，晴。", fixed)
    assert not match_any(["今天是{today_date}，{x}。"], "今天是2023年10月30日，晴。", fixed)
    m = template_regex("您说的“{surface}”是指{options}？").fullmatch("您说的“周末”是指10月28日至10月29日还是11月4日至11月5日？")
    assert m and m.group("surface") == "周末"


def _row(**kw):
    base = {"id": "t", "kind": "hard", "intent": "search_flights", "tags": [], "today": "2023-10-29", "user": "",
            "reply": None, "call_name": None, "call_args": None, "slots": []}
    return {**base, **kw}


def test_clarification_templates_dates_and_order(project):
    a = Auditor(project)
    ask = a._clarify_templates("search_flights", ["date"], False)[0][0]
    parse = {"intent": "search_flights", "arguments": {"origin": "上海", "destination": "北京"}, "clarify": ["date"], "error": None}
    a._sample(_row(user="帮我查一下上海飞北京的机票", reply=ask, tags=["clarify:date"]), parse)
    assert a.out["wrong_clarification"]["failures"] == 0
    a._sample(_row(user="帮我查一下上海飞北京的机票", reply="随便问问？", tags=["clarify:date"]), parse)
    assert a.out["wrong_clarification"]["kinds"] == {"template": 1}
    amb = a._clarify_templates("search_flights", ["date"], True)[0][0]
    past = amb.format(surface="周末", options="10月21日至10月22日还是10月28日至10月29日")
    a._sample(_row(user="帮我查一下周末上海飞北京的机票", reply=past, tags=["clarify:date", "ambiguous"]), parse)
    assert a.out["wrong_clarification"]["kinds"] == {"template": 1, "past_date": 1}
    hotel = {"intent": "book_hotel", "arguments": {"check_in": "2023-11-01"}, "clarify": ["check_out"], "error": None}
    order = amb.format(surface="周三", options="11月1日还是11月8日")
    a._sample(_row(intent="book_hotel", user="住到周三", reply=order, tags=["clarify:check_out", "ambiguous"]), hotel)
    assert a.out["wrong_clarification"]["kinds"]["order"] == 1
