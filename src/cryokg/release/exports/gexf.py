"""GEXF 1.2 (https://gexf.net/) for Gephi, in the bytes of networkx's writer, made byte-deterministic.

The document is the one ``networkx.generate_gexf`` gives, streamed here one node or edge at a time (networkx builds
the whole document in memory: see :func:`_element` for the benchmark row that keeps this;
``tests/test_property_exports.py`` holds the bytes to networkx's own writer). networkx's writer stamps the file
with today's date (``lastmodifieddate``) and its own version in ``<creator>``, so two builds on different days, or
with another networkx, would differ. Both are replaced after writing: the date is dropped (it is optional in GEXF)
and the creator names cryokg. The node label is the view's ``label``; attribute ids are numbered in the order
networkx meets them, which the view's sorted insertion order fixes. Edge ids are the stable UUIDs of
:func:`cryokg.release.exports.base.edge_id`. """

from __future__ import annotations

import io
import itertools
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from cryokg.release.exports.base import GENERATED_NOTE, edge_id, flatten, ordered_types, write_stream

__all__ = ["GEXFExporter", "to_gexf", "write_gexf"]

_XML_TYPES = {bool: "boolean", int: "long", float: "double", str: "string"}
"""networkx's GEXF type names (``GEXFWriter.xml_type``)."""
_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
         '<gexf xmlns="http://www.gexf.net/1.2draft" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
         'xsi:schemaLocation="http://www.gexf.net/1.2draft http://www.gexf.net/1.2draft/gexf.xsd" version="1.2">\n'
         f"  <meta>\n    <creator>cryokg</creator>\n    <description>{escape(GENERATED_NOTE)}</description>\n"
         "  </meta>\n")


