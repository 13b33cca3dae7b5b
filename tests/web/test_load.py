"""``cryokg serve`` under load, on loopback: a real uvicorn process driven by an async client (issue 8).

- 5 000 requests from 50 concurrent clients, a seeded mix of HTML resource pages (50 %), Turtle documents
  (45 %) and the parameter-free catalogue SPARQL queries (5 %: some take a few hundred milliseconds, and two
  worker processes answer them, so more would make the run long rather than the test stronger): zero
  errors, and the resident memory of the server and its SPARQL workers stays flat (under 10 % growth from
  the end of the first quarter of the run to its end);
- 20 clients that send half a request and stall, and one that stops reading a large download, do not block
  anyone: normal requests are all answered while those connections are still open, and the server then
  drops them (``--request-timeout``).

The figures (requests, errors, p50/p99 latency, RSS) are printed for the release notes.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import statistics
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from rdflib import Graph, URIRef
from tests.web.live import LiveServer, serving

pytestmark = pytest.mark.slow

REQUESTS = 5_000
CONCURRENCY = 50
WARM_UP = 300
STALLED = 20
REQUEST_TIMEOUT = 4.0  # the server's --request-timeout in these tests
MAX_GROWTH = 0.10




def _descendants(pid: int) -> list[int]:
    """*pid* and every process below it (the SPARQL workers), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def rss_kib(pid: int) -> int:
    """Resident memory (VmRSS, KiB) of *pid* and all its descendants."""
    total = 0
    for proc in _descendants(pid):
        try:
            for line in Path(f"/proc/{proc}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


@pytest.fixture(scope="module")
def server(release_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``cryokg serve`` as a real process with two workers and this module's request deadline (overrides the
    conftest ``server``)."""
    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc to read the server's resident memory")
    with serving(release_dir, tmp_path_factory.mktemp("serve"), "--workers", "2", "--timeout", "10",
                 "--request-timeout", str(REQUEST_TIMEOUT)) as live:
        yield live


def _request_mix(release_dir: Path, count: int, seed: int) -> list[tuple[str, dict[str, str]]]:
    """(path with query, headers) for *count* requests: pages, Turtle documents, catalogue queries."""
    from cryokg.answer.catalogue import load_catalogue

    graph = Graph().parse(release_dir / "cryokg.nt", format="nt")
    base = json.loads((release_dir / "manifest.json").read_text())["base_iri"]
    paths = sorted({"/" + str(s)[len(base):] for s in graph.subjects()
                    if isinstance(s, URIRef) and str(s).startswith(base + "id/")})
    assert len(paths) > 50, "the release has too few resources for a load test"
    queries = [q.text for q in load_catalogue().values() if not q.parameters]
    assert queries, "no parameter-free catalogue query to send"
    rng = random.Random(seed)
    mix = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.50:
            mix.append((rng.choice(paths), {"Accept": "text/html"}))
        elif roll < 0.95:
            mix.append((rng.choice(paths), {"Accept": "text/turtle"}))
        else:
            query = urllib.parse.urlencode({"query": rng.choice(queries)})
            mix.append((f"/sparql?{query}", {"Accept": "application/sparql-results+json, text/turtle;q=0.9"}))
    return mix


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    rss: dict[str, int] = field(default_factory=dict)


async def _drive(url: str, mix: list[tuple[str, dict[str, str]]], pid: int, *, sample: bool) -> Run:
    run = Run()
    todo = iter(enumerate(mix))
    quarter = len(mix) // 4
    done = 0
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        async def worker() -> None:
            nonlocal done
            for _index, (path, headers) in todo:
                start = time.perf_counter()
                try:
                    response = await client.get(path, headers=headers)
                    await response.aread()
                    if response.status_code != 200:
                        run.errors.append(f"{response.status_code} {path[:100]}")
                except httpx.HTTPError as exc:
                    run.errors.append(f"{type(exc).__name__} {path[:100]}")
                run.latencies.append(time.perf_counter() - start)
                done += 1
                if sample and done in (quarter, len(mix)):
                    run.rss["first quarter" if done == quarter else "end"] = rss_kib(pid)

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return run


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def test_5000_requests_no_error_and_flat_memory(server: LiveServer, release_dir: Path, capsys) -> None:
    pid = server.proc.pid
    asyncio.run(_drive(server.url, _request_mix(release_dir, WARM_UP, seed=1), pid, sample=False))
    start_rss = rss_kib(pid)
    started = time.perf_counter()
    run = asyncio.run(_drive(server.url, _request_mix(release_dir, REQUESTS, seed=20261127), pid, sample=True))
    elapsed = time.perf_counter() - started
    growth = run.rss["end"] / run.rss["first quarter"] - 1
    with capsys.disabled():
        print(f"\nload: {REQUESTS} requests, {CONCURRENCY} concurrent clients, {len(run.errors)} errors, "
              f"{REQUESTS / elapsed:.0f} req/s; latency p50 {statistics.median(run.latencies) * 1000:.1f} ms, "
              f"p99 {_percentile(run.latencies, 0.99) * 1000:.1f} ms; server+workers RSS after warm-up "
              f"{start_rss / 1024:.1f} MiB, after first quarter {run.rss['first quarter'] / 1024:.1f} MiB, "
              f"at end {run.rss['end'] / 1024:.1f} MiB ({growth:+.1%})")
    assert not run.errors, f"{len(run.errors)} failed requests, e.g. {run.errors[:5]}"
    assert len(run.latencies) == REQUESTS
    assert growth < MAX_GROWTH, f"server memory grew {growth:.1%} between the first quarter and the end"
    assert server.proc.poll() is None


def _half_request(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n")  # no blank line: stalls
    return sock


def _port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _is_open(sock: socket.socket) -> bool:
    """True when the server has neither closed nor answered *sock* (a non-blocking peek finds nothing)."""
    sock.setblocking(False)
    try:
        sock.recv(1, socket.MSG_PEEK)
        return False  # data (an answer) or b"" (closed)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


def _dropped_within(sock: socket.socket, seconds: float) -> bool:
    """Read until the server closes *sock*; False if it is still open after *seconds*."""
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
        return True
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def _kernel_send_buffer_max() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])
    except (OSError, IndexError, ValueError):
        return 4 * 1024 * 1024


def test_stalled_and_slow_clients_do_not_block_others(server: LiveServer, release_dir: Path, capsys) -> None:
    port = _port_of(server.url)
    stalled = [_half_request(port) for _ in range(STALLED)]
    # the stalled reader asks for more than the kernel's socket buffers can absorb (pipelined downloads), so
    # the server's writes back up; then it reads nothing
    length = len((release_dir / "cryokg.nt").read_bytes())
    copies = _kernel_send_buffer_max() // length + 3
    slow_reader = socket.socket()
    slow_reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow_reader.connect(("127.0.0.1", port))
    slow_reader.sendall(b"GET /release/cryokg.nt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" * copies)
    latencies = []
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for _ in range(50):
                start = time.perf_counter()
                response = client.get("/id/code/0440T", headers={"Accept": "text/turtle"})
                latencies.append(time.perf_counter() - start)
                assert response.status_code == 200
        still_open = sum(_is_open(sock) for sock in stalled)
        # normal requests were answered while the stalled clients still held their connections
        assert still_open == STALLED, f"only {still_open} of {STALLED} stalled connections were still open"
        dropped = sum(_dropped_within(sock, REQUEST_TIMEOUT + 20) for sock in stalled)
        time.sleep(REQUEST_TIMEOUT + 2)  # the slow reader has now stalled for longer than the deadline
        slow_reader.settimeout(10)
        received = b""
        try:
            while chunk := slow_reader.recv(1 << 20):
                received += chunk
        except (ConnectionResetError, TimeoutError):
            pass
    finally:
        for sock in [*stalled, slow_reader]:
            sock.close()
    with capsys.disabled():
        print(f"\nslow clients: {STALLED} half-sent requests and 1 stalled reader; 50 normal requests answered, "
              f"p50 {statistics.median(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms; "
              f"{dropped}/{STALLED} stalled connections dropped; the stalled reader got {len(received)} of "
              f"{copies * length} bytes before it was dropped")
    assert dropped == STALLED, f"the server kept {STALLED - dropped} half-sent requests open"
    assert len(received) < copies * length, "the server kept a client that stopped reading (it sent everything)"
    assert server.proc.poll() is None
