"""``callgram lint``: clean on the shipped project; each problem kind found and located."""
from __future__ import annotations

import pytest

from engine.lint import lint


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


@pytest.mark.parametrize(("file", "old", "new", "messages"), CASES, ids=[c[3][0][:30] for c in CASES])
def test_lint_finds_and_locates(project_copy, file, old, new, messages):
    path = project_copy / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new) if old.isidentifier() else text.replace(old, new, 1), encoding="utf-8")
    found = [str(p) for p in lint(project_copy)]
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
