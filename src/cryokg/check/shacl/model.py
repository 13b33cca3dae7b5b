"""Shapes compiled from a shapes graph into plain objects, each constraint into one small check function.

What the engine evaluates is stated here and nowhere else: the SHACL Core components except
``sh:lessThan``/``sh:lessThanOrEquals``, and SHACL-SPARQL constraints (``sh:sparql`` with ``sh:select``;
``$this``, ``$currentShape`` and ``$shapesGraph`` pre-bound, ``$PATH`` substituted).
A shapes graph that uses anything else (SHACL-AF rules, custom constraint components, SPARQL-based targets,
``sh:shapesGraph``, recursive shapes, ``$currentShape`` of a blank shape) raises :class:`Unsupported`, and
validation falls back to pyshacl, the reference engine. A shapes graph that breaks a rule of SHACL the engine
relies on (forbidden SPARQL, 5.3.1.1; a query that does not parse) raises :class:`IllFormed`: no engine should
answer for it. The checks mirror pyshacl's semantics where the specification leaves room
(literal comparison, ``sh:uniqueLang`` reporting, SPARQL result rows), so both engines report the same results.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Protocol, cast

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH, XSD
from rdflib.term import Node

from cryokg.check.shacl.index import DataIndex, Key, Path, UnaryKind, is_blank, is_literal, key_of
from cryokg.check.shacl.sparql import batchable, forbidden, prebind, uses

__all__ = ["CLOSED", "SHAPES_GRAPH", "Check", "CheckContext", "Finding", "IllFormed", "Shape", "ShapesModel",
           "SparqlConstraint", "Unsupported", "batchable", "compile_shapes", "path_sparql"]


class Unsupported(Exception):
    """The shapes use a feature this engine does not evaluate; the caller falls back to pyshacl."""


class IllFormed(Exception):
    """The shapes break a rule of SHACL (e.g. SPARQL that 5.3.1.1 forbids): bad input, for every engine."""


SHAPES_GRAPH = "urn:x-cryokg:shapes-graph"
"""The name of the graph the engine's pyoxigraph store holds the shapes graph in, for ``$shapesGraph``."""


Finding = tuple[Key | tuple[str, Key] | None, URIRef]
"""(value node, constraint component) of one failed constraint: the value node's key, ``None`` when the
constraint has no value node (``sh:minCount``, ...), and for :data:`CLOSED` the ``(predicate, object)`` pair."""


class CheckContext(Protocol):
    """What a check reads from the engine that runs it (:class:`~cryokg.check.shacl.engine.Engine`, which
    imports this module, so the checks name it by what they use)."""

    @property
    def index(self) -> DataIndex: ...

    def conforms(self, shape: Shape, node: Key) -> bool: ...


Check = Callable[[CheckContext, Key, Sequence[Key]], Sequence[Finding]]
"""``check(engine, focus, value_nodes)``: the findings of one constraint for one focus node (empty, so false,
when it holds)."""


@dataclass(eq=False)
class SparqlConstraint:
    node: Node
    query: str
    """The query as it runs: prefixes declared, ``$PATH``, ``$currentShape`` and ``$shapesGraph`` substituted;
    ``$this`` still free (pre-bound per focus node by the engine)."""
    messages: tuple[Literal, ...]
    batch: bool = False
    """The query can run once for all focus nodes (see :func:`batchable`) instead of once per focus node."""
    shapes_graph: bool = False
    """The query reads the shapes graph (``$shapesGraph``)."""


@dataclass(eq=False)
class Shape:
    node: Node
    path: Path | None = None
    path_node: Node | None = None
    predicate: str | None = None
    """The IRI of *path* when it is a plain predicate (what most property shapes have): one look-up."""
    inverse_predicate: str | None = None
    """The IRI of *path* when it is the inverse of a plain predicate: one look-up too."""
    severity: Node = SH.Violation
    """``sh:severity``: ``sh:Violation``, ``sh:Warning``, ``sh:Info`` or whatever node the shapes graph names."""
    messages: tuple[Literal, ...] = ()
    deactivated: bool = False
    checks: list[Check] = field(default_factory=list)
    sparql: list[SparqlConstraint] = field(default_factory=list)
    properties: list[Shape] = field(default_factory=list)
    targets: list[tuple[URIRef, Key]] = field(default_factory=list)


