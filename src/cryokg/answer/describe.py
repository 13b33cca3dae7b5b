"""Everything the graph says about one resource, in readable form: ``cryokg describe``.

Outgoing statements (property → value) and incoming ones (subject → property), each with labels so a person
can read them without knowing the IRIs; the resource's sources (dcterms:source); and its mappings to external
identifiers with the mapping record that says where each identifier was seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from cryokg.answer.matching import LabelIndex, cached_for_graph, label_index, resolve_resource
from cryokg.answer.store import Engine
from cryokg.errors import BadInput
from cryokg.namespaces import curie

__all__ = ["PLAIN_NAMES", "Description", "GraphNotes", "describe", "graph_notes"]

PLAIN_NAMES = {
    SKOS.prefLabel: "name", SKOS.altLabel: "also called", SKOS.hiddenLabel: "also typed as",
    SKOS.definition: "definition", SKOS.notation: "code", SKOS.broader: "belongs to", SKOS.narrower: "includes",
    SKOS.inScheme: "in code set", SKOS.exactMatch: "same as", SKOS.closeMatch: "close to",
    SKOS.broadMatch: "broader than", SKOS.narrowMatch: "narrower than", SKOS.relatedMatch: "related to",
    SKOS.related: "related to", RDFS.label: "name", RDFS.comment: "comment", RDFS.isDefinedBy: "defined by",
    RDFS.subClassOf: "a kind of", RDFS.domain: "said of", RDFS.range: "its values are", RDF.type: "is a",
    DCTERMS.source: "source", DCTERMS.title: "title", DCTERMS.publisher: "publisher", DCTERMS.date: "date",
    DCTERMS.issued: "issued", DCTERMS.modified: "modified", DCTERMS.isReplacedBy: "replaced by",
    DCTERMS.description: "description", DCTERMS.license: "licence", DCTERMS.creator: "creator",
    OWL.sameAs: "same as", OWL.deprecated: "no longer used", OWL.disjointWith: "never also a",
    URIRef("https://schema.org/codingSystem"): "coding system",
}
"""Names for people of the properties of other vocabularies (SKOS, RDFS, DCTERMS, OWL), which the release does
not label: "also called" rather than ``skos:altLabel``."""


@dataclass
class GraphNotes:
    """What output for people needs besides labels: code numbers, step order, source titles."""

    notations: dict[URIRef, str] = field(default_factory=dict)
    step_order: dict[URIRef, int] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)


_NOTES = """PREFIX cryo: <https://w3id.org/cryokg/def/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?s ?kind ?value WHERE {
  { ?s a cryo:ProcedureCode ; skos:notation ?value BIND("notation" AS ?kind) }
  UNION { ?s cryo:stepOrder ?value BIND("order" AS ?kind) }
  UNION { ?s a cryo:Source ; dcterms:title ?value BIND("title" AS ?kind) }
}"""


def _build_notes(engine: Engine) -> GraphNotes:
    notes = GraphNotes()
    for row in engine.select(_NOTES):
        subject, kind, value = row.get("s"), str(row.get("kind")), row.get("value")
        if not isinstance(subject, URIRef) or value is None:
            continue
        if kind == "notation":
            notes.notations.setdefault(subject, str(value))
        elif kind == "order" and str(value).lstrip("-").isdigit():
            notes.step_order[subject] = int(str(value))
        elif kind == "title":
            notes.titles[str(subject)] = " ".join(str(value).split())
    return notes


def graph_notes(engine: Engine) -> GraphNotes:
    """Code numbers, step order and source titles of the graph behind *engine*, cached per graph."""
    return cached_for_graph(engine, "graph-notes", _build_notes)

_OUT = "SELECT ?p ?o WHERE { VALUES ?s { RESOURCE } ?s ?p ?o }"
_IN = "SELECT ?s ?p WHERE { VALUES ?o { RESOURCE } ?s ?p ?o }"
_MAPPINGS = """PREFIX cryo: <https://w3id.org/cryokg/def/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?match ?external ?label ?date ?source WHERE { VALUES ?resource { RESOURCE }
  VALUES ?match { skos:exactMatch skos:closeMatch skos:broadMatch skos:narrowMatch skos:relatedMatch }
  ?resource ?match ?external .
  OPTIONAL {
    ?record cryo:mappingSubject ?resource ; cryo:mappingPredicate ?match ; cryo:mappingObject ?external .
    OPTIONAL { ?record cryo:mappingObjectLabel ?label }
    OPTIONAL { ?record cryo:mappingDate ?date }
    OPTIONAL { ?record dcterms:source ?source }
  }
}"""


def _term(index: LabelIndex, term: object, notes: GraphNotes | None = None) -> dict:
    if isinstance(term, URIRef):
        label = index.pref.get(term) or PLAIN_NAMES.get(term)
        shown: dict = {"iri": str(term), "curie": curie(str(term)), **({"label": label} if label else {})}
        if notes is not None and term in notes.notations:
            shown["notation"] = notes.notations[term]
        if notes is not None and term in notes.step_order:
            shown["order"] = notes.step_order[term]
        return shown
    if isinstance(term, Literal):
        shown = {"value": str(term)}
        if term.language:
            shown["lang"] = term.language
        elif term.datatype:
            shown["datatype"] = curie(str(term.datatype))
        return shown
    return {"value": str(term)}


def _sort_key(item: dict) -> tuple:
    """Steps by their order, everything else by its text."""
    return (item.get("order", 1 << 30), *(str(v) for k, v in item.items() if k != "order"))


@dataclass
class Description:
    """What :func:`describe` found; :meth:`to_json` is the ``--json`` output."""

    resource: dict
    types: list[dict] = field(default_factory=list)
    outgoing: list[dict] = field(default_factory=list)
    incoming: list[dict] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    mappings: list[dict] = field(default_factory=list)
    source_titles: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"resource": self.resource, "types": self.types, "outgoing": self.outgoing,
                "incoming": self.incoming, "sources": self.sources, "mappings": self.mappings,
                "source_titles": self.source_titles}


def describe(engine: Engine, text: str) -> Description:
    """Everything about the resource *text* names (code notation, IRI, CURIE or label).

    >>> from cryokg.answer.store import load_store
    >>> d = describe(load_store().engine, "0440T")
    >>> d.resource["curie"]
    'code:0440T'
    """
    index = label_index(engine)
    notes = graph_notes(engine)
    iri = resolve_resource(engine, text)
    term = iri.n3()
    outgoing = engine.select(_OUT.replace("RESOURCE", term))
    incoming = engine.select(_IN.replace("RESOURCE", term))
    if not outgoing and not incoming:
        raise BadInput(f"the graph says nothing about {iri}")
    result = Description(resource=_term(index, iri, notes))
    for row in outgoing:
        prop, value = row["p"], row["o"]
        if prop == RDF.type:
            result.types.append(_term(index, value, notes))
        elif prop == DCTERMS.source:
            result.sources.append(str(value))
        else:
            result.outgoing.append({"property": _term(index, prop, notes), "value": _term(index, value, notes)})
    for row in incoming:
        result.incoming.append({"subject": _term(index, row["s"], notes), "property": _term(index, row["p"], notes)})
    for row in engine.select(_MAPPINGS.replace("RESOURCE", term)):
        result.mappings.append({"predicate": curie(str(row["match"])), "external": str(row["external"]),
                                **({"label": str(row["label"])} if row.get("label") else {}),
                                **({"date": str(row["date"])} if row.get("date") else {}),
                                **({"source": str(row["source"])} if row.get("source") else {})})
    result.types.sort(key=_sort_key)
    result.outgoing.sort(key=lambda r: (r["property"]["curie"], _sort_key(r["value"])))
    result.incoming.sort(key=lambda r: (r["property"]["curie"], r["subject"]["curie"]))
    result.sources.sort()
    result.mappings.sort(key=_sort_key)
    result.source_titles = {url: notes.titles[url] for url in result.sources if url in notes.titles}
    return result
