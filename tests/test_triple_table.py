"""The subject table the SHACL index reads: the fast path (rdflib's store dictionaries) equals the public scan."""

from __future__ import annotations

from rdflib import Dataset, Graph, Literal, URIRef

from cryokg.rdf import triple_table


def _normalised(table: dict) -> dict:
    return {s: {p: sorted(objects) for p, objects in by_p.items()} for s, by_p in table.items()}


def _sample() -> Graph:
    graph = Graph()
    a, b, p, q = (URIRef(f"urn:x:{n}") for n in "abpq")
    for triple in ((a, p, b), (a, p, Literal("x")), (a, q, Literal("x", lang="en")), (b, p, a)):
        graph.add(triple)
    return graph


def test_fast_path_equals_public_scan(release) -> None:
    for graph in (_sample(), release.asserted):
        fast = triple_table._from_memory_store(graph)
        assert fast is not None, "rdflib's Memory store no longer exposes its dictionaries: the fast path is gone"
        assert _normalised(fast) == _normalised(triple_table.scan(graph))


def test_shared_store_falls_back_to_the_scan() -> None:
    dataset = Dataset()
    one = dataset.graph(URIRef("urn:g:1"))
    two = dataset.graph(URIRef("urn:g:2"))
    one.add((URIRef("urn:x:a"), URIRef("urn:x:p"), Literal("1")))
    two.add((URIRef("urn:x:b"), URIRef("urn:x:p"), Literal("2")))
    table = triple_table.subject_table(one)
    assert list(table) == [URIRef("urn:x:a")]
