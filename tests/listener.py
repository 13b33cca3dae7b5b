"""Loopback helpers for tests: a TCP listener that counts the connections it receives (the witness of every
"no outbound connection" test: SERVICE/LOAD/FROM in SPARQL, remote JSON-LD contexts, external XML entities),
and a bounded wait for a server process the test started to answer HTTP."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

JSONLD_CONTEXT_REPLY = (b"HTTP/1.1 200 OK\r\nContent-Type: application/ld+json\r\nContent-Length: 16\r\n"
                        b"Connection: close\r\n\r\n" b'{"@context": {}}')


class Listener:
    """Listens on 127.0.0.1 on a free port; answers each connection with *reply* (if any) and closes it."""

    def __init__(self, *, path: str = "", reply: bytes = b"") -> None:
        self.path = path
        self.reply = reply
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            with conn:
                if self.reply:
                    conn.sendall(self.reply)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


def wait_for_http(process: subprocess.Popen, url: str, *, what: str, attempts: int = 100, pause: float = 0.05,
                  log: Path | None = None) -> None:
    """Poll *url* until it answers; fail the test (with the server's output) if *process* exits or never answers."""
    for _ in range(attempts):
        if process.poll() is not None:
            output = log.read_text() if log else (process.stderr.read().decode() if process.stderr else "")
            pytest.fail(f"{what} exited:\n{output}")
        try:
            urllib.request.urlopen(url + "/", timeout=2).close()
            return
        except (urllib.error.URLError, OSError):
            time.sleep(pause)
    pytest.fail(f"{what} did not answer on {url}" + (f":\n{log.read_text()}" if log else ""))
