"""HTTP section of the benchmark: ``cryokg serve`` against ``rdflib-endpoint`` on loopback, with ``wrk``.

Both servers serve the same release (``cryokg build`` output: ``cryokg serve --build DIR`` and
``rdflib-endpoint serve DIR/cryokg.nt``), each listening on 127.0.0.1 only and stopped by its PID on every
exit path. Load comes from ``wrk`` (Debian ``wrk``) for a fixed duration with 1 and then 50 connections; its
Lua script cycles through a list of different requests (a different nerve page, code document or query
parameter each time), because rdflib-endpoint caches parsed queries and looks far better on one repeated
query than on real traffic (see shared/notes/performance.md). Each request kind is timed on its own.
rdflib-endpoint has no resource pages or documents, so only SPARQL is compared; pages and Turtle documents
are reported for cryokg alone.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

__all__ = ["parse_wrk", "run_http", "server", "wrk"]

VENV_BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def server(argv: list[str], ready_url: str, *, timeout: float = 300.0, log: Path,
           timings: dict | None = None) -> Iterator[subprocess.Popen]:
    """Start a server, wait until *ready_url* answers 200, stop it by PID (TERM, then KILL) on exit; the seconds
    from start to the first answer go to ``timings["startup_s"]``."""
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = started + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(ready_url, timeout=5) as response:
                    if response.status == 200:
                        if timings is not None:
                            timings["startup_s"] = time.monotonic() - started
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready after {timeout} s: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # its own session: the server and its query workers
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


_LUA = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1], {["Accept"] = "%s"})
end
"""


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_wrk(output: str) -> dict:
    """Requests/s and latency percentiles (ms) from ``wrk --latency`` output."""
    def millis(value: str) -> float:
        number, unit = re.match(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]

    percentiles = {f"p{p}_ms": millis(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.M)}
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {"requests_per_s": float(rps.group(1)) if rps else 0.0, "requests": int(total.group(1)) if total else 0,
            "non_2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1).strip() if socket_errors else "", **percentiles}


def wrk(base_url: str, paths: list[str], *, accept: str, connections: int, seconds: int) -> dict:
    """One bounded wrk run (fixed duration, at most 2 threads) over *paths*, in order, round robin."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_LUA % (", ".join(_lua_string(p) for p in paths), accept))
    try:
        threads = min(2, connections)
        proc = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
                               "--latency", "-s", script.name, base_url], capture_output=True, text=True,
                              check=True, timeout=seconds + 60)
    finally:
        os.unlink(script.name)
    return parse_wrk(proc.stdout)


def _requests(release: Path, sources: Path, count: int) -> dict[str, list[str]]:
    """Varied request targets drawn from the release: nerve pages, code documents, bound catalogue queries, and
    what a person types into the search box letter by letter (prefixes of the nerves' labels, 2 to 12 characters:
    the suggestion requests of search as you type)."""
    from bench_sparql import sample_parameters
    from cryokg.answer.catalogue import bind_parameters, load_catalogue
    from cryokg.answer.store import load_store

    engine = load_store(release=release, sources=None).engine
    params = sample_parameters(engine, count=count, seed=3)
    base = "https://w3id.org/cryokg/"
    pages = ["/" + iri[len(base):] for iri in params["nerve"] if iri.startswith(base)]
    docs = [f"/id/code/{code}.ttl" for code in params["code"]]
    query = load_catalogue(sources / "queries")["code-attributes"]
    texts = [bind_parameters(query, {"code": code}, engine) for code in params["code"]]
    labels = [str(row["label"]) for row in engine.select(
        "SELECT ?label WHERE { ?n a <https://w3id.org/cryokg/def/Nerve> ; "
        "<http://www.w3.org/2004/02/skos/core#prefLabel> ?label } ORDER BY ?label")]
    typed = [label[:n] for label in labels for n in range(2, min(len(label), 12) + 1)][:count * 4]
    return {"page": pages, "turtle": docs, "sparql": [urllib.parse.quote(t, safe="") for t in texts],
            "suggestions": [urllib.parse.quote(t, safe="") for t in typed]}


def _same_answers(cryokg_url: str, other_url: str, quoted: list[str]) -> bool | str:
    """Ask both servers the same queries (both must be up) and compare the answers by meaning."""
    from cryokg.answer.agreement import compare
    from cryokg.publish.sparql_client import EndpointEngine

    for text in (urllib.parse.unquote(q) for q in quoted):
        difference = compare(EndpointEngine(cryokg_url).query(text), EndpointEngine(other_url).query(text), text)
        if difference:
            return difference
    return True


def _rss_mib(pid: int) -> float:
    """Resident memory of a process and its children (the server and its query workers), MiB."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(entry.name) == pid or int(stat[1]) == pid or int(stat[3]) == pid:  # itself, children, group
                total += int(stat[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
    return total / 2**20


def startup(release: Path, *, work: Path, runs: int = 2) -> list[dict]:
    """``cryokg serve`` started *runs* times on the release: seconds until it answers, and its memory then (the
    first start of a large release builds its on-disk store; later starts open it)."""
    found = []
    for n in range(runs):
        url = f"http://127.0.0.1:{_free_port()}"
        argv = [str(VENV_BIN / "cryokg"), "serve", "--build", str(release), "--host", "127.0.0.1",
                "--port", url.rsplit(":", 1)[1], "--workers", "2"]
        timings: dict = {}
        with server(argv, f"{url}/sparql?query=ASK%7B%7D", timeout=3600, log=work / f"cryokg-startup-{n}.log",
                    timings=timings) as process:
            timings["rss_mib"] = _rss_mib(process.pid)
        found.append(timings)
    return found


def run_http(release: Path, sources: Path, *, seconds: int, work: Path, count: int = 200,
             rdflib_endpoint: bool = True) -> dict:
    """The HTTP table: cryokg (pages, Turtle, SPARQL, search suggestions) and rdflib-endpoint (SPARQL), 1 and 50
    connections.

    Both servers are up together only for the answer check; each load test runs while the other server idles.
    rdflib-endpoint is left out with *rdflib_endpoint* false (above 1 M triples: rdflib holds about 1.2 KB a
    triple); when it does not come up, how it failed is the result.
    """
    if shutil.which("wrk") is None:
        return {"skipped": "wrk is not installed (apt-get install -y wrk)"}
    results: dict[str, object] = {"cryokg_startup": startup(release, work=work)}
    targets = _requests(release, sources, count)
    results.update({"requests_varied": {k: len(v) for k, v in targets.items()}, "seconds": seconds})
    endpoint = VENV_BIN / "rdflib-endpoint"
    if not rdflib_endpoint:
        results["rdflib-endpoint"] = "not run at this size: rdflib holds about 1.2 KB a triple in memory"
        endpoint = Path("/nonexistent")
    ours, theirs = f"http://127.0.0.1:{_free_port()}", f"http://127.0.0.1:{_free_port()}"
    cryokg_argv = [str(VENV_BIN / "cryokg"), "serve", "--build", str(release), "--host", "127.0.0.1",
                   "--port", ours.rsplit(":", 1)[1], "--workers", "2"]
    with contextlib.ExitStack() as stack:
        stack.enter_context(server(cryokg_argv, f"{ours}/sparql?query=ASK%7B%7D", log=work / "cryokg-serve.log",
                                   timeout=3600))  # at 10 M the start-up (store, browse model) takes minutes
        if endpoint.exists():
            argv = [str(endpoint), "serve", str(release / "cryokg.nt"), "--host", "127.0.0.1",
                    "--port", theirs.rsplit(":", 1)[1]]
            timings: dict = {}
            try:
                stack.enter_context(server(argv, f"{theirs}/?query=ASK%7B%7D", log=work / "rdflib-endpoint.log",
                                           timeout=1800, timings=timings))
            except RuntimeError as exc:  # it did not load the release: that is the measurement
                results["rdflib-endpoint"] = f"failed to start: {str(exc)[-600:]}"
                endpoint = Path("/nonexistent")
            else:
                results["rdflib_endpoint_startup_s"] = timings.get("startup_s")
                results["answers_equal"] = _same_answers(f"{ours}/sparql", f"{theirs}/", targets["sparql"][:5])
        elif "rdflib-endpoint" not in results:
            results["rdflib-endpoint"] = "skipped: pip install rdflib-endpoint"
        for kind, accept, prefix in (("page", "text/html", ""), ("turtle", "text/turtle", ""),
                                     ("sparql", "application/sparql-results+json", "/sparql?query="),
                                     ("suggestions", "application/json", "/search/suggestions?q=")):
            paths = [prefix + t for t in targets[kind]]
            for connections in (1, 50):
                results[f"cryokg {kind} c{connections}"] = wrk(ours, paths, accept=accept, connections=connections,
                                                               seconds=seconds)
        results["cryokg sparql one-query c50"] = wrk(ours, ["/sparql?query=" + targets["sparql"][0]],
                                                     accept="application/sparql-results+json", connections=50,
                                                     seconds=seconds)
        if endpoint.exists():
            paths = ["/?query=" + t for t in targets["sparql"]]
            for connections in (1, 50):
                results[f"rdflib-endpoint sparql c{connections}"] = wrk(
                    theirs, paths, accept="application/sparql-results+json", connections=connections, seconds=seconds)
            results["rdflib-endpoint sparql one-query c50"] = wrk(
                theirs, paths[:1], accept="application/sparql-results+json", connections=50, seconds=seconds)
    return results
