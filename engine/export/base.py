"""The exporter contract: stream samples into a temp file, rename into place only when complete."""
from __future__ import annotations

import os
import tempfile

_UMASK = os.umask(0)
os.umask(_UMASK)
from pathlib import Path
from typing import IO

from engine.samples import Sample


class Exporter:
    """Writes samples to ``<out>/<filename>`` atomically; subclasses format one sample as text."""

    name = "base"
    filename = "samples.txt"

    def __init__(self, out_dir: Path):
        self.path = Path(out_dir) / self.filename
        self._tmp: IO[str] | None = None
        self._tmp_path = ""

    def format(self, sample: Sample) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def __enter__(self) -> "Exporter":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, self._tmp_path = tempfile.mkstemp(prefix=f".{self.filename}.", dir=self.path.parent)
        self._tmp = os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        return self

    def write(self, sample: Sample) -> None:
        self._tmp.write(self.format(sample))

    def write_line(self, line: str) -> None:
        """Write an already formatted sample (from a worker process)."""
        self._tmp.write(line)

    def __exit__(self, exc_type, exc, tb) -> None:
        self._tmp.close()
        if exc_type is None:
            os.chmod(self._tmp_path, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs are ordinary files
            os.replace(self._tmp_path, self.path)
        else:
            os.unlink(self._tmp_path)


def write_atomic(path: Path, text: str) -> None:
    """Write a small file whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.chmod(tmp, 0o666 & ~_UMASK)
    os.replace(tmp, path)
