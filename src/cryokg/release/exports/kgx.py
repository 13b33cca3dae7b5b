"""KGX TSV (https://github.com/biolink/kgx, "KGX format"): ``kgx/nodes.tsv`` and ``kgx/edges.tsv``, in the
Biolink Model's terms, so that the ``kgx`` library loads the files (``kgx transform``) and its validator
(``kgx validate``) accepts them (``tests/test_kgx.py`` runs both).

Columns are fixed (:data:`NODE_COLUMNS`, :data:`EDGE_COLUMNS`); the files also load into Neo4j (README).
KGX reads TSV without quoting and splits list columns on ``|``; so values are written unquoted, a tab,
newline or carriage return inside a value becomes a space, and a value that would start with ``"`` (which
Neo4j's CSV reader takes as an opening quote) starts with ``“`` instead.

* **Nodes** are the view's resources that have a CURIE: ``id`` is that CURIE, from the project's prefixes or,
  for the identifiers of other vocabularies that the mappings name, from :data:`EXTERNAL_PREFIXES` (Biolink's
  own prefixes for them). Resources without one -- the cited web pages, the licence, the ontology and
  vocabulary namespace IRIs -- are not KGX nodes (KGX requires CURIE ids); the edges to them are left out,
  except ``dcterms:source``, which becomes the ``publications`` of the citing node.
* ``category``: the Biolink classes :data:`BIOLINK_CATEGORIES` maps the node's types to (``biolink:NamedThing``
  when none does), sorted; ``original_category``: the node's own type CURIEs (``cryo:Nerve``).
* ``name``: the view's label; ``description``: the English definition; ``synonym``: the English alternative
  labels; ``xref``: the targets of the node's SKOS mapping edges (``skos:exactMatch`` ...), as CURIEs;
  ``iri``: the full IRI; ``publications``: the URLs of its ``dcterms:source``; ``provided_by``: cryokg.
* **Edges**: ``predicate`` is the Biolink predicate :data:`BIOLINK_PREDICATES` maps ours to, else
  ``biolink:related_to``; ``original_predicate`` is always our predicate CURIE. One row per RDF triple, so
  two rows can share subject, Biolink predicate and object (``rdfs:domain`` and ``rdfs:range`` of a property
  with the same class are both ``biolink:related_to``): kgx keys the edges of its in-memory graph by that
  triple and keeps one of them when it loads the files; the files hold both. ``id`` is the stable UUID 5
  of the (RDF) triple; ``knowledge_level`` is ``knowledge_assertion`` for asserted triples and
  ``logical_entailment`` for inferred ones, with ``agent_type`` ``manual_agent`` / ``automated_agent`` to
  match; both knowledge sources are ``infores:cryokg``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from cryokg.release.exports.base import MULTI_SEPARATOR, description_of, edge_id
from cryokg.release.exports.tables import node_attributes

__all__ = ["BIOLINK_CATEGORIES", "BIOLINK_PREDICATES", "EDGE_COLUMNS", "EXTERNAL_PREFIXES", "INFORES",
           "NODE_COLUMNS", "KGXExporter", "kgx_tables"]

NODE_COLUMNS = ("id", "category", "original_category", "name", "description", "synonym", "xref", "iri",
                "publications", "provided_by")
EDGE_COLUMNS = ("id", "subject", "predicate", "object", "original_predicate", "knowledge_level", "agent_type",
                "primary_knowledge_source", "knowledge_source")
INFORES = "infores:cryokg"

EXTERNAL_PREFIXES = {
    "SNOMEDCT": "http://snomed.info/id/",
    "FMA": "http://purl.org/sig/ont/fma/fma",
    "MESH": "http://id.nlm.nih.gov/mesh/",
}
"""IRIs of other vocabularies that the project's prefixes do not cover, with Biolink's prefix for each.
FMA: the release uses FMA's own IRIs (``.../fma/fma65443``), Biolink's prefix map the OBO form of the same
identifier (``FMA_65443``); the CURIE ``FMA:65443`` names the same FMA class either way."""

BIOLINK_CATEGORIES = {
    "cryo:Nerve": "biolink:GrossAnatomicalStructure",
    "cryo:NervePlexus": "biolink:GrossAnatomicalStructure",
    "cryo:BodyRegion": "biolink:GrossAnatomicalStructure",
    "cryo:AnatomicalStructure": "biolink:AnatomicalEntity",
    "cryo:Tissue": "biolink:AnatomicalEntity",
    "cryo:ProcedureCode": "biolink:Procedure",
    "cryo:Technique": "biolink:Procedure",
    "cryo:ImagingGuidance": "biolink:Procedure",
    "cryo:ProcedureStep": "biolink:Procedure",
    "cryo:Device": "biolink:Device",
    "cryo:DevicePart": "biolink:Device",
    "cryo:Substance": "biolink:ChemicalEntity",
    "cryo:Coolant": "biolink:ChemicalEntity",
    "cryo:Indication": "biolink:DiseaseOrPhenotypicFeature",
}
"""Our classes and the Biolink class each one is an instance of (README, "KGX: Biolink mapping"). Every
other type maps to ``biolink:NamedThing``: code assignments, rules, payer positions, scopes and the other
n-ary or bookkeeping nodes have no closer Biolink class, and ``biolink:OntologyClass``, the obvious one for
the vocabulary's classes, is a mixin, which KGX refuses as a category."""

