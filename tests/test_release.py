"""The release: every file written, byte-reproducible, atomic, faithful in every syntax, committed build/ current."""

from __future__ import annotations

import filecmp
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic
from tests.conftest import ROOT, SOURCES

from cryokg import __version__
from cryokg.errors import SourceError
from cryokg.release.build import build

RDF_FILES = {"cryokg.ttl": "turtle", "cryokg.nt": "nt", "cryokg.jsonld": "json-ld", "cryokg.rdf": "xml"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("release") / "build"
    build(SOURCES, out)
    return out


def _tree(path: Path) -> dict[str, str]:
    return {str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(path.rglob("*")) if p.is_file()}


def test_release_files_written(built: Path) -> None:
    for name in [*RDF_FILES, "cryokg-inferred.ttl", "void.ttl", "manifest.json"]:
        assert (built / name).is_file(), name
        assert (built / name).stat().st_size > 0, name


@pytest.mark.parametrize("name", sorted(RDF_FILES))
def test_every_syntax_holds_the_same_graph(built: Path, name: str, graph: Graph) -> None:
    parsed = Graph().parse(built / name, format=RDF_FILES[name])
    assert len(parsed) == len(graph) > 0
    assert isomorphic(parsed, graph)


def test_inferred_is_a_superset(built: Path, graph: Graph) -> None:
    inferred = Graph().parse(built / "cryokg-inferred.ttl", format="turtle")
    assert len(inferred) > len(graph)
    missing = [t for t in graph if t not in inferred]
    assert not missing, missing[:3]


def test_manifest_matches_files(built: Path, graph: Graph) -> None:
    manifest = json.loads((built / "manifest.json").read_text())
    assert manifest["version"] == __version__
    assert manifest["triples"]["asserted"] == len(graph)
    on_disk = {p for p in _tree(built) if p != "manifest.json"}
    assert set(manifest["files"]) == on_disk
    for name, info in manifest["files"].items():
        assert hashlib.sha256((built / name).read_bytes()).hexdigest() == info["sha256"], name


def test_void_counts_match(built: Path, graph: Graph) -> None:
    void = Graph().parse(built / "void.ttl", format="turtle")
    rows = list(void.query("PREFIX void: <http://rdfs.org/ns/void#> SELECT ?n WHERE { ?d a void:Dataset ; void:triples ?n }"))
    assert [int(r[0]) for r in rows] == [len(graph)]
    dumps = list(void.query("PREFIX void: <http://rdfs.org/ns/void#> SELECT ?u WHERE { ?d void:dataDump ?u }"))
    assert {str(r[0]).rsplit("/", 1)[-1] for r in dumps} >= set(RDF_FILES)


@pytest.mark.slow  # a second full build
def test_two_builds_are_byte_identical(built: Path, tmp_path: Path) -> None:
    again = tmp_path / "build"
    build(SOURCES, again)
    assert _tree(again) == _tree(built)


def test_committed_build_is_current(built: Path) -> None:
    committed = ROOT / "build"
    assert committed.is_dir(), "build/ is not committed; run `scripts/run build`"
    diff = filecmp.dircmp(committed, built)
    assert _tree(committed) == _tree(built), (
        f"committed build/ differs from what the sources build ({diff.diff_files or diff.left_only or diff.right_only}); "
        "run `scripts/run build` and commit build/")


FAKETIME = shutil.which("faketime")


@pytest.mark.slow
@pytest.mark.skipif(FAKETIME is None, reason="needs libfaketime (apt-get install faketime)")
@pytest.mark.parametrize(("clock", "seed"), [("2031-02-03 04:05:06", "1"), ("1999-12-31 23:59:59", "4242")])
def test_build_bytes_depend_on_neither_clock_nor_hash_seed(built: Path, tmp_path: Path, clock: str, seed: str) -> None:
    """A build in another process, under a clock faked years away (libfaketime, so every library and Graphviz
    see it) and another hash seed, writes the same bytes: no timestamp and no set-iteration order leaks out."""
    out = tmp_path / "build"
    cryokg = Path(sys.executable).with_name("cryokg")
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run([FAKETIME, clock, str(cryokg), "build", "-q", "--sources", str(SOURCES), "--out", str(out)],
                          capture_output=True, text=True, timeout=600, env=env, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert _tree(out) == _tree(built)


@pytest.mark.slow  # two builds from large copies of the sources
@pytest.mark.parametrize("base", [None, "https://example.org/kg/"])
def test_large_sources_build_the_same_bytes(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            base: str | None) -> None:
    """Sources over cryokg.sources.load.STORE_ON_DISK_BYTES are held in an on-disk pyoxigraph store instead of
    rdflib (set to 0 here, so the project's own sources take that path): checks, reasoning, validation, every
    writer, export, FHIR file and diagram must give the same bytes, also under another base IRI."""
    monkeypatch.setattr("cryokg.sources.load.STORE_ON_DISK_BYTES", 0)
    out = tmp_path / "large"
    if base is None:
        result = build(SOURCES, out)
        assert _tree(out) == _tree(built)
    else:
        result = build(SOURCES, out, base=base)
        monkeypatch.undo()
        small = tmp_path / "small"
        build(SOURCES, small, base=base)
        assert _tree(out) == _tree(small)
    from cryokg.rdf.store_graph import OxigraphStore

    assert isinstance(result.release.asserted.store, OxigraphStore), "the sources were not held in a store"


def test_base_iri_is_configurable(tmp_path: Path) -> None:
    out = tmp_path / "build"
    build(SOURCES, out, base="https://example.org/kg/")
    text = (out / "cryokg.nt").read_text()
    assert "<https://example.org/kg/id/code/0440T>" in text
    assert "https://w3id.org/cryokg/" not in text


def test_ontology_header_version_matches_package(graph: Graph) -> None:
    rows = list(graph.query("PREFIX owl: <http://www.w3.org/2002/07/owl#> "
                            "SELECT ?v ?iri WHERE { ?o a owl:Ontology ; owl:versionInfo ?v ; owl:versionIRI ?iri }"))
    assert len(rows) == 1
    version, iri = rows[0]
    assert str(version) == __version__
    assert str(iri).endswith(__version__)


def test_failed_build_leaves_previous_release(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "build"
    shutil.copytree(built, out)
    before = _tree(out)
    broken = tmp_path / "sources"
    shutil.copytree(SOURCES, broken)
    (broken / "data" / "zz-broken.ttl").write_text("this is not turtle\n")
    with pytest.raises(SourceError, match=r"zz-broken\.ttl:1:1: Turtle syntax error"):
        build(broken, out)
    assert _tree(out) == before
    assert not list(tmp_path.glob(".build.*")), "staging folder left behind"


def test_build_validation_runs_every_shape(release) -> None:
    """The build validates with every shape of the sources folder, the same results as `cryokg validate`."""
    from cryokg.check.validation import validate_paths

    _sources, full = validate_paths([SOURCES])
    assert release.validation.results == full.results
    assert release.validation.count("Warning") > 0
