"""The embedded store: what it loads, and that it answers every catalogue query as rdflib does.

Equal answers are compared by value: plain and ``xsd:string`` literals are the same (pyoxigraph types plain
strings), numbers compare numerically, blank nodes as "some blank node". Rows compare as a multiset unless the
query has ORDER BY, in which case the sequence must be equal too (catalogue queries order by every column,
so ties cannot reorder rows).
"""

from __future__ import annotations

import json
import os
import threading
import urllib.parse
from collections import Counter
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Literal, URIRef
from rdflib import namespace as rdfns

from cryokg.answer.catalogue import load_catalogue, run_named
from cryokg.answer.store import (
    OxigraphEngine,
    QuerySyntaxError,
    RdflibEngine,
    load_store,
    source_graph_iri,
    to_rdflib_dataset,
)
from cryokg.errors import BadInput
from cryokg.publish.sparql_client import EndpointEngine
from cryokg.sources.load import find_data_files, load_files

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "ontology"
CATALOGUE = load_catalogue(SOURCES / "queries")
NUMERIC = {str(rdfns.XSD[t]) for t in ("integer", "decimal", "double", "float", "int", "long", "nonNegativeInteger",
                                  "positiveInteger")}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """The store assembled from the sources (the release folder given does not exist)."""
    return load_store(release=tmp_path_factory.mktemp("no-release"), sources=SOURCES)


@pytest.fixture(scope="module")
def engines(loaded):
    return loaded.engine, RdflibEngine(to_rdflib_dataset(loaded.store))


def _value(term):
    if term is None:
        return None
    if isinstance(term, BNode):
        return ("bnode",)
    if isinstance(term, URIRef):
        return ("iri", str(term))
    assert isinstance(term, Literal)
    datatype = str(term.datatype) if term.datatype else None
    if datatype == str(rdfns.XSD.string):
        datatype = None
    if datatype in NUMERIC:
        try:
            return ("number", Decimal(str(term)).normalize())
        except InvalidOperation:
            pass
    return ("literal", str(term), (term.language or "").lower(), datatype)


def _rows(result):
    return [tuple(_value(t) for t in row) for row in result.rows]


def assert_same(a, b, *, ordered: bool) -> None:
    assert a.kind == b.kind
    assert a.variables == b.variables
    if a.kind == "ask":
        assert a.boolean == b.boolean
        return
    rows_a, rows_b = _rows(a), _rows(b)
    assert Counter(rows_a) == Counter(rows_b), (
        f"only on {a!r}: {list((Counter(rows_a) - Counter(rows_b)).elements())[:5]}; "
        f"only on the other: {list((Counter(rows_b) - Counter(rows_a)).elements())[:5]}")
    if ordered:
        assert rows_a == rows_b


def _parameter_cases() -> list[tuple[str, dict[str, str]]]:
    """Every catalogue query with its defaults, plus the parametrised ones with other values from the data."""
    graph = load_files(find_data_files(SOURCES)).graph
    notations = sorted({str(n) for n in graph.objects(None, URIRef("http://www.w3.org/2004/02/skos/core#notation"))
                        if str(n)[:1].isdigit() and "-" not in str(n)})[:6]
    cases = [(name, {}) for name in CATALOGUE]
    for name, query in CATALOGUE.items():
        for param in query.parameters:
            if param.type == "string" and param.name == "code":
                cases += [(name, {"code": n}) for n in notations]
            if param.type == "iri":
                cases += [(name, {param.name: "0442T"}), (name, {param.name: "radial nerve"})]
    return cases


@pytest.mark.parametrize(("name", "params"), _parameter_cases(),
                         ids=lambda v: v if isinstance(v, str) else ",".join(f"{k}={x}" for k, x in v.items()))
def test_catalogue_query_same_on_both_engines(engines, name, params):
    oxigraph, rdflib_engine = engines
    query = CATALOGUE[name]
    assert_same(run_named(oxigraph, query, params), run_named(rdflib_engine, query, params),
                ordered=query.ordered)


def test_default_graph_is_union_of_sources_when_no_release(tmp_path):
    graph = load_files(find_data_files(SOURCES)).graph
    loaded = load_store(release=tmp_path, sources=SOURCES)
    result = loaded.engine.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert int(result.rows[0][0]) == len(graph)
    assert "sources" in loaded.origin


def test_one_named_graph_per_source_file_holds_that_files_triples(tmp_path):
    loaded = load_store(release=tmp_path, sources=SOURCES)
    for path in find_data_files(SOURCES):
        expected = len(load_files([path]).graph)
        iri = source_graph_iri(path, SOURCES)
        result = loaded.engine.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}")
        assert int(result.rows[0][0]) == expected, path