BIOLINK_PREDICATES = {
    "skos:exactMatch": "biolink:exact_match",
    "skos:closeMatch": "biolink:close_match",
    "skos:broadMatch": "biolink:broad_match",
    "skos:narrowMatch": "biolink:narrow_match",
    "rdfs:subClassOf": "biolink:subclass_of",
    "skos:broader": "biolink:subclass_of",
    "cryo:locatedIn": "biolink:located_in",
    "cryo:regionPartOf": "biolink:part_of",
    "cryo:branchOf": "biolink:part_of",
    "cryo:hasPart": "biolink:has_part",
    "cryo:hasStep": "biolink:has_part",
    "cryo:nextStep": "biolink:precedes",
}
"""Our predicates that have a Biolink counterpart (README, "KGX: Biolink mapping", says why for each);
every other predicate is written as ``biolink:related_to`` with our CURIE in ``original_predicate``."""

_MAPPING_PREDICATES = ("skos:exactMatch", "skos:closeMatch", "skos:broadMatch", "skos:narrowMatch",
                       "skos:relatedMatch")
_SOURCE_PREDICATE = "dcterms:source"
_CURIE = re.compile(r"^[^ <()>:]*:[^/ :]+$")  # what KGX's PrefixManager.is_curie accepts
_UNSAFE = re.compile(r"[\t\r\n]+")


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = _UNSAFE.sub(" ", str(value))
    return "\u201c" + text[1:] if text.startswith('"') else text  # a leading " would open a quoted field in Neo4j


def _listed(values: object) -> str:
    items = values if isinstance(values, list) else [] if values in (None, "") else [values]
    return MULTI_SEPARATOR.join(_cell(v) for v in items)


def kgx_id(node: str, curie: str) -> str | None:
    """The KGX id of a view node: its CURIE, or one from :data:`EXTERNAL_PREFIXES`; None when it has none."""
    if curie != node and _CURIE.match(curie):
        return curie
    for prefix, namespace in EXTERNAL_PREFIXES.items():
        if node.startswith(namespace):
            candidate = f"{prefix}:{node[len(namespace):]}"
            return candidate if _CURIE.match(candidate) else None
    return None


def categories(types: list[str]) -> list[str]:
    """The Biolink categories of a node with these type CURIEs."""
    return sorted({BIOLINK_CATEGORIES[t] for t in types if t in BIOLINK_CATEGORIES} or {"biolink:NamedThing"})


