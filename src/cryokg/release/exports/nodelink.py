"""Node-link JSON (d3-style): the document of ``networkx.node_link_data(G, edges="edges")``, streamed.

networkx builds the whole document as one dict and ``json.dumps`` then makes it one string; here each node and
edge is written as it comes (see :func:`_nested` for the benchmark row that keeps this;
``tests/test_property_exports.py`` holds the bytes to ``json.dumps(nx.node_link_data(...))``).

JSON holds lists, so multi-valued literals and ``types`` stay lists here (unlike GraphML and GEXF). Read it
back with ``networkx.node_link_graph(json.load(f), edges="edges")``. The layout is networkx's: ``directed``,
``multigraph``, ``graph`` (plus the generated-file ``note``), ``nodes`` (``id`` + attributes, in the view's
sorted order) and ``edges`` (``source``, ``target``, ``key`` + attributes, in networkx's edge order, which
the view's sorted insertion fixes); written with sorted keys, two-space indent, UTF-8.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

from cryokg.release.exports.base import GENERATED_NOTE, write_stream

__all__ = ["NodeLinkExporter", "write_node_link"]


_SCALAR = json.JSONEncoder(ensure_ascii=False)


def _nested(value: object, depth: int) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True)`` as it appears *depth* levels down in
    an indented document.

    Dictionaries of scalars and lists of scalars (every node, edge and graph record of a view) are laid out
    here, each scalar written by the C encoder: ``json.dumps`` with ``indent`` runs the pure-Python encoder,
    which builds a reference cycle per call, and a build writes with the garbage collector paused
    (:mod:`cryokg.gcpause`), so a million calls held 1.7 GB (``scripts/bench_build.py`` at 1 M triples, row
    "export: nodelink"). Anything deeper goes through ``json.dumps``."""
    pad, inner = "\n" + "  " * depth, "\n" + "  " * (depth + 1)
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        if not value:
            return "{}"
        return "{" + ",".join(inner + _SCALAR.encode(k) + ": " + _nested(value[k], depth + 1)
                              for k in sorted(value)) + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[" + ",".join(inner + _nested(v, depth + 1) for v in value) + pad + "]"
    if value is None or isinstance(value, str | int | float | bool):
        return _SCALAR.encode(value)
    lines = json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True).split("\n")  # no raw line feed in JSON
    return pad.join(lines)


def _items(out: BinaryIO, name: str, items: Iterable[dict], *, last: bool) -> None:
    out.write(f'  "{name}": ['.encode())
    first = True
    for item in items:
        out.write(((",\n    " if not first else "\n    ") + _nested(item, 2)).encode("utf-8"))
        first = False
    out.write(("]" if first else "\n  ]").encode() + (b"\n" if last else b",\n"))


def write_node_link(graph: Any, out: BinaryIO) -> None:
    """Stream the document ``json.dumps(node_link_data(G, edges="edges"), ensure_ascii=False, indent=2,
    sort_keys=True)`` gives (plus the note and a final newline), one node or edge at a time (networkx's
    document of a 1 M-triple view does not fit beside the build: ``scripts/bench_build.py``, row
    "export: nodelink")."""
    out.write(b'{\n  "directed": true,\n')
    _items(out, "edges", ({**data, "source": u, "target": v, "key": key}
                          for u, v, key, data in graph.edges(keys=True, data=True)), last=False)
    out.write(('  "graph": ' + _nested({**graph.graph, "note": GENERATED_NOTE}, 1) + ",\n").encode("utf-8"))
    out.write(b'  "multigraph": true,\n')
    _items(out, "nodes", ({**data, "id": node} for node, data in graph.nodes(data=True)), last=True)
    out.write(b"}\n")


def _text(graph: Any) -> str:
    buffer = io.BytesIO()
    write_node_link(graph, buffer)
    return buffer.getvalue().decode("utf-8")


class NodeLinkExporter:
    """``cryokg.nodelink.json``: for d3, JavaScript and anything that reads JSON."""

    name = "nodelink"
    description = "node-link JSON for networkx and d3 (cryokg.nodelink.json)"

    def write(self, graph: Any, out_dir: Path) -> list[Path]:
        return write_stream(Path(out_dir) / "cryokg.nodelink.json", write_node_link, graph)
