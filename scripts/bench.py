#!/usr/bin/env python3
"""Benchmark cryokg against what users would otherwise pick, at 10 k, 100 k and 1 M triples (issue 7).

Sections, each on synthetic graphs from ``cryokg synth`` (same seed, same graph):

* build: every stage of ``cryokg build`` (load, reasoning, SHACL validation, each serialisation, each export)
  in a child process per size, with the child's peak RSS; plus ``cryokg build`` of the real sources from a
  cold process, several runs;
* shacl: cryokg's SHACL engine and pyshacl against Apache Jena's SHACL engine, warm, same data and shapes,
  results compared;
* sparql: every catalogue query and ``suggest``, embedded store (pyoxigraph) against rdflib in memory,
  p50/p99, answers compared;
* http: ``cryokg serve`` against ``rdflib-endpoint`` on loopback with wrk, 1 and 50 connections, varied requests,
  at 100 k, 1 M and the scale size, with each server's start-up time;
* memory: the build child on the ``foreign`` synthetic shape (foreign IRIs, kilobyte literals), for the peak RSS per
  asserted triple beside the ``coding`` shape's (the build section);
* scale: the build child at ``--scale-size`` (10 M by default; 0 leaves it out), served in the http section;
* publish: ``cryokg publish`` of a release into Oxigraph server and Virtuoso (the client's time and peak RSS) and
  a catalogue query on each store;
* profile: validation time per shape, cProfile of reasoning, cost of the endpoint's query check.

Writes docs/benchmarks.json and the whole of docs/benchmarks.md (never edit it by hand). Examples::

    .venv/bin/python scripts/bench.py --quick                      # 10 k only, short runs (a few minutes)
    .venv/bin/python scripts/bench.py --sizes 10000,100000         # no 1 M
    .venv/bin/python scripts/bench.py                              # the full run: 10 k, 100 k, 1 M

Exit status: 0 when every engine pair agreed, 1 when an answer differed (listed in the report), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_report import readme_with_targets, table, targets, write_markdown  # noqa: E402 - scripts/ is not a package

PYTHON = sys.executable
CRYOKG = str(Path(sys.executable).parent / "cryokg")
KNOWN_REFERENCE_BUGS = {
    "suggest": "rdflib bug RDFLib/rdflib#2332 (VALUES followed by OPTIONAL drops the solution): rdflib's answer "
               "misses the structure's own sources; pyoxigraph's answer is the correct one.",
}


def _log(message: str) -> None:
    print(f"bench: {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def _run_child(argv: list[str], *, timeout_s: float, log: Path) -> dict:
    """Run *argv*; wall time, exit code and the child's own peak RSS, killed after *timeout_s*.

    The peak is the child's ``VmHWM``, read every 50 ms while it runs (the last read is at most that late):
    ``os.wait4``'s ``ru_maxrss`` starts from this process's own peak, which Linux carries across fork and exec
    (``bench_build.peak_rss_mib``), so a child of a benchmark holding gigabytes reported gigabytes."""
    from bench_build import peak_rss_mib

    start = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    timer = threading.Timer(timeout_s, process.kill)
    timer.start()
    peak = 0.0
    try:
        while process.poll() is None:
            peak = max(peak, peak_rss_mib(process.pid))
            time.sleep(0.05)
    finally:
        timer.cancel()
    return {"wall_s": time.perf_counter() - start, "exit": process.returncode, "peak_rss_mib": peak,
            "timed_out": process.returncode == -9}


def environment() -> dict:
    versions = {}
    for name in ("rdflib", "pyshacl", "pyoxigraph", "owlrl", "networkx", "starlette", "uvicorn", "rdflib-endpoint"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    memory = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), None)
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False)
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "memory_mib": memory,
            "platform": platform.platform(), "versions": versions, "git": rev.stdout.strip() or None,
            "load_average_start": os.getloadavg(), "started": time.strftime("%Y-%m-%d %H:%M:%S %Z")}


def synth_sources(size: int, seed: int, work: Path, reuse: bool, *, shape: str = "coding") -> tuple[Path, float]:
    folder = work / (f"src-{size}" if shape == "coding" else f"src-{shape}-{size}")
    if reuse and (folder / "data").is_dir():
        return folder, 0.0
    shutil.rmtree(folder, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run([CRYOKG, "synth", "--triples", str(size), "--seed", str(seed), "--shape", shape,
                    "--sources-dir", str(folder)], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return folder, time.perf_counter() - start


def bench_build(size: int, sources: Path, work: Path, *, reuse: bool, timeout_s: float, tag: str = "",
                keep: Path | None = None) -> dict:
    """One size's build stages in a child process (``scripts/bench_build.py``); a child that fails or runs out
    of time or memory is reported with its exit status, peak RSS and the last stage its log reached."""
    out = work / f"build{tag}-{size}.json"
    pid_file = work / f"build{tag}-{size}.pid"
    if reuse and not out.is_file() and pid_file.is_file():
        pid = int(pid_file.read_text())
        _log(f"build {size}: waiting for the child already running (pid {pid})")
        deadline = time.monotonic() + timeout_s
        while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
            time.sleep(10)
    if reuse and out.is_file():
        result = json.loads(out.read_text())
        result["reused"] = True
        return result
    _log(f"build{tag} {size}: child process")
    log = work / f"build{tag}-{size}.log"
    argv = [PYTHON, str(HERE / "bench_build.py"), str(sources), str(out)] + (["--keep", str(keep)] if keep else [])
    child = _run_child(argv, timeout_s=timeout_s, log=log)
    if child["exit"] != 0 or not out.is_file():
        text = log.read_text(errors="replace")
        reached = [line.split("bench_build: ", 1)[1] for line in text.splitlines() if line.startswith("bench_build: ")]
        return {"failed": child, "last_stage": reached[-1] if reached else None, "log_tail": text[-1500:],
                "load_average": os.getloadavg()}
    result = json.loads(out.read_text())
    result["child"] = child
    result["load_average"] = os.getloadavg()
    out.write_text(json.dumps(result, indent=2))
    return result


def bench_real_build(runs: int, work: Path) -> dict:
    """``cryokg build`` of the project's own sources, each run a fresh process (cold imports, cold caches)."""
    walls, exits = [], []
    for n in range(runs):
        child = _run_child([CRYOKG, "build", "--out", str(work / "real-release"), "--quiet"], timeout_s=600,
                           log=work / f"real-build-{n}.log")
        walls.append(child["wall_s"])
        exits.append(child["exit"])
    stages = _run_child([PYTHON, str(HERE / "bench_build.py"), str(ROOT / "ontology"), str(work / "real-stages.json")],
                        timeout_s=600, log=work / "real-stages.log")
    breakdown = json.loads((work / "real-stages.json").read_text()) if stages["exit"] == 0 else None
    return {"stages": breakdown, "runs": runs, "wall_s": walls, "min_s": min(walls),
            "median_s": statistics.median(walls), "exits": exits,
            "peak_rss_mib": child["peak_rss_mib"], "log_tail": (work / f"real-build-{runs - 1}.log").read_text()[-600:]}


