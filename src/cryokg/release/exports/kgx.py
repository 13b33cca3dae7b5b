"""KGX TSV (https://github.com/biolink/kgx, "KGX format"): ``kgx/nodes.tsv`` and ``kgx/edges.tsv``.

Columns are fixed (:data:`NODE_COLUMNS`, :data:`EDGE_COLUMNS`) so the files load unchanged with
``kgx transform --input-format tsv`` and with Neo4j (see the README for the ``LOAD CSV`` lines).
KGX reads TSV without quoting and splits list columns on ``|``; so values are written unquoted, a tab,
newline or carriage return inside a value becomes a space, and a value that would start with ``"`` (which
Neo4j's CSV reader takes as an opening quote) starts with ``“`` instead.

* ``id``: the node's CURIE (its IRI where no prefix fits); ``iri``: the full IRI.
* ``category``: the node's types as CURIEs plus the Biolink class that :data:`BIOLINK_CATEGORIES` maps one of
  them to (``biolink:NamedThing`` when none does), sorted and ``|``-joined; KGX requires one category at least.
* ``name``: the view's label; ``description``: the English definition; ``synonym``: the English alternative
  labels; ``xref``: the targets of the node's SKOS mapping edges (``skos:exactMatch`` ...).
* Edges: ``id`` is a stable UUID 5 of the triple; ``predicate`` is our predicate CURIE (not a Biolink
  predicate: we do not claim an alignment we have not checked); ``knowledge_level`` is
  ``knowledge_assertion`` for asserted triples and ``logical_entailment`` for inferred ones, with
  ``agent_type`` ``manual_agent`` / ``automated_agent`` to match; both knowledge sources are
  ``infores:cryokg``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from cryokg.release.exports.base import MULTI_SEPARATOR, description_of, edge_id, write_text

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["BIOLINK_CATEGORIES", "EDGE_COLUMNS", "INFORES", "NODE_COLUMNS", "KGXExporter", "kgx_tables"]

NODE_COLUMNS = ("id", "category", "name", "description", "synonym", "xref", "iri", "provided_by")
EDGE_COLUMNS = ("id", "subject", "predicate", "object", "knowledge_level", "agent_type",
                "primary_knowledge_source", "knowledge_source")
INFORES = "infores:cryokg"

BIOLINK_CATEGORIES = {
    "cryo:AnatomicalStructure": "biolink:AnatomicalEntity",
    "cryo:Nerve": "biolink:AnatomicalEntity",
    "cryo:NervePlexus": "biolink:AnatomicalEntity",
    "cryo:Tissue": "biolink:AnatomicalEntity",
    "cryo:BodyRegion": "biolink:GrossAnatomicalStructure",
    "cryo:ProcedureCode": "biolink:Procedure",
    "cryo:Technique": "biolink:Procedure",
    "cryo:Device": "biolink:Device",
    "cryo:Substance": "biolink:ChemicalEntity",
    "cryo:Coolant": "biolink:ChemicalEntity",
    "cryo:Indication": "biolink:DiseaseOrPhenotypicFeature",
    "cryo:Source": "biolink:InformationContentEntity",
    "owl:Class": "biolink:OntologyClass",
}
"""Our classes that have an obvious Biolink counterpart. Everything else is ``biolink:NamedThing``."""

_MAPPING_PREDICATES = ("skos:exactMatch", "skos:closeMatch", "skos:broadMatch", "skos:narrowMatch",
                       "skos:relatedMatch")
_UNSAFE = re.compile(r"[\t\r\n]+")


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = _UNSAFE.sub(" ", str(value))
    return "\u201c" + text[1:] if text.startswith('"') else text  # a leading " would open a quoted field in Neo4j


def _listed(values: object) -> str:
    items = values if isinstance(values, list) else [] if values in (None, "") else [values]
    return MULTI_SEPARATOR.join(_cell(v) for v in items)


def _categories(types: list[str]) -> list[str]:
    biolink = {BIOLINK_CATEGORIES[t] for t in types if t in BIOLINK_CATEGORIES} or {"biolink:NamedThing"}
    return sorted(biolink | set(types))


def kgx_tables(graph: nx.MultiDiGraph) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """(node rows, edge rows) of a networkx view, each row in column order, sorted by id / triple."""
    ids = {n: str(graph.nodes[n].get("curie") or n) for n in graph.nodes}
    xrefs: dict[str, set[str]] = defaultdict(set)
    for u, v, key in graph.edges(keys=True):
        if key in _MAPPING_PREDICATES:
            xrefs[u].add(ids[v])
    nodes = []
    for n, attrs in graph.nodes(data=True):
        nodes.append((ids[n], _listed(_categories(list(attrs.get("types", [])))), _cell(attrs.get("label", "")),
                      _cell(description_of(attrs)), _listed(attrs.get("skos:altLabel@en", [])),
                      _listed(sorted(xrefs.get(n, ()))), _cell(attrs.get("iri", n)), INFORES))
    edges = []
    for u, v, key, data in graph.edges(keys=True, data=True):
        inferred = bool(data.get("inferred"))
        edges.append((edge_id(u, key, v), ids[u], _cell(key), ids[v],
                      "logical_entailment" if inferred else "knowledge_assertion",
                      "automated_agent" if inferred else "manual_agent", INFORES, INFORES))
    return sorted(nodes), sorted(edges, key=lambda row: (row[1], row[2], row[3]))


def _tsv(columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    return "".join("\t".join(row) + "\n" for row in [columns, *rows])


class KGXExporter:
    """``kgx/nodes.tsv`` and ``kgx/edges.tsv``."""

    name = "kgx"
    description = "KGX TSV node and edge files for KG tools and Neo4j (kgx/nodes.tsv, kgx/edges.tsv)"

    def write(self, graph: nx.MultiDiGraph, out_dir: Path) -> list[Path]:
        nodes, edges = kgx_tables(graph)
        folder = Path(out_dir) / "kgx"
        return [write_text(folder / "nodes.tsv", _tsv(NODE_COLUMNS, nodes)),
                write_text(folder / "edges.tsv", _tsv(EDGE_COLUMNS, edges))]
