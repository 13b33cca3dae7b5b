"""View models of the HTML pages: what a resource page shows, and its schema.org JSON-LD.

A resource page shows the label, synonyms, notation, definition, kinds, every other outgoing relation as
links, the incoming links, the sources, the mappings to external vocabularies, and (on code pages) the family
diagram. The embedded schema.org JSON-LD (``<script type="application/ld+json">``) takes its type from the
vocabulary itself: the nearest ``schema:`` class above the resource's classes by ``rdfs:subClassOf``
(``cryo:ProcedureCode`` → ``schema:MedicalCode``), with a small fallback table for the rest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from cryokg.namespaces import curie, prefixes_for
from cryokg.publish.web.data import ReleaseData
from cryokg.publish.web.negotiation import MediaType, offers
from cryokg.rdf.rebase import moved

__all__ = ["Link", "Relation", "ResourcePage", "Value", "build_page", "link_href", "local_href", "schema_jsonld"]

SCHEMA = "https://schema.org/"
MAPPING_PREDICATES = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch,
                      OWL.sameAs, OWL.equivalentClass, OWL.equivalentProperty)
SHOWN_APART = {RDF.type, SKOS.prefLabel, RDFS.label, SKOS.altLabel, SKOS.hiddenLabel, SKOS.definition,
               DCTERMS.source, SKOS.notation, RDFS.comment, DCTERMS.description, DCTERMS.title, *MAPPING_PREDICATES}
DEFINITION_PREDICATES = (SKOS.definition, DCTERMS.description, RDFS.comment)
SCHEMA_DISTRIBUTIONS = 100
"""Downloads the schema.org description of the dataset names (in file order; VoID lists them all): the real
release has 34 files, a 10 M-triple one 41 k, which made the home page 7 MB of JSON-LD."""
INCOMING_SHOWN = 1000
"""Links *to* a resource that its page lists (the page says how many there are in all, and SPARQL has the rest):
in the real release a resource has at most a few hundred; in a 10 M-triple one, a technique or an assignment kind
is the object of 386 k triples, which took minutes to read and would make a 100 MB page."""
FALLBACK_SCHEMA = {
    "def/Technique": "MedicalProcedure",
    "def/ProcedureStep": "MedicalProcedure",
    "def/CodeFamily": "MedicalCode",
    "def/BodyRegion": "AnatomicalStructure",
    "def/Tissue": "AnatomicalStructure",
    "def/Coolant": "Substance",
    "def/Substance": "Substance",
}


@dataclass
class Link:
    """A link to a resource: ``href`` is a local path for our IRIs, the IRI itself for other http(s) IRIs, and
    None for any other scheme (``javascript:``, ``data:``, ``file:``...), which pages show as text only."""

    href: str | None
    text: str
    iri: str
    local: bool
    notation: str | None = None  # a code's number, shown beside its label


@dataclass
class Value:
    """One object of a relation: a link, or a literal with its language or datatype."""

    link: Link | None = None
    text: str = ""
    lang: str | None = None
    datatype: str | None = None


@dataclass
class Relation:
    predicate: Link
    values: list[Value]


@dataclass
class ResourcePage:
    """Everything the resource template shows."""

    iri: str
    label: str
    curie: str
    kinds: list[Link]
    definition: str | None
    synonyms: list[str]
    notation: list[str]
    relations: list[Relation]
    incoming: list[Relation]  # at most INCOMING_SHOWN links
    incoming_shown: int  # links in incoming
    incoming_total: int  # every link to the resource
    sources: list[Link]
    mappings: list[Relation]
    formats: list[tuple[MediaType, str]]
    jsonld: str
    diagram: str | None = None
    code_diagram: str | None = None
    deprecated: bool = False
    assignments: list[dict[str, object]] = field(default_factory=list)
    extra: dict[str, object] = field(default_factory=dict)
    source_details: list[dict[str, str | None]] = field(default_factory=list)


def local_href(iri: str, base: str) -> str | None:
    """The server path of one of our IRIs (``/id/code/0440T``), or None for an external IRI: the IRI moved from
    *base* to ``/`` by the one rebasing rule (:func:`cryokg.rdf.rebase.moved`)."""
    return moved(iri, base, "/")


def link_href(iri: str, base: str) -> str | None:
    """Where a page may link for *iri*: our path, or the IRI itself when its scheme is http or https; None
    otherwise (an IRI in a query result or the data can be ``javascript:...``: it is shown, never linked).

    >>> link_href("JavaScript:alert(1)", "https://w3id.org/cryokg/") is None
    True
    >>> link_href("https://www.cms.gov/x", "https://w3id.org/cryokg/")
    'https://www.cms.gov/x'
    """
    local = local_href(iri, base)
    if local is not None:
        return local
    scheme, colon, _rest = iri.partition(":")
    return iri if colon and scheme.lower() in ("http", "https") else None


WELL_KNOWN = {
    str(SKOS.broader): "broader", str(SKOS.narrower): "narrower", str(SKOS.inScheme): "in scheme",
    str(SKOS.topConceptOf): "top concept of", str(SKOS.hasTopConcept): "has top concept",
    str(SKOS.related): "related", str(SKOS.exactMatch): "exact match", str(SKOS.closeMatch): "close match",
    str(SKOS.broadMatch): "broad match", str(SKOS.narrowMatch): "narrow match",
    str(SKOS.relatedMatch): "related match", str(RDFS.subClassOf): "subclass of",
    str(RDFS.subPropertyOf): "subproperty of", str(RDFS.domain): "domain", str(RDFS.range): "range",
    str(RDFS.isDefinedBy): "defined by", str(OWL.sameAs): "same as", str(OWL.inverseOf): "inverse of",
    str(OWL.equivalentClass): "equivalent class", str(DCTERMS.license): "licence",
    str(DCTERMS.creator): "creator", str(DCTERMS.isReplacedBy): "replaced by",
}
"""Display names of common predicates from other vocabularies, which the release does not label."""


def _link(data: ReleaseData, iri: str, prefixes: dict[str, str]) -> Link:
    local = local_href(iri, data.base)
    text = data.label(iri) or WELL_KNOWN.get(iri) or curie(iri, prefixes)
    notation = data.notation(iri) if local is not None else None
    return Link(local or link_href(iri, data.base), text, iri, local is not None,
                notation if notation and notation not in text else None)


_XSD = "http://www.w3.org/2001/XMLSchema#"


def _value(data: ReleaseData, term: URIRef | Literal, prefixes: dict[str, str]) -> Value:
    if isinstance(term, URIRef):
        return Value(link=_link(data, str(term), prefixes))
    if term.datatype == URIRef(_XSD + "boolean"):  # yes or no for people, not "true (xsd:boolean)"
        return Value(text="yes" if str(term).lower() in ("true", "1") else "no")
    plain = term.datatype is None or str(term.datatype).startswith(_XSD)
    datatype = None if plain else curie(str(term.datatype), prefixes)
    return Value(text=str(term), lang=term.language, datatype=datatype)


def _english_first(literals: list[Literal]) -> list[Literal]:
    return sorted(literals, key=lambda lit: (lit.language != "en", str(lit)))


def schema_type(data: ReleaseData, iri: str) -> str:
    """The schema.org type of *iri*: from the vocabulary's subclass links, else the fallback table."""
    types = data.types(iri)
    for cls in data.superclasses(types):
        if cls.startswith(SCHEMA):
            return cls[len(SCHEMA):]
    for cls in types:
        tail = cls[len(data.base):] if cls.startswith(data.base) else ""
        if tail in FALLBACK_SCHEMA:
            return FALLBACK_SCHEMA[tail]
    if "http://www.w3.org/ns/dcat#Dataset" in types or "http://rdfs.org/ns/void#Dataset" in types:
        return "Dataset"
    return "DefinedTerm"


