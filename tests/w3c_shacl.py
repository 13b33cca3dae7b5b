"""The W3C SHACL test suite (w3c/data-shapes, ``data-shapes-test-suite/tests``): fetch it, list its
``sht:Validate`` entries, run one entry with an engine, and judge the answer.

The suite is not copied into this repository. pyshacl's source distribution on PyPI ships it
(``test/resources/sht_tests/``), so :func:`suite_root` downloads that sdist once with pip
(``pip download --no-deps --no-binary :all: pyshacl==VERSION``) and keeps only the suite, in the user's cache
folder (``$XDG_CACHE_HOME/cryokg/``, default ``~/.cache/cryokg/``), outside the work tree.

An answer is judged the way pyshacl's own W3C runner (``test/test_sht_validate.py``) does, but stricter: the
expected ``sh:conforms`` and the multiset of (focus node, result path, source shape, constraint component,
severity, value) of the results must both match. Blank nodes (a blank focus node, a blank property shape, a
path written as a blank node) cannot be matched by label across two parses, so they are compared by structure:
their outgoing triples, recursively. An entry whose expected result is ``sht:Failure`` passes when the engine
refuses the shapes with a clear error (:class:`cryokg.errors.BadInput`).

Outcome categories: ``pass``; ``unsupported`` (the engine declared it cannot evaluate the shapes:
:class:`cryokg.errors.EngineUnsupported`); ``refused`` (a clear error, exit 2, where the suite expects a report:
not a wrong answer, but not the suite's either); ``wrong`` (a confident answer that differs, or a report where
the suite expects the shapes to be refused) and ``crash`` (any other exception).

Used by ``tests/test_w3c_shacl.py`` and by ``scripts/bench_shacl.py`` (pass counts per engine).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

__all__ = ["SUITE_VERSION", "Entry", "Verdict", "entries", "judge", "run_cryokg", "suite_root"]

SUITE_VERSION = "0.40.1"
"""The pyshacl release whose sdist supplies the suite (pinned, with pyshacl itself, in the ``test`` extra)."""

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")
SUITE_PREFIX = f"pyshacl-{SUITE_VERSION}/test/resources/sht_tests/"


def cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cryokg"


def suite_root() -> Path:
    """The folder holding the suite's top ``manifest.ttl``, downloaded and unpacked on first use."""
    root = cache_home() / "w3c-shacl" / f"pyshacl-{SUITE_VERSION}"
    if (root / "manifest.ttl").is_file():
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root.parent) as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                        "--no-deps", "--no-binary", ":all:", f"pyshacl=={SUITE_VERSION}", "-d", tmp], check=True)
        archive = next(Path(tmp).glob("pyshacl-*.tar.gz"))
        unpacked = Path(tmp) / "suite"
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith(SUITE_PREFIX) and (m.isfile() or m.isdir())]
            for member in members:
                member.name = member.name[len(SUITE_PREFIX):]
            tar.extractall(unpacked, members=[m for m in members if m.name], filter="data")
        if not (unpacked / "manifest.ttl").is_file():
            raise RuntimeError(f"{archive.name} holds no {SUITE_PREFIX}manifest.ttl")
        if not (root / "manifest.ttl").is_file():  # another process may have won the race
            shutil.rmtree(root, ignore_errors=True)
            unpacked.rename(root)
    return root


@dataclass(frozen=True)
class Entry:
    id: str
    """The entry's IRI relative to the suite root, e.g. ``core/property/property-001``."""
    label: str
    data: Path
    shapes: Path
    manifest: Path
    node: URIRef


def entries(root: Path, sections: tuple[str, ...] = ("core", "sparql")) -> list[Entry]:
    """Every ``sht:Validate`` entry of the suite's *sections*, in manifest order."""
    found: list[Entry] = []
    _collect(root / "manifest.ttl", root, found, depth=0)
    return [e for e in found if e.id.split("/", 1)[0] in sections]


def _collect(manifest: Path, root: Path, found: list[Entry], depth: int) -> None:
    if depth > 10:
        raise RuntimeError(f"{manifest}: manifests nested too deep")
    graph = Graph().parse(manifest, format="turtle", publicID=manifest.resolve().as_uri())
    for node in graph.subjects(RDF.type, MF.Manifest):
        for include in graph.objects(node, MF.include):
            _collect(_path(include), root, found, depth + 1)
        for listed in graph.objects(node, MF.entries):
            for entry in graph.items(listed):
                if (entry, RDF.type, SHT.Validate) not in graph:
                    continue
                action = graph.value(entry, MF.action)
                found.append(Entry(
                    id=_path(entry).relative_to(root.resolve()).as_posix(),
                    label=str(graph.value(entry, URIRef("http://www.w3.org/2000/01/rdf-schema#label")) or ""),
                    data=_path(graph.value(action, SHT.dataGraph)), shapes=_path(graph.value(action, SHT.shapesGraph)),
                    manifest=manifest, node=entry))


