"""Write docs/benchmarks.md from the benchmark's results (the whole file, every run; never edit it by hand)."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

__all__ = ["README_END", "README_START", "readme_with_targets", "table", "targets", "write_markdown"]

README_START = "<!-- benchmark targets: generated from docs/benchmarks.json by scripts/bench.py --readme; do not edit -->"
README_END = "<!-- end of the benchmark targets -->"


def _f(value: float | None, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _size(n: int | str) -> str:
    n = int(n)
    return f"{n // 1_000_000} M" if n >= 1_000_000 else f"{n // 1000} k"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def targets(results: dict, nlogn: Callable) -> list[list[str]]:
    """The issue's targets: what was asked, what was measured, met or not."""
    rows = []
    sparql = results.get("sparql", {}).get("100000") or next(iter(results.get("sparql", {}).values()), None)
    if sparql:
        size = "100 k" if "100000" in results["sparql"] else "(smaller size)"
        g = sparql["geomean_speedup"]
        rows.append(["catalogue queries: embedded store ≥ 20× rdflib (geometric mean of p50, 100 k)",
                     f"{_f(g, 1)}× at {size}", "met" if g and g >= 20 else "MISSED"])
    shacl = results.get("shacl", {}).get("100000") or next(iter(results.get("shacl", {}).values()), None)
    if shacl and "jena" in shacl and "cryokg" in shacl:
        r = shacl["ratio_warm"]
        reference = (f"; pyshacl {_f(shacl['ratio_pyshacl'], 1)}× Jena" if shacl.get("ratio_pyshacl") else "")
        agree = "cryokg = pyshacl = Jena" if "pyshacl" in shacl else "cryokg = Jena"
        rows.append(["SHACL: cryokg within 3× of Jena warm (100 k), identical results",
                     f"{_f(r, 1)}× Jena ({_f(shacl['cryokg']['median_s'])} s vs {_f(shacl['jena']['median_s'])} s)"
                     f"{reference}; results {'identical' if shacl['results_equal'] else 'DIFFER'} "
                     f"({shacl['results_count']} results, {agree})",
                     "met" if r <= 3 and shacl["results_equal"] else "MISSED"])
    rows += _issue12_targets(results)
    http = results.get("http", {})
    ours, theirs = http.get("cryokg sparql c1"), http.get("rdflib-endpoint sparql c1")
    ours50, theirs50 = http.get("cryokg sparql c50"), http.get("rdflib-endpoint sparql c50")
    if ours and theirs and ours50 and theirs50:
        def ratio_text(a: dict, b: dict) -> tuple[float, str]:
            if b["requests"]:
                r = a["requests_per_s"] / b["requests_per_s"]
                return r, f"{_f(a['requests_per_s'], 1)} vs {_f(b['requests_per_s'], 1)} req/s = {_f(r, 1)}×"
            r = a["requests_per_s"] * http["seconds"]  # none finished: its rate is below 1 per run length
            return r, f"{_f(a['requests_per_s'], 1)} req/s vs none finished in {http['seconds']} s (> {_f(r, 1)}×)"

        r1, shown1 = ratio_text(ours, theirs)
        r50, shown50 = ratio_text(ours50, theirs50)
        rows.append(["HTTP SPARQL ≥ 10× the requests/s of rdflib-endpoint (varied queries, 1 and 50 clients)",
                     f"1 client: {shown1}; 50 clients: {shown50}", "met" if min(r1, r50) >= 10 else "MISSED"])
    page = http.get("cryokg page c50")
    if page:
        p99 = page.get("p99_ms") if page.get("requests") else None  # no request answered: nothing measured
        rows.append(["resource pages p99 < 20 ms with 50 clients", f"p99 {_f(p99, 1)} ms "
                     f"({_f(page['requests_per_s'], 0)} req/s)", "met" if p99 is not None and p99 < 20 else "MISSED"])
    real = results.get("real_build")
    if real:
        ok = all(e == 0 for e in real["exits"])
        rows.append(["real release: build + validate from a cold process < 3 s",
                     f"min {_f(real['min_s'])} s, median {_f(real['median_s'])} s over {real['runs']} runs"
                     + ("" if ok else f" (exit codes {real['exits']}: the real data does not conform yet)"),
                     "met" if real["median_s"] < 3 else "MISSED"])
    big = results.get("build", {}).get("1000000")
    if big:
        if "stages" in big:
            sizes = [int(s) for s, b in results["build"].items() if "stages" in b]
            pair = sorted(sizes)[-2:]
            worst = {k: v for k, v in results.get("slopes_last", results["slopes"]).items()
                     if v is not None and k not in ("peak memory",)}
            bad = sorted(k for k, v in worst.items() if nlogn(v, pair) is False)
            rows.append(["1 M triples: full build and validation finish; peak memory; no stage worse than n log n",
                         f"finished in {_f(big['total_s'])} s, peak {_f(big['peak_rss_mib_self'])} MiB; "
                         + (f"steeper than n log n from {_size(pair[0])} to {_size(pair[1])}: "
                            + ", ".join(f"{k} (slope {_f(worst[k])})" for k in bad) if bad else "every stage ≤ n log n"),
                         "met" if not bad else "MISSED"])
        else:
            rows.append(["1 M triples: full build and validation finish", "did not finish (see build section)",
                         "MISSED"])
    rows += _issue18_targets(results, nlogn)
    return rows