def test_fresh_release_file_is_loaded_and_stale_one_is_not(tmp_path):
    marker = "<https://example.org/marker> <https://example.org/p> \"from the release\" .\n"
    (tmp_path / "cryokg.nt").write_text(marker, encoding="utf-8")
    ask = "ASK { <https://example.org/marker> ?p ?o }"
    assert load_store(release=tmp_path, sources=SOURCES).engine.query(ask).boolean is True
    newest = max(p.stat().st_mtime for p in find_data_files(SOURCES))
    os.utime(tmp_path / "cryokg.nt", (newest - 10, newest - 10))
    assert load_store(release=tmp_path, sources=SOURCES).engine.query(ask).boolean is False


def test_release_without_sources_folder(tmp_path):
    (tmp_path / "cryokg.nt").write_text("<https://example.org/a> <https://example.org/p> <https://example.org/b> .\n")
    loaded = load_store(release=tmp_path, sources=None)
    assert loaded.engine.query("ASK { ?s ?p ?o }").boolean
    with pytest.raises(BadInput):
        load_store(release=tmp_path / "missing", sources=None)


def test_plain_literals_compare_equal_across_engines(engines):
    oxigraph, rdflib_engine = engines
    query = 'SELECT ?x WHERE { BIND("plain" AS ?x) }'
    assert oxigraph.query(query).rows == rdflib_engine.query(query).rows == [(Literal("plain"),)]


@pytest.mark.parametrize("engine_index", [0, 1])
def test_syntax_error_has_line_and_column(engines, engine_index):
    with pytest.raises(QuerySyntaxError) as caught:
        engines[engine_index].query("SELECT ?x WHERE {\n  ?x ?y }")
    assert caught.value.line == 2
    assert caught.value.column is not None
    assert "line 2" in str(caught.value)


def test_ask_and_construct(engines):
    for engine in engines:
        assert engine.query("ASK { ?s a ?c }").boolean is True
        graph = engine.query("CONSTRUCT { ?s a ?c } WHERE { ?s a ?c } LIMIT 3")
        assert graph.kind == "graph" and len(graph.triples) == 3


class _Endpoint(BaseHTTPRequestHandler):
    """A minimal SPARQL 1.1 Protocol endpoint over a pyoxigraph store (POST form and GET)."""

    store: ox.Store

    def _answer(self, query: str) -> None:
        try:
            result = self.store.query(query)
        except SyntaxError as exc:
            self.send_response(400)
            self.end_headers()
            self.wfile.write(str(exc).encode())
            return
        body = result.serialize(format=ox.QueryResultsFormat.JSON) if not isinstance(result, ox.QueryTriples) \
            else result.serialize(format=ox.RdfFormat.N_TRIPLES)
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json" if not isinstance(
            result, ox.QueryTriples) else "application/n-triples")
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        self._answer(form["query"][0])

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture(scope="module")
def endpoint(loaded):
    handler = type("Handler", (_Endpoint,), {"store": loaded.store})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/query"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("name", ["code-attributes", "nerve-codes", "sources"])
def test_endpoint_engine_gives_the_embedded_answer(loaded, endpoint, name):
    remote = EndpointEngine(endpoint)
    query = CATALOGUE[name]
    assert_same(run_named(remote, query), run_named(loaded.engine, query), ordered=query.ordered)
    assert remote.query("ASK { ?s ?p ?o }").boolean is True


def test_endpoint_engine_reports_syntax_errors_locally(endpoint):
    with pytest.raises(QuerySyntaxError):
        EndpointEngine(endpoint).query("SELECT WHERE {")


def test_endpoint_engine_refuses_non_http_urls():
    with pytest.raises(BadInput):
        EndpointEngine("file:///etc/passwd")


def test_endpoint_unreachable_is_bad_input():
    with pytest.raises(BadInput):
        EndpointEngine("http://127.0.0.1:9/query", timeout=2).query("ASK {}")


def test_oxigraph_engine_on_an_empty_store():
    assert OxigraphEngine(ox.Store()).query("SELECT ?s WHERE { ?s ?p ?o }").rows == []


def test_json_results_round_trip(loaded):
    from cryokg.answer.result_formats import format_result

    result = run_named(loaded.engine, CATALOGUE["procedure-steps"])
    payload = json.loads(format_result(result, "json"))
    assert payload["head"]["vars"] == result.variables
    assert len(payload["results"]["bindings"]) == len(result.rows)


def test_query_command_with_endpoint(endpoint, capsys):
    from cryokg.cli import main

    assert main(["query", "related-codes", "--param", "nerve=pudendal nerve", "--endpoint", endpoint,
                 "--format", "json"]) == 0
    remote = json.loads(capsys.readouterr().out)
    assert main(["query", "related-codes", "--param", "nerve=pudendal nerve", "--format", "json"]) == 0
    local = json.loads(capsys.readouterr().out)
    assert remote["head"] == local["head"]
    assert len(remote["results"]["bindings"]) == len(local["results"]["bindings"]) > 0
    assert main(["query", "--sparql", "SELECT WHERE {", "--endpoint", endpoint]) == 2