@dataclass
class ShapesModel:
    graph: Graph
    shapes: dict[Node, Shape]
    targeted: list[Shape]
    """Shapes with targets, in a stable order: where validation starts."""


_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
_UNARY_PATHS: tuple[tuple[URIRef, UnaryKind], ...] = (
    (SH.inversePath, "inv"), (SH.zeroOrMorePath, "star"), (SH.oneOrMorePath, "plus"), (SH.zeroOrOnePath, "opt"))
_UNSUPPORTED_PARAMETERS = tuple(URIRef(str(SH) + name) for name in (
    "lessThan", "lessThanOrEquals", "target", "rule", "js", "ask", "shapesGraph", "entailment"))
_UNSUPPORTED_TYPES = tuple(URIRef(str(SH) + name) for name in (
    "ConstraintComponent", "SPARQLRule", "TripleRule", "SPARQLTarget", "JSConstraint", "SPARQLFunction",
    "SPARQLTargetType", "SPARQLAskValidator", "SPARQLSelectValidator"))
_NODE_KINDS: dict[Node, Callable[[Key], bool]] = {
    SH.IRI: lambda v: type(v) is str and not v.startswith("_:"),
    SH.BlankNode: is_blank,
    SH.Literal: is_literal,
    SH.BlankNodeOrIRI: lambda v: type(v) is str,
    SH.BlankNodeOrLiteral: lambda v: not (type(v) is str and not v.startswith("_:")),
    SH.IRIOrLiteral: lambda v: not is_blank(v),
}
_STRING_VALUE = (str, bytes)

# The constraint components, bound once (attribute look-ups on rdflib namespaces are slow in hot loops).
_AND = SH.AndConstraintComponent
_CLASS = SH.ClassConstraintComponent
CLOSED = SH.ClosedConstraintComponent
"""Its findings carry ``(predicate, object)`` instead of a value node."""
_DATATYPE = SH.DatatypeConstraintComponent
_DISJOINT = SH.DisjointConstraintComponent
_EQUALS = SH.EqualsConstraintComponent
_HAS_VALUE = SH.HasValueConstraintComponent
_IN = SH.InConstraintComponent
_LANGUAGE_IN = SH.LanguageInConstraintComponent
_MAX_COUNT = SH.MaxCountConstraintComponent
_MAX_EXCLUSIVE = SH.MaxExclusiveConstraintComponent
_MAX_INCLUSIVE = SH.MaxInclusiveConstraintComponent
_MAX_LENGTH = SH.MaxLengthConstraintComponent
_MIN_COUNT = SH.MinCountConstraintComponent
_MIN_EXCLUSIVE = SH.MinExclusiveConstraintComponent
_MIN_INCLUSIVE = SH.MinInclusiveConstraintComponent
_MIN_LENGTH = SH.MinLengthConstraintComponent
_NODE = SH.NodeConstraintComponent
_NODE_KIND = SH.NodeKindConstraintComponent
_NOT = SH.NotConstraintComponent
_OR = SH.OrConstraintComponent
_PATTERN = SH.PatternConstraintComponent
_QUALIFIED_MAX_COUNT = SH.QualifiedMaxCountConstraintComponent
_QUALIFIED_MIN_COUNT = SH.QualifiedMinCountConstraintComponent
_UNIQUE_LANG = SH.UniqueLangConstraintComponent
_XONE = SH.XoneConstraintComponent


def compile_shapes(graph: Graph) -> ShapesModel:
    """Compile every shape of *graph* that has a target (and the shapes they use)."""
    for kind in _UNSUPPORTED_TYPES:
        if next(graph.subjects(RDF.type, kind), None) is not None:
            raise Unsupported(f"shapes graph uses {kind}")
    for parameter in _UNSUPPORTED_PARAMETERS:
        if next(graph.subject_objects(parameter), None) is not None:
            raise Unsupported(f"shapes graph uses {parameter}")
    compiler = _Compiler(graph)
    roots: dict[Node, None] = {}
    for predicate in _TARGETS:
        for node in graph.subjects(predicate, None):
            roots[node] = None
    for cls in (RDFS.Class, OWL.Class):  # implicit class targets (SHACL 2.1.3.3)
        for node in graph.subjects(RDF.type, cls):
            if (node, RDF.type, SH.NodeShape) in graph or (node, RDF.type, SH.PropertyShape) in graph:
                roots[node] = None
    targeted = [compiler.shape(node) for node in sorted(roots, key=str)]
    for shape in targeted:
        shape.targets = [(p, key_of(o)) for p in _TARGETS for o in sorted(graph.objects(shape.node, p), key=str)]
        if (shape.node, RDF.type, RDFS.Class) in graph or (shape.node, RDF.type, OWL.Class) in graph:
            shape.targets.append((SH.targetClass, key_of(shape.node)))
    return ShapesModel(graph=graph, shapes=compiler.done, targeted=targeted)


