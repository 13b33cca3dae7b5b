"""`cryokg validate`, the validation library behind it, and `cryokg build` refusing to write on a Violation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH, SKOS

from cryokg.check.validation import is_shapes_file, resolve_inputs, validate_paths
from cryokg.cli import main

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "ontology"
BASE = ROOT / "tests" / "shapes" / "base.ttl"
VOCABULARY = [ONTOLOGY / "cryokg.ttl", ONTOLOGY / "vocab"]

PREFIXES = """@prefix cryo: <https://w3id.org/cryokg/def/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix code: <https://w3id.org/cryokg/id/code/> .
@prefix scope: <https://w3id.org/cryokg/id/scope/> .
@prefix indication: <https://w3id.org/cryokg/id/indication/> .
"""


def _write(path: Path, text: str) -> Path:
    path.write_text(PREFIXES + text, encoding="utf-8")
    return path


def _args(*paths: Path) -> list[str]:
    return [str(p) for p in [*VOCABULARY, BASE, *paths]]


@pytest.fixture(scope="module")
def release_outcome():
    return validate_paths()


def test_the_release_has_no_violation(release_outcome) -> None:
    sources, outcome = release_outcome
    violations = [r for r in outcome.results if r.severity == "Violation"]
    assert outcome.passes(), "the release breaks shapes (report these to the data's authors):\n" + "\n".join(
        f"  {r.focus} ({sources.origin_of(URIRef(r.focus))}) {r.path or ''}: {r.message}" for r in violations[:30])


def test_the_release_report_names_shapes_files(release_outcome) -> None:
    _sources, outcome = release_outcome
    assert {p.name for p in outcome.shapes_files} >= {"common.ttl", "codes.ttl", "anatomy.ttl"}


def test_a_conforming_set_exits_0(capsys) -> None:
    assert main(["validate", *_args()]) == 0
    assert "conforms (0 violations" in capsys.readouterr().out


def test_text_report_groups_by_focus_and_names_the_file_and_line(tmp_path, capsys) -> None:
    bad = _write(tmp_path / "bad.ttl", "\n\ncode:9999T a cryo:ProcedureCode ;\n    skos:notation \"9999T\" .\n")
    assert main(["validate", *_args(bad)]) == 1
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("code:9999T"))
    line = bad.read_text(encoding="utf-8").splitlines().index("code:9999T a cryo:ProcedureCode ;") + 1
    assert header.endswith(f"bad.ttl:{line})"), header
    block = out.split(header, 1)[1].split("\n\n")[0]
    assert "skos:prefLabel" in block and "MinCountConstraintComponent" in block
    assert "DOES NOT CONFORM" in out


def test_json_report(tmp_path, capsys) -> None:
    bad = _write(tmp_path / "bad.ttl", "code:9999T a cryo:ProcedureCode ; skos:notation \"9999T\" .\n")
    assert main(["validate", *_args(bad), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["conforms"] is False
    assert report["counts"]["Violation"] == sum(1 for r in report["results"] if r["resultSeverity"] == "sh:Violation")
    mine = [r for r in report["results"] if r["focusNode"] == "https://w3id.org/cryokg/id/code/9999T"]
    assert {"resultPath", "sourceConstraintComponent", "sourceShape", "resultMessage", "origin"} <= set(mine[0])
    assert any(r["resultPath"] == "skos:inScheme" and r["sourceConstraintComponent"] == "sh:MinCountConstraintComponent"
               for r in mine)
    assert all(r["origin"] and "bad.ttl" in r["origin"] for r in mine)


def test_turtle_report_is_a_shacl_validation_report(tmp_path, capsys) -> None:
    bad = _write(tmp_path / "bad.ttl", "code:9999T a cryo:ProcedureCode ; skos:notation \"9999T\" .\n")
    assert main(["validate", *_args(bad), "--format", "turtle"]) == 1
    report = Graph().parse(data=capsys.readouterr().out, format="turtle")
    node = report.value(None, RDF.type, SH.ValidationReport) or next(report.subjects(RDF.type, SH.ValidationReport))
    assert str(report.value(node, SH.conforms)) == "false"
    assert len(list(report.objects(node, SH.result))) >= 3


def test_strict_fails_on_warnings(tmp_path, capsys) -> None:
    # A thing without a definition is a Warning, not a Violation.
    warn = _write(tmp_path / "warn.ttl", "indication:undefined a cryo:Indication ; "
                  "skos:prefLabel \"undefined\"@en ; dcterms:source <https://example.org/source-a> .\n")
    assert main(["validate", *_args(warn)]) == 0
    assert main(["validate", *_args(warn), "--strict"]) == 1
    assert "Warning: skos:definition" in capsys.readouterr().out


def test_a_shapes_file_among_paths_replaces_the_project_shapes(tmp_path, capsys) -> None:
    shapes = tmp_path / "only.shapes.ttl"
    shapes.write_text("""@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix cryo: <https://w3id.org/cryokg/def/> .
