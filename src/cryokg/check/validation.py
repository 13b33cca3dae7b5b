"""SHACL validation of the graph against the shapes in ``ontology/shapes/``.

Severities follow SHACL (https://www.w3.org/TR/shacl/#severity): ``sh:Violation`` breaks use and stops a
build; ``sh:Warning`` (quality) and ``sh:Info`` (notes) are reported, and ``--strict`` makes warnings fail too.

Two engines, no inference (the sources state their types and the vocabulary's ``rdfs:subClassOf`` triples
are part of the data graph, which is all ``sh:targetClass`` and ``sh:class`` need): cryokg's own
(:mod:`cryokg.check.shacl`, the default) and pyshacl, the reference it is tested against. The Jena cross-check
(``scripts/jena-shacl``) runs the same shapes on the same data.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pyoxigraph as ox
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from cryokg.errors import BadInput, EngineUnsupported, SourceError
from cryokg.gcpause import collector_paused
from cryokg.namespaces import prefixes_for
from cryokg.rdf.parsing import parse_rdf, read_limited
from cryokg.sources.load import DEFAULT_SOURCES, SourceSet, find_data_files, find_shape_files, load_files

if TYPE_CHECKING:
    from cryokg.check.shacl import RawResult

__all__ = [
    "ENGINES",
    "SHAPES_NAMESPACE",
    "ValidationFailed",
    "ValidationOutcome",
    "ValidationResult",
    "check_shapes",
    "is_shapes_file",
    "load_shapes",
    "path_key",
    "resolve_inputs",
    "validate_graph",
    "validate_paths",
    "validate_release",
]

SHAPES_NAMESPACE = "https://w3id.org/cryokg/shapes/"
SEVERITIES = ("Violation", "Warning", "Info")
_SHAPE_DECLARATION = re.compile(r"\b(sh:NodeShape|sh:PropertyShape|shacl#NodeShape|shacl#PropertyShape)\b")


@dataclass(frozen=True)
class ValidationResult:
    """One ``sh:ValidationResult``, flattened.

    ``shape`` names the shape a reader can look up: the shape itself when it has an IRI, otherwise (a blank
    property shape) the named node shape that holds it; together with ``path`` that identifies the rule.
    """

    severity: str  # "Violation" | "Warning" | "Info"
    focus: str
    path: str | None
    component: str
    message: str
    shape: str | None
    value: str | None = None


@dataclass
class ValidationOutcome:
    """The report of one validation run."""

    results: list[ValidationResult]
    report: Graph
    shapes_files: list[Path] = field(default_factory=list)
    origins: dict[str, str | None] = field(default_factory=dict)
    """Focus IRI -> ``file:line`` of the source that describes it, where the data came from files."""

    def count(self, severity: str) -> int:
        return sum(1 for r in self.results if r.severity == severity)

    @property
    def conforms(self) -> bool:
        """``sh:conforms`` as SHACL defines it (3.6.1): true only when there is no result of any severity."""
        return not self.results

    def passes(self, *, strict: bool = False) -> bool:
        """Whether the outcome is acceptable for use (exit status 0, a build writes): no Violation, and with
        *strict* no Warning either. Warnings and infos make ``sh:conforms`` false but do not break use."""
        return self.count("Violation") == 0 and not (strict and self.count("Warning"))

    def summary(self) -> str:
        """``conforms`` (no result at all), ``no violations`` (warnings or infos only: sh:conforms is false,
        but nothing breaks use) or ``DOES NOT CONFORM``, with the counts."""
        verdict = "conforms" if self.conforms else "no violations" if self.passes() else "DOES NOT CONFORM"
        return (f"{verdict} ({self.count('Violation')} violations, {self.count('Warning')} warnings, "
                f"{self.count('Info')} info; {len(self.shapes_files)} shapes files)")


class ValidationFailed(Exception):
    """The graph has at least one SHACL Violation."""

    def __init__(self, outcome: ValidationOutcome) -> None:
        super().__init__(outcome.summary())
        self.outcome = outcome


def is_shapes_file(path: Path) -> bool:
    """A file holds shapes when it is named ``shapes.ttl`` / ``*.shapes.ttl`` or declares a ``sh:NodeShape`` /
    ``sh:PropertyShape`` (by prefixed name or full IRI)."""
    path = Path(path)
    if path.name == "shapes.ttl" or path.name.endswith(".shapes.ttl"):
        return True
    try:
        return bool(_SHAPE_DECLARATION.search(read_limited(path).decode("utf-8", errors="replace")))
    except OSError as exc:
        raise SourceError(path, f"cannot read: {exc.strerror or exc}") from exc


def load_shapes(paths: list[Path]) -> Graph:
    """Parse shapes files; a broken one is bad input (exit 2), named with file, line and column."""
    shapes = Graph()
    for path in paths:
        try:
            text = read_limited(path).decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SourceError(path, f"cannot read shapes: {getattr(exc, 'strerror', None) or exc}") from exc
        # Shapes legitimately use blank nodes (sh:property [...]), so they skip parse_turtle's blank-node rule
        # but still go through the one strict parser (errors name file, line and column; limits apply).
        # Literals keep their lexical form: SHACL tells "true" from "1"^^xsd:boolean (sh:uniqueLang).
        declared: dict[str, str] = {}
        for triple in parse_rdf(text.encode("utf-8"), fmt="turtle", name=str(path),
                                base_iri=Path(path).resolve().as_uri(), normalize=False, prefixes=declared):
            shapes.add(triple)
        for prefix, namespace in declared.items():
            shapes.bind(prefix, namespace, override=False)
    return shapes


def check_shapes(shapes: Graph, *, files: list[Path] | None = None) -> None:
    """Validate the shapes themselves against SHACL-for-SHACL (https://www.w3.org/TR/shacl/#shacl-shacl).

    Raises :class:`BadInput` naming the first broken shape: bad shapes are bad input, not a data problem.
    When *shapes* was loaded from *files*, a pass is remembered (:mod:`cryokg.check.shapes_cache`), keyed by the
    files' bytes and pyshacl's version: the check runs pyshacl, which costs most of a cold ``cryokg validate``.
    """
    from cryokg.check.shapes_cache import ShapesCheckCache

    cache = ShapesCheckCache.for_files(files) if files else None
    if cache is not None and cache.passed():
        return
    from pyshacl.entrypoints import meta_validate

    conforms, report, _text = meta_validate(shapes, inference="none")
    if not conforms:
        first = next(iter(report.subjects(RDF.type, SH.ValidationResult)))
        raise BadInput(f"the shapes are not valid SHACL: {report.value(first, SH.focusNode)}: "
                       f"{report.value(first, SH.resultMessage)}")
    if cache is not None:
        cache.remember_pass()


def path_key(graph: Graph, path: Node | None) -> str | None:
    """A SHACL property path as short text: ``skos:notation``, ``^cryo:structure``, ``cryo:a/skos:b``."""
    if path is None:
        return None
    if isinstance(path, URIRef):
        return _curie(path)
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        return "^" + (path_key(graph, inverse) or "")
    if graph.value(path, RDF.first) is not None:
        from rdflib.collection import Collection

        return "/".join(path_key(graph, step) or "" for step in Collection(graph, path))
    for modifier, mark in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?")):
        inner = graph.value(path, modifier)
        if inner is not None:
            return f"({path_key(graph, inner)}){mark}"
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        from rdflib.collection import Collection

        return "|".join(path_key(graph, step) or "" for step in Collection(graph, alternatives))
    return str(path)


_PREFIXES = {**prefixes_for(), "cryosh": SHAPES_NAMESPACE}


def _curie(iri: URIRef | str) -> str:
    from cryokg.namespaces import curie

    return curie(str(iri), _PREFIXES)


_IRI_IN_TEXT = re.compile(r"https?://[^\s<>\"{}|\\^`,;]+[^\s<>\"{}|\\^`,;.)]")


def _shorten_iris(message: str) -> str:
    """Write the IRIs that SPARQL messages substitute (``{?value}``) as CURIEs where a prefix fits."""
    return _IRI_IN_TEXT.sub(lambda m: _curie(m.group(0)), message)


def _term(graph: Graph, node: Node | None) -> str | None:
    """An IRI as itself; a literal in N-Triples form (``"1"^^<...#integer>``), so results compare exactly."""
    if node is None:
        return None
    if isinstance(node, URIRef):
        return str(node)
    return node.n3()


def _named_shape(shapes: Graph, shape: Node | None) -> str | None:
    """The IRI of *shape*, or of the named node shape that holds it through ``sh:property``."""
    seen = 0
    while isinstance(shape, BNode) and seen < 10:
        parent = next(shapes.subjects(SH.property, shape), None)
        if parent is None:
            return None
        shape, seen = parent, seen + 1
    return _curie(shape) if isinstance(shape, URIRef) else None


ENGINES = ("auto", "cryokg", "pyshacl")
"""``cryokg``: the project's engine (:mod:`cryokg.check.shacl`); ``pyshacl``: the reference; ``auto``: cryokg's
engine unless the shapes use a feature it does not evaluate, then pyshacl."""


def validate_graph(data: Graph, shapes: Graph, *, shapes_files: list[Path] | None = None,
                   inplace: bool = False, engine: str = "auto", store: ox.Store | None = None) -> ValidationOutcome:
    """Validate *data* against *shapes* (no extra inference: the data states its types).

    Both engines give the same results (``tests/test_shacl_engine.py`` compares them on the release, every
    shape's examples and synthetic graphs); cryokg's is the default because it is an order of magnitude
    faster (``docs/benchmarks.md``). *inplace* lets pyshacl work on *data* itself instead of a copy (faster;
    only for throw-away graphs); cryokg's engine never changes *data*. *store*: a pyoxigraph store holding
    the same triples as *data* in its default graph, for cryokg's engine to run SHACL-SPARQL on (read only).
    """
    if engine not in ENGINES:
        raise BadInput(f"unknown SHACL engine {engine!r}; choose one of {', '.join(ENGINES)}")
    return _off_the_network(_validate, data, shapes, shapes_files, inplace, engine, store)


def _off_the_network(function: Callable[..., ValidationOutcome], *args: object) -> ValidationOutcome:
    """Run a validation where no socket can be opened (:mod:`cryokg.sandbox`).

    Shapes may come from anyone (``cryokg validate --shapes``), and both engines evaluate SHACL-SPARQL with a
    SPARQL engine that would follow ``SERVICE`` (pyoxigraph, rdflib). Such queries are refused when the shapes
    are compiled (SHACL 5.3.1.1); this is the layer below that check. Where the kernel filter cannot be loaded
    (not Linux, no libseccomp) the refusal at compile time is the only barrier.
    """
    from cryokg.sandbox import SandboxUnavailable, call_without_network

    try:
        return call_without_network(function, *args)
    except SandboxUnavailable:
        return function(*args)
    except PermissionError as exc:  # the filter refused a socket: a query tried to reach another host
        raise BadInput(f"a SHACL-SPARQL query tried to open a network connection, which validation never does "
                       f"(refused: {exc})") from None


def _validate(data: Graph, shapes: Graph, shapes_files: list[Path] | None, inplace: bool,
              engine: str, store: ox.Store | None = None) -> ValidationOutcome:
    if engine != "pyshacl":
        from cryokg.check.shacl import Engine, IllFormed, Unsupported, compile_shapes

        try:
            model = compile_shapes(shapes)
            with collector_paused():
                raw = Engine(model, data, store=store).validate()
        except IllFormed as exc:
            raise BadInput(f"the shapes are not valid SHACL: {exc}") from exc
        except Unsupported as exc:
            if engine == "cryokg":
                raise EngineUnsupported(f"cryokg's SHACL engine cannot evaluate these shapes ({exc}); "
                                        "use --engine pyshacl") from exc
            try:
                return _validate_with_pyshacl(data, shapes, shapes_files=shapes_files, inplace=inplace)
            except EngineUnsupported as fallback:
                raise EngineUnsupported(f"neither engine can evaluate these shapes: cryokg's: {exc}; "
                                        f"pyshacl: {fallback}") from fallback
        return _outcome(_from_engine(raw, shapes), _engine_report(raw, shapes), shapes_files)
    return _validate_with_pyshacl(data, shapes, shapes_files=shapes_files, inplace=inplace)


def _validate_with_pyshacl(data: Graph, shapes: Graph, *, shapes_files: list[Path] | None,
                           inplace: bool) -> ValidationOutcome:
    from pyshacl import validate as shacl_validate  # imported here: it costs half a second, and is the fallback

    try:
        # allow_warnings stays False: sh:conforms is false on a result of any severity (SHACL 3.6.1).
        _conforms, report, _text = shacl_validate(data, shacl_graph=shapes, inference="none", advanced=True,
                                                  inplace=inplace)
    except Exception as exc:  # pyshacl reports bad shapes with its own exception types
        if isinstance(exc, NotImplementedError) or "not currently supported" in str(exc):
            raise EngineUnsupported(f"pyshacl cannot evaluate these shapes: {exc}") from exc
        raise BadInput(f"the shapes could not be used: {exc}") from exc
    if not isinstance(report, Graph):  # pyshacl returns its ValidationFailure in place of a report
        raise BadInput(f"the shapes could not be used: {report}")
    results = []
    # Only the report's own sh:result nodes: results nested under sh:detail explain a parent, they are not
    # results of their own (https://www.w3.org/TR/shacl/#results-detail).
    for node in report.objects(None, SH.result):
        severity = report.value(node, SH.resultSeverity)
        results.append(ValidationResult(
            severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
            focus=_term(report, report.value(node, SH.focusNode)) or "",
            path=path_key(report, report.value(node, SH.resultPath)),
            component=str(report.value(node, SH.sourceConstraintComponent)).rsplit("#", 1)[-1],
            message=_shorten_iris(str(report.value(node, SH.resultMessage) or "")),
            shape=_named_shape(shapes, report.value(node, SH.sourceShape)),
            value=_term(report, report.value(node, SH.value)),
        ))
    return _outcome(results, report, shapes_files)


def _from_engine(raw: list[RawResult], shapes: Graph) -> list[ValidationResult]:
    named: dict[Node, str | None] = {}
    results = []
    for r in raw:
        shape = r.shape.node
        if shape not in named:
            named[shape] = _named_shape(shapes, shape)
        results.append(ValidationResult(
            severity=str(r.severity).rsplit("#", 1)[-1],
            focus=_term(shapes, r.focus) or "",
            path=path_key(shapes, r.path),
            component=str(r.component).rsplit("#", 1)[-1],
            message=_shorten_iris(str(min(r.messages, key=str))) if r.messages else "",
            shape=named[shape],
            value=_term(shapes, r.value),
        ))
    return results


def _engine_report(raw: list[RawResult], shapes: Graph) -> Graph:
    from cryokg.check.shacl import report_graph

    return report_graph(raw, shapes)


def _outcome(results: list[ValidationResult], report: Graph,
             shapes_files: list[Path] | None) -> ValidationOutcome:
    results.sort(key=lambda r: (r.focus, SEVERITIES.index(r.severity) if r.severity in SEVERITIES else 9,
                                r.component, r.path or "", r.message, r.value or ""))
    report.bind("sh", SH)
    for prefix, namespace in _PREFIXES.items():
        report.bind(prefix, namespace, override=False)
    return ValidationOutcome(results=results, report=report, shapes_files=list(shapes_files or []))


class _Release(Protocol):
    """What :func:`validate_release` reads of a release (:class:`cryokg.release.model.Release`, a later stage)."""

    @property
    def sources(self) -> SourceSet: ...


def validate_release(release: _Release, *, sources_dir: Path = DEFAULT_SOURCES) -> ValidationOutcome:
    """Validate a release's asserted graph against the shapes of its sources folder.

    The graph validated is the one the sources state, before ``--base-iri`` moves it: the shapes name our
    IRIs under the default base, and rebasing changes no fact.
    """
    files = find_shape_files(sources_dir)
    outcome = validate_graph(release.sources.graph, load_shapes(files), shapes_files=files,
                             store=release.sources.store)
    outcome.origins = _origins(release.sources)
    return outcome


def _origins(sources: SourceSet) -> dict[str, str | None]:
    """``file:line`` per described node, relative to the working directory where the file lies below it."""
    cwd = str(Path.cwd()) + "/"
    places = {}
    for node in sources.origins:
        place = sources.origin_of(node)
        places[str(node)] = place[len(cwd):] if place and place.startswith(cwd) else place
    return places


def resolve_inputs(paths: list[Path] | None = None,
                   shapes_paths: list[Path] | None = None) -> tuple[list[Path], list[Path]]:
    """Split the command line's PATHs into (data files, shapes files).

    With *shapes_paths* (``--shapes FILE``, repeatable) the roles are explicit: every PATH is data (a folder
    gives its data files), and the shapes are exactly *shapes_paths*, so one file can be both (as in the W3C
    SHACL test suite, where each test file holds data, shapes and the expected report). Without them:

    - no PATH: the project's ``ontology/`` folder;
    - a folder is searched like ``ontology/`` (``*.ttl``, ``vocab/*.ttl``, ``data/*.ttl``, ``mappings/``) and
      its ``shapes/`` (or ``shapes.ttl``) supply shapes;
    - a file is a data file unless :func:`is_shapes_file` says it holds shapes;
    - when no shapes came from the PATHs, the project's ``ontology/shapes/`` is used.
    """
    data: list[Path] = []
    shapes: list[Path] = []
    if shapes_paths:
        for path in [Path(p) for p in shapes_paths]:
            if not path.is_file():
                raise BadInput(f"{path}: no such shapes file")
            shapes.append(path)
        for path in [Path(p) for p in (paths or [DEFAULT_SOURCES])]:
            if path.is_dir():
                data.extend(find_data_files(path))
            elif path.is_file():
                data.append(path)
            else:
                raise BadInput(f"{path}: no such file or folder")
        if not data:
            raise BadInput("no data files to validate (give a data file or a sources folder)")
        return sorted(dict.fromkeys(data)), list(dict.fromkeys(shapes))
    for path in [Path(p) for p in (paths or [DEFAULT_SOURCES])]:
        if path.is_dir():
            data.extend(find_data_files(path))
            shapes.extend(find_shape_files(path))
        elif path.is_file():
            (shapes if is_shapes_file(path) else data).append(path)
        else:
            raise BadInput(f"{path}: no such file or folder")
    if not data:
        raise BadInput("no data files to validate (give a data file or a sources folder)")
    if not shapes:
        shapes = find_shape_files(DEFAULT_SOURCES)
        if not shapes:
            raise BadInput(f"no shapes found: {DEFAULT_SOURCES / 'shapes'} is empty; give a shapes file")
    return sorted(dict.fromkeys(data)), sorted(dict.fromkeys(shapes))


def validate_paths(paths: list[Path] | None = None, *, shapes: list[Path] | None = None, check_meta: bool = True,
                   engine: str = "auto") -> tuple[SourceSet, ValidationOutcome]:
    """Load the data and shapes named by *paths* (see :func:`resolve_inputs`) and validate.

    The data files are only parsed, not cross-checked: an undescribed IRI is a SHACL result here, not an
    error. Unreadable files and shapes that are not valid SHACL raise :class:`BadInput`.

    >>> _sources, outcome = validate_paths()
    >>> outcome.passes(), outcome.conforms  # no Violation; warnings and infos make sh:conforms false
    (True, False)
    """
    data_files, shape_files = resolve_inputs(paths, shapes)
    sources = load_files(data_files, any_rdf=True)
    shapes_graph = load_shapes(shape_files)
    if check_meta:
        check_shapes(shapes_graph, files=shape_files)
    outcome = validate_graph(sources.graph, shapes_graph, shapes_files=shape_files, engine=engine)
    outcome.origins = _origins(sources)
    return sources, outcome
