"""The pipeline as a straight line: load → expand → resolve → verify → export, for sample indices.

Indices are split into chunks, made lazily and handed round-robin to worker processes; results come back
in index order and stream to a temp file, so memory does not grow with ``n`` and the output does not
depend on the number of workers. An interrupt leaves no temp file and the previous output untouched. ``--shard K/N`` keeps indices ≡ K (mod N): shards concatenate to the same data.
"""
from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import multiprocessing as mp
import os
import shutil
import signal
import sys
import threading
import traceback
from collections import Counter
from pathlib import Path
from typing import Iterator

from pydantic import BaseModel

from engine.compose import Composer
from engine.config import GenerateConfig
from engine.export import EXPORTERS
from engine.errors import CallgramError
from engine.export.base import _SIGNALS, Staged, signals_held
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


def generate(project: Project, config: GenerateConfig, out_dir: Path, workers: int = 1, shard: Shard = Shard(), fmt: str = "openai",
             progress: bool = False, dropped: Path | None = None) -> RunReport:
    """Generate ``config.n`` samples (this shard's share) into ``out_dir``; returns the run report.
    With ``dropped``, every dropped attempt is written there as a JSON line (reason, text, wanted and rival reading).

    Every file is written to a temp file first and all are renamed together at the end. An interrupt
    (KeyboardInterrupt, or :class:`Signalled` from :func:`signals_raise`) removes the temp files, stops the
    workers and raises :class:`Interrupted`; ``out_dir`` then holds exactly what it held before."""
    global _composer
    indices = shard.indices(config.n)
    exporter = EXPORTERS[fmt](out_dir)
    check_output(out_dir, len(indices), [exporter.path.name, "tools.json", "manifest.json"])
    _composer = Composer(project, config)
    kinds, intents, tags, drops = Counter(), Counter(), Counter(), Counter()
    written = lost = 0
    verification: Counter = Counter()
    staged = Staged()
    created = not Path(out_dir).exists()
    try:
        with exporter, _progress(progress, len(indices)) as advance, contextlib.closing(_run(indices, workers)) as results, \
                (staged.open(dropped) if dropped else contextlib.nullcontext()) as drop_file:
            for lines, meta, stats in results:
                for line, (kind, intent, sample_tags, sample_drops) in zip(lines, meta):
                    drops.update(d["reason"] for d in sample_drops)
                    if drop_file is not None:
                        drop_file.writelines(json.dumps(d, ensure_ascii=False) + "\n" for d in sample_drops)
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
            exporter.detach(staged)
        report = RunReport(
            written=written, lost=lost, drops=dict(sorted(drops.items())),
            counts={"kind": dict(sorted(kinds.items())), "intent": dict(sorted(intents.items())), "tag": dict(sorted(tags.items()))},
            verification=dict(verification),
        )
        if config.tools_file:  # written once here; each sample names the tools it offers
            tools = [t.offered() for _, t in sorted(project.tools.items())]
            staged.add_text(Path(out_dir) / "tools.json", json.dumps(tools, ensure_ascii=False, indent=2) + "\n")
        staged.add_text(Path(out_dir) / "manifest.json", json.dumps(_manifest(project, config, shard, report), ensure_ascii=False, indent=2) + "\n")
        staged.commit()
    except KeyboardInterrupt as e:
        raise Interrupted(getattr(e, "signum", signal.SIGINT), written, len(indices), Path(out_dir)) from None
    finally:
        staged.discard()
        if created and not staged.committed:
            with contextlib.suppress(OSError):
                Path(out_dir).rmdir()  # only if empty: a folder this run made and never filled
    return report


# The fewest bytes one sample line takes (the shortest seen is ~600): a run that cannot fit is refused up front.
_MIN_SAMPLE_BYTES = 500


def check_output(out_dir: Path, samples: int, names: list[str] = ()) -> None:
    """Refuse, before anything is loaded or written, an ``--out`` that is a file, cannot be created or
    written, has a folder where an output file goes, or lacks the disk space ``samples`` lines surely need."""
    out = Path(out_dir)
    try:
        if out.exists() and not out.is_dir():
            raise CallgramError("--out: not a folder (a file of that name is in the way)", out)
        probe = out
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        if not probe.is_dir():
            raise CallgramError(f"--out: cannot create a folder inside {probe}: it is a file", out)
        if not os.access(probe, os.W_OK | os.X_OK):
            where = "" if probe == out else f" (cannot create it inside {probe})"
            raise CallgramError(f"--out: not writable{where}", out)
        for name in names:
            if (out / name).is_dir():
                raise CallgramError(f"--out: {name} is a folder; cannot write the output file there", out)
        free = shutil.disk_usage(probe).free
    except OSError as e:
        raise CallgramError(f"--out: {e.strerror or e}", out) from None
    need = samples * _MIN_SAMPLE_BYTES
    if need > free:
        raise CallgramError(f"--out: {samples:,} samples need at least {_size(need)}; {_size(free)} free there", out)


