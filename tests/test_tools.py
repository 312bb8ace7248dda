"""Tool definitions: shipped ones load; each kind of mistake is one located error."""
from __future__ import annotations

import json

import pytest

from engine.errors import CallgramError
from engine.tools import load_tool, load_tools


def test_shipped_tools_load(project):
    assert set(project.tools) == {"search_flights", "book_flight", "search_hotels", "book_hotel", "get_weather", "get_user_profile"}
    flights = project.tools["search_flights"]
    assert flights.required == ["origin", "destination", "date"]
    assert "x-distinct" not in json.dumps(flights.offered())


def test_validator_checks_bounds_and_formats(project):
    book = project.tools["book_flight"]
    assert book.errors({"flight_no": "MU5101", "date": "2023-10-30", "passengers": 2}) == []
    assert book.errors({"flight_no": "MU5101", "date": "2023-10-30", "passengers": 10})
    assert book.errors({"flight_no": "MU5101", "date": "tomorrow", "passengers": 1})
    assert book.errors({"flight_no": "MU5101", "date": "2023-10-30"})  # passengers missing


BROKEN = [
    ('{"name": "t", "description": "d", "parameters": {"type": "object", "properties": {"a": {"tpye": "string"}}}}', "unknown schema keyword 'tpye' (did you mean type?)", 1),
    ('{"name": "t", "description": "d",\n "parameters": {"type": "object", "properties": {"a": {"type": "strng"}}}}', "invalid JSON Schema", 2),
    ('{"name": "t", "description": "d", "parameters": {"type": "object", "properties": {}, "required": ["a"]}}', "required parameter 'a' is not in properties", 1),
    ('{"name": "other", "description": "d", "parameters": {"type": "object"}}', "must match the file name", 1),
    ('{"name": "t", "description": "d", "parameters": {"type": "object"},\n "paramters": {}}', "unknown key 'paramters'", 2),
    ('{"name": "t",\n  "description": "d"', "invalid JSON", 2),
]


@pytest.mark.parametrize(("text", "message", "line"), BROKEN, ids=[b[1][:30] for b in BROKEN])
def test_broken_tool_gives_located_error(tmp_path, text, message, line):
    path = tmp_path / "t.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CallgramError) as err:
        load_tool(path, "tools/t.json")
    assert message in str(err.value)
    assert str(err.value).startswith(f"tools/t.json:{line}:")


def test_empty_tools_folder(tmp_path):
    with pytest.raises(CallgramError, match="no tool definitions"):
        load_tools(tmp_path)
