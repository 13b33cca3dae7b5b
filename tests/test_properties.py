"""Property-based tests: random graphs in our vocabulary survive every serialisation without loss, and the
canonical Turtle writer is idempotent."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from rdflib import BNode, Graph, URIRef
from rdflib.compare import isomorphic
from tests.strategies import examples, graphs

from cryokg.rdf.parsing import parse_rdf
from cryokg.release.writers import FORMATS, to_jsonld, to_ntriples, to_rdfxml, to_turtle

PARSE_AS = {"turtle": "turtle", "ntriples": "ntriples", "jsonld": "jsonld", "rdfxml": "rdfxml"}
SETTINGS = settings(max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _reparse(text: str, fmt: str) -> Graph:
    graph = Graph()
    for triple in parse_rdf(text.encode("utf-8"), fmt=PARSE_AS[fmt]):
        graph.add(triple)
    return graph


def _same(a: Graph, b: Graph) -> bool:
    # compare by meaning: literal values normalised the way RDF 1.1 defines equality of terms
    return isomorphic(a, b) and len(a) == len(b)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@SETTINGS
@given(graph=graphs())
def test_round_trip_through_every_syntax(fmt: str, graph: Graph) -> None:
    text = FORMATS[fmt](graph)
    assert _same(_reparse(text, fmt), graph)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@SETTINGS
@given(graph=graphs())
def test_rdflib_reads_what_we_write(fmt: str, graph: Graph) -> None:
    """A second, independent parser (rdflib's) agrees with pyoxigraph on our output."""
    rdflib_format = {"turtle": "turtle", "ntriples": "nt", "jsonld": "json-ld", "rdfxml": "xml"}[fmt]
    assert _same(Graph().parse(data=FORMATS[fmt](graph), format=rdflib_format), graph)


@SETTINGS
@given(graph=graphs())
def test_canonical_turtle_is_idempotent(graph: Graph) -> None:
    once = to_turtle(graph)
    twice = to_turtle(_reparse(once, "turtle"))
    assert once == twice


@SETTINGS
@given(graph=graphs())
def test_serialisation_does_not_depend_on_insertion_order(graph: Graph) -> None:
    shuffled = Graph()
    for triple in sorted(graph, key=lambda t: tuple(reversed([str(x) for x in t]))):
        shuffled.add(triple)
    for fmt, writer in FORMATS.items():
        assert writer(shuffled) == writer(graph), fmt


@pytest.mark.parametrize("writer", [to_turtle, to_ntriples, to_jsonld, to_rdfxml], ids=lambda w: w.__name__)
@pytest.mark.parametrize("position", [0, 2], ids=["subject", "object"])
def test_writers_refuse_blank_nodes(writer, position) -> None:
    """A blank node has no stable name, so no writer can give the same bytes twice: each refuses it."""

    triple = [URIRef("https://w3id.org/cryokg/id/x/s"), URIRef("https://w3id.org/cryokg/def/p"),
              URIRef("https://w3id.org/cryokg/id/x/o")]
    triple[position] = BNode()
    graph = Graph()
    graph.add(tuple(triple))
    with pytest.raises(ValueError, match="blank nodes"):
        writer(graph)
