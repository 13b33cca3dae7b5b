"""GEXF 1.2 (https://gexf.net/) for Gephi, written with networkx and made byte-deterministic.

networkx's writer stamps the file with today's date (``lastmodifieddate``) and its own version in
``<creator>``, so two builds on different days, or with another networkx, would differ. Both are replaced
after writing: the date is dropped (it is optional in GEXF) and the creator names cryokg. The node label is
the view's ``label``; attribute ids are numbered in the order networkx meets them, which the view's sorted
insertion order fixes. Edge ids are the stable UUIDs of :func:`cryokg.release.exports.base.edge_id`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from cryokg.release.exports.base import GENERATED_NOTE, edge_id, scalar_graph, write_text

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["GEXFExporter", "to_gexf"]

_META = re.compile(r'<meta lastmodifieddate="[^"]*">\s*<creator>[^<]*</creator>')


def to_gexf(graph: nx.MultiDiGraph) -> str:
    """The GEXF document of a networkx view, as text, without a date."""
    import networkx as nx

    flat, _, _ = scalar_graph(graph, xml=True)
    ordered = nx.MultiDiGraph(**{k: v for k, v in flat.graph.items() if k == "name"})
    for node in sorted(flat.nodes):
        ordered.add_node(node, **dict(sorted(flat.nodes[node].items())))
    for u, v, key, data in sorted(flat.edges(keys=True, data=True), key=lambda e: (e[0], e[2], e[1])):
        ordered.add_edge(u, v, key=key, id=edge_id(u, key, v), **dict(sorted(data.items())))
    lines = nx.generate_gexf(ordered, encoding="utf-8", prettyprint=True, version="1.2draft")
    text = '<?xml version="1.0" encoding="UTF-8"?>\n' + "\n".join(lines) + "\n"
    text, count = _META.subn(f"<meta>\n    <creator>cryokg</creator>\n    <description>{escape(GENERATED_NOTE)}"
                             "</description>", text, count=1)
    if count != 1:  # pragma: no cover - only if a networkx release changes its meta element
        raise RuntimeError("unexpected GEXF <meta> from networkx: cannot remove its timestamp")
    return text


class GEXFExporter:
    """``cryokg.gexf``: Gephi's native format."""

    name = "gexf"
    description = "GEXF 1.2 for Gephi (cryokg.gexf)"

    def write(self, graph: nx.MultiDiGraph, out_dir: Path) -> list[Path]:
        return [write_text(Path(out_dir) / "cryokg.gexf", to_gexf(graph))]
