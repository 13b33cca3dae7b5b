"""Read SSSOM mapping tables (https://mapping-commons.github.io/sssom/) into RDF.

Each row becomes the SKOS mapping triple itself (``subject skos:exactMatch object``) plus one
``cryo:MappingRecord`` node that carries the row's provenance: where the identifier was seen (``see_also``,
emitted as ``dcterms:source``) and when (``mapping_date``). So a mapping is a sourced fact like any other.

The metadata block (the ``#``-prefixed lines before the table) is YAML: the leading ``#`` of each line is
removed and the rest is read with PyYAML's safe loader; its ``curie_map`` becomes a ``curies.Converter``
(which refuses duplicate prefixes or namespaces), and every CURIE of the table is expanded with it. The
files themselves are checked against the SSSOM schema with sssom-py's own parser and validator in
``tests/test_sssom.py``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

import curies
import yaml
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from cryokg.errors import SourceError
from cryokg.namespaces import CRYO, DEFAULT_BASE
from cryokg.rdf.parsing import read_limited

__all__ = ["REQUIRED_COLUMNS", "load_sssom"]

REQUIRED_COLUMNS = ("subject_id", "subject_label", "predicate_id", "object_id", "object_label",
                    "mapping_justification", "mapping_date", "see_also")
MAPPING_PREDICATES = {str(SKOS.exactMatch), str(SKOS.closeMatch), str(SKOS.broadMatch), str(SKOS.narrowMatch),
                      str(SKOS.relatedMatch)}


def _read_header(lines: list[str], path: Path) -> tuple[curies.Converter, int]:
    """The metadata block as YAML: the converter of its ``curie_map`` and the index of the table's first line."""
    start = next((index for index, line in enumerate(lines) if not line.startswith("#")), len(lines))
    try:
        metadata = yaml.safe_load("\n".join(line[1:] for line in lines[:start])) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise SourceError(path, f"SSSOM metadata block is not valid YAML: {problem}",
                          mark.line + 1 if mark else 1) from None
    if not isinstance(metadata, dict):
        raise SourceError(path, "SSSOM metadata block must be a YAML mapping (key: value lines)", 1)
    curie_map = metadata.get("curie_map")
    if not isinstance(curie_map, dict) or not curie_map:
        raise SourceError(path, "SSSOM header has no curie_map", 1)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in curie_map.items()):
        raise SourceError(path, "SSSOM curie_map must map prefixes to namespace IRIs (text)", 1)
    try:
        converter = curies.Converter.from_prefix_map(curie_map)
    except ValueError as exc:
        raise SourceError(path, f"SSSOM curie_map: {exc}", 1) from None
    return converter, start


def _expand(value: str, converter: curies.Converter, path: Path, line: int) -> URIRef:
    if value.startswith(("http://", "https://")):
        return URIRef(value)
    iri = converter.expand(value) if ":" in value else None
    if iri is None:
        raise SourceError(path, f"CURIE {value!r} uses a prefix that is not in the curie_map", line)
    return URIRef(iri)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


def load_sssom(path: Path, *, base: str = DEFAULT_BASE) -> Iterator[tuple[URIRef, URIRef, URIRef | Literal]]:
    """Yield the triples of one SSSOM TSV file. Errors name the file and line."""
    try:
        lines = read_limited(path).decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise SourceError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise SourceError(path, f"cannot read: {exc.strerror or exc}") from exc
    converter, start = _read_header(lines, path)
    table = lines[start:]
    if not table:
        raise SourceError(path, "SSSOM file has no table", start + 1)
    reader = csv.DictReader(table, delimiter="\t")
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise SourceError(path, f"SSSOM table lacks columns: {', '.join(missing)}", start + 1)
    for offset, row in enumerate(reader, start=2):
        line = start + offset
        subject = _expand(row["subject_id"], converter, path, line)
        predicate = _expand(row["predicate_id"], converter, path, line)
        obj = _expand(row["object_id"], converter, path, line)
        if str(predicate) not in MAPPING_PREDICATES:
            raise SourceError(path, f"predicate {row['predicate_id']!r} is not a SKOS mapping property", line)
        if not row["see_also"].startswith(("http://", "https://")):
            raise SourceError(path, "see_also must be the URL where the identifier was seen", line)
        record = URIRef(f"{base}id/mapping/{_slug(str(subject)[len(base) + 3:])}--{_slug(row['object_id'])}")
        yield subject, predicate, obj
        yield record, RDF.type, CRYO.MappingRecord
        yield record, SKOS.prefLabel, Literal(
            f"{row['subject_label']} {row['predicate_id']} {row['object_id']}", lang="en")
        yield record, CRYO.mappingSubject, subject
        yield record, CRYO.mappingPredicate, predicate
        yield record, CRYO.mappingObject, obj
        if row["object_label"]:
            yield record, CRYO.mappingObjectLabel, Literal(row["object_label"])
        yield record, CRYO.mappingJustification, _expand(row["mapping_justification"], converter, path, line)
        yield record, CRYO.mappingDate, Literal(row["mapping_date"], datatype=XSD.date)
        yield record, DCTERMS.source, URIRef(row["see_also"])
        if row.get("comment"):
            yield record, RDFS.comment, Literal(row["comment"], lang="en")
