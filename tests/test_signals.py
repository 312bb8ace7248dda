"""Ctrl-C and SIGTERM during ``callgram generate``: workers stop, no traceback, no temp file, the previous
output byte-identical, one line on stderr, exit 130 / 143 — with one worker and with two.

Each combination (SIGINT to the process group as Ctrl-C sends it; SIGTERM to the parent as ``kill`` does,
or to the whole group as ``timeout``/service managers do) runs ``CALLGRAM_SIGNAL_REPS`` times (default 2;
set 10 for the full check), at different moments after writing began. The runs are real CLI processes on
the shipped project; they run 4 at a time so the suite stays fast.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPS = int(os.environ.get("CALLGRAM_SIGNAL_REPS", "2"))
AT_ONCE = 4
DELAYS = [0.0, 0.4, 1.5, 0.1, 0.8, 2.5, 0.2, 1.0, 0.05, 3.0]  # seconds after the temp file appears
PREVIOUS = {  # a previous run's output: must come out of the interrupted run byte-identical
    "samples.jsonl": '{"id": "old-1", "messages": []}\n{"id": "old-2", "messages": []}\n',
    "manifest.json": '{"seed": 1, "samples": 2}\n',
    "tools.json": "[]\n",
}


def _one(out: Path, sig: int, workers: int, delay: float, group: bool) -> list[str]:
    """Run, signal, check; the problems found (empty when all is well)."""
    out.mkdir(parents=True)
    for name, text in PREVIOUS.items():
        (out / name).write_text(text, encoding="utf-8")
    cmd = [sys.executable, "-m", "engine.cli", "--root", str(ROOT), "generate", "--n", "200000", "--seed", "5",
           "--out", str(out), "--workers", str(workers)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    problems = []
    try:
        deadline = time.monotonic() + 60
        while not any(p.name.startswith(".samples.jsonl.") for p in out.iterdir()):
            if proc.poll() is not None or time.monotonic() > deadline:
                problems.append(f"never started writing (exit {proc.returncode})")
                break
            time.sleep(0.02)
        time.sleep(delay)
        if group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
        try:
            _, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            problems.append("hung: no exit within 30 s of the signal")
            _, err = b"", b""
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    err = err.decode("utf-8", "replace")
    want = 128 + sig
    if proc.returncode != want:
        problems.append(f"exit {proc.returncode}, expected {want}")
    if "Traceback" in err:
        problems.append(f"traceback on stderr:\n{err}")
    lines = err.strip().splitlines()
    if len(lines) != 1 or not lines[0].startswith("interrupted"):
        problems.append(f"stderr is not one 'interrupted' line: {err!r}")
    names = sorted(p.name for p in out.iterdir())
    if names != sorted(PREVIOUS):
        problems.append(f"files left: {names}")
    for name, text in PREVIOUS.items():
        if (out / name).exists() and (out / name).read_text(encoding="utf-8") != text:
            problems.append(f"{name} changed")
    # no worker outlives the run
    time.sleep(0.1)
    try:
        os.killpg(proc.pid, 0)
        problems.append("a process of the run is still alive")
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return problems


def test_interrupts_leave_previous_output(tmp_path):
    jobs = []
    for sig, group_first in ((signal.SIGINT, True), (signal.SIGTERM, False)):
        for workers in (1, 2):
            for rep in range(REPS):
                group = group_first if sig == signal.SIGINT else rep % 2 == 1  # SIGTERM: kill, then kill of the group
                name = f"{signal.Signals(sig).name}-w{workers}-{rep}{'-group' if group else ''}"
                jobs.append((name, tmp_path / name, sig, workers, DELAYS[rep % len(DELAYS)], group))
    with ThreadPoolExecutor(AT_ONCE) as pool:
        results = list(pool.map(lambda j: (j[0], _one(*j[1:])), jobs))
    failed = {name: problems for name, problems in results if problems}
    assert not failed, "\n".join(f"{name}: {'; '.join(p)}" for name, p in failed.items())


def test_interrupt_before_writing(tmp_path):
    """SIGTERM while the project is still loading: the same clean exit, nothing created."""
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "engine.cli", "--root", str(ROOT), "generate", "--n", "1000", "--out", str(out)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(2.5)  # imports done (~0.5 s), grammars still compiling (~4 s)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143
    assert err.decode().strip().splitlines() == [f"interrupted before writing began; {out}/ unchanged"]
    assert not out.exists()


def test_a_signal_delivered_as_the_temp_file_appears_leaves_none(tmp_path, monkeypatch):
    """Signals held while the temp file is made are delivered as the block ends, inside __enter__: ``with``
    then never calls __exit__, so __enter__ itself must remove the file."""
    import contextlib

    from engine.export import base
    from engine.export.jsonl import OpenAIChatJsonl

    @contextlib.contextmanager
    def delivered_on_exit():
        yield
        raise KeyboardInterrupt  # what the SIGINT handler raises once the signal is unblocked

    monkeypatch.setattr(base, "signals_held", delivered_on_exit)
    try:
        with OpenAIChatJsonl(tmp_path):
            pass
    except KeyboardInterrupt:
        pass
    assert list(tmp_path.iterdir()) == []
