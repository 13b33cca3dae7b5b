"""Remembering that a set of shapes files passed the SHACL-for-SHACL check, so ``cryokg validate`` does not
import and run pyshacl (about 1.5 s of a 2 s cold run) for shapes it has already checked.

Only passes are remembered, keyed by a SHA-256 of the files' bytes (in order) and pyshacl's version; a failing
check always runs again and names the broken shape. An entry is a small JSON file in the user's cache folder
(``$XDG_CACHE_HOME/cryokg/shacl-shacl/``, default ``~/.cache/cryokg/shacl-shacl/``) that repeats its own key:
anything unreadable, truncated or not matching that key counts as "not checked", so a damaged cache costs
one more check and never a wrong answer. Writes go through a temporary file and an atomic rename; a cache
folder that cannot be written is not an error (the check just runs every time).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

__all__ = ["ShapesCheckCache", "cache_dir"]

FORMAT = 1


def cache_dir() -> Path:
    """cryokg's folder in the user's cache (XDG Base Directory: ``$XDG_CACHE_HOME``, else ``~/.cache``)."""
    base = os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".cache"
    return root / "cryokg"


@dataclass(frozen=True)
class ShapesCheckCache:
    key: str
    path: Path

    @classmethod
    def for_files(cls, files: list[Path]) -> ShapesCheckCache | None:
        """The entry for *files* (``None`` when a file cannot be read: the check then runs and reports it)."""
        digest = hashlib.sha256()
        try:
            checker = version("pyshacl")
        except PackageNotFoundError:
            return None
        digest.update(f"cryokg-shacl-shacl {FORMAT} pyshacl {checker}\n".encode())
        for file in files:
            try:
                data = Path(file).read_bytes()
            except OSError:
                return None
            digest.update(f"{len(data)}\n".encode())
            digest.update(data)
        key = digest.hexdigest()
        return cls(key=key, path=cache_dir() / "shacl-shacl" / f"{key}.json")

    def passed(self) -> bool:
        try:
            entry = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError):
            return False
        return entry == {"format": FORMAT, "key": self.key, "conforms": True}

    def remember_pass(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tmp-")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"format": FORMAT, "key": self.key, "conforms": True}, out)
            os.replace(tmp, self.path)
        except OSError:
            pass
