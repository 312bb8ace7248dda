"""Load and check tool definitions: one OpenAI-style function object per ``tools/<name>.json``."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from pydantic import BaseModel, ConfigDict

from engine.errors import CallgramError, did_you_mean, locate
from engine.paths import read_text

# Keywords a parameter schema may use; anything else is almost always a typo ("tpye").
_SCHEMA_KEYWORDS = {
    "type", "description", "enum", "const", "format", "pattern", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "items", "minItems",
    "maxItems", "uniqueItems", "default", "examples", "properties", "required",
    "additionalProperties", "oneOf", "anyOf", "allOf", "not", "title", "multipleOf",
}
# x-result: the shape of the tool's result (engine/observe.py makes fake ones from it); never offered to a model.
# x-pick: a result item the user picks (订第二个) is booked with another tool (engine/context.py pick).
# x-usual: what 老样子 (the usual) means for this tool: {argument: profile field}.
_TOP_KEYWORDS = {"name", "description", "parameters", "strict", "x-result", "x-pick", "x-usual"}


class Tool(BaseModel):
    """A tool the model may call, with a compiled validator for its arguments."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str
    description: str
    parameters: dict[str, Any]
    file: str
    validator: Any = None
    result_schema: dict[str, Any] | None = None
    usual: dict[str, str] | None = None  # x-usual: {argument: profile field}, what 老样子 leaves to the profile
    pick: dict[str, Any] | None = None  # x-pick: {"tool", "noun", "item": {arg: field}, "args": {arg: search arg}, "price", "time", "rating", "windows"}

    @property
    def result(self) -> dict[str, Any] | None:
        """The JSON Schema of the tool's result with its generation hints (``x-result``; engine/observe.py), or None."""
        return self.result_schema

    @property
    def properties(self) -> dict[str, dict]:
        return self.parameters.get("properties", {})

    @property
    def required(self) -> list[str]:
        return list(self.parameters.get("required", []))

    @property
    def derived(self) -> dict[str, dict]:
        """Grammar bindings that set parameters indirectly (``x-derived``; see engine/derive.py)."""
        return self.parameters.get("x-derived", {})

    @property
    def bindable(self) -> dict[str, dict]:
        """Everything a grammar rule may bind: parameters, then derived names, with their schemas."""
        return {**self.properties, **self.derived}

    @property
    def after(self) -> list[list[str]]:
        """Pairs ``[a, b]``: argument a must be later than argument b (``x-after``: check_out after check_in)."""
        return self.parameters.get("x-after", [])

    @property
    def part_of_day(self) -> dict[str, str]:
        """``{date_param: enum_param}``: a date said with a part of the day (明早) also fills the enum (``x-part-of-day``)."""
        return self.parameters.get("x-part-of-day", {})

    @property
    def each_day(self) -> dict[str, int]:
        """``{date_param: most days}``: a period said for the parameter (这周, 未来三天) is one call per day when it
        has at most that many (``x-each-day`` on the parameter); a longer one is asked about."""
        return {p: int(s["x-each-day"]) for p, s in self.properties.items() if "x-each-day" in s}

    @property
    def distinct(self) -> list[list[str]]:
        """Groups of parameters that must not share a value (``x-distinct``: origin ≠ destination)."""
        return self.parameters.get("x-distinct", [])

    def offered(self) -> dict:
        """The definition as offered to a model: OpenAI ``{"type": "function", ...}`` without x- keys."""
        params = {k: v for k, v in self.parameters.items() if not k.startswith("x-")}
        return {"type": "function", "function": {"name": self.name, "description": self.description, "parameters": params}}

    def errors(self, arguments: dict) -> list[str]:
        """Schema violations of ``arguments``, as short messages."""
        return [f"{'/'.join(map(str, e.path)) or '(root)'}: {e.message}" for e in self.validator.iter_errors(arguments)]


def _check_keywords(schema: dict, where: str, text: str, shown: str) -> None:
    """Every key of a schema, at any depth, is a JSON Schema keyword or an ``x-`` extension ("requried"
    would silently make every argument optional)."""
    for key, value in schema.items():
        if key not in _SCHEMA_KEYWORDS and not key.startswith("x-"):
            line, col = locate(text, f'"{key}"', text.find(f'"{where.rsplit("/", 1)[-1]}"'))
            name = f"parameter {where.split('/')[2]!r}" if where.count("/") >= 2 and where.startswith("parameters") else where
            raise CallgramError(f"{name}: unknown schema keyword {key!r}{did_you_mean(key, _SCHEMA_KEYWORDS)}", shown, line, col)
        if key == "properties" and isinstance(value, dict):
            for pname, sub in value.items():
                if isinstance(sub, dict):
                    _check_keywords(sub, f"{where}/properties/{pname}" if where != "parameters" else f"parameters/properties/{pname}", text, shown)
        elif key == "items" and isinstance(value, dict):
            _check_keywords(value, f"{where}/items", text, shown)


def load_tools(folder: Path, rel=str) -> dict[str, Tool]:
    """Every ``*.json`` in ``folder``, checked; raises CallgramError on the first problem."""
    tools: dict[str, Tool] = {}
    for path in sorted(folder.glob("*.json")):
        tool = load_tool(path, rel(path))
        tools[tool.name] = tool
    if not tools:
        raise CallgramError("no tool definitions found", rel(folder))
    return tools


