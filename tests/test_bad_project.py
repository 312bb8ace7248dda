"""Issue 8, "one set of checks": a bad project gives the same located problems from lint, generate and
parse (real processes), no traceback, generate writes nothing, and all three exit 2 (bad input)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _append(text):
    return lambda s: s + text


CASES = [  # (id, file, edit of its text, a message every command must print)
    ("value-column-missing", "lexicons/zh/city.tsv", lambda s: s.replace("魔都\t上海", "魔都", 1), "value 'nickname' is no city"),
    ("tabs-as-spaces", "lexicons/zh/city.tsv", lambda s: s.replace("魔都\t上海\tnickname\t2", "魔都 上海 nickname 2", 1), "has no canonical value"),
    ("required-misspelt", "tools/search_flights.json", lambda s: s.replace('"required"', '"requried"'), "unknown schema keyword 'requried'"),
    ("no-base-case", "grammars/chitchat.lark", lambda s: s.replace("start: ", "start: endless\n     | ", 1) + '\nendless: "啊" endless\n', "rule 'endless' never ends"),
    ("indirect-left-recursion", "grammars/chitchat.lark",
     lambda s: s.replace("start: ", "start: lefty\n     | ", 1) + '\nlefty: righty "呀" | "哦"\nrighty: lefty "啊" | "嗯"\n', "left recursion through"),
    ("enum-value", "lexicons/zh/cabin.tsv", lambda s: s.replace("公务舱\tbusiness", "公务舱\tbusinesss", 1), "value 'businesss' is not a valid"),
    ("without-unknown-tag", "grammars/get_weather.lark", lambda s: s.replace("%import lexicon (", "// lexicon CITY without iataa\n%import lexicon (", 1),
     "lexicon CITY has no tag 'iataa' (did you mean iata?)"),
    ("without-everything", "grammars/book_flight.lark", lambda s: s + "\n// lexicon CABIN without name, colloquial\n", "lexicon CABIN without colloquial, name has no forms left"),
    ("unknown-lexicon", "grammars/get_weather.lark", lambda s: s.replace("%import lexicon (CITY,", "%import lexicon (CITYY,", 1), "unknown lexicon CITYY"),
]


def _run(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", "--root", str(root), *args], capture_output=True, text=True,
                          timeout=180, env={**os.environ, "PYTHONPATH": str(ROOT)}, input="明天上海天气\n")


@pytest.mark.parametrize(("case", "file", "edit", "message"), CASES, ids=[c[0] for c in CASES])
def test_same_verdict_from_every_command(tmp_path, case, file, edit, message):
    root = tmp_path / "project"
    for name in ("grammars", "lexicons", "tools"):
        shutil.copytree(ROOT / name, root / name)
    path = root / file
    before = path.read_text(encoding="utf-8")
    path.write_text(edit(before), encoding="utf-8")
    assert path.read_text(encoding="utf-8") != before
    out = tmp_path / "out"
    commands = [("lint",), ("generate", "--n", "50", "--out", str(out)), ("parse", "--today", "2023-10-29", "--json")]
    with ThreadPoolExecutor(3) as pool:
        lint, generate, parse = pool.map(lambda c: _run(root, *c), commands)
    assert lint.returncode == generate.returncode == parse.returncode == 2, (lint, generate, parse)
    problems = [line for line in lint.stdout.splitlines() if line]
    assert any(message in p for p in problems), problems
    for p in problems:
        assert p.split(":")[1].isdigit(), p  # located
    for r in (generate, parse):
        assert "Traceback" not in r.stderr
        assert [line for line in r.stderr.splitlines() if line] == problems  # the very same problems
    assert not out.exists() and parse.stdout == ""
