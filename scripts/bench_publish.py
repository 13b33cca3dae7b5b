"""Publish section of the benchmark: ``cryokg publish`` of a built release into Oxigraph server and Virtuoso.

For each store (started on loopback by ``tests/stores.py``, the same helpers the publish tests use, and stopped by
PID), ``cryokg publish --no-verify`` runs as a child process: its wall time is the load, its peak RSS
(its ``VmHWM``) the client's memory, which must stay flat however large the release (it is sent in chunks read
from the file). Then the store's triple count is checked against the release, and one catalogue query
(``code-attributes``, bound to the family's first code) is timed on the store over HTTP (median of 5), with the
answer compared with the embedded store's.
"""

from __future__ import annotations

import functools
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests/stores.py: the servers' start and stop helpers

__all__ = ["run_publish"]

QUERY = "code-attributes"
VIRTUOSO_BUFFERS = 170_000
"""Virtuoso's page cache for the benchmark's loads: about 2 GB (its guide: 85,000 8 KB buffers per GB of RAM)."""


def _catalogue_query(release: Path, sources: Path) -> str:
    from cryokg.answer.catalogue import bind_parameters, load_catalogue
    from cryokg.answer.store import load_store

    engine = load_store(release=release, sources=None).engine
    return bind_parameters(load_catalogue(sources / "queries")[QUERY], {}, engine)


def _timed_query(server, graph: str, text: str, runs: int = 5) -> dict:
    from cryokg.publish.sparql_client import connect, sparql_query

    times, rows = [], 0
    with connect(user=server.user, password=server.password, timeout=600) as client:
        for _ in range(runs):
            start = time.perf_counter()
            answer = sparql_query(client, server.query_url, text, default_graph=graph, form="select")
            times.append(time.perf_counter() - start)
            rows = len(answer.rows)
    return {"median_ms": statistics.median(times) * 1000, "runs_ms": [t * 1000 for t in times], "rows": rows}


def _count(server, graph: str) -> int:
    from cryokg.publish.sparql_client import connect, sparql_query

    with connect(user=server.user, password=server.password, timeout=600) as client:
        answer = sparql_query(client, server.query_url,
                              f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", form="select")
    return int(str(answer.rows[0][0]))


def run_publish(release: Path, sources: Path, *, work: Path, run_child: Callable[..., dict], cryokg: str) -> dict:
    """Load time, client peak RSS and one catalogue query's time on Oxigraph server and on Virtuoso."""
    from tests.stores import ProgramMissing, ServerFailed, oxigraph_server, virtuoso_server

    from cryokg.publish.triplestore import default_graph

    manifest = json.loads((release / "manifest.json").read_text())
    expected = manifest["triples"]["asserted"]
    graph = default_graph(release)
    text = _catalogue_query(release, sources)
    results: dict = {"triples": expected, "query": QUERY}
    big_virtuoso = functools.partial(virtuoso_server, buffers=VIRTUOSO_BUFFERS, ready_timeout=300)
    for kind, start in (("oxigraph", oxigraph_server), ("virtuoso", big_virtuoso)):
        try:
            with start() as server:
                argv = [cryokg, "publish", "--endpoint", server.root_url, "--release", str(release), "--no-verify",
                        "--timeout", "3600", "--quiet"]
                if server.user:
                    argv += ["--user", server.user, "--password", server.password]
                child = run_child(argv, timeout_s=4 * 3600, log=work / f"publish-{kind}-{expected}.log")
                entry = {"load": child}
                if child["exit"] == 0:
                    entry["served_triples"] = _count(server, graph)
                    entry["catalogue_query"] = _timed_query(server, graph, text)
                results[kind] = entry
        except (ProgramMissing, ServerFailed) as exc:
            results[kind] = {"skipped": str(exc)[-400:]}
    return results