def _issue18_targets(results: dict, nlogn: Callable) -> list[list[str]]:
    """Issue 18: memory per triple at 1 M (both shapes), 10 M, serving at 1 M and 10 M, queries at 1 M, publish."""
    rows = []
    measured = []
    for shape, key in (("coding", "build"), ("foreign", "build_foreign")):
        build = results.get(key, {}).get("1000000")
        if build:
            value = _per_triple(build) if "stages" in build else None
            measured.append((shape, value))
    if measured:
        ok = all(v is not None and v <= 1024 for _, v in measured)
        rows.append(["peak RSS per asserted triple at 1 M ≤ 1 KB, synthetic and foreign-IRI shapes",
                     "; ".join(f"{shape}: {_f(v, 0) if v else 'did not finish'} bytes" for shape, v in measured),
                     "met" if ok else "MISSED"])
    builds = {int(k): v for k, v in results.get("build", {}).items()}
    big = max((k for k in builds if k >= 10_000_000), default=None)
    if big:
        b = builds[big]
        if "stages" in b:
            sizes = sorted(k for k, v in builds.items() if "stages" in v)
            pair = sizes[-2:]
            last = {k: v for k, v in results.get("slopes_last", {}).items() if v is not None and k != "peak memory"}
            bad = sorted(k for k, v in last.items() if nlogn(v, pair) is False)
            rows.append([f"{_size(big)} built, validated and exported; no stage worse than n log n from "
                         f"{_size(pair[0])}", f"{_f(b['total_s'] / 60, 1)} min, peak {_f(b['peak_rss_mib_self'], 0)} MiB"
                         + (f"; steeper: {', '.join(f'{k} ({_f(last[k])})' for k in bad)}" if bad else
                            "; every stage ≤ n log n"), "met" if not bad else "MISSED"])
        else:
            rows.append([f"{_size(big)} built", f"did not finish: {b.get('last_stage')}", "MISSED"])
    by_size = results.get("http_by_size", {})
    for size in ("1000000", str(big) if big else ""):
        http = by_size.get(size)
        if not http or "cryokg page c50" not in http:
            continue
        page = http["cryokg page c50"]
        ours, theirs = http.get("cryokg sparql c50", {}), http.get("rdflib-endpoint sparql c50")
        ratio = (f"SPARQL {_f(ours.get('requests_per_s'), 1)} vs {_f(theirs['requests_per_s'], 1)} req/s"
                 if theirs else f"rdflib-endpoint: {http.get('rdflib-endpoint', 'not run')}")
        starts = http.get("cryokg_startup") or [{}]
        answered = page.get("requests", 0) > 0 and ours.get("requests", 0) > 0  # wrk reports 0 ms for none
        # At 1 M the comparison is part of the target: measured, or rdflib-endpoint's failure to load measured
        # (a skipped comparison is neither).
        compared = (ours.get("requests_per_s", 0) >= 10 * max(theirs["requests_per_s"], 0.1) if theirs else
                    str(http.get("rdflib-endpoint", "")).startswith("failed to start"))
        ok = answered and page.get("p99_ms", 99) < 20 and (size != "1000000" or compared)
        shown = (f"p99 {_f(page.get('p99_ms'), 1)} ms" if answered else
                 f"no answer within wrk's 10 s timeout in {http.get('seconds')} s runs (pages: {page.get('requests', 0)}, "
                 f"SPARQL: {ours.get('requests', 0)} requests): not measured")
        rows.append([f"serving {_size(size)}: pages p99 < 20 ms at 50 clients; SPARQL ≥ 10× rdflib-endpoint "
                     "(1 M); start-up", f"{shown}; {ratio}; start-up "
                     + ", ".join(f"{_f(s.get('startup_s'))} s" for s in starts), "met" if ok else "MISSED"])
    sparql = results.get("sparql", {}).get("1000000")
    if sparql:
        queries = sparql["queries"]
        slower = [n for n, q in queries.items()
                  if not q["rdflib"].get("timed_out") and (q.get("speedup_p50") or 0) < 1]
        over = [n for n, q in queries.items()
                if q["oxigraph"].get("timed_out") or (q["oxigraph"].get("p50_ms") or 0) >= 200]
        # Over the target is met only with its reason measured: a floor (the least work the answer needs,
        # scripts/bench_sparql.FLOORS) that alone takes 200 ms or more.
        floors = {n: queries[n].get("floor") or {} for n in over}
        unexplained = [n for n in over if floors[n].get("timed_out") is not False
                       or (floors[n].get("p50_ms") or 0) < 200]
        shown = ("every query < 200 ms" if not over else
                 "; ".join(f"{n} {_f(queries[n]['oxigraph'].get('p50_ms'), 0)} ms"
                           + (f" (floor {_f(floors[n]['p50_ms'], 0)} ms: {floors[n]['what']}, "
                              f"{floors[n]['rows']:,} rows)" if floors[n].get("p50_ms") else " (no floor measured)")
                           for n in over))
        if slower:
            shown += "; slower than rdflib: " + ", ".join(slower)
        rows.append(["every catalogue query at 1 M: embedded ≥ rdflib, and < 200 ms (p50) or a measured floor "
                     "≥ 200 ms", shown, "met" if not slower and not unexplained else "MISSED"])
    publish = results.get("publish", {})
    for size, v in sorted(publish.items(), key=lambda kv: int(kv[0])):
        shown = []
        for kind in ("oxigraph", "virtuoso"):
            entry = v.get(kind, {})
            if "load" in entry:
                shown.append(f"{kind} {_f(entry['load']['wall_s'])} s, client {_f(entry['load']['peak_rss_mib'], 0)} "
                             f"MiB, query {_f(entry.get('catalogue_query', {}).get('median_ms'))} ms")
            else:
                shown.append(f"{kind}: {entry.get('skipped', 'not run')[:60]}")
        ok = all(v.get(k, {}).get("served_triples") == v["triples"] for k in ("oxigraph", "virtuoso"))
        rows.append([f"publish {_size(size)} in chunks into Oxigraph and Virtuoso, flat client memory",
                     "; ".join(shown), "met" if ok else "MISSED"])
    return rows


