"""A large release is served from an on-disk store made once beside it (cryokg.publish.web.data.disk_store).

The threshold (``SERVE_ON_DISK_BYTES``) is set to 0 here, so the test release takes that path: the store must
hold exactly what the in-memory load holds (release and VoID graph, under the served base IRI), be reused by the
next start, and be made again when the base IRI changes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cryokg.publish.web import data


def _quads(store) -> set[str]:
    return {str(q) for q in store}


@pytest.fixture
def copy(release_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "release"
    shutil.copytree(release_dir, target, ignore=shutil.ignore_patterns(data.STORE_FOLDER))
    return target


@pytest.mark.parametrize("base", [None, "http://127.0.0.1:8123/"])
def test_disk_store_holds_what_memory_holds(copy: Path, monkeypatch: pytest.MonkeyPatch, base: str | None) -> None:
    expected = _quads(data.load_release_store(copy, base))
    monkeypatch.setattr(data, "SERVE_ON_DISK_BYTES", 0)
    first = data.load_release_store(copy, base)
    assert _quads(first) == expected
    key = (copy / data.STORE_FOLDER / "KEY").read_text()
    again = data.load_release_store(copy, base)  # a second server or worker: opened, not made again
    assert (copy / data.STORE_FOLDER / "KEY").read_text() == key and _quads(again) == expected
    assert not [p for p in copy.iterdir() if p.name.startswith(data.STORE_FOLDER + ".")], "no staging left"


def test_disk_store_follows_the_base_iri(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(data, "SERVE_ON_DISK_BYTES", 0)
    default = _quads(data.load_release_store(copy))
    moved = _quads(data.load_release_store(copy, "http://127.0.0.1:8123/"))
    assert moved != default and not any("w3id.org/cryokg/" in q for q in moved)
    assert _quads(data.load_release_store(copy)) == default


def test_read_only_release_gets_a_private_store(copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the release folder cannot be written, the store is made in a temporary folder (checked by making
    the staging folder fail, as a read-only folder would: the tests may run as root, who writes anyway)."""
    import tempfile

    monkeypatch.setattr(data, "SERVE_ON_DISK_BYTES", 0)
    expected = _quads(data.load_release_store(copy))
    shutil.rmtree(copy / data.STORE_FOLDER)
    real = tempfile.mkdtemp

    def refusing(*args, dir=None, **kwargs):
        if dir is not None and Path(dir) == copy:
            raise PermissionError(13, "Permission denied", str(dir))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkdtemp", refusing)
    assert _quads(data.load_release_store(copy)) == expected
    assert not (copy / data.STORE_FOLDER).exists()
