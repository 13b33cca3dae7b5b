"""SHACL section of the benchmark: cryokg's SHACL engine, pyshacl (the reference) and pyshacl-turbo (a Rust
engine with pyshacl's API) against Apache Jena's; and all four on the W3C SHACL test suite (:func:`suite_counts`).

Both engines get the same data (the synthetic graph as N-Triples, with a few deliberate violations injected so
that "identical results" compares something) and the same shapes (``ontology/shapes/*.ttl`` merged into one
file). Jena runs in one JVM through ``scripts/bench_jena/ShaclBench.java`` (compiled with ``javac`` into a
temporary folder), parsing once and validating several times, so its warm time is measured apart from JVM
start-up; without ``javac`` the cold ``shacl.shacl`` command is timed instead and marked ``cold``.

Results are compared as sets of (focus node, path, constraint component, severity, value), the parts of a
``sh:ValidationResult`` that all engines must agree on (shape IRIs of blank-node property shapes differ).
"""

from __future__ import annotations

import json
import random
import shutil
import statistics
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH, SKOS

__all__ = ["JenaRunner", "engine_run", "inject_violations", "result_set", "suite_counts", "turbo_run", "write_inputs"]

JAVA_DIR = Path("/usr/share/java")
JENA_JARS = ("arq", "base", "cmds", "core", "dboe-base", "dboe-index", "dboe-storage", "dboe-trans-data",
             "dboe-transaction", "iri", "rdfconnection", "shacl", "shex", "tdb", "tdb2")
OTHER_JARS = ("commons-cli", "commons-codec", "commons-compress", "commons-csv", "commons-io", "commons-lang3",
              "dexx.collection", "gson", "guava", "httpclient", "httpcore", "jackson-core", "jackson-databind",
              "jackson-annotations", "jsonld-java", "jakarta.json-api", "protobuf", "thrift", "titanium-json-ld",
              "slf4j-api", "slf4j-simple")
RUNNER = Path(__file__).resolve().parent / "bench_jena" / "ShaclBench.java"
CRYO = "https://w3id.org/cryokg/def/"

Key = tuple[str, str, str, str, str]


def inject_violations(graph: Graph, *, seed: int = 7, count: int = 4) -> Graph:
    """A copy of *graph* with a few violations of different shapes (Core and SPARQL constraints)."""
    rng = random.Random(seed)
    out = Graph()
    out += graph
    nerves = sorted(out.subjects(RDF.type, URIRef(CRYO + "Nerve")))
    codes = sorted(s for s in out.subjects(RDF.type, URIRef(CRYO + "ProcedureCode"))
                   if (s, SKOS.broader, None) in out)
    rules = sorted(out.subjects(RDF.type, URIRef(CRYO + "BundlingRule")))
    for nerve in rng.sample(nerves, min(count, len(nerves))):
        out.remove((nerve, URIRef(CRYO + "locatedIn"), None))  # NerveShape: minCount
    for code in rng.sample(codes, min(count, len(codes))):
        out.add((code, SKOS.notation, Literal("X" + str(code)[-5:])))  # maxCount + notation patterns
    for rule in rng.sample(rules, min(count, len(rules))):
        victim = sorted(out.objects(rule, URIRef(CRYO + "notReportedWith")))[0]
        out.remove((rule, URIRef(CRYO + "notReportedWith"), victim))  # SHACL-SPARQL: guidance codes listed
    return out


def write_inputs(data: Graph, shapes_files: list[Path], folder: Path) -> tuple[Path, Path]:
    """The data as N-Triples and the shapes merged into one Turtle file, for both engines."""
    from cryokg.release.writers import to_ntriples

    folder.mkdir(parents=True, exist_ok=True)
    data_path, shapes_path = folder / "data.nt", folder / "shapes.ttl"
    data_path.write_text(to_ntriples(data), encoding="utf-8")
    shapes = Graph()
    for path in shapes_files:
        shapes.parse(path, format="turtle", publicID=path.resolve().as_uri())
    shapes.serialize(shapes_path, format="turtle")
    return data_path, shapes_path


