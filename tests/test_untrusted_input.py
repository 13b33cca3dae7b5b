"""Untrusted RDF never makes cryokg reach out, expand entities, or run out of time or memory (issue 8).

Every RDF a user or a server hands us goes through :func:`cryokg.rdf.parsing.parse_rdf`. These tests feed it,
and the commands that read files (``validate``, ``check --graph``) or answers (``query --endpoint``), hostile
documents: a JSON-LD remote ``@context`` pointing at a loopback listener that must stay silent, XXE and
"billion laughs" RDF/XML, oversized and deeply nested input. Each expects a clean refusal (exit 2, a message
naming the file), never a traceback, a hang, or a connection.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tests.listener import JSONLD_CONTEXT_REPLY, Listener

from cryokg.cli import main
from cryokg.errors import SourceError
from cryokg.rdf.parsing import MAX_JSON_DEPTH, MAX_XML_DEPTH, parse_rdf

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener(reply=JSONLD_CONTEXT_REPLY)
    try:
        yield server
    finally:
        server.close()


def test_the_listener_sees_a_connection(listener: Listener) -> None:
    """Canary: the listener does count connections, so a silent listener below means nothing connected."""
    with socket.create_connection(("127.0.0.1", listener.port), timeout=5) as conn:
        conn.sendall(b"GET / HTTP/1.0\r\n\r\n")
        conn.recv(100)
    assert listener.connections == 1


# --- JSON-LD remote contexts --------------------------------------------------------------------------------

def _remote_context_documents(url: str) -> dict[str, dict]:
    return {
        "string": {"@context": f"{url}/ctx.jsonld", "@id": "http://example.org/s", "name": "x"},
        "list": {"@context": [f"{url}/ctx.jsonld", {"ex": "http://example.org/"}], "@id": "ex:s", "ex:p": "x"},
        "import": {"@context": {"@import": f"{url}/ctx.jsonld"}, "@id": "http://example.org/s", "name": "x"},
        "nested": {"@context": {"ex": "http://example.org/"}, "@id": "ex:s",
                   "ex:p": {"@context": f"{url}/inner.jsonld", "@id": "ex:o", "name": "y"}},
    }


@pytest.mark.parametrize("form", ["string", "list", "import", "nested"])
def test_jsonld_remote_context_is_never_fetched(listener: Listener, form: str) -> None:
    doc = json.dumps(_remote_context_documents(listener.url)[form]).encode()
    with pytest.raises(SourceError, match="remote @context"):
        list(parse_rdf(doc, fmt="jsonld", name="hostile.jsonld"))
    assert listener.connections == 0, "parsing JSON-LD opened a connection to fetch a remote @context"


def test_validate_a_jsonld_file_with_a_remote_context(listener: Listener, tmp_path: Path, capsys) -> None:
    path = tmp_path / "hostile.jsonld"
    path.write_text(json.dumps(_remote_context_documents(listener.url)["string"]))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "hostile.jsonld" in err and "remote @context" in err and "Traceback" not in err
    assert listener.connections == 0


def test_check_graph_with_a_remote_context(listener: Listener, tmp_path: Path, capsys) -> None:
    path = tmp_path / "release.jsonld"
    path.write_text(json.dumps(_remote_context_documents(listener.url)["list"]))
    assert main(["check", "0440T", "--graph", str(path)]) == 2
    assert "remote @context" in capsys.readouterr().err
    assert listener.connections == 0


def test_inline_jsonld_context_still_parses() -> None:
    """The refusal is about fetching, not about JSON-LD: an inline context works."""
    doc = b'{"@context": {"ex": "http://example.org/"}, "@id": "ex:s", "ex:p": "x"}'
    [(s, p, o)] = parse_rdf(doc, fmt="jsonld")
    assert (str(s), str(p), str(o)) == ("http://example.org/s", "http://example.org/p", "x")


# --- RDF/XML entities --------------------------------------------------------------------------------------

def _rdfxml(doctype: str, value: str) -> bytes:
    return (f'<?xml version="1.0"?>\n{doctype}\n<rdf:RDF xmlns:rdf="{RDF_NS}" xmlns:ex="http://example.org/">\n'
            f'<rdf:Description rdf:about="http://example.org/s"><ex:p>{value}</ex:p></rdf:Description>\n'
            "</rdf:RDF>\n").encode()


def _billion_laughs(levels: int) -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels + 1)]
    return _rdfxml("<!DOCTYPE rdf:RDF [\n" + "\n".join(entities) + "\n]>", f"&lol{levels};")


def test_external_entity_is_not_read(tmp_path: Path, listener: Listener, capsys) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER")
    for n, target in enumerate((secret.as_uri(), f"{listener.url}/xxe")):
        path = tmp_path / f"xxe{n}.rdf"
        path.write_bytes(_rdfxml(f'<!DOCTYPE rdf:RDF [ <!ENTITY xxe SYSTEM "{target}"> ]>', "&xxe;"))
        assert main(["validate", str(path)]) == 2
        captured = capsys.readouterr()
        assert "DOCTYPE" in captured.err and f"xxe{n}.rdf:2:" in captured.err
        assert "TOP-SECRET-MARKER" not in captured.out + captured.err
    assert listener.connections == 0


def test_billion_laughs_is_refused_before_expansion(tmp_path: Path, capsys) -> None:
    # 6 levels would expand to 3 MB; the refusal comes at the DOCTYPE, before any entity is declared.
    with pytest.raises(SourceError, match="DOCTYPE"):
        list(parse_rdf(_billion_laughs(6), fmt="rdfxml", name="lol.rdf"))
    path = tmp_path / "lol.rdf"
    path.write_bytes(_billion_laughs(9))
    assert main(["validate", str(path)]) == 2
    assert "DOCTYPE" in capsys.readouterr().err


def test_plain_rdfxml_still_parses() -> None:
    [(s, _p, o)] = parse_rdf(_rdfxml("", "x"), fmt="rdfxml")
    assert (str(s), str(o)) == ("http://example.org/s", "x")


# --- size and nesting --------------------------------------------------------------------------------------

def test_oversized_input_is_refused(tmp_path: Path, capsys) -> None:
    triple = b'<http://example.org/s> <http://example.org/p> "x" .\n'
    with pytest.raises(SourceError, match="over the limit"):
        list(parse_rdf(triple * 100, fmt="ntriples", max_bytes=len(triple) * 99))
    from cryokg.rdf.parsing import MAX_BYTES

    path = tmp_path / "huge.ttl"
    with path.open("wb") as handle:
        handle.write(b'<http://example.org/s> <http://example.org/p> "')
        handle.write(b"x" * (MAX_BYTES + 1))
        handle.write(b'" .\n')
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "huge.ttl" in err and "over the limit" in err


def _deep_jsonld(depth: int) -> bytes:
    return b'{"@id": "http://example.org/s", "http://example.org/p": ' + b"[" * depth + b"]" * depth + b"}"


def _deep_rdfxml(depth: int) -> bytes:
    return (f'<rdf:RDF xmlns:rdf="{RDF_NS}" xmlns:ex="http://example.org/">'.encode()
            + b"<rdf:Description><ex:p>" * depth + b"<rdf:Description/>" + b"</ex:p></rdf:Description>" * depth
            + b"</rdf:RDF>")


@pytest.mark.parametrize(("fmt", "suffix", "make", "limit"), [
    ("jsonld", ".jsonld", _deep_jsonld, MAX_JSON_DEPTH),
    ("rdfxml", ".rdf", _deep_rdfxml, MAX_XML_DEPTH),
])
def test_deep_nesting_is_refused(tmp_path: Path, capsys, fmt: str, suffix: str, make, limit: int) -> None:
    list(parse_rdf(make(limit // 2 - 2), fmt=fmt))  # within the limit: parses
    with pytest.raises(SourceError, match="nested deeper"):
        list(parse_rdf(make(100_000), fmt=fmt))
    path = tmp_path / f"deep{suffix}"
    path.write_bytes(make(100_000))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"deep{suffix}" in err and "nested deeper" in err


def test_deep_turtle_parses_without_recursion() -> None:
    """Turtle's parser is not recursive: 50 000 nested blank nodes parse (linear time), no RecursionError."""
    depth = 50_000
    data = (b"<http://example.org/s> <http://example.org/p> " + b"[ <http://example.org/p> " * depth + b"1 "
            + b"] " * depth + b".")
    assert sum(1 for _ in parse_rdf(data, fmt="turtle")) == depth + 1


