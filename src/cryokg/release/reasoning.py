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
from collections.abc import Iterable
from typing import Literal as Choice

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS

from cryokg.gcpause import collector_paused
from cryokg.namespaces import DEFAULT_BASE

__all__ = ["SUPPORTED_OWL", "entailments", "inferred_closure"]

Triple = tuple
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


def _uses_only_supported_owl(graph: Graph) -> bool:
    owl_ns = str(OWL)
    for _s, p, o in graph:
        if str(p).startswith(owl_ns) and p not in SUPPORTED_OWL:
            return False
        if p == RDF.type and isinstance(o, URIRef) and str(o).startswith(owl_ns) and o not in SUPPORTED_OWL:
            return False
    return True


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


def _fast(graph: Graph) -> set[Triple] | None:
    """OWL 2 RL rules cax-sco, cax-eqc, scm-sco, scm-spo, scm-eqc, scm-eqp, scm-dom1/2, scm-rng1/2, prp-dom,
    prp-rng, prp-spo1, prp-eqp, prp-inv, prp-symp, prp-trp, prp-fp; ``None`` when prp-fp yields owl:sameAs
    (equality reasoning is left to owlrl)."""
    asserted = set(graph)
    class_pairs = list(graph.subject_objects(RDFS.subClassOf))
    for a, b in graph.subject_objects(OWL.equivalentClass):
        class_pairs += [(a, b), (b, a)]
    prop_pairs = list(graph.subject_objects(RDFS.subPropertyOf))
    for a, b in graph.subject_objects(OWL.equivalentProperty):
        prop_pairs += [(a, b), (b, a)]
    superclasses, superproperties = _ancestors(class_pairs), _ancestors(prop_pairs)
    domains: dict = defaultdict(set)
    ranges: dict = defaultdict(set)
    for p, c in graph.subject_objects(RDFS.domain):
        domains[p].add(c)
    for p, c in graph.subject_objects(RDFS.range):
        ranges[p].add(c)
    for p in set(domains) | set(ranges) | set(superproperties):
        for q in superproperties.get(p, ()):  # scm-dom2, scm-rng2
            domains[p] |= domains.get(q, set())
            ranges[p] |= ranges.get(q, set())
    for table in (domains, ranges):  # scm-dom1, scm-rng1
        for p in list(table):
            table[p] |= {sup for c in list(table[p]) for sup in superclasses.get(c, ())}
    symmetric = set(graph.subjects(RDF.type, OWL.SymmetricProperty))
    transitive = set(graph.subjects(RDF.type, OWL.TransitiveProperty))
    functional = set(graph.subjects(RDF.type, OWL.FunctionalProperty))
    inverse: dict = defaultdict(set)
    for a, b in graph.subject_objects(OWL.inverseOf):
        inverse[a].add(b)
        inverse[b].add(a)

    known = set(asserted)
    agenda: list[Triple] = []

    def add(triple: Triple) -> None:
        if triple not in known:
            known.add(triple)
            agenda.append(triple)

    for c, sups in superclasses.items():
        for d in sups:
            add((c, RDFS.subClassOf, d))
    for p, sups in superproperties.items():
        for q in sups:
            add((p, RDFS.subPropertyOf, q))
    for p, cs in domains.items():
        for c in cs:
            add((p, RDFS.domain, c))
    for p, cs in ranges.items():
        for c in cs:
            add((p, RDFS.range, c))
    agenda.extend(asserted)
    while agenda:
        while agenda:
            s, p, o = agenda.pop()
            if p == RDF.type:
                for d in superclasses.get(o, ()):
                    add((s, RDF.type, d))
                continue
            for q in superproperties.get(p, ()):
                add((s, q, o))
            for c in domains.get(p, ()):
                add((s, RDF.type, c))
            if isinstance(o, Literal):
                continue
            for c in ranges.get(p, ()):
                add((o, RDF.type, c))
            if p in symmetric:
                add((o, p, s))
            for q in inverse.get(p, ()):
                add((o, q, s))
        for p in transitive:
            for s, reach in _ancestors((s, o) for s, pp, o in list(known) if pp == p).items():
                for o in reach:
                    add((s, p, o))
    for p in functional:
        values: dict = defaultdict(set)
        for s, pp, o in known:
            if pp == p and not isinstance(o, Literal):
                values[s].add(o)
        if any(len(v) > 1 for v in values.values()):
            return None
    return known - asserted


def _owlrl(graph: Graph) -> set[Triple]:
    import owlrl  # the reference and fallback: imported only when it runs (0.1 s of every build otherwise)

    closure = Graph()
    for triple in graph:
        closure.add(triple)
    with collector_paused():  # owlrl allocates many small objects; collection pauses are pure overhead here
        owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(closure)
    return {t for t in closure if t not in graph}


def entailments(graph: Graph, *, base: str = DEFAULT_BASE, engine: Choice["fast", "owlrl"] = "fast") -> Graph:
    """The OWL 2 RL entailments of *graph* about resources under *base* that *graph* does not state.

    >>> from cryokg.sources.load import load_sources
    >>> g = load_sources().graph
    >>> len(entailments(g)) == len(entailments(g, engine="owlrl"))
    True
    """
    new = None
    if engine == "fast" and _uses_only_supported_owl(graph):
        new = _fast(graph)
    if new is None:
        new = _owlrl(graph)
    result = Graph()
    for triple in new:
        if _keep(triple, base):
            result.add(triple)
    return result


def inferred_closure(graph: Graph, *, base: str = DEFAULT_BASE) -> Graph:
    """The asserted graph plus its kept entailments."""
    full = Graph()
    for triple in graph:
        full.add(triple)
    for triple in entailments(graph, base=base):
        full.add(triple)
    return full
