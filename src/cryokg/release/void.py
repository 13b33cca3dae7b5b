"""VoID and DCAT description of a release (https://www.w3.org/TR/void/, https://www.w3.org/TR/vocab-dcat-3/).

Counts come from the graph, distributions from the files just written; nothing depends on the clock, so the
description is as reproducible as the release it describes.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import cast

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, XSD

from cryokg.namespaces import DCAT, VOID

__all__ = ["MEDIA_TYPES", "dataset_iri", "describe_release"]

MEDIA_TYPES = {
    ".ttl": "text/turtle",
    ".nt": "application/n-triples",
    ".jsonld": "application/ld+json",
    ".rdf": "application/rdf+xml",
    ".json": "application/json",
    ".graphml": "application/graphml+xml",
    ".gexf": "application/gexf+xml",
    ".tsv": "text/tab-separated-values",
    ".csv": "text/csv",
    ".svg": "image/svg+xml",
}
SPDX = "http://spdx.org/rdf/terms#"
LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")


def dataset_iri(base: str) -> URIRef:
    """The IRI of the cryokg dataset itself."""
    return URIRef(f"{base}id/dataset/cryokg")


def describe_release(graph: Graph, files: dict[str, Path], *, base: str, version: str) -> Graph:
    """A VoID/DCAT graph for *graph*, listing each of *files* (name → path) as a distribution."""
    void = Graph()
    dataset = dataset_iri(base)
    void.add((dataset, RDF.type, VOID.Dataset))
    void.add((dataset, RDF.type, DCAT.Dataset))
    void.add((dataset, DCTERMS.title, Literal("cryokg: CPT codes for percutaneous cryoablation of nerves", lang="en")))
    void.add((dataset, DCTERMS.description, Literal(
        "A knowledge graph of CPT 0440T, 0441T and 0442T: anatomy and which code each nerve takes, techniques, "
        "devices, coolants, imaging guidance, procedure steps, related codes, coding rules and sources.", lang="en")))
    void.add((dataset, DCTERMS.license, LICENSE))
    void.add((dataset, OWL.versionInfo, Literal(version)))
    void.add((dataset, DCAT.version, Literal(version)))
    void.add((dataset, VOID.uriSpace, Literal(f"{base}id/")))
    void.add((dataset, VOID.vocabulary, URIRef(f"{base}def/")))
    void.add((dataset, VOID.sparqlEndpoint, URIRef(f"{base}sparql")))
    void.add((dataset, VOID.triples, Literal(len(graph), datatype=XSD.integer)))
    subjects: set[URIRef] = set()
    properties: Counter = Counter()
    for s, p, _o in graph:  # one pass (a large release's graph is read from its files each time)
        properties[p] += 1
        if isinstance(s, URIRef):
            subjects.add(s)
    void.add((dataset, VOID.entities, Literal(len(subjects), datatype=XSD.integer)))
    void.add((dataset, VOID.distinctSubjects, Literal(len(subjects), datatype=XSD.integer)))
    void.add((dataset, VOID.properties, Literal(len(properties), datatype=XSD.integer)))
    classes = Counter(o for o in graph.objects(None, RDF.type))
    for cls, count in classes.items():
        partition = URIRef(f"{dataset}/class/{_local(cast(URIRef, cls))}")
        void.add((dataset, VOID.classPartition, partition))
        void.add((partition, VOID["class"], cls))
        void.add((partition, VOID.entities, Literal(count, datatype=XSD.integer)))
    for prop, count in properties.items():
        partition = URIRef(f"{dataset}/property/{_local(cast(URIRef, prop))}")
        void.add((dataset, VOID.propertyPartition, partition))
        void.add((partition, VOID.property, prop))
        void.add((partition, VOID.triples, Literal(count, datatype=XSD.integer)))
    for name, path in sorted(files.items()):
        dist = URIRef(f"{base}release/{name}")
        with path.open("rb") as handle:  # streamed: a large release's files are hundreds of megabytes
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        void.add((dataset, DCAT.distribution, dist))
        void.add((dist, RDF.type, DCAT.Distribution))
        void.add((dist, DCTERMS.title, Literal(name)))
        void.add((dist, DCAT.downloadURL, dist))
        void.add((dist, DCAT.mediaType, URIRef(f"https://www.iana.org/assignments/media-types/"
                                                f"{MEDIA_TYPES.get(path.suffix, 'application/octet-stream')}")))
        void.add((dist, DCAT.byteSize, Literal(path.stat().st_size, datatype=XSD.nonNegativeInteger)))
        void.add((dist, DCTERMS.license, LICENSE))
        void.add((dist, URIRef(SPDX + "checksum"), Literal(f"sha256:{digest}")))
        if path.suffix in {".ttl", ".nt", ".jsonld", ".rdf"}:
            void.add((dataset, VOID.dataDump, dist))
    return void


def _local(iri: URIRef) -> str:
    """A readable, IRI-safe slug for a class or property partition."""
    text = str(iri)
    for sep in ("#", "/"):
        text = text.rstrip(sep)
    tail = text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    owner = text[: -len(tail)].rstrip("#/").rsplit("/", 1)[-1]
    return f"{owner}-{tail}".replace(".", "-")
