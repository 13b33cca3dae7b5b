"""A networkx view of the release: the RDF graph as nodes and edges, for analytics and graph exchange formats.

RDF and property-graph tools disagree on what a node is, so the view fixes one mapping and every exporter,
analytics script and test relies on it:

* **Resource = node.** A resource is every IRI that is the subject of a triple, or the object of an
  *object-property triple*: a triple whose object is an IRI and whose predicate is not ``rdf:type``.
  The node id is the full IRI. A class that only appears as the object of ``rdf:type`` is not a node; a class
  that the graph describes (our vocabulary is part of the release) is a node like any other.
* **rdf:type is an attribute, not an edge.** ``types`` is the sorted list of the node's type CURIEs (empty when
  untyped). Edges to classes would turn every class into a hub and drown centrality in bookkeeping.
* **One edge per object-property triple**, subject to object, in a ``MultiDiGraph`` (two resources can be
  linked by several predicates). The edge key and its ``predicate`` attribute are the predicate's CURIE;
  ``inferred`` says whether the triple is an OWL 2 RL entailment rather than an asserted fact.
* **Literals** (``literals="attributes"``, the default) become node attributes named by the predicate's CURIE,
  suffixed with ``@lang`` for language-tagged values (``skos:prefLabel@en``), so labels in several languages
  are kept apart. Values are always a list, sorted, even for one value, so code never branches on the shape:
  ``xsd:boolean``, integer types and ``xsd:double``/``xsd:float`` become Python ``bool``/``int``/``float``;
  everything else (strings, dates, decimals) keeps its lexical form. ``literals="nodes"`` makes each distinct
  literal a node of its own (id: its N-Triples form) with an edge per literal triple; ``literals="omit"``
  drops them.
* **Fixed node attributes**: ``iri``, ``curie``, ``label`` (``skos:prefLabel``, else ``rdfs:label``, else
  ``dcterms:title`` (sources have titles, not labels); English first, then untagged, then other languages;
  else the CURIE) and ``types``. Predicate keys always contain a
  colon, so they never collide with these names.
* **Blank nodes are refused** with :class:`ValueError`: their ids are not stable between runs, so exports of a
  graph with blank nodes could not be byte-reproducible. The release has none (the sources forbid them).

Nodes, attributes and edges are inserted in sorted order, so every writer that follows insertion order
produces the same bytes for the same graph.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, cast
from typing import Literal as Choice

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from cryokg.namespaces import PREFIXES, curie

if TYPE_CHECKING:
    import networkx as nx

    from cryokg.release.model import Release

__all__ = ["LITERAL_MODES", "NODE_FIELDS", "is_resource_triple", "label_for", "python_value", "resources",
           "to_networkx"]

LITERAL_MODES = ("attributes", "nodes", "omit")
NODE_FIELDS = ("iri", "curie", "label", "types")
"""Attributes every resource node has, in this order, before its literal properties."""

_INTEGER_TYPES = {XSD.integer, XSD.int, XSD.long, XSD.short, XSD.byte, XSD.nonNegativeInteger,
                  XSD.positiveInteger, XSD.nonPositiveInteger, XSD.negativeInteger, XSD.unsignedLong,
                  XSD.unsignedInt, XSD.unsignedShort, XSD.unsignedByte}
_FLOAT_TYPES = {XSD.double, XSD.float}
_LABEL_PREDICATES = (SKOS.prefLabel, RDFS.label, DCTERMS.title)

Value = str | int | float | bool


def is_resource_triple(p: URIRef, o: object) -> bool:
    """True for an object-property triple: an IRI object and a predicate other than ``rdf:type``."""
    return isinstance(o, URIRef) and p != RDF.type


def resources(graph: Graph) -> set[URIRef]:
    """The resources of *graph* as this module defines them (see the module docstring).

    >>> from rdflib import Graph, URIRef, RDF
    >>> g = Graph(); a, b, C = URIRef("urn:a"), URIRef("urn:b"), URIRef("urn:C")
    >>> _ = g.add((a, RDF.type, C)); _ = g.add((a, URIRef("urn:p"), b))
    >>> sorted(resources(g))
    [rdflib.term.URIRef('urn:a'), rdflib.term.URIRef('urn:b')]
    """
    found: set[URIRef] = set()
    for s, p, o in cast("Iterable[tuple[Node, URIRef, Node]]", graph):  # a predicate is always an IRI
        if isinstance(s, URIRef):
            found.add(s)
        if is_resource_triple(p, o):
            found.add(cast(URIRef, o))
    return found


def python_value(literal: Literal) -> Value:
    """The attribute value of a literal: bool, int or float where the datatype says so, else its lexical form."""
    lexical = str(literal)
    datatype = literal.datatype
    if literal.language or datatype is None:
        return lexical
    try:
        if datatype == XSD.boolean and lexical.strip() in ("true", "false", "1", "0"):
            return lexical.strip() in ("true", "1")
        if datatype in _INTEGER_TYPES:
            return int(lexical)
        if datatype in _FLOAT_TYPES:
            return float(lexical)
    except ValueError:
        pass  # an ill-typed literal keeps its lexical form rather than failing the export
    return lexical


def _value_key(value: Value) -> tuple[str, str]:
    return (type(value).__name__, repr(value) if not isinstance(value, str) else value)


def _label_rank(predicate: URIRef, literal: Literal) -> tuple[int, str, str]:
    """Sort key of a label candidate: English first, then untagged, then others; prefLabel before rdfs:label."""
    language = literal.language or ""
    preference = 0 if language == "en" else 1 if language == "" else 2
    return (preference * 10 + _LABEL_PREDICATES.index(predicate), language, str(literal))


def label_for(graph: Graph, node: URIRef, prefixes: dict[str, str] = PREFIXES) -> str:
    """A human label for *node*: preferred label, rdfs:label or title (English first), else its CURIE."""
    candidates = [_label_rank(p, o) for p in _LABEL_PREDICATES for o in graph.objects(node, p)
                  if isinstance(o, Literal)]
    return min(candidates)[2] if candidates else curie(str(node), prefixes)


def _literal_key(predicate_curie: str, literal: Literal) -> str:
    return f"{predicate_curie}@{literal.language}" if literal.language else predicate_curie


def _select(graph: Graph | Release, inferred: bool) -> tuple[Graph, Graph, dict[str, str]]:
    """(graph to view, asserted graph, prefixes) for a Release or a plain rdflib Graph."""
    if isinstance(graph, Graph):
        if not inferred:
            return graph, graph, PREFIXES
        from cryokg.release.reasoning import inferred_closure

        return inferred_closure(graph), graph, PREFIXES
    release = graph
    return (release.inferred if inferred else release.asserted), release.asserted, release.prefixes


def to_networkx(graph: Graph | Release, *, inferred: bool = False,
                literals: Choice["attributes", "nodes", "omit"] = "attributes",
                prefixes: dict[str, str] | None = None, asserted: Graph | None = None) -> nx.MultiDiGraph:
    """The graph as a networkx ``MultiDiGraph``: one node per resource, one edge per object-property triple.

    *graph* is a :class:`cryokg.release.model.Release` (``inferred`` picks its inferred closure) or an rdflib
    ``Graph`` (``inferred=True`` computes the OWL 2 RL closure first). *asserted* overrides which triples
    count as asserted for the edges' ``inferred`` flag (for a closure read back from
    ``cryokg-inferred.ttl``). See the module docstring for the exact mapping.

    >>> from rdflib import Graph, Literal, URIRef
    >>> g = Graph()
    >>> _ = g.add((URIRef("https://w3id.org/cryokg/id/code/0440T"), URIRef("https://w3id.org/cryokg/def/method"),
    ...            URIRef("https://w3id.org/cryokg/id/technique/cryoablation")))
    >>> view = to_networkx(g)
    >>> view.number_of_nodes(), view.number_of_edges()
    (2, 1)
    >>> list(view.edges(keys=True))[0][2]
    'cryo:method'
    """
    import networkx as nx

    if literals not in LITERAL_MODES:
        raise ValueError(f"literals must be one of {', '.join(LITERAL_MODES)}, not {literals!r}")
    source, selected, default_prefixes = _select(graph, inferred)
    asserted = selected if asserted is None else asserted
    check = asserted is not source  # viewing the asserted graph itself: nothing is entailed, skip the look-ups
    prefixes = prefixes or default_prefixes

    types: dict[URIRef, set[str]] = defaultdict(set)
    # Values are keyed by type and repr, not by equality: 1, 1.0 and True are equal (and -0.0 == 0.0) in Python,
    # and a set would keep whichever came first - a value lost, and bytes that depend on the iteration order.
    values: dict[URIRef, dict[str, dict[tuple[str, str], Value]]] = defaultdict(lambda: defaultdict(dict))
    edges: list[tuple[str, str, str, str]] = []  # (subject, predicate CURIE, object, predicate IRI)
    literal_edges: list[tuple[str, str, Literal, str]] = []  # (subject, predicate CURIE, literal, predicate IRI)
    labels: dict[URIRef, tuple[int, str, str]] = {}
    short: dict[str, str] = {}

    def c(iri: str) -> str:
        if iri not in short:
            short[iri] = curie(iri, prefixes)
        return short[iri]

    nodes: set[URIRef] = set()
    # A predicate is always an IRI, a subject never a literal; blank nodes are refused below.
    for s, p, o in cast("Iterable[tuple[URIRef, URIRef, URIRef | Literal]]", source):
        if isinstance(s, BNode) or isinstance(o, BNode):
            raise ValueError(f"blank node in {(s, p, o)}: give every node an IRI so the view and its exports are "
                             "reproducible")
        nodes.add(s)
        if p == RDF.type and isinstance(o, URIRef):
            types[s].add(c(str(o)))
        elif isinstance(o, URIRef):
            nodes.add(o)
            edges.append((str(s), c(str(p)), str(o), str(p)))
        else:
            if p in _LABEL_PREDICATES:
                rank = _label_rank(p, o)
                labels[s] = min(labels.get(s, rank), rank)
            if literals == "attributes":
                value = python_value(o)
                values[s][_literal_key(c(str(p)), o)][_value_key(value)] = value
            elif literals == "nodes":
                literal_edges.append((str(s), c(str(p)), o, str(p)))

    view: nx.MultiDiGraph[str] = nx.MultiDiGraph(name="cryokg", inferred=inferred)
    for node in sorted(nodes, key=str):  # the same set as resources(source), gathered in the one pass
        attrs: dict[str, object] = {
            "iri": str(node),
            "curie": c(str(node)),
            "label": labels[node][2] if node in labels else c(str(node)),
            "types": sorted(types.get(node, ())),
        }
        if literals == "nodes":
            attrs["kind"] = "resource"
        for key in sorted(values.get(node, {})):
            attrs[key] = [value for _, value in sorted(values[node][key].items())]
        view.add_node(str(node), **attrs)

    if literals == "nodes":
        for literal in sorted({e[2] for e in literal_edges}, key=lambda lit: lit.n3()):
            view.add_node(literal.n3(), kind="literal", label=str(literal), value=str(literal),
                          datatype=c(str(literal.datatype)) if literal.datatype else "",
                          language=literal.language or "")
    for subject, key, obj, predicate in sorted(edges):
        entailed = check and (URIRef(subject), URIRef(predicate), URIRef(obj)) not in asserted
        view.add_edge(subject, obj, key=key, predicate=key, inferred=entailed)
    for subject, key, value, predicate in sorted(literal_edges, key=lambda e: (e[0], e[1], e[2].n3())):
        view.add_edge(subject, value.n3(), key=key, predicate=key,
                      inferred=check and (URIRef(subject), URIRef(predicate), value) not in asserted)
    return view
