"""A build killed with SIGKILL at any point leaves one complete release in build/ (old or new, never a mix),
and the next build cleans up what the killed one left behind.

Each kill point starts a real ``cryokg build --verbose`` process, waits until it announces a stage (or, while
writing, until a given number of files sit in its staging folder), lets it run a little longer, and kills it.
build/ must then hold exactly the files its manifest lists, each with the manifest's checksum, and be the old
release or the new one. The leftovers are then cleaned by :func:`cryokg.release.atomic.clean_leftovers`, the first
thing every build does; one test runs the whole sequence (kill, then a complete build) end to end.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from tests.conftest import SOURCES

from cryokg.release.atomic import clean_leftovers

pytestmark = pytest.mark.slow

# (stage announced by --verbose, then either seconds to wait or "files:N/D" = until N/D of the files are staged)
KILL_POINTS = [
    ("loading", 0.0), ("reasoning", 0.0), ("validating", 0.0), ("validating", 0.3),
    ("writing", 0.0), ("writing", "files:1/3"), ("writing", "files:2/3"), ("writing", "files:3/3"),
    ("swapping", 0.0), ("swapping", 0.002), ("done", 0.0),
]
DEADLINE = 120.0  # seconds a build may take to reach a stage before the test gives up (no hang on CI)


def _command(sources: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "cryokg.cli", "build", "--quiet", *extra, "--sources", str(sources),
            "--out", str(out)]


def _build(sources: Path, out: Path) -> None:
    subprocess.run(_command(sources, out), check=True, timeout=DEADLINE)


class _Build:
    """A build process whose stage lines are read by a thread, so waiting for one can time out."""

    def __init__(self, sources: Path, out: Path) -> None:
        self.proc = subprocess.Popen(_command(sources, out, "--verbose"), stderr=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, text=True)
        self.staging = out.resolve().parent / f".{out.name}.tmp-{self.proc.pid}"
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line.strip())
        self.lines.put(None)

    def wait_for_stage(self, stage: str) -> bool:
        end = time.monotonic() + DEADLINE
        while (left := end - time.monotonic()) > 0:
            line = self.lines.get(timeout=left)
            if line is None:
                return False  # the build ended without announcing the stage
            if line == f"cryokg build: {stage}":
                return True
        raise TimeoutError(f"the build did not reach {stage} within {DEADLINE} s")

    def wait_for_files(self, count: int) -> None:
        end = time.monotonic() + DEADLINE
        while time.monotonic() < end and self.proc.poll() is None:
            try:
                if sum(1 for p in self.staging.rglob("*") if p.is_file()) >= count:
                    return
            except OSError:
                pass  # the folder is being renamed or removed under us
            time.sleep(0.0005)

    def kill(self) -> int:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        return self.proc.wait(timeout=DEADLINE)


def _release_id(out: Path) -> str:
    """Check *out* holds exactly the files its manifest lists, with matching checksums; return its identity."""
    manifest = json.loads((out / "manifest.json").read_text())
    on_disk = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()} - {"manifest.json"}
    assert on_disk == set(manifest["files"]), "build/ holds files its manifest does not list, or lacks some"
    for name, info in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == info["sha256"], f"{name} is from another release"
    return manifest["files"]["cryokg.nt"]["sha256"]


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Old sources and their release, and new sources that build a different release (built once here)."""
    root = tmp_path_factory.mktemp("kill")
    paths = {"old_sources": root / "old", "new_sources": root / "new", "old": root / "old-release",
             "new": root / "new-release"}
    shutil.copytree(SOURCES, paths["old_sources"])
    shutil.copytree(SOURCES, paths["new_sources"])
    codes = paths["new_sources"] / "data" / "codes.ttl"
    text = codes.read_text()
    assert 'skos:altLabel "0440T"@en' in text
    codes.write_text(text.replace('skos:altLabel "0440T"@en', 'skos:altLabel "0440T"@en , "cryo 0440T"@en', 1))
    _build(paths["old_sources"], paths["old"])
    _build(paths["new_sources"], paths["new"])
    assert _release_id(paths["old"]) != _release_id(paths["new"]), "the two sources must build different releases"
    return paths


@pytest.fixture
def out(tmp_path: Path, releases: dict[str, Path]) -> Path:
    """build/ holding the old release, in a folder of its own."""
    target = tmp_path / "build"
    shutil.copytree(releases["old"], target)
    return target


def _kill_at(releases: dict[str, Path], out: Path, stage: str, then: float | str) -> tuple[bool, int]:
    build = _Build(releases["new_sources"], out)
    try:
        reached = build.wait_for_stage(stage)
        if isinstance(then, str):
            numerator, denominator = map(int, then.removeprefix("files:").split("/"))
            total = len(json.loads((releases["new"] / "manifest.json").read_text())["files"])
            build.wait_for_files(max(1, total * numerator // denominator))
        elif then:
            time.sleep(then)
    finally:
        code = build.kill()
    return reached, code


@pytest.mark.parametrize(("stage", "then"), KILL_POINTS, ids=[f"{s}-{t}" for s, t in KILL_POINTS])
def test_sigkill_leaves_one_complete_release(releases, out: Path, stage: str, then: float | str) -> None:
    identities = {_release_id(releases["old"]), _release_id(releases["new"])}
    reached, code = _kill_at(releases, out, stage, then)
    assert reached or code == 0, f"the build never reached stage {stage}"
    assert _release_id(out) in identities, "build/ holds neither the old nor the new release"
    # what the next build does first: remove the killed build's staging folders, keep the release
    clean_leftovers(out.resolve())
    assert not list(out.parent.glob(f".{out.name}.*")), "staging folders left after clean-up"
    assert _release_id(out) in identities


def test_next_build_after_a_kill_completes_and_cleans_up(releases, out: Path) -> None:
    _kill_at(releases, out, "writing", "files:1/2")
    assert list(out.parent.glob(f".{out.name}.tmp-*")), "the kill left no staging folder: nothing to clean"
    _build(releases["new_sources"], out)
    assert _release_id(out) == _release_id(releases["new"])
    assert not list(out.parent.glob(f".{out.name}.*")), "leftover staging folders after a complete build"


def test_interrupted_fallback_swap_is_restored(out: Path) -> None:
    """Where renameat2 is missing the swap is two renames; a crash between them leaves only the backup."""
    before = _release_id(out)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that no longer runs, as after a SIGKILL
    out.rename(out.parent / f".{out.name}.old-{dead.pid}")
    clean_leftovers(out.resolve())
    assert _release_id(out) == before
    assert not list(out.parent.glob(f".{out.name}.*"))
