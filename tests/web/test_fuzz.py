"""10 000 random requests (paths, query strings, Accept headers, SPARQL-ish text) never produce a 500.

Uses hypothesis when it is installed (shrinks a failure to a small example), else a seeded random generator
with the same alphabet, so the test runs either way.
"""

from __future__ import annotations

import random
import urllib.parse

EXAMPLES = 10_000
HYPOTHESIS_EXAMPLES = 1_000  # hypothesis adds ~15 ms of generation per example; the seeded run covers 10 000
PATHS = ["/", "/search", "/suggest", "/sparql", "/.well-known/void", "/id/code/0440T", "/id/dataset/cryokg",
         "/def/Nerve", "/def", "/release/void.ttl", "/id/", "/static/cryokg.css", "/id/code/0440T.ttl"]
PARAMS = ["q", "site", "technique", "approach", "query", "format", "default-graph-uri", "update"]
ACCEPT_PIECES = ["text/html", "text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml",
                 "application/sparql-results+json", "text/csv", "*/*", "text/*", "image/png", ";q=0", ";q=0.5",
                 ";q=1.0", ";q=2", ";q=-1", ";q=abc", ",", ";", "=", '"', ";profile=\"x,y\"", " ", "\t", "é"]
SPARQL_PIECES = ["SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "{", "}", "?s", "?p", "?o", "*", ".", "(", ")",
                 "<http://127.0.0.1:9/>", "SERVICE", "FROM", "LOAD", "INSERT", "FILTER", "REGEX(?o, \"(a*)*b\")",
                 "LIMIT 5", "OPTIONAL", "UNION", "\"x\"", "'", "\\u0053", "#", "\n", "GRAPH", "VALUES", "COUNT(*)",
                 "PREFIX a: <http://x/>", "a:b", "BIND", "AS", "GROUP BY", "ORDER BY", "1e999", "@en", "^^", "\x00"]
METHODS = ["GET", "GET", "GET", "POST"]
CONTENT_TYPES = ["application/x-www-form-urlencoded", "application/sparql-query", "application/sparql-update",
                 "text/plain", "", "multipart/form-data"]


def _request(method: str, path: str, params: list[tuple[str, str]], accept: str, content_type: str) -> tuple:
    query = urllib.parse.urlencode(params)
    path = "/" + urllib.parse.quote(path.lstrip("/"), safe="/%")  # a leading "//" would name a host
    url = path + ("?" + query if query else "")
    headers = {"Accept": accept.replace("\r", " ").replace("\n", " ").encode("utf-8")}
    body = b""
    if method == "POST":
        body = query.encode("utf-8", "replace")
        if content_type:
            headers["Content-Type"] = content_type
    return method, url, headers, body


def _check(client, request: tuple) -> None:
    method, url, headers, body = request
    response = client.request(method, url, headers=headers, content=body or None)
    assert response.status_code < 500 or response.status_code in (503, 504), (request, response.status_code,
                                                                              response.text[:300])
    assert "Traceback" not in response.text


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
    return _request(rng.choice(METHODS), path, params, accept, rng.choice(CONTENT_TYPES))


try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - exercised when hypothesis is absent
    given = None


if given is not None:
    sparql_text = st.lists(st.sampled_from(SPARQL_PIECES) | st.text(max_size=8), max_size=12).map(" ".join)
    value_text = st.text(max_size=30) | sparql_text
    requests = st.builds(
        _request,
        st.sampled_from(METHODS),
        st.sampled_from(PATHS) | st.text(alphabet="ab/.%-_~é?", max_size=12).map(lambda t: "/" + t),
        st.lists(st.tuples(st.sampled_from(PARAMS), value_text), max_size=3),
        st.lists(st.sampled_from(ACCEPT_PIECES) | st.text(max_size=5), max_size=5).map("".join),
        st.sampled_from(CONTENT_TYPES),
    )

    @settings(max_examples=HYPOTHESIS_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(request=requests)
    def test_no_500_hypothesis(client, request) -> None:
        """Hypothesis explores (and shrinks a failure to a minimal request)."""
        _check(client, request)


def test_no_500_for_10000_random_requests(client) -> None:
    """10 000 requests from a seeded generator: the same every run, fast enough for every CI run."""
    rng = random.Random(20261127)
    for _ in range(EXAMPLES):
        _check(client, _random_request(rng))
