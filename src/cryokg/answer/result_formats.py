"""Write a :class:`~cryokg.answer.store.QueryResult` as an aligned table (people) or in a W3C results format (programs).

* ``json``: SPARQL 1.1 Query Results JSON Format (https://www.w3.org/TR/sparql11-results-json/);
* ``csv`` and ``tsv``: SPARQL 1.1 Query Results CSV and TSV Formats (https://www.w3.org/TR/sparql11-results-csv-tsv/),
  written by pyoxigraph from the JSON document: CSV gives plain values (IRIs without brackets, literals without
  quotes, CRLF line ends); TSV gives terms in Turtle syntax, so types and language tags survive;
* ``table``: one aligned column per variable, IRIs shortened to CURIEs, long values cut at :data:`CELL_WIDTH`.

CONSTRUCT and DESCRIBE results are written as N-Triples (JSON-LD with ``json``); ASK results as ``true``/``false``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef

from cryokg.answer.store import QueryResult
from cryokg.namespaces import PREFIXES, curie

__all__ = ["CELL_WIDTH", "FORMATS", "RESULTS_FORMATS", "format_result", "json_term", "results_as", "results_document",
           "show_term"]

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


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def json_term(term: URIRef | BNode | Literal | ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> dict[str, Any]:
    """One RDF term (rdflib's or pyoxigraph's) in the SPARQL 1.1 Query Results JSON Format: the one writer of
    that format's terms, for ``cryokg query`` and the endpoint's workers (``xsd:string`` is left implicit, as
    RDF 1.1 makes a simple literal one; a triple term is written as SPARQL 1.2's ``triple``)."""
    if isinstance(term, URIRef | ox.NamedNode):
        return {"type": "uri", "value": str(term) if isinstance(term, URIRef) else term.value}
    if isinstance(term, BNode | ox.BlankNode):
        return {"type": "bnode", "value": str(term) if isinstance(term, BNode) else term.value}
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": {"subject": json_term(term.subject), "predicate": json_term(term.predicate),
                                            "object": json_term(term.object)}}
    if isinstance(term, Literal):
        language, datatype = term.language, str(term.datatype) if term.datatype is not None else None
    else:
        language, datatype = term.language, term.datatype.value
    value: dict[str, Any] = {"type": "literal", "value": str(term) if isinstance(term, Literal) else term.value}
    if language:
        value["xml:lang"] = language
    elif datatype not in (None, _XSD_STRING):
        value["datatype"] = datatype
    return value


def results_document(variables: list[str], rows: Iterable[Sequence[Any]]) -> dict[str, Any]:
    """A SELECT result in the SPARQL 1.1 Query Results JSON Format (unbound cells left out)."""
    return {"head": {"vars": variables},
            "results": {"bindings": [{v: json_term(t) for v, t in zip(variables, row, strict=True) if t is not None}
                                     for row in rows]}}


RESULTS_FORMATS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
                   "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}
"""The W3C results formats (https://www.w3.org/TR/sparql11-results-csv-tsv/ and the JSON and XML ones), written
by pyoxigraph."""


def results_as(document: bytes, fmt: str) -> bytes:
    """A results document in the JSON format, written again in *fmt* (a key of :data:`RESULTS_FORMATS`) by
    pyoxigraph's serialisers (CSV: plain values, CRLF; TSV: terms in Turtle syntax)."""
    parsed = ox.parse_query_results(document, format=ox.QueryResultsFormat.JSON)
    return parsed.serialize(format=RESULTS_FORMATS[fmt]) or b""


def _to_json(result: QueryResult) -> str:
    if result.kind == "ask":
        return json.dumps({"head": {}, "boolean": bool(result.boolean)}, indent=2)
    return json.dumps(results_document(result.variables, result.rows), indent=2, ensure_ascii=False)


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
    document = json.dumps(results_document(result.variables, result.rows), ensure_ascii=False).encode("utf-8")
    return results_as(document, fmt).decode("utf-8")