def load_tool(path: Path, shown: str) -> Tool:
    """One tool file, checked for shape, JSON Schema validity and keyword typos."""
    text = read_text(path, shown)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise CallgramError(f"invalid JSON: {e.msg}", shown, e.lineno, e.colno) from None
    if not isinstance(data, dict):
        raise CallgramError("a tool file holds one JSON object", shown, 1, 1)
    if data.get("type") == "function" and isinstance(data.get("function"), dict):
        data = data["function"]  # accept the wrapped OpenAI form too
    for key in data:
        if key not in _TOP_KEYWORDS:
            raise CallgramError(f"unknown key {key!r}{did_you_mean(key, _TOP_KEYWORDS)}", shown, *locate(text, f'"{key}"'))
    for key in ("name", "description", "parameters"):
        if key not in data:
            raise CallgramError(f"missing {key!r}", shown, 1, 1)
    name = data["name"]
    if name != path.stem:
        raise CallgramError(f"tool name {name!r} must match the file name {path.stem!r}", shown, *locate(text, f'"{name}"'))
    params = data["parameters"]
    if not isinstance(params, dict) or params.get("type") != "object":
        raise CallgramError('"parameters" must be a JSON Schema with "type": "object"', shown, *locate(text, '"parameters"'))
    props = params.get("properties", {})
    _check_keywords(params, "parameters", text, shown)
    for req in params.get("required", []):
        if req not in props:
            raise CallgramError(f"required parameter {req!r} is not in properties{did_you_mean(req, props)}", shown, *locate(text, f'"{req}"', text.find('"required"')))
    for dname, spec in params.get("x-derived", {}).items():
        where = locate(text, f'"{dname}"', text.find('"x-derived"'))
        if dname in props:
            raise CallgramError(f"derived name {dname!r} is also a parameter", shown, *where)
        if spec.get("derive") not in ("add_days", "span"):
            raise CallgramError(f"derived {dname!r}: 'derive' must be add_days or span", shown, *where)
        targets = spec.get("to") if isinstance(spec.get("to"), list) else [spec.get("to")]
        for t in targets + ([spec["from"]] if spec.get("derive") == "add_days" else []):
            if t not in props:
                raise CallgramError(f"derived {dname!r} names unknown parameter {t!r}", shown, *where)
    for pair in params.get("x-after", []):
        for pname in pair:
            if pname not in props:
                raise CallgramError(f"x-after names unknown parameter {pname!r}", shown, *locate(text, '"x-after"'))
    for src, target in params.get("x-part-of-day", {}).items():
        for pname in (src, target):
            if pname not in props:
                raise CallgramError(f"x-part-of-day names unknown parameter {pname!r}", shown, *locate(text, '"x-part-of-day"'))
        if "enum" not in props[target]:
            raise CallgramError(f"x-part-of-day: {target!r} must be an enum parameter", shown, *locate(text, '"x-part-of-day"'))
    for pname, sub in props.items():
        if "x-each-day" in sub and (sub.get("format") != "date" or not isinstance(sub["x-each-day"], int) or sub["x-each-day"] < 2):
            raise CallgramError(f"parameter {pname!r}: x-each-day needs a date parameter and a number of days of at least 2", shown, *locate(text, '"x-each-day"'))
    for group in params.get("x-distinct", []):
        for pname in group:
            if pname not in props:
                raise CallgramError(f"x-distinct names unknown parameter {pname!r}", shown, *locate(text, '"x-distinct"'))
    try:
        jsonschema.Draft202012Validator.check_schema(params)
    except jsonschema.SchemaError as e:
        where = "/".join(str(p) for p in e.path) or "parameters"
        needle = json.dumps(e.instance, ensure_ascii=False) if isinstance(e.instance, (str, int, float)) else f'"{e.path[-1] if e.path else "parameters"}"'
        raise CallgramError(f"invalid JSON Schema at {where}: {e.message}", shown, *locate(text, needle)) from None
    validator = jsonschema.Draft202012Validator(params, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    result = data.get("x-result")
    if result is not None:
        _check_result(result, text, shown)
    pick = data.get("x-pick")
    if pick is not None and (not isinstance(pick, dict) or not isinstance(pick.get("tool"), str) or not isinstance(pick.get("item"), dict)):
        raise CallgramError('"x-pick" needs "tool" (the tool that books an item) and "item" ({argument: item field})', shown, *locate(text, '"x-pick"'))
    return Tool(name=name, description=data["description"], parameters=params, file=shown, validator=validator, result_schema=result, pick=pick, usual=data.get("x-usual"))


def _check_result(result: Any, text: str, shown: str) -> None:
    """``x-result`` is a JSON Schema object, keyword typos refused as in parameters (its hints are checked
    where they are read, engine/observe.py)."""
    where = locate(text, '"x-result"')
    if not isinstance(result, dict):
        raise CallgramError('"x-result" must be a JSON Schema object', shown, *where)
    _check_keywords(result, "x-result", text, shown)
    try:
        jsonschema.Draft202012Validator.check_schema(result)
    except jsonschema.SchemaError as e:
        raise CallgramError(f"invalid JSON Schema in x-result at {'/'.join(str(p) for p in e.path) or '(root)'}: {e.message}", shown, *where) from None