# --- answers of a remote SPARQL endpoint (cryokg query --endpoint) -----------------------------------------

class _Hostile(BaseHTTPRequestHandler):
    answer: tuple[str, bytes] = ("text/plain", b"")

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        media_type, body = self.server.answer  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def hostile_endpoint() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(("media_type", "body"), [
    ("application/sparql-results+json", b"[" * 200_000 + b"]" * 200_000),
    ("application/sparql-results+json", b'{"head": {}, "results": 5}'),
    ("application/sparql-results+json", b"not json"),
    ("application/n-triples", b"<http://example.org/s> <http://example.org/p> ."),
    ("text/turtle", b"@prefix : <http://e/> . :s :p " + b"( " * 1000),
], ids=["deep-json", "wrong-shape", "not-json", "bad-ntriples", "bad-turtle"])
def test_hostile_endpoint_answers_are_clean_errors(hostile_endpoint, capsys, media_type: str, body: bytes) -> None:
    hostile_endpoint.answer = (media_type, body)
    url = f"http://127.0.0.1:{hostile_endpoint.server_address[1]}/sparql"
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }" if "json" not in media_type else "SELECT * WHERE { ?s ?p ?o }"
    assert main(["query", "--sparql", query, "--endpoint", url]) == 2
    err = capsys.readouterr().err
    assert "error" in err and "Traceback" not in err


def test_oversized_endpoint_answer_is_refused(hostile_endpoint, capsys, monkeypatch) -> None:
    monkeypatch.setattr("cryokg.publish.sparql_client.MAX_BYTES", 1000)
    hostile_endpoint.answer = ("application/n-triples", b'<http://e/s> <http://e/p> "x" .\n' * 100)
    url = f"http://127.0.0.1:{hostile_endpoint.server_address[1]}/sparql"
    assert main(["query", "--sparql", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "--endpoint", url]) == 2
    assert "more than 1000 bytes" in capsys.readouterr().err
