"""The shapes of ontology/shapes/: each one has examples that break it and examples that conform, the shapes
are valid SHACL, and every class and property the data uses is checked by some shape.

Examples live in tests/shapes/<ShapeName>.trig (W3C SHACL test-manifest form, see
tests/shapes/shapes_manifest.py); each entry's expected results are compared with pyshacl's exactly.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import pytest
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF, RDFS, SH

from cryokg.check.validation import _curie, check_shapes, load_shapes, path_key
from cryokg.sources.load import find_data_files, find_shape_files, load_files

sys.path.insert(0, str(Path(__file__).resolve().parent / "shapes"))
import shapes_manifest as manifest

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "ontology"
EXAMPLE_FILES = sorted(manifest.EXAMPLES.glob("*.trig"))
ALL_EXAMPLES = [example for path in EXAMPLE_FILES for example in manifest.examples(path)]
TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
NODE_LEVEL = (SH.sparql, SH["or"], SH["and"], SH["not"], SH.xone, SH.closed, SH["class"], SH.node, SH.nodeKind,
              SH.datatype, SH.pattern, SH["in"], SH.hasValue)


def _shapes() -> Graph:
    return manifest.project_shapes()


def targeted_shapes() -> list[URIRef]:
    """The named node shapes that select focus nodes themselves (the ones a report names)."""
    shapes = _shapes()
    return sorted({s for p in TARGETS for s in shapes.subjects(p, None) if isinstance(s, URIRef)})


def property_shapes(node_shape: URIRef) -> list[tuple[str, str | None, str]]:
    """(node shape, path, severity) for every property shape of *node_shape*: what identifies it in a report."""
    shapes = _shapes()
    found = []
    for prop in shapes.objects(node_shape, SH.property):
        severity = shapes.value(prop, SH.severity) or SH.Violation
        found.append((_curie(node_shape), path_key(shapes, shapes.value(prop, SH.path)),
                      str(severity).rsplit("#", 1)[-1]))
    return found


def has_node_level_constraints(node_shape: URIRef) -> bool:
    shapes = _shapes()
    return any((node_shape, p, None) in shapes for p in NODE_LEVEL)


# --- the examples ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=lambda e: e.id)
def test_example_gives_the_expected_report(example: manifest.Example) -> None:
    outcome = manifest.run_example(example)
    actual = manifest.result_keys(outcome, example.expected)
    missing = sorted(example.expected - actual, key=str)
    unexpected = sorted(actual - example.expected, key=str)
    assert not missing and not unexpected, (
        f"{example.id} ({example.label}):\n  expected but not reported: {missing}\n"
        f"  reported but not expected: {unexpected}")
    assert example.conforms == (not outcome.results), f"{example.id}: sh:conforms does not match the results"


def test_examples_exist() -> None:
    assert EXAMPLE_FILES, "no example files in tests/shapes/"
    assert len(ALL_EXAMPLES) >= 2 * len(targeted_shapes())


@pytest.mark.parametrize("shape", targeted_shapes(), ids=lambda s: _curie(s))
def test_every_shape_has_a_violating_and_a_conforming_example(shape: URIRef) -> None:
    name = _curie(shape).split(":", 1)[1]
    path = manifest.EXAMPLES / f"{name}.trig"
    assert path.is_file(), f"{_curie(shape)} has no examples: write {path.relative_to(ROOT)}"
    entries = manifest.examples(path)
    assert any(e.conforms and not e.expected for e in entries), f"{path.name}: add a conforming entry"
    violating = [e for e in entries if not e.conforms]
    assert any(key[4] == _curie(shape) for e in violating for key in e.expected), (
        f"{path.name}: no violating entry expects a result from {_curie(shape)}")


def _expected_by_shape() -> dict[tuple[str, str | None, str], int]:
    seen: dict[tuple[str, str | None, str], int] = defaultdict(int)
    for example in ALL_EXAMPLES:
        for _focus, path, _component, severity, shape, _value in example.expected:
            seen[(shape or "", path, severity)] += 1
    return seen


def test_coverage_every_property_shape_and_node_constraint_has_a_violating_example() -> None:
    """Fails, naming the shape, when a shape (node or property) has no expected result in any example."""
    seen = _expected_by_shape()
    uncovered = []
    for shape in targeted_shapes():
        for key in property_shapes(shape):
            if seen.get(key, 0) == 0:
                uncovered.append(f"{key[0]} path {key[1]} ({key[2]})")
        if has_node_level_constraints(shape):
            name = _curie(shape)
            if not any(k[0] == name and k[1] is None for k in seen):
                uncovered.append(f"{name} (its node-level constraint)")
    assert not uncovered, "shapes without a violating example in tests/shapes/*.trig:\n  " + "\n  ".join(uncovered)


def test_coverage_check_detects_a_missing_example() -> None:
    """The coverage test above would fail for a property shape nobody exercises."""
    shapes = _shapes()
    probe = URIRef("https://w3id.org/cryokg/shapes/ProbeShape")
    prop = BNode()
    shapes.add((probe, SH.targetClass, URIRef("https://w3id.org/cryokg/def/Nothing")))
    shapes.add((probe, SH.property, prop))
    shapes.add((prop, SH.path, URIRef("https://w3id.org/cryokg/def/neverExercised")))
    try:
        assert property_shapes(probe)[0] not in _expected_by_shape()
    finally:
        shapes.remove((probe, None, None))
        shapes.remove((prop, None, None))


# --- the shapes themselves --------------------------------------------------------------------------------------

@pytest.mark.slow  # the SHACL-for-SHACL shapes graph is large
def test_shapes_pass_shacl_for_shacl() -> None:
    check_shapes(load_shapes(find_shape_files(ONTOLOGY)))


@pytest.mark.slow  # the SHACL-for-SHACL shapes graph is large
@pytest.mark.parametrize("path", find_shape_files(ONTOLOGY), ids=lambda p: p.name)
def test_each_shapes_file_passes_shacl_for_shacl(path: Path) -> None:
    from pyshacl.entrypoints import meta_validate

    conforms, _report, text = meta_validate(load_shapes([path]), inference="none")
    assert conforms, text


def test_bad_shapes_are_rejected() -> None:
    """SHACL-for-SHACL catches a broken shape (so the check above would fail on one)."""
    from cryokg.errors import BadInput

    bad = Graph().parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        <urn:x:Shape> a sh:NodeShape ; sh:targetClass <urn:x:C> ; sh:property [ sh:path <urn:x:p> ; sh:minCount "one" ] .
        """, format="turtle")
    with pytest.raises(BadInput):
        check_shapes(bad)