class _Compiler:
    def __init__(self, graph: Graph) -> None:
        self.g = graph
        self.done: dict[Node, Shape] = {}
        self._active: set[Node] = set()
        self._prefixes: dict[Node, str] = {}

    def one(self, node: Node, predicate: URIRef) -> Node | None:
        values = list(self.g.objects(node, predicate))
        if len(values) > 1:
            raise Unsupported(f"{node} has {len(values)} values of {predicate}")
        return values[0] if values else None

    def items(self, node: Node | None) -> list[Node]:
        return list(Collection(self.g, node)) if node is not None else []

    def shape(self, node: Node) -> Shape:
        if node in self.done:
            return self.done[node]
        if node in self._active:
            raise Unsupported(f"recursive shape {node}")
        self._active.add(node)
        try:
            shape = self._build(node)
        finally:
            self._active.discard(node)
        self.done[node] = shape
        return shape

    def _build(self, node: Node) -> Shape:
        g = self.g
        path_node = self.one(node, SH.path)
        deactivated = self.one(node, SH.deactivated)
        shape = Shape(
            node=node,
            path=self.path(path_node) if path_node is not None else None,
            path_node=path_node,
            severity=self.one(node, SH.severity) or SH.Violation,
            messages=tuple(m for m in g.objects(node, SH.message) if isinstance(m, Literal)),
            deactivated=bool(isinstance(deactivated, Literal) and deactivated.value is True),
        )
        path = shape.path
        if path is not None and path[0] == "pred":
            shape.predicate = path[1]
        elif path is not None and path[0] == "inv" and (inner := path[1])[0] == "pred":
            shape.inverse_predicate = inner[1]
        shape.checks = list(self.checks(node, property_shape=path_node is not None))
        for constraint in sorted(g.objects(node, SH.sparql), key=str):
            compiled = self.sparql(constraint, shape)
            if compiled is not None:
                shape.sparql.append(compiled)
        shape.properties = [self.shape(p) for p in sorted(g.objects(node, SH.property), key=str)]
        return shape

    def path(self, node: Node) -> Path:
        g = self.g
        if isinstance(node, URIRef):
            return ("pred", str(node))
        if g.value(node, RDF.first) is not None:
            return ("seq", tuple(self.path(step) for step in self.items(node)))
        for predicate, kind in _UNARY_PATHS:
            inner = g.value(node, predicate)
            if inner is not None:
                return (kind, self.path(inner))
        alternatives = g.value(node, SH.alternativePath)
        if alternatives is not None:
            return ("alt", tuple(self.path(step) for step in self.items(alternatives)))
        raise Unsupported(f"unknown property path {node}")

    def checks(self, node: Node, *, property_shape: bool) -> Iterator[Check]:
        g = self.g
        for cls in g.objects(node, SH["class"]):
            yield _class(key_of(cls))
        for datatype in g.objects(node, SH.datatype):
            yield _datatype(datatype)
        for kind in g.objects(node, SH.nodeKind):
            if kind not in _NODE_KINDS:
                raise Unsupported(f"unknown sh:nodeKind {kind}")
            yield _node_kind(_NODE_KINDS[kind])
        if property_shape:
            for bound in g.objects(node, SH.minCount):
                yield _count(_integer(bound), minimum=True)
            for bound in g.objects(node, SH.maxCount):
                yield _count(_integer(bound), minimum=False)
        for parameter, component, accept in _RANGES:
            for bound in g.objects(node, parameter):
                yield _range(bound, component, accept)
        for bound in g.objects(node, SH.minLength):
            yield _length(_integer(bound), _MIN_LENGTH, lambda n, b: n >= b)
        for bound in g.objects(node, SH.maxLength):
            yield _length(_integer(bound), _MAX_LENGTH, lambda n, b: n <= b)
        for pattern in g.objects(node, SH.pattern):
            yield _pattern(pattern, self.one(node, SH.flags))
        for languages in g.objects(node, SH.languageIn):
            yield _language_in([str(x).lower() for x in self.items(languages)])
        for unique in g.objects(node, SH.uniqueLang):
            # Only the literal true activates it, not "1"^^xsd:boolean (W3C suite, core/property/uniqueLang-002).
            if property_shape and unique == _TRUE and str(unique) == "true":
                yield _unique_lang
        for other in g.objects(node, SH.equals):
            yield _equals(str(other))
        for other in g.objects(node, SH.disjoint):
            yield _disjoint(str(other))
        for value in g.objects(node, SH.hasValue):
            yield _has_value(key_of(value))
        for members in g.objects(node, SH["in"]):
            yield _in([key_of(m) for m in self.items(members)])
        for inner in g.objects(node, SH.node):
            yield _node(self.shape(inner))
        for inner in g.objects(node, SH["not"]):
            yield _not(self.shape(inner))
        for parameter, component, test in _LOGICAL:
            for members in g.objects(node, parameter):
                yield _logical([self.shape(m) for m in self.items(members)], component, test)
        for inner in g.objects(node, SH.qualifiedValueShape):
            if property_shape:
                yield self.qualified(node, inner)
        closed = self.one(node, SH.closed)
        if isinstance(closed, Literal) and closed.value is True:
            ignored = set(self.items(self.one(node, SH.ignoredProperties)))
            allowed = {str(p) for p in ignored} | {str(p) for prop in g.objects(node, SH.property)
                                                   for p in [self.one(prop, SH.path)] if isinstance(p, URIRef)}
            yield _closed(frozenset(allowed))

    def qualified(self, node: Node, inner: Node) -> Check:
        shape = self.shape(inner)
        low, high = self.one(node, SH.qualifiedMinCount), self.one(node, SH.qualifiedMaxCount)
        disjoint = self.one(node, SH.qualifiedValueShapesDisjoint)
        siblings: list[Shape] = []
        if isinstance(disjoint, Literal) and disjoint.value is True:
            for parent in self.g.subjects(SH.property, node):
                for sibling in self.g.objects(parent, SH.property):
                    for other in self.g.objects(sibling, SH.qualifiedValueShape):
                        if other != inner:
                            siblings.append(self.shape(other))
        return _qualified(shape, siblings, _integer(low) if low is not None else None,
                          _integer(high) if high is not None else None)

    def sparql(self, node: Node, shape: Shape) -> SparqlConstraint | None:
        """Compile one ``sh:sparql`` constraint of *shape* (``None`` when it is deactivated)."""
        g = self.g
        deactivated = self.one(node, SH.deactivated)
        if isinstance(deactivated, Literal) and deactivated.value is True:
            return None
        select = self.one(node, SH.select)
        if not isinstance(select, Literal):
            raise Unsupported(f"SPARQL constraint {node} without sh:select")
        text = str(select)
        problem = forbidden(text)
        if problem is not None:
            raise IllFormed(f"SPARQL constraint {node} uses {problem}, which SHACL forbids in SHACL-SPARQL "
                            "(https://www.w3.org/TR/shacl/#pre-binding)")
        batch = batchable(text)
        fixed: dict[str, str] = {}
        if uses(text, "PATH"):
            if shape.path is None:
                raise IllFormed(f"SPARQL constraint {node} uses $PATH in a node shape")
            fixed["PATH"] = path_sparql(shape.path)
        if uses(text, "currentShape"):
            if not isinstance(shape.node, URIRef):
                raise Unsupported(f"SPARQL constraint {node} uses $currentShape of a blank node shape")
            fixed["currentShape"] = f"<{shape.node}>"
        if uses(text, "shapesGraph"):
            fixed["shapesGraph"] = f"<{SHAPES_GRAPH}>"
        if fixed:
            text = prebind(text, fixed)
        prefixes, unresolved = self.declared_prefixes(node)
        query = "".join(f"PREFIX {prefix}: <{namespace}>\n" for prefix, namespace in prefixes) + text
        try:
            _EMPTY_STORE.query(query)
        except SyntaxError as exc:
            if unresolved:
                raise Unsupported(f"SPARQL constraint {node} does not parse ({exc}); its sh:prefixes import "
                                  f"{', '.join(sorted(unresolved))}, which the shapes graph does not hold") from exc
            raise IllFormed(f"SPARQL constraint {node}: the query does not parse: {exc}") from exc
        return SparqlConstraint(node=node, query=query, batch=batch, shapes_graph="shapesGraph" in fixed,
                                messages=tuple(m for m in g.objects(node, SH.message) if isinstance(m, Literal)))

    def declared_prefixes(self, node: Node) -> tuple[list[tuple[str, str]], set[str]]:
        """The prefixes ``sh:prefixes`` points to, through ``sh:declare`` (SHACL 5.2.1), sorted for stable text,
        following ``owl:imports`` within the shapes graph (W3C suite, sparql/node/prefixes-001); and the
        imported IRIs the shapes graph says nothing about (the engine does not fetch documents)."""
        found = []
        unresolved: set[str] = set()
        todo = list(self.g.objects(node, SH.prefixes))
        seen: set[Node] = set()
        while todo:
            source = todo.pop()
            if source in seen:
                continue
            seen.add(source)
            if next(iter(self.g.predicate_objects(source)), None) is None:
                unresolved.add(str(source))
            for declaration in self.g.objects(source, SH.declare):
                prefix, namespace = self.g.value(declaration, SH.prefix), self.g.value(declaration, SH.namespace)
                if prefix is not None and namespace is not None:
                    found.append((str(prefix), str(namespace)))
            todo.extend(self.g.objects(source, OWL.imports))
        return sorted(set(found)), unresolved