def _ids(graph: Any) -> list[tuple[str, str]]:
    """(KGX id, node) of every node that has one, sorted by id (then node)."""
    found = []
    for node in graph.nodes:
        ident = kgx_id(node, str(node_attributes(graph, node).get("curie") or node))
        if ident is not None:
            found.append((ident, node))
    return sorted(found)


def _id_of(graph: Any, node: str, cache: dict[str, str | None]) -> str | None:
    if node not in cache:
        cache[node] = kgx_id(node, str(node_attributes(graph, node).get("curie") or node))
    return cache[node]


def _node_rows(graph: Any, ids: list[tuple[str, str]]) -> Iterator[tuple[str, ...]]:
    """Node rows sorted, one node's edges at a time (for its xrefs and publications)."""
    cache: dict[str, str | None] = dict((node, ident) for ident, node in ids)
    for _ident, group in itertools.groupby(ids, key=lambda pair: pair[0]):
        rows = []
        for ident, node in group:
            attrs = node_attributes(graph, node)
            xrefs, publications = set(), set()
            for _u, v, key, _data in graph.out_edges(node, keys=True, data=True):
                if key == _SOURCE_PREDICATE:
                    publications.add(v)
                target = _id_of(graph, v, cache)
                if key in _MAPPING_PREDICATES and target is not None:
                    xrefs.add(target)
            types = list(attrs.get("types", []))
            rows.append((ident, _listed(categories(types)), _listed(sorted(types)), _cell(attrs.get("label", "")),
                         _cell(description_of(attrs)), _listed(attrs.get("skos:altLabel@en", [])),
                         _listed(sorted(xrefs)), _cell(attrs.get("iri", node)), _listed(sorted(publications)),
                         INFORES))
        yield from sorted(rows)


def _edge_rows(graph: Any, ids: list[tuple[str, str]]) -> Iterator[tuple[str, ...]]:
    """Edge rows sorted by (subject id, original predicate, object id), stable: subjects come sorted by id, so only
    the edges of one id are sorted at a time."""
    cache: dict[str, str | None] = dict((node, ident) for ident, node in ids)
    for ident, group in itertools.groupby(ids, key=lambda pair: pair[0]):
        rows = []
        for _, node in group:
            for u, v, key, data in graph.out_edges(node, keys=True, data=True):
                target = _id_of(graph, v, cache)
                if target is None:
                    continue
                inferred = bool(data.get("inferred"))
                rows.append((edge_id(u, key, v), ident, BIOLINK_PREDICATES.get(key, "biolink:related_to"), target,
                             _cell(key), "logical_entailment" if inferred else "knowledge_assertion",
                             "automated_agent" if inferred else "manual_agent", INFORES, INFORES))
        yield from sorted(rows, key=lambda row: (row[1], row[4], row[3]))


def kgx_tables(graph: Any) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """(node rows, edge rows) of a view, each row in column order, sorted by id / triple (in memory:
    :class:`KGXExporter` streams them)."""
    ids = _ids(graph)
    return list(_node_rows(graph, ids)), list(_edge_rows(graph, ids))


def _write_tsv(path: Path, columns: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write("\t".join(columns) + "\n")
        for row in rows:
            handle.write("\t".join(row) + "\n")
    return path


class KGXExporter:
    """``kgx/nodes.tsv`` and ``kgx/edges.tsv``, streamed."""

    name = "kgx"
    description = "KGX TSV node and edge files in Biolink terms, for KG tools and Neo4j (kgx/nodes.tsv, kgx/edges.tsv)"

    def write(self, graph: Any, out_dir: Path) -> list[Path]:
        folder = Path(out_dir) / "kgx"
        ids = _ids(graph)
        return [_write_tsv(folder / "nodes.tsv", NODE_COLUMNS, _node_rows(graph, ids)),
                _write_tsv(folder / "edges.tsv", EDGE_COLUMNS, _edge_rows(graph, ids))]
