"""GraphML (http://graphml.graphdrawing.org/) for Gephi, Cytoscape, yEd, igraph and networkx, written by networkx.

``networkx.write_graphml_xml`` with ``named_key_ids=True`` (a key's id is its attribute name, so one new
attribute does not renumber the others) and ``edge_id_from_attribute="id"`` (edge ids are the stable UUIDs
of :func:`cryokg.release.exports.base.edge_id`, unique, so tools that index edges by id accept them; the id
is also an edge attribute). The ElementTree writer is named explicitly: ``write_graphml`` switches to lxml
when lxml is installed, which lays the file out differently. Attribute values are the scalar, XML-safe form
of :func:`cryokg.release.exports.base.scalar_graph`; the graph carries the generated-file note as its
``note`` attribute.

One thing is added to networkx's bytes: ElementTree writes a carriage return inside element text raw, and
XML parsers turn it into a line feed (XML 1.0, section 2.11), so it is written as ``&#13;`` (networkx lays
the file out with line feeds only, so every raw carriage return is one inside a value).
Node ids are full IRIs: the GraphML schema types them as NMTOKEN, which forbids ``/``, but every tool we
target reads them as plain strings. Booleans read ``True``/``False`` (networkx's spelling, which its reader,
Gephi's and igraph's accept).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from cryokg.release.exports.base import GENERATED_NOTE, edge_id, scalar_graph, write_text

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["GraphMLExporter", "to_graphml"]


def to_graphml(graph: nx.MultiDiGraph) -> str:
    """The GraphML document of a networkx view, as text (same graph, same bytes)."""
    import networkx as nx

    flat, _, _ = scalar_graph(graph, xml=True)
    flat.graph["note"] = GENERATED_NOTE
    for u, v, key, data in flat.edges(keys=True, data=True):
        data["id"] = edge_id(u, key, v)
    buffer = io.BytesIO()
    nx.write_graphml_xml(flat, buffer, encoding="utf-8", prettyprint=True, named_key_ids=True,
                         edge_id_from_attribute="id")
    return buffer.getvalue().replace(b"\r", b"&#13;").decode("utf-8")


class GraphMLExporter:
    """``cryokg.graphml``: nodes and edges with typed scalar attributes."""

    name = "graphml"
    description = "GraphML for Gephi, Cytoscape, yEd, igraph and networkx (cryokg.graphml)"

    def write(self, graph: nx.MultiDiGraph, out_dir: Path) -> list[Path]:
        return [write_text(Path(out_dir) / "cryokg.graphml", to_graphml(graph))]
