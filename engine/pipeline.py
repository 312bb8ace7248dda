"""The pipeline as a straight line: load → expand → resolve → verify → export, for sample indices.

Indices are split into chunks handed to worker processes; results come back in index order and
stream to a temp file, so memory does not grow with ``n`` and the output does not depend on the
number of workers. ``--shard K/N`` keeps indices ≡ K (mod N): shards concatenate to the same data.
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import sys
from collections import Counter
from pathlib import Path
from typing import Iterator

from pydantic import BaseModel

from engine.compose import Composer
from engine.config import GenerateConfig
from engine.export import EXPORTERS
from engine.export.base import write_atomic
from engine.project import Project

_CHUNK = 200
_composer: Composer | None = None  # per process: inherited through fork, or built once per worker


class Shard(BaseModel):
    """Which slice of the indices this run generates."""

    index: int = 0
    count: int = 1

    def indices(self, n: int) -> range:
        return range(self.index, n, self.count)


class RunReport(BaseModel):
    """What a run did, for the manifest and the closing summary line."""

    written: int
    lost: int
    drops: dict[str, int]
    counts: dict[str, dict[str, int]]
    verification: dict[str, int]


def generate(project: Project, config: GenerateConfig, out_dir: Path, workers: int = 1, shard: Shard = Shard(), fmt: str = "openai", progress: bool = False) -> RunReport:
    """Generate ``config.n`` samples (this shard's share) into ``out_dir``; returns the run report."""
    global _composer
    _composer = Composer(project, config)
    indices = shard.indices(config.n)
    chunks = [indices[k:k + _CHUNK] for k in range(0, len(indices), _CHUNK)]
    kinds, intents, tags, drops = Counter(), Counter(), Counter(), Counter()
    written = lost = 0
    verification: Counter = Counter()
    exporter = EXPORTERS[fmt](out_dir)
    with exporter, _progress(progress, len(indices)) as advance:
        for lines, meta, stats in _run(chunks, workers):
            for line, (kind, intent, sample_tags, sample_drops) in zip(lines, meta):
                drops.update(sample_drops)
                if line is None:
                    lost += 1
                    continue
                exporter.write_line(line)
                written += 1
                kinds[kind] += 1
                intents[intent] += 1
                tags.update(sample_tags)
            verification.update(stats)
            advance(len(lines))
    report = RunReport(
        written=written, lost=lost, drops=dict(sorted(drops.items())),
        counts={"kind": dict(sorted(kinds.items())), "intent": dict(sorted(intents.items())), "tag": dict(sorted(tags.items()))},
        verification=dict(verification),
    )
    if config.tools_file:  # written once here; each sample names the tools it offers
        tools = [t.offered() for _, t in sorted(project.tools.items())]
        write_atomic(Path(out_dir) / "tools.json", json.dumps(tools, ensure_ascii=False, indent=2) + "\n")
    write_atomic(Path(out_dir) / "manifest.json", json.dumps(_manifest(project, config, shard, report), ensure_ascii=False, indent=2) + "\n")
    return report


def _run(chunks, workers: int) -> Iterator[tuple[list, list, dict]]:
    if workers <= 1 or len(chunks) <= 1:
        yield from map(_work, chunks)
        return
    # fork: workers inherit the loaded project and composer instead of recompiling the grammars.
    with mp.get_context("fork").Pool(workers) as pool:
        yield from pool.imap(_work, chunks)


def _work(chunk: range):
    """Compose one chunk of indices into formatted lines (runs in a worker)."""
    before = dict(_composer.verifier.stats)
    fmt = EXPORTERS["openai"](Path("."))
    lines, meta = [], []
    for i in chunk:
        out = _composer.compose(i)
        s = out.sample
        lines.append(fmt.format(s) if s is not None else None)
        meta.append((s.kind, s.intent, s.tags, out.drops) if s is not None else (None, None, [], out.drops))
    stats = {k: v - before.get(k, 0) for k, v in _composer.verifier.stats.items()}
    return lines, meta, stats


def _manifest(project: Project, config: GenerateConfig, shard: Shard, report: RunReport) -> dict:
    inputs = {}
    for path in project.paths.input_files():
        inputs[project.paths.rel(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return {
        "seed": config.seed,
        "config": json.loads(config.model_dump_json()),
        "shard": f"{shard.index}/{shard.count}",
        "samples": report.written,
        "lost_indices": report.lost,
        "counts": report.counts,
        "drops": report.drops,
        "inputs": inputs,
    }


class _progress:
    """A rich progress bar on stderr when it is a terminal; otherwise nothing."""

    def __init__(self, enabled: bool, total: int):
        self.enabled = enabled and sys.stderr.isatty()
        self.total = total

    def __enter__(self):
        if not self.enabled:
            return lambda k: None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self.bar = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=Console(stderr=True))
        self.bar.__enter__()
        task = self.bar.add_task("generating", total=self.total)
        return lambda k: self.bar.advance(task, k)

    def __exit__(self, *exc):
        if self.enabled:
            self.bar.__exit__(*exc)
