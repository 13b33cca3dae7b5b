"""The graph view of a release without networkx: compact per-node records read from sorted canonical N-Triples.

:func:`cryokg.release.graphview.to_networkx` builds a networkx ``MultiDiGraph`` (about 4 KB per node with its
edges and attribute dictionaries), and networkx's writers then build a whole XML or JSON document beside it:
at 1 M triples the exports took the build from 2.2 GiB to 5.4 GiB of peak memory (``scripts/bench_build.py``,
the "export: ..." rows). :class:`GraphRecords` holds the same view -- the same nodes, attributes and edges, by
the mapping the graphview module documents -- as one tuple per node, built subject by subject from the sorted
``cryokg.nt`` the build has just written, and offers the part of networkx's graph interface the exporters use
(``nodes(data=True)``, ``edges(keys=True, data=True)``, ``graph``), in the same order. The exporters
(:mod:`cryokg.release.exports`) stream their files from either.

>>> from cryokg.release.writers import Canonical
>>> line = ('<https://w3id.org/cryokg/id/code/0440T> <https://w3id.org/cryokg/def/method> '
...         '<https://w3id.org/cryokg/id/technique/cryoablation> .\\n')
>>> view = GraphRecords.from_canonical(Canonical.from_lines([line]))
>>> [n for n, _ in view.nodes(data=True)], [(k, d["inferred"]) for _, _, k, d in view.edges(keys=True, data=True)]
(['https://w3id.org/cryokg/id/code/0440T', 'https://w3id.org/cryokg/id/technique/cryoablation'], [('cryo:method', False)])
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

import pyoxigraph as ox
from rdflib import URIRef

from cryokg.namespaces import PREFIXES, curie
from cryokg.rdf.parsing import rdflib_term
from cryokg.release.graphview import _label_rank, _literal_key, _value_key, python_value
from cryokg.release.writers import Canonical

__all__ = ["GraphRecords"]

_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_LABELS = {"http://www.w3.org/2004/02/skos/core#prefLabel", "http://www.w3.org/2000/01/rdf-schema#label",
           "http://purl.org/dc/terms/title"}
_NO_ATTRS: tuple = ()


class GraphRecords:
    """The view as records: per node its literal attributes and its outgoing edges, nodes sorted by IRI."""

    def __init__(self, prefixes: dict[str, str], inferred: bool) -> None:
        self.graph: dict[str, Any] = {"name": "cryokg", "inferred": inferred}
        self._prefixes = prefixes
        self._short: dict[str, str] = {}
        self._strings: dict[object, Any] = {}
        # node -> (label, types, attribute pairs, edges): attribute pairs are (key, sorted values), edges are
        # (predicate CURIE, target IRI, inferred) sorted; object-only nodes are in _targets only
        self._records: dict[str, tuple[str | None, tuple[str, ...], tuple, tuple]] = {}
        self._targets: set[str] = set()
        self._nodes: list[str] | None = None

    def _c(self, iri: str) -> str:
        found = self._short.get(iri)
        if found is None:
            found = self._short[iri] = curie(iri, self._prefixes)
        return found

    def _intern(self, value: Any) -> Any:
        """One shared object per distinct value. Keyed by type, and floats by repr: 0.0 == -0.0 in Python."""
        return self._strings.setdefault((type(value), repr(value) if type(value) is float else value), value)

    @classmethod
    def from_canonical(cls, lines: Canonical, *, asserted: Canonical | None = None,
                       prefixes: dict[str, str] = PREFIXES) -> GraphRecords:
        """The view of the graph whose sorted canonical lines are *lines*; with *asserted* (the asserted graph's,
        *lines* then being the closure's), edges not asserted are flagged ``inferred``."""
        view = cls(prefixes, inferred=asserted is not None)
        known = asserted.lines() if asserted is not None else None
        for subject, triples, entailed in _subjects(lines.lines(), known):
            view._add(subject, triples, entailed)
        return view

    def _add(self, subject: str, triples: list[ox.Triple], entailed: list[bool]) -> None:
        types: set[str] = set()
        values: dict[str, dict[tuple[str, str], Any]] = {}  # keyed as graphview keys them (type and repr)
        label: tuple | None = None
        edges = []
        for triple, flag in zip(triples, entailed, strict=True):
            predicate, obj = triple.predicate.value, triple.object
            if isinstance(obj, ox.NamedNode):
                if predicate == _RDF_TYPE:
                    types.add(self._c(obj.value))
                    continue
                target = self._intern(obj.value)
                self._targets.add(target)
                edges.append((self._c(predicate), target, flag))
                continue
            if isinstance(obj, ox.BlankNode):
                raise ValueError(f"blank node in {triple}: give every node an IRI so the view and its exports are "
                                 "reproducible")
            literal = rdflib_term(obj)
            if predicate in _LABELS:
                rank = _label_rank(URIRef(predicate), literal)  # type: ignore[arg-type]
                label = rank if label is None else min(label, rank)
            value = python_value(literal)  # type: ignore[arg-type]
            values.setdefault(_literal_key(self._c(predicate), literal), {})[_value_key(value)] = value  # type: ignore[arg-type]
        attrs = tuple((self._intern(key), tuple(self._intern(v) for _, v in sorted(values[key].items())))
                      for key in sorted(values))
        self._records[self._intern(subject)] = (None if label is None else self._intern(label[2]),
                                                tuple(sorted(types)), attrs, tuple(sorted(edges)))
        self._nodes = None

    # --- networkx's interface, as the exporters use it ----------------------------------------------------
    def node_ids(self) -> list[str]:
        if self._nodes is None:
            self._nodes = sorted(self._targets.union(self._records))
        return self._nodes

    def number_of_nodes(self) -> int:
        return len(self.node_ids())

    def attributes(self, node: str) -> dict[str, Any]:
        """The node's attributes, as :func:`cryokg.release.graphview.to_networkx` sets them."""
        label, types, attrs, _edges = self._records.get(node, (None, (), _NO_ATTRS, ()))
        short = self._c(node)
        data: dict[str, Any] = {"iri": node, "curie": short, "label": short if label is None else label,
                                "types": list(types)}
        for key, values in attrs:
            data[key] = list(values)
        return data

    @property
    def nodes(self) -> _NodeView:
        """Iterable (node ids, sorted) and callable (``nodes(data=True)``), as networkx's ``G.nodes``."""
        return _NodeView(self)

    def _out(self, node: str) -> tuple:
        """(predicate CURIE, target, inferred) of *node*, sorted."""
        return self._records.get(node, (None, (), (), ()))[3]

    def out_edges(self, node: str, keys: bool = True, data: bool = True) -> list[tuple]:
        """The edges from *node*, as ``MultiDiGraph.out_edges(node, keys=True, data=True)`` gives them."""
        return [(node, target, key, {"predicate": key, "inferred": flag}) for key, target, flag in self._out(node)]

    def edges(self, keys: bool = False, data: bool = False) -> Iterator[tuple]:
        """Every edge in networkx's order for the view: sources sorted; per source, targets in the order they
        first appear among its sorted (predicate, target) pairs; per target, predicates sorted."""
        for node in self.node_ids():
            targets: dict[str, list[tuple[str, bool]]] = {}
            for key, target, flag in self._out(node):
                targets.setdefault(target, []).append((key, flag))
            for target, found in targets.items():
                for key, flag in found:
                    item: tuple = (node, target)
                    if keys:
                        item += (key,)
                    if data:
                        item += ({"predicate": key, "inferred": flag},)
                    yield item


def _subjects(lines: Iterable[str], asserted: Iterable[str] | None) -> Iterator[tuple[str, list[ox.Triple], list[bool]]]:
    """(subject IRI, its triples, whether each is entailed) per subject of the sorted *lines*."""
    known = iter(asserted) if asserted is not None else None
    pending = next(known, None) if known is not None else None
    for subject, group in itertools.groupby(lines, key=lambda line: line[:line.index(" ")]):
        block = list(group)
        entailed = []
        for line in block:
            if known is None:
                entailed.append(False)
                continue
            while pending is not None and pending < line:
                pending = next(known, None)
            entailed.append(pending != line)
        triples = list(ox.parse("".join(block).encode("utf-8"), format=ox.RdfFormat.N_TRIPLES))
        yield subject[1:-1], triples, entailed


class _NodeView:
    def __init__(self, records: GraphRecords) -> None:
        self._records = records

    def __iter__(self) -> Iterator[str]:
        return iter(self._records.node_ids())

    def __len__(self) -> int:
        return len(self._records.node_ids())

    def __call__(self, data: bool = False) -> Iterator[Any]:
        for node in self._records.node_ids():
            yield (node, self._records.attributes(node)) if data else node
