"""Node-link JSON (networkx's ``node_link_data`` layout, d3-style) with the view's attributes unflattened.

JSON holds lists, so multi-valued literals and ``types`` stay lists here (unlike GraphML and GEXF). Read it
back with ``networkx.node_link_graph(json.load(f), edges="edges")``. Built by hand rather than with
``node_link_data`` because that function's keyword for the edge list changed between networkx releases;
the layout is the same: ``directed``, ``multigraph``, ``graph``, ``nodes`` (``id`` + attributes) and
``edges`` (``source``, ``target``, ``key`` + attributes), nodes sorted by id and edges by
(source, key, target), keys sorted, two-space indent, UTF-8.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from cryokg.release.exports.base import GENERATED_NOTE, write_text

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["NodeLinkExporter", "to_node_link"]


def to_node_link(graph: nx.MultiDiGraph) -> dict:
    """The node-link document of a networkx view, as a dict ready for ``json.dumps``."""
    nodes = [{**graph.nodes[n], "id": n} for n in sorted(graph.nodes)]
    edges = [{**data, "source": u, "target": v, "key": key}
             for u, v, key, data in sorted(graph.edges(keys=True, data=True), key=lambda e: (e[0], e[2], e[1]))]
    return {"directed": True, "multigraph": True, "graph": {**graph.graph, "note": GENERATED_NOTE},
            "nodes": nodes, "edges": edges}


class NodeLinkExporter:
    """``cryokg.nodelink.json``: for d3, JavaScript and anything that reads JSON."""

    name = "nodelink"
    description = "node-link JSON for networkx and d3 (cryokg.nodelink.json)"

    def write(self, graph: nx.MultiDiGraph, out_dir: Path) -> list[Path]:
        text = json.dumps(to_node_link(graph), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        return [write_text(Path(out_dir) / "cryokg.nodelink.json", text)]
