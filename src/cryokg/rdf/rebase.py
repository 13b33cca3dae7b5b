"""Moving the dataset to another base IRI (``cryokg build --base-iri``, ``cryokg serve --base-iri``).

One rule for every place that rebases: an IRI under the old base moves to the same path under the new one,
and so does a literal whose text spells such an IRI (``vann:preferredNamespaceUri``, VoID's ``void:uriSpace``),
so a rebased release never points back to the old base. Blank nodes and other terms stay as they are. The
rule works on the term's text; :func:`rebase_rdflib` and :func:`rebase_oxigraph` only rebuild the terms of
each library.

>>> moved("https://w3id.org/cryokg/id/code/0440T", "https://w3id.org/cryokg/", "http://127.0.0.1:8000/")
'http://127.0.0.1:8000/id/code/0440T'
>>> moved("https://example.org/x", "https://w3id.org/cryokg/", "http://127.0.0.1:8000/") is None
True
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

__all__ = ["moved", "rebase_oxigraph", "rebase_rdflib", "rebased_triples"]


def moved(text: str, old: str, new: str) -> str | None:
    """*text* under *new* when it starts with *old*, else None (the term does not move)."""
    return new + text[len(old):] if text.startswith(old) else None


def _rdflib_term(term: Node, old: str, new: str) -> Node:
    if isinstance(term, URIRef | Literal) and (text := moved(str(term), old, new)) is not None:
        if isinstance(term, URIRef):
            return URIRef(text)
        return Literal(text, lang=term.language, datatype=term.datatype)
    return term


def rebase_rdflib(graph: Graph, old: str, new: str) -> Graph:
    """A new rdflib graph with every term of *graph* moved from *old* to *new* (the same graph when equal)."""
    if old == new:
        return graph
    result = Graph()
    result.addN((_rdflib_term(s, old, new), _rdflib_term(p, old, new), _rdflib_term(o, old, new), result)
                for s, p, o in graph)
    return result


_OxTerm = TypeVar("_OxTerm", ox.NamedNode, ox.NamedNode | ox.BlankNode | ox.Triple,
                   ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple, ox.NamedNode | ox.BlankNode | ox.DefaultGraph)
"""A term in one position of a quad (predicate, subject, object, graph name): it stays a term of that kind."""


def _ox_term(term: _OxTerm, old: str, new: str) -> _OxTerm:
    if isinstance(term, ox.NamedNode) and (text := moved(term.value, old, new)) is not None:
        return ox.NamedNode(text)
    if isinstance(term, ox.Literal) and (text := moved(term.value, old, new)) is not None:
        return ox.Literal(text, language=term.language) if term.language else ox.Literal(text, datatype=term.datatype)
    return term


def rebase_oxigraph(quads: Iterable[ox.Quad], old: str, new: str) -> ox.Store:
    """A new pyoxigraph store holding *quads* with every term moved from *old* to *new*."""
    store = ox.Store()
    store.bulk_extend(ox.Quad(_ox_term(q.subject, old, new), _ox_term(q.predicate, old, new),
                              _ox_term(q.object, old, new), _ox_term(q.graph_name, old, new)) for q in quads)
    return store


def rebased_triples(triples: Iterable[ox.Triple], old: str, new: str) -> Iterator[ox.Triple]:
    """*triples* with every term moved from *old* to *new* (the same triples when equal)."""
    if old == new:
        yield from triples
        return
    for t in triples:
        yield ox.Triple(_ox_term(t.subject, old, new), _ox_term(t.predicate, old, new), _ox_term(t.object, old, new))
