"""10 000 random requests (methods, paths, query strings, Accept headers, SPARQL-ish text, bodies) never
produce a 500, never hang past the query time limit, and never make the server connect anywhere.

Uses hypothesis when it is installed (shrinks a failure to a small example), else a seeded random generator
with the same alphabet, so the test runs either way. SPARQL text names a loopback listener (in SERVICE,
FROM, LOAD, as plain IRIs) that must receive no connection during the whole run.
"""

from __future__ import annotations

import json
import random
import time
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.listener import Listener

pytestmark = pytest.mark.slow

EXAMPLES = 10_000
HYPOTHESIS_EXAMPLES = 1_000  # hypothesis adds ~15 ms of generation per example; the seeded run covers 10 000
PATHS = ["/", "/search", "/search/suggestions", "/browse/", "/browse", "/static/cryokg.js", "/suggest", "/sparql",
         "/.well-known/void", "/id/code/0440T", "/id/dataset/cryokg", "/def/Nerve", "/def", "/release/void.ttl",
         "/id/", "/static/cryokg.css", "/id/code/0440T.ttl",
         "/fhir/metadata", "/fhir/CodeSystem/$lookup", "/fhir/ValueSet/$expand", "/fhir/ValueSet/structures/$expand",
         "/fhir/ConceptMap/$translate", "/fhir/ValueSet/$validate-code", "/fhir/CodeSystem", "/fhir/ValueSet/cryokg"]
PARAMS = ["q", "type", "site", "technique", "approach", "query", "format", "default-graph-uri", "update",
          "system", "code", "url", "filter", "count", "offset", "reverse", "display", "_format"]
ACCEPT_PIECES = ["text/html", "text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml",
                 "application/sparql-results+json", "text/csv", "*/*", "text/*", "image/png", ";q=0", ";q=0.5",
                 ";q=1.0", ";q=2", ";q=-1", ";q=abc", ",", ";", "=", '"', ";profile=\"x,y\"", " ", "\t", "é"]
SPARQL_PIECES = ["SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "{", "}", "?s", "?p", "?o", "*", ".", "(", ")",
                 "<LISTENER>", "SERVICE <LISTENER>", "SERVICE", "FROM", "LOAD", "INSERT", "FILTER", "REGEX(?o, \"(a*)*b\")",
                 "LIMIT 5", "OPTIONAL", "UNION", "\"x\"", "'", "\\u0053", "#", "\n", "GRAPH", "VALUES", "COUNT(*)",
                 "PREFIX a: <http://x/>", "a:b", "BIND", "AS", "GROUP BY", "ORDER BY", "1e999", "@en", "^^", "\x00"]