<urn:test:EveryCodeHasAnIndication> a sh:NodeShape ; sh:targetClass cryo:ProcedureCode ;
    sh:property [ sh:path cryo:indication ; sh:minCount 1 ] .
""", encoding="utf-8")
    data, shape_files = resolve_inputs([BASE, shapes])
    assert shape_files == [shapes] and data == [BASE]
    assert main(["validate", *_args(shapes), "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert {r["sourceShape"] for r in report["results"]} == {"urn:test:EveryCodeHasAnIndication"}
    base = Graph().parse(BASE)
    cryo = "https://w3id.org/cryokg/def/"
    codes_without = {str(s) for s in base.subjects(RDF.type, URIRef(cryo + "ProcedureCode"))
                     if (s, URIRef(cryo + "indication"), None) not in base}
    assert codes_without, "the base graph should have codes without an indication"
    assert {r["focusNode"] for r in report["results"]} == codes_without


def test_is_shapes_file(tmp_path) -> None:
    assert is_shapes_file(ONTOLOGY / "shapes" / "common.ttl")
    plain = _write(tmp_path / "plain.ttl", "code:1 a cryo:ProcedureCode .\n")
    assert not is_shapes_file(plain)


@pytest.mark.parametrize("content, message", [
    ("code:1 a cryo:ProcedureCode", "bad.ttl:"),
    ("code:1 a nope:Thing .", "bad.ttl:"),
])
def test_unparsable_data_is_bad_input(tmp_path, capsys, content, message) -> None:
    bad = _write(tmp_path / "bad.ttl", content)
    assert main(["validate", *_args(bad)]) == 2
    assert message in capsys.readouterr().err


def test_missing_path_is_bad_input(tmp_path, capsys) -> None:
    assert main(["validate", str(tmp_path / "nope.ttl")]) == 2
    assert "nope.ttl" in capsys.readouterr().err


def test_invalid_shapes_are_bad_input(tmp_path, capsys) -> None:
    shapes = tmp_path / "broken.shapes.ttl"
    shapes.write_text("""@prefix sh: <http://www.w3.org/ns/shacl#> .
<urn:test:Broken> a sh:NodeShape ; sh:targetClass <urn:test:C> ; sh:property [ sh:path <urn:test:p> ; sh:minCount "one" ] .
""", encoding="utf-8")
    assert main(["validate", *_args(shapes)]) == 2
    assert "not valid SHACL" in capsys.readouterr().err


def test_build_refuses_to_write_on_a_violation(tmp_path, capsys) -> None:
    """Copy ontology/, give 0441T a second anatomic scope (the one 0440T has), build: exit 1, old output kept."""
    sources = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY, sources)
    codes = sources / "data" / "codes.ttl"
    graph = Graph().parse(codes)
    assert graph.value(None, SKOS.notation, Literal("0441T")) is not None, "the test expects 0441T in codes.ttl"
    codes.write_text(codes.read_text(encoding="utf-8") + "\n<https://w3id.org/cryokg/id/code/0441T> "
                     "<https://w3id.org/cryokg/def/anatomicScope> "
                     "<https://w3id.org/cryokg/id/scope/upper-extremity-peripheral-nerve> .\n", encoding="utf-8")
    out = tmp_path / "build"
    out.mkdir()
    (out / "cryokg.ttl").write_text("# the previous release\n", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(["build", "--sources", str(sources), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "validation failed" in err and "code:0441T" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_warnings_only_exit_0_and_sh_conforms_false_in_every_format(tmp_path, capsys) -> None:
    """SHACL 3.6.1: sh:conforms is false when there is any result, whatever its severity; the exit status stays
    0 (no Violation) unless --strict."""
    warn = _write(tmp_path / "warn.ttl", "indication:undefined a cryo:Indication ; "
                  "skos:prefLabel \"undefined\"@en ; dcterms:source <https://example.org/source-a> .\n")
    assert main(["validate", *_args(warn), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["conforms"] is False and report["counts"]["Violation"] == 0 and report["counts"]["Warning"] > 0
    assert main(["validate", *_args(warn), "--format", "turtle"]) == 0
    graph = Graph().parse(data=capsys.readouterr().out, format="turtle")
    assert graph.value(next(graph.subjects(RDF.type, SH.ValidationReport)), SH.conforms) == Literal(False)
    assert main(["validate", *_args(warn)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("no violations (0 violations")
    assert main(["validate", *_args(warn), "--strict"]) == 1


def _w3c(entry_id: str) -> Path:
    import sys

    sys.path.insert(0, str(ROOT / "tests"))
    import w3c_shacl

    return w3c_shacl.suite_root() / f"{entry_id}.ttl"


@pytest.mark.parametrize("engine", ["auto", "cryokg", "pyshacl"])
def test_shapes_flag_validates_a_file_that_holds_data_and_shapes(engine, capsys) -> None:
    """A W3C test file holds data and shapes: --shapes gives it both roles (without it, it is taken as shapes
    only). Its nested property shape applies to the value nodes of its parent property shape."""
    test = _w3c("core/property/property-001")
    assert main(["validate", str(test), "--shapes", str(test), "--format", "json", "--engine", engine]) == 1
    report = json.loads(capsys.readouterr().out)
    prefix = "http://datashapes.org/sh/tests/core/property/property-001.test#"
    assert report["conforms"] is False and report["shapesFiles"] == [str(test)]
    assert {(r["focusNode"], r["value"], r["sourceConstraintComponent"]) for r in report["results"]} == {
        (prefix + "InvalidAddress", prefix + "InvalidCity", "sh:ClassConstraintComponent")}
    assert main(["validate", str(test)]) == 2
    assert "no data files" in capsys.readouterr().err


def test_shapes_flag_must_name_files(tmp_path, capsys) -> None:
    assert main(["validate", str(BASE), "--shapes", str(tmp_path / "none.ttl")]) == 2
    assert "none.ttl" in capsys.readouterr().err


@pytest.mark.parametrize("engine", ["auto", "cryokg"])
@pytest.mark.parametrize("where", ["MINUS { $this <urn:test:p> \"x\" }", "VALUES ?x { 1 }",
                                   "{ SELECT ?x WHERE { ?x ?p ?o } }", "BIND (1 AS ?this)",
                                   "{ SELECT * WHERE { ?x ?p ?o } }"])
def test_forbidden_sparql_is_bad_input_naming_it(tmp_path, capsys, engine, where) -> None:
    """SHACL 5.3.1.1 forbids these in SHACL-SPARQL (pre-binding is undefined there): exit 2, never a report."""
    shapes = tmp_path / "forbidden.shapes.ttl"
    shapes.write_text(f"""@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix cryo: <https://w3id.org/cryokg/def/> .