_TRUE = Literal(True)
_EMPTY_STORE = ox.Store()
"""Queries are parsed (run on no data) when the shapes are compiled, so a broken one is found then."""


def _integer(value: Node) -> int:
    """An integer parameter (``sh:minCount``, ``sh:maxLength``, ...) read from its text: every rdflib term is a
    string, and ``int`` reads a literal as its lexical form (one that is no integer raises ``ValueError``)."""
    return int(str(value))


def path_sparql(path: Path) -> str:
    """A compiled property path in SPARQL syntax, for ``$PATH`` (SHACL 5.3.1.2)."""
    if path[0] == "pred":
        return f"<{path[1]}>"
    if path[0] == "seq" or path[0] == "alt":
        joint = "/" if path[0] == "seq" else "|"
        return "(" + joint.join(path_sparql(p) for p in path[1]) + ")"
    kind, arg = path
    if kind == "inv":
        return f"^({path_sparql(arg)})"
    return f"({path_sparql(arg)})" + {"star": "*", "plus": "+", "opt": "?"}[kind]


# --- the checks --------------------------------------------------------------------------------------------------
# Each returns the findings for one focus node and its value nodes; the engine turns them into results.


def _class(cls: Key) -> Check:
    """A SHACL instance of *cls*: a type of the node is *cls* or one of its ``rdfs:subClassOf*`` subclasses. The
    instances of a class are gathered once (:meth:`~cryokg.check.shacl.index.DataIndex.instance_set`), so each
    value is one set test (a literal is never an instance)."""
    def check(engine: CheckContext, _focus: Key, values: Sequence[Key]) -> Sequence[Finding]:
        instances = engine.index.instance_set(cls)
        return [(v, _CLASS) for v in values if type(v) is not str or v not in instances]
    return check




