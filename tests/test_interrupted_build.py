"""A build killed with SIGKILL at any point leaves one complete release in build/ (old or new, never a mix),
and the next build cleans up what the killed one left behind."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.conftest import SOURCES

# (stage to wait for, seconds to let it run before SIGKILL)
KILL_POINTS = [
    ("loading", 0.0), ("reasoning", 0.0), ("reasoning", 0.05), ("validating", 0.0), ("validating", 0.2),
    ("writing", 0.0), ("writing", 0.01), ("writing", 0.03), ("writing", 0.08), ("swapping", 0.0),
    ("swapping", 0.001), ("done", 0.0),
]


def _start(sources: Path, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "cryokg.cli", "build", "--verbose", "--quiet",
                             "--sources", str(sources), "--out", str(out)],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)


def _wait_for(proc: subprocess.Popen[str], stage: str) -> bool:
    assert proc.stderr is not None
    return any(line.strip() == f"cryokg build: {stage}" for line in proc.stderr)


def _release_id(out: Path) -> str:
    """Check *out* holds exactly the files its manifest lists, with matching checksums; return its identity."""
    manifest = json.loads((out / "manifest.json").read_text())
    on_disk = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()} - {"manifest.json"}
    assert on_disk == set(manifest["files"]), "build/ holds files its manifest does not list, or lacks some"
    for name, info in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == info["sha256"], f"{name} is from another release"
    return manifest["files"]["cryokg.nt"]["sha256"]


@pytest.fixture(scope="module")
def two_releases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, set[str]]:
    """An old release already in build/, and sources that build a different, new one."""
    root = tmp_path_factory.mktemp("kill")
    old_sources, new_sources, out = root / "old", root / "new", root / "build"
    shutil.copytree(SOURCES, old_sources)
    shutil.copytree(SOURCES, new_sources)
    extra = new_sources / "data" / "codes.ttl"
    extra.write_text(extra.read_text().replace('skos:altLabel "0440T"@en', 'skos:altLabel "0440T"@en , "cryo 0440T"@en', 1))
    identities = set()
    for sources, target in ((new_sources, root / "expected-new"), (old_sources, out)):
        subprocess.run([sys.executable, "-m", "cryokg.cli", "build", "--quiet", "--sources", str(sources),
                        "--out", str(target)], check=True)
        identities.add(_release_id(target))
    assert len(identities) == 2, "the old and new sources must build different releases"
    return old_sources, new_sources, out, identities


@pytest.mark.parametrize(("stage", "delay"), KILL_POINTS)
def test_sigkill_leaves_one_complete_release(two_releases, stage: str, delay: float) -> None:
    old_sources, new_sources, out, identities = two_releases
    before = _release_id(out)
    proc = _start(new_sources, out)
    try:
        reached = _wait_for(proc, stage)
        if delay:
            time.sleep(delay)
        proc.kill()
    finally:
        proc.wait(timeout=60)
    assert reached or proc.returncode == 0, f"build never reached stage {stage}"
    assert _release_id(out) in identities, "build/ holds neither the old nor the new release"
    # the next complete build cleans leftovers and yields the new release
    done = subprocess.run([sys.executable, "-m", "cryokg.cli", "build", "--quiet", "--sources", str(new_sources),
                           "--out", str(out)], check=False)
    assert done.returncode == 0
    assert _release_id(out) in identities - {before}
    assert not list(out.parent.glob(f".{out.name}.*")), "leftover staging folders after a complete build"
    # put the old release back for the next kill point
    subprocess.run([sys.executable, "-m", "cryokg.cli", "build", "--quiet", "--sources", str(old_sources),
                    "--out", str(out)], check=True)
