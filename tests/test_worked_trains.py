"""A `search_trains` intent added the way README tells a new user to (not shipped): a tool file, a grammar
that imports CITY without its airport codes, a literal lexicon for the seat enum, the train rules taken out
of train_bus.lark where lint says they overlap, and the tool's own clarification wording. It lints clean,
generates, parses its own samples back, and never reads or writes an IATA code in a train request."""
from __future__ import annotations

import io
import json
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from engine.cli import main

ROOT = Path(__file__).resolve().parent.parent

SEARCH_TRAINS = {
    "name": "search_trains",
    "description": "查询火车票，两个城市之间某天的高铁、动车和普通列车。",
    "parameters": {
        "type": "object",
        "properties": {
            "origin": {"type": "string", "description": "出发城市"},
            "destination": {"type": "string", "description": "到达城市"},
            "date": {"type": "string", "format": "date", "description": "出发日期，YYYY-MM-DD"},
            "seat": {"type": "string", "enum": ["second_class", "first_class", "business", "sleeper"], "description": "座位类型"},
        },
        "required": ["origin", "destination", "date"],
        "additionalProperties": False,
    },
}

GRAMMAR = """\
// search_trains: origin, destination, date (required), seat.
// Airport codes are for flights: nobody names a railway station PEK.
// lexicon CITY without iata
start: [please] [search_verb] ask [particle]

ask: [when] route rail ["票"] [seat_part]
   | route [when] "的" rail ["票"] [seat_part]
   | [when] "去" destination "的" rail ["票"]
   | [when] "从" origin "出发的" rail ["票"]

when: date ["的"]
route: ["从"] origin ("到" | "去") destination ["的"]
rail: "火车" | "高铁" | "动车"
seat_part: "，" seat | "，要" seat

origin: CITY
destination: CITY
date: DATE
seat: SEAT

%import shared.phrases (please, search_verb, particle)
%import lexicon (CITY, DATE, SEAT)
"""

SEAT_LEXICON = """\
# resolver: literal
# Train seat classes; value = search_trains' seat enum.
surface\tvalue\ttags\tweight
二等座\tsecond_class\tname\t3
一等座\tfirst_class\tname\t1
商务座\tbusiness\tname\t0.5
卧铺\tsleeper\tname\t1
"""

CLARIFY = """
[clarify.search_trains.date]
noun = "出发日期"
ask = ["请问哪天出发？", "您想查哪一天的火车票？"]
"""


@pytest.fixture
def trains(tmp_path) -> Path:
    root = tmp_path / "proj"
    for name in ("grammars", "lexicons", "tools"):
        shutil.copytree(ROOT / name, root / name)
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    (root / "tools" / "search_trains.json").write_text(json.dumps(SEARCH_TRAINS, ensure_ascii=False, indent=2), encoding="utf-8")
    (root / "grammars" / "search_trains.lark").write_text(GRAMMAR, encoding="utf-8")
    (root / "lexicons" / "zh" / "seat.tsv").write_text(SEAT_LEXICON, encoding="utf-8")
    with (root / "lexicons" / "zh" / "replies.toml").open("a", encoding="utf-8") as f:
        f.write(CLARIFY)
    return root


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def _narrow_train_bus(root: Path) -> None:
    """Train searches are a tool now: train_bus.lark keeps only what search_trains does not do."""
    path = root / "grammars" / "train_bus.lark"
    src = path.read_text(encoding="utf-8")
    start = src.index("train.5:")
    end = src.index("train_set.25:")
    src = src[:start] + "train.5: train_set\n" + src[end:]
    src = src.replace(' | "帮我查一下火车票"', "")
    # lint then names the rules only the removed alternatives used
    src = "".join(line for line in src.splitlines(keepends=True) if not line.startswith(("rail:", "from:")))
    path.write_text(src, encoding="utf-8")