def _datatype(datatype: Node) -> Check:
    """pyshacl's datatype test: the literal has the datatype, and rdflib could read it as a value of that type
    (an ill-typed ``"abc"^^xsd:integer`` fails); plain strings pass ``xsd:string``, tagged ones
    ``rdf:langString``. What a literal of another datatype needs is chosen once, here, not per value."""
    rule = str(datatype)
    expected = _PYTHON_TYPES.get(rule)
    otherwise: Callable[[Literal, Node | None], bool] | None = {
        _RDFS_LITERAL: lambda _v, _vd: True,
        _RDFS_DATATYPE: lambda _v, vd: vd is not None,
        _XSD_STRING: lambda v, vd: vd is None and v.language is None and isinstance(v.value, _STRING_VALUE),
        _LANG_STRING: lambda v, _vd: bool(v.language) and isinstance(v.value, _STRING_VALUE),
    }.get(rule)

    def check(_engine: CheckContext, _focus: Key, values: Sequence[Key]) -> Sequence[Finding]:
        failed: list[Finding] = []
        for v in values:
            if type(v) is not str:  # a literal (IRIs and blank nodes are keyed by plain strings)
                literal = cast(Literal, v)
                vd = literal.datatype
                if vd is not None and str.__eq__(vd, rule):
                    if (getattr(literal, "ill_typed", None) is not True
                            and (expected is None or isinstance(literal.value, expected))):
                        continue
                elif otherwise is not None and otherwise(literal, vd):
                    continue
            failed.append((v, _DATATYPE))
        return failed
    return check


