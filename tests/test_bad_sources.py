"""Bad sources get a clear error naming file (and line and column where there is one), exit status 2,
and the previous build/ untouched."""

from __future__ import annotations

import hashlib
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


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Path, Path]:
    sources = tmp_path / "ontology"
    shutil.copytree(SOURCES, sources)
    out = tmp_path / "build"
    out.mkdir()
    (out / "manifest.json").write_text('{"previous": "release"}\n')
    (out / "cryokg.ttl").write_text("# previous release\n")
    return sources, out


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _build(sources: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    before = _digest(out)
    code = main(["build", "--sources", str(sources), "--out", str(out), "--quiet"])
    assert _digest(out) == before, "build/ changed although the build failed"
    return code, capsys.readouterr().err


def test_turtle_syntax_error_names_file_line_and_column(workspace, capsys) -> None:
    sources, out = workspace
    bad = sources / "data" / "zz-bad.ttl"
    bad.write_text(PREFIXES + "\ncode:0440T cryo:method .\n")
    code, err = _build(sources, out, capsys)
    assert code == 2
    assert "zz-bad.ttl:7:" in err and "syntax error" in err.lower()


def test_undefined_prefix(workspace, capsys) -> None:
    sources, out = workspace
    (sources / "data" / "zz-bad.ttl").write_text(PREFIXES + "nope:thing a cryo:Nerve .\n")
    code, err = _build(sources, out, capsys)
    assert code == 2
    assert "zz-bad.ttl:6:" in err and "nope:" in err


def test_iri_used_but_never_described(workspace, capsys) -> None:
    sources, out = workspace
    (sources / "data" / "zz-bad.ttl").write_text(
        PREFIXES + 'anat:made-up-nerve-x cryo:locatedIn anat:nowhere-region .\n'
                   'anat:made-up-nerve-x skos:prefLabel "x"@en .\n')
    code, err = _build(sources, out, capsys)
    assert code == 2
    assert "nowhere-region" in err and "never described" in err and "zz-bad.ttl:6" in err


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
    assert "several" in err and "zz-bad.ttl:6" in err


def test_iri_with_a_space(workspace, capsys) -> None:
    sources, out = workspace
    (sources / "data" / "zz-bad.ttl").write_text(PREFIXES + "<https://w3id.org/cryokg/id/anatomy/a b> a cryo:Nerve .\n")
    code, err = _build(sources, out, capsys)
    assert code == 2
    assert "zz-bad.ttl:6:" in err and "IRI" in err


def test_blank_node_is_refused(workspace, capsys) -> None:
    sources, out = workspace
    (sources / "data" / "zz-bad.ttl").write_text(PREFIXES + "code:0440T cryo:usesDevice [ a cryo:Device ] .\n")
    code, err = _build(sources, out, capsys)
    assert code == 2
    assert "blank node" in err and "zz-bad.ttl" in err


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


def test_empty_sources_folder(tmp_path: Path, capsys) -> None:
    empty = tmp_path / "ontology"
    empty.mkdir()
    out = tmp_path / "build"
    out.mkdir()
    (out / "manifest.json").write_text("{}\n")
    code, err = _build(empty, out, capsys)
    assert code == 2
    assert "no Turtle sources" in err


def test_missing_sources_folder(tmp_path: Path, capsys) -> None:
    out = tmp_path / "build"
    out.mkdir()
    code, err = _build(tmp_path / "nope", out, capsys)
    assert code == 2
    assert "not found" in err


def test_broken_shapes_file(workspace, capsys) -> None:
    sources, out = workspace
    (sources / "shapes").mkdir(exist_ok=True)
    (sources / "shapes" / "zz-broken.ttl").write_text("@prefix sh: <http://www.w3.org/ns/shacl#> .\nsh:x sh:y [ .\n")
    code, err = _build(sources, out, capsys)
    assert code == 2
    assert "zz-broken.ttl" in err