@pytest.fixture(scope="module")
def data_graph() -> Graph:
    return load_files(find_data_files(ONTOLOGY)).graph


def _superclasses(graph: Graph, cls: URIRef) -> set[URIRef]:
    return set(graph.transitive_objects(cls, RDFS.subClassOf))


def test_every_class_the_data_uses_is_targeted_by_a_shape(data_graph: Graph) -> None:
    shapes = _shapes()
    targeted = set(shapes.objects(None, SH.targetClass))
    used = {o for o in data_graph.objects(None, RDF.type)
            if isinstance(o, URIRef) and str(o).startswith("https://w3id.org/cryokg/def/")}
    assert used, "the data uses no class of the vocabulary"
    missing = sorted(_curie(c) for c in used if not (_superclasses(data_graph, c) & targeted))
    assert not missing, f"classes used in ontology/data without a shape targeting them: {missing}"


def test_every_property_of_the_vocabulary_has_a_property_shape(data_graph: Graph) -> None:
    """Each cryo: property the data or the vocabulary declares is the path of some property shape."""
    from rdflib.namespace import OWL

    shapes = _shapes()
    paths = set()
    for path in shapes.objects(None, SH.path):
        paths.update(p for p in ([path] if isinstance(path, URIRef) else shapes.objects(path, None))
                     if isinstance(p, URIRef))
        paths.update(p for node in shapes.objects(path, RDF.first) for p in [node] if isinstance(p, URIRef))
    declared = {s for t in (OWL.ObjectProperty, OWL.DatatypeProperty) for s in data_graph.subjects(RDF.type, t)}
    used = {p for p in data_graph.predicates() if str(p).startswith("https://w3id.org/cryokg/def/")}
    missing = sorted(_curie(p) for p in (declared | used) if p not in paths)
    assert not missing, f"properties without a property shape (cardinality, class or datatype): {missing}"