def bench_shacl(size: int, sources: Path, work: Path, *, iterations: int, jena_iterations: int,
                with_pyshacl: bool) -> dict:
    from bench_shacl import JenaRunner, engine_run, inject_violations, turbo_run, write_inputs
    from cryokg.sources.load import find_shape_files, load_files

    graph = load_files([*sorted((sources / "data").glob("*.ttl")), sources / "cryokg.ttl",
                        *sorted((sources / "vocab").glob("*.ttl"))]).graph
    data = inject_violations(graph)
    files = find_shape_files(sources)
    data_path, shapes_path = write_inputs(data, files, work / f"shacl-{size}")
    result = {"triples": len(data), "injected": "locatedIn removed x4, second notation x4, bundled code dropped x4"}
    del graph, data
    runner = JenaRunner()
    try:
        jena = runner.run(data_path, shapes_path, iterations=jena_iterations) if runner.available else None
    finally:
        runner.close()
    runs = {"cryokg": engine_run(data_path, files, iterations=iterations, engine="cryokg")}
    if with_pyshacl:
        runs["pyshacl"] = engine_run(data_path, files, iterations=1, engine="pyshacl")
    try:
        runs["pyshacl-turbo"] = turbo_run(data_path, files, iterations=min(iterations, 3))
    except ImportError:
        result["pyshacl-turbo"] = "not installed (pip install -e '.[bench]')"
    ours = runs["cryokg"]
    result.update({name: {k: v for k, v in run.items() if k != "results"} for name, run in runs.items()})
    result["results_count"] = len(ours["results"])
    result["engines_equal"] = all(run["results"] == ours["results"] for name, run in runs.items()
                                  if name != "pyshacl-turbo")
    if "pyshacl-turbo" in runs:
        result["turbo_equal"] = runs["pyshacl-turbo"]["results"] == ours["results"]
        result["only_turbo"] = sorted(map(list, runs["pyshacl-turbo"]["results"] - ours["results"]))[:5]
    if jena:
        result["jena"] = {k: v for k, v in jena.items() if k != "results"}
        result["results_equal"] = result["engines_equal"] and ours["results"] == jena["results"]
        result["only_cryokg"] = sorted(map(list, ours["results"] - jena["results"]))[:5]
        result["only_jena"] = sorted(map(list, jena["results"] - ours["results"]))[:5]
        result["ratio_warm"] = ours["median_s"] / jena["median_s"]
        if "pyshacl" in runs:
            result["ratio_pyshacl"] = runs["pyshacl"]["median_s"] / jena["median_s"]
        if "pyshacl-turbo" in runs:
            result["ratio_turbo"] = runs["pyshacl-turbo"]["median_s"] / jena["median_s"]
    return result