def test_search_trains_from_readme(trains, tmp_path, capsys, monkeypatch):
    # As README says, lint first reports the negative grammar that already reads train searches.
    code, out, err = _run(capsys, "--root", str(trains), "lint")
    assert code == 2
    assert re.search(r"grammars/(search_trains|train_bus)\.lark:1:1: also reads (train_bus|search_trains) requests, e\.g\. '.+'", out + err)

    _narrow_train_bus(trains)
    code, out, err = _run(capsys, "--root", str(trains), "lint")
    assert code == 0, out + err

    dest = tmp_path / "out"
    assert _run(capsys, "--root", str(trains), "generate", "--n", "1500", "--seed", "3", "--today", "2024-01-10", "--out", str(dest))[0] == 0
    samples = [json.loads(line) for line in (dest / "samples.jsonl").read_text(encoding="utf-8").splitlines()]
    mine = [s for s in samples if s["intent"] == "search_trains"]
    kinds = Counter(s["kind"] for s in mine)
    assert kinds["positive"] > 30, kinds
    assert any(t.startswith("clarify:") for s in mine for t in s["tags"])
    calls = [json.loads(s["messages"][2]["tool_calls"][0]["function"]["arguments"]) for s in mine if s["messages"][2].get("tool_calls")]
    assert {c.get("seat") for c in calls} - {None} <= set(SEARCH_TRAINS["parameters"]["properties"]["seat"]["enum"])
    assert any("seat" in c for c in calls)

    # No airport code in any train request, though the shared CITY lexicon has them.
    iata = {line.split("\t")[0] for line in (ROOT / "lexicons/zh/city.tsv").read_text(encoding="utf-8").splitlines()
            if "\t" in line and "iata" in line.split("\t")[2].split(",")}
    assert len(iata) > 50
    for s in mine:
        text = s["messages"][1]["content"]
        assert not any(re.search(rf"(?<![A-Za-z]){code}(?![A-Za-z])", text, re.I) for code in iata), text

    # Its own samples parse back to their calls; an airport code in a train request is not read as a city.
    extra = {"明天从北京到上海的高铁票，要二等座": {"origin": "北京", "destination": "上海", "date": "2024-01-11", "seat": "second_class"}}
    lines = [s["messages"][1]["content"] for s in mine] + list(extra) + ["明天PEK到SHA的高铁票"]
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(line + "\n" for line in lines)))
    code, out, _ = _run(capsys, "--root", str(trains), "parse", "--today", "2024-01-10", "--json")
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == len(lines)
    for s, row in zip(mine, rows):
        assert row["intent"] == "search_trains", (s["messages"][1]["content"], row)
        reply = s["messages"][2]
        if reply.get("tool_calls"):
            assert row["arguments"] == json.loads(reply["tool_calls"][0]["function"]["arguments"])
    assert (rows[-2]["intent"], rows[-2]["arguments"]) == ("search_trains", extra[lines[-2]])
    assert rows[-1]["intent"] != "search_trains" or "origin" not in rows[-1]["arguments"]


def test_without_names_a_tag_the_lexicon_has(trains, capsys):
    path = trains / "grammars" / "search_trains.lark"
    path.write_text(GRAMMAR.replace("without iata", "without pinyin, iataa"), encoding="utf-8")
    code, out, err = _run(capsys, "--root", str(trains), "lint")
    assert code == 2
    assert "grammars/search_trains.lark:3:33: lexicon CITY has no tag 'iataa' (did you mean iata?)" in out + err
    path.write_text(GRAMMAR.replace("without iata", "without iata\n// lexicon SEAT without name"), encoding="utf-8")
    code, out, err = _run(capsys, "--root", str(trains), "lint")
    assert "grammars/search_trains.lark:4:12: lexicon SEAT without name has no forms left" in out + err
    path.write_text(GRAMMAR.replace("without iata", "without iata\n// lexicon HOTEL without typo"), encoding="utf-8")
    code, out, err = _run(capsys, "--root", str(trains), "lint")
    assert "grammars/search_trains.lark:4:12: lexicon HOTEL is not imported here, so nothing of it can be left out" in out + err
