"""Graph exports: faithful to the view, readable back by networkx, fixed columns, byte-deterministic.

The view is built once from the project's release and written in every format into a temporary folder. Each
test re-reads a format with an independent reader (networkx, the csv module) and compares with the view or
with the RDF graph itself.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from cryokg.cli import main
from cryokg.errors import BadInput
from cryokg.namespaces import curie
from cryokg.release.exports import EXPORTERS, Exporter, exporter, kgx, tables, write_exports
from cryokg.release.exports.artifacts import export_artifacts
from cryokg.release.exports.base import scalar_graph
from cryokg.release.exports.graphml import to_graphml
from cryokg.release.graphview import to_networkx
from cryokg.release.writers import to_ntriples


def _resources(graph: Graph) -> set[str]:
    nodes = {str(s) for s in graph.subjects() if isinstance(s, URIRef)}
    return nodes | {str(o) for _, p, o in graph if isinstance(o, URIRef) and p != RDF.type}


def _object_triples(graph: Graph) -> int:
    return sum(1 for _, p, o in graph if isinstance(o, URIRef) and p != RDF.type)


@pytest.fixture(scope="module")
def view(release):
    return to_networkx(release)


@pytest.fixture(scope="module")
def written(view, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("exports")
    write_exports(view, out)
    return out


def _edge_multiset(graph: nx.MultiDiGraph) -> Counter:
    return Counter((u, v, d["predicate"], d["inferred"]) for u, v, d in graph.edges(data=True))


def test_registry_has_one_exporter_per_format():
    assert list(EXPORTERS) == ["graphml", "gexf", "nodelink", "kgx", "csv"]
    for name, instance in EXPORTERS.items():
        assert isinstance(instance, Exporter) and instance.name == name and instance.description
    with pytest.raises(BadInput, match="graphml"):
        exporter("dot")


def test_every_format_is_byte_deterministic(release, written, tmp_path):
    write_exports(to_networkx(release), tmp_path)  # a fresh view, written again
    first = sorted(p.relative_to(written) for p in written.rglob("*") if p.is_file())
    second = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert first == second and len(first) == 7
    for rel in first:
        assert (written / rel).read_bytes() == (tmp_path / rel).read_bytes(), f"{rel} differs between two runs"


def test_graphml_reads_back_identical(release, view, written):
    back = nx.read_graphml(written / "cryokg.graphml")
    flat, _, _ = scalar_graph(view)
    assert back.is_directed() and back.is_multigraph()
    assert set(back.nodes) == _resources(release.asserted) == set(flat.nodes)
    for node in flat.nodes:
        assert back.nodes[node] == flat.nodes[node], node
    assert back.number_of_edges() == _object_triples(release.asserted)
    assert _edge_multiset(back) == _edge_multiset(flat)
    # Same node ids, attributes and edges: the identity map is an isomorphism.
    assert nx.utils.nodes_equal(back.nodes(data=True), flat.nodes(data=True))


def test_graphml_keys_are_named_not_numbered(view):
    text = to_graphml(view)
    assert '<key id="curie" for="node"' in text and '<key id="predicate" for="edge"' in text
    smaller = view.copy()
    for _, data in smaller.nodes(data=True):
        data.pop("types", None)
    assert '<key id="curie" for="node"' in to_graphml(smaller), "a key id does not depend on the other keys"
    ids = [line.split(' id="', 1)[1].split('"', 1)[0] for line in text.splitlines() if "<edge " in line]
    assert len(ids) == len(set(ids)) == view.number_of_edges(), "edge ids are unique"
    assert all(i.startswith("urn:uuid:") for i in ids)


@pytest.mark.parametrize("name", ["graphml", "gexf"])
def test_xml_exports_escape_awkward_text(name, tmp_path):
    g = Graph()
    a = URIRef("https://w3id.org/cryokg/id/code/A?x=1&y=2")
    g.add((a, SKOS.prefLabel, Literal('<b> & "quotes"\r\nline two\ttab\x01end', lang="en")))
    g.add((a, SKOS.related, URIRef("https://w3id.org/cryokg/id/code/B")))
    path = EXPORTERS[name].write(to_networkx(g), tmp_path)[0]
    back = nx.read_graphml(path) if name == "graphml" else nx.read_gexf(path)
    # U+0001 has no XML form at all: it becomes U+FFFD; the carriage return survives
    assert back.nodes[str(a)]["label"] == '<b> & "quotes"\r\nline two\ttab\ufffdend'


def test_gexf_reads_back_and_has_no_timestamp(release, view, written):
    text = (written / "cryokg.gexf").read_text(encoding="utf-8")
    assert "lastmodifieddate" not in text and "NetworkX" not in text
    back = nx.read_gexf(written / "cryokg.gexf")
    flat, _, _ = scalar_graph(view)
    assert set(back.nodes) == _resources(release.asserted)
    for node in flat.nodes:
        assert back.nodes[node] == flat.nodes[node], node
    assert _edge_multiset(back) == _edge_multiset(flat)


GEXF = "{http://www.gexf.net/1.2draft}"
GEXF_TYPES = {"integer": int, "long": int, "double": float, "float": float, "boolean": None, "string": str,
              "liststring": str, "anyURI": str}


def test_gexf_has_the_structure_of_gexf_1_2(written):
    """What Gephi's GEXF 1.2 importer reads, checked element by element against the GEXF 1.2draft schema
    (gexf.xsd: no maintained Python package ships it, so its rules are restated here): namespace and
    version, meta before graph, attribute declarations before nodes before edges, declared attribute types
    from the schema's list, every attvalue naming a declared attribute and parsing as its type, unique node
    and edge ids, edges between declared nodes."""
    import xml.etree.ElementTree as ET

    root = ET.parse(written / "cryokg.gexf").getroot()
    assert root.tag == GEXF + "gexf" and root.get("version") == "1.2"
    assert "http://www.gexf.net/1.2draft/gexf.xsd" in root.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation")
    assert [child.tag for child in root] == [GEXF + "meta", GEXF + "graph"]
    assert root.find(GEXF + "meta").get("lastmodifieddate") is None
    graph = root.find(GEXF + "graph")
    assert graph.get("defaultedgetype") == "directed" and graph.get("mode") == "static"
    tags = [child.tag.removeprefix(GEXF) for child in graph]
    assert tags == sorted(tags, key=["attributes", "nodes", "edges"].index) and tags.count("nodes") == 1
    declared: dict[str, dict[str, str]] = {"node": {}, "edge": {}}
    for block in graph.findall(GEXF + "attributes"):
        assert block.get("class") in declared and block.get("mode") == "static"
        for attribute in block.findall(GEXF + "attribute"):
            assert attribute.get("type") in GEXF_TYPES and attribute.get("title")
            assert attribute.get("id") not in declared[block.get("class")], "attribute ids are unique per class"
            declared[block.get("class")][attribute.get("id")] = attribute.get("type")

    def check_values(element, kind):
        for value in element.iter(GEXF + "attvalue"):
            type_name = declared[kind][value.get("for")]  # KeyError: an undeclared attribute
            text = value.get("value")
            if type_name == "boolean":
                assert text in ("true", "false")
            else:
                GEXF_TYPES[type_name](text)

    node_ids = []
    for node in graph.find(GEXF + "nodes"):
        assert node.tag == GEXF + "node" and node.get("id") and node.get("label") is not None
        node_ids.append(node.get("id"))
        check_values(node, "node")
    assert len(node_ids) == len(set(node_ids))
    edge_ids = []
    for edge in graph.find(GEXF + "edges"):
        assert edge.get("source") in set(node_ids) and edge.get("target") in set(node_ids)
        edge_ids.append(edge.get("id"))
        check_values(edge, "edge")
    assert len(edge_ids) == len(set(edge_ids)) and all(i.startswith("urn:uuid:") for i in edge_ids)


def test_node_link_reads_back_equal_with_lists(view, written):
    data = json.loads((written / "cryokg.nodelink.json").read_text(encoding="utf-8"))
    back = nx.node_link_graph(data, edges="edges")
    assert back.is_multigraph() and back.is_directed()
    assert list(back.nodes(data=True)) == list(view.nodes(data=True))
    assert sorted(back.edges(keys=True, data=True)) == sorted(view.edges(keys=True, data=True))


def _tsv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def test_kgx_columns_rows_and_categories(release, written):
    nodes, edges = _tsv(written / "kgx" / "nodes.tsv"), _tsv(written / "kgx" / "edges.tsv")
    assert tuple(nodes[0]) == kgx.NODE_COLUMNS == ("id", "category", "original_category", "name", "description",
                                                   "synonym", "xref", "iri", "publications", "provided_by")
    assert tuple(edges[0]) == kgx.EDGE_COLUMNS == ("id", "subject", "predicate", "object", "original_predicate",
                                                   "knowledge_level", "agent_type", "primary_knowledge_source",
                                                   "knowledge_source")
    assert all(len(row) == len(nodes[0]) for row in nodes) and all(len(row) == len(edges[0]) for row in edges)
    rows = [dict(zip(nodes[0], row, strict=True)) for row in nodes[1:]]
    with_curie = {n for n in _resources(release.asserted) if kgx.kgx_id(n, curie(n, release.prefixes))}
    assert {r["iri"] for r in rows} == with_curie
    cited_pages = {str(o) for o in release.asserted.objects(None, DCTERMS.source)}
    assert not cited_pages & {r["iri"] for r in rows}, "web pages have no CURIE: publications, not nodes"
    ids = {r["id"] for r in rows}
    assert len(ids) == len(rows), "CURIE ids are unique"
    iri_of = {r["id"]: r["iri"] for r in rows}
    expected = sum(1 for s, p, o in release.asserted if isinstance(o, URIRef) and p != RDF.type
                   and str(s) in with_curie and str(o) in with_curie)
    assert len(edges) - 1 == expected
    for row in edges[1:]:
        assert row[1] in ids and row[3] in ids and row[5] == "knowledge_assertion"
        triple = (URIRef(iri_of[row[1]]), URIRef(_expand(row[4], release.prefixes)), URIRef(iri_of[row[3]]))
        assert triple in release.asserted
    by_iri = {r["iri"]: r for r in rows}
    for s, cls in release.asserted.subject_objects(RDF.type):
        if str(s) in by_iri:
            assert curie(str(cls), release.prefixes) in by_iri[str(s)]["original_category"].split("|")
    assert all(c.startswith("biolink:") for r in rows for c in r["category"].split("|"))
    for s, source in release.asserted.subject_objects(DCTERMS.source):
        if str(s) in by_iri:
            assert str(source) in by_iri[str(s)]["publications"].split("|")


def _expand(value: str, prefixes: dict[str, str]) -> str:
    prefix, _, local = value.partition(":")
    return prefixes[prefix] + local


def test_kgx_cells_never_break_rows():
    g = Graph()
    a = URIRef("https://w3id.org/cryokg/id/code/A")
    g.add((a, SKOS.definition, Literal("one\ttwo\nthree", lang="en")))
    g.add((a, SKOS.prefLabel, Literal('"quoted" name', lang="en")))
    g.add((a, SKOS.related, URIRef("https://w3id.org/cryokg/id/code/B")))
    nodes, _ = kgx.kgx_tables(to_networkx(g))
    assert {row[4] for row in nodes} == {"one two three", ""}
    assert not any(cell.startswith('"') for row in nodes for cell in row), "Neo4j would read a quoted field"


def test_csv_columns_and_rows(release, written):
    with (written / "csv" / "nodes.csv").open(encoding="utf-8", newline="") as handle:
        nodes = list(csv.DictReader(handle))
    with (written / "csv" / "edges.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        edges = list(reader)
    assert tuple(nodes[0]) == tables.NODE_COLUMNS == ("id", "curie", "label", "types", "description")
    assert tuple(reader.fieldnames) == tables.EDGE_COLUMNS == ("id", "source", "predicate", "target", "inferred")
    assert {n["id"] for n in nodes} == _resources(release.asserted)
    assert len(edges) == _object_triples(release.asserted)
    assert {e["inferred"] for e in edges} == {"false"}
    assert all(e["source"] in {n["id"] for n in nodes} for e in edges)


def test_build_writes_exports_under_exports(release, tmp_path):
    names = export_artifacts(release, tmp_path)
    fhir = [name for name in names if name.startswith("exports/fhir/")]  # tests/test_fhir_export.py checks them
    assert "exports/fhir/bundle.json" in fhir
    names = [name for name in names if name not in fhir]
    assert names == ["exports/cryokg.graphml", "exports/cryokg.gexf", "exports/cryokg.nodelink.json",
                     "exports/kgx/nodes.tsv", "exports/kgx/edges.tsv", "exports/csv/nodes.csv",
                     "exports/csv/edges.csv"]
    assert all((tmp_path / name).is_file() for name in names)


def test_export_command_reads_the_release(release, tmp_path, capsys):
    built = tmp_path / "build"
    built.mkdir()
    (built / "cryokg.nt").write_text(to_ntriples(release.asserted), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["export", "--release", str(built), "--out", str(out), "--format", "csv", "--format", "kgx"]) == 0
    printed = capsys.readouterr().out
    nodes, edges = len(_resources(release.asserted)), _object_triples(release.asserted)
    line = next(line for line in printed.splitlines() if line.strip().startswith("csv"))
    assert f"{nodes} nodes" in line and f"{edges} edges" in line
    kgx_nodes, kgx_edges = kgx.kgx_tables(to_networkx(release))
    line = next(line for line in printed.splitlines() if line.strip().startswith("kgx"))
    assert f"{len(kgx_nodes)} nodes" in line and f"{len(kgx_edges)} edges" in line
    assert (out / "csv" / "nodes.csv").is_file() and not (out / "cryokg.graphml").exists()
    assert main(["export", "--release", str(tmp_path / "missing"), "--out", str(out)]) == 2


def test_analytics_examples_run_on_the_view(release, view):
    import sys

    scripts = str(Path(__file__).resolve().parents[1] / "scripts")
    sys.path.insert(0, scripts)
    try:
        from analytics_centrality import domain_graph
        from analytics_explain_path import explain, explanation_graph
        from analytics_shared_codes import shared_codes
    finally:
        sys.path.remove(scripts)
    v = release.base + "def/"
    technique = str(next(release.asserted.objects(None, URIRef(v + "method"))))
    table = shared_codes(view, technique)
    graph = explanation_graph(view)
    explained = 0
    for a in release.asserted.subjects(RDF.type, URIRef(v + "CodeAssignment")):
        if str(release.asserted.value(a, URIRef(v + "technique"))) != technique:
            continue
        structure, code = (str(release.asserted.value(a, URIRef(v + p))) for p in ("structure", "assignedCode"))
        assert structure in table[code]["definite"] + table[code]["candidate"]
        hops = explain(view, graph, structure, code)
        explained += bool(hops)
        assert not hops or "cryo:anatomicScope" in hops[-1] or "cryo:scopeExample" in hops[-1]
    assert explained > 0, "some assignment is explained through the anatomy"
    assert not any(k == "dcterms:source" for _, _, k in domain_graph(view).edges(keys=True))
