"""The exporter contract: stream samples into a temp file, rename into place only when complete.

A run's files (samples, tools.json, manifest.json) can be staged as temp files and renamed together with
SIGINT/SIGTERM held back (:class:`Staged`), so an interrupt leaves either the previous output or the new one.
"""
from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import threading

_UMASK = os.umask(0)
os.umask(_UMASK)
from pathlib import Path
from typing import IO

from engine.samples import Sample

_SIGNALS = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def signals_held():
    """Hold SIGINT and SIGTERM back for a few lines (delivered on exit), so a temp file is never orphaned."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


class Exporter:
    """Writes samples to ``<out>/<filename>`` atomically; subclasses format one sample as text."""

    name = "base"
    filename = "samples.txt"

    def __init__(self, out_dir: Path):
        self.path = Path(out_dir) / self.filename
        self._tmp: IO[str] | None = None
        self._tmp_path = ""
        self._detached = False

    def format(self, sample: Sample) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def __enter__(self) -> "Exporter":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with signals_held():  # the temp file and the record of it appear together
                fd, self._tmp_path = tempfile.mkstemp(prefix=f".{self.filename}.", dir=self.path.parent)
                self._tmp = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        except BaseException:
            # A signal held back is delivered as the block ends, and raises here: ``with`` then never calls
            # __exit__, so the temp file is removed now (seen under load: SIGTERM right as the file appeared).
            if self._tmp is not None:
                self._tmp.close()
            if self._tmp_path:
                _unlink(self._tmp_path)
            raise
        return self

    def write(self, sample: Sample) -> None:
        self._tmp.write(self.format(sample))

    def write_line(self, line: str) -> None:
        """Write an already formatted sample (from a worker process)."""
        self._tmp.write(line)

    def detach(self, staged: "Staged") -> None:
        """Close the temp file and hand it to ``staged`` (renamed with the run's other files) instead of renaming it on exit."""
        self._tmp.close()
        staged.add(self._tmp_path, self.path)
        self._detached = True

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._detached:
            return
        try:
            self._tmp.close()
        finally:
            if exc_type is None:
                os.chmod(self._tmp_path, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are ordinary files
                os.replace(self._tmp_path, self.path)
            else:
                _unlink(self._tmp_path)


class Staged:
    """Temp files beside their targets: all renamed into place at once (:meth:`commit`), or all removed."""

    def __init__(self):
        self.files: list[tuple[str, Path]] = []
        self.committed = False

    def add(self, tmp: str, target: Path) -> None:
        self.files.append((tmp, Path(target)))

    def add_text(self, path: Path, text: str) -> None:
        with self.open(path) as f:
            f.write(text)

    def open(self, path: Path):
        """A text file to stream into, renamed to ``path`` on :meth:`commit` (the caller closes it first)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with signals_held():
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            self.add(tmp, path)
        return os.fdopen(fd, "w", encoding="utf-8", newline="\n")

    def commit(self) -> None:
        with signals_held():
            for tmp, target in self.files:
                os.chmod(tmp, 0o666 & ~_UMASK)
                os.replace(tmp, target)
            self.files = []
            self.committed = True

    def discard(self) -> None:
        with signals_held():
            for tmp, _ in self.files:
                _unlink(tmp)
            self.files = []


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def write_atomic(path: Path, text: str) -> None:
    """Write a small file whole or not at all."""
    staged = Staged()
    try:
        staged.add_text(path, text)
        staged.commit()
    finally:
        staged.discard()
