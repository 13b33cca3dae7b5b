"""GraphML (http://graphml.graphdrawing.org/) for Gephi, Cytoscape, yEd, igraph and networkx.

Written here rather than with ``networkx.write_graphml`` for two reasons: networkx numbers its keys ``d0``,
``d1`` ... in the order it meets them, so one new attribute renumbers every key after it, and it uses the
multigraph key (our predicate CURIE) as the edge id, repeating it across edges, which tools that index edges
by id (Gephi) reject. Here a key's id is derived from its name (``n_skos_prefLabel_en``), edge ids are the
stable UUIDs of :func:`cryokg.release.exports.base.edge_id`, and keys, nodes and edges are written sorted.
Node ids are full IRIs: the GraphML schema types them as NMTOKEN, which forbids ``/``, but every tool we
target reads them as plain strings.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

from cryokg.release.exports.base import GENERATED_NOTE, edge_id, scalar_graph, write_text

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["GraphMLExporter", "to_graphml"]

_GRAPHML_TYPES = {bool: "boolean", int: "long", float: "double", str: "string"}
_NOT_NMTOKEN = re.compile(r"[^A-Za-z0-9._-]+")
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _key_ids(names: list[str], scope: str) -> dict[str, str]:
    """A readable, stable key id per attribute name; clashes after sanitising get a numeric suffix."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for name in sorted(names):
        base = f"{scope[0]}_{_NOT_NMTOKEN.sub('_', name).strip('_')}"
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}_{n}", n + 1
        ids[name] = candidate
        taken.add(candidate)
    return ids


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(_NOT_XML_CHAR.sub("\ufffd", str(value)), {"\r": "&#13;"})


def to_graphml(graph: nx.MultiDiGraph) -> str:
    """The GraphML document of a networkx view, as text (same graph, same bytes)."""
    flat, node_types, edge_types = scalar_graph(graph)
    graph_attrs = {k: v for k, v in sorted(flat.graph.items()) if isinstance(v, (str, int, float, bool))}
    graph_types = {k: type(v) for k, v in graph_attrs.items()}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f"<!-- {escape(GENERATED_NOTE)} -->",
             '<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
             'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
             'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
             'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">']
    scopes = {"graph": graph_types, "node": node_types, "edge": edge_types}
    ids = {scope: _key_ids(list(types), scope) for scope, types in scopes.items()}
    for scope, types in scopes.items():
        for name in sorted(types):
            lines.append(f'  <key id="{ids[scope][name]}" for="{scope}" attr.name={quoteattr(name)} '
                         f'attr.type="{_GRAPHML_TYPES[types[name]]}"/>')
    lines.append('  <graph id="cryokg" edgedefault="directed">')
    lines.extend(f'    <data key="{ids["graph"][k]}">{_value(v)}</data>' for k, v in graph_attrs.items())
    for node in sorted(flat.nodes):
        data = flat.nodes[node]
        lines.append(f"    <node id={quoteattr(str(node))}>")
        lines.extend(f'      <data key="{ids["node"][k]}">{_value(data[k])}</data>' for k in sorted(data))
        lines.append("    </node>")
    for u, v, key, data in sorted(flat.edges(keys=True, data=True), key=lambda e: (e[0], e[2], e[1])):
        lines.append(f"    <edge id={quoteattr(edge_id(u, key, v))} source={quoteattr(str(u))} "
                     f"target={quoteattr(str(v))}>")
        lines.extend(f'      <data key="{ids["edge"][k]}">{_value(data[k])}</data>' for k in sorted(data))
        lines.append("    </edge>")
    lines += ["  </graph>", "</graphml>", ""]
    return "\n".join(lines)


class GraphMLExporter:
    """``cryokg.graphml``: nodes and edges with typed scalar attributes."""

    name = "graphml"
    description = "GraphML for Gephi, Cytoscape, yEd, igraph and networkx (cryokg.graphml)"

    def write(self, graph: nx.MultiDiGraph, out_dir: Path) -> list[Path]:
        return [write_text(Path(out_dir) / "cryokg.graphml", to_graphml(graph))]
