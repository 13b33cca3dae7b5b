"""The fast OWL 2 RL engine gives exactly owlrl's closure (the reference), and falls back to owlrl for
constructs it does not implement."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF, RDFS

from cryokg.namespaces import CRYO, id_namespace
from cryokg.release.reasoning import entailments

ANAT = id_namespace("anatomy")


@pytest.mark.slow  # owlrl's time on the whole release
def test_fast_engine_matches_owlrl_on_the_release(graph: Graph) -> None:
    fast, reference = entailments(graph), entailments(graph, engine="owlrl")
    assert len(fast) > 500
    assert isomorphic(fast, reference), (set(fast) ^ set(reference))


def test_entailments_include_inherited_types(graph: Graph) -> None:
    radial = ANAT["radial-nerve"]
    inferred = entailments(graph)
    assert (radial, RDF.type, CRYO.AnatomicalStructure) in inferred
    assert (radial, RDF.type, URIRef("https://schema.org/Nerve")) in inferred
    assert (radial, RDF.type, CRYO.Nerve) not in inferred, "asserted triples are not repeated"


def _tiny(*extra: tuple) -> Graph:
    g = Graph()
    a, b, c = ANAT["a"], ANAT["b"], ANAT["c"]
    for t in [(CRYO.partOf, RDF.type, OWL.TransitiveProperty), (a, CRYO.partOf, b), (b, CRYO.partOf, c),
              (CRYO.Nerve, RDFS.subClassOf, CRYO.AnatomicalStructure), *extra]:
        g.add(t)
    return g


def test_transitive_and_symmetric_properties() -> None:
    g = _tiny((CRYO.near, RDF.type, OWL.SymmetricProperty), (ANAT["a"], CRYO.near, ANAT["c"]))
    inferred = entailments(g)
    assert (ANAT["a"], CRYO.partOf, ANAT["c"]) in inferred
    assert (ANAT["c"], CRYO.near, ANAT["a"]) in inferred
    assert isomorphic(inferred, entailments(g, engine="owlrl"))


def test_unsupported_construct_falls_back_to_owlrl() -> None:
    # owl:hasValue restrictions are outside the fast engine; the answer must still be owlrl's
    r = ANAT["restriction"]
    g = _tiny((r, RDF.type, OWL.Restriction), (r, OWL.onProperty, CRYO.partOf), (r, OWL.hasValue, ANAT["c"]),
              (ANAT["d"], RDF.type, r))
    inferred = entailments(g)
    assert (ANAT["d"], CRYO.partOf, ANAT["c"]) in inferred
    assert isomorphic(inferred, entailments(g, engine="owlrl"))
