"""``callgram lint``: clean on the shipped project; each problem kind found and located."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.lint import lint

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_project_is_clean(project):
    assert [str(p) for p in lint(project.paths.root)] == []


CASES = [
    ("grammars/search_flights.lark", "origin", "orgin", ["rule 'orgin' binds a lexicon slot but search_flights has no parameter 'orgin' (did you mean origin?)", "required parameter 'origin' cannot be bound"]),
    ("grammars/search_flights.lark", "time_of_day: PART_OF_DAY", "time_of_day: PART_OF_DAY\nleftover: CITY", ["rule 'leftover' is unreachable"]),
    ("grammars/book_flight.lark", "passengers", "seats", ["rule 'seats' binds a lexicon slot but book_flight has no parameter 'seats'", "required parameter 'passengers' cannot be bound"]),
    ("grammars/get_weather.lark", "date: DATE", 'date: DATE | "今天"', ["parameter rule 'date' must be exactly one lexicon terminal"]),
    ("lexicons/zh/count.tsv", "仨\t3", "仨\t4", ["'仨' resolves to 3, but the value column says 4"]),
    ("lexicons/zh/date.tsv", "月底\t\tmonth_end", "月末吧\t\tmonth_end", ["the date resolver cannot read '月末吧'"]),
]


@pytest.fixture(scope="module")
def found_in_broken_copy(tmp_path_factory):
    """Every case's breakage in one copy, linted once: lint collects every problem, and each is found."""
    root = tmp_path_factory.mktemp("broken")
    for name in ("grammars", "lexicons", "tools"):
        shutil.copytree(ROOT / name, root / name)
    for file, old, new, _ in CASES:
        path = root / file
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new) if old.isidentifier() else text.replace(old, new, 1), encoding="utf-8")
    return [str(p) for p in lint(root)]


@pytest.mark.parametrize(("file", "old", "new", "messages"), CASES, ids=[c[3][0][:30] for c in CASES])
def test_lint_finds_and_locates(found_in_broken_copy, file, old, new, messages):
    found = found_in_broken_copy
    for message in messages:
        hits = [f for f in found if message in f]
        assert hits, (message, found)
        assert all(h.split(":")[1].isdigit() for h in hits)


def test_lint_collects_every_problem(project_copy):
    for name in ("chitchat.lark", "mixed.lark"):
        path = project_copy / "grammars" / name
        path.write_text(path.read_text(encoding="utf-8") + "\nbroken: (\n", encoding="utf-8")
    found = lint(project_copy)
    assert {p.file for p in found} == {"grammars/chitchat.lark", "grammars/mixed.lark"}


def _append(path, text):
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


# issue 8: checks lint was missing (each also refuses generate, parse and stats: engine/checks.py)
NEW_CASES = [
    ("tools/search_flights.json", '"required"', '"requried"', "unknown schema keyword 'requried' (did you mean required?)"),
    ("lexicons/zh/cabin.tsv", "公务舱\tbusiness", "公务舱\tbusinesss", "value 'businesss' is not a valid"),
    ("grammars/chitchat.lark", "start: ", 'start: endless\n     | ', "rule 'endless' never ends"),
    ("grammars/chitchat.lark", "start: ", "start: lefty\n     | ", "left recursion through"),
]
EXTRA = {
    "never ends": '\nendless: "啊" endless\n',
    "left recursion": '\nlefty: righty "呀" | "哦"\nrighty: lefty "啊" | "嗯"\n',
}


@pytest.mark.parametrize(("file", "old", "new", "message"), NEW_CASES, ids=[c[3][:30] for c in NEW_CASES])
def test_new_checks(project_copy, file, old, new, message):
    path = project_copy / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    for key, extra in EXTRA.items():
        if key in message or key.replace(" ", "_") in message:
            _append(path, extra)
    found = [str(p) for p in lint(project_copy)]
    hits = [f for f in found if message in f]
    assert hits, found
    assert all(h.split(":")[1].isdigit() for h in hits), hits


def test_another_grammar_reading_a_tools_requests_is_found(project_copy):
    (project_copy / "grammars" / "weather_talk.lark").write_text('start: talk\ntalk: CITY "天气怎么样"\n%import lexicon (CITY)\n', encoding="utf-8")
    _append(project_copy / "lexicons" / "zh" / "answers.toml", '\n[weather_talk.talk]\nreply = ["嗯", "好"]\n')
    found = [str(p) for p in lint(project_copy)]
    assert any(f.startswith("grammars/get_weather.lark") and "also reads weather_talk requests" in f for f in found), found
