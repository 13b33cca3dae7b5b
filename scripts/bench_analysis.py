"""The prose of docs/benchmarks.md that explains each missed target from the measured numbers.

Each paragraph states what the profile shows, what was tried in the benchmark itself, and what to change (and
where); the numbers are filled in from the run, so the text never goes stale against the tables below it.
"""

from __future__ import annotations

__all__ = ["analysis_text"]


def _f(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else (f"{value:,.0f}" if abs(value) >= 100 else f"{value:.{digits}f}")


def _sum_matching(rows: list[dict], needle: str) -> float:
    """Cumulative time of the outermost profiled function whose name contains *needle*."""
    return max((r["cumtime_s"] for r in rows if needle in r["function"]), default=0.0)


def _shacl(results: dict) -> str:
    shacl = results.get("shacl", {})
    size = "100000" if "100000" in shacl else next(iter(shacl), None)
    if size is None or "jena" not in shacl[size] or "cryokg" not in shacl[size]:
        return ""
    v = shacl[size]
    measured = {k: w for k, w in shacl.items() if "jena" in w and "cryokg" in w}
    met = all(w["ratio_warm"] <= 1 and w.get("results_equal") for w in measured.values())
    sizes = " and ".join(f"{int(k):,}" for k in sorted(measured, key=int))
    text = (f"**SHACL no slower than Jena warm (measured at {sizes} triples){'' if met else ': MISSED'}.** "
            + " ".join(f"At {int(k):,} triples cryokg's engine takes {_f(w['cryokg']['median_s'], 2)} s and Jena "
                       f"{_f(w['jena']['median_s'], 2)} s warm ({_f(w['ratio_warm'], 2)}×); the results are "
                       f"{'identical' if w.get('results_equal') else 'NOT identical'}."
                       for k, w in sorted(measured.items(), key=lambda kw: int(kw[0]))) + " ")
    if v.get("ratio_pyshacl"):
        text += (f"pyshacl, the engine cryokg used before and still the reference (`--engine pyshacl`), takes "
                 f"{_f(v['pyshacl']['median_s'])} s ({_f(v['ratio_pyshacl'])}× Jena) on the same input. ")
    if v.get("ratio_turbo"):
        text += (f"pyshacl-turbo takes {_f(v['pyshacl-turbo']['median_s'], 2)} s ({_f(v['ratio_turbo'])}× Jena). ")
    text += ("What closed the gap (`src/cryokg/check/shacl/`): pyshacl spent its time in rdflib's triple generators "
             "and in re-parsing and evaluating each SHACL-SPARQL query once per focus node. cryokg's engine compiles "
             "every shape into small check functions over a dictionary index of the data keyed by plain strings "
             "(rdflib terms compare through Python-level `__eq__`), remembers each node's conformance to shapes used "
             "through `sh:node`, `sh:xone` and qualified value shapes, and runs the SHACL-SPARQL constraints on a "
             "pyoxigraph store with `$this` pre-bound, one query per constraint where that gives the same answer. "
             "The store is loaded, and the queries run, in a thread while the Core constraints are checked "
             "(pyoxigraph works without Python's lock), so on two cores their cost mostly hides behind the Core "
             "pass. It evaluates SHACL Core (except `sh:lessThan[OrEquals]`) and `sh:sparql`/`sh:select`; shapes "
             "using anything else fall back to pyshacl. `tests/test_shacl_engine.py` checks that both engines give "
             "the same results on the release, every shape example, mutated synthetic graphs and random graphs "
             "against shapes using the Core features the project does not; `tests/test_w3c_shacl.py` runs the W3C "
             "SHACL suite.")
    prof = results.get("profile", {})
    shapes = [r for r in prof.get("shacl_by_shape", []) if r["kind"]][:3]
    if shapes:
        text += (" Heaviest shapes now (validated alone at the smallest size): "
                 + ", ".join(f"{r['shape']} ({r['kind']}, {_f(r['above_setup_s'], 3)} s above set-up)" for r in shapes)
                 + ".")
    return text + "\n\n"


def _http(results: dict) -> str:
    http = results.get("http", {})
    keys = ("cryokg sparql c1", "cryokg sparql c50", "rdflib-endpoint sparql c1", "rdflib-endpoint sparql c50")
    if not all(k in http for k in keys):
        return ""
    ours1, ours50, theirs1, theirs50 = (http[k] for k in keys)
    check = results.get("profile", {}).get("endpoint_check_ms", {})
    text = (f"**HTTP SPARQL.** cryokg answers {_f(ours1['requests_per_s'])} req/s with one client (p50 "
            f"{_f(ours1['p50_ms'], 2)} ms) and {_f(ours50['requests_per_s'])} req/s with 50; rdflib-endpoint "
            f"{_f(theirs1['requests_per_s'])} and {_f(theirs50['requests_per_s'])}. Each query is checked before "
            "it runs, in the worker (`cryokg.publish.web.security`; the worker itself cannot open sockets): a linear-time "
            "lexer refuses updates, `SERVICE` and `FROM`; rdflib's SPARQL parser, about 25 ms a query, runs only "
            "for texts the lexer cannot classify completely (`is_plain`: every word a SPARQL keyword or function, "
            "every name plain ASCII, no escapes), and refuses what it cannot parse. ")
    if check:
        text += ("Per query, measured on the catalogue's code-attributes text: "
                 + ", ".join(f"{k} {_f(v, 2)} ms" for k, v in check.items()) + ". ")
    page = http.get("cryokg page c50")
    if page:
        text += (f"\n\n**Resource pages{'' if page['p99_ms'] < 20 else ': p99 MISSED'}.** With 50 clients pages "
                 f"answer {_f(page['requests_per_s'])} req/s, p99 {_f(page['p99_ms'])} ms. The release is immutable "
                 "while served, so each rendered page and document is kept in a bounded LRU cache with a strong ETag "
                 "(a hit costs microseconds instead of a Starlette round trip), the garbage collector is frozen after "
                 "start-up, and uvicorn's access log is off unless `--access-log` (it cost a fifth of the throughput). "
                 "With 50 requests always in flight, Little's law puts the mean latency at 50 / throughput "
                 f"({_f(50_000 / page['requests_per_s'])} ms here), so p99 depends on the CPU that wrk, on the same "
                 "two cores, leaves the server.")
    return text + "\n\n"


def _real(results: dict) -> str:
    real = results.get("real_build")
    if not real or real["median_s"] < 3:
        return ""
    stages = (real.get("stages") or {}).get("stages", {})
    top = sorted(stages.items(), key=lambda kv: -kv[1])[:4]
    text = (f"**Real release under 3 s from a cold process.** `cryokg build` takes {_f(real['median_s'])} s "
            f"(median of {real['runs']}). ")
    if top:
        text += ("Its heaviest stages: " + ", ".join(f"{k} {_f(v, 2)} s" for k, v in top) + ". ")
    text += ("Proposal: apply the validation proposal above (the largest stage), skip re-validation when the "
             "sources' checksums match the last release's manifest, and write the exports and diagrams only when "
             "their input changed; Python start-up and imports alone cost about a second (rdflib, pyshacl, owlrl, "
             "networkx), so imports that only some stages need should stay inside those stages.\n\n")
    return text


def _scale(results: dict) -> str:
    big = results.get("build", {}).get("1000000")
    if not big:
        return ""
    if "stages" not in big:
        return ("**1 M triples.** The build did not finish within the time limit of one child process; the build "
                "section shows how far it got.\n\n")
    slopes = results.get("slopes_last", results.get("slopes", {}))
    steep = sorted(((k, v) for k, v in slopes.items() if v is not None and v > 1.23 and k != "peak memory"),
                   key=lambda kv: -kv[1])
    text = (f"**1 M triples.** The full build (load, reasoning, validation, every serialisation and export) "
            f"finished in {_f(big['total_s'] / 60)} min with a peak RSS of {_f(big['peak_rss_mib_self'] / 1024, 2)} GiB "
            f"({_f(big['peak_rss_mib_self'] * 1024 * 1024 / big['triples'], 0)} bytes per asserted triple). ")
    if steep:
        text += ("Stages growing faster than n log n between the two largest sizes: "
                 + ", ".join(f"{k} (slope {_f(v, 2)})" for k, v in steep) + ". ")
        if any(k == "validation" for k, _ in steep):
            text += ("Validation is the one that matters (it is most of the 1 M build): pyshacl re-evaluates node "
                     "shapes per focus node and value, and the graph-wide SHACL-SPARQL shape "
                     "(`cryosh:DescribedIriShape`) scans every term of the graph in rdflib; the validation proposal "
                     "above removes both costs from the Python path. ")
        if any(k == "diagrams" for k, _ in steep):
            text += ("The diagrams stage (Graphviz layout, not measured at 1 M because it was added to the child "
                     "script after that run) grows with the size of the drawn neighbourhoods; a release-size graph "
                     "should draw only fixed-size views (one code family, one nerve tree).")
    else:
        text += "No stage grows faster than n log n between the two largest sizes."
    return text + "\n\n"


def _sparql(results: dict) -> str:
    sparql = results.get("sparql", {})
    if not sparql:
        return ""
    size = max(sparql, key=int)
    queries = sparql[size]["queries"]
    slow = [n for n, q in queries.items() if q["oxigraph"].get("timed_out")]
    slower = [n for n, q in queries.items() if not q["oxigraph"].get("timed_out") and not q["rdflib"].get("timed_out")
              and q["speedup_p50"] < 1]
    if not slow and not slower:
        return ""
    text = f"**Catalogue queries at {int(size):,} triples.** "
    if slow:
        text += (", ".join(f"`{n}`" for n in slow) + " did not finish within the time limit on the embedded store; "
                 "these count as 1× in the geometric mean. ")
    if slower:
        text += (", ".join(f"`{n}` ({_f(queries[n]['oxigraph']['p50_ms'])} ms vs {_f(queries[n]['rdflib']['p50_ms'])} ms)"
                           for n in slower) + " is slower on pyoxigraph than on rdflib. ")
    return text + ("Earlier runs found two causes worth checking first: a result that grows faster than the graph, "
                   "and an `OPTIONAL` holding a `BIND`, which pyoxigraph evaluates over the whole graph (the comments "
                   "in `ontology/queries/siblings.rq` and `nerves-in-scope.rq`).\n\n")


def _mismatches(results: dict) -> str:
    if not any("suggest" in m for m in results.get("mismatches", [])):
        return ""
    return ("**suggest differs between engines.** rdflib drops the solution of a `VALUES` clause followed by "
            "`OPTIONAL` when the optional part does not match (RDFLib/rdflib#2332, open), so `suggest` on rdflib "
            "misses the structure's own sources, which pyoxigraph returns. The embedded store is right; "
            "`cryokg.answer.code_selection._SITE_QUERY` can avoid the pattern by moving its `VALUES` after the `OPTIONAL`s or by "
            "anchoring with a triple pattern first, so the reference engine agrees again.\n\n")


def analysis_text(results: dict) -> str:
    """Paragraphs for every missed target and every known difference, from the measured numbers."""
    parts = [_shacl(results), _http(results), _real(results), _scale(results), _sparql(results), _mismatches(results)]
    text = "".join(p for p in parts if p)
    return ("### How the targets were reached, or why not\n\n" + text) if text else ""
