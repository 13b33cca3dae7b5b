"""User SPARQL runs in worker processes that can be killed: the per-query timeout and row cap.

pyoxigraph's Python API has no query timeout or cancellation (oxigraph issue #1926: the Rust
``CancellationToken`` is not exposed), and a thread cannot be stopped from outside. So each query is sent to
one of a few worker processes (``spawn``ed, each holding its own copy of the release store); the server waits
at most ``timeout`` seconds for the answer. On time-out the worker is killed, the client gets 504 and a fresh
worker takes its place, so a pathological query never keeps a CPU busy after its request has ended.

Each worker is confined before it takes its first query (:mod:`cryokg.sandbox`): a seccomp filter leaves it
unable to open any socket (pyoxigraph evaluates ``SERVICE`` by connecting, so this is the barrier that holds
whatever the text checks miss), and ``RLIMIT_AS`` caps its memory at ``memory_mib``, or, when holding the
release already takes more address space than that less :data:`QUERY_ROOM_MIB`, at what it holds plus that
room. (A worker that opens a large release's on-disk store maps address space it does not keep resident: at
1 M triples 700 MiB to 1.1 GB, varying from start to start with RocksDB's files and threads; a fixed cap made
the server refuse to start.) A query that needs more memory fails there: Python raises ``MemoryError`` (the
worker answers "too expensive" and goes on) or pyoxigraph aborts the process (the pool sees it die, answers
"too expensive" and starts a fresh worker).
Every check of the text (:func:`cryokg.publish.web.security.check_query`: syntax, keywords, nesting, the parse) runs
in the worker too, under the time limit, so no text a client sends is scanned on the server's event loop.

Workers answer with serialised bytes: SPARQL JSON results (our own writer, so the row cap is applied while
iterating) converted by pyoxigraph to XML, CSV or TSV; or triples serialised by pyoxigraph (Turtle,
N-Triples, JSON-LD, RDF/XML). More than ``max_rows`` solutions or triples is an error, not a silent cut.
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import os
import signal
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnContext
from pathlib import Path
from typing import TYPE_CHECKING, Any

__all__ = ["Answer", "QueryPool"]

if TYPE_CHECKING:
    import pyoxigraph as ox

_log = logging.getLogger(__name__)

DEFAULT_WORKER_MEMORY_MIB = 768
"""Address space (``RLIMIT_AS``) each worker may use, in MiB: with the default two workers, server and workers
stay under 2 GB of resident memory whatever the queries (a worker holding the release uses about 90 MiB)."""
QUERY_ROOM_MIB = 256
"""Address space a worker keeps for queries beyond what holding the release takes, when that exceeds the cap."""
WORKER_NICENESS = 10
"""Workers run at a lower CPU priority than the server: on a busy machine pages and documents are answered
first, and a query that burns CPU until its time limit slows other queries, not the site."""
GRAPH_FORMATS = {"turtle": "TURTLE", "ntriples": "N_TRIPLES", "jsonld": "JSON_LD", "rdfxml": "RDF_XML"}


@dataclass
class Answer:
    """What a worker (or the pool) says about one query.

    ``status`` is ``ok`` (``body`` holds the document), ``syntax`` (parse error), ``refused`` (see
    :mod:`cryokg.publish.web.security`), ``too-many`` (row cap), ``too-expensive`` (memory cap), ``crashed`` (the
    worker died another way), ``unsupported`` (no format was negotiated for this kind of result),
    ``timeout``, ``busy`` or ``error``. ``kind`` is the query's form (``select``, ``ask``, ``graph``) when
    known.
    """

    status: str
    kind: str = ""
    body: bytes = b""
    message: str = ""


# --- inside the worker process -------------------------------------------------------------------------

def _evaluate(store: ox.Store, query: str, formats: dict[str, str | None], max_rows: int) -> Answer:
    """Check, then evaluate *query*; *formats* maps each result kind to the format key to write it in, or None
    when the client accepts no format for that kind (then the query is not evaluated)."""
    import pyoxigraph as ox

    from cryokg.answer.result_formats import results_document
    from cryokg.publish.web.security import Refused, check_query
    from cryokg.publish.web.sparql import GRAPH, query_form

    kind = query_form(query)
    try:
        check_query(query)  # here, under the time limit and the memory cap: nothing runs on the event loop
    except Refused as exc:
        return Answer("refused", kind, message=str(exc))
    if formats.get(kind) is None:
        return Answer("unsupported", kind)
    try:
        result = store.query(query)
    except SyntaxError as exc:
        return Answer("syntax", kind, message=str(exc))
    kind = "ask" if isinstance(result, ox.QueryBoolean) else "select" if isinstance(result, ox.QuerySolutions) \
        else GRAPH
    fmt = formats.get(kind)
    if fmt is None:
        return Answer("unsupported", kind)
    try:
        if isinstance(result, ox.QueryBoolean):
            doc = {"head": {}, "boolean": bool(result)}
            return _results_document(doc, "ask", fmt)
        if isinstance(result, ox.QuerySolutions):
            variables = [v.value for v in result.variables]
            rows: list[list[Any]] = []
            for solution in result:
                if len(rows) >= max_rows:
                    return Answer("too-many", kind, message=f"the result has more than {max_rows} rows; add a LIMIT")
                rows.append([solution[name] for name in variables])
            return _results_document(results_document(variables, rows), "select", fmt)
        triples: list[ox.Triple] = []
        for triple in result:
            if len(triples) >= max_rows:
                return Answer("too-many", kind, message=f"the result has more than {max_rows} triples; add a LIMIT")
            triples.append(triple)
        if fmt not in GRAPH_FORMATS:
            return Answer("unsupported", kind="graph")
        body = ox.serialize(triples, format=getattr(ox.RdfFormat, GRAPH_FORMATS[fmt]),
                            prefixes=_prefixes() if fmt in ("turtle", "rdfxml") else None)
        return Answer("ok", "graph", body or b"")
    except (OSError, RuntimeError, ValueError) as exc:  # evaluation errors (e.g. a bad regex in FILTER)
        return Answer("error", kind, message=str(exc))


def _prefixes() -> dict[str, str]:
    from cryokg.namespaces import PREFIXES

    return dict(PREFIXES)


def _results_document(doc: dict, kind: str, fmt: str) -> Answer:
    from cryokg.answer.result_formats import RESULTS_FORMATS, results_as

    body = json.dumps(doc, ensure_ascii=False).encode("utf-8")
    if fmt in ("json", "plainjson", "html"):
        return Answer("ok", kind, body)
    if fmt not in RESULTS_FORMATS or (kind == "ask" and fmt in ("csv", "tsv")):
        return Answer("unsupported", kind=kind)
    return Answer("ok", kind, results_as(body, fmt))


def _address_space_mib() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def worker_main(conn: Connection, build_dir: str, base: str, memory_mib: int = 0) -> None:
    """Worker process loop: load the store once, confine the process, then answer (query, formats, max_rows)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the server stops us
    os.nice(WORKER_NICENESS)
    try:
        from cryokg.publish.web.data import load_release_store
        from cryokg.sandbox import deny_network, limit_memory

        store = load_release_store(Path(build_dir), base)
        import rdflib.plugins.sparql.parser  # noqa: F401 - the checking parser, loaded once before the cap

        if memory_mib:
            limit_memory(max(memory_mib, _address_space_mib() + QUERY_ROOM_MIB))
        deny_network(all_threads=True)  # from here on, no socket can be opened or connected in this process
    except Exception as exc:
        conn.send(("failed", str(exc)))
        return
    conn.send(("ready", ""))
    while True:
        try:
            query, formats, max_rows = conn.recv()
        except (EOFError, OSError):
            return
        try:
            answer = _evaluate(store, query, formats, max_rows)
        except MemoryError:
            answer = Answer("too-expensive", message="")
        except Exception as exc:
            answer = Answer("error", message=f"{type(exc).__name__}: {exc}")
        conn.send(answer)


