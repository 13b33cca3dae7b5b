"""Security of the public endpoint: no outbound fetch, read-only, time and row limits, body limit, CORS,
no stack traces, and no 500 for any of 10 000 random requests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from tests.listener import Listener

from cryokg.publish.web.security import Refused, check_query

JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener(path="/sparql")
    yield server
    server.close()


def test_control_pyoxigraph_itself_would_connect(listener: Listener) -> None:
    """Without our check, pyoxigraph evaluates SERVICE by connecting: the listener sees it (the test is real)."""
    with pytest.raises(OSError):
        list(ox.Store().query(f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"))
    assert listener.connections == 1


def federated_queries(url: str) -> list[str]:
    host = url.rsplit("/", 1)[0] + "/"
    escaped = "".join(f"\\u{ord(c):04X}" for c in "SERVICE")
    return [
        f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"select * where {{ service silent <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ ?a ?b ?c OPTIONAL {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} LIMIT 1",
        f"SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} }}",
        f"PREFIX remote: <{host}>\nSELECT * WHERE {{ SERVICE remote:sparql {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ BIND(<{url}> AS ?u) SERVICE ?u {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ {escaped} <{url}> {{ ?s ?p ?o }} }}",
        f"ASK {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f"# comment\nSELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }} # SERVICE in a comment too",
    ]


def test_service_and_from_never_connect(client, listener: Listener) -> None:
    for query in federated_queries(listener.url):
        for send in (lambda q: client.get("/sparql", params={"query": q}, headers=JSON),
                     lambda q: client.post("/sparql", data={"query": q}, headers=JSON),
                     lambda q: client.post("/sparql", content=q.encode(),
                                           headers={**JSON, "Content-Type": "application/sparql-query"})):
            response = send(query)
            assert response.status_code == 400, (query, response.text)
            assert "not allowed" in response.text
    assert listener.connections == 0


def test_load_and_updates_are_refused(client, listener: Listener) -> None:
    load = f"LOAD <{listener.url}>"
    insert = "INSERT DATA { <http://example.org/s> <http://example.org/p> <http://example.org/o> }"
    attempts = [
        client.post("/sparql", data={"update": load}),
        client.post("/sparql", content=load.encode(), headers={"Content-Type": "application/sparql-update"}),
        client.get("/sparql", params={"query": load}, headers=JSON),
        client.post("/sparql", data={"update": insert}),
        client.get("/sparql", params={"query": insert}, headers=JSON),
        client.get("/sparql", params={"query": "DROP ALL"}, headers=JSON),
        client.get("/sparql", params={"query": "CLEAR DEFAULT"}, headers=JSON),
    ]
    for response in attempts:
        assert response.status_code == 400, response.text
        assert "read-only" in response.text or "not allowed" in response.text
    assert listener.connections == 0
    still = client.get("/sparql", params={"query": "ASK { <http://example.org/s> ?p ?o }"}, headers=JSON)
    assert still.json()["boolean"] is False


@pytest.mark.parametrize("text", [
    "SELECT ?service ?from WHERE { ?service <http://example.org/from> ?from }",  # variables named like keywords
    'SELECT * WHERE { ?s ?p "SERVICE <http://x/> FROM LOAD" }',  # keywords inside a string
    "PREFIX service: <http://example.org/>\nSELECT * WHERE { ?s service:from ?o }",  # prefixed names
    "SELECT * WHERE { ?s <http://example.org/SERVICE> ?o }",  # inside an IRI
])
def test_keywords_in_names_and_strings_are_not_refused(text: str) -> None:
    check_query(text)


@pytest.mark.slow  # waits out the query time limit
def test_pathological_query_is_stopped_and_its_worker_killed(client) -> None:
    pool = client.app.state.pool
    before = set(pool.pids())
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    response = client.get("/sparql", params={"query": slow}, headers=JSON)
    assert response.status_code == 504
    assert "stopped" in response.text
    gone = before - set(pool.pids())
    assert len(gone) == 1, "the worker that ran the query must be replaced"
    with pytest.raises(ProcessLookupError):
        os.kill(gone.pop(), 0)  # the process is dead (and reaped), not left spinning
    ok = client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}, headers=JSON)
    assert ok.status_code == 200


def test_row_cap(client, release_graph) -> None:
    cap = client.app.state.settings.max_rows
    assert len(release_graph) > cap, "the test needs a release bigger than the test client's row cap"
    response = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"}, headers=JSON)
    assert response.status_code == 400
    assert "LIMIT" in response.text
    limited = client.get("/sparql", params={"query": f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {cap}"}, headers=JSON)
    assert limited.status_code == 200 and len(limited.json()["results"]["bindings"]) == cap


def test_oversized_body_is_413(client) -> None:
    limit = client.app.state.settings.max_body
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * limit
    declared = client.post("/sparql", content=big.encode(), headers={"Content-Type": "application/sparql-query"})
    assert declared.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit still holds while streaming
        for _ in range(limit // 1000 + 2):
            yield b"x" * 1000

    streamed = client.post("/sparql", content=chunks(), headers={"Content-Type": "application/sparql-query"})
    assert streamed.status_code == 413


def test_cors_for_get_only(client) -> None:
    origin = {"Origin": "https://example.org"}
    same_origin = client.get("/id/code/0440T", headers={"Accept": "text/turtle"})  # now in the response cache
    assert "access-control-allow-origin" not in same_origin.headers
    get = client.get("/id/code/0440T", headers={**origin, "Accept": "text/turtle"})
    assert get.headers.get("access-control-allow-origin") == "*", "a cached response still gets its CORS header"
    first_cross = client.get("/id/code/0441T", headers={**origin, "Accept": "text/turtle"})  # cached with Origin
    assert first_cross.headers.get("access-control-allow-origin") == "*"
    plain = client.get("/id/code/0441T", headers={"Accept": "text/turtle"})
    assert "access-control-allow-origin" not in plain.headers, "an answer cached for an Origin is not reused"
    assert [v.strip() for v in plain.headers["vary"].split(",")] == ["Accept", "Origin"]
    post = client.post("/sparql", data={"query": "ASK {}"}, headers={**origin, **JSON})
    assert "access-control-allow-origin" not in post.headers
    preflight_get = client.options("/sparql", headers={**origin, "Access-Control-Request-Method": "GET"})
    assert preflight_get.status_code == 200 and preflight_get.headers.get("access-control-allow-origin") == "*"
    assert preflight_get.headers.get("access-control-allow-methods") == "GET, HEAD"
    # a browser sends the POST only if the preflight succeeds and lists POST: here it does neither
    preflight_post = client.options("/sparql", headers={**origin, "Access-Control-Request-Method": "POST"})
    assert preflight_post.status_code >= 400
    assert "POST" not in preflight_post.headers.get("access-control-allow-methods", "")


def test_internal_errors_show_no_stack_trace(client, monkeypatch) -> None:
    from starlette.testclient import TestClient

    from cryokg.publish.web import render

    def broken(self, text):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(render.Renderer, "search", broken)
    quiet = TestClient(client.app, raise_server_exceptions=False)
    response = quiet.get("/search", params={"q": "nerve"})
    assert response.status_code == 500
    assert "secret" not in response.text and "Traceback" not in response.text


def test_check_query_refuses_update_by_parse_tree() -> None:
    with pytest.raises(Refused, match="read-only"):
        check_query("DELETE WHERE { ?s ?p ?o }")


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "SELECT * FROM <http://127.0.0.1:9/> WHERE { ?s ?p ?o }",
    "SELECT * FROM NAMED <http://127.0.0.1:9/> WHERE { GRAPH ?g { ?s ?p ?o } }",
    "LOAD <http://127.0.0.1:9/>",
])
def test_parse_tree_layer_refuses_on_its_own(query: str) -> None:
    """The second layer (rdflib's parse tree, run in the worker) refuses without help from the lexer."""
    from cryokg.publish.web.security import parse_tree_check

    with pytest.raises(Refused):
        parse_tree_check(query)


def test_lexer_is_linear_on_unterminated_strings() -> None:
    """Hostile text (thousands of unterminated quotes) is scanned in one pass; a regex would go quadratic."""
    from cryokg.rdf.sparql_text import keywords as _keywords

    assert _keywords("SELECT ?x WHERE { ?x ?p " + '"' + "x" * 200_000 + " }") == ["select", "where"]
    assert set(_keywords("SELECT " + "'a" * 50_000)) == {"select", "a"}
    assert _keywords("ASK { ?s ?p 'x\\' SERVICE' } SERVICE") == ["ask", "service"]


def test_catalogue_queries_are_plain() -> None:
    """Typical queries (the catalogue) skip the slow parse: the lexer classifies every token."""
    from cryokg.answer.catalogue import QUERIES_DIR, load_catalogue
    from cryokg.publish.web.security import is_plain

    catalogue = load_catalogue(QUERIES_DIR)
    assert catalogue
    assert [name for name, q in catalogue.items() if not is_plain(q.text)] == []


@pytest.mark.parametrize("text", [
    "PREFIX : <http://127.0.0.1:9/>\nSELECT * WHERE { SERVICE:x { ?s ?p ?o } }",  # keyword glued to a name
    "SELECT * FROM:g WHERE { ?s ?p ?o }",
    'PREFIX ex: <http://a/>\nPREFIX : <http://127.0.0.1:9/>\nSELECT * WHERE { ?s ex:p"x".SERVICE:y { ?s ?p ?o } }',
    "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "PREFIX service: <http://example.org/>\nSELECT * WHERE { ?s service:from ?o }",
    "SELECT * WHERE { ?s ?p ?o } LIMIT 1e5",  # an unknown word
    "SELECT * WHERE { ?s ?p ?é }",  # non-ASCII outside a string
    "SELECT * WHERE { ?s ?p ?o \u00a0}",  # whitespace SPARQL does not know
    "PREFIX a: <http://x/>",  # no query form: parses as an (empty) update
    "# only a comment",
    "SELECT * WHERE { ?s ?p 'unterminated }",
    "SELECT * WHERE { ?s <http://x/?a> ?o }",  # an IRI with characters an expression could use
])
def test_not_plain_texts_get_the_parse(text: str) -> None:
    from cryokg.publish.web.security import is_plain

    assert not is_plain(text)


def test_a_keyword_the_lexer_misses_is_refused_by_the_parse(client, listener: Listener) -> None:
    """``SERVICE:x`` is one prefixed name to the lexer and SERVICE plus ``:x`` to pyoxigraph (which would
    connect): the text is not plain, so the worker's parse refuses it."""
    query = f"PREFIX : <{listener.url}/>\nSELECT * WHERE {{ SERVICE:x {{ ?s ?p ?o }} }}"
    from cryokg.publish.web.security import lexer_check, parse_tree_check

    lexer_check(query)  # the lexer alone lets it through...
    with pytest.raises(Refused):
        parse_tree_check(query)  # ...the parse does not
    response = client.get("/sparql", params={"query": query}, headers=JSON)
    assert response.status_code == 400 and "not allowed" in response.text
    assert listener.connections == 0


PIECES = ["SELECT", "ASK", "CONSTRUCT", "WHERE", "{", "}", "?s", "?p", "?o", "*", ".", "(", ")", "<http://x/>",
          "SERVICE", "service", "FROM", "NAMED", "LOAD", "INSERT", "DATA", "FILTER", "LIMIT 5", "OPTIONAL", "UNION",
          '"x"', "'", "\\u0053", "#", "\n", "GRAPH", "PREFIX a: <http://x/>", "PREFIX : <http://x/>", "a:b", ":x",
          "SERVICE:x", "FROM:g", "ex:p", "BIND", "AS", "<", ">", "1", "@en", "^^", "/", "|", "^", "?", "ex:a/ex:b*",
          "&&", "!", "=", "SILENT", "_:b", "$v", ",", ";", "a", "DISTINCT", "STR", "MINUS", "<?b>", "DELETE", ""]


def test_plain_texts_need_no_parse() -> None:
    """Differential check: for a random plain text the lexer lets through, the parse refuses nothing either."""
    import random

    from cryokg.publish.web.security import _rdflib_check, is_plain, lexer_check

    rng = random.Random(20261127)
    checked = 0
    for _ in range(3000):
        text = "".join(rng.choice(PIECES) + rng.choice(["", " ", " ", "\n"]) for _ in range(rng.randint(1, 14)))
        if not is_plain(text):
            continue
        try:
            lexer_check(text)
        except Refused:
            continue
        checked += 1
        try:
            _rdflib_check(text)
        except Refused as exc:  # the tree refusing what the lexer passed would be a hole; "cannot parse" is not
            assert "could not be checked" in str(exc), (text, str(exc))
    assert checked > 50