SUITE_OUTCOMES = ("pass", "unsupported", "refused", "wrong", "crash")
"""The outcomes of one W3C SHACL suite entry (tests/w3c_shacl.py), in the order the report lists them."""


def _suite_engine(suite: dict, prefix: str) -> tuple[str, dict] | None:
    return next(((name, counts) for name, counts in suite.items() if name.startswith(prefix)), None)


def _issue12_targets(results: dict) -> list[list[str]]:
    """Issue 12: cryokg's SHACL engine no slower than Jena warm at 100 k and 1 M with identical results; on the
    W3C suite, auto passes at least as many entries as pyshacl and the engine never answers wrong or crashes."""
    rows = []
    shacl = results.get("shacl", {})
    measured = {size: shacl[size] for size in ("100000", "1000000")
                if "jena" in shacl.get(size, {}) and "cryokg" in shacl.get(size, {})}
    if measured:
        shown = "; ".join(f"{_size(size)}: {_f(v['ratio_warm'])}× Jena ({_f(v['cryokg']['median_s'])} s vs "
                          f"{_f(v['jena']['median_s'])} s), results {'identical' if v['results_equal'] else 'DIFFER'}"
                          for size, v in measured.items())
        ok = all(v["ratio_warm"] <= 1 and v["results_equal"] for v in measured.values())
        missing = [_size(size) for size in ("100000", "1000000") if size not in measured]
        if missing:
            shown += f"; not measured at {', '.join(missing)}"
        rows.append(["SHACL: cryokg no slower than Jena warm at 100 k and 1 M, identical results", shown,
                     "MISSED" if not ok else "met" if not missing else "not measured"])
    suite = results.get("shacl_suite")
    if suite:
        auto, ours, reference = (_suite_engine(suite, prefix) for prefix in (
            "cryokg validate --engine auto", "cryokg validate --engine cryokg", "pyshacl (direct)"))
        if auto and ours and reference:
            passes = {name: counts.get("pass", 0) for name, counts in (auto, ours, reference)}
            bad = ours[1].get("wrong", 0) + ours[1].get("crash", 0)
            total = sum(ours[1].values())
            rows.append(["W3C SHACL suite: `--engine auto` passes at least as many entries as pyshacl; "
                         "`--engine cryokg` never wrong, never crashes",
                         f"auto {passes[auto[0]]}/{total}, pyshacl {passes[reference[0]]}/{total}; cryokg "
                         f"{passes[ours[0]]}/{total} with {ours[1].get('wrong', 0)} wrong and "
                         f"{ours[1].get('crash', 0)} crashed ({ours[1].get('unsupported', 0)} declared unsupported)",
                         "met" if passes[auto[0]] >= passes[reference[0]] and not bad else "MISSED"])
    return rows


