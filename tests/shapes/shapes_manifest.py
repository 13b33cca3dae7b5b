"""Read the shape examples in tests/shapes/*.trig (W3C SHACL test-manifest form) and run them.

Each file is TriG: the default graph holds an ``mf:Manifest`` whose entries are ``sht:Validate`` tests, each
with ``mf:action [ sht:dataGraph <#...-data> ]`` naming a graph of the same file, and ``mf:result`` holding the
expected ``sh:ValidationReport``. The data graph is *added* to tests/shapes/base.ttl and the project's
vocabulary (ontology/cryokg.ttl, ontology/vocab/*.ttl) - a small graph that conforms with no result - so an
example shows only what it is about. Shapes always come from ontology/shapes/.

Unlike the W3C suite, ``sh:sourceShape`` of an expected result names the *named* shape: the shape itself when
it has an IRI, else the node shape holding the (blank) property shape. With ``sh:resultPath`` and the
severity that identifies the property shape.

To write the expected report of a new example, run ``python tests/shapes/shapes_manifest.py tests/shapes/X.trig``:
it prints what the shapes report now, to be checked by hand before it is pasted into the file.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rdflib import Dataset, Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH

from cryokg.check.validation import ValidationOutcome, _curie, load_shapes, path_key, validate_graph
from cryokg.sources.load import find_shape_files, load_files

__all__ = [
    "ALL_SHAPES", "CLAIM_SHAPES", "EXAMPLES", "Example", "ResultKey", "base_graph", "examples", "expected_keys",
    "project_shapes", "result_keys", "run_example",
]

ROOT = Path(__file__).resolve().parents[2]
ONTOLOGY = ROOT / "ontology"
EXAMPLES = Path(__file__).resolve().parent
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")

ALL_SHAPES = "https://w3id.org/cryokg/shapes"
CLAIM_SHAPES = "https://w3id.org/cryokg/shapes/claims"
"""``sht:shapesGraph`` values: every file of ontology/shapes/, or claims.ttl alone (as ``cryokg check`` does)."""

ResultKey = tuple[str, str | None, str, str, str | None, str | None]
"""(focus node, result path, constraint component, severity, named shape, value) - what a result must match.
The value is compared only where the expected result gives one (SHACL leaves it optional for some components)."""


@dataclass(frozen=True)
class Example:
    """One manifest entry: a data graph to add to the base, and the expected results."""

    file: Path
    entry: URIRef
    label: str
    data: Graph
    conforms: bool
    expected: frozenset[ResultKey]
    shapes: str = ALL_SHAPES

    @property
    def id(self) -> str:
        return f"{self.file.stem}#{self.entry.split('#')[-1]}"


@cache
def project_shapes(name: str = ALL_SHAPES) -> Graph:
    """The shapes an example names with ``sht:shapesGraph``."""
    if name == CLAIM_SHAPES:
        return load_shapes([ONTOLOGY / "shapes" / "claims.ttl"])
    if name != ALL_SHAPES:
        raise ValueError(f"unknown sht:shapesGraph {name}")
    return load_shapes(find_shape_files(ONTOLOGY))


@cache
def _base() -> Graph:
    files = [ONTOLOGY / "cryokg.ttl", *sorted((ONTOLOGY / "vocab").glob("*.ttl")), EXAMPLES / "base.ttl"]
    return load_files(files).graph


def base_graph() -> Graph:
    """A fresh copy of the base graph (vocabulary + tests/shapes/base.ttl)."""
    graph = Graph()
    for triple in _base():
        graph.add(triple)
    return graph


def _local(iri: URIRef | None) -> str:
    return str(iri).rsplit("#", 1)[-1] if iri is not None else ""


def expected_keys(manifest: Graph, report: URIRef) -> frozenset[ResultKey]:
    keys = set()
    for result in manifest.objects(report, SH.result):
        shape = manifest.value(result, SH.sourceShape)
        value = manifest.value(result, SH.value)
        keys.add((str(manifest.value(result, SH.focusNode)), path_key(manifest, manifest.value(result, SH.resultPath)),
                  _local(manifest.value(result, SH.sourceConstraintComponent)),
                  _local(manifest.value(result, SH.resultSeverity) or SH.Violation),
                  _curie(shape) if shape is not None else None,
                  None if value is None else (str(value) if isinstance(value, URIRef) else value.n3())))
    return frozenset(keys)


def result_keys(outcome: ValidationOutcome, expected: frozenset[ResultKey] = frozenset()) -> frozenset[ResultKey]:
    """The actual results as keys; a value counts only where the expected result with that key names one."""
    with_value = {key[:5] for key in expected if key[5] is not None}
    return frozenset((r.focus, r.path, r.component, r.severity, r.shape,
                      r.value if (r.focus, r.path, r.component, r.severity, r.shape) in with_value else None)
                     for r in outcome.results)


def examples(path: Path) -> list[Example]:
    """The entries of one example file, in manifest order."""
    dataset = Dataset()
    with warnings.catch_warnings():  # rdflib's TriG parser still goes through its deprecated ConjunctiveGraph
        warnings.simplefilter("ignore", DeprecationWarning)
        dataset.parse(path, format="trig", publicID=path.resolve().as_uri())
    manifest = dataset.default_graph
    found = []
    for head in manifest.subjects(RDF.type, MF.Manifest):
        for entry in Collection(manifest, manifest.value(head, MF.entries)):
            action = manifest.value(entry, MF.action)
            report = manifest.value(entry, MF.result)
            data_name = manifest.value(action, SHT.dataGraph)
            data = Graph()
            for triple in dataset.graph(data_name):
                data.add(triple)
            conforms = manifest.value(report, SH.conforms)
            found.append(Example(file=path, entry=entry, label=str(manifest.value(entry, RDFS.label) or ""),
                                 data=data, conforms=bool(conforms.toPython()) if conforms is not None else True,
                                 expected=expected_keys(manifest, report),
                                 shapes=str(manifest.value(action, SHT.shapesGraph) or ALL_SHAPES)))
    return found


def run_example(example: Example) -> ValidationOutcome:
    graph = base_graph()
    for triple in example.data:
        graph.add(triple)
    return validate_graph(graph, project_shapes(example.shapes), inplace=True)


def _print_expected(path: Path) -> None:  # pragma: no cover - a helper for writing examples
    for example in examples(path):
        outcome = run_example(example)
        print(f"# {example.id}: {len(outcome.results)} results")
        for r in outcome.results:
            print(f"    sh:result [ a sh:ValidationResult ; sh:focusNode <{r.focus}> ; "
                  f"sh:resultPath {r.path} ; sh:sourceConstraintComponent sh:{r.component} ; "
                  f"sh:resultSeverity sh:{r.severity} ; sh:sourceShape {r.shape} ] ;")


if __name__ == "__main__":  # pragma: no cover
    for argument in sys.argv[1:]:
        _print_expected(Path(argument))
