"""The networkx view: one node per resource, one edge per object-property triple, literals as attributes.

Expectations are computed here from the RDF triples, independently of cryokg.release.graphview, so a change in the
mapping (a lost node, a type drawn as an edge, a dropped language tag) fails a test.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS

from cryokg.namespaces import curie
from cryokg.release.graphview import to_networkx


def _expected_resources(graph: Graph) -> set[str]:
    nodes = {str(s) for s in graph.subjects() if isinstance(s, URIRef)}
    nodes |= {str(o) for _, p, o in graph if isinstance(o, URIRef) and p != RDF.type}
    return nodes


def _expected_edges(graph: Graph, prefixes: dict[str, str]) -> Counter:
    return Counter((str(s), curie(str(p), prefixes), str(o)) for s, p, o in graph
                   if isinstance(o, URIRef) and p != RDF.type)


@pytest.fixture(scope="module")
def view(release):
    return to_networkx(release)


def test_one_node_per_resource(release, view):
    assert isinstance(view, nx.MultiDiGraph)
    expected = _expected_resources(release.asserted)
    assert set(view.nodes) == expected
    assert view.number_of_nodes() == len(expected)


def test_one_edge_per_object_property_triple(release, view):
    expected = _expected_edges(release.asserted, release.prefixes)
    assert view.number_of_edges() == sum(expected.values())
    got = Counter((u, key, v) for u, v, key in view.edges(keys=True))
    assert got == expected
    assert all(data["predicate"] == key for _, _, key, data in view.edges(keys=True, data=True))
    assert not any(data["inferred"] for _, _, data in view.edges(data=True)), "asserted view marks nothing inferred"


def test_types_are_attributes_not_edges(release, view):
    assert not any(key == "rdf:type" for _, _, key in view.edges(keys=True))
    typed = 0
    for s, cls in release.asserted.subject_objects(RDF.type):
        assert curie(str(cls), release.prefixes) in view.nodes[str(s)]["types"], f"{s} lost its type {cls}"
        typed += 1
    assert typed > 0
    for _, data in view.nodes(data=True):
        assert data["types"] == sorted(data["types"])


def test_literals_become_attributes_with_language_kept(release, view):
    checked = 0
    for s, p, o in release.asserted:
        if not isinstance(o, Literal):
            continue
        key = curie(str(p), release.prefixes) + (f"@{o.language}" if o.language else "")
        values = view.nodes[str(s)][key]
        assert isinstance(values, list) and values == sorted(values, key=lambda v: (type(v).__name__, str(v)))
        assert o.toPython() in values or str(o) in values, f"{s} {key}: {o!r} missing from {values}"
        checked += 1
    assert checked > 0
    english_labels = [(s, o) for s, o in release.asserted.subject_objects(SKOS.prefLabel) if o.language == "en"]
    assert english_labels, "the release has English preferred labels"
    for s, o in english_labels:
        assert str(o) in view.nodes[str(s)]["skos:prefLabel@en"]


def test_fixed_node_attributes(release, view):
    for node, data in view.nodes(data=True):
        assert data["iri"] == node
        assert data["curie"] == curie(node, release.prefixes)
        assert isinstance(data["label"], str) and data["label"]
    code_labels = {str(s): str(o) for s, o in release.asserted.subject_objects(SKOS.prefLabel) if o.language == "en"}
    for node, label in code_labels.items():
        assert view.nodes[node]["label"] == label


def test_scope_facts_are_paths_in_the_view(release, view):
    scope_p = URIRef(release.base + "def/anatomicScope")
    region_p = URIRef(release.base + "def/scopeRegion")
    pairs = list(release.asserted.subject_objects(scope_p))
    assert pairs, "codes have anatomic scopes"
    for code, scope in pairs:
        assert view.has_edge(str(code), str(scope), key=curie(str(scope_p), release.prefixes))
        for region in release.asserted.objects(scope, region_p):
            assert nx.has_path(view, str(code), str(region))


def test_inferred_view_flags_entailed_edges(release):
    inferred = to_networkx(release, inferred=True)
    asserted_edges = _expected_edges(release.asserted, release.prefixes)
    all_edges = _expected_edges(release.inferred, release.prefixes)
    assert inferred.number_of_edges() == sum(all_edges.values()) > sum(asserted_edges.values())
    for u, v, key, data in inferred.edges(keys=True, data=True):
        assert data["inferred"] == ((u, key, v) not in asserted_edges)


def test_plain_graph_with_inferred_runs_the_reasoner():
    g = Graph()
    a, b, p, q = (URIRef(f"https://w3id.org/cryokg/id/x/{n}") for n in "abpq")
    g.add((p, URIRef("http://www.w3.org/2000/01/rdf-schema#subPropertyOf"), q))
    g.add((a, p, b))
    plain = to_networkx(g)
    closed = to_networkx(g, inferred=True)
    assert not plain.has_edge(str(a), str(b), key=curie(str(q)))
    assert closed.has_edge(str(a), str(b), key=curie(str(q)))
    assert closed.edges[str(a), str(b), curie(str(q))]["inferred"] is True


def test_literal_modes():
    from rdflib.namespace import XSD  # imported here: pytest's collection trips over XSD's attribute lookup

    g = Graph()
    a, b = URIRef("https://w3id.org/cryokg/id/code/A"), URIRef("https://w3id.org/cryokg/id/code/B")
    g.add((a, SKOS.related, b))
    g.add((a, SKOS.prefLabel, Literal("a", lang="en")))
    g.add((a, SKOS.prefLabel, Literal("un a", lang="fr")))
    g.add((a, URIRef("https://w3id.org/cryokg/def/minimumDeviceCount"), Literal("2", datatype=XSD.integer)))
    g.add((b, SKOS.notation, Literal("B")))
    attrs = to_networkx(g)
    assert attrs.nodes[str(a)]["skos:prefLabel@fr"] == ["un a"]
    assert attrs.nodes[str(a)]["cryo:minimumDeviceCount"] == [2]
    assert attrs.nodes[str(a)]["label"] == "a"
    nodes = to_networkx(g, literals="nodes")
    assert nodes.number_of_nodes() == 2 + 4 and nodes.number_of_edges() == 1 + 4
    assert {d["kind"] for _, d in nodes.nodes(data=True)} == {"resource", "literal"}
    omitted = to_networkx(g, literals="omit")
    assert all(":" not in key for _, d in omitted.nodes(data=True) for key in d)
    assert omitted.nodes[str(a)]["label"] == "a", "labels still come from the literals"
    with pytest.raises(ValueError, match="literals"):
        to_networkx(g, literals="edges")


def test_blank_nodes_are_refused():
    g = Graph()
    g.add((URIRef("urn:a"), SKOS.related, BNode()))
    with pytest.raises(ValueError, match="blank node"):
        to_networkx(g)


def test_import_cryokg_stays_light_and_load_gives_networkx():
    release_dir = Path(__file__).resolve().parents[1] / "build"  # the committed release
    code = ("import sys, cryokg; assert 'networkx' not in sys.modules and 'rdflib' not in sys.modules; "
            "assert 'load' in cryokg.__all__; "
            f"view = cryokg.load({str(release_dir)!r}).to_networkx(); "
            "import networkx; assert isinstance(view, networkx.MultiDiGraph) and view.number_of_edges() > 1000")
    subprocess.run([sys.executable, "-c", code], check=True)
