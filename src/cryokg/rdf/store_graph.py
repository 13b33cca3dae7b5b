"""An rdflib graph whose triples live in a pyoxigraph store: for graphs too large for rdflib's own memory store.

rdflib's ``Memory`` store costs about 1.2 KB per triple (notes/performance.md), so a million-triple release
held as an rdflib graph, plus its closure, is most of a build's memory; pyoxigraph keeps the same triples on
disk (RocksDB) in a process that stays near 150 MB at 1 M triples, or in memory at about 370 bytes a triple
(``scripts/bench.py``, "memory" rows). Code that asks the graph small questions -- the objects of a subject,
the subjects of a type, a label -- works unchanged on :func:`store_graph`; passes over every triple should
read the pyoxigraph store itself, which is an order of magnitude faster than any rdflib iteration.

Terms cross over by :func:`cryokg.rdf.parsing.rdflib_term` and :func:`~cryokg.rdf.parsing.oxigraph_term`, the
project's one converter (``xsd:string`` literals come back plain, as the sources have them; a third-party
rdflib store for pyoxigraph returns them typed, which made pyshacl report false violations). The graph is
read-only: adding or removing raises ``TypeError``.

>>> import pyoxigraph as ox
>>> store = ox.Store()
>>> store.add(ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:p"), ox.Literal("x")))
>>> graph = store_graph(store)
>>> len(graph), graph.value(URIRef("urn:a"), URIRef("urn:p"))
(1, rdflib.term.Literal('x'))
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any, cast

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.store import Store

from cryokg.rdf.parsing import oxigraph_term, rdflib_term

__all__ = ["OxigraphStore", "store_graph"]

_CACHED_SUBJECTS = 64


class OxigraphStore(Store):
    """rdflib's Store interface, read-only, over one graph of a pyoxigraph store (the default graph unless
    *graph_name* names another).

    *scan*, when given, yields the same triples as pyoxigraph terms faster than the store can (the source files
    parsed again: 1.1 s at 1 M triples against 5 s from an on-disk store); iterating the whole graph uses it."""

    context_aware = False
    formula_aware = False
    transaction_aware = False
    graph_aware = False

    def __init__(self, store: ox.Store, graph_name: ox.NamedNode | ox.DefaultGraph | None = None, *,
                 scan: Callable[[], Iterable[ox.Triple]] | None = None) -> None:
        super().__init__()
        self.ox_store = store
        self.scan = scan
        self.graph_name = ox.DefaultGraph() if graph_name is None else graph_name
        self._namespaces: dict[str, URIRef] = {}
        self._prefixes: dict[URIRef, str] = {}
        self._length: int | None = None
        self._rows: dict[Any, list[tuple[Any, Any, Any]]] = {}

    def triples(self, triple_pattern: Any, context: Any = None) -> Iterator[tuple[tuple, Iterator]]:
        s, p, o = triple_pattern
        if s is None and p is None and o is None and self.scan is not None:
            for triple in self.scan():
                yield (rdflib_term(triple.subject), URIRef(triple.predicate.value), rdflib_term(triple.object)), iter(())
            return
        try:
            pattern = [None if t is None else oxigraph_term(t) for t in (s, p, o)]
        except (TypeError, ValueError):  # a term pyoxigraph cannot hold is in no triple of the store
            return
        if pattern[1] is not None and not isinstance(pattern[1], ox.NamedNode):
            return
        if s is not None and o is None:  # "the objects of s (for p)": all of s read once, kept for the next questions
            predicate = pattern[1]
            for p_ox, p_rd, obj in self._subject_rows(pattern[0]):
                if predicate is None or p_ox == predicate:
                    yield (s, p_rd, rdflib_term(obj)), iter(())
            return
        for quad in self.ox_store.quads_for_pattern(pattern[0], pattern[1], pattern[2], self.graph_name):
            yield (rdflib_term(quad.subject), URIRef(quad.predicate.value), rdflib_term(quad.object)), iter(())

    def _subject_rows(self, subject: Any) -> list[tuple[Any, Any, Any]]:
        """(pyoxigraph predicate, rdflib predicate, pyoxigraph object) of every triple of *subject*, from a small
        cache: callers ask about one resource many times in a row (the FHIR export asks about twenty
        predicates of each concept), and each look-up in an on-disk store costs tens of microseconds."""
        rows = self._rows.get(subject)
        if rows is None:
            if len(self._rows) >= _CACHED_SUBJECTS:
                self._rows.pop(next(iter(self._rows)))
            rows = self._rows[subject] = [
                (q.predicate, URIRef(q.predicate.value), q.object)
                for q in self.ox_store.quads_for_pattern(subject, None, None, self.graph_name)]
        return rows

    def __len__(self, context: Any = None) -> int:
        if self._length is None:  # the store does not change under a read-only graph
            graph = "" if isinstance(self.graph_name, ox.DefaultGraph) else f"GRAPH <{self.graph_name.value}>"
            solutions = self.ox_store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {graph} {{ ?s ?p ?o }} }}")
            self._length = int(next(iter(cast(ox.QuerySolutions, solutions)))[0].value)
        return self._length

    def contexts(self, triple: Any = None) -> Generator[Graph, None, None]:
        yield from ()

    def add(self, triple: Any, context: Any, quoted: bool = False) -> None:
        raise TypeError("a graph over a pyoxigraph store is read-only")

    def addN(self, quads: Any) -> None:
        raise TypeError("a graph over a pyoxigraph store is read-only")

    def remove(self, triple: Any, context: Any = None) -> None:
        raise TypeError("a graph over a pyoxigraph store is read-only")

    def bind(self, prefix: str, namespace: Any, override: bool = True) -> None:
        namespace = URIRef(str(namespace))
        if not override and (prefix in self._namespaces or namespace in self._prefixes):
            return
        old = self._namespaces.pop(prefix, None)
        if old is not None:
            self._prefixes.pop(old, None)
        self._prefixes.pop(namespace, None)
        self._namespaces[prefix] = namespace
        self._prefixes[namespace] = prefix

    def namespace(self, prefix: str) -> URIRef | None:
        return self._namespaces.get(prefix)

    def prefix(self, namespace: Any) -> str | None:
        return self._prefixes.get(URIRef(str(namespace)))

    def namespaces(self) -> Iterator[tuple[str, URIRef]]:
        yield from self._namespaces.items()


def store_graph(store: ox.Store, graph_name: ox.NamedNode | ox.DefaultGraph | None = None, *,
                scan: Callable[[], Iterable[ox.Triple]] | None = None) -> Graph:
    """A read-only rdflib graph over one graph of *store* (see the module docstring and :class:`OxigraphStore`)."""
    return Graph(store=OxigraphStore(store, graph_name, scan=scan))
