"""Serve the release as linked data: a page and RDF documents for every IRI, a SPARQL endpoint, downloads.

Every IRI of the dataset dereferences under its path (``/id/...``, ``/def/...``) with content negotiation
(HTML, Turtle, JSON-LD, N-Triples, RDF/XML; ``?format=`` overrides Accept). ``/sparql`` is a read-only
SPARQL 1.1 Protocol endpoint with a time limit and a row limit; ``/.well-known/void`` describes the dataset;
``/release/<file>`` downloads the release files. Reads the release in --build (run `cryokg build` first).

Slow or stalled clients: a request (head and body) must arrive in full within --request-timeout seconds of
the connection opening (or of the previous response on a kept-alive connection), and a client that stops
reading a response for that long is dropped. uvicorn alone never times out a half-sent request. A request
head (request line and headers) may be at most 16 KiB, however it arrives (431 otherwise).

Each SPARQL worker may use at most --worker-memory MiB of address space (or, for a release whose on-disk
store maps more than that, what holding it takes plus 256 MiB); a query that needs more is stopped and
answered 503 ("too expensive"). Server and workers together stay under about --workers x --worker-memory
plus the server's own ~200 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path

from cryokg.errors import BadInput
from cryokg.publish.web.workers import DEFAULT_WORKER_MEMORY_MIB

MAX_HEAD = 16 * 1024
"""Largest request head (request line and headers, in bytes) the server reads; more is answered 431."""
_HEAD_REFUSAL = f"request head larger than {MAX_HEAD} bytes refused".encode()
_HEAD_TOO_LARGE = (b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
                   b"connection: close\r\ncontent-length: " + str(len(_HEAD_REFUSAL)).encode() + b"\r\n\r\n"
                   + _HEAD_REFUSAL)

HELP = "serve the release as linked data with a SPARQL endpoint (HTTP)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    parser.add_argument("--base-iri", default=None,
                        help="base IRI to serve the dataset under (default: the release's own, from manifest.json); "
                             "e.g. http://127.0.0.1:8000/ makes every IRI resolve to this server")
    parser.add_argument("--build", type=Path, default=Path("build"), help="release folder (default: build)")
    parser.add_argument("--timeout", type=float, default=10.0, help="SPARQL time limit in seconds (default: 10)")
    parser.add_argument("--max-rows", type=int, default=10_000, help="SPARQL row limit (default: 10000)")
    parser.add_argument("--max-body", type=int, default=1_000_000, help="request body limit in bytes (default: 1000000)")
    parser.add_argument("--workers", type=int, default=2, help="SPARQL worker processes (default: 2)")
    parser.add_argument("--worker-memory", type=int, default=DEFAULT_WORKER_MEMORY_MIB, metavar="MIB",
                        help="address space each SPARQL worker may use, in MiB; a query needing more is stopped "
                             f"with 503 (default: {DEFAULT_WORKER_MEMORY_MIB})")
    parser.add_argument("--request-timeout", type=float, default=10.0,
                        help="seconds a client has to send a whole request, or may stall reading a response, "
                             "before the connection is dropped (default: 10)")
    parser.add_argument("--access-log", action="store_true",
                        help="log one line per request (off by default: at 50 clients the log costs a fifth of the "
                             "throughput and most of the p99 latency; a reverse proxy in front usually logs anyway)")
    parser.add_argument("--keep-alive", type=float, default=5.0,
                        help="seconds an idle kept-alive connection stays open (default: 5)")


def deadline_protocol(request_timeout: float) -> type:
    """uvicorn's h11 protocol with two deadlines it lacks (slowloris and slow-reader defence).

    - a request must arrive in full (head and body) within *request_timeout* seconds of the connection
      opening or of the previous response, else the connection is closed; a request whose body is complete
      is never cut, however long the application takes (the SPARQL time limit handles that);
    - a client that leaves the response unread (the transport's write buffer full) for *request_timeout*
      seconds is dropped;
    - a request head longer than :data:`MAX_HEAD` is answered 431 and the connection closed. h11's own
      ``max_incomplete_event_size`` only bounds a head that arrives in pieces: a 100 KB head sent in one
      segment was accepted.
    """
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class DeadlineH11Protocol(H11Protocol):
        _request_deadline: asyncio.TimerHandle | None = None
        _write_deadline: asyncio.TimerHandle | None = None

        def _arm(self) -> None:
            self._disarm()
            self._request_deadline = self.loop.call_later(request_timeout, self._request_expired)

        def _disarm(self) -> None:
            if self._request_deadline is not None:
                self._request_deadline.cancel()
                self._request_deadline = None

        def _request_expired(self) -> None:
            self._request_deadline = None
            if self.conn.their_state in (h11.IDLE, h11.SEND_BODY) and not self.transport.is_closing():
                self.transport.close()  # half a request (or an idle keep-alive) past the deadline

        def handle_events(self) -> None:
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                buffered = self.conn.trailing_data[0]  # the next request's head, as far as it has arrived
                if len(buffered) > MAX_HEAD and not _head_ends_within(buffered, MAX_HEAD):
                    self.transport.write(_HEAD_TOO_LARGE)
                    self.transport.close()
                    return
            super().handle_events()

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()

        def pause_writing(self) -> None:
            super().pause_writing()
            if self._write_deadline is None:
                self._write_deadline = self.loop.call_later(request_timeout, self._write_expired)

        def resume_writing(self) -> None:
            super().resume_writing()
            if self._write_deadline is not None:
                self._write_deadline.cancel()
                self._write_deadline = None

        def _write_expired(self) -> None:
            self._write_deadline = None
            if not self.transport.is_closing():
                self.transport.abort()  # the client stopped reading: drop it and its buffered response

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            if self._write_deadline is not None:
                self._write_deadline.cancel()
                self._write_deadline = None
            super().connection_lost(exc)

    return DeadlineH11Protocol


def _head_ends_within(buffered: bytes, limit: int) -> bool:
    """Whether the blank line that ends a request head lies within the first *limit* bytes."""
    window = buffered[:limit + 4]
    return b"\r\n\r\n" in window or b"\n\n" in window or b"\n\r\n" in window


def run(args: argparse.Namespace) -> int:
    import uvicorn  # the web stack is part of the core install: an ImportError here is a broken install, shown

    from cryokg.publish.web.app import Settings, create_app
    if args.base_iri is not None and not args.base_iri.endswith("/"):
        raise BadInput("--base-iri must end with /")
    if not 0 < args.port < 65536:
        raise BadInput(f"--port must be between 1 and 65535, not {args.port}")
    if (args.timeout <= 0 or args.max_rows <= 0 or args.max_body <= 0 or args.workers <= 0
            or args.request_timeout <= 0 or args.keep_alive <= 0 or args.worker_memory <= 0):
        raise BadInput("--timeout, --max-rows, --max-body, --workers, --worker-memory, --request-timeout and "
                       "--keep-alive must be positive")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = create_app(Settings(build_dir=args.build, base=args.base_iri, query_timeout=args.timeout,
                              max_rows=args.max_rows, max_body=args.max_body, workers=args.workers,
                              worker_memory=args.worker_memory))
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", server_header=False, access_log=args.access_log,
                http=deadline_protocol(args.request_timeout), timeout_keep_alive=args.keep_alive,
                h11_max_incomplete_event_size=MAX_HEAD)
    return 0
