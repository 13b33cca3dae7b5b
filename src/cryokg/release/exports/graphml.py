"""GraphML (http://graphml.graphdrawing.org/) for Gephi, Cytoscape, yEd, igraph and networkx, in networkx's bytes.

The file is the one ``networkx.write_graphml_xml`` writes, streamed here one element at a time instead (networkx
builds the whole document in memory: see :func:`_element` for the benchmark row that keeps this; the property tests
in ``tests/test_property_exports.py`` hold every byte to networkx's own writer): ``write_graphml_xml`` with
``named_key_ids=True`` (a key's id is its attribute name, so one new attribute does not renumber the others) and
``edge_id_from_attribute="id"`` (edge ids are the stable UUIDs of :func:`cryokg.release.exports.base.edge_id`,
unique, so tools that index edges by id accept them; the id is also an edge attribute). The ElementTree writer is
named explicitly: ``write_graphml`` switches to lxml when lxml is installed, which lays the file out differently.
Attribute values are the scalar, XML-safe form of :func:`cryokg.release.exports.base.scalar_graph`; the graph
carries the generated-file note as its ``note`` attribute.

One thing is added to networkx's bytes: ElementTree writes a carriage return inside element text raw, and
XML parsers turn it into a line feed (XML 1.0, section 2.11), so it is written as ``&#13;`` (networkx lays
the file out with line feeds only, so every raw carriage return is one inside a value).
Node ids are full IRIs: the GraphML schema types them as NMTOKEN, which forbids ``/``, but every tool we
target reads them as plain strings. Booleans read ``True``/``False`` (networkx's spelling, which its reader,
Gephi's and igraph's accept).
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from cryokg.release.exports.base import GENERATED_NOTE, edge_id, flatten, ordered_types, write_stream

__all__ = ["GraphMLExporter", "to_graphml", "write_graphml"]

_XML_TYPES = {bool: "boolean", int: "long", float: "double", str: "string"}
"""networkx's GraphML type names (``GraphMLWriter.xml_type``)."""
_ROOT = ('<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
         'xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
         'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">')


_ATTRIBUTE = {'"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"}


def _attr(text: str) -> str:
    """An attribute value escaped as ElementTree escapes it (``&``, ``<``, ``>``, ``"``, CR, LF, tab)."""
    return escape(text, _ATTRIBUTE)


def _element(tag: str, attrib: dict[str, str], data: Iterable[tuple[str, object]], level: int) -> str:
    """One element with its ``<data>`` children, indented as networkx's writer indents it (``GraphMLWriter.indent``)
    and escaped as ElementTree escapes (``tests/test_property_exports.py`` holds the bytes to networkx's own
    writer), followed by the indentation of the next sibling.

    Formatted here rather than by building ElementTree elements: ElementTree's serialiser was half of the
    GraphML export's time (``scripts/bench_build.py``, row "export: graphml": 4.6 s under the profiler at 100 k
    triples, 2.4 s of it in ElementTree)."""
    inner, outer = "\n" + "  " * (level + 1), "\n" + "  " * level
    head = f"<{tag} " + " ".join(f'{name}="{_attr(value)}"' for name, value in attrib.items())
    children = [f'<data key="{_attr(key)}">{escape(text)}</data>' if (text := str(value)) else
                f'<data key="{_attr(key)}" />' for key, value in data]
    if not children:
        return head + " />" + outer
    return head + ">" + inner + inner.join(children) + outer + f"</{tag}>" + outer


def write_graphml(graph: Any, out: BinaryIO) -> None:
    """Stream the GraphML document of a view (networkx or :class:`~cryokg.release.exports.records.GraphRecords`)
    to *out*: the bytes ``networkx.write_graphml_xml`` writes for its scalar form (see the module docstring),
    without building the document's tree (two passes over the view: attribute names and types, then the elements).
    """
    node_types, node_keys = ordered_types(data for _, data in graph.nodes(data=True))
    edge_types, edge_keys = ordered_types(data for *_, data in graph.edges(keys=True, data=True))
    graph_data = {**graph.graph, "note": GENERATED_NOTE}
    keys = [(k, "graph", type(v)) for k, v in graph_data.items()]
    keys += [(k, "node", node_types[k]) for k in node_keys] + [(k, "edge", edge_types[k]) for k in edge_keys]
    if edge_keys:  # networkx declares a key when an element first uses it: the edge id, with the first edge
        keys += [("id", "edge", str)]
    seen: set[tuple[str, str]] = set()
    declared = []
    for name, scope, kind in keys:
        if (name, scope) not in seen:
            seen.add((name, scope))
            declared.append((name, scope, kind))

    def write(text: str) -> None:
        out.write(text.encode("utf-8").replace(b"\r", b"&#13;"))

    write("<?xml version='1.0' encoding='utf-8'?>\n" + _ROOT + "\n  ")
    for name, scope, kind in reversed(declared):  # networkx inserts each new key first
        write(ET.tostring(ET.Element("key", {"id": name, "for": scope, "attr.name": name,
                                             "attr.type": _XML_TYPES[kind]}), encoding="unicode") + "\n  ")
    write('<graph edgedefault="directed">\n    ')
    for node, data in graph.nodes(data=True):
        write(_element("node", {"id": str(node)}, list(flatten(data, node_types, xml=True).items()), 2))
    for u, v, key, data in graph.edges(keys=True, data=True):
        ident = edge_id(u, key, v)
        flat = {**flatten(data, edge_types, xml=True), "id": ident}
        write(_element("edge", {"source": str(u), "target": str(v), "id": ident}, list(flat.items()), 2))
    items = list(_graph_data(graph_data))
    for n, (key, value) in enumerate(items):
        text = ET.tostring(_data(key, value), encoding="unicode")
        write(text + ("\n    " if n + 1 < len(items) else "\n  "))
    write("</graph>\n</graphml>\n")


def _graph_data(data: Mapping[str, object]) -> Iterable[tuple[str, object]]:
    return data.items()


def _data(key: str, value: object) -> ET.Element:
    element = ET.Element("data", key=key)
    element.text = str(value)
    return element


def to_graphml(graph: Any) -> str:
    """The GraphML document of a view, as text (same graph, same bytes)."""
    buffer = io.BytesIO()
    write_graphml(graph, buffer)
    return buffer.getvalue().decode("utf-8")


class GraphMLExporter:
    """``cryokg.graphml``: nodes and edges with typed scalar attributes."""

    name = "graphml"
    description = "GraphML for Gephi, Cytoscape, yEd, igraph and networkx (cryokg.graphml)"

    def write(self, graph: Any, out_dir: Path) -> list[Path]:
        return write_stream(Path(out_dir) / "cryokg.graphml", write_graphml, graph)