def _size(b: int) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= scale:
            return f"{b / scale:,.1f} {unit}"
    return f"{b} bytes"


class Signalled(KeyboardInterrupt):
    """SIGINT or SIGTERM, raised in the main thread by :func:`signals_raise`."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class Interrupted(KeyboardInterrupt):
    """A run stopped by a signal, after its temp files were removed and its workers stopped."""

    def __init__(self, signum: int, written: int, total: int, out_dir: Path):
        super().__init__(f"interrupted: {written} of {total} samples written to a temp file, discarded; {out_dir}/ unchanged")
        self.signum, self.written, self.total, self.out_dir = signum, written, total, out_dir

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


@contextlib.contextmanager
def signals_raise():
    """SIGINT and SIGTERM raise :class:`Signalled` in the main thread; after the first, both are ignored, so
    the clean-up it starts (temp files, workers) is not cut short. The previous handlers come back on exit."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        for s in _SIGNALS:
            signal.signal(s, signal.SIG_IGN)
        raise Signalled(signum)

    old = {s: signal.signal(s, handler) for s in _SIGNALS}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


class WorkerFailed(CallgramError):
    """A worker process died (killed from outside: the OOM killer, SIGKILL); the run wrote nothing."""


def _chunks(indices: range) -> Iterator[range]:
    """The indices in chunks, made one at a time (memory stays flat for any ``n``)."""
    return (indices[k:k + _CHUNK] for k in range(0, len(indices), _CHUNK))


def _run(indices: range, workers: int) -> Iterator[tuple[list, list, dict]]:
    """Chunk results in index order. With several workers, worker w composes chunks w, w+W, w+2W… and sends
    each through its own pipe; the parent reads them round-robin, so a worker is at most one chunk ahead."""
    n_chunks = -(-len(indices) // _CHUNK)
    if workers <= 1 or n_chunks <= 1:
        yield from map(_work, _chunks(indices))
        return
    # fork: workers inherit the loaded project and composer instead of recompiling the grammars.
    ctx = mp.get_context("fork")
    procs, conns = [], []
    try:
        with signals_held():  # children start with SIGINT/SIGTERM held until they have set their own handling
            for w in range(workers):
                recv, send = ctx.Pipe(duplex=False)
                p = ctx.Process(target=_worker, args=(w, workers, indices, send), daemon=True)
                p.start()
                send.close()
                procs.append(p)
                conns.append(recv)
        for j in range(n_chunks):
            w = j % workers
            try:
                status, payload = conns[w].recv()
            except EOFError:
                procs[w].join(1)
                if procs[w].exitcode in (-signal.SIGINT, -signal.SIGTERM, -signal.SIGHUP):  # signalled with the whole group
                    raise Signalled(-procs[w].exitcode) from None
                raise WorkerFailed(f"worker process {w + 1} stopped unexpectedly (exit code {procs[w].exitcode}); nothing written") from None
            if status != "ok":
                raise RuntimeError(f"worker process {w + 1} failed:\n{payload}")  # a bug: show its traceback
            yield payload
    finally:
        with signals_held():
            for p in procs:
                if p.exitcode is None:
                    p.terminate()
            for p in procs:
                p.join(5)
                if p.exitcode is None:
                    p.kill()
                    p.join()
            for c in conns:
                c.close()


def _worker(w: int, workers: int, indices: range, conn) -> None:
    """A worker process: Ctrl-C (sent to the whole process group) is the parent's to handle; SIGTERM from
    the parent ends it at once. A parent that went away ends it quietly."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
    try:
        for chunk in itertools.islice(_chunks(indices), w, None, workers):
            conn.send(("ok", _work(chunk)))
    except (BrokenPipeError, ConnectionResetError):
        os._exit(0)
    except BaseException:  # a bug: the parent reports it
        try:
            conn.send(("error", traceback.format_exc()))
        except OSError:
            pass
    finally:
        conn.close()


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
