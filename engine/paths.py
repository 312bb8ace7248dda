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