def _build_section(results: dict, nlogn: Callable) -> str:
    builds = {int(k): v for k, v in results.get("build", {}).items()}
    done = {k: v for k, v in builds.items() if "stages" in v}
    if not builds:
        return ""
    sizes = sorted(done)
    stages = list(dict.fromkeys(s for k in sizes for s in done[k]["stages"]))
    last = results.get("slopes_last", {})
    pair = sizes[-2:]
    header = ["stage", *[_size(s) for s in sizes], "slope, all sizes", f"slope {' → '.join(_size(s) for s in pair)}",
              "≤ n log n"]
    rows = []
    for stage in [*stages, "total"]:
        values = [done[s]["stages"].get(stage) if stage != "total" else done[s]["total_s"] for s in sizes]
        local = last.get(stage)
        bound = nlogn(local, pair)
        rows.append([stage, *[_f(v) for v in values], _f(results["slopes"].get(stage)), _f(local),
                     "–" if bound is None else ("yes" if bound else "**NO**")])
    rows.append(["peak RSS (MiB)", *[_f(done[s]["peak_rss_mib_self"], 0) for s in sizes],
                 _f(results["slopes"].get("peak memory")), _f(last.get("peak memory")), ""])
    rows.append(["peak RSS per asserted triple (bytes)", *[_f(_per_triple(done[s]), 0) for s in sizes], "", "", ""])
    rows.append(["where the sources were held", *[done[s].get("store", "rdflib memory store") for s in sizes],
                 "", "", ""])
    rows.append(["load average after the child", *[_load(done[s].get("load_average")) for s in sizes], "", "", ""])
    rows.append(["triples (asserted / with inferences)", *[f"{done[s]['triples']:,} / {done[s]['inferred_triples']:,}"
                                                            for s in sizes], "", "", ""])
    rows.append(["validation", *[done[s]["validation"]["summary"] if done[s].get("validation") else "–"
                                 for s in sizes], "", "", ""])
    text = "## Build stages (seconds, one child process per size)\n\n" + table(header, rows)
    text += ("\nThe slope is the least-squares slope of log(time) against log(triples): 1 means time grows in "
             "proportion to size, 2 quadratically. The check against n log n uses the slope between the two largest "
             "sizes (n log n is about 1.08 there; 0.15 is allowed for noise), because a fit over all sizes hides "
             "growth that only starts at scale. Each size runs in its own process (`scripts/bench_build.py`), which "
             "reports its own peak RSS (`VmHWM`). A stage missing at one size was added to the child script "
             "after that size's run.\n")
    failed = {k: v for k, v in builds.items() if "stages" not in v}
    for size, value in failed.items():
        child = value.get("failed") or {}
        why = ("killed at the time limit" if child.get("timed_out") else
               "out of memory (killed by signal 9 without the time limit)" if child.get("exit") == -9 else
               f"exit status {child.get('exit')}")
        text += (f"\n**{_size(size)} did not finish**: {why}, after {_f(child.get('wall_s'))} s, peak RSS "
                 f"{_f(child.get('peak_rss_mib'), 0)} MiB; last stage reached: `{value.get('last_stage')}`.\n\n"
                 f"```\n{value.get('log_tail', '')}\n```\n")
    reused = [s for s in sizes if done[s].get("reused")]
    if reused:
        text += (f"\nThe build stages of {', '.join(_size(s) for s in reused)} were reused from an earlier run of the "
                 "same child script on the same synthetic sources (`--reuse`), started while the rest of the "
                 "benchmark was being written, so that the whole report fits in one session.\n")
    return text


def _per_triple(build: dict) -> float | None:
    peak, triples = build.get("peak_rss_mib_self"), build.get("triples")
    return peak * 2**20 / triples if peak and triples else None


def _load(value: object) -> str:
    return ", ".join(f"{x:.1f}" for x in value) if isinstance(value, list | tuple) else "–"