def bench_profiles(sources: Path) -> dict:
    from bench_profile import check_query_cost, cprofile_top, shacl_by_shape
    from cryokg.answer.catalogue import load_catalogue
    from cryokg.check.validation import load_shapes, validate_graph
    from cryokg.release.reasoning import entailments
    from cryokg.sources.load import find_shape_files, load_sources

    graph = load_sources(sources).graph
    shapes = load_shapes(find_shape_files(sources))
    out: dict = {"triples": len(graph)}
    out["shacl_by_shape"] = shacl_by_shape(graph, shapes)
    out["validation_wall_s"], out["validation_top"] = cprofile_top(lambda: validate_graph(graph, shapes))
    out["reasoning_wall_s"], out["reasoning_top"] = cprofile_top(lambda: entailments(graph))
    query = load_catalogue(sources / "queries")["code-attributes"].text
    out["endpoint_check_ms"] = check_query_cost(query)
    return out


def loglog_slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of log(time) against log(size): 1 is linear, 2 quadratic."""
    points = [(x, y) for x, y in points if x > 0 and y and y > 0]
    if len(points) < 2:
        return None
    xs, ys = [math.log(x) for x, _ in points], [math.log(y) for _, y in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else None


def slopes(results: dict, *, last: bool = False) -> dict:
    """Log-log slopes of every build stage over all sizes, or (*last*) between the two largest sizes only."""
    builds = {int(k): v for k, v in results.get("build", {}).items() if "stages" in v}
    if last:
        builds = {k: builds[k] for k in sorted(builds)[-2:]}
    stages = sorted({s for b in builds.values() for s in b["stages"]})
    by_stage = {}
    for stage in stages:
        by_stage[stage] = loglog_slope([(b["triples"], b["stages"].get(stage)) for b in builds.values()])
    by_stage["total"] = loglog_slope([(b["triples"], b["total_s"]) for b in builds.values()])
    by_stage["peak memory"] = loglog_slope([(b["triples"], b.get("peak_rss_mib_self")) for b in builds.values()])
    if last:
        return by_stage
    shacl = results.get("shacl", {})
    by_stage["cryokg SHACL (shacl section)"] = loglog_slope([(v["triples"], v["cryokg"]["median_s"])
                                                          for v in shacl.values() if "cryokg" in v])
    by_stage["pyshacl (shacl section)"] = loglog_slope([(v["triples"], v["pyshacl"]["median_s"]) for v in shacl.values()
                                                     if "pyshacl" in v])
    by_stage["jena (shacl section)"] = loglog_slope([(v["triples"], v["jena"]["median_s"]) for v in shacl.values()
                                                  if "jena" in v])
    return by_stage


def nlogn_bound(slope: float | None, sizes: list[int]) -> bool | None:
    """True when a slope is no steeper than n log n over the measured range (plus 0.15 for noise)."""
    if slope is None or len(sizes) < 2:
        return None
    lo, hi = min(sizes), max(sizes)
    nlogn = math.log((hi * math.log(hi)) / (lo * math.log(lo))) / math.log(hi / lo)
    return slope <= nlogn + 0.15


def _readme(readme: Path | None, summary: str, *, check: bool = False) -> int:
    """Write the targets table *summary* into *readme* (``check``: only compare; 1 when it differs)."""
    if readme is None:
        if check:
            raise SystemExit("--check needs --readme")
        return 0
    text = readme.read_text(encoding="utf-8")
    wanted = readme_with_targets(text, summary)
    if check:
        if wanted != text:
            print(f"{readme}: the benchmark targets table is stale; rerun with --report-only --readme", file=sys.stderr)
            return 1
        return 0
    readme.write_text(wanted, encoding="utf-8")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated triple counts")
    parser.add_argument("--quick", action="store_true", help="10 k only unless --sizes is given; fewer repetitions")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=Path("/tmp/cryokg-bench"), help="scratch folder")
    parser.add_argument("--reuse", action="store_true",
                        help="reuse synthetic sources and build-stage results already in --work (same script)")
    parser.add_argument("--sections", default="build,real,shacl,suite,sparql,http,memory,scale,publish,profile")
    parser.add_argument("--foreign-sizes", default=None,
                        help="sizes of the 'foreign' synthetic shape built in the memory section (default: 1 M, or "
                             "the smallest size with --quick)")
    parser.add_argument("--scale-size", type=int, default=10_000_000,
                        help="the scale section's size: built, then served and published (default: 10000000; "
                             "0 leaves it out; left out with --quick)")
    parser.add_argument("--publish-sizes", default=None,
                        help="sizes published in the publish section (default: 1 M and the scale size, or the "
                             "smallest size with --quick)")
    parser.add_argument("--shacl-max", type=int, default=1_000_000, help="largest size for the SHACL comparison")
    parser.add_argument("--pyshacl-max", type=int, default=100_000,
                        help="largest size at which pyshacl (the reference engine) is timed too")
    parser.add_argument("--sparql-max", type=int, default=1_000_000, help="largest size for the SPARQL comparison")
    parser.add_argument("--http-sizes", default=None, help="comma-separated sizes served in the HTTP section "
                        "(default: 100 k, 1 M and the scale size, or the smallest with --quick)")
    parser.add_argument("--budget-min", type=float, default=150.0, help="time limit of one build child, minutes")
    parser.add_argument("--json", type=Path, default=ROOT / "docs" / "benchmarks.json")
    parser.add_argument("--md", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--merge", action="store_true",
                        help="keep the sections not run now from the results already in --json")
    parser.add_argument("--report-only", action="store_true",
                        help="rewrite --md from the results already in --json (no measurement)")
    parser.add_argument("--readme", type=Path, default=None,
                        help="also write the targets table into this README (between its benchmark markers)")
    parser.add_argument("--check", action="store_true",
                        help="with --report-only --readme: write nothing; exit 1 when the README's table is stale")
    args = parser.parse_args(argv)
    if args.report_only:
        results = json.loads(args.json.read_text(encoding="utf-8"))
        results["slopes"], results["slopes_last"] = slopes(results), slopes(results, last=True)
        if args.check:
            return _readme(args.readme, table(["target", "measured", "status"], targets(results, nlogn_bound)),
                           check=True)
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
        summary = write_markdown(results, args.md, nlogn=nlogn_bound)
        print(summary)
        return _readme(args.readme, summary)
    given_sizes = (argv is not None and "--sizes" in argv) or "--sizes" in sys.argv
    sizes = sorted(int(s) for s in args.sizes.split(",")) if (given_sizes or not args.quick) else [10_000]
    sections = set(args.sections.split(","))
    args.work.mkdir(parents=True, exist_ok=True)
    command = " ".join([Path(PYTHON).name if False else ".venv/bin/python", "scripts/bench.py", *(argv or sys.argv[1:])])
    results: dict = {"command": command, "environment": environment(), "sizes": sizes, "seed": args.seed,
                     "quick": args.quick, "build": {}, "shacl": {}, "sparql": {}, "mismatches": []}
    started = time.perf_counter()
    sources: dict[int, Path] = {}
    results["synth_s"] = {}
    for size in sizes:
        _log(f"synthetic sources {size}")
        sources[size], results["synth_s"][str(size)] = synth_sources(size, args.seed, args.work, args.reuse)
    pending = []  # sizes whose build child is already running (started earlier, --reuse): collected last
    if "build" in sections:
        for size in sizes:
            pid_file = args.work / f"build-{size}.pid"
            if args.reuse and not (args.work / f"build-{size}.json").is_file() and pid_file.is_file():
                pending.append(size)
                continue
            results["build"][str(size)] = bench_build(size, sources[size], args.work, reuse=args.reuse,
                                                      timeout_s=args.budget_min * 60)
    if "real" in sections:
        _log("real release, cold builds")
        results["real_build"] = bench_real_build(3 if args.quick else 5, args.work)
    if "shacl" in sections:
        for size in (s for s in sizes if s <= args.shacl_max):
            _log(f"shacl {size}")
            results["shacl"][str(size)] = bench_shacl(size, sources[size], args.work,
                                                      iterations=1 if args.quick or size > 200_000 else 3,
                                                      jena_iterations=3 if args.quick or size > 200_000 else 5,
                                                      with_pyshacl=size <= args.pyshacl_max)
            if results["shacl"][str(size)].get("results_equal") is False:
                results["mismatches"].append(f"shacl {size}: the SHACL engines reported different results")
    if "suite" in sections:
        _log("W3C SHACL suite")
        from bench_shacl import JenaRunner, suite_counts

        runner = JenaRunner()
        try:
            results["shacl_suite"] = suite_counts(jena=runner)
        finally:
            runner.close()
    if "sparql" in sections:
        from bench_sparql import run_sparql

        for size in (s for s in sizes if s <= args.sparql_max):
            _log(f"sparql {size}")
            big = size > 200_000  # fewer calls and a shorter limit, so that rdflib's 1 M copy fits in the run
            result = run_sparql(sources[size], reps=10 if args.quick or big else 40,
                                budget_s=3.0 if args.quick else 8.0, timeout_s=30.0 if args.quick or big else 60.0)
            results["sparql"][str(size)] = result
            results["mismatches"] += [f"sparql {size}: {m}" for m in result["mismatches"]]
    scale = 0 if args.quick else args.scale_size
    if "scale" in sections and scale:
        sources[scale], results["synth_s"][str(scale)] = synth_sources(scale, args.seed, args.work, args.reuse)
        _log(f"scale: build stages at {scale}")
        results["build"][str(scale)] = bench_build(scale, sources[scale], args.work, reuse=args.reuse,
                                                   timeout_s=args.budget_min * 60 * 4,
                                                   keep=args.work / f"release-{scale}")  # served and published below
    if "memory" in sections:
        foreign_sizes = ([int(x) for x in args.foreign_sizes.split(",")] if args.foreign_sizes
                         else [sizes[0]] if args.quick else [1_000_000])
        results["build_foreign"] = {}
        for size in foreign_sizes:
            _log(f"memory: the foreign shape at {size}")
            folder, _ = synth_sources(size, args.seed, args.work, args.reuse, shape="foreign")
            results["build_foreign"][str(size)] = bench_build(size, folder, args.work, reuse=args.reuse,
                                                              timeout_s=args.budget_min * 60, tag="-foreign")
    if "http" in sections:
        from bench_http import run_http

        http_sizes = ([int(x) for x in args.http_sizes.split(",")] if args.http_sizes
                      else [sizes[0]] if args.quick
                      else sorted({s for s in sizes if s in (100_000, 1_000_000)} | ({scale} if scale else set()))
                      or [sizes[0]])
        results["http_by_size"] = {}
        for size in http_sizes:
            if size not in sources:
                sources[size], _ = synth_sources(size, args.seed, args.work, args.reuse)
            release = args.work / f"release-{size}"
            build: dict = {"reused": str(release)}
            if not (release / "manifest.json").is_file():  # the scale section's release is complete already
                _log(f"http: cryokg build of the {size}-triple release")
                build = _run_child([CRYOKG, "build", "--sources", str(sources[size]), "--out", str(release),
                                    "--quiet"], timeout_s=args.budget_min * 60 * 4, log=args.work / f"release-{size}.log")
            _log(f"http: load tests on the {size}-triple release")
            measured = {"size": size, "cryokg_build": build, "load_average": os.getloadavg(),
                        **run_http(release, sources[size], seconds=3 if args.quick else 10, work=args.work,
                                   rdflib_endpoint=size <= 1_000_000)}
            results["http_by_size"][str(size)] = measured
            if measured.get("answers_equal") not in (True, None):
                results["mismatches"].append(f"http {size}: {measured['answers_equal']}")
        # The targets are read at 100 k (the size), else at the largest size served.
        target = "100000" if "100000" in results["http_by_size"] else str(max(http_sizes))
        results["http"] = results["http_by_size"][target]
    if "publish" in sections:
        from bench_publish import run_publish

        publish_sizes = ([int(x) for x in args.publish_sizes.split(",")] if args.publish_sizes
                         else [sizes[0]] if args.quick else sorted({1_000_000} | ({scale} if scale else set())))
        results["publish"] = {}
        for size in publish_sizes:
            if size not in sources:
                sources[size], _ = synth_sources(size, args.seed, args.work, args.reuse)
            release = args.work / f"release-{size}"
            if not (release / "manifest.json").is_file():
                _log(f"publish: cryokg build of the {size}-triple release")
                _run_child([CRYOKG, "build", "--sources", str(sources[size]), "--out", str(release), "--quiet"],
                           timeout_s=args.budget_min * 60 * 4, log=args.work / f"release-{size}.log")
            _log(f"publish: the {size}-triple release into Oxigraph server and Virtuoso")
            results["publish"][str(size)] = run_publish(release, sources[size], work=args.work,
                                                        run_child=_run_child, cryokg=CRYOKG)
    if "profile" in sections:
        _log("profiles")
        results["profile"] = bench_profiles(sources[sizes[0]])
    for size in pending:
        results["build"][str(size)] = bench_build(size, sources[size], args.work, reuse=True,
                                                  timeout_s=args.budget_min * 60)
    if args.merge and args.json.is_file():  # re-measured sections replace theirs in the earlier results
        earlier = json.loads(args.json.read_text(encoding="utf-8"))
        keys = {"build": "build", "real": "real_build", "shacl": "shacl", "suite": "shacl_suite", "sparql": "sparql",
                "http": "http", "http_by_size": "http_by_size", "profile": "profile", "memory": "build_foreign",
                "publish": "publish"}
        by_size = {"build", "shacl", "sparql", "http_by_size", "build_foreign", "publish"}
        for section, key in keys.items():
            if section.split("_")[0] in sections and key in results:
                if key in by_size and isinstance(earlier.get(key), dict):  # sizes not re-measured stay
                    earlier[key] = {**earlier[key], **results[key]}
                else:
                    earlier[key] = results[key]
        if "scale" in sections and str(args.scale_size) in results["build"]:
            earlier.setdefault("build", {})[str(args.scale_size)] = results["build"][str(args.scale_size)]
        if earlier.get("http_by_size"):  # the targets are read at 100 k when it was served, in any run
            served = earlier["http_by_size"]
            earlier["http"] = served["100000"] if "100000" in served else served[max(served, key=int)]
        earlier["sizes"] = sorted(set(earlier.get("sizes", [])) | set(results["sizes"]))
        earlier.setdefault("reruns", []).append({"command": command, "sections": sorted(sections),
                                                 "environment": results["environment"]})
        kept = [m for m in earlier["mismatches"] if not any(m.startswith(s) for s in sections)]
        earlier["mismatches"] = kept + results["mismatches"]
        results = earlier
    results["slopes"] = slopes(results)
    results["slopes_last"] = slopes(results, last=True)
    results["known_reference_bugs"] = {k: v for k, v in KNOWN_REFERENCE_BUGS.items()
                                       if any(m.split(": ", 1)[-1].startswith(k) for m in results["mismatches"])}
    if "reruns" in results and results["reruns"][-1]["command"] == command:
        results["reruns"][-1]["environment"]["load_average_end"] = os.getloadavg()
        results["reruns"][-1]["wall_s"] = time.perf_counter() - started
    else:
        results["environment"]["load_average_end"] = os.getloadavg()
        results["wall_s"] = time.perf_counter() - started
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    summary = write_markdown(results, args.md, nlogn=nlogn_bound)
    print(summary)
    _readme(args.readme, summary)
    unexplained = [m for m in results["mismatches"] if not any(m.split(": ", 1)[-1].startswith(k)
                                                              for k in KNOWN_REFERENCE_BUGS)]
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
