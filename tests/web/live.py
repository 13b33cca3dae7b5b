"""A live ``cryokg serve`` process for the web tests that talk to it over real sockets (a browser, a FHIR client,
the README's curl commands, load and hostile clients): the one place that starts and stops it."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.listener import wait_for_http
from tests.stores import free_port


@dataclass
class LiveServer:
    """A running ``cryokg serve`` process: its base URL, port and output log."""

    proc: subprocess.Popen[bytes]
    url: str
    port: int
    log: Path


@contextmanager
def serving(release_dir: Path, folder: Path, *options: str) -> Iterator[LiveServer]:
    """``cryokg serve --build release_dir`` as a real process on a free loopback port, with *options* (for example
    ``"--workers", "1"``); waits until it answers (up to two minutes), and stops it by SIGTERM, then SIGKILL.

    The one way the web tests start a live server, so a change to how ``serve`` starts or stops is made once."""
    port = free_port()
    log = folder / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "cryokg.cli", "serve", "--build", str(release_dir),
                                 "--host", "127.0.0.1", "--port", str(port), *options],
                                stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(proc, url, what="cryokg serve", attempts=1200, pause=0.1, log=log)
        yield LiveServer(proc, url, port, log)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
