"""The response cache: the same bytes as an uncached render, ETag and 304, only cacheable routes, bounded."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import SKOS

from cryokg.namespaces import DEFAULT_BASE
from cryokg.publish.web.middleware import CACHE_FLAG, ResponseCache

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def uncached(release_dir: Path) -> Iterator:
    """The same application with no response cache (no lifespan: resources need no SPARQL worker)."""
    from starlette.testclient import TestClient

    from cryokg.publish.web.app import Settings, create_app

    app = create_app(Settings(build_dir=release_dir, workers=1, cache_entries=0))
    yield TestClient(app)


def _code_path(graph: Graph) -> str:
    code = str(sorted(graph.subjects(SKOS.notation, Literal("0440T")))[0])
    assert code.startswith(DEFAULT_BASE)
    return "/" + code[len(DEFAULT_BASE):]


def _headers(response) -> list[tuple[str, str]]:
    return sorted((k, v) for k, v in response.headers.multi_items() if k != "etag")


def _cache(client) -> ResponseCache:
    app = client.app
    stack = app.middleware_stack
    while stack is not None and not isinstance(stack, ResponseCache):
        stack = getattr(stack, "app", None)
    assert stack is not None, "the response cache is in the middleware stack"
    return stack


def test_cached_bytes_equal_an_uncached_render(client, uncached, release_graph: Graph) -> None:
    code = _code_path(release_graph)
    requests = [(code, "text/html"), (code, "text/turtle"), (code, BROWSER), (code, "*/*"), (code, None),
                (code + "?format=jsonld", "text/html"), (code + ".nt", "text/html"), (code + ".rdf", None),
                ("/def/Nerve", "application/ld+json"), ("/.well-known/void", "text/turtle"), ("/id/dataset/cryokg", BROWSER)]
    for path, accept in requests:
        headers = {"Accept": accept} if accept else {}
        first, second = client.get(path, headers=headers), client.get(path, headers=headers)
        plain = uncached.get(path, headers=headers)
        assert first.status_code == second.status_code == plain.status_code == 200, path
        assert first.content == second.content == plain.content, (path, accept)
        assert _headers(first) == _headers(second) == _headers(plain), (path, accept)
        assert first.headers["etag"] == second.headers["etag"] and "etag" not in plain.headers


def test_etag_and_not_modified(client, release_graph: Graph) -> None:
    code = _code_path(release_graph)
    page = client.get(code, headers={"Accept": "text/html"})
    turtle = client.get(code, headers={"Accept": "text/turtle"})
    etag = page.headers["etag"]
    assert etag.startswith('"') and etag != turtle.headers["etag"]
    for tag in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again = client.get(code, headers={"Accept": "text/html", "If-None-Match": tag})
        assert again.status_code == 304, tag
        assert again.content == b""
        assert again.headers["etag"] == etag and again.headers["vary"] == "Accept, Origin"  # Origin: CORS
        assert again.headers["content-location"] == page.headers["content-location"]
    changed = client.get(code, headers={"Accept": "text/html", "If-None-Match": '"something-else"'})
    assert changed.status_code == 200 and changed.content == page.content
    # the ETag names the representation: Turtle's tag does not validate the HTML page
    other = client.get(code, headers={"Accept": "text/html", "If-None-Match": turtle.headers["etag"]})
    assert other.status_code == 200


def test_first_request_with_if_none_match_is_304_too(release_dir: Path, release_graph: Graph) -> None:
    from starlette.testclient import TestClient

    from cryokg.publish.web.app import Settings, create_app

    fresh = TestClient(create_app(Settings(build_dir=release_dir, workers=1)))  # empty cache
    code = _code_path(release_graph)
    etag = fresh.get(code, headers={"Accept": "text/turtle"}).headers["etag"]
    other = TestClient(create_app(Settings(build_dir=release_dir, workers=1)))
    assert other.get(code, headers={"Accept": "text/turtle", "If-None-Match": etag}).status_code == 304


def test_only_resource_descriptions_are_kept(client) -> None:
    cache = _cache(client)
    before = set(cache.entries)
    responses = [client.get("/search", params={"q": "nerve"}), client.get("/no/such/thing"),
                 client.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": "application/sparql-results+json"}),
                 client.get("/id/code/0440T", headers={"Accept": "image/png"}),  # 406
                 client.get("/id/code/0440T?format=nonsense"), client.get("/")]
    assert [r.status_code for r in responses] == [200, 404, 200, 406, 400, 200]
    assert all("etag" not in r.headers for r in responses)
    assert set(cache.entries) == before


def test_head_gets_the_headers_of_get(client, uncached, release_graph: Graph) -> None:
    code = _code_path(release_graph) + ".jsonld"
    plain_head = uncached.head(code)
    get = client.get(code)
    head = client.head(code)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == get.headers["etag"]
    assert _headers(head) == _headers(get) == _headers(plain_head)
    assert client.head(code, headers={"If-None-Match": get.headers["etag"]}).status_code == 304


def _flagged_app(body_size: int = 10):
    calls: list[str] = []

    async def app(scope, receive, send) -> None:
        calls.append(scope["path"])
        scope[CACHE_FLAG] = not scope["path"].startswith("/nocache")
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": scope["path"].encode().ljust(body_size, b".")})

    return app, calls


def _get(cache: ResponseCache, path: str, accept: bytes = b"text/html") -> list[dict]:
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": [(b"accept", accept)]}
    asyncio.run(cache(scope, receive, send))
    return sent


def test_cache_is_bounded_by_entries_least_recently_used_first() -> None:
    app, calls = _flagged_app()
    cache = ResponseCache(app, negotiate=lambda accept: accept, max_entries=3)
    for path in ("/a", "/b", "/c", "/a", "/d", "/e"):
        _get(cache, path)
    assert len(cache.entries) == 3
    assert [key[0] for key in cache.entries] == [b"/a", b"/d", b"/e"]  # /a was used again, /b and /c went
    assert calls == ["/a", "/b", "/c", "/d", "/e"]
    _get(cache, "/a", accept=b"text/turtle")  # another negotiated format is another entry
    assert calls[-1] == "/a" and len(cache.entries) == 3


def test_cache_is_bounded_by_bytes() -> None:
    app, _ = _flagged_app(body_size=1000)
    cache = ResponseCache(app, negotiate=lambda accept: accept, max_bytes=2500)
    for path in ("/a", "/b", "/c", "/d"):
        _get(cache, path)
    assert len(cache.entries) == 2 and cache.size == 2000
    big, _ = _flagged_app(body_size=5000)
    huge = ResponseCache(big, negotiate=lambda accept: accept, max_bytes=2500)
    sent = _get(huge, "/a")
    assert len(sent[1]["body"]) == 5000 and not huge.entries  # served, not kept


def test_unflagged_and_unnegotiable_responses_pass_through() -> None:
    app, calls = _flagged_app()
    cache = ResponseCache(app, negotiate=lambda accept: None if accept == "image/png" else accept)
    _get(cache, "/nocache/x")
    _get(cache, "/nocache/x")
    _get(cache, "/a", accept=b"image/png")
    _get(cache, "/a", accept=b"image/png")
    assert calls == ["/nocache/x", "/nocache/x", "/a", "/a"] and not cache.entries