def schema_jsonld(data: ReleaseData, iri: str) -> dict[str, object]:
    """A schema.org description of *iri* for search engines (a summary, not the RDF document)."""
    pairs = data.outgoing(iri)
    kind = schema_type(data, iri)
    doc: dict[str, object] = {"@context": "https://schema.org", "@type": kind, "@id": iri, "url": iri}
    doc["name"] = data.label(iri) or iri
    for predicate in DEFINITION_PREDICATES:
        texts = _english_first([o for p, o in pairs if p == predicate and isinstance(o, Literal)])
        if texts:
            doc["description"] = str(texts[0])
            break
    synonyms = sorted({str(o) for p, o in pairs if p == SKOS.altLabel})
    if synonyms:
        doc["alternateName"] = synonyms
    same = sorted({str(o) for p, o in pairs if p in MAPPING_PREDICATES and isinstance(o, URIRef)})
    if same:
        doc["sameAs"] = same
    notations = sorted({str(o) for p, o in pairs if p == SKOS.notation})
    if kind == "MedicalCode" and notations:
        doc["codeValue"] = notations[0]
        schemes = [str(o) for p, o in pairs if p == SKOS.inScheme]
        if schemes:
            doc["codingSystem"] = data.label(schemes[0]) or schemes[0]
    elif kind == "Dataset":
        doc["license"] = next((str(o) for p, o in pairs if p == DCTERMS.license), None)
        downloads = []
        files = sorted({str(o) for p, o in pairs if str(p) == "http://www.w3.org/ns/dcat#distribution"})
        for url in files[:SCHEMA_DISTRIBUTIONS]:
            media = next((str(m).rsplit("media-types/", 1)[-1] for q, m in data.outgoing(url)
                          if str(q) == "http://www.w3.org/ns/dcat#mediaType"), None)
            downloads.append({"@type": "DataDownload", "contentUrl": url, "encodingFormat": media})
        doc["distribution"] = downloads
    elif kind == "DefinedTerm" and notations:
        doc["termCode"] = notations[0]
    return {k: v for k, v in doc.items() if v is not None}


