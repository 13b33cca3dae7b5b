"""Read SSSOM mapping tables (https://mapping-commons.github.io/sssom/) into RDF.

Each row becomes the SKOS mapping triple itself (``subject skos:exactMatch object``) plus one
``cryo:MappingRecord`` node that carries the row's provenance: where the identifier was seen (``see_also``,
emitted as ``dcterms:source``) and when (``mapping_date``). So a mapping is a sourced fact like any other.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD

from cryokg.errors import SourceError
from cryokg.namespaces import CRYO, DEFAULT_BASE

__all__ = ["REQUIRED_COLUMNS", "load_sssom"]

REQUIRED_COLUMNS = ("subject_id", "subject_label", "predicate_id", "object_id", "object_label",
                    "mapping_justification", "mapping_date", "see_also")
MAPPING_PREDICATES = {str(SKOS.exactMatch), str(SKOS.closeMatch), str(SKOS.broadMatch), str(SKOS.narrowMatch),
                      str(SKOS.relatedMatch)}


def _read_header(lines: list[str], path: Path) -> tuple[dict[str, str], int]:
    """Parse the ``#``-prefixed YAML header far enough to get ``curie_map``; return it and the table start."""
    curie_map: dict[str, str] = {}
    in_map = False
    index = 0
    header = [raw[1:] for raw in lines if raw.startswith("#")]
    margin = min((len(h) - len(h.lstrip()) for h in header if h.strip()), default=0)  # "# key:" or "#key:"
    for index, raw in enumerate(lines):  # noqa: B007 - index is used after the loop
        if not raw.startswith("#"):
            break
        body = raw[1 + margin:].rstrip() if len(raw) > margin else ""
        if re.match(r"^curie_map:\s*$", body):
            in_map = True
            continue
        entry = re.match(r"^\s+([A-Za-z_][\w.-]*):\s*['\"]?([^'\"]+)['\"]?\s*$", body)
        if in_map and entry:
            curie_map[entry.group(1)] = entry.group(2)
        elif body and not body[0].isspace():
            in_map = False
    else:
        index = len(lines)
    if not curie_map:
        raise SourceError(path, "SSSOM header has no curie_map", 1)
    return curie_map, index


def _expand(value: str, curie_map: dict[str, str], path: Path, line: int) -> URIRef:
    if value.startswith(("http://", "https://")):
        return URIRef(value)
    prefix, sep, local = value.partition(":")
    if not sep or prefix not in curie_map:
        raise SourceError(path, f"CURIE {value!r} uses a prefix that is not in the curie_map", line)
    return URIRef(curie_map[prefix] + local)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


def load_sssom(path: Path, *, base: str = DEFAULT_BASE) -> Iterator[tuple[URIRef, URIRef, URIRef | Literal]]:
    """Yield the triples of one SSSOM TSV file. Errors name the file and line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise SourceError(path, f"cannot read: {exc.strerror or exc}") from exc
    curie_map, start = _read_header(lines, path)
    table = lines[start:]
    if not table:
        raise SourceError(path, "SSSOM file has no table", start + 1)
    reader = csv.DictReader(table, delimiter="\t")
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise SourceError(path, f"SSSOM table lacks columns: {', '.join(missing)}", start + 1)
    for offset, row in enumerate(reader, start=2):
        line = start + offset
        subject = _expand(row["subject_id"], curie_map, path, line)
        predicate = _expand(row["predicate_id"], curie_map, path, line)
        obj = _expand(row["object_id"], curie_map, path, line)
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
        yield record, CRYO.mappingJustification, _expand(row["mapping_justification"], curie_map, path, line)
        yield record, CRYO.mappingDate, Literal(row["mapping_date"], datatype=XSD.date)
        yield record, DCTERMS.source, URIRef(row["see_also"])
        if row.get("comment"):
            yield record, RDFS.comment, Literal(row["comment"], lang="en")
