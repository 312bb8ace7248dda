"""Grammar loading: shipped grammars compile into one parser; bad ones give one located error."""
from __future__ import annotations

import pytest

from engine.errors import CallgramError
from engine.project import load_project


def test_shipped_grammars(project):
    g = project.grammar
    assert set(g.tool_intents()) == set(project.tools)
    assert {"chitchat", "out_of_scope", "unsupported", "mixed", "music", "train_bus"} <= set(g.negative_intents())
    assert len(g.negative_intents()) >= 34  # chitchat, mixed, unsupported, out_of_scope and at least 30 domains
    assert g.params["search_flights__origin"] == ("search_flights", "origin")
    assert set(g.slots.values()) >= {"CITY", "DATE", "COUNT"}


def test_every_file_is_plain_lark(project):
    """Each grammar loads with lark.Lark itself, given the lexicon loader."""
    from lark import Lark

    from engine.grammar import lexicon_loader

    for intent in project.grammar.intents.values():
        Lark(intent.source, parser="earley", lexer="dynamic", import_paths=[lexicon_loader(project.lexicons), str(project.paths.grammars)])


BROKEN = [
    ("get_weather.lark", "%import lexicon (CITY, DATE, PART_OF_DAY)", "%import lexicon (CITYY, DATE, PART_OF_DAY)", "unknown lexicon CITYY (did you mean CITY?)", "grammars/get_weather.lark:"),
    ("chitchat.lark", 'talk: "你好"', 'talk: ("你好"', "malformed grammar", "grammars/chitchat.lark:"),
    ("chitchat.lark", 'talk: "你好"', 'talk: "你好" | nowhere', "Rule 'nowhere' used but not defined", "grammars/chitchat.lark:{line_of:nowhere}:"),
    ("book_hotel.lark", "     | book place when hotel_name [rooms_part]", "     | book place [when] hotel_name [rooms_part]", "Rules defined twice", "grammars/book_hotel.lark:"),
]


@pytest.mark.parametrize(("file", "old", "new", "message", "where"), BROKEN, ids=[b[3][:25] for b in BROKEN])
def test_broken_grammar_gives_one_located_error(project_copy, file, old, new, message, where):
    path = project_copy / "grammars" / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    if "{line_of:" in where:
        word = where.split("{line_of:")[1].rstrip("}:")
        line = next(i for i, t in enumerate(text.splitlines(), 1) if word in t)
        where = where.split("{")[0] + f"{line}:"
    with pytest.raises(CallgramError) as err:
        load_project(project_copy)
    lines = str(err.value).splitlines()
    assert len(lines) == 1
    assert message in lines[0] and lines[0].startswith(where)
    assert lines[0].split(":")[1].isdigit()