def _memory_section(results: dict) -> str:
    """Peak RSS per asserted triple, both synthetic shapes (issue 18: at most 1 KB at 1 M)."""
    rows = []
    for shape, key in (("coding", "build"), ("foreign", "build_foreign")):
        for size, build in sorted(results.get(key, {}).items(), key=lambda kv: int(kv[0])):
            if "stages" in build:
                rows.append([shape, _size(size), f"{build['triples']:,}", _f(build["peak_rss_mib_self"], 0),
                             _f(build.get("peak_rss_mib_assembled"), 0), _f(_per_triple(build), 0),
                             build.get("store", "rdflib memory store"), _f(build["total_s"]),
                             _load(build.get("load_average"))])
            else:
                child = build.get("failed") or {}
                rows.append([shape, _size(size), "–", _f(child.get("peak_rss_mib"), 0), "–", "–", "–",
                             f"did not finish ({build.get('last_stage')})", _load(build.get("load_average"))])
    if not rows:
        return ""
    foreign = results.get("build_foreign", {})
    stages = ""
    if foreign:
        done = {k: v for k, v in foreign.items() if "stages" in v}
        if done:
            sizes = sorted(done, key=int)
            names = list(dict.fromkeys(n for k in sizes for n in done[k]["stages"]))
            stages = ("\nStages of the foreign shape (seconds):\n\n"
                      + table(["stage", *[_size(k) for k in sizes]],
                               [[n, *[_f(done[k]["stages"].get(n)) for k in sizes]] for n in names]))
    return ("## Memory: peak RSS per asserted triple\n\n"
            + table(["shape", "size", "triples", "peak RSS MiB", "peak after validation MiB", "bytes per triple",
                      "sources held in", "total s", "load average"], rows)
            + "\nThe *coding* shape is `cryokg synth`'s default; *foreign* (`--shape foreign`) is half of it plus an "
            "imported anatomy of foreign IRIs with kilobyte definitions. Sources above "
            "`cryokg.sources.load.STORE_ON_DISK_BYTES` are held in an on-disk pyoxigraph store instead of rdflib; "
            "every writer and export streams.\n" + stages + "\n")


def _publish_section(results: dict) -> str:
    publish = results.get("publish")
    if not publish:
        return ""
    rows = []
    for size, v in sorted(publish.items(), key=lambda kv: int(kv[0])):
        for kind in ("oxigraph", "virtuoso"):
            entry = v.get(kind, {})
            if "skipped" in entry:
                rows.append([_size(size), kind, "skipped", entry["skipped"][:120], "", "", ""])
                continue
            load, query = entry.get("load", {}), entry.get("catalogue_query", {})
            rows.append([_size(size), kind, _f(load.get("wall_s")), _f(load.get("peak_rss_mib"), 0),
                         f"{entry.get('served_triples', '–')} of {v['triples']}", _f(query.get("median_ms")),
                         str(load.get("exit"))])
    return ("## Publishing into triple stores\n\n"
            + table(["release", "store", "load s", "client peak RSS MiB", "triples served", "code-attributes ms",
                      "exit"], rows)
            + "\n`cryokg publish --no-verify` as a child process (its wall time and peak RSS, `VmHWM`): the release's "
            "`cryokg.nt` goes in chunks of 100,000 triples read from the file (the first PUT replaces the graph, "
            "the rest are POSTed), so the client's memory does not grow with the release. Then the served triples "
            "are counted, and the catalogue query `code-attributes` is timed on the store (median of 5) through the "
            "SPARQL protocol. The stores are private instances on loopback (`tests/stores.py`).\n\n")


def _startup_text(http: dict) -> str:
    starts = http.get("cryokg_startup") or []
    text = ""
    if starts:
        text += ("`cryokg serve` start-up (until it answers a query): "
                 + "; ".join(f"start {n + 1}: {_f(s.get('startup_s'))} s, {_f(s.get('rss_mib'), 0)} MiB resident "
                             "(server and workers)" for n, s in enumerate(starts)) + ". ")
    if http.get("rdflib_endpoint_startup_s") is not None:
        text += f"rdflib-endpoint start-up: {_f(http['rdflib_endpoint_startup_s'])} s. "
    if isinstance(http.get("rdflib-endpoint"), str):
        text += f"rdflib-endpoint: {http['rdflib-endpoint']}. "
    return text + ("\n\n" if text else "")


def _real_section(results: dict) -> str:
    real = results.get("real_build")
    if not real:
        return ""
    stages = real.get("stages") or {}
    breakdown = ""
    if stages.get("stages"):
        breakdown = ("Where a build of the real sources spends its time (one child process, "
                     f"{stages['triples']:,} triples, {stages['inferred_triples']:,} with inferences):\n\n"
                     + table(["stage", "seconds"], [[k, _f(v)] for k, v in stages["stages"].items()]) + "\n")
    return ("## The real release, cold\n\n`cryokg build` on the project's own sources, each run in a fresh "
            f"process (imports, parsing, reasoning, validation, writing): {', '.join(_f(w) for w in real['wall_s'])} s; "
            f"min {_f(real['min_s'])} s, median {_f(real['median_s'])} s; exit codes {real['exits']}; peak RSS "
            f"{_f(real['peak_rss_mib'], 0)} MiB.\n\n" + breakdown)