def jsonld_script(doc: dict[str, object]) -> str:
    """JSON for a ``<script>`` element: ``<``, ``>`` and ``&`` escaped so no text can close the element."""
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _group(pairs: list[tuple[URIRef, URIRef | Literal]], data: ReleaseData,
           prefixes: dict[str, str]) -> list[Relation]:
    grouped: dict[str, list[URIRef | Literal]] = {}
    for predicate, obj in pairs:
        grouped.setdefault(str(predicate), []).append(obj)
    step = data.base + "def/stepOrder"

    def order(value: Value) -> tuple[float, str, str]:
        """Steps in procedure order (``cryo:stepOrder``), codes by number, everything else by name."""
        number = data.number(value.link.iri, step) if value.link and value.link.local else None
        text = value.link.text.lower() if value.link else value.text.lower()
        return (number if number is not None else float("inf"), (value.link.notation or "") if value.link else "", text)

    relations = []
    for name in sorted(grouped, key=lambda p: (data.label(p) or curie(p, prefixes)).lower()):
        values = sorted((_value(data, o, prefixes) for o in grouped[name]), key=order)
        relations.append(Relation(_link(data, name, prefixes), values))
    return relations


def source_details(data: ReleaseData, iris: list[str]) -> list[dict[str, str | None]]:
    """The sources of a page as their titles (``dcterms:title``), publishers and addresses, by title."""
    rows = []
    for iri in iris:
        facts = data.outgoing(iri)
        title = next((str(o) for p, o in facts if p == DCTERMS.title), None)
        publisher = next((str(o) for p, o in facts if p == DCTERMS.publisher and isinstance(o, Literal)), None)
        rows.append({"iri": iri, "href": link_href(iri, data.base), "title": title or data.label(iri) or iri,
                     "publisher": publisher, "titled": "yes" if title else None})
    return sorted(rows, key=lambda r: ((r["title"] or "").lower(), r["iri"]))


def find_diagram(data: ReleaseData, iri: str, diagrams: Path | None) -> str | None:
    """The family diagram (``build/diagrams/*.svg``) for a code page, if one was drawn.

    Found by name: a file named after the family's local name, or else any file with "family" in its name.
    """
    if diagrams is None or not diagrams.is_dir():
        return None
    files = sorted(p.name for p in diagrams.glob("*.svg"))
    pairs = data.outgoing(iri)
    keys = [str(o).rstrip("/").rsplit("/", 1)[-1] for p, o in pairs if p == SKOS.broader]
    keys.append(iri.rstrip("/").rsplit("/", 1)[-1])
    for key in keys:
        for name in files:
            if key and key.lower() in name.lower() and not name.startswith("code-"):
                return name
    return next((name for name in files if "family" in name.lower()), None)


def find_code_diagram(data: ReleaseData, iri: str, diagrams: Path | None) -> str | None:
    """The picture of one code (``diagrams/code-<notation>.svg``: its scope and structures), if one was drawn."""
    if diagrams is None:
        return None
    for notation in sorted(str(o) for p, o in data.outgoing(iri) if p == SKOS.notation):
        name = f"code-{notation}.svg"
        if (diagrams / name).is_file():
            return name
    return None


