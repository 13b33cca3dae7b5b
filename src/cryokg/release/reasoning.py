"""The inferred closure of the release: OWL 2 RL entailments about our own resources.

Two engines compute it. The default is a small forward-chaining engine for the part of OWL 2 RL that the
cryokg vocabulary uses (class and property hierarchies, domains and ranges, equivalence, inverse, symmetric,
transitive and functional properties). It is ~70x faster than owlrl on the release (owlrl took 5-9 s,
most of a build). owlrl stays as the reference: a test checks that both give the same closure, and when a
graph uses an OWL construct outside the supported part, the fast engine hands the graph to owlrl rather
than silently infer less.

Kept are entailments whose subject is in our namespace; trivia (``x owl:sameAs x``, ``C rdfs:subClassOf C``,
anything about ``owl:Thing``) and blank nodes are dropped, so ``cryokg-inferred.ttl`` is readable and stable.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any, cast
from typing import Literal as Choice

import pyoxigraph as ox
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS
from rdflib.term import Node

from cryokg.gcpause import collector_paused
from cryokg.namespaces import DEFAULT_BASE
from cryokg.rdf.parsing import oxigraph_triple, rdflib_term

__all__ = ["SUPPORTED_OWL", "entailed_triples", "entailments", "inferred_closure"]

Triple = tuple
OxTriple = tuple[Any, Any, Any]
_UNINFORMATIVE = {OWL.Thing, RDFS.Resource, OWL.NamedIndividual}
_REFLEXIVE_TRIVIA = {OWL.sameAs, RDFS.subClassOf, RDFS.subPropertyOf, OWL.equivalentClass, OWL.equivalentProperty}

SUPPORTED_OWL = {
    # predicates the fast engine interprets
    RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range, OWL.equivalentClass, OWL.equivalentProperty,
    OWL.inverseOf,
    # property characteristics it interprets
    OWL.SymmetricProperty, OWL.TransitiveProperty, OWL.FunctionalProperty,
    # declarations and annotations with no OWL 2 RL consequence for our data
    OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, OWL.Ontology, OWL.versionIRI,
    OWL.versionInfo, OWL.disjointWith, OWL.deprecated, OWL.NamedIndividual, OWL.Thing, OWL.imports,
}


def _keep(triple: Triple, base: str) -> bool:
    s, p, o = triple
    if not isinstance(s, URIRef) or not str(s).startswith(base) or isinstance(o, BNode):
        return False
    if s == o and p in _REFLEXIVE_TRIVIA:
        return False
    return o not in _UNINFORMATIVE


_OWL = str(OWL)
_SUPPORTED = {str(term) for term in SUPPORTED_OWL}
_UNSUPPORTED_OWL = f"""ASK {{ {{ ?s ?p ?o FILTER(STRSTARTS(STR(?p), "{_OWL}")
    && ?p NOT IN ({", ".join(f"<{t}>" for t in sorted(_SUPPORTED))})) }}
  UNION {{ ?s a ?o FILTER(isIRI(?o) && STRSTARTS(STR(?o), "{_OWL}")
    && ?o NOT IN ({", ".join(f"<{t}>" for t in sorted(_SUPPORTED))})) }} }}"""


def _uses_only_supported_owl(store: ox.Store) -> bool:
    return not bool(store.query(_UNSUPPORTED_OWL))


def _ancestors(pairs: Iterable[tuple]) -> dict:
    """Transitive closure of a child → parent relation, as child → set of all ancestors."""
    parents: dict = defaultdict(set)
    for child, parent in pairs:
        parents[child].add(parent)
    closure = {}
    for start in list(parents):
        seen: set = set()
        stack = list(parents[start])
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(parents.get(node, ()))
        closure[start] = seen
    return closure


def _ox(iri: URIRef) -> ox.NamedNode:
    return ox.NamedNode(str(iri))


_TYPE, _SUBCLASS, _SUBPROPERTY = _ox(RDF.type), _ox(RDFS.subClassOf), _ox(RDFS.subPropertyOf)
_DOMAIN, _RANGE = _ox(RDFS.domain), _ox(RDFS.range)


def _fast(store: ox.Store, asserted: Callable[[], Iterable[ox.Triple]]) -> set[OxTriple] | None:
    """OWL 2 RL rules cax-sco, cax-eqc, scm-sco, scm-spo, scm-eqc, scm-eqp, scm-dom1/2, scm-rng1/2, prp-dom,
    prp-rng, prp-spo1, prp-eqp, prp-inv, prp-symp, prp-trp, prp-fp, as pyoxigraph terms; ``None`` when prp-fp
    yields owl:sameAs (equality reasoning is left to owlrl).

    *asserted* gives the asserted triples (each call a new pass), *store* the same graph in its default graph,
    where the schema (class and property axioms: IRIs only) is looked up. The triples come from *asserted*, not
    from the store, because Oxigraph gives numbers back in its own canonical form (``"-196"^^xsd:decimal`` for
    a source's ``-196.0``), and an entailment must carry the asserted literal. They are read in two passes and
    never held: what is kept is the schema and the triples the rules derive; a derived triple that is also
    asserted is dropped by the second pass, so memory grows with the entailments, not with the graph (at 1 M
    triples, holding the asserted triples as a set of rdflib terms was the largest part of the reasoning
    stage's memory)."""
    def pairs(predicate: ox.NamedNode) -> list[tuple]:
        return [(q.subject, q.object) for q in store.quads_for_pattern(None, predicate, None, ox.DefaultGraph())]

    def subjects(cls: URIRef) -> set:
        return {q.subject for q in store.quads_for_pattern(None, _TYPE, _ox(cls), ox.DefaultGraph())}

    class_pairs = pairs(_SUBCLASS)
    for a, b in pairs(_ox(OWL.equivalentClass)):
        class_pairs += [(a, b), (b, a)]
    prop_pairs = pairs(_SUBPROPERTY)
    for a, b in pairs(_ox(OWL.equivalentProperty)):
        prop_pairs += [(a, b), (b, a)]
    superclasses, superproperties = _ancestors(class_pairs), _ancestors(prop_pairs)
    domains: dict = defaultdict(set)
    ranges: dict = defaultdict(set)
    for p, c in pairs(_DOMAIN):
        domains[p].add(c)
    for p, c in pairs(_RANGE):
        ranges[p].add(c)
    for p in set(domains) | set(ranges) | set(superproperties):
        for q in superproperties.get(p, ()):  # scm-dom2, scm-rng2
            domains[p] |= domains.get(q, set())
            ranges[p] |= ranges.get(q, set())
    for table in (domains, ranges):  # scm-dom1, scm-rng1
        for p in list(table):
            table[p] |= {sup for c in list(table[p]) for sup in superclasses.get(c, ())}
    symmetric = subjects(OWL.SymmetricProperty)
    transitive = subjects(OWL.TransitiveProperty)
    functional = subjects(OWL.FunctionalProperty)
    inverse: dict = defaultdict(set)
    for a, b in pairs(_ox(OWL.inverseOf)):
        inverse[a].add(b)
        inverse[b].add(a)

    new: set[OxTriple] = set()  # derived; some may be asserted too (removed at the end)
    agenda: list[OxTriple] = []
    literal = ox.Literal

    def add(triple: OxTriple) -> None:
        if triple not in new:
            new.add(triple)
            agenda.append(triple)

    def derive(s: Any, p: Any, o: Any) -> None:
        if p == _TYPE:
            for d in superclasses.get(o, ()):
                add((s, _TYPE, d))
            return
        for q in superproperties.get(p, ()):
            add((s, q, o))
        for c in domains.get(p, ()):
            add((s, _TYPE, c))
        if isinstance(o, literal):
            return
        for c in ranges.get(p, ()):
            add((o, _TYPE, c))
        if p in symmetric:
            add((o, p, s))
        for q in inverse.get(p, ()):
            add((o, q, s))

    for c, sups in superclasses.items():
        for d in sups:
            add((c, _SUBCLASS, d))
    for p, sups in superproperties.items():
        for q in sups:
            add((p, _SUBPROPERTY, q))
    for p, cs in domains.items():
        for c in cs:
            add((p, _DOMAIN, c))
    for p, cs in ranges.items():
        for c in cs:
            add((p, _RANGE, c))
    for triple in asserted():
        derive(triple.subject, triple.predicate, triple.object)
    while agenda:
        while agenda:
            derive(*agenda.pop())
        for p in transitive:
            known = pairs(p) + [(s, o) for s, pp, o in new if pp == p]
            for s, reach in _ancestors(known).items():
                for o in reach:
                    add((s, p, o))
    for p in functional:
        values: dict = defaultdict(set)
        for s, o in pairs(p) + [(s, o) for s, pp, o in new if pp == p]:
            if not isinstance(o, literal):
                values[s].add(o)
        if any(len(v) > 1 for v in values.values()):
            return None
    for triple in asserted():
        new.discard((triple.subject, triple.predicate, triple.object))
    return new


def _owlrl(graph: Graph) -> set[Triple]:
    import owlrl  # the reference and fallback: imported only when it runs (0.1 s of every build otherwise)

    closure = Graph()
    for triple in graph:
        closure.add(triple)
    with collector_paused():  # owlrl allocates many small objects; collection pauses are pure overhead here
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(closure)
    return {t for t in closure if t not in graph}


def _store_of(graph: Graph) -> ox.Store:
    store = ox.Store()
    store.extend(ox.Quad(*oxigraph_triple(s, p, o)) for s, p, o in graph)
    return store


def _keep_ox(triple: OxTriple, base: str) -> bool:
    s, p, o = triple
    if not isinstance(s, ox.NamedNode) or not s.value.startswith(base) or isinstance(o, ox.BlankNode):
        return False
    if s == o and p.value in _REFLEXIVE_TRIVIA_IRIS:
        return False
    return not (isinstance(o, ox.NamedNode) and o.value in _UNINFORMATIVE_IRIS)


_REFLEXIVE_TRIVIA_IRIS = {str(t) for t in _REFLEXIVE_TRIVIA}
_UNINFORMATIVE_IRIS = {str(t) for t in _UNINFORMATIVE}


def entailed_triples(store: ox.Store, asserted: Callable[[], Iterable[ox.Triple]], graph: Graph | None = None, *,
                     base: str = DEFAULT_BASE, engine: Choice["fast", "owlrl"] = "fast") -> list[ox.Triple]:
    """The kept OWL 2 RL entailments of a graph, as pyoxigraph triples (unsorted).

    *store* holds the graph in its default graph; *asserted* gives its triples as pyoxigraph terms (see
    :func:`_fast`); *graph* is the same graph in rdflib, for owlrl (the fallback for constructs the fast engine
    does not implement, and the reference), made from the store when needed and not given."""
    new = _fast(store, asserted) if engine == "fast" and _uses_only_supported_owl(store) else None
    if new is not None:
        return [ox.Triple(*t) for t in new if _keep_ox(t, base)]
    if graph is None:
        from cryokg.rdf.store_graph import store_graph

        graph = store_graph(store)
    return [oxigraph_triple(*t) for t in _owlrl(graph) if _keep(t, base)]


def entailments(graph: Graph, *, base: str = DEFAULT_BASE, engine: Choice["fast", "owlrl"] = "fast",
                store: ox.Store | None = None) -> Graph:
    """The OWL 2 RL entailments of *graph* about resources under *base* that *graph* does not state, as an
    rdflib graph (*store*: a pyoxigraph store holding the same triples, when the caller has one).

    >>> g = Graph().parse(format="turtle", data='''
    ...     @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    ...     @prefix cryo: <https://w3id.org/cryokg/def/> .
    ...     <https://w3id.org/cryokg/id/anatomy/ulnar-nerve> a cryo:Nerve .
    ...     cryo:Nerve rdfs:subClassOf cryo:Anatomy .''')
    >>> [o.n3() for o in entailments(g).objects()]
    ['<https://w3id.org/cryokg/def/Anatomy>']
    >>> len(entailments(g, engine="owlrl"))  # the reference engine (tests/test_reasoning.py compares the two)
    1
    """
    result = Graph()
    if engine == "owlrl":
        for triple in _owlrl(graph):
            if _keep(triple, base):
                result.add(triple)
        return result
    def asserted() -> Iterator[ox.Triple]:
        return (oxigraph_triple(s, p, o) for s, p, o in graph)

    triples = entailed_triples(_store_of(graph) if store is None else store, asserted, graph, base=base, engine=engine)
    result.addN((cast(Node, rdflib_term(t.subject)), URIRef(t.predicate.value), cast(Node, rdflib_term(t.object)),
                 result) for t in triples)
    return result


def inferred_closure(graph: Graph, *, base: str = DEFAULT_BASE) -> Graph:
    """The asserted graph plus its kept entailments."""
    full = Graph()
    for triple in graph:
        full.add(triple)
    for triple in entailments(graph, base=base):
        full.add(triple)
    return full