def _shacl_section(results: dict) -> str:
    shacl = {k: v for k, v in results.get("shacl", {}).items() if "cryokg" in v}
    if not shacl:
        return ""
    rows = []
    for size, v in sorted(shacl.items(), key=lambda kv: int(kv[0])):
        jena, reference = v.get("jena", {}), v.get("pyshacl", {})
        turbo = v.get("pyshacl-turbo") if isinstance(v.get("pyshacl-turbo"), dict) else {}
        rows.append([_size(size), f"{v['triples']:,}", _f(v["cryokg"]["median_s"]), _f(reference.get("median_s")),
                     _f(turbo.get("median_s")), _f(jena.get("median_s")), _f(jena["times_s"][0]) if jena else "–",
                     _f(jena.get("load_s")), _f(jena.get("process_s")), _f(v.get("ratio_warm")),
                     _f(v.get("ratio_pyshacl"), 1), _f(v.get("ratio_turbo"), 1), str(v["results_count"]),
                     {True: "yes", False: "NO", None: "–"}[v.get("results_equal")],
                     {True: "yes", False: "NO", None: "–"}[v.get("turbo_equal")]])
    header = ["size", "triples", "cryokg s", "pyshacl s", "pyshacl-turbo s", "Jena warm s", "Jena 1st run s",
              "Jena parse s", "Jena process s", "cryokg / Jena", "pyshacl / Jena", "pyshacl-turbo / Jena", "results",
              "identical", "pyshacl-turbo identical"]
    not_installed = sorted({v["pyshacl-turbo"] for v in shacl.values() if isinstance(v.get("pyshacl-turbo"), str)})
    turbo_differs = [(size, v.get("only_turbo")) for size, v in sorted(shacl.items(), key=lambda kv: int(kv[0]))
                     if v.get("turbo_equal") is False]
    return ("## SHACL validation: cryokg's engine, pyshacl and pyshacl-turbo vs Apache Jena\n\n" + table(header, rows)
            + "\nSame data (the synthetic graph with 12 injected violations of Core and SHACL-SPARQL shapes) and "
            "the same shapes (ontology/shapes/*.ttl merged). cryokg's engine (`cryokg.check.shacl`, the default of "
            "`cryokg build` and `cryokg validate`) and pyshacl (the reference, `--engine pyshacl`; timed up to "
            "`--pyshacl-max`) run through `cryokg.check.validation.validate_graph` on data parsed once; each cryokg "
            "run builds its own index and pyoxigraph store. pyshacl-turbo (a Rust engine with pyshacl's API, the "
            "`bench` extra) gets the same rdflib graphs through its `validate` (at most 3 runs, median). Jena runs "
            "in one JVM (`scripts/bench_jena/ShaclBench.java`): parse once, validate several times; *warm* is the "
            "median of the runs after the first, and cryokg's time is the median of its runs. Results are compared "
            "as sets of (focus node, path, constraint component, severity, value); *identical* means cryokg, "
            "pyshacl (where timed) and Jena agree; pyshacl-turbo is compared with cryokg's results on its own.\n\n"
            + "".join(f"pyshacl-turbo: {why}.\n\n" for why in not_installed)
            + "".join(f"pyshacl-turbo's results differ at {_size(size)}; some only it reports: `{only}`.\n\n"
                      for size, only in turbo_differs))


def _suite_section(results: dict) -> str:
    suite = results.get("shacl_suite")
    if not suite:
        return ""
    rows = [[name, *(str(counts.get(outcome, 0)) for outcome in SUITE_OUTCOMES), str(sum(counts.values()))]
            for name, counts in suite.items()]
    return ("## The W3C SHACL test suite, every engine\n\n" + table(["engine", *SUITE_OUTCOMES, "entries"], rows)
            + "\nThe core and sparql `sht:Validate` entries of the W3C SHACL test suite (w3c/data-shapes, as shipped in "
            "pyshacl's source distribution), judged as `tests/test_w3c_shacl.py` judges them: the expected "
            "`sh:conforms` and the multiset of (focus node, path, shape, constraint component, severity, value) "
            "must both match. *unsupported*: the engine declared it cannot evaluate the shapes (`auto` then falls "
            "back to pyshacl); *refused*: a clear error where the suite expects a report; *wrong*: a confident "
            "answer that differs; *crash*: any other failure. The `cryokg validate` rows include its "
            "SHACL-for-SHACL check of the shapes; pyshacl, pyshacl-turbo and Jena (a cold `shacl validate` per "
            "entry) are called directly on each test file.\n\n")


