"""Plain CSV node and edge lists (``csv/nodes.csv``, ``csv/edges.csv``) for pandas, Spark, R and spreadsheets.

RFC 4180 CSV: comma-separated, double-quoted where a value needs it, ``\\n`` line ends, UTF-8, a header row.
Columns are fixed (:data:`NODE_COLUMNS`, :data:`EDGE_COLUMNS`); node and edge ids are full IRIs, so the
files join with the RDF release without a prefix table.

* nodes: ``id`` (IRI), ``curie``, ``label``, ``types`` (type CURIEs, sorted, ``|``-joined), ``description``
  (English definition).
* edges: ``id`` (stable UUID 5 of the triple, as in KGX), ``source`` (IRI), ``predicate`` (CURIE),
  ``target`` (IRI), ``inferred`` (``true`` for an OWL 2 RL entailment, else ``false``).

>>> import pandas as pd                                                       # doctest: +SKIP
>>> nodes = pd.read_csv("build/exports/csv/nodes.csv", keep_default_na=False)  # doctest: +SKIP
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from cryokg.release.exports.base import MULTI_SEPARATOR, description_of, edge_id

__all__ = ["EDGE_COLUMNS", "NODE_COLUMNS", "CSVExporter", "by_source", "csv_tables"]

NODE_COLUMNS = ("id", "curie", "label", "types", "description")
EDGE_COLUMNS = ("id", "source", "predicate", "target", "inferred")


def _node_row(node: str, attrs: dict) -> tuple[str, ...]:
    return (str(node), str(attrs.get("curie", node)), str(attrs.get("label", "")),
            MULTI_SEPARATOR.join(attrs.get("types", [])), description_of(attrs))


def node_attributes(graph: Any, node: str) -> dict:
    """The attributes of *node* in a networkx view or a :class:`~cryokg.release.exports.records.GraphRecords`."""
    return graph.attributes(node) if hasattr(graph, "attributes") else graph.nodes[node]


def by_source(graph: Any) -> Iterator[tuple[str, list[tuple[str, str, str, dict]]]]:
    """The view's edges source by source, sources sorted, as (source, [(u, v, key, data)])."""
    for source in sorted(graph.nodes):
        edges = list(graph.out_edges(source, keys=True, data=True))
        if edges:
            yield source, edges


def _edge_rows(graph: Any) -> Iterator[tuple[str, ...]]:
    """Edge rows sorted by (source, predicate, target): sources come sorted, so only each one's edges are sorted."""
    for _source, edges in by_source(graph):
        rows = [(edge_id(u, k, v), str(u), str(k), str(v), "true" if d.get("inferred") else "false")
                for u, v, k, d in edges]
        yield from sorted(rows, key=lambda row: (row[1], row[2], row[3]))


def csv_tables(graph: Any) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """(node rows, edge rows) of a view, in column order, sorted (in memory: :class:`CSVExporter` streams)."""
    return sorted(_node_row(n, a) for n, a in graph.nodes(data=True)), list(_edge_rows(graph))


def _write_csv(path: Path, columns: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        # Python's csv quotes a field holding "\n" (the line terminator) but not a lone "\r", which readers take
        # as a line end; such rows are written with every field quoted (RFC 4180 allows quoting any field).
        quoted = csv.writer(handle, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writerow(columns)
        for row in rows:
            (quoted if any("\r" in value for value in row) else writer).writerow(row)
    return path


class CSVExporter:
    """``csv/nodes.csv`` and ``csv/edges.csv``, streamed (nodes come sorted by IRI, the first column)."""

    name = "csv"
    description = "plain CSV node and edge lists for pandas and Spark (csv/nodes.csv, csv/edges.csv)"

    def write(self, graph: Any, out_dir: Path) -> list[Path]:
        folder = Path(out_dir) / "csv"
        nodes = (_node_row(n, node_attributes(graph, n)) for n in sorted(graph.nodes))  # rows sort by IRI
        return [_write_csv(folder / "nodes.csv", NODE_COLUMNS, nodes),
                _write_csv(folder / "edges.csv", EDGE_COLUMNS, _edge_rows(graph))]
