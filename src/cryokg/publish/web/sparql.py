"""The SPARQL 1.1 Protocol endpoint (https://www.w3.org/TR/sparql11-protocol/) and its service description.

Query operation, all three ways (§2.1.1–2.1.3): ``GET /sparql?query=``, ``POST`` form-encoded ``query=``,
``POST`` with ``Content-Type: application/sparql-query``. Result formats come from the one media table
(:mod:`cryokg.publish.web.negotiation`): JSON, XML, CSV, TSV for solutions and booleans; Turtle, N-Triples, JSON-LD,
RDF/XML for CONSTRUCT and DESCRIBE; HTML for browsers. ``?format=`` overrides Accept.

Refused with 400 and a plain message: the update operation (§2.2), ``default-graph-uri`` /
``named-graph-uri`` (the dataset is fixed), anything :func:`cryokg.publish.web.security.check_query` refuses, and
malformed queries (the parser's message). 415 for other request bodies, 406 when no acceptable format can
express the result, 504 when the query outlives the time limit, 503 when every worker is busy.

``GET /sparql`` without a query answers the SPARQL 1.1 Service Description
(https://www.w3.org/TR/sparql11-service-description/) to RDF clients and the query page to browsers.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, XSD

from cryokg.namespaces import VOID
from cryokg.publish.web.negotiation import ASK, GRAPH, SELECT, MediaType, by_key, negotiate

__all__ = ["SD", "ProtocolError", "SparqlRequest", "parse_sparql_request", "query_form", "service_description"]

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
FORMATS_NS = Namespace("http://www.w3.org/ns/formats/")
FORM_TYPE = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"


class ProtocolError(Exception):
    """A request the endpoint answers with an error status and a plain message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class SparqlRequest:
    """What a protocol request asks for: the query text (None: no query given) and the format override."""

    query: str | None
    format: str | None = None


def _single(values: dict[str, list[str]], name: str) -> str | None:
    found = values.get(name, [])
    if len(found) > 1:
        raise ProtocolError(400, f"give the '{name}' parameter once, not {len(found)} times")
    return found[0] if found else None


def _refuse_dataset_and_update(values: dict[str, list[str]]) -> None:
    if "update" in values:
        raise ProtocolError(400, "SPARQL Update is not accepted: this endpoint is read-only")
    for name in ("default-graph-uri", "named-graph-uri", "using-graph-uri", "using-named-graph-uri"):
        if name in values:
            raise ProtocolError(400, f"'{name}' is not accepted: the dataset of this endpoint is fixed")


def parse_sparql_request(method: str, query_string: str, content_type: str | None, body: bytes) -> SparqlRequest:
    """Read a protocol request; raise :class:`ProtocolError` for what the protocol or our policy refuses."""
    params = urllib.parse.parse_qs(query_string, keep_blank_values=True)
    _refuse_dataset_and_update(params)
    fmt = _single(params, "format")
    if method in ("GET", "HEAD"):
        return SparqlRequest(_single(params, "query"), fmt)
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media == FORM_TYPE:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError(400, "the form body is not UTF-8") from None
        form = urllib.parse.parse_qs(text, keep_blank_values=True)
        _refuse_dataset_and_update(form)
        query = _single(form, "query")
        if query is None:
            raise ProtocolError(400, "the form has no 'query' field")
        return SparqlRequest(query, _single(form, "format") or fmt)
    if media == QUERY_TYPE:
        try:
            return SparqlRequest(body.decode("utf-8"), fmt)
        except UnicodeDecodeError:
            raise ProtocolError(400, "the query is not UTF-8") from None
    if media == UPDATE_TYPE:
        raise ProtocolError(400, "SPARQL Update is not accepted: this endpoint is read-only")
    raise ProtocolError(415, f"POST a query as {FORM_TYPE} or {QUERY_TYPE}, not {media or 'an untyped body'}")


_FORM_WORDS = re.compile(r"""('''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|<[^<>\s]*>|\#[^\n]*|[?$]\w+)"""
                         r"|(?<![\w:])(select|construct|describe|ask)(?![\w:-])", re.IGNORECASE | re.DOTALL)


def query_form(text: str) -> str:
    """``select``, ``ask`` or ``graph`` (CONSTRUCT/DESCRIBE): the first query-form keyword outside strings.

    A text without any (malformed) counts as ``select``; the parser will say what is wrong with it.
    """
    for match in _FORM_WORDS.finditer(text):
        word = match.group(2)
        if word:
            word = word.lower()
            return ASK if word == "ask" else SELECT if word == "select" else GRAPH
    return SELECT


def choose_format(accept: str | None, override: str | None, kind: str) -> MediaType:
    """The result format: ``?format=`` if given (400 if unknown for this kind), else Accept (406 if none)."""
    if override:
        row = by_key(override, kind)
        if row is None:
            raise ProtocolError(400, f"format '{override[:40]}' cannot express a {kind} result")
        return row
    row = negotiate(accept, kind)
    if row is None:
        raise ProtocolError(406, f"none of the accepted media types can express a {kind} result")
    return row


def service_description(endpoint: str, *, triples: int, named_graphs: list[str]) -> Graph:
    """The SPARQL 1.1 Service Description of this endpoint (IRIs, no blank nodes, so it serialises stably)."""
    graph = Graph()
    service = URIRef(endpoint)
    dataset = URIRef(endpoint + "#dataset")
    default = URIRef(endpoint + "#default-graph")
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, service))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    for name in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                 "Turtle", "N-Triples", "JSON-LD", "RDF_XML"):
        graph.add((service, SD.resultFormat, FORMATS_NS[name]))
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    graph.add((default, VOID.triples, Literal(triples, datatype=XSD.integer)))
    for index, name in enumerate(sorted(named_graphs)):
        node = URIRef(f"{endpoint}#named-graph-{index + 1}")
        graph.add((dataset, SD.namedGraph, node))
        graph.add((node, RDF.type, SD.NamedGraph))
        graph.add((node, SD.name, URIRef(name)))
    return graph