def _term(node: object) -> str:
    if node is None or isinstance(node, BNode):
        return "" if node is None else "_:b"
    return node.n3()


def result_set(report: Graph) -> set[Key]:
    """The comparable parts of every ``sh:ValidationResult`` in a report graph."""
    keys = set()
    for result in report.subjects(RDF.type, SH.ValidationResult):
        keys.add((_term(report.value(result, SH.focusNode)), _term(report.value(result, SH.resultPath)),
                  _term(report.value(result, SH.sourceConstraintComponent)),
                  _term(report.value(result, SH.resultSeverity)), _term(report.value(result, SH.value))))
    return keys


def engine_run(data_path: Path, shapes_files: list[Path], *, iterations: int, engine: str) -> dict:
    """:func:`cryokg.check.validation.validate_graph` with *engine* (``cryokg`` or ``pyshacl``), warm: data parsed once,
    then validated *iterations* times; the time of a run includes everything the engine does (its index, its
    pyoxigraph store for SHACL-SPARQL), nothing is kept between runs."""
    from cryokg.check.validation import load_shapes, validate_graph
    from cryokg.rdf.parsing import parse_rdf

    start = time.perf_counter()
    data = Graph()
    data.addN((s, p, o, data) for s, p, o in parse_rdf(data_path.read_bytes(), fmt="ntriples", max_bytes=1 << 40))
    shapes = load_shapes(shapes_files)
    load_s = time.perf_counter() - start
    times, outcome = [], None
    for _ in range(iterations):
        start = time.perf_counter()
        outcome = validate_graph(data, shapes, shapes_files=shapes_files, engine=engine)
        times.append(time.perf_counter() - start)
    assert outcome is not None
    return {"load_s": load_s, "times_s": times, "median_s": statistics.median(times),
            "results": result_set(outcome.report), "summary": outcome.summary()}


def turbo_run(data_path: Path, shapes_files: list[Path], *, iterations: int) -> dict:
    """pyshacl-turbo (PyPI ``pyshacl-turbo``, the ``bench`` extra), warm like :func:`engine_run`: the same rdflib
    data graph and shapes graph, ``validate`` with pyshacl's arguments, timed per run."""
    import pyshacl_turbo

    from cryokg.check.validation import load_shapes
    from cryokg.rdf.parsing import parse_rdf

    data = Graph()
    data.addN((s, p, o, data) for s, p, o in parse_rdf(data_path.read_bytes(), fmt="ntriples", max_bytes=1 << 40))
    shapes = load_shapes(shapes_files)
    times, report = [], None
    for _ in range(iterations):
        start = time.perf_counter()
        _conforms, report, _text = pyshacl_turbo.validate(data, shacl_graph=shapes, inference="none", advanced=True)
        times.append(time.perf_counter() - start)
    assert isinstance(report, Graph)
    return {"times_s": times, "median_s": statistics.median(times), "results": result_set(report)}


def suite_counts(*, jena: JenaRunner | None = None) -> dict[str, dict[str, int]]:
    """Outcomes per engine on the W3C SHACL suite's core and sparql ``sht:Validate`` entries, judged like
    ``tests/test_w3c_shacl.py``: cryokg's ``validate`` with each ``--engine`` (SHACL-for-SHACL check included),
    and pyshacl, pyshacl-turbo and Jena called directly on the test file (no shapes check)."""
    import sys
    from collections import Counter

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import w3c_shacl as suite

    def direct(module_name: str):
        module = __import__(module_name)

        def run(entry):
            data, shapes = suite.parse(entry.data), suite.parse(entry.shapes)
            _conforms, report, _text = module.validate(data, shacl_graph=shapes, inference="none", advanced=True)
            if not isinstance(report, Graph):
                from cryokg.errors import BadInput

                raise BadInput(str(report))
            return report, [data, shapes]
        return run

    def jena_run(entry):
        assert jena is not None
        report = jena.validate_once(entry.data, entry.shapes)
        return report, [suite.parse(entry.data), suite.parse(entry.shapes)]

    runners = {f"cryokg validate --engine {e}": suite.run_cryokg(e) for e in ("cryokg", "auto", "pyshacl")}
    runners["pyshacl (direct)"] = direct("pyshacl")
    runners["pyshacl-turbo (direct)"] = direct("pyshacl_turbo")
    if jena is not None and jena.available:
        runners[f"jena {jena.version()}"] = jena_run
    entries = suite.entries(suite.suite_root())
    return {name: dict(Counter(suite.judge(entry, run).outcome for entry in entries)) for name, run in runners.items()}


