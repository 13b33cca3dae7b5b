"""SPARQL section of the benchmark: every catalogue query and ``suggest`` on the embedded store (pyoxigraph)
against rdflib's in-memory engine, on the same quads.

Both engines are the project's own (:class:`cryokg.answer.store.OxigraphEngine` and :class:`cryokg.answer.store.RdflibEngine`)
over the same data: :func:`cryokg.answer.store.load_store` on a sources folder (the union as the default graph plus
one named graph per file), copied into an rdflib ``Dataset`` with :func:`cryokg.answer.store.to_rdflib_dataset`.
Parameters vary from call to call (a different code or nerve each time, the same sequence on both engines),
so no engine is measured on one cached answer. Every answer is compared with
:func:`cryokg.answer.agreement.compare`; a difference is recorded and makes the run fail.
"""

from __future__ import annotations

import math
import multiprocessing
import random
import time
from pathlib import Path

__all__ = ["FLOORS", "TARGET_MS", "percentile", "run_sparql", "sample_parameters"]

#: The issue's target for every catalogue query at 1 M triples (p50 on the embedded store).
TARGET_MS = 200.0

_PREFIXES = ("PREFIX cryo: <https://w3id.org/cryokg/def/>\n"
             "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n")

#: For a catalogue query over :data:`TARGET_MS`, the least work its answer needs, as a query timed the same way
#: on the same engine: when this floor alone takes the budget, no plan of the query can meet the target, and
#: that is the measured reason. ``nerve-codes`` and ``nerves-in-scope`` have one row per nerve (38 k at 1 M):
#: listing the structures with their labels, no join, is their floor. ``triples-per-file`` counts every quad
#: of every source graph: counting them, without grouping, is its floor.
FLOORS = {
    "nerve-codes": ("list every nerve and plexus with its English label (part of the answer, no join)",
                    _PREFIXES + "SELECT ?structure ?label WHERE { VALUES ?type { cryo:Nerve cryo:NervePlexus } "
                    "?structure a ?type . OPTIONAL { ?structure skos:prefLabel ?label . "
                    'FILTER(LANGMATCHES(LANG(?label), "en")) } }'),
    "triples-per-file": ("count every quad of the named graphs, without grouping",
                         "SELECT (COUNT(*) AS ?triples) WHERE { GRAPH ?graph { ?s ?p ?o } }"),
}
FLOORS["nerves-in-scope"] = FLOORS["nerve-codes"]


