"""``compare`` and ``describe``: attributes and sources from the graph, readable text, JSON, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from cryokg.answer.compare import NOT_ATTRIBUTES, attribute_properties, compare_codes
from cryokg.answer.describe import describe
from cryokg.answer.store import load_store
from cryokg.cli import main
from cryokg.errors import BadInput
from cryokg.namespaces import CRYO, curie

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "ontology"
CODE = "https://w3id.org/cryokg/id/code/"


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return load_store(release=tmp_path_factory.mktemp("no-release"), sources=SOURCES).engine


@pytest.fixture(scope="module")
def g(engine) -> Graph:
    graph = Graph()
    for row in engine.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }").rows:
        graph.add(row)
    return graph


def test_attributes_come_from_the_vocabulary(engine, g):
    declared = set(g.subjects(RDFS.domain, CRYO.ProcedureCode))
    assert set(attribute_properties(engine)) == declared - NOT_ATTRIBUTES
    assert {CRYO.method, CRYO.approach, CRYO.anatomicScope} <= set(attribute_properties(engine))


def test_0440T_and_0441T_differ_only_in_anatomic_scope(engine, g):
    result = compare_codes(engine, "0440T", "0441T").to_json()
    assert [d["attribute"] for d in result["differing"]] == ["cryo:anatomicScope"]
    a, b = URIRef(CODE + "0440T"), URIRef(CODE + "0441T")
    shared = {d["attribute"] for d in result["shared"]}
    expected_shared = {curie(str(p)) for p in attribute_properties(engine)
                       if set(g.objects(a, p)) and set(g.objects(a, p)) == set(g.objects(b, p))}
    assert shared == expected_shared
    assert {"skos:prefLabel", "skos:notation", "skos:definition"} <= set(result["not_attributes"])
    scope = result["differing"][0]["values"]
    assert scope["0440T"][0]["iri"] == str(g.value(a, CRYO.anatomicScope))
    assert scope["0441T"][0]["iri"] == str(g.value(b, CRYO.anatomicScope))
    for code in result["codes"]:
        assert set(code["sources"]) == {str(s) for s in g.objects(URIRef(code["iri"]), DCTERMS.source)}
        assert code["sources"]


def test_compare_with_a_code_of_another_technique(engine, g):
    other = next(c for c in g.subjects(CRYO.method, None)
                 if URIRef("https://w3id.org/cryokg/id/technique/cryoablation") not in set(g.objects(c, CRYO.method)))
    result = compare_codes(engine, "0440T", str(g.value(other, SKOS.notation))).to_json()
    assert "cryo:method" in {d["attribute"] for d in result["differing"]}


def test_compare_needs_two_known_different_codes(engine):
    with pytest.raises(BadInput):
        compare_codes(engine, "0440T", "0440T")
    with pytest.raises(BadInput):
        compare_codes(engine, "0440T", "9999Z")


def test_compare_command(capsys):
    assert main(["compare", "0440T", "0441T"]) == 0
    out = capsys.readouterr().out
    assert "anatomic scope" in out and "differs" in out and "sources:" in out
    assert "1 attribute(s) differ" in out
    assert main(["compare", "0440T", "0441T", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["differing"][0]["label"] == "anatomic scope"
    assert main(["compare", "0440T", "nope"]) == 2


def test_describe_a_code(engine, g):
    code = URIRef(CODE + "0440T")
    result = describe(engine, "0440T").to_json()
    assert result["resource"]["iri"] == str(code)
    outgoing = {(o["property"]["iri"], o["value"].get("iri") or o["value"]["value"]) for o in result["outgoing"]}
    expected = {(str(p), str(o)) for p, o in g.predicate_objects(code) if p not in (RDF.type, DCTERMS.source)}
    assert outgoing == expected
    incoming = {(i["subject"]["iri"], i["property"]["iri"]) for i in result["incoming"]}
    assert incoming == {(str(s), str(p)) for s, p in g.subject_predicates(code)}
    assert set(result["sources"]) == {str(s) for s in g.objects(code, DCTERMS.source)}
    assert all("label" in o["property"] for o in result["outgoing"] if o["property"]["iri"].startswith(str(CRYO)))


def test_describe_by_label_and_curie_with_mappings(engine, g):
    mapped = sorted({s for p in (SKOS.exactMatch, SKOS.closeMatch) for s in g.subjects(p, None)})
    if not mapped:
        pytest.skip("no mappings in the graph yet")
    target = mapped[0]
    by_curie = describe(engine, curie(str(target))).to_json()
    assert by_curie["mappings"]
    assert {m["external"] for m in by_curie["mappings"]} == {
        str(o) for p in (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)
        for o in g.objects(target, p)}
    label = g.value(target, SKOS.prefLabel)
    if label:
        assert describe(engine, str(label).upper()).resource["iri"] == str(target)


def test_describe_command(capsys):
    assert main(["describe", "radial nerve"]) == 0
    out = capsys.readouterr().out
    assert "located in" in out and "sources:" in out
    assert main(["describe", "code:0442T", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["resource"]["curie"] == "code:0442T"
    assert main(["describe", "no such thing at all"]) == 2
    assert main(["describe", "https://example.org/nothing"]) == 2


# --- output for people (issue 14) ------------------------------------------------------------------------------

JARGON = ("is the object of", "skos:", "xsd:", "rdfs:", "dcterms:")


def _step_labels_in_order(g) -> list[str]:
    steps = [(int(g.value(s, CRYO.stepOrder)), str(g.value(s, SKOS.prefLabel)))
             for s in g.objects(URIRef("https://w3id.org/cryokg/id/code/0440T"), CRYO.hasStep)]
    return [label for _, label in sorted(steps)]


def test_compare_tells_not_recorded_apart_from_differs(engine, capsys):
    result = compare_codes(engine, "0440T", "64640").to_json()
    missing = {d["attribute"]: d["missing"] for d in result["not_recorded"]}
    assert missing["cryo:coolant"] == ["64640"]
    assert "cryo:coolant" not in {d["attribute"] for d in result["differing"]}
    assert "cryo:method" in {d["attribute"] for d in result["differing"]}
    assert main(["compare", "0440T", "64640"]) == 0
    out = capsys.readouterr().out
    assert "not recorded for 64640" in out and not any(j in out for j in JARGON)


def test_steps_in_their_order_and_no_rdf_jargon(engine, g, capsys):
    ordered = _step_labels_in_order(g)
    assert len(ordered) >= 3
    shared = {d["attribute"]: d for d in compare_codes(engine, "0440T", "0441T").to_json()["shared"]}
    assert [v["label"] for v in shared["cryo:hasStep"]["values"]] == ordered
    assert main(["describe", "0440T"]) == 0
    out = capsys.readouterr().out
    positions = [out.index(label) for label in ordered]
    assert positions == sorted(positions), "steps printed in cryo:stepOrder"
    assert not any(j in out for j in JARGON), [j for j in JARGON if j in out]
    assert "Billing and Coding Instructions: Cryoneurolysis" in out, "sources by their titles"
    assert main(["describe", "64640"]) == 0
    assert "0440T (" in capsys.readouterr().out, "related codes show their numbers"


@pytest.mark.slow  # the commands at several widths
def test_output_wraps_to_the_terminal_width(monkeypatch, capsys):
    for width in (70, 140):
        monkeypatch.setenv("COLUMNS", str(width))
        for argv in (["compare", "0440T", "0441T"], ["describe", "0440T"], ["suggest", "celiac plexus"],
                     ["check", "0441T", "64640", "--site", "IPBSN"]):
            assert main(argv) in (0, 1)
            lines = capsys.readouterr().out.splitlines()
            long = [line for line in lines if len(line) > width and not line.strip().startswith("http")]
            assert not long, (argv, width, long[:3])
