"""Pure ASGI middleware: malformed requests (400/404), request-body limit (413), CORS for GET only (Starlette's),
security headers, and a response cache.

Written as plain ASGI callables rather than Starlette's ``BaseHTTPMiddleware`` so they add no buffering or
task switching to every request and cannot swallow errors.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

__all__ = ["CACHE_FLAG", "BodyLimit", "CorsGetOnly", "RejectMalformed", "ResponseCache", "SecurityHeaders"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
       "object-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
"""Scripts only from our own files (``/static/cryokg.js``): no inline script, no ``eval``, nothing from elsewhere."""


async def _plain(send: Send, status: int, text: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = text.encode("utf-8")
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
        *(headers or [])]})
    await send({"type": "http.response.body", "body": body})


class RejectMalformed:
    """Requests no route should see, answered before anything else runs.

    - ``Content-Length`` *and* ``Transfer-Encoding``: 400 and the connection is closed (RFC 9112 §6.1: such a
      message "ought to be handled as an error"; a proxy in front that frames by Content-Length while we frame
      by the chunks would let a second, smuggled request through on the same connection);
    - a path with a NUL byte (``/release/%00``): 404, since no file or IRI has one (the file system refuses
      the name with ``ValueError``, which was a 500).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        names = {name for name, _ in scope.get("headers", ())}
        if b"content-length" in names and b"transfer-encoding" in names:
            await _plain(send, 400, "a request may not carry both Content-Length and Transfer-Encoding",
                         [(b"connection", b"close")])
            return
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("raw_path", b""):
            await _plain(send, 404, "no resource has a NUL byte in its path")
            return
        await self.app(scope, receive, send)