# --- in the server process ---------------------------------------------------------------------------------

class _Worker:
    def __init__(self, context: SpawnContext, build_dir: Path, base: str, memory_mib: int) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=worker_main, args=(child, str(build_dir), base, memory_mib), daemon=True,
                                       name="cryokg-sparql-worker")
        self.process.start()
        child.close()

    def wait_ready(self, timeout: float = 120.0) -> None:
        if not self.conn.poll(timeout):
            self.kill()
            raise RuntimeError("SPARQL worker did not start in time")
        try:
            status, message = self.conn.recv()
        except (EOFError, OSError):
            status, message = "failed", f"the worker process exited with code {self.process.exitcode}"
        if status != "ready":
            self.kill()
            raise RuntimeError(f"SPARQL worker could not load the release: {message}")

    def ask(self, query: str, formats: dict[str, str | None], max_rows: int, timeout: float) -> Answer | None:
        """The worker's answer, or None when it took longer than *timeout* seconds."""
        self.conn.send((query, formats, max_rows))
        if not self.conn.poll(timeout):
            return None
        return self.conn.recv()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class QueryPool:
    """A few worker processes answering user SPARQL with a hard time limit and a memory cap each.

    >>> # pool = QueryPool(Path("build"), base); await pool.start(); await pool.run("ASK {}", {"ask": "json"})
    """

    def __init__(self, build_dir: Path, base: str, *, size: int = 2, timeout: float = 10.0,
                 max_rows: int = 10_000, memory_mib: int = DEFAULT_WORKER_MEMORY_MIB) -> None:
        self.build_dir, self.base = Path(build_dir), base
        self.size, self.timeout, self.max_rows = max(1, size), timeout, max_rows
        self.memory_mib = memory_mib
        self._context = multiprocessing.get_context("spawn")
        self._idle: asyncio.Queue[_Worker] | None = None
        self._all: set[_Worker] = set()
        self._closed = False
        self._tasks: set[asyncio.Task] = set()  # replacement spawns in flight (kept so they are not collected)

    def _spawn(self) -> _Worker:
        worker = _Worker(self._context, self.build_dir, self.base, self.memory_mib)
        self._all.add(worker)
        try:
            worker.wait_ready()
        except RuntimeError:
            self._all.discard(worker)
            raise
        return worker

    async def start(self) -> None:
        """Start the workers (each loads the release once)."""
        self._idle = asyncio.Queue()
        workers = await asyncio.gather(*(asyncio.to_thread(self._spawn) for _ in range(self.size)))
        for worker in workers:
            self._idle.put_nowait(worker)

    async def _replace(self, worker: _Worker) -> None:
        await asyncio.to_thread(worker.kill)
        self._all.discard(worker)
        if self._closed or self._idle is None:
            return
        try:
            fresh = await asyncio.to_thread(self._spawn)
        except RuntimeError as exc:
            _log.error("could not start a replacement SPARQL worker: %s", exc)
            return
        self._idle.put_nowait(fresh)

    def _spawn_replacement(self, worker: _Worker) -> None:
        task = asyncio.get_running_loop().create_task(self._replace(worker))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _too_expensive(self) -> str:
        return (f"the query was too expensive: it needed more than the {self.memory_mib} MiB of memory a query may "
                "use here, and was stopped; narrow its patterns or add a LIMIT")

    async def _died(self, worker: _Worker) -> Answer:
        """The answer for a query whose worker died under it; a fresh worker takes its place."""
        self._all.discard(worker)  # no longer a live worker, whatever happens next
        await asyncio.to_thread(worker.process.join, 5)
        code = worker.process.exitcode
        self._spawn_replacement(worker)
        if code in (-signal.SIGABRT, -signal.SIGKILL):  # pyoxigraph aborts when an allocation fails
            _log.warning("SPARQL worker stopped by its memory cap (exit code %s); replaced", code)
            return Answer("too-expensive", message=self._too_expensive())
        _log.warning("SPARQL worker died (exit code %s); replaced", code)
        why = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return Answer("crashed", message=f"the query crashed the SPARQL engine (its worker process died of {why}) "
                                         "and was stopped; the worker has been replaced")

    async def run(self, query: str, formats: dict[str, str | None]) -> Answer:
        """Evaluate *query* in a worker; *formats* maps each result kind (``select``, ``ask``, ``graph``) to the
        media-table key to serialise it as, or None when the client accepts none for that kind."""
        if self._idle is None:
            raise RuntimeError("QueryPool.start() was not awaited")
        try:
            worker = self._idle.get_nowait()
        except asyncio.QueueEmpty:
            try:
                worker = await asyncio.wait_for(self._idle.get(), timeout=self.timeout)
            except TimeoutError:
                return Answer("busy", message="all query workers are busy; try again shortly")
        try:
            # In a thread, not on the event loop: measured faster under load (the pipe write wakes the worker,
            # and on a busy machine the kernel may run it before the writer returns).
            answer = await asyncio.to_thread(worker.ask, query, formats, self.max_rows, self.timeout)
        except (EOFError, OSError, BrokenPipeError):
            return await self._died(worker)
        if answer is None:
            await asyncio.to_thread(worker.kill)  # dead before we answer: nothing keeps running the query
            self._all.discard(worker)
            self._spawn_replacement(worker)
            return Answer("timeout", message=f"the query ran longer than {self.timeout:g} s and was stopped")
        self._idle.put_nowait(worker)
        if answer.status == "too-expensive":
            answer.message = self._too_expensive()
        return answer

    def pids(self) -> list[int]:
        """Process ids of the live workers (for tests and monitoring)."""
        return sorted(w.process.pid for w in self._all if w.process.pid is not None)

    async def close(self) -> None:
        """Stop every worker."""
        self._closed = True
        for worker in list(self._all):
            await asyncio.to_thread(worker.kill)
        self._all.clear()