_RDFS_LITERAL, _RDFS_DATATYPE = str(RDFS.Literal), str(RDFS.Datatype)
_XSD_STRING, _LANG_STRING = str(XSD.string), str(RDF.langString)
_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    _XSD_STRING: _STRING_VALUE, _LANG_STRING: _STRING_VALUE, str(XSD.integer): (int,), str(XSD.float): (float,),
    str(XSD.decimal): (Decimal,), str(XSD.boolean): (bool,), str(XSD.date): (date,), str(XSD.time): (time,),
    str(XSD.dateTime): (datetime,),
}
"""The Python type rdflib gives a well-formed literal of each datatype pyshacl checks (others always pass)."""


def _node_kind(fits: Callable[[Key], bool]) -> Check:
    def check(_engine: CheckContext, _focus: Key, values: Sequence[Key]) -> Sequence[Finding]:
        return [(v, _NODE_KIND) for v in values if not fits(v)]
    return check


def _count(bound: int, *, minimum: bool) -> Check:
    component = _MIN_COUNT if minimum else _MAX_COUNT

    def check(_engine: CheckContext, _focus: Key, values: Sequence[Key]) -> Sequence[Finding]:
        n = len(values)
        return [(None, component)] if (n < bound if minimum else n > bound) else []
    return check


_RANGES = (
    (SH.minInclusive, _MIN_INCLUSIVE, lambda c: c >= 0),
    (SH.minExclusive, _MIN_EXCLUSIVE, lambda c: c > 0),
    (SH.maxInclusive, _MAX_INCLUSIVE, lambda c: c <= 0),
    (SH.maxExclusive, _MAX_EXCLUSIVE, lambda c: c < 0),
)


def _range(bound: Node, component: URIRef, accept: Callable[[int], bool]) -> Check:
    if not isinstance(bound, Literal):
        raise Unsupported(f"non-literal bound {bound}")
    bound_is_string = isinstance(bound.value, str)

    def passes(v: Key) -> bool:
        if not is_literal(v) or isinstance(v.value, str) != bound_is_string:
            return False
        try:
            return accept(compare_literal(v, bound))
        except (TypeError, NotImplementedError):
            return False

    def check(_engine: CheckContext, _focus: Key, values: Sequence[Key]) -> Sequence[Finding]:
        return [(v, component) for v in values if not passes(v)]
    return check


def compare_literal(a: Literal, b: Literal) -> int:
    """-1, 0 or 1, ordering two literals the way pyshacl's ``compare_literal`` does (raises ``TypeError`` for
    incomparable ones): value equality first, then Python's order of date-times and times, else rdflib's.
    Written out here so that validation does not import pyshacl (half a second) unless pyshacl runs."""
    if a.eq(b):
        return 0
    if isinstance(a.value, (datetime, time)):
        if a.value == b.value:
            return 0
        if a.value > b.value:
            return 1
    elif a > b:
        return 1
    return -1


def _length(bound: int, component: URIRef, accept: Callable[[int, int], bool]) -> Check:
    def check(_engine: CheckContext, _focus: Key, values: Sequence[Key]) -> Sequence[Finding]:
        return [(v, component) for v in values if is_blank(v) or not accept(len(str(v)), bound)]
    return check


def _pattern(pattern: Node, flags: Node | None) -> Check:
    re_flags = 0
    if flags is not None:
        text = str(flags).lower()
        re_flags |= re.I if "i" in text else 0
        re_flags |= re.M if "m" in text else 0
    regex = re.compile(str(pattern), re_flags)

    def check(_engine: CheckContext, _focus: Key, values: Sequence[Key]) -> Sequence[Finding]:
        return [(v, _PATTERN) for v in values
                if is_blank(v) or not regex.search(str(v))]
    return check