def assignments_of(data: ReleaseData, iri: str, prefixes: dict[str, str]) -> list[dict[str, object]]:
    """The sourced code assignments (``cryo:CodeAssignment``) naming *iri* as their structure, for the
    "Reported with" table of nerve and plexus pages: technique, code, kind and the assignment itself."""
    cryo = data.base + "def/"
    rows: list[dict[str, Link | str | None]] = []
    for subject, _ in data.incoming(iri, predicate=cryo + "structure"):
        if cryo + "CodeAssignment" not in data.types(str(subject)):
            continue
        facts = data.outgoing(str(subject))

        def first(name: str, facts: list[tuple[URIRef, URIRef | Literal]] = facts) -> Link | None:
            values = sorted(str(o) for p, o in facts if str(p) == cryo + name and isinstance(o, URIRef))
            return _link(data, values[0], prefixes) if values else None

        code = first("assignedCode")
        rows.append({"assignment": _link(data, str(subject), prefixes), "code": code, "technique": first("technique"),
                     "kind": first("assignmentKind"),
                     "notation": next((str(o) for p, o in data.outgoing(code.iri) if p == SKOS.notation), code.text)
                     if code else ""})
    def key(row: dict[str, Link | str | None]) -> tuple[str, str]:
        technique, notation = row["technique"], row["notation"]
        return (technique.text if isinstance(technique, Link) else "", notation if isinstance(notation, str) else "")

    return [dict(row) for row in sorted(rows, key=key)]


def build_page(data: ReleaseData, iri: str, *, diagrams: Path | None = None,
               href: str | None = None) -> ResourcePage:
    """The view model of the page of *iri* (which must be described in the release)."""
    prefixes = prefixes_for(data.base)
    pairs = data.outgoing(iri)
    label = data.label(iri) or curie(iri, prefixes)
    definition = None
    for predicate in DEFINITION_PREDICATES:
        texts = _english_first([o for p, o in pairs if p == predicate and isinstance(o, Literal)])
        if texts:
            definition = str(texts[0])
            break
    kinds = [_link(data, t, prefixes) for t in data.types(iri)]
    types = data.types(iri)
    in_family = any(p == SKOS.broader for p, _ in pairs)  # family members; related codes get no family picture
    is_code = data.base + "def/CodeFamily" in types or (data.base + "def/ProcedureCode" in types and in_family)
    relations = _group([(p, o) for p, o in pairs if p not in SHOWN_APART], data, prefixes)
    linked_from = data.incoming(iri, limit=INCOMING_SHOWN + 1)
    incoming_total = len(linked_from) if len(linked_from) <= INCOMING_SHOWN else data.incoming_count(iri)
    incoming = _group([(p, s) for s, p in linked_from[:INCOMING_SHOWN]], data, prefixes)
    mappings = _group([(p, o) for p, o in pairs if p in MAPPING_PREDICATES], data, prefixes)
    sources = sorted((_link(data, str(o), prefixes) for p, o in pairs if p == DCTERMS.source and isinstance(o, URIRef)),
                     key=lambda link: link.iri)
    path = href or local_href(iri, data.base) or "/"
    formats = [(row, f"{path}?format={row.key}") for row in offers("resource") if row.key != "html"]
    return ResourcePage(
        iri=iri, label=label, curie=curie(iri, prefixes), kinds=kinds, definition=definition,
        synonyms=sorted({str(o) for p, o in pairs if p == SKOS.altLabel}, key=str.lower),
        notation=sorted({str(o) for p, o in pairs if p == SKOS.notation}),
        relations=relations, incoming=incoming,
        incoming_shown=min(len(linked_from), INCOMING_SHOWN), incoming_total=incoming_total, sources=sources, mappings=mappings,
        formats=formats,
        jsonld=jsonld_script(schema_jsonld(data, iri)),
        diagram=find_diagram(data, iri, diagrams) if is_code else None,
        code_diagram=find_code_diagram(data, iri, diagrams) if is_code else None,
        deprecated=any(p == OWL.deprecated and str(o).lower() == "true" for p, o in pairs),
        assignments=assignments_of(data, iri, prefixes),
        source_details=source_details(data, [s.iri for s in sources]),
    )
