"""OpenAI chat JSONL: one conversation a line, tool calls with JSON-string arguments."""
from __future__ import annotations

import json

from engine.export.base import Exporter
from engine.samples import Sample


class OpenAIChatJsonl(Exporter):
    """``samples.jsonl``: the sample as JSON, keys in a fixed order, UTF-8 unescaped."""

    name = "openai"
    filename = "samples.jsonl"

    def format(self, sample: Sample) -> str:
        return json.dumps(sample.model_dump(), ensure_ascii=False, separators=(",", ":")) + "\n"