def _language_in(languages: list[str]) -> Check:
    def fits(v: Key) -> bool:
        if not is_literal(v) or not v.language:
            return False
        tag = v.language.lower()
        return any(tag == lang or tag.startswith(lang + "-") or lang == "*" for lang in languages)

    def check(_engine: CheckContext, _focus: Key, values: Sequence[Key]) -> Sequence[Finding]:
        return [(v, _LANGUAGE_IN) for v in values if not fits(v)]
    return check


def _unique_lang(_engine: CheckContext, _focus: Key, values: Sequence[Key]) -> Sequence[Finding]:
    seen: set[str] = set()
    duplicated: set[str] = set()
    for v in values:
        if is_literal(v) and v.language:
            tag = v.language.lower()
            (duplicated if tag in seen else seen).add(tag)
    # pyshacl reports each duplicated language once, without a value node.
    return [(None, _UNIQUE_LANG) for _ in duplicated]


def _equals(other: str) -> Check:
    def check(engine: CheckContext, focus: Key, values: Sequence[Key]) -> Sequence[Finding]:
        others = engine.index.objects(focus, other)
        mine = set(values)
        return ([(v, _EQUALS) for v in values if v not in others]
                + [(v, _EQUALS) for v in others if v not in mine])
    return check


def _disjoint(other: str) -> Check:
    def check(engine: CheckContext, focus: Key, values: Sequence[Key]) -> Sequence[Finding]:
        others = set(engine.index.objects(focus, other))
        return [(v, _DISJOINT) for v in values if v in others]
    return check


def _has_value(value: Key) -> Check:
    def check(_engine: CheckContext, _focus: Key, values: Sequence[Key]) -> Sequence[Finding]:
        return [] if value in values else [(None, _HAS_VALUE)]
    return check


def _in(members: list[Key]) -> Check:
    def check(_engine: CheckContext, _focus: Key, values: Sequence[Key]) -> Sequence[Finding]:
        return [(v, _IN) for v in values if v not in members]
    return check


def _node(shape: Shape) -> Check:
    def check(engine: CheckContext, _focus: Key, values: Sequence[Key]) -> Sequence[Finding]:
        return [(v, _NODE) for v in values if not engine.conforms(shape, v)]
    return check


def _not(shape: Shape) -> Check:
    def check(engine: CheckContext, _focus: Key, values: Sequence[Key]) -> Sequence[Finding]:
        return [(v, _NOT) for v in values if engine.conforms(shape, v)]
    return check


def _logical(shapes: list[Shape], component: URIRef, test: Callable[[int, int], bool]) -> Check:
    def check(engine: CheckContext, _focus: Key, values: Sequence[Key]) -> Sequence[Finding]:
        return [(v, component) for v in values
                if not test(sum(1 for s in shapes if engine.conforms(s, v)), len(shapes))]
    return check


_LOGICAL = (
    (SH["and"], _AND, lambda ok, n: ok == n),
    (SH["or"], _OR, lambda ok, _n: ok >= 1),
    (SH.xone, _XONE, lambda ok, _n: ok == 1),
)


def _qualified(shape: Shape, siblings: list[Shape], low: int | None, high: int | None) -> Check:
    def check(engine: CheckContext, _focus: Key, values: Sequence[Key]) -> Sequence[Finding]:
        n = sum(1 for v in values if engine.conforms(shape, v)
                and not any(engine.conforms(s, v) for s in siblings))
        found: list[Finding] = []
        if high is not None and n > high:
            found.append((None, _QUALIFIED_MAX_COUNT))
        if low is not None and n < low:
            found.append((None, _QUALIFIED_MIN_COUNT))
        return found
    return check


def _closed(allowed: frozenset[str]) -> Check:
    """Findings carry ``(predicate, object)``: the engine reports the predicate as the result path."""
    def check(engine: CheckContext, _focus: Key, values: Sequence[Key]) -> Sequence[Finding]:
        return [((p, o), CLOSED) for v in values
                for p, objects in engine.index.out.get(v, {}).items() if p not in allowed for o in objects]
    return check
