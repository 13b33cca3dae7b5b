"""Apache Jena's SHACL engine, run through scripts/jena-shacl, agrees with pyshacl on the release and on every
shape example: same conformance, same (focus node, result path, constraint component, severity) results.

Two independent engines agreeing is the best evidence that a result comes from the shapes, not from one
engine's reading of them. The examples are validated in one JVM (``scripts/jena-shacl --batch``): a JVM start
costs about a second, and there are dozens of examples. Skipped, with the install line, where Java or Jena is
missing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import RDF, SH

from cryokg.check.validation import load_shapes, path_key, validate_graph
from cryokg.sources.load import find_shape_files, load_sources

sys.path.insert(0, str(Path(__file__).resolve().parent / "shapes"))
import shapes_manifest as manifest

ROOT = Path(__file__).resolve().parents[1]
WRAPPER = ROOT / "scripts" / "jena-shacl"
INSTALL = "apt-get install -y libapache-jena-java default-jdk-headless unzip"
JENA_AVAILABLE = shutil.which("java") is not None and Path("/usr/share/java/jena-shacl.jar").is_file()

pytestmark = [pytest.mark.external,
              pytest.mark.skipif(not JENA_AVAILABLE, reason=f"Apache Jena SHACL is not installed ({INSTALL})")]

Key = tuple[str, str | None, str, str]


def _write_pair(shapes: Graph, data: Graph, workdir: Path) -> tuple[Path, Path]:
    workdir.mkdir(parents=True, exist_ok=True)
    shapes_file, data_file = workdir / "shapes.ttl", workdir / "data.nt"
    shapes.serialize(shapes_file, format="turtle")
    data.serialize(data_file, format="nt", encoding="utf-8")
    return shapes_file, data_file


def _env(workdir: Path) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "CRYOKG_CACHE": str(workdir.parent / "jena-cache")}


def jena_validate(shapes: Graph, data: Graph, workdir: Path) -> Graph:
    """Run scripts/jena-shacl on *data* against *shapes*; return its sh:ValidationReport graph."""
    shapes_file, data_file = _write_pair(shapes, data, workdir)
    done = subprocess.run([str(WRAPPER), "--shapes", str(shapes_file), "--data", str(data_file)],
                          capture_output=True, text=True, timeout=300, check=False, env=_env(workdir))
    assert done.returncode == 0, f"jena-shacl failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return Graph().parse(data=done.stdout, format="turtle")


def jena_validate_many(pairs: dict[str, tuple[Graph, Graph]], workdir: Path) -> dict[str, Graph]:
    """Validate every (shapes, data) pair in one JVM; the report graph per pair name."""
    lines, reports = [], {}
    for number, (name, (shapes, data)) in enumerate(sorted(pairs.items())):
        shapes_file, data_file = _write_pair(shapes, data, workdir / str(number))
        reports[name] = workdir / str(number) / "report.ttl"
        lines.append(f"{shapes_file}\t{data_file}\t{reports[name]}\n")
    listing = workdir / "pairs.tsv"
    listing.write_text("".join(lines), encoding="utf-8")
    done = subprocess.run([str(WRAPPER), "--batch", str(listing)], capture_output=True, text=True, timeout=600,
                          check=False, env=_env(workdir))
    errors = {name: path.with_suffix(".ttl.err").read_text() for name, path in reports.items()
              if path.with_suffix(".ttl.err").exists()}
    assert done.returncode == 0 and not errors, f"jena-shacl --batch failed ({done.returncode}): {errors}\n{done.stderr[-3000:]}"
    return {name: Graph().parse(path, format="turtle") for name, path in reports.items()}


def jena_keys(report: Graph) -> tuple[bool, frozenset[Key]]:
    node = next(report.subjects(RDF.type, SH.ValidationReport))
    keys = frozenset(
        (str(report.value(r, SH.focusNode)), path_key(report, report.value(r, SH.resultPath)),
         str(report.value(r, SH.sourceConstraintComponent)).rsplit("#", 1)[-1],
         str(report.value(r, SH.resultSeverity)).rsplit("#", 1)[-1])
        for r in report.objects(node, SH.result))
    return report.value(node, SH.conforms).toPython(), keys


def pyshacl_keys(outcome) -> tuple[bool, frozenset[Key]]:
    keys = frozenset((r.focus, r.path, r.component, r.severity) for r in outcome.results)
    return not outcome.results, keys


def _compare(pyshacl: tuple[bool, frozenset[Key]], jena: tuple[bool, frozenset[Key]], what: str) -> None:
    only_py = sorted(pyshacl[1] - jena[1], key=str)
    only_jena = sorted(jena[1] - pyshacl[1], key=str)
    assert pyshacl[0] == jena[0] and not only_py and not only_jena, (
        f"{what}: pyshacl conforms={pyshacl[0]}, Jena conforms={jena[0]}\n"
        f"  only pyshacl: {only_py[:20]}\n  only Jena: {only_jena[:20]}")


def test_wrapper_reports_a_violation(tmp_path) -> None:
    """The wrapper runs at all, and Jena does report (it exits 0 even when data does not conform)."""
    shapes = Graph().parse(data="""@prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:t:S> a sh:NodeShape ; sh:targetClass <urn:t:C> ; sh:property [ sh:path <urn:t:p> ; sh:minCount 1 ] .""",
                           format="turtle")
    data = Graph().parse(data="<urn:t:x> a <urn:t:C> .", format="turtle")
    conforms, keys = jena_keys(jena_validate(shapes, data, tmp_path))
    assert not conforms
    assert keys == {("urn:t:x", "urn:t:p", "MinCountConstraintComponent", "Violation")}


def test_release_same_results_in_both_engines(tmp_path) -> None:
    shapes = load_shapes(find_shape_files(ROOT / "ontology"))
    data = load_sources(ROOT / "ontology").graph
    outcome = validate_graph(data, shapes)
    _compare(pyshacl_keys(outcome), jena_keys(jena_validate(shapes, data, tmp_path)), "the release")


VIOLATING = [e for path in sorted(manifest.EXAMPLES.glob("*.trig")) for e in manifest.examples(path)
             if not e.conforms]


def _example_pair(example: manifest.Example) -> tuple[Graph, Graph]:
    data = manifest.base_graph()
    for triple in example.data:
        data.add(triple)
    return manifest.project_shapes(example.shapes), data


@pytest.fixture(scope="module")
def jena_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Graph]:
    """Jena's report for every violating example, all validated in one JVM."""
    return jena_validate_many({e.id: _example_pair(e) for e in VIOLATING}, tmp_path_factory.mktemp("jena"))


@pytest.mark.parametrize("example", VIOLATING, ids=lambda e: e.id)
def test_violating_example_same_results_in_both_engines(example: manifest.Example, jena_reports) -> None:
    _compare(pyshacl_keys(manifest.run_example(example)), jena_keys(jena_reports[example.id]), example.id)


def test_batch_mode_reports_a_broken_pair(tmp_path) -> None:
    """A pair Jena cannot load fails the batch loudly instead of yielding an empty report."""
    good = Graph().parse(data="<urn:t:x> a <urn:t:C> .", format="turtle")
    (tmp_path / "0").mkdir()
    (tmp_path / "pairs.tsv").write_text(f"{tmp_path / 'missing.ttl'}\t{tmp_path / 'missing.nt'}\t{tmp_path / '0' / 'r.ttl'}\n")
    done = subprocess.run([str(WRAPPER), "--batch", str(tmp_path / "pairs.tsv")], capture_output=True, text=True,
                          timeout=300, check=False, env=_env(tmp_path / "x"))
    assert done.returncode == 1 and (tmp_path / "0" / "r.ttl.err").exists()
    assert len(good) == 1