def _sparql_section(results: dict) -> str:
    sparql = results.get("sparql", {})
    text = ""
    for size, v in sorted(sparql.items(), key=lambda kv: int(kv[0])):
        rows = []
        limit = v.get("timeout_s", 60)
        for name, q in v["queries"].items():
            cells = []
            for engine in ("oxigraph", "rdflib"):
                e = q[engine]
                if e.get("timed_out"):
                    cells += [f"**> {limit:.0f} s** (timed out)", "–"]
                else:
                    cells += [_f(e["p50_ms"]), _f(e["p99_ms"])]
            if q["oxigraph"].get("timed_out"):
                speed = "– (both too slow)" if q["rdflib"].get("timed_out") else f"{_f(q['speedup_p50'], 2)}×"
            else:
                digits = 0 if q["speedup_p50"] >= 10 else 2
                speed = ("≥ " if q["rdflib"].get("timed_out") else "") + f"{_f(q['speedup_p50'], digits)}×"
            rows.append([name, *cells, speed, f"{q['oxigraph']['n']}/{q['rdflib']['n']}"])
        floors = [f"`{name}` {_f(q['floor']['p50_ms'], 0)} ms ({q['floor']['what']}; {q['floor']['rows']:,} rows)"
                  for name, q in v["queries"].items() if q.get("floor", {}).get("p50_ms") is not None]
        s = v["suggest"]
        rows.append(["**suggest**", _f(s["oxigraph"]["p50_ms"]), _f(s["oxigraph"]["p99_ms"]), _f(s["rdflib"]["p50_ms"]),
                     _f(s["rdflib"]["p99_ms"]), f"{_f(s['speedup_p50'], 0)}×", f"{s['oxigraph']['n']}/{s['rdflib']['n']}"])
        header = ["query", "oxigraph p50 ms", "p99 ms", "rdflib p50 ms", "p99 ms", "speedup (p50)", "calls"]
        text += (f"## SPARQL at {_size(size)} ({v['quads']:,} quads): embedded store vs rdflib in memory\n\n"
                 + table(header, rows)
                 + f"\nGeometric mean speedup of the catalogue queries: **{_f(v['geomean_speedup'], 1)}×**. "
                 f"Loading: pyoxigraph {_f(v['load_s']['oxigraph'])} s, copying into rdflib "
                 f"{_f(v['load_s']['rdflib_copy'])} s. Each call binds different parameters (codes, nerves, labels "
                 "drawn from the data); both engines get the same sequence; `suggest` builds its label index on the "
                 f"first call ({_f(s['oxigraph']['first_call_ms'])} ms vs {_f(s['rdflib']['first_call_ms'])} ms), "
                 "which is left out of p50/p99.\n\n"
                 + ("Floors of the queries over 200 ms (p50 on the embedded store of the least work their answer "
                    "needs, `scripts/bench_sparql.py` FLOORS): " + "; ".join(floors) + ".\n\n" if floors else ""))
    return text


def _http_section(results: dict) -> str:
    by_size = results.get("http_by_size") or ({str(results["http"].get("size")): results["http"]}
                                              if results.get("http") else {})
    return "".join(_http_table(http) for _, http in sorted(by_size.items(), key=lambda kv: int(kv[0])))


def _http_table(http: dict) -> str:
    if "skipped" in http:
        return f"## HTTP\n\nSkipped: {http['skipped']}\n\n"
    rows = []
    for key, v in http.items():
        if isinstance(v, dict) and "requests_per_s" in v:
            rows.append([key, _f(v["requests_per_s"], 1), str(v["requests"]), _f(v.get("p50_ms")), _f(v.get("p99_ms")),
                         str(v["non_2xx"]), v["socket_errors"] or "–"])
    header = ["server, request, connections", "req/s", "requests", "p50 ms", "p99 ms", "non-2xx", "socket errors"]
    return (f"## HTTP on loopback ({_size(http['size'])} release, wrk, {http['seconds']} s per run)\n\n"
            + table(header, rows)
            + f"\nRequests cycle through {http['requests_varied']} different targets (nerve pages, code Turtle "
            "documents, the code-attributes catalogue query bound to different codes); *one-query* repeats a single "
            f"query, the case a parsed-query cache flatters. Answers of the two servers equal: {http.get('answers_equal')}. "
            "wrk runs on the same 2-core machine as the server and takes CPU from it. Load average before the run: "
            f"{_load(http.get('load_average'))}.\n\n" + _startup_text(http))


