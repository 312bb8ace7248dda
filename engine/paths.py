"""Where a project's inputs live: grammars/, lexicons/<lang>/, tools/."""
from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel


class ProjectPaths(BaseModel):
    """The three input folders of a callgram project."""

    root: Path
    lang: str = "zh"

    @property
    def grammars(self) -> Path:
        return self.root / "grammars"

    @property
    def lexicons(self) -> Path:
        return self.root / "lexicons" / self.lang

    @property
    def tools(self) -> Path:
        return self.root / "tools"

    def rel(self, path: Path) -> str:
        """A path as the user sees it: relative to the project root when it can be."""
        try:
            return str(Path(path).resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(path)

    def input_files(self) -> list[Path]:
        """Every input file, sorted, for hashing into the manifest."""
        files = [p for d in (self.grammars, self.lexicons, self.tools) if d.exists() for p in d.rglob("*") if p.is_file()]
        return sorted(files)


def read_text(path: Path, shown: str | Path | None = None) -> str:
    """A UTF-8 input file as text (a leading UTF-8 BOM is dropped); unreadable bytes or files are one located error."""
    from engine.errors import CallgramError

    shown = str(path) if shown is None else str(shown)
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError:
        raise CallgramError("is a folder, expected a file", shown) from None
    except OSError as e:
        raise CallgramError(f"cannot read: {e.strerror or e}", shown) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        head = data[start:e.start]
        line = head.count(b"\n") + 1
        col = len(head[head.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
        raise CallgramError(f"not UTF-8: byte 0x{data[e.start]:02x} cannot start or continue a character", shown, line, col) from None