def _value(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    text = str(value)
    if isinstance(value, float):
        return {"inf": "INF", "nan": "NaN", "-inf": "-INF"}.get(text, text)
    return text


def _indent(element: ET.Element, level: int) -> None:
    """networkx's ``GEXFWriter.indent`` for *element* at *level*, its own tail left unset (the caller writes it)."""
    inner = "\n" + "  " * (level + 1)
    if len(element):
        element.text = inner
        for child in element:
            _indent(child, level + 1)
            child.tail = inner
        element[-1].tail = "\n" + "  " * level


def _lines(text: str) -> str:
    """What ``"\\n".join(str(writer).splitlines())`` (networkx's ``generate_gexf``) makes of one piece of the
    document that ends with a line feed: every line break Python knows (``\\r``, U+2028 ...) becomes ``\\n``."""
    return "\n".join(text.splitlines()) + "\n"


_ATTRIBUTE = {'"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"}


def _attr(text: str) -> str:
    """An attribute value as ElementTree writes it to ASCII (networkx's ``tostring``): ``&``, ``<``, ``>``, ``"``,
    CR, LF and tab escaped, every other non-ASCII character a character reference. Nothing raw can break a line,
    so networkx's ``splitlines`` changes nothing in an element written this way."""
    return escape(text, _ATTRIBUTE).encode("ascii", "xmlcharrefreplace").decode("ascii")


def _element(tag: str, attrib: dict[str, str], values: Sequence[tuple[str, object]]) -> str:
    """A node or edge at networkx's indentation (``GEXFWriter.indent``, level 3) with its ``<attvalues>``, as one
    piece of the document ending with a line feed.

    Formatted here rather than by building ElementTree elements, which cost most of the GEXF export's time
    (``scripts/bench_build.py``, row "export: gexf", 32 s at 1 M triples); ``tests/test_property_exports.py``
    holds the bytes to networkx's own writer."""
    head = f"      <{tag} " + " ".join(f'{name}="{_attr(value)}"' for name, value in attrib.items())
    if not values:
        return head + " />\n"
    rows = "".join(f'          <attvalue for="{ident}" value="{_attr(_value(value))}" />\n' for ident, value in values)
    return head + ">\n        <attvalues>\n" + rows + "        </attvalues>\n" + f"      </{tag}>\n"


def write_gexf(graph: Any, out: BinaryIO) -> None:
    """Stream the GEXF 1.2 document of a view to *out*: the bytes networkx's ``generate_gexf`` gives for the view's
    scalar form with nodes and attributes sorted and edges ordered by (source, predicate, target), without its
    date (see the module docstring), and without building the document's tree."""
    node_types, _ = ordered_types(data for _, data in graph.nodes(data=True))
    edge_types, _ = ordered_types(data for *_, data in graph.edges(keys=True, data=True))
    node_ids: dict[str, str] = {}
    for _, data in graph.nodes(data=True):
        for key in sorted(data):
            if key != "label" and key not in node_ids:
                node_ids[key] = str(len(node_ids))
    edge_ids: dict[str, str] = {}
    edge_kinds: dict[str, type] = {}
    for *_, data in graph.edges(keys=True, data=True):
        for key in [*sorted(data), "networkx_key"]:
            if key not in edge_ids:
                edge_ids[key] = str(len(node_ids) + len(edge_ids))
                edge_kinds[key] = str if key == "networkx_key" else edge_types[key]

    def write(text: str) -> None:
        out.write(text.encode("utf-8"))

    write(_HEAD + f'  <graph defaultedgetype="directed" mode="static" name="{escape(str(graph.graph.get("name", "")))}">\n')
    for cls, ids, kinds in (("edge", edge_ids, edge_kinds), ("node", node_ids, node_types)):
        if not ids:
            continue
        attributes = ET.Element("attributes", {"mode": "static", "class": cls})
        for key, ident in ids.items():
            ET.SubElement(attributes, "attribute", {"id": ident, "title": key, "type": _XML_TYPES[kinds[key]]})
        _indent(attributes, 2)
        write(_lines("    " + ET.tostring(attributes).decode("ascii") + "\n"))
    nodes = sorted(graph.nodes(data=False))
    if nodes:
        write("    <nodes>\n")
    for node, data in ((n, graph_attributes(graph, n)) for n in nodes):
        flat = flatten(data, node_types, xml=True)
        label = str(flat.pop("label", node))
        write(_element("node", {"id": str(node), "label": label}, [(node_ids[key], flat[key]) for key in sorted(flat)]))
    write("    </nodes>\n" if nodes else "    <nodes />\n")
    # networkx's order: the edges were added sorted by (source, predicate, target), and a MultiDiGraph gives them
    # back per source, target by target (in the order each target first appeared), which is the view's own order
    edges = iter(graph.edges(keys=True, data=True))
    first = next(edges, None)
    if first is not None:
        write("    <edges>\n")
        for u, v, key, data in itertools.chain([first], edges):
            flat = {**dict(sorted(flatten(data, edge_types, xml=True).items())), "networkx_key": key}
            write(_element("edge", {"source": str(u), "target": str(v), "id": edge_id(u, key, v)},
                           [(edge_ids[k], value) for k, value in flat.items()]))
        write("    </edges>\n")
    else:
        write("    <edges />\n")
    write("  </graph>\n</gexf>\n")


def graph_attributes(graph: Any, node: str) -> dict[str, Any]:
    """The attributes of *node* in a networkx view or a GraphRecords view."""
    return graph.attributes(node) if hasattr(graph, "attributes") else graph.nodes[node]


def to_gexf(graph: Any) -> str:
    """The GEXF document of a view, as text, without a date."""
    buffer = io.BytesIO()
    write_gexf(graph, buffer)
    return buffer.getvalue().decode("utf-8")


class GEXFExporter:
    """``cryokg.gexf``: Gephi's native format."""

    name = "gexf"
    description = "GEXF 1.2 for Gephi (cryokg.gexf)"

    def write(self, graph: Any, out_dir: Path) -> list[Path]:
        return write_stream(Path(out_dir) / "cryokg.gexf", write_gexf, graph)