METHODS = ["GET", "GET", "GET", "POST", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"]
CONTENT_TYPES = ["application/x-www-form-urlencoded", "application/sparql-query", "application/sparql-update",
                 "text/plain", "", "multipart/form-data", "application/ld+json", "text/turtle",
                 "application/x-www-form-urlencoded; charset=latin-1", "multipart/form-data; boundary=x",
                 "application/fhir+json"]
BODY_KINDS = ["form", "form", "sparql", "bytes", "empty", "oversized", "fhir"]
QUERY_TIMEOUT = 3.0  # the client fixture's query time limit
HANG = QUERY_TIMEOUT + 10.0  # a request slower than this is a hang, not a slow answer


def _body(kind: str, query: str, sparql: str, noise: bytes) -> bytes:
    if kind == "fhir":  # a FHIR Parameters resource holding the request's parameters
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        return json.dumps({"resourceType": "Parameters",
                           "parameter": [{"name": n, "valueString": v} for n, v in pairs]}).encode()
    return {"form": query.encode("utf-8", "replace"), "sparql": sparql.encode("utf-8", "replace"),
            "bytes": noise, "empty": b"", "oversized": b"query=" + b"x" * 150_000}[kind]


def _request(method: str, path: str, params: list[tuple[str, str]], accept: str, content_type: str,
             body_kind: str = "form", sparql: str = "", noise: bytes = b"") -> tuple:
    query = urllib.parse.urlencode(params)
    path = "/" + urllib.parse.quote(path.lstrip("/"), safe="/%")  # a leading "//" would name a host
    in_url = method != "POST" or body_kind != "form"
    url = path + ("?" + query if query and in_url else "")
    headers = {"Accept": accept.replace("\r", " ").replace("\n", " ").encode("utf-8")}
    body = b""
    if method in ("POST", "PUT", "PATCH", "DELETE"):
        body = _body(body_kind, query, sparql, noise)
        if content_type:
            headers["Content-Type"] = content_type
    return method, url, headers, body


def _check(client, request: tuple, listener: Listener | None = None) -> float:
    method, url, headers, body = request
    if listener is not None:  # point the SPARQL text's outbound IRIs at the listener
        target = urllib.parse.quote(listener.url, safe="")
        url = url.replace("%3CLISTENER%3E", f"%3C{target}%3E")
        body = body.replace(b"<LISTENER>", f"<{listener.url}>".encode()).replace(b"%3CLISTENER%3E",
                                                                                   f"%3C{target}%3E".encode())
    start = time.perf_counter()
    response = client.request(method, url, headers=headers, content=body or None)
    elapsed = time.perf_counter() - start
    assert response.status_code < 500 or response.status_code in (503, 504), (request, response.status_code,
                                                                              response.text[:300])
    assert "Traceback" not in response.text
    assert elapsed < HANG, f"{method} {url[:200]} took {elapsed:.1f} s, past the {QUERY_TIMEOUT} s time limit"
    return elapsed


def _random_request(rng: random.Random) -> tuple:
    if rng.random() < 0.85:
        path = rng.choice(PATHS)
    else:
        path = "/" + "".join(rng.choice("ab/.%-_~é?") for _ in range(rng.randint(0, 12)))
    params = []
    for _ in range(rng.randint(0, 3)):
        name = rng.choice(PARAMS)
        if name == "query" or rng.random() < 0.3:
            value = " ".join(rng.choice(SPARQL_PIECES) for _ in range(rng.randint(0, 12)))
        else:
            value = "".join(rng.choice("abc radialnerve0440T%&=;\u00e9\x00") for _ in range(rng.randint(0, 20)))
        params.append((name, value))
    accept = "".join(rng.choice(ACCEPT_PIECES) for _ in range(rng.randint(0, 5)))
    sparql = " ".join(rng.choice(SPARQL_PIECES) for _ in range(rng.randint(0, 12)))
    noise = bytes(rng.randrange(256) for _ in range(rng.randint(0, 64)))
    return _request(rng.choice(METHODS), path, params, accept, rng.choice(CONTENT_TYPES), rng.choice(BODY_KINDS),
                    sparql, noise)


sparql_strings = st.lists(st.sampled_from(SPARQL_PIECES) | st.text(max_size=8), max_size=12).map(" ".join)
value_text = st.text(max_size=30) | sparql_strings
requests = st.builds(
    _request,
    st.sampled_from(METHODS),
    st.sampled_from(PATHS) | st.text(alphabet="ab/.%-_~é?", max_size=12).map(lambda t: "/" + t),
    st.lists(st.tuples(st.sampled_from(PARAMS), value_text), max_size=3),
    st.lists(st.sampled_from(ACCEPT_PIECES) | st.text(max_size=5), max_size=5).map("".join),
    st.sampled_from(CONTENT_TYPES),
    st.sampled_from(BODY_KINDS),
    sparql_strings,
    st.binary(max_size=64),
)


@settings(max_examples=HYPOTHESIS_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(fuzzed=requests)
def test_no_500_hypothesis(client, silent_listener: Listener, fuzzed) -> None:
    """Hypothesis explores (and shrinks a failure to a minimal request); no request may connect out."""
    _check(client, fuzzed, silent_listener)
    assert silent_listener.connections == 0


@pytest.fixture
def silent_listener():
    listener = Listener(path="/sparql")
    yield listener
    listener.close()


def test_no_500_for_10000_random_requests(client, silent_listener: Listener) -> None:
    """10 000 requests from a seeded generator: the same every run, fast enough for every CI run.

    While they run, the loopback listener their SPARQL names must see no connection, and no request may take
    longer than the query time limit plus a margin (a hang).
    """
    rng = random.Random(20261127)
    methods: set[str] = set()
    slowest = 0.0
    for _ in range(EXAMPLES):
        request = _random_request(rng)
        methods.add(request[0])
        slowest = max(slowest, _check(client, request, silent_listener))
    assert methods == set(METHODS), "the fuzz must exercise every method"
    assert silent_listener.connections == 0, "a fuzzed request made the server open an outbound connection"
    assert slowest < HANG