def percentile(values: list[float], q: float) -> float:
    """The *q* quantile (0..1) by linear interpolation; with few samples p99 is close to the maximum."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def sample_parameters(engine, *, count: int, seed: int) -> dict[str, list[str]]:
    """Values for the catalogue's parameters, drawn from the data: family codes, nerves, resources."""
    rng = random.Random(seed)
    codes = sorted(str(r["n"]) for r in engine.select(
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#> SELECT ?n WHERE { ?c skos:broader ?f ; skos:notation ?n }"))
    nerves = sorted(str(r["s"]) for r in engine.select(
        "PREFIX cryo: <https://w3id.org/cryokg/def/> SELECT ?s WHERE { { ?s a cryo:Nerve } UNION { ?s a cryo:NervePlexus } }"))
    labels = sorted(str(r["l"]) for r in engine.select(
        "PREFIX cryo: <https://w3id.org/cryokg/def/> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
        "SELECT ?l WHERE { ?s a cryo:Nerve ; skos:prefLabel ?l }"))

    def draw(pool: list[str]) -> list[str]:
        return [rng.choice(pool) for _ in range(count)] if pool else []

    return {"code": draw(codes), "nerve": draw(nerves), "resource": draw(nerves), "label": draw(labels)}


def _bound_texts(query, engine, params: dict[str, list[str]], count: int) -> list[str]:
    from cryokg.answer.catalogue import bind_parameters

    texts = []
    for i in range(count):
        values = {p.name: params[p.name][i] for p in query.parameters if params.get(p.name)}
        texts.append(bind_parameters(query, values, engine))
    return texts


def _time_forked(func, inputs: list, budget_s: float, timeout_s: float) -> tuple[list[float], list, bool]:
    """Time *func* on *inputs* (until *budget_s* is spent) in a forked child, killed after *timeout_s*.

    The child shares the loaded stores copy-on-write.

    A query that is quadratic on one engine must not stall the whole benchmark: the timings of the calls that
    finished are kept, and ``timed_out`` says the engine did not finish the minimum number of calls in time.
    """
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def child() -> None:
        times, answers = [], []
        try:
            for item in inputs:
                start = time.perf_counter()
                answers.append(func(item))
                times.append(time.perf_counter() - start)
                send.send(("one", times[-1], answers[-1]))
                if sum(times) > budget_s and len(times) >= 1:
                    break
        finally:
            send.send(("done", None, None))

    process = context.Process(target=child, daemon=True)
    process.start()
    send.close()
    times, answers, timed_out = [], [], False
    deadline = time.monotonic() + timeout_s
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not receive.poll(left):
            timed_out = True
            break
        try:
            kind, elapsed, answer = receive.recv()
        except EOFError:
            break
        if kind == "done":
            break
        times.append(elapsed)
        answers.append(answer)
    if process.is_alive():
        process.kill()
    process.join()
    return times, answers, timed_out and not times


def _stats(times: list[float]) -> dict:
    return {"n": len(times), "p50_ms": percentile(times, 0.5) * 1000, "p99_ms": percentile(times, 0.99) * 1000}


def run_sparql(sources: Path, *, reps: int, budget_s: float, timeout_s: float = 120.0, seed: int = 1) -> dict:
    """Time every catalogue query and ``suggest`` on both engines; compare every answer."""
    from cryokg.answer.agreement import compare
    from cryokg.answer.catalogue import load_catalogue
    from cryokg.answer.code_selection import SiteError, suggest
    from cryokg.answer.store import RdflibEngine, load_store, to_rdflib_dataset

    start = time.perf_counter()
    loaded = load_store(release=Path("/nonexistent-release"), sources=sources)
    ox_load = time.perf_counter() - start
    fast = loaded.engine
    start = time.perf_counter()
    slow = RdflibEngine(to_rdflib_dataset(loaded.store))
    rdflib_load = time.perf_counter() - start
    params = sample_parameters(fast, count=reps, seed=seed)
    catalogue = load_catalogue(sources / "queries")
    queries, mismatches = {}, []
    for name, query in catalogue.items():
        texts = _bound_texts(query, fast, params, reps)
        fast_times, fast_answers, fast_out = _time_forked(fast.query, texts, budget_s, timeout_s)
        slow_times, slow_answers, slow_out = _time_forked(slow.query, texts, budget_s, timeout_s)
        for text, expected, actual in zip(texts, slow_answers, fast_answers, strict=False):  # calls both finished
            difference = compare(expected, actual, text)
            if difference:
                mismatches.append(f"{name}: {difference}")
                break
        rows = len(fast_answers[0].rows) if fast_answers and fast_answers[0].kind == "select" else None
        fast_p50 = percentile(fast_times, 0.5) if fast_times else timeout_s
        slow_p50 = percentile(slow_times, 0.5) if slow_times else timeout_s
        queries[name] = {"oxigraph": {**_stats(fast_times), "timed_out": fast_out},
                         "rdflib": {**_stats(slow_times), "timed_out": slow_out}, "rows_first": rows,
                         "speedup_p50": slow_p50 / max(fast_p50, 1e-9),
                         "speedup_is_lower_bound": slow_out and not fast_out}
        if fast_p50 * 1000 >= TARGET_MS and name in FLOORS:
            what, floor_text = FLOORS[name]
            floor_times, floor_answers, floor_out = _time_forked(fast.query, [floor_text] * reps, budget_s, timeout_s)
            queries[name]["floor"] = {"what": what, "query": floor_text, **_stats(floor_times), "timed_out": floor_out,
                                      "rows": len(floor_answers[0].rows) if floor_answers else None}
    labels = params["label"]
    suggest_result = {}
    answers = {}

    def answer(engine, text: str) -> dict:
        """suggest's answer, or its refusal (a synthetic label such as "palmar digital nerve 116.12" is read
        without its numbers and names no nerve): both are answers, compared between the engines."""
        try:
            return suggest(engine, text).to_json()
        except SiteError as exc:
            return {"refused": str(exc)}

    for engine in (fast, slow):
        first = time.perf_counter()
        answers_first = answer(engine, labels[0])  # builds the label index once per engine
        cold = time.perf_counter() - first
        times, out, _ = _time_forked(lambda text, engine=engine: answer(engine, text), labels, budget_s, timeout_s)
        suggest_result[engine.name] = {**_stats(times), "first_call_ms": cold * 1000}
        answers[engine.name] = [answers_first, *out]
    shared = min(len(answers["oxigraph"]), len(answers["rdflib"]))
    if answers["oxigraph"][:shared] != answers["rdflib"][:shared]:
        mismatches.append("suggest: answers differ between oxigraph and rdflib")
    suggest_result["speedup_p50"] = suggest_result["rdflib"]["p50_ms"] / max(suggest_result["oxigraph"]["p50_ms"], 1e-9)
    speedups = [q["speedup_p50"] for q in queries.values()]
    return {"load_s": {"oxigraph": ox_load, "rdflib_copy": rdflib_load}, "quads": len(loaded.store),
            "queries": queries, "suggest": suggest_result, "mismatches": mismatches,
            "geomean_speedup": math.exp(sum(math.log(s) for s in speedups) / len(speedups)) if speedups else None,
            "example_parameters": {k: v[:3] for k, v in params.items()}}


if __name__ == "__main__":  # a quick look: python scripts/bench_sparql.py SOURCES_DIR
    import json
    import sys

    print(json.dumps(run_sparql(Path(sys.argv[1]), reps=5, budget_s=2.0, timeout_s=20), indent=1, default=str))
