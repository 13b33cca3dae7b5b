"""Node-link JSON (d3-style), written by ``networkx.node_link_data(G, edges="edges")``.

JSON holds lists, so multi-valued literals and ``types`` stay lists here (unlike GraphML and GEXF). Read it
back with ``networkx.node_link_graph(json.load(f), edges="edges")``. The layout is networkx's: ``directed``,
``multigraph``, ``graph`` (plus the generated-file ``note``), ``nodes`` (``id`` + attributes, in the view's
sorted order) and ``edges`` (``source``, ``target``, ``key`` + attributes, in networkx's edge order, which
the view's sorted insertion fixes); written with sorted keys, two-space indent, UTF-8.
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
    import networkx as nx

    data = nx.node_link_data(graph, edges="edges")
    data["graph"] = {**data["graph"], "note": GENERATED_NOTE}  # a new dict: node_link_data shares graph.graph
    return data


class NodeLinkExporter:
    """``cryokg.nodelink.json``: for d3, JavaScript and anything that reads JSON."""

    name = "nodelink"
    description = "node-link JSON for networkx and d3 (cryokg.nodelink.json)"

    def write(self, graph: nx.MultiDiGraph, out_dir: Path) -> list[Path]:
        text = json.dumps(to_node_link(graph), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        return [write_text(Path(out_dir) / "cryokg.nodelink.json", text)]
