"""``callgram coverage``: shares parsed, uncovered patterns with slots masked, words the lexicons lack.

The log is invented here (西塘 is a real place the shipped city lexicon does not list; 高铁票 no grammar
reads): if a lexicon or grammar learns them, pick other words rather than loosen the checks.
"""
from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from engine.cli import main
from engine.coverage import Masker, lark_alternative, pattern_key

ROOT = Path(__file__).resolve().parent.parent
TODAY = "2023-10-29"

PARSED = ["明天北京的天气怎么样", "帮我查一下后天上海飞广州的机票"]
UNPARSED = ["明天杭州到西塘的高铁票", "后天南京到西塘的高铁票。", "月中西塘的天气怎么样", "十一月五号深圳的天气"]


def _run(capsys, *args: str, root: Path = ROOT) -> tuple[int, str, str]:
    code = main(["--root", str(root), "coverage", "--today", TODAY, *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def listed_only(project_copy) -> Path:
    """The shipped project with a date lexicon that reads only its listed forms (no '# also:' pattern), as a
    project of one's own may have: then a date the resolver reads but the lexicon lacks leaves a request
    unread, and coverage says which."""
    path = project_copy / "lexicons" / "zh" / "date.tsv"
    path.write_text("".join(l for l in path.read_text(encoding="utf-8").splitlines(keepends=True) if not l.startswith("# also:")), encoding="utf-8")
    shutil.copy(ROOT / "pyproject.toml", project_copy / "pyproject.toml")
    return project_copy


@pytest.fixture
def plain_log(tmp_path) -> Path:
    path = tmp_path / "log.txt"
    path.write_text("\ufeff" + "\n".join(PARSED + UNPARSED) + "\n\n", encoding="utf-8")  # a BOM, a blank line
    return path


def test_shares_patterns_and_suggestions(plain_log, listed_only, capsys):
    code, out, _ = _run(capsys, str(plain_log), "--json", root=listed_only)
    assert code == 0
    r = json.loads(out)
    assert (r["requests"], r["parsed"], r["unparsed"]) == (6, 2, 4)
    assert r["parsed_share"] == pytest.approx(2 / 6, abs=1e-4)
    assert {k: v["count"] for k, v in r["intents"].items()} == {"get_weather": 1, "search_flights": 1}
    assert r["intents"]["get_weather"]["kind"] == "tool"
    top = r["patterns"][0]
    assert (top["pattern"], top["count"]) == ("{DATE}{CITY}到西塘的高铁票", 2)  # trailing 。 does not split the group
    assert top["alternative"] == '| DATE CITY "到西塘的高铁票"'
    assert top["example"] == "明天杭州到西塘的高铁票"
    assert r["places"]["lexicon"].endswith("city.tsv")
    assert r["places"]["words"][0] == {"surface": "西塘", "count": 3, "beside_city": 2, "line": "西塘\t西塘\tname\t1",
                                       "example": "明天杭州到西塘的高铁票"}
    unlisted = {w["surface"]: w for w in r["unlisted_dates"]["words"]}
    assert unlisted["十一月五号"]["reads_as"] == "2023-11-05"
    assert unlisted["十一月五号"]["line"].startswith("十一月五号\t\t")
    assert next(p for p in r["patterns"] if p["example"] == "十一月五号深圳的天气")["unlisted"] == ["十一月五号"]
    assert [d["surface"] for d in r["dates"]] == ["月中"]  # cut off the place beside it


def test_text_report_keeps_lexicon_lines_pasteable(plain_log, listed_only, capsys):
    code, out, _ = _run(capsys, str(plain_log), "--top", "1", root=listed_only)
    assert code == 0
    assert "parsed 2 (33.3%), unparsed 4 (66.7%)" in out
    assert "\n西塘\t西塘\tname\t1\n" in out
    assert "# seen 3 times (2 facing a known city), e.g. 明天杭州到西塘的高铁票" in out
    assert '  | DATE CITY "到西塘的高铁票"' in out
    assert "{DATE}{CITY}的天气" not in out  # --top 1


def test_jsonl_with_labels(tmp_path, listed_only, capsys):
    log = tmp_path / "log.jsonl"
    rows = [{"text": PARSED[0], "intent": "get_weather"}, {"text": UNPARSED[3], "intent": "get_weather"},
            {"text": UNPARSED[0], "intent": "search_flights"}, {"text": "帮我放一首歌"}]
    log.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in rows), encoding="utf-8")
    code, out, _ = _run(capsys, str(log), "--json", root=listed_only)
    assert code == 0
    r = json.loads(out)
    assert r["requests"] == 4
    weather = r["labels"]["get_weather"]
    assert (weather["count"], weather["as_label"], weather["unparsed"]) == (2, 1, 1)
    assert r["labels"]["search_flights"]["as_label"] == 0
    assert next(p for p in r["patterns"] if p["example"] == UNPARSED[0])["labels"] == {"search_flights": 1}


def test_over_the_cap_is_counted_not_parsed(tmp_path, capsys):
    log = tmp_path / "log.txt"
    log.write_text(PARSED[0] + "\n" + "天" * 40 + "\n", encoding="utf-8")
    r = json.loads(_run(capsys, str(log), "--json", "--max-chars", "30")[1])
    assert (r["requests"], r["parsed"], r["over_cap"], r["unparsed"]) == (2, 1, 1, 0)


@pytest.mark.parametrize(("content", "where", "message"), [
    ('{"text": "明天北京的天气"}\n{"txt": "后天"}\n', ":2:1:", '"text"'),
    ('明天北京的天气\n{"text": 明天}\n', ":2:10:", "not JSON"),
    ('{"text": "明天", "intent": 3}\n', ":1:", '"intent" must be a string'),
    ("\n\n", "", "no requests"),
])
def test_bad_input_is_one_located_line(tmp_path, capsys, content, where, message):
    log = tmp_path / "bad.jsonl"
    log.write_text(content, encoding="utf-8")
    code, out, err = _run(capsys, str(log))
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith(str(log) + where) and message in err


def test_bad_flags_and_missing_file(tmp_path, capsys):
    assert _run(capsys, str(tmp_path / "absent.txt"))[0] == 2
    assert _run(capsys, str(tmp_path / "absent.txt"), "--top", "0")[2].startswith("--top")
    (tmp_path / "x.bin").write_bytes(b"\xff\xfe")
    code, _, err = _run(capsys, str(tmp_path / "x.bin"))
    assert code == 2 and "not UTF-8" in err


def test_masker(project):
    m = Masker(project, date(2023, 10, 29))
    assert m.mask("后天上海市到喀什的机票要3张") == "{DATE}{CITY}到{CITY}的机票要{NUM}"
    assert m.mask("帮我查一下") == "帮我查一下"  # a lone numeral inside a word is no count
    assert m.mask("晚上8点提醒我") == "{TIME}提醒我"


def test_pattern_and_alternative():
    assert pattern_key(" {CITY}的天气？！ ") == "{CITY}的天气"
    assert lark_alternative('{DATE}{CITY}到{CITY}的"快"车', {"CITY": "CITY", "DATE": "DATE"}) == '| DATE CITY "到" CITY "的\\"快\\"车"'
