"""Profiles for the benchmark report: where validation, reasoning and the SPARQL endpoint spend their time.

* :func:`shacl_by_shape` validates once per targeted shape (every other shape's targets removed, so shapes
  used through ``sh:node`` or qualified value shapes stay available), which says which shapes to rewrite;
* :func:`cprofile_top` runs a function under cProfile and returns the heaviest functions by cumulative time,
  as ``module:line(function)`` rows, ready for the Markdown report.
"""

from __future__ import annotations

import cProfile
import pstats
import time
from collections.abc import Callable

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

__all__ = ["TARGETS", "cprofile_top", "shacl_by_shape"]

TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)


def shacl_by_shape(data: Graph, shapes: Graph) -> list[dict]:
    """Seconds of validation (cryokg's engine) per targeted shape, heaviest first, with its constraint kinds."""
    from cryokg.check.validation import validate_graph

    targeted = sorted({s for p in TARGETS for s in shapes.subjects(p, None) if isinstance(s, URIRef)}, key=str)
    untargeted = Graph()
    for triple in shapes:
        if triple[1] not in TARGETS:
            untargeted.add(triple)
    start = time.perf_counter()
    validate_graph(data, untargeted)  # what every run pays whatever it checks: the set-up
    baseline = time.perf_counter() - start
    rows = [{"shape": "(set-up: no shape targeted)", "seconds": baseline, "kind": "", "results": 0,
             "focus_nodes_direct": 0, "above_setup_s": 0.0}]
    for shape in targeted:
        only = Graph()
        for s, p, o in shapes:
            if p in TARGETS and s != shape:
                continue
            only.add((s, p, o))
        start = time.perf_counter()
        outcome = validate_graph(data, only)
        seconds = time.perf_counter() - start
        kinds = "SHACL-SPARQL" if (shape, SH.sparql, None) in shapes else "Core"
        targets = sum(1 for p in TARGETS for o in shapes.objects(shape, p)
                      for _ in (data.subjects(RDF.type, o) if p == SH.targetClass else [o]))
        rows.append({"shape": shapes.namespace_manager.normalizeUri(shape), "seconds": seconds, "kind": kinds,
                     "results": len(outcome.results), "focus_nodes_direct": targets,
                     "above_setup_s": max(0.0, seconds - baseline)})
    rows.sort(key=lambda r: -r["seconds"])
    return rows


def cprofile_top(func: Callable[[], object], *, limit: int = 12, strip: tuple[str, ...] = ()) -> tuple[float, list[dict]]:
    """Run *func* under cProfile; its wall time and the *limit* heaviest functions by cumulative time."""
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    func()
    profile.disable()
    wall = time.perf_counter() - start
    stats = pstats.Stats(profile)
    rows = []
    for (filename, line, name), (_cc, calls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = filename
        for prefix in ("site-packages/", "src/", *strip):
            if prefix in where:
                where = where.split(prefix, 1)[1]
        rows.append({"function": f"{where}:{line}({name})", "calls": calls, "tottime_s": tottime,
                     "cumtime_s": cumtime})
    rows.sort(key=lambda r: -r["cumtime_s"])
    skip = ("<built-in method builtins.exec>", "cprofile_top", "<lambda>", "{built-in method")
    return wall, [r for r in rows if not any(s in r["function"] for s in skip)][:limit]


def check_query_cost(query_text: str, repeats: int = 5) -> dict:
    """Milliseconds the endpoint's pre-evaluation safety checks (cryokg.publish.web.security) take per query: the lexer
    (on the event loop), the plain-text test and the full check (in a worker; the rdflib parse runs only for
    texts that are not plain), and the rdflib parse alone, which plain texts skip."""
    try:
        from cryokg.publish.web.security import _lexer_check, _rdflib_check, check_query, is_plain
    except ImportError:
        return {}
    out = {}
    for name, func in (("lexer only", _lexer_check), ("is_plain", is_plain),
                       ("full check (check_query)", check_query), ("rdflib parse (skipped when plain)", _rdflib_check)):
        times = []
        for i in range(repeats):
            start = time.perf_counter()
            func(f"{query_text}\n# {i}")  # a different text each time, as real traffic is
            times.append(time.perf_counter() - start)
        out[name] = 1000 * sorted(times)[len(times) // 2]
    return out
