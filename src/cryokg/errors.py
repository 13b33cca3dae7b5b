"""Errors that the command line turns into clear messages and exit status 2."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["BadInput", "EngineUnsupported", "SourceError"]


class BadInput(Exception):
    """Input the user gave us is unusable (exit status 2). The message says what and where."""


class EngineUnsupported(BadInput):
    """``--engine cryokg`` was asked for shapes that use a feature cryokg's SHACL engine does not evaluate (exit
    status 2, naming the feature); the shapes themselves may be fine, and ``--engine auto`` uses pyshacl."""


@dataclass
class SourceError(BadInput):
    """A problem in one source file, located as precisely as the parser allows."""

    path: Path | str
    message: str
    line: int | None = None
    column: int | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        where = _relative(self.path)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


def _relative(path: Path | str) -> str:
    """*path* relative to the working directory when it lies below it (shorter, clickable messages)."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except (ValueError, OSError):
        return str(path)
