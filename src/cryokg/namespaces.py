"""IRIs and prefixes of cryokg, in one place.

Every module takes its namespaces from here so the base IRI can be changed in one spot
(``cryokg build --base-iri``) and the serialisers print the same prefixes everywhere.
"""

from __future__ import annotations

from rdflib import Namespace

__all__ = [
    "CRYO",
    "DCAT",
    "DEFAULT_BASE",
    "PREFIXES",
    "SCHEMA",
    "VOID",
    "curie",
    "id_namespace",
    "prefixes_for",
]

DEFAULT_BASE = "https://w3id.org/cryokg/"

CRYO = Namespace(DEFAULT_BASE + "def/")
SCHEMA = Namespace("https://schema.org/")
VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")

# Local-part prefixes under <base>id/: one per kind of thing (see DESIGN.md, "Identifiers").
ID_KINDS = (
    "agent", "anatomy", "approach", "assignment", "assignment-kind", "code", "code-category", "code-status",
    "coolant-role", "coolant-usage", "dataset", "device", "effect", "family", "guidance", "indication",
    "invasiveness", "mapping", "payer-position", "purpose", "rule", "scheme", "scope", "source-kind", "step",
    "technique",
)

_ID_PREFIX_NAMES = {"anatomy": "anat", "technique": "tech", "assignment-kind": "kind", "code-category": "category",
                    "code-status": "status", "coolant-role": "role", "coolant-usage": "usage",
                    "payer-position": "position", "source-kind": "sourcekind"}

_STANDARD = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcterms": "http://purl.org/dc/terms/",
    "owl": "http://www.w3.org/2002/07/owl#",
    "prov": "http://www.w3.org/ns/prov#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "schema": "https://schema.org/",
    "sh": "http://www.w3.org/ns/shacl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "vann": "http://purl.org/vocab/vann/",
    "void": "http://rdfs.org/ns/void#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "semapv": "https://w3id.org/semapv/vocab/",
    "UBERON": "http://purl.obolibrary.org/obo/UBERON_",
    "CHEBI": "http://purl.obolibrary.org/obo/CHEBI_",
}


def id_namespace(kind: str, base: str = DEFAULT_BASE) -> Namespace:
    """The namespace of one kind of thing, e.g. ``id_namespace("code")["0440T"]``."""
    return Namespace(f"{base}id/{kind}/")


def prefixes_for(base: str = DEFAULT_BASE) -> dict[str, str]:
    """Prefix → namespace map used by every serialiser, for a given base IRI.

    >>> prefixes_for()["code"]
    'https://w3id.org/cryokg/id/code/'
    """
    table = {"cryo": base + "def/"}
    for kind in ID_KINDS:
        table[_ID_PREFIX_NAMES.get(kind, kind)] = f"{base}id/{kind}/"
    table.update(_STANDARD)
    return table


PREFIXES = prefixes_for()


def curie(iri: str, prefixes: dict[str, str] = PREFIXES) -> str:
    """The shortest ``prefix:local`` form of an IRI, or the IRI itself when no prefix fits.

    >>> curie("https://w3id.org/cryokg/id/code/0440T")
    'code:0440T'
    """
    best = ""
    best_prefix = ""
    for prefix, ns in prefixes.items():
        if iri.startswith(ns) and len(ns) > len(best):
            best, best_prefix = ns, prefix
    if best:
        return f"{best_prefix}:{iri[len(best):]}"
    return iri
