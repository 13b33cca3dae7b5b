"""Start and stop private triple-store servers on loopback: Oxigraph server and Virtuoso Open Source.

Why: ``cryokg publish`` must be proven against real SPARQL 1.1 servers, not a mock, and the benchmarks want
the same servers. Each helper is a context manager that starts one server on ``127.0.0.1`` with a free port
and a throw-away data folder, waits until it answers a query, and always stops it again **by PID**
(``finally``), also when the body raises. On Linux the child also gets ``PR_SET_PDEATHSIG`` so it dies with
its parent if the parent is killed outright, so no server outlives a test session.

Programs come from PyPI (``oxigraph``, a wheel with the server binary) and Debian
(``virtuoso-opensource-7-bin``); when one is absent the helpers raise :class:`ProgramMissing`, which tests
turn into a skip with that message.

>>> from tests.stores import oxigraph_server
>>> with oxigraph_server() as server:          # doctest: +SKIP
...     print(server.query_url)
http://127.0.0.1:40123/query
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

__all__ = [
    "ProgramMissing",
    "RunningServer",
    "ServerFailed",
    "find_program",
    "free_port",
    "oxigraph_server",
    "virtuoso_server",
]

VIRTUOSO_USER = "dba"
VIRTUOSO_PASSWORD = "dba"  # the default account of a fresh private instance; it only listens on loopback


class ProgramMissing(RuntimeError):
    """The server program is not installed; the message says which package provides it."""


class ServerFailed(RuntimeError):
    """The server did not start or did not answer in time; the message ends with its log tail."""


@dataclass
class RunningServer:
    """A started server: where to send queries and Graph Store Protocol requests, and how to stop it."""

    kind: str  # "oxigraph" or "virtuoso": the ``cryokg publish --server`` preset that fits it
    process: subprocess.Popen
    root_url: str  # http://127.0.0.1:PORT
    query_url: str
    store_url: str
    user: str | None = None
    password: str | None = None
    workdir: Path | None = None
    log: Path | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the server by its PID (TERM, then KILL after *timeout* seconds) and reap it."""
        _stop(self.process, timeout)

    def log_tail(self, lines: int = 20) -> str:
        return _tail(self.log, lines)


def find_program(name: str) -> str | None:
    """*name* on PATH, or next to the running Python (a virtualenv's ``bin/`` need not be on PATH)."""
    found = shutil.which(name)
    if found:
        return found
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.is_file() and os.access(candidate, os.X_OK) else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now (the caller retries if it is taken later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def oxigraph_server(*, ready_timeout: float = 30.0) -> Iterator[RunningServer]:
    """An in-memory Oxigraph server on a free loopback port (``/query``, ``/update``, ``/store``)."""
    program = find_program("oxigraph")
    if program is None:
        raise ProgramMissing("the Oxigraph server is not installed: pip install oxigraph (a wheel with the binary)")
    with tempfile.TemporaryDirectory(prefix="cryokg-oxigraph-") as tmp:
        workdir = Path(tmp)
        for _attempt in range(3):  # a free port can be taken between choosing and binding it
            port = free_port()
            root = f"http://127.0.0.1:{port}"
            log = workdir / f"oxigraph-{port}.log"
            process = _spawn([program, "serve", "--bind", f"127.0.0.1:{port}"], cwd=workdir, log=log)
            server = RunningServer("oxigraph", process, root, f"{root}/query", f"{root}/store", workdir=workdir, log=log)
            try:
                if _wait_ready(server, f"{root}/query", ready_timeout):
                    yield server
                    return
            finally:
                server.stop()
        raise ServerFailed(f"oxigraph did not start after 3 attempts:\n{_tail(log)}")


_VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
ServerThreads = 10
CheckpointInterval = 60
NumberOfBuffers = {buffers}
MaxDirtyBuffers = {dirty}
DirsAllowed = ., {dir}
DefaultIsolation = 4

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}/vsp
ServerThreads = 10
MaxClientConnections = 10
KeepAliveTimeout = 10
MaxKeepAlives = 10
EnabledDavVSP = 0

[SPARQL]
ResultSetMaxRows = {max_rows}
MaxQueryExecutionTime = 120
MaxQueryCostEstimationTime = 400
DefaultQuery = ASK {{}}
"""


@contextlib.contextmanager
def virtuoso_server(*, ready_timeout: float = 60.0, max_rows: int = 1_000_000,
                    buffers: int = 10_000) -> Iterator[RunningServer]:
    """A private Virtuoso instance in a temporary folder, HTTP and SQL ports on 127.0.0.1 (account dba/dba).

    Loads go to ``/sparql-graph-crud-auth`` with HTTP digest authentication; queries to ``/sparql``.
    *max_rows* is ``ResultSetMaxRows``: Virtuoso silently cuts longer answers there. *buffers* is
    ``NumberOfBuffers`` (8 KB pages of cache; Virtuoso's guide asks for about 85,000 per GB of RAM given to it):
    the default suits the tests' small graphs, the benchmark loads millions of triples with more.
    """
    program = find_program("virtuoso-t")
    if program is None:
        raise ProgramMissing("Virtuoso is not installed: apt-get install virtuoso-opensource-7-bin")
    with tempfile.TemporaryDirectory(prefix="cryokg-virtuoso-") as tmp:
        workdir = Path(tmp)
        log = workdir / "virtuoso.log"
        for _attempt in range(3):
            for stale in workdir.glob("virtuoso*"):  # a failed attempt leaves a half-made database behind
                stale.unlink()
            (workdir / "vsp").mkdir(exist_ok=True)
            http_port, sql_port = free_port(), free_port()
            ini = workdir / "virtuoso.ini"
            ini.write_text(_VIRTUOSO_INI.format(dir=workdir, sql_port=sql_port, http_port=http_port, max_rows=max_rows,
                                                buffers=buffers, dirty=buffers * 3 // 5), encoding="utf-8")
            root = f"http://127.0.0.1:{http_port}"
            process = _spawn([program, "+foreground", "+configfile", str(ini)], cwd=workdir, log=workdir / "stdout.log")
            server = RunningServer("virtuoso", process, root, f"{root}/sparql", f"{root}/sparql-graph-crud-auth",
                                   user=VIRTUOSO_USER, password=VIRTUOSO_PASSWORD, workdir=workdir, log=log,
                                   extra={"sql_port": str(sql_port)})
            try:
                if _wait_ready(server, f"{root}/sparql", ready_timeout):
                    yield server
                    return
            finally:
                server.stop()
        raise ServerFailed(f"virtuoso did not start after 3 attempts:\n{_tail(log)}")


# --- process handling ----------------------------------------------------------------------------------

def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to send SIGTERM to this child when its parent dies (no orphaned servers)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG = 1


def _spawn(argv: list[str], *, cwd: Path, log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)


def _wait_ready(server: RunningServer, query_url: str, timeout: float) -> bool:
    """Poll ``ASK {}`` until the server answers 200; False if the process exited first (port taken?)."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if not server.alive():
                return False
            with contextlib.suppress(httpx.HTTPError):
                response = client.get(query_url, params={"query": "ASK {}"},
                                      headers={"Accept": "application/sparql-results+json"})
                if response.status_code == 200:
                    return True
            time.sleep(0.05)
    raise ServerFailed(f"{server.kind} did not answer within {timeout:.0f} s:\n{server.log_tail()}")


def _stop(process: subprocess.Popen, timeout: float) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait()


def _tail(path: Path | None, lines: int = 20) -> str:
    if path is None or not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
