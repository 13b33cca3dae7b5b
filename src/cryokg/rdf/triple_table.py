"""A graph as a subject -> predicate -> objects table, read in one pass: what the writers and the SHACL index
both start from.

Iterating an rdflib ``Memory`` graph costs about 7 µs a triple, most of it working out each triple's
contexts, which neither needs; the store's own subject -> predicate -> objects dictionaries hold the same
triples. They are copied only when they hold exactly the graph's triples (a graph that shares its store with
other graphs has more there), so the table always equals a plain scan; anything else is scanned.
"""

from __future__ import annotations

from rdflib import Graph
from rdflib.plugins.stores.memory import Memory
from rdflib.term import Node

__all__ = ["subject_table"]

Table = dict[Node, dict[Node, list[Node]]]


def subject_table(graph: Graph) -> Table:
    """Subject -> predicate -> objects of *graph* (the order of subjects and objects is the store's)."""
    return _from_memory_store(graph) or _scan(graph)


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


def _scan(graph: Graph) -> Table:
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
