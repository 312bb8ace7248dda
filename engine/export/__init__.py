"""Exporters: one module per output format, registered here by name."""
from __future__ import annotations

from engine.export.base import Exporter
from engine.export.jsonl import OpenAIChatJsonl

EXPORTERS: dict[str, type[Exporter]] = {OpenAIChatJsonl.name: OpenAIChatJsonl}

__all__ = ["EXPORTERS", "Exporter"]
