"""A graph as a subject -> predicate -> objects table, read in one pass: what the SHACL index starts from.

Iterating an rdflib ``Memory`` graph costs microseconds a triple, most of it working out each triple's
contexts, which the index does not need; the store's own subject -> predicate -> objects dictionaries hold
the same triples. rdflib has no public way to read them, so :func:`subject_table` reads the private
attribute ``Memory.__spo`` -- kept because it is measurably needed: ``scripts/bench_build.py`` rows
"subject table: store dictionaries" against "subject table: public scan" (the public
``for s, p, o in graph``) at 100 k triples: 0.04 s against 0.26 s, with the collector paused as in the
validation, where the whole SHACL validation takes about 1 s. The private path is used only when it is safe: the store is exactly
rdflib's ``Memory``, the attribute is a dictionary, and it holds exactly the graph's triples (a graph that
shares its store with other graphs has more there); in every other case, including an rdflib release that
renames the attribute, :func:`scan` builds the same table through the public API.
``tests/test_triple_table.py`` checks that both give the same table.
"""

from __future__ import annotations

from rdflib import Graph
from rdflib.plugins.stores.memory import Memory
from rdflib.term import Node

__all__ = ["scan", "subject_table"]

Table = dict[Node, dict[Node, list[Node]]]


def subject_table(graph: Graph) -> Table:
    """Subject -> predicate -> objects of *graph* (the order of subjects and objects is the store's)."""
    return _from_memory_store(graph) or scan(graph)


def _from_memory_store(graph: Graph) -> Table | None:
    store = graph.store
    spo = getattr(store, "_Memory__spo", None) if type(store) is Memory else None
    if not isinstance(spo, dict):
        return None
    table = {s: {p: list(objects) for p, objects in by_predicate.items() if objects}
             for s, by_predicate in spo.items()}
    table = {s: by_predicate for s, by_predicate in table.items() if by_predicate}
    if sum(len(objects) for by_predicate in table.values() for objects in by_predicate.values()) != len(graph):
        return None
    return table


def scan(graph: Graph) -> Table:
    """The same table through rdflib's public iteration (the fallback, and the reference in tests)."""
    table: Table = {}
    for s, p, o in graph:
        by_predicate = table.get(s)
        if by_predicate is None:
            table[s] = {p: [o]}
            continue
        objects = by_predicate.get(p)
        if objects is None:
            by_predicate[p] = [o]
        else:
            objects.append(o)
    return table
