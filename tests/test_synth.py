"""The synthetic graph generator (``cryokg synth``): deterministic, on target, conforming, loadable.

Benchmarks are only worth something if the synthetic graph is the kind of graph the project builds: these
tests check it passes the project's own loading rules and shapes, so a shape change that the generator does
not follow fails here rather than silently skewing the benchmark.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import RDF

from cryokg.check.validation import load_shapes, validate_graph
from cryokg.cli import main
from cryokg.namespaces import CRYO
from cryokg.release.synth import generate, generate_parts, write_sources
from cryokg.sources.load import find_shape_files, load_sources

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def small() -> Graph:
    return generate(triples=5000, seed=3)


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert main(["synth", "--triples", "4000", "--seed", "11", "--out", str(tmp_path / f"{name}.nt")]) == 0
    assert (tmp_path / "a.nt").read_bytes() == (tmp_path / "b.nt").read_bytes()
    assert main(["synth", "--triples", "4000", "--seed", "12", "--out", str(tmp_path / "c.nt")]) == 0
    assert (tmp_path / "c.nt").read_bytes() != (tmp_path / "a.nt").read_bytes()


@pytest.mark.parametrize("target", [3000, 10_000, 40_000])
def test_hits_the_triple_target(target: int) -> None:
    count = len(generate(triples=target, seed=5))
    assert abs(count - target) <= target // 10, f"{count} triples for a target of {target}"


def test_turtle_output_parses_to_the_same_graph(tmp_path: Path, small: Graph) -> None:
    out = tmp_path / "g.ttl"
    assert main(["synth", "--triples", "5000", "--seed", "3", "--out", str(out)]) == 0
    assert len(Graph().parse(out, format="turtle")) == len(small)


def test_conforms_to_the_project_shapes(small: Graph) -> None:
    files = find_shape_files(ROOT / "ontology")
    outcome = validate_graph(small, load_shapes(files), shapes_files=files)
    assert outcome.passes(), [r for r in outcome.results if r.severity == "Violation"][:5]
    assert outcome.count("Warning") == 0, [r for r in outcome.results if r.severity == "Warning"][:5]


def test_has_the_structures_the_benchmark_relies_on(small: Graph) -> None:
    families = set(small.subjects(RDF.type, CRYO.CodeFamily))
    assert len(families) >= 3
    assert any(small.objects(None, CRYO.regionPartOf))
    # a nerve hierarchy at least three levels deep below a plexus
    depth = max(_branch_depth(small, nerve) for nerve in small.subjects(RDF.type, CRYO.Nerve))
    assert depth >= 3
    assert any(small.subjects(CRYO.codingAmbiguous, None))
    assert any(small.subjects(RDF.type, CRYO.BundlingRule))


def _branch_depth(graph: Graph, node) -> int:
    depth = 0
    while (parent := graph.value(node, CRYO.branchOf)) is not None and depth < 100:
        node, depth = parent, depth + 1
    return depth


def test_sources_folder_loads_with_the_strict_loader(tmp_path: Path) -> None:
    parts = generate_parts(triples=4000, seed=2)
    write_sources(parts, tmp_path / "src")
    loaded = load_sources(tmp_path / "src")  # strict parse + cross-file checks (no dangling IRI)
    assert len(loaded.graph) == len(parts)


def test_bad_arguments_exit_2(tmp_path: Path) -> None:
    assert main(["synth", "--triples", "5000", "--out", str(tmp_path / "g.json")]) == 2
    assert main(["synth", "--triples", "10", "--out", str(tmp_path / "g.nt")]) == 2
    assert main(["synth", "--triples", "5000"]) == 2
