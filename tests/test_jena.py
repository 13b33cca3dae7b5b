"""Apache Jena's SHACL engine, run through scripts/jena-shacl, agrees with pyshacl on the release and on every
shape example: same conformance, same (focus node, result path, constraint component, severity) results.

Two independent engines agreeing is the best evidence that a result comes from the shapes, not from one
engine's reading of them. Skipped, with the install line, where Java or Jena is missing.
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
INSTALL = "apt-get install -y libapache-jena-java default-jre-headless unzip"
JENA_AVAILABLE = shutil.which("java") is not None and Path("/usr/share/java/jena-shacl.jar").is_file()

pytestmark = pytest.mark.skipif(not JENA_AVAILABLE, reason=f"Apache Jena SHACL is not installed ({INSTALL})")

Key = tuple[str, str | None, str, str]


def jena_validate(shapes: Graph, data: Graph, workdir: Path) -> Graph:
    """Run scripts/jena-shacl on *data* against *shapes*; return its sh:ValidationReport graph."""
    shapes_file, data_file = workdir / "shapes.ttl", workdir / "data.nt"
    shapes.serialize(shapes_file, format="turtle")
    data.serialize(data_file, format="nt", encoding="utf-8")
    done = subprocess.run([str(WRAPPER), "--shapes", str(shapes_file), "--data", str(data_file)],
                          capture_output=True, text=True, timeout=300, check=False,
                          env={"PATH": "/usr/bin:/bin", "CRYOKG_CACHE": str(workdir.parent / "jena-cache")})
    assert done.returncode == 0, f"jena-shacl failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return Graph().parse(data=done.stdout, format="turtle")


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


@pytest.mark.parametrize("example", VIOLATING, ids=lambda e: e.id)
def test_violating_example_same_results_in_both_engines(example: manifest.Example, tmp_path) -> None:
    data = manifest.base_graph()
    for triple in example.data:
        data.add(triple)
    shapes = manifest.project_shapes(example.shapes)
    jena = jena_keys(jena_validate(shapes, data, tmp_path))
    _compare(pyshacl_keys(manifest.run_example(example)), jena, example.id)
