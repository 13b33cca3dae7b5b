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
import io
from pathlib import Path
from typing import TYPE_CHECKING

from cryokg.release.exports.base import MULTI_SEPARATOR, description_of, edge_id, write_text

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["EDGE_COLUMNS", "NODE_COLUMNS", "CSVExporter", "csv_tables"]

NODE_COLUMNS = ("id", "curie", "label", "types", "description")
EDGE_COLUMNS = ("id", "source", "predicate", "target", "inferred")


def csv_tables(graph: nx.MultiDiGraph) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """(node rows, edge rows) of a networkx view, in column order, sorted."""
    nodes = sorted((str(n), str(a.get("curie", n)), str(a.get("label", "")),
                    MULTI_SEPARATOR.join(a.get("types", [])), description_of(a))
                   for n, a in graph.nodes(data=True))
    edges = sorted(((edge_id(u, k, v), str(u), str(k), str(v), "true" if d.get("inferred") else "false")
                    for u, v, k, d in graph.edges(keys=True, data=True)), key=lambda row: (row[1], row[2], row[3]))
    return nodes, edges


def _csv(columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    # Python's csv quotes a field holding "\n" (the line terminator) but not a lone "\r", which readers take
    # as a line end; such rows are written with every field quoted (RFC 4180 allows quoting any field).
    quoted = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(columns)
    for row in rows:
        (quoted if any("\r" in value for value in row) else writer).writerow(row)
    return buffer.getvalue()


class CSVExporter:
    """``csv/nodes.csv`` and ``csv/edges.csv``."""

    name = "csv"
    description = "plain CSV node and edge lists for pandas and Spark (csv/nodes.csv, csv/edges.csv)"

    def write(self, graph: nx.MultiDiGraph, out_dir: Path) -> list[Path]:
        nodes, edges = csv_tables(graph)
        folder = Path(out_dir) / "csv"
        return [write_text(folder / "nodes.csv", _csv(NODE_COLUMNS, nodes)),
                write_text(folder / "edges.csv", _csv(EDGE_COLUMNS, edges))]
