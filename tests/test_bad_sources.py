"""Bad sources get a clear error naming file (and line and column where there is one), exit status 2,
and the previous build/ untouched: same files, same bytes, and a manifest whose checksums still match them.

The previous release is a real one, built once per module from the project's sources; each test works on
its own copy of it and of the sources.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from tests.conftest import SOURCES

from cryokg.cli import main

PREFIXES = """@prefix cryo: <https://w3id.org/cryokg/def/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix code: <https://w3id.org/cryokg/id/code/> .
@prefix anat: <https://w3id.org/cryokg/id/anatomy/> .
"""


@pytest.fixture(autouse=True, params=["rdflib", pytest.param("store", marks=pytest.mark.slow)])
def loading(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every case twice: sources held by rdflib (small ones) and in an on-disk store (large ones, checked in one
    pass over the files: cryokg.sources.load.STORE_ON_DISK_BYTES set to 0 here); same error, same exit code. The
    store's half is ``slow`` (a store per case): --quick runs each case once."""
    if request.param == "store":
        monkeypatch.setattr("cryokg.sources.load.STORE_ON_DISK_BYTES", 0)
    return request.param


@pytest.fixture(scope="module")
def previous_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A complete release built from the project's sources, as build/ holds it before a failed build."""
    out = tmp_path_factory.mktemp("previous") / "build"
    assert main(["build", "--sources", str(SOURCES), "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture
def workspace(tmp_path: Path, previous_release: Path) -> tuple[Path, Path]:
    sources = tmp_path / "ontology"
    shutil.copytree(SOURCES, sources)
    out = tmp_path / "build"
    shutil.copytree(previous_release, out)
    return sources, out


def _digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _assert_complete_release(out: Path) -> None:
    """The manifest lists exactly the files in *out*, and every checksum in it matches the file."""
    manifest = json.loads((out / "manifest.json").read_text())
    digest = _digest(out)
    assert set(digest) - {"manifest.json"} == set(manifest["files"]), "build/ and its manifest disagree"
    for name, info in manifest["files"].items():
        assert digest[name] == info["sha256"], f"{name} no longer matches the manifest's checksum"


def _build(sources: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    before = _digest(out)
    code = main(["build", "--sources", str(sources), "--out", str(out), "--quiet"])
    assert _digest(out) == before, "build/ changed although the build failed"
    if (out / "manifest.json").exists():
        _assert_complete_release(out)
    assert not list(out.parent.glob(f".{out.name}.*")), "a failed build left a staging folder behind"
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def _place(err: str, name: str) -> tuple[int, int | None]:
    """(line, column) of the first ``name:line[:column]`` in an error message."""
    match = re.search(re.escape(name) + r":(\d+)(?::(\d+))?", err)
    assert match, f"the message does not name {name} with a line: {err}"
    return int(match.group(1)), int(match.group(2)) if match.group(2) else None


def test_turtle_syntax_error_names_file_line_and_column(workspace, capsys) -> None:
    sources, out = workspace
    bad = sources / "data" / "zz-bad.ttl"
    bad.write_text(PREFIXES + "\ncode:0440T cryo:method .\n")
    code, err = _build(sources, out, capsys)
    assert code == 2
    assert "syntax error" in err.lower()
    line, column = _place(err, "zz-bad.ttl")
    assert line == 7 and column is not None


def test_undefined_prefix(workspace, capsys) -> None:
    sources, out = workspace
    (sources / "data" / "zz-bad.ttl").write_text(PREFIXES + "nope:thing a cryo:Nerve .\n")
    code, err = _build(sources, out, capsys)
    assert code == 2
    assert "nope:" in err
    line, column = _place(err, "zz-bad.ttl")
    assert line == 6 and column is not None


def test_iri_used_but_never_described(workspace, capsys) -> None:
    sources, out = workspace
    (sources / "data" / "zz-bad.ttl").write_text(
        PREFIXES + 'anat:made-up-nerve-x cryo:locatedIn anat:nowhere-region .\n'
                   'anat:made-up-nerve-x skos:prefLabel "x"@en .\n')
    code, err = _build(sources, out, capsys)
    assert code == 2
    assert "nowhere-region" in err and "never described" in err
    assert _place(err, "zz-bad.ttl")[0] == 6  # a cross-file rule: the line of the subject, no column


def test_two_labels_for_one_term_in_one_language(workspace, capsys) -> None:
    sources, out = workspace
    (sources / "data" / "zz-bad.ttl").write_text(PREFIXES + 'code:0440T skos:prefLabel "A different name"@en .\n')
    code, err = _build(sources, out, capsys)
    assert code == 2
    assert "0440T" in err and "A different name" in err and "codes.ttl" in err and "zz-bad.ttl" in err


def test_literal_invalid_for_its_datatype(workspace, capsys) -> None:
    sources, out = workspace
    (sources / "data" / "zz-bad.ttl").write_text(
        PREFIXES + 'code:0440T cryo:minimumDeviceCount "several"^^xsd:nonNegativeInteger .\n')
    code, err = _build(sources, out, capsys)
    assert code == 2
    assert "several" in err
    assert _place(err, "zz-bad.ttl")[0] == 6


def test_iri_with_a_space(workspace, capsys) -> None:
    sources, out = workspace
    (sources / "data" / "zz-bad.ttl").write_text(PREFIXES + "<https://w3id.org/cryokg/id/anatomy/a b> a cryo:Nerve .\n")
    code, err = _build(sources, out, capsys)
    assert code == 2
    assert "IRI" in err
    line, column = _place(err, "zz-bad.ttl")
    assert line == 6 and column is not None


def test_blank_node_is_refused(workspace, capsys) -> None:
    sources, out = workspace
    (sources / "data" / "zz-bad.ttl").write_text(PREFIXES + "code:0440T cryo:usesDevice [ a cryo:Device ] .\n")
    code, err = _build(sources, out, capsys)
    assert code == 2
    assert "blank node" in err
    assert _place(err, "zz-bad.ttl")[0] == 6


def test_unreadable_file(workspace, capsys) -> None:
    sources, out = workspace
    (sources / "data" / "zz-gone.ttl").symlink_to(sources / "does-not-exist.ttl")
    code, err = _build(sources, out, capsys)
    assert code == 2
    assert "zz-gone.ttl" in err and "cannot read" in err


def test_not_utf8(workspace, capsys) -> None:
    sources, out = workspace
    (sources / "data" / "zz-latin1.ttl").write_bytes(PREFIXES.encode() + b'code:0440T skos:altLabel "caf\xe9"@en .\n')
    code, err = _build(sources, out, capsys)
    assert code == 2
    assert "zz-latin1.ttl" in err and "UTF-8" in err


def test_empty_sources_folder(tmp_path: Path, previous_release: Path, capsys) -> None:
    empty = tmp_path / "ontology"
    empty.mkdir()
    out = tmp_path / "build"
    shutil.copytree(previous_release, out)
    code, err = _build(empty, out, capsys)
    assert code == 2
    assert "no Turtle sources" in err


def test_missing_sources_folder(tmp_path: Path, previous_release: Path, capsys) -> None:
    out = tmp_path / "build"
    shutil.copytree(previous_release, out)
    code, err = _build(tmp_path / "nope", out, capsys)
    assert code == 2
    assert "not found" in err


def test_broken_shapes_file(workspace, capsys) -> None:
    sources, out = workspace
    (sources / "shapes").mkdir(exist_ok=True)
    (sources / "shapes" / "zz-broken.ttl").write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\nsh:x sh:y [ .\n")
    code, err = _build(sources, out, capsys)
    assert code == 2
    line, column = _place(err, "zz-broken.ttl")
    assert line == 2 and column is not None


def test_build_from_a_copy_of_the_sources_anywhere(tmp_path: Path, previous_release: Path, monkeypatch) -> None:
    """``--sources DIR`` works from any copy, from any working directory: the very release ontology/ gives.

    (That the build reads the copy rather than the project's ontology/ is what every test above shows: each
    breaks only its copy.)"""
    elsewhere = tmp_path / "some" / "other-name"
    shutil.copytree(SOURCES, elsewhere)
    monkeypatch.chdir(tmp_path)
    assert main(["build", "--sources", str(elsewhere), "--out", "copy-build", "--quiet"]) == 0
    _assert_complete_release(tmp_path / "copy-build")
    assert _digest(tmp_path / "copy-build") == _digest(previous_release), "the release depends on where the sources lie"