def _profile_section(results: dict) -> str:
    prof = results.get("profile")
    if not prof:
        return ""
    rows = [[r["shape"], r["kind"], _f(r["seconds"]), _f(r.get("above_setup_s")), str(r["focus_nodes_direct"]),
             str(r["results"])] for r in prof["shacl_by_shape"]]
    total = sum(r.get("above_setup_s", 0) for r in prof["shacl_by_shape"])
    text = (f"## Profiles ({prof['triples']:,} triples, the smallest size)\n\n### Validation time per shape\n\n"
            "Each targeted shape validated alone by cryokg's engine (the other shapes' targets removed); the first "
            "row is what a run costs with no shape targeted (the engine's set-up: compiling the shapes and indexing "
            f"the data). Sum of the time above set-up: {_f(total)} s.\n\n"
            + table(["shape", "kind", "seconds", "above set-up", "direct targets", "results"], rows))
    for title, key, wall in (("validation (cryokg's SHACL engine)", "validation_top", "validation_wall_s"),
                             ("OWL 2 RL reasoning (owlrl)", "reasoning_top", "reasoning_wall_s")):
        rows = [[f"`{r['function']}`", str(r["calls"]), _f(r["tottime_s"]), _f(r["cumtime_s"])] for r in prof[key]]
        text += (f"\n### cProfile: {title} ({_f(prof[wall])} s under the profiler)\n\n"
                 + table(["function", "calls", "own s", "cumulative s"], rows))
    if prof.get("endpoint_check_ms"):
        text += ("\n### The SPARQL endpoint's safety check, per query (ms, median of 5 different texts)\n\n"
                 + table(["check", "ms"], [[k, _f(v)] for k, v in prof["endpoint_check_ms"].items()]))
    return text + "\n"


def readme_with_targets(readme: str, summary: str) -> str:
    """*readme* with the block between README_START and README_END replaced by the targets table *summary*."""
    head, found, rest = readme.partition(README_START)
    _, found_end, tail = rest.partition(README_END)
    if not (found and found_end):
        raise SystemExit(f"the README has no block between {README_START!r} and {README_END!r}")
    return f"{head}{README_START}\n\n{summary}\n{README_END}{tail}"


def write_markdown(results: dict, path: Path, *, nlogn: Callable, analysis: str = "") -> str:
    """Write the report; return the summary table (also printed by the script)."""
    from bench_analysis import analysis_text

    env = results["environment"]
    summary = table(["target", "measured", "status"], targets(results, nlogn))
    text = ("# Benchmarks\n\n<!-- Generated by scripts/bench.py - do not edit; rerun the script. -->\n\n"
            f"Command: `{results['command']}` (seed {results['seed']}; sizes "
            f"{', '.join(_size(s) for s in results['sizes'])}; total {_f(results['wall_s'] / 60, 1)} min).\n\n"
            f"Machine: {env['cpus']} CPUs, {env['memory_mib']:,} MiB, {env['platform']}, Python {env['python']}; "
            f"{', '.join(f'{k} {v}' for k, v in env['versions'].items() if v)}; git {env['git']}; started "
            f"{env['started']}. Load average at start {tuple(round(x, 1) for x in env['load_average_start'])}, at end "
            f"{tuple(round(x, 1) for x in env['load_average_end'])}: the machine is shared with other work, so wall "
            "times carry noise; ratios measured back to back are steadier than absolute times.\n\n"
            + "".join(f"Re-run later and merged (`--merge`): `{r['command']}` for the sections {', '.join(r['sections'])}, "
                      f"started {r['environment']['started']}, load average at start "
                      f"{tuple(round(x, 1) for x in r['environment']['load_average_start'])}.\n\n"
                      for r in results.get("reruns", []))
            + "## Targets\n\n" + summary + "\n" + analysis_text(results) + "\n"
            + _build_section(results, nlogn) + "\n" + _real_section(results) + _shacl_section(results)
            + _suite_section(results)
            + _memory_section(results) + _sparql_section(results) + _http_section(results) + _publish_section(results)
            + _profile_section(results))
    if results["mismatches"]:
        text += "## Answers that differed\n\n" + "".join(f"- {m}\n" for m in results["mismatches"])
        for name, why in results.get("known_reference_bugs", {}).items():
            text += f"\n`{name}`: {why}\n"
        text += "\n"
    text += ("## How to run\n\n```\n.venv/bin/cryokg synth --triples 100000 --seed 0 --out /tmp/g.nt   # one graph\n"
             ".venv/bin/python scripts/bench.py --quick                 # 10 k, short runs\n"
             ".venv/bin/python scripts/bench.py --sizes 10000,100000    # without 1 M\n"
             ".venv/bin/python scripts/bench.py                         # full: 10 k, 100 k, 1 M\n```\n\n"
             "Needs: the project's virtualenv (`.[test]`), `pip install -e '.[bench]'` (rdflib-endpoint for "
             "the HTTP comparison, pyshacl-turbo for the SHACL one), "
             "Debian `wrk` (HTTP load), `libapache-jena-java default-jre-headless` and a JDK's `javac` for warm "
             "Jena timings (without `javac` the cold `shacl` command is timed). Sections can be chosen with "
             "`--sections build,real,shacl,suite,sparql,http,memory,scale,publish,profile`; `--scale-size 0` leaves "
             "the 10 M build out.\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return summary
