"""Everything the graph says about one resource, in readable form: ``cryokg describe``.

Outgoing statements (property → value) and incoming ones (subject → property), each with labels so a person
can read them without knowing the IRIs; the resource's sources (dcterms:source); and its mappings to external
identifiers with the mapping record that says where each identifier was seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF

from cryokg.answer.matching import LabelIndex, label_index, resolve_resource
from cryokg.answer.store import Engine
from cryokg.errors import BadInput
from cryokg.namespaces import curie

__all__ = ["Description", "describe"]

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


def _term(index: LabelIndex, term: object) -> dict:
    if isinstance(term, URIRef):
        label = index.pref.get(term)
        return {"iri": str(term), "curie": curie(str(term)), **({"label": label} if label else {})}
    if isinstance(term, Literal):
        shown: dict = {"value": str(term)}
        if term.language:
            shown["lang"] = term.language
        elif term.datatype:
            shown["datatype"] = curie(str(term.datatype))
        return shown
    return {"value": str(term)}


def _sort_key(item: dict) -> tuple:
    return tuple(str(v) for v in item.values())


@dataclass
class Description:
    """What :func:`describe` found; :meth:`to_json` is the ``--json`` output."""

    resource: dict
    types: list[dict] = field(default_factory=list)
    outgoing: list[dict] = field(default_factory=list)
    incoming: list[dict] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    mappings: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"resource": self.resource, "types": self.types, "outgoing": self.outgoing,
                "incoming": self.incoming, "sources": self.sources, "mappings": self.mappings}


def describe(engine: Engine, text: str) -> Description:
    """Everything about the resource *text* names (code notation, IRI, CURIE or label).

    >>> from cryokg.answer.store import load_store
    >>> d = describe(load_store().engine, "0440T")
    >>> d.resource["curie"]
    'code:0440T'
    """
    index = label_index(engine)
    iri = resolve_resource(engine, text)
    term = iri.n3()
    outgoing = engine.select(_OUT.replace("RESOURCE", term))
    incoming = engine.select(_IN.replace("RESOURCE", term))
    if not outgoing and not incoming:
        raise BadInput(f"the graph says nothing about {iri}")
    result = Description(resource=_term(index, iri))
    for row in outgoing:
        prop, value = row["p"], row["o"]
        if prop == RDF.type:
            result.types.append(_term(index, value))
        elif prop == DCTERMS.source:
            result.sources.append(str(value))
        else:
            result.outgoing.append({"property": _term(index, prop), "value": _term(index, value)})
    for row in incoming:
        result.incoming.append({"subject": _term(index, row["s"]), "property": _term(index, row["p"])})
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
    return result