class JenaRunner:
    """Apache Jena from Debian's ``libapache-jena-java``, with the packaging workaround of real-stores.md."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="cryokg-jena-"))
        self.available = (JAVA_DIR / "jena-shacl.jar").is_file() and shutil.which("java") is not None
        self.warm = False
        if not self.available:
            return
        with zipfile.ZipFile(JAVA_DIR / "jena-core.jar") as jar:  # shaded Xerces lost its message bundles
            for name in jar.namelist():
                if name.startswith("org/apache/jena/ext/xerces/") and name.endswith(".properties"):
                    jar.extract(name, self.tmp / "extract")
        moved = self.tmp / "extract" / "org" / "apache" / "jena" / "ext" / "xerces"
        if moved.is_dir():
            shutil.move(str(moved), self.tmp / "xerces")
        jars = [JAVA_DIR / f"jena-{name}.jar" for name in JENA_JARS] + [JAVA_DIR / f"{name}.jar" for name in OTHER_JARS]
        self.classpath = ":".join([str(self.tmp)] + [str(j) for j in jars if j.exists()])
        if shutil.which("javac"):
            build = subprocess.run(["javac", "-d", str(self.tmp / "classes"), "-cp", self.classpath, str(RUNNER)],
                                   capture_output=True, text=True, check=False)
            self.warm = build.returncode == 0
            if self.warm:
                self.classpath = f"{self.tmp / 'classes'}:{self.classpath}"

    def version(self) -> str:
        jars = sorted(JAVA_DIR.glob("jena-shacl-*.jar"))
        return jars[0].stem.removeprefix("jena-shacl-") if jars else "unknown"

    def run(self, data_path: Path, shapes_path: Path, *, iterations: int) -> dict:
        report = self.tmp / "report.ttl"
        start = time.perf_counter()
        if self.warm:
            proc = subprocess.run(["java", "-Xmx8g", "-cp", self.classpath, "ShaclBench", str(shapes_path),
                                   str(data_path), str(iterations), str(report)],
                                  capture_output=True, text=True, check=True)
            payload = json.loads(proc.stdout.strip().splitlines()[-1])
        else:
            proc = subprocess.run(["java", "-Xmx8g", "-cp", self.classpath, "shacl.shacl", "validate", "--shapes",
                                   str(shapes_path), "--data", str(data_path)], capture_output=True, text=True, check=True)
            report.write_text(proc.stdout, encoding="utf-8")
            payload = {"load_s": None, "times_s": [time.perf_counter() - start]}
        wall = time.perf_counter() - start
        graph = Graph().parse(report, format="turtle")
        times = payload["times_s"]
        warm_times = times[1:] if len(times) > 1 else times
        return {"mode": "warm" if self.warm else "cold", "load_s": payload["load_s"], "times_s": times,
                "median_s": statistics.median(warm_times), "process_s": wall, "results": result_set(graph)}

    def validate_once(self, data_path: Path, shapes_path: Path) -> Graph:
        """Jena's ``shacl validate`` (cold JVM) on one data and shapes file: the report graph; a refusal (a
        non-zero exit) is raised as :class:`cryokg.errors.BadInput`."""
        from cryokg.errors import BadInput

        proc = subprocess.run(["java", "-cp", self.classpath, "shacl.shacl", "validate", "--shapes", str(shapes_path),
                               "--data", str(data_path)], capture_output=True, text=True, check=False)
        if proc.returncode != 0 or "ValidationReport" not in proc.stdout:
            raise BadInput((proc.stderr or proc.stdout).strip()[-300:])
        return Graph().parse(data=proc.stdout, format="turtle")

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)
