"""The README's promises: exactly two set-up commands, and the worked example runs as written."""
from __future__ import annotations

import json
import re
from pathlib import Path

from engine.cli import main
from engine.lint import lint

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_two_setup_commands():
    setup = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    commands = [line.strip() for line in setup.splitlines() if line.startswith("    ")]
    assert commands == ["pip install -e . && callgram generate --n 2000 --seed 7", "pip install -e '.[test]' && python -m pytest"]
    ci = (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -q -e '.[test]'" in ci and "python -m pytest" in ci


def test_worked_example(project_copy, tmp_path, capsys):
    tool = re.search(r"`tools/get_flight_status.json`:\n\n```json\n(.*?)```", README, re.S).group(1)
    grammar = re.search(r"```lark\n(.*?)```", README, re.S).group(1)
    (project_copy / "tools" / "get_flight_status.json").write_text(tool, encoding="utf-8")
    (project_copy / "grammars" / "get_flight_status.lark").write_text(grammar, encoding="utf-8")
    # lint finds the negative grammar that already answers flight-status questions...
    assert any("also reads unsupported requests" in str(p) for p in lint(project_copy))
    # ...and the README's narrowing of it makes the project clean
    narrowed = re.search(r"\n    (checkin\.3: .*)\n", README).group(1)
    unsupported = project_copy / "grammars" / "unsupported.lark"
    text = unsupported.read_text(encoding="utf-8")
    old = next(line for line in text.splitlines() if line.startswith("checkin.3:"))
    unsupported.write_text(text.replace(old, narrowed), encoding="utf-8")
    assert [str(p) for p in lint(project_copy)] == []
    assert main(["--root", str(project_copy), "parse", "MU5101明天准点吗", "--today", "2023-10-29", "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["intent"] == "get_flight_status" and row["arguments"] == {"flight_no": "MU5101", "date": "2023-10-30"}
    out = tmp_path / "out"
    assert main(["--root", str(project_copy), "generate", "--n", "600", "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["intent"]["get_flight_status"] > 30