<urn:test:S> a sh:NodeShape ; sh:targetClass cryo:ProcedureCode ;
    sh:sparql [ sh:select '''SELECT $this WHERE {{ $this a ?type . {where} }}''' ] .
""", encoding="utf-8")
    assert main(["validate", *_args(shapes), "--engine", engine]) == 2
    err = capsys.readouterr().err
    assert "SHACL forbids" in err and "Traceback" not in err


def test_engine_cryokg_names_the_unsupported_feature(tmp_path, capsys) -> None:
    shapes = tmp_path / "less.shapes.ttl"
    shapes.write_text("""@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix cryo: <https://w3id.org/cryokg/def/> .
<urn:test:S> a sh:NodeShape ; sh:targetClass cryo:ProcedureCode ;
    sh:property [ sh:path cryo:stepOrder ; sh:lessThan cryo:minimumDeviceCount ] .
""", encoding="utf-8")
    assert main(["validate", *_args(shapes), "--engine", "cryokg"]) == 2
    assert "shacl#lessThan" in capsys.readouterr().err
    assert main(["validate", *_args(shapes)]) == 0  # auto: pyshacl evaluates it


def test_shapes_check_is_remembered_by_content(tmp_path, monkeypatch, capsys) -> None:
    """The SHACL-for-SHACL check runs once per shapes content (cache in $XDG_CACHE_HOME/cryokg); a damaged or
    foreign cache entry, or changed shapes, make it run again; failing shapes are never remembered."""
    import pyshacl.entrypoints

    from cryokg.check.shapes_cache import ShapesCheckCache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    calls = []
    real = pyshacl.entrypoints.meta_validate

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)
    counting.graph_cache = real.graph_cache  # type: ignore[attr-defined]  # pyshacl reads it off the global name
    monkeypatch.setattr(pyshacl.entrypoints, "meta_validate", counting)
    shapes = tmp_path / "one.shapes.ttl"
    shapes.write_text("""@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix cryo: <https://w3id.org/cryokg/def/> .
<urn:test:S> a sh:NodeShape ; sh:targetClass cryo:ProcedureCode ; sh:property [ sh:path cryo:method ; sh:minCount 1 ] .
""", encoding="utf-8")
    for _ in range(2):
        main(["validate", *_args(shapes)])
    assert len(calls) == 1
    entry = ShapesCheckCache.for_files([shapes])
    assert entry is not None and entry.path.is_file() and str(tmp_path / "cache" / "cryokg") in str(entry.path)
    for damage in ("", "{not json", '{"format": 1, "key": "other", "conforms": true}', "\x00\xff"):
        entry.path.write_text(damage, encoding="latin-1")
        main(["validate", *_args(shapes)])
    assert len(calls) == 5
    shapes.write_text(shapes.read_text(encoding="utf-8").replace("minCount 1", "minCount \"one\""), encoding="utf-8")
    for _ in range(2):
        assert main(["validate", *_args(shapes)]) == 2
    assert len(calls) == 7
    assert "not valid SHACL" in capsys.readouterr().err
