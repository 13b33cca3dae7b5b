"""Write a :class:`~cryokg.answer.store.QueryResult` as an aligned table (people) or in a W3C results format (programs).

* ``json``: SPARQL 1.1 Query Results JSON Format (https://www.w3.org/TR/sparql11-results-json/);
* ``csv`` and ``tsv``: SPARQL 1.1 Query Results CSV and TSV Formats (https://www.w3.org/TR/sparql11-results-csv-tsv/):
  CSV gives plain values (IRIs without brackets, literals without quotes, CRLF line ends); TSV gives terms in
  Turtle syntax, so types and language tags survive;
* ``table``: one aligned column per variable, IRIs shortened to CURIEs, long values cut at :data:`CELL_WIDTH`.

CONSTRUCT and DESCRIBE results are written as N-Triples (JSON-LD with ``json``); ASK results as ``true``/``false``.
"""

from __future__ import annotations

import csv
import io
import json

from rdflib import BNode, Graph, Literal, URIRef

from cryokg.answer.store import QueryResult
from cryokg.namespaces import PREFIXES, curie

__all__ = ["CELL_WIDTH", "FORMATS", "format_result", "show_term"]

FORMATS = ("table", "json", "csv", "tsv")
CELL_WIDTH = 80


def show_term(term: object, *, prefixes: dict[str, str] = PREFIXES) -> str:
    """A term as a person reads it: CURIE for IRIs, the text of literals, ``_:id`` for blank nodes."""
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return curie(str(term), prefixes)
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def _json_term(term: object) -> dict:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    assert isinstance(term, Literal)
    value: dict = {"type": "literal", "value": str(term)}
    if term.language:
        value["xml:lang"] = term.language
    elif term.datatype is not None:
        value["datatype"] = str(term.datatype)
    return value


def _to_json(result: QueryResult) -> str:
    if result.kind == "ask":
        return json.dumps({"head": {}, "boolean": bool(result.boolean)}, indent=2)
    bindings = [{v: _json_term(t) for v, t in zip(result.variables, row, strict=True) if t is not None}
                for row in result.rows]
    return json.dumps({"head": {"vars": result.variables}, "results": {"bindings": bindings}}, indent=2,
                      ensure_ascii=False)


def _csv_value(term: object) -> str:
    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def _tsv_value(term: object) -> str:
    if term is None:
        return ""
    text = term.n3() if hasattr(term, "n3") else str(term)
    return text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _table(result: QueryResult) -> str:
    if not result.variables:
        return "(no variables)\n"
    cells = [[_cut(show_term(t)) for t in row] for row in result.rows]
    widths = [max([len(v)] + [len(r[i]) for r in cells]) for i, v in enumerate(result.variables)]
    lines = ["  ".join(v.ljust(w) for v, w in zip(result.variables, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    count = len(result.rows)
    lines.append(f"({count} row{'s' if count != 1 else ''})")
    return "\n".join(lines) + "\n"


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= CELL_WIDTH else text[:CELL_WIDTH - 1] + "…"


def format_result(result: QueryResult, fmt: str = "table") -> str:
    """The text to print for *result* in format *fmt* (one of :data:`FORMATS`)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    if result.kind == "graph":
        graph = Graph()
        for triple in result.triples:
            graph.add(triple)
        return graph.serialize(format="json-ld" if fmt == "json" else "nt")
    if fmt == "json":
        return _to_json(result) + "\n"
    if result.kind == "ask":
        return ("true" if result.boolean else "false") + "\n"
    if fmt == "table":
        return _table(result)
    out = io.StringIO()
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(result.variables)
        writer.writerows([_csv_value(t) for t in row] for row in result.rows)
        return out.getvalue()
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    lines += ["\t".join(_tsv_value(t) for t in row) for row in result.rows]
    return "\n".join(lines) + "\n"