def _path(iri: Node | None) -> Path:
    if not isinstance(iri, URIRef) or not str(iri).startswith("file://"):
        raise RuntimeError(f"expected a file IRI, got {iri!r}")
    from urllib.parse import unquote, urlparse

    return Path(unquote(urlparse(str(iri)).path))


def parse(path: Path) -> Graph:
    return Graph().parse(path, format="turtle", publicID=path.resolve().as_uri())


# --- judging an answer -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    outcome: str  # "pass" | "unsupported" | "refused" | "wrong" | "crash"
    detail: str = ""


def _describe(node: Node | None, graphs: list[Graph], depth: int = 0, seen: frozenset = frozenset()) -> str:
    """A blank node as the sorted text of its outgoing triples (recursively); other terms as N-Triples."""
    if node is None:
        return "-"
    if not isinstance(node, BNode):
        if isinstance(node, Literal):
            return node.n3()
        return f"<{node}>"
    if depth > 4 or node in seen:
        return "[...]"
    for graph in graphs:
        pairs = list(graph.predicate_objects(node))
        if pairs:
            inner = sorted(f"<{p}> {_describe(o, [graph], depth + 1, seen | {node})}" for p, o in pairs)
            return "[" + " ; ".join(inner) + "]"
    return "[]"


def result_keys(report: Graph, report_node: Node, graphs: list[Graph]) -> Counter:
    """The multiset of comparable results of one ``sh:ValidationReport`` (*graphs*: where blank nodes are
    described, the report graph first)."""
    keys: Counter = Counter()
    look = [report, *graphs]
    for result in report.objects(report_node, SH.result):
        keys[tuple(_describe(report.value(result, p), look) for p in (
            SH.focusNode, SH.resultPath, SH.sourceShape, SH.sourceConstraintComponent, SH.resultSeverity,
            SH.value))] += 1
    return keys


def expected(entry: Entry) -> tuple[bool, Counter] | None:
    """``None`` when the entry expects ``sht:Failure``; else (conforms, result keys)."""
    manifest = parse(entry.manifest)
    result = manifest.value(entry.node, MF.result)
    if result == SHT.Failure:
        return None
    conforms = manifest.value(result, SH.conforms)
    return bool(conforms.toPython()), result_keys(manifest, result, [manifest, parse(entry.data), parse(entry.shapes)])


Run = Callable[[Entry], tuple[Graph, list[Graph]]]
"""Runs an entry: (report graph, [data graph, shapes graph] where the report's blank nodes are described)."""


def judge(entry: Entry, run: Run) -> Verdict:
    """Run *entry* with *run* and judge the answer."""
    from cryokg.errors import BadInput, EngineUnsupported

    want = expected(entry)
    try:
        report, graphs = run(entry)
    except EngineUnsupported as exc:
        return Verdict("unsupported", str(exc))
    except BadInput as exc:
        if want is None:
            return Verdict("pass", f"refused: {exc}")
        return Verdict("refused", f"refused shapes the suite accepts: {exc}")
    except Exception as exc:  # any other exception is what this category counts
        return Verdict("crash", f"{type(exc).__name__}: {exc}")
    if want is None:
        return Verdict("wrong", "gave a report where the suite expects the shapes to be refused")
    node = next(report.subjects(RDF.type, SH.ValidationReport), None)
    if node is None:
        return Verdict("wrong", "no sh:ValidationReport")
    conforms = report.value(node, SH.conforms)
    got = result_keys(report, node, graphs)
    conforms_ok = isinstance(conforms, Literal) and bool(conforms.toPython()) == want[0]
    if conforms_ok and got == want[1]:
        return Verdict("pass")
    missing, extra = want[1] - got, got - want[1]
    return Verdict("wrong", f"sh:conforms {conforms} (expected {want[0]}); missing {sorted(missing)}; "
                            f"unexpected {sorted(extra)}")


def run_cryokg(engine: str) -> Run:
    """``cryokg validate DATA --shapes SHAPES --engine ENGINE`` (``cryokg``, ``auto`` or ``pyshacl``), through
    the same library calls: cryokg's loaders, the SHACL-for-SHACL check of the shapes, then the engine."""
    from cryokg.check.validation import check_shapes, load_shapes, resolve_inputs, validate_graph
    from cryokg.sources.load import load_files

    def run(entry: Entry) -> tuple[Graph, list[Graph]]:
        data_files, shapes_files = resolve_inputs([entry.data], [entry.shapes])
        data = load_files(data_files, any_rdf=True).graph
        shapes = load_shapes(shapes_files)
        check_shapes(shapes)  # not remembered (files=None): the check runs every time here
        return validate_graph(data, shapes, engine=engine).report, [data, shapes]
    return run
