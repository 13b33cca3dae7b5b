#!/usr/bin/env python3
"""Latency of the catalogue queries and of ``suggest`` on the embedded store (pyoxigraph) against rdflib's
in-memory store, in one process, on the same data.

Each catalogue query runs with its default parameters; ``suggest`` runs over every nerve and plexus in turn
(label index built once per engine beforehand, as a server would). Every measurement is repeated ``--repeat``
times after one warm-up run; the table gives p50 and p99 in milliseconds and the rdflib/oxigraph ratio.

    .venv/bin/python scripts/bench_queries.py --repeat 20
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cryokg.answer.catalogue import QUERIES_DIR, bind_parameters, load_catalogue  # noqa: E402
from cryokg.answer.code_selection import SiteError, suggest  # noqa: E402
from cryokg.answer.matching import label_index  # noqa: E402
from cryokg.answer.store import Engine, RdflibEngine, load_store, to_rdflib_dataset  # noqa: E402
from cryokg.namespaces import CRYO  # noqa: E402
from cryokg.sources.load import DEFAULT_SOURCES  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def measure(call: Callable[[], object], repeat: int) -> list[float]:
    call()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def suggest_all(engine: Engine, sites: list[str]) -> Callable[[], None]:
    def run() -> None:
        for site in sites:
            with contextlib.suppress(SiteError):
                suggest(engine, site)
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per measurement (default 20)")
    parser.add_argument("--release", type=Path, default=ROOT / "build", help="release folder (default build/)")
    parser.add_argument("--sources", type=Path, default=DEFAULT_SOURCES, help="sources folder")
    parser.add_argument("--catalogue", type=Path, default=QUERIES_DIR, help="folder of .rq files")
    parser.add_argument("--only", nargs="*", help="catalogue queries to time (default: all)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", DeprecationWarning)  # rdflib's Dataset warns on every quad

    start = time.perf_counter()
    loaded = load_store(release=args.release, sources=args.sources)
    load_ox = time.perf_counter() - start
    start = time.perf_counter()
    dataset = to_rdflib_dataset(loaded.store)
    load_rdflib = time.perf_counter() - start
    engines: dict[str, Engine] = {"oxigraph": loaded.engine, "rdflib": RdflibEngine(dataset)}
    catalogue = load_catalogue(args.catalogue)
    names = args.only or list(catalogue)
    for engine in engines.values():
        label_index(engine)
    index = label_index(loaded.engine)
    sites = sorted(index.label(s) for s in index.of_type(CRYO.Nerve, CRYO.NervePlexus))

    gc.collect()
    gc.freeze()  # keep collection pauses of the loaded graphs out of the p99
    rows = []
    for name in names:
        text = bind_parameters(catalogue[name], {}, loaded.engine)
        timing = {e: measure(lambda e=e, text=text: engines[e].query(text), args.repeat) for e in engines}
        rows.append((f"query {name}", timing))
    timing = {e: [t / max(len(sites), 1) for t in measure(suggest_all(engines[e], sites), max(args.repeat // 4, 3))]
              for e in engines}
    rows.append((f"suggest (mean of {len(sites)} sites)", timing))

    report = [{"measure": label, **{f"{e}_p50_ms": round(statistics.median(t), 3) for e, t in timing.items()},
               **{f"{e}_p99_ms": round(percentile(t, 0.99), 3) for e, t in timing.items()},
               "ratio_p50": round(statistics.median(timing["rdflib"]) / max(statistics.median(timing["oxigraph"]),
                                                                              1e-9), 1)}
              for label, timing in rows]
    if args.json:
        print(json.dumps({"triples": len(loaded.store), "load_s": {"oxigraph": load_ox, "rdflib": load_rdflib},
                          "repeat": args.repeat, "results": report}, indent=2))
        return 0
    print(f"store: {len(loaded.store)} quads from {loaded.origin}; load {load_ox * 1000:.0f} ms (oxigraph), "
          f"+{load_rdflib * 1000:.0f} ms to copy into rdflib; {args.repeat} runs each\n")
    width = max(len(r["measure"]) for r in report)
    head = f"{'measure':<{width}}  {'oxigraph p50':>12}  {'p99':>8}  {'rdflib p50':>10}  {'p99':>8}  {'ratio':>7}"
    print(head)
    print("-" * len(head))
    for r in report:
        print(f"{r['measure']:<{width}}  {r['oxigraph_p50_ms']:>12.3f}  {r['oxigraph_p99_ms']:>8.3f}  "
              f"{r['rdflib_p50_ms']:>10.3f}  {r['rdflib_p99_ms']:>8.3f}  {r['ratio_p50']:>6.1f}x")
    print("\nmilliseconds; ratio = rdflib p50 / oxigraph p50")
    return 0


if __name__ == "__main__":
    sys.exit(main())
