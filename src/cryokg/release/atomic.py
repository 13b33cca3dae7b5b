"""Replace a whole output folder in one step, so readers see the old release or the new one, never a mix.

On Linux ``renameat2(RENAME_EXCHANGE)`` swaps two directories atomically; elsewhere we fall back to two
renames (a crash between them leaves ``<out>`` missing, and the next build restores it from the backup).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

__all__ = ["clean_leftovers", "staging_dir", "swap_in"]

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _renameat2_exchange(a: Path, b: Path) -> bool:
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    func = getattr(libc, "renameat2", None)
    if func is None:
        return False
    func.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    result = func(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return result == 0


def _leftovers(out: Path) -> list[Path]:
    return sorted(out.parent.glob(f".{out.name}.tmp-*")) + sorted(out.parent.glob(f".{out.name}.old-*"))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_leftovers(out: Path) -> list[Path]:
    """Remove staging folders left by builds that were killed; restore *out* if a crash lost it."""
    removed = []
    for path in _leftovers(out):
        pid_text = path.name.rsplit("-", 1)[-1]
        if pid_text.isdigit() and _pid_alive(int(pid_text)) and int(pid_text) != os.getpid():
            continue  # another build is running right now
        if path.name.startswith(f".{out.name}.old-") and not out.exists():
            path.rename(out)  # the two-rename fallback was interrupted: put the old release back
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


@contextlib.contextmanager
def staging_dir(out: Path) -> Iterator[Path]:
    """A fresh folder beside *out* (same file system, so the final rename is atomic); removed on error."""
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(out)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def swap_in(tmp: Path, out: Path) -> None:
    """Make *tmp* the new *out*; the previous contents are discarded."""
    out = out.resolve()
    for path in tmp.rglob("*"):  # data must be on disk before the rename makes it visible
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    if out.exists() and _renameat2_exchange(tmp, out):
        # tmp now holds the old release; the caller's staging_dir() removes it
        return
    if out.exists():
        backup = out.parent / f".{out.name}.old-{os.getpid()}"
        out.rename(backup)
        tmp.rename(out)
        shutil.rmtree(backup, ignore_errors=True)
    else:
        tmp.rename(out)
    tmp.mkdir()  # staging_dir() expects to remove something