class BodyLimit:
    """Refuse request bodies over *max_bytes* with 413 before the application sees them.

    The body is read here (at most ``max_bytes + 1`` bytes) and replayed to the application, so a client
    that lies in ``Content-Length`` or sends chunks is cut off all the same (RFC 9110 §15.5.14).
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        too_big = f"request body larger than {self.max_bytes} bytes"
        if declared is not None:
            try:
                if int(declared) > self.max_bytes:
                    await _plain(send, 413, too_big, [(b"connection", b"close")])
                    return
            except ValueError:
                await _plain(send, 400, "invalid Content-Length")
                return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _plain(send, 413, too_big, [(b"connection", b"close")])
                return
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class CorsGetOnly:
    """CORS for reading only, by Starlette's ``CORSMiddleware``: any origin may read GET/HEAD responses
    (``Access-Control-Allow-Origin: *``) and a preflight is granted for GET/HEAD with the ``Accept`` header,
    cached a day. Requests with other methods bypass it, so their responses carry no CORS header (a page on
    another origin cannot read the answer to its POST), and Starlette refuses a preflight asking for them
    (400, ``Access-Control-Allow-Methods: GET, HEAD``), so the browser never sends the request itself."""

    def __init__(self, app: ASGIApp) -> None:
        from starlette.middleware.cors import CORSMiddleware

        self.app = app
        self.cors = CORSMiddleware(app, allow_origins=["*"], allow_methods=["GET", "HEAD"], allow_headers=["Accept"],
                                   max_age=86400)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.cors(scope, receive, send)
            return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """``nosniff`` everywhere; a strict Content-Security-Policy on HTML (only our own script file runs)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                content_type = dict(headers).get(b"content-type", b"")
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"no-referrer"))
                if content_type.startswith(b"text/html"):
                    headers.append((b"content-security-policy", CSP.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


CACHE_FLAG = "cryokg.cacheable"
"""Scope key a route sets to True when its 200 response depends only on (path, query string, negotiated
resource format): :class:`ResponseCache` may then keep the response and serve it again."""


def _header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of request header *name* (what Starlette's ``request.headers.get`` returns)."""
    return _first(scope.get("headers", ()), name)


def _etag_matches(header: bytes, etag: bytes) -> bool:
    """RFC 9110 §13.1.2 If-None-Match: ``*`` or any listed tag equal under weak comparison."""
    if header.strip() == b"*":
        return True
    bare = etag.removeprefix(b"W/")
    return any(tag.strip().removeprefix(b"W/") == bare for tag in header.split(b","))


class ResponseCache:
    """A bounded LRU of whole responses (status, headers, body) for routes that mark themselves cacheable.

    The release never changes while it is served, so the page or document of an IRI in one format is the same
    bytes every time: the first request renders it through the whole application, later ones are answered
    from here without routing, rendering or the other middleware (this sits outside all but
    :class:`RejectMalformed`, so the stored headers are the ones the other middleware added). The key is
    everything the bytes depend on: raw path, query string, the resource format the Accept header negotiates
    to (*negotiate* maps the Accept value to that key, e.g. ``"html"``), and whether the request has an
    ``Origin`` header (the CORS headers inside depend on that alone: :class:`CorsGetOnly` allows every origin,
    without credentials). Sitting outside CORS spares a hit Starlette's CORS pass: a cached page answered
    in-process (no sockets, 100 k synthetic release) in 25 µs with the cache inside CORS, 12.5 µs outside.
    Cacheable 200 responses get a strong ``ETag`` (a hash of content type and body) and ``If-None-Match``
    gets 304 Not Modified. HEAD is answered from a GET's entry (same headers, no body) when there is one,
    else passed on. At most *max_entries* responses and *max_bytes* of bodies are kept; the least recently
    used go first.
    """

    _NOT_MODIFIED_DROP = (b"content-length", b"content-type")

    def __init__(self, app: ASGIApp, *, negotiate: Callable[[str | None], str | None], max_entries: int = 4096,
                 max_bytes: int = 64_000_000) -> None:
        from collections import OrderedDict

        self.app, self.negotiate = app, negotiate
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self.entries: OrderedDict[tuple, tuple[int, list[tuple[bytes, bytes]], bytes, bytes]] = OrderedDict()
        self.size = 0
        self.hits = self.misses = 0

    def _key(self, scope: Scope) -> tuple | None:
        accept = _header(scope, b"accept")
        fmt = self.negotiate(accept.decode("latin-1") if accept is not None else None)
        if fmt is None:
            return None
        origin = _header(scope, b"origin") is not None
        return (scope.get("raw_path") or scope["path"].encode(), scope.get("query_string", b""), fmt, origin)

    async def _send_cached(self, send: Send, entry: tuple, if_none_match: bytes | None, head: bool = False) -> None:
        status, headers, body, etag = entry
        if if_none_match is not None and _etag_matches(if_none_match, etag):
            kept = [(k, v) for k, v in headers if k not in self._NOT_MODIFIED_DROP]
            await send({"type": "http.response.start", "status": 304, "headers": kept})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else body})

    def _store(self, key: tuple, entry: tuple) -> None:
        body = entry[2]
        if len(body) > self.max_bytes:
            return
        old = self.entries.pop(key, None)
        if old is not None:
            self.size -= len(old[2])
        self.entries[key] = entry
        self.size += len(body)
        while len(self.entries) > self.max_entries or self.size > self.max_bytes:
            _, dropped = self.entries.popitem(last=False)
            self.size -= len(dropped[2])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        key = self._key(scope)
        if_none_match = _header(scope, b"if-none-match")
        head = scope["method"] == "HEAD"
        if key is not None:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
                self.hits += 1
                await self._send_cached(send, entry, if_none_match, head)
                return
            self.misses += 1
        if head:  # the headers of a GET without the body: answered from a GET's entry, never stored from HEAD
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if key is not None and message["status"] == 200 and scope.get(CACHE_FLAG):
                    start = message  # held back until the body is complete, to add the ETag
                    return
                await send(message)
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            headers = list(start.get("headers", []))
            content_type = _first(headers, b"content-type") or b""
            etag = b'"' + hashlib.blake2b(content_type + b"\0" + body, digest_size=16).hexdigest().encode() + b'"'
            headers.append((b"etag", etag))
            entry = (start["status"], headers, body, etag)
            self._store(key, entry)  # type: ignore[arg-type]
            await self._send_cached(send, entry, if_none_match)

        await self.app(scope, receive, capture)


def _first(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    return next((value for key, value in headers if key == name), None)
