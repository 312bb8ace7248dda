"""OpenAI chat JSONL exporter against a golden file (regenerate with CALLGRAM_REGOLD=1, then review the diff)."""
from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from engine.compose import Composer
from engine.config import GenerateConfig, project_config
from engine.export.jsonl import OpenAIChatJsonl

GOLDEN = Path(__file__).parent / "golden" / "openai_seed1.jsonl"


def _render(project) -> str:
    c = Composer(project, project_config(project.paths.root, seed=1, today=date(2023, 10, 29)))
    fmt = OpenAIChatJsonl(Path("."))
    return "".join(fmt.format(c.compose(i).sample) for i in range(8))


def test_golden(project):
    text = _render(project)
    if os.environ.get("CALLGRAM_REGOLD"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_atomic_write_leaves_nothing_on_failure(tmp_path, project):
    c = Composer(project, GenerateConfig(seed=1))
    try:
        with OpenAIChatJsonl(tmp_path) as out:
            out.write(c.compose(0).sample)
            raise RuntimeError("interrupted")
    except RuntimeError:
        pass
    assert list(tmp_path.iterdir()) == []
    with OpenAIChatJsonl(tmp_path) as out:
        out.write(c.compose(0).sample)
    assert [p.name for p in tmp_path.iterdir()] == ["samples.jsonl"]
