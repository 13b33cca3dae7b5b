"""The inferred closure of the release, computed with OWL 2 RL (owlrl).

owlrl materialises every entailment, including a great many about the built-in vocabularies (rdf:, owl:,
xsd: ...) and reflexive ``owl:sameAs`` statements that say nothing new. The release keeps only entailments
about resources of our own namespace, so ``cryokg-inferred.ttl`` is useful to read and stable to diff.
"""

from __future__ import annotations

import gc

import owlrl
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from cryokg.namespaces import DEFAULT_BASE

__all__ = ["entailments", "inferred_closure"]

_UNINFORMATIVE_TYPES = {OWL.Thing, RDFS.Resource, OWL.NamedIndividual}
_REFLEXIVE_TRIVIA = {OWL.sameAs, RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass, OWL.equivalentProperty}


def entailments(graph: Graph, *, base: str = DEFAULT_BASE) -> Graph:
    """The triples that OWL 2 RL entails from *graph* and that *graph* does not already state.

    Only triples whose subject is in our namespace are kept; blank nodes and trivia
    (``x owl:sameAs x``, ``C rdfs:subClassOf C``, ``x rdf:type owl:Thing``) are dropped.
    """
    closure = Graph()
    for triple in graph:
        closure.add(triple)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # owlrl allocates many small objects; collection pauses are pure overhead here
    try:
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False,
                               datatype_axioms=False).expand(closure)
    finally:
        if gc_was_enabled:
            gc.enable()
    result = Graph()
    for s, p, o in closure:
        if (s, p, o) in graph or not isinstance(s, URIRef) or not str(s).startswith(base):
            continue
        if isinstance(o, BNode) or (s == o and p in _REFLEXIVE_TRIVIA):
            continue
        if p == RDF.type and o in _UNINFORMATIVE_TYPES:
            continue
        result.add((s, p, o))
    return result


def inferred_closure(graph: Graph, *, base: str = DEFAULT_BASE) -> Graph:
    """The asserted graph plus its kept entailments."""
    full = Graph()
    for triple in graph:
        full.add(triple)
    for triple in entailments(graph, base=base):
        full.add(triple)
    return full
