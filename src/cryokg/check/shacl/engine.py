"""Evaluate compiled shapes over a :class:`~cryokg.check.shacl.index.DataIndex`; SHACL-SPARQL on pyoxigraph.

Core constraints are dictionary look-ups; conformance of a node to a shape used through ``sh:node``,
``sh:or``, ``sh:xone``, ``sh:not`` or ``sh:qualifiedValueShape`` is computed once per (shape, node) and
remembered, because the same assignment or code is checked again for every nerve or family that points to it.
SHACL-SPARQL constraints run on an embedded pyoxigraph store holding the same triples, with ``$this``
pre-bound by writing the focus node into the query (:func:`cryokg.check.shacl.sparql.prebind`; pyoxigraph's
``substitutions`` bind only at the top of the query, which is not SHACL's pre-binding), or, where that gives
the same answer, one query for all focus nodes; the rows are read the way pyshacl reads them, so messages and
values come out the same.

The store is loaded, and the queries run, in a thread of their own (:class:`_Worker`) while the Core constraints
are checked: pyoxigraph parses, indexes and evaluates without Python's lock, so on two cores that work mostly
hides behind the Core pass. That is what brought the benchmark's SHACL row (``scripts/bench.py --sections
shacl``, cryokg against Apache Jena warm on the same synthetic graph) under Jena's time; the numbers are in
``docs/benchmarks.md``. Results come out in the same order whatever the thread does: Core results first, then
the SHACL-SPARQL ones in the order their focus nodes were reached.
"""

from __future__ import annotations

import enum
import queue
import re
import threading
import typing
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final, TypeAlias, cast

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH, XSD
from rdflib.term import Node

from cryokg.check.shacl.index import DataIndex, Key, Path, key_of, term_of
from cryokg.check.shacl.model import CLOSED, SHAPES_GRAPH, Shape, ShapesModel, SparqlConstraint, Unsupported
from cryokg.check.shacl.sparql import prebind
from cryokg.rdf.parsing import oxigraph_term, rdflib_term
from cryokg.rdf.sparql_text import has_zero_length_path

__all__ = ["Engine", "RawResult", "report_graph"]


class _Unknown(enum.Enum):
    ROW = enum.auto()


_UNKNOWN: Final = _Unknown.ROW
"""A focus node's index entry not looked up yet (an enum member, so that ``row is _UNKNOWN`` narrows the type)."""
_Row: TypeAlias = dict[str, Sequence[Key]] | typing.Literal[_Unknown.ROW] | None
"""A focus node's entry in the index (``None``: it is no subject), or :data:`_UNKNOWN`."""
_Term: TypeAlias = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple
"""A term pyoxigraph binds or is given."""
_QueryKey: TypeAlias = tuple[str, int] | tuple[int, Key]
"""The key of a query handed to the worker: ``("batch", id(constraint))`` or ``(id(constraint), focus)``."""
_Answer: TypeAlias = tuple[list[str], list[ox.QuerySolution]]
"""A query's variable names and solutions."""
_Job: TypeAlias = tuple[None, bytes, tuple[ox.RdfFormat, bool]] | tuple[_QueryKey, str, dict[ox.Variable, _Term] | None]
"""What the worker is handed: data to load (no key), or a query with its key and top-level bindings."""


@dataclass(frozen=True)
class RawResult:
    """One validation result, with the shapes-graph nodes a SHACL report names."""

    focus: Node
    value: Node | None
    component: URIRef
    shape: Shape
    path: Node | None
    messages: tuple[Literal, ...]
    source_constraint: Node | None = None

    @property
    def severity(self) -> Node:
        return self.shape.severity


class Engine:
    """One validation run of *model* over *data* (an rdflib graph that must not change meanwhile).

    *store*, when given, is a pyoxigraph store whose default graph holds the same triples as *data* (the
    sources' primary store, :attr:`cryokg.sources.load.SourceSet.store`): the SHACL-SPARQL constraints then run
    on it instead of on a copy made here, which at 1 M triples was the engine's largest remaining cost. It is
    only read."""

    def __init__(self, model: ShapesModel, data: Graph, *, batch_sparql: bool = True,
                 store: ox.Store | None = None) -> None:
        self.model = model
        self._store = store
        self.batch_sparql = batch_sparql
        self._batches: dict[_QueryKey, dict[Key, list[dict[str, Node]]] | None] = {}
        """The rows of each batched query per focus node (``None``: handed to the worker, not read yet)."""
        self._pending: set[_QueryKey] = set()
        """Per-node queries handed to the worker whose answers have not been read."""
        self.index = DataIndex(data)
        self._out = self.index.out
        self._conforms: dict[tuple[int, Key], bool] = {}
        self._worker: _Worker | None = None
        self._typed_strings: dict[ox.Literal, Literal] = {}

    def validate(self) -> list[RawResult]:
        """Every result: the Core constraints of every focus node first, then the SHACL-SPARQL constraints. When
        some focus node has a SHACL-SPARQL constraint, a thread (:class:`_Worker`) starts loading the store at
        once, and each query is handed to it when the Core pass reaches its focus node, so the store is loaded
        and the queries run while the Core constraints are checked."""
        results: list[RawResult] = []
        deferred: list[tuple[Shape, SparqlConstraint, Key]] = []
        try:
            if any(_has_sparql(shape) and self.focus_nodes(shape) for shape in self.model.targeted):
                self._sparql_worker()
            for shape in self.model.targeted:
                for focus in self.focus_nodes(shape):
                    found = self._results(shape, focus, deferred)
                    if found:
                        results.extend(found)
            for i, (shape, constraint, focus) in enumerate(deferred):
                results.extend(self._sparql(shape, constraint, focus))
                if i + _AHEAD < len(deferred):  # keep the worker _AHEAD queries ahead of the answers read
                    self.request(*deferred[i + _AHEAD][1:])
        finally:
            self.close()
        return results

    def focus_nodes(self, shape: Shape) -> list[Key]:
        index = self.index
        found: list[list[Key]] = []  # each without duplicates
        for kind, value in shape.targets:
            if kind == SH.targetClass:
                found.append(index.instances(value))
            elif kind == SH.targetNode:
                found.append([value])
            elif kind == SH.targetSubjectsOf:
                found.append(index.subjects_of(value))
            else:
                found.append(index.objects_of(value))
        if len(found) == 1:
            return found[0]
        return list(dict.fromkeys(node for nodes in found for node in nodes))

    def conforms(self, shape: Shape, node: Key) -> bool:
        """Whether *node* conforms to *shape* (no result of any severity), remembered per (shape, node)."""
        key = (id(shape), node)
        known = self._conforms.get(key)
        if known is None:
            known = self._conforms[key] = not self._violates(shape, node)
        return known

    def _values(self, shape: Shape, focus: Key, row: _Row = _UNKNOWN) -> Sequence[Key]:
        """The value nodes of *shape* for *focus*: the focus node itself for a node shape. A plain predicate path
        (most property shapes) is one look-up in *row* (the focus node's entry in the index, when the caller has
        it: a node shape looks its focus node up once for all its property shapes), an inverse one one look-up
        too; the values are then the index's own list, never changed (and without duplicates)."""
        predicate = shape.predicate
        if predicate is not None:
            if row is _UNKNOWN:
                row = self._out.get(focus)
            return row.get(predicate, _NONE) if row is not None else _NONE
        if shape.inverse_predicate is not None:
            return self.index.inverse(shape.inverse_predicate).get(focus, _NONE)
        if shape.path is None:
            return (focus,)
        return self.index.values(focus, shape.path)

    def _results(self, shape: Shape, focus: Key, deferred: list[tuple[Shape, SparqlConstraint, Key]],
                 row: _Row = _UNKNOWN) -> list[RawResult]:
        """The Core results of *shape* for one focus node; its SHACL-SPARQL constraints (and those of the property
        shapes it holds) are listed in *deferred* to run later."""
        if shape.deactivated:
            return _NO_RESULTS
        values = self._values(shape, focus, row)
        results = _NO_RESULTS
        for check in shape.checks:
            findings = check(self, focus, values)
            if not findings:
                continue
            if results is _NO_RESULTS:
                results = []
            path: Node | None  # (declarations: no run-time cost)
            value_node: Node | None
            for value, component in findings:
                # What a finding holds is told by its component (see Finding): no test of the value's type here.
                if component is CLOSED:
                    predicate, obj = cast("tuple[str, Key]", value)
                    path, value_node = term_of(predicate), term_of(obj)
                else:
                    path, value_node = shape.path_node, None if value is None else term_of(cast(Key, value))
                results.append(RawResult(term_of(focus), value_node, component, shape, path,
                                         _messages(shape, component)))
        for constraint in shape.sparql:
            self.request(constraint, focus)
            deferred.append((shape, constraint, focus))
        if shape.properties:  # a property shape's own property shapes apply to each of its value nodes
            row = self._out.get(focus) if shape.path is None else _UNKNOWN
            for prop in shape.properties:
                for node in values:
                    found = self._results(prop, node, deferred, row)
                    if found:
                        if results is _NO_RESULTS:
                            results = []
                        results.extend(found)
        return results

    def _violates(self, shape: Shape, focus: Key, row: _Row = _UNKNOWN) -> bool:
        """Whether *shape* has any result for *focus*: :meth:`_results` that stops at the first finding and builds
        no result (``sh:node``, ``sh:or``, qualified value shapes ask this of many nodes)."""
        if shape.deactivated:
            return False
        values = self._values(shape, focus, row)
        for check in shape.checks:
            if check(self, focus, values):
                return True
        for constraint in shape.sparql:
            if next(self._sparql(shape, constraint, focus), None) is not None:
                return True
        if shape.properties:
            row = self._out.get(focus) if shape.path is None else _UNKNOWN
            for prop in shape.properties:
                for value in values:
                    if self._violates(prop, value, row):
                        return True
        return False

    # --- SHACL-SPARQL -------------------------------------------------------------------------------------------

    def request(self, constraint: SparqlConstraint, focus: Key) -> _QueryKey:
        """Hand the query that answers *constraint* for *focus* to the worker, unless it is there already or
        :data:`_AHEAD` per-node answers wait to be read (then :meth:`sparql_rows` hands it over when it needs it,
        so a shape with a million focus nodes does not queue a million queries); return its key.

        A batchable query (:func:`cryokg.check.shacl.sparql.batchable`) runs once, with ``$this`` free, and each
        focus node takes its own rows; a focus node that is not a subject of the data keeps the per-node query
        when the text has a path modifier that could match it with zero steps. A per-node query has the focus
        node written in (:func:`cryokg.check.shacl.sparql.prebind`); a blank node has no SPARQL syntax, so it is
        bound at the top of the query, which only batchable queries allow.
        """
        if constraint.batch and self.batch_sparql and (focus in self._out or not has_zero_length_path(constraint.query)):
            key: _QueryKey = ("batch", id(constraint))
            if key not in self._batches:
                self._batches[key] = None
                self._sparql_worker().submit(key, constraint.query)
            return key
        key = (id(constraint), focus)
        if key not in self._pending and len(self._pending) < _AHEAD:
            self._submit(key, constraint, focus)
        return key

    def _submit(self, key: _QueryKey, constraint: SparqlConstraint, focus: Key) -> None:
        text = _sparql_term(focus)
        if text is not None:
            self._sparql_worker().submit(key, prebind(constraint.query, {"this": text}))
        elif constraint.batch:  # pyoxigraph's top-level binding is pre-binding for these queries (see batchable)
            self._sparql_worker().submit(key, constraint.query, {ox.Variable("this"): self._ox(focus)})
        else:
            raise Unsupported(f"SPARQL constraint {constraint.node} needs $this pre-bound to the blank node {focus}, "
                              "which has no SPARQL syntax to substitute")
        self._pending.add(key)

    def sparql_rows(self, constraint: SparqlConstraint, focus: Key) -> list[dict[str, Node]]:
        """The solutions of *constraint* with ``$this`` = *focus*, as dictionaries of rdflib terms."""
        key = self.request(constraint, focus)
        if key in self._batches:
            rows = self._batches[key]
            if rows is None:  # the answer is read once, into rows per focus node
                rows = self._batches[key] = {}
                for solution in self._solutions(*self._sparql_worker().answer(key)):
                    this = solution.get("this")
                    if this is not None:
                        rows.setdefault(key_of(this), []).append(solution)
            return rows.get(focus, [])
        if key not in self._pending:
            self._submit(key, constraint, focus)
        self._pending.discard(key)
        return self._solutions(*self._sparql_worker().answer(key))

    def _solutions(self, names: list[str], solutions: list[ox.QuerySolution]) -> list[dict[str, Node]]:
        return [{name: self._rd(solution[name]) for name in names if solution[name] is not None}
                for solution in solutions]

    def _sparql(self, shape: Shape, constraint: SparqlConstraint, focus_key: Key) -> Iterator[RawResult]:
        focus = term_of(focus_key)
        rows: list[tuple[Node | None, Node | None, Node | None, dict[str, Node], bool]] = []
        failed = False
        for solution in self.sparql_rows(constraint, focus_key):
            bound = dict(solution)
            if bound.pop("failure", None) is not None:
                if not failed:
                    rows.append((None, None, None, bound, True))
                    failed = True
                continue
            path, value, this = bound.pop("path", None), bound.pop("value", None), bound.pop("this", None)
            row = (this, path, value, bound, False)
            if (this, path, value) != (None, None, None) and row not in rows:
                rows.append(row)
        default_value = focus if shape.path is None else None
        for this, path, value, bound, failure in rows:
            value = default_value if failure or value is None else value
            variables = dict(bound)
            if not failure:
                variables.update({k: v for k, v in (("this", this), ("path", path), ("value", value)) if v is not None})
            messages = tuple(Literal(_fill(str(m), variables)) for m in _sparql_messages(shape, constraint))
            yield RawResult(this or focus, value, SH.SPARQLConstraintComponent, shape,
                            path if path is not None else shape.path_node, messages or _messages(shape, None),
                            constraint.node)

    def _sparql_worker(self) -> _Worker:
        """The thread that loads the pyoxigraph store the SHACL-SPARQL constraints run on, then runs them (started
        on the first query, or by :meth:`validate` before the Core pass).

        The index is written out as N-Triples text and parsed by pyoxigraph: creating a ``Quad`` object per
        triple in Python took twice as long at 1 M triples (6.3 s against 1.3 s of text and 3.0 s of loading).
        ``Store.load`` parses and indexes that text without Python's lock, and so does each step of a query's
        evaluation, so both run beside the Python work: at 100 k triples the load took 0.17 s alone and added
        0.01 s to 0.14 s of Python work run beside it. The text is handed over in chunks as it is written, so
        loading starts after the first chunk, not after all of it (the benchmark's SHACL row, cryokg against
        Jena warm, is the one this serves). ``load`` gives blank nodes new labels, though, and a blank focus node
        pre-bound as ``$this``, or read back from a solution, must be the data's own node: a chunk with blank
        nodes goes through ``ox.parse``, which keeps their labels, and ``Store.extend``.
        The shapes graph is added in a named graph when a query reads it (``$shapesGraph``).
        """
        if self._worker is None:
            reads_shapes = any(c.shapes_graph for shape in self.model.shapes.values() for c in shape.sparql)
            if self._store is not None and not reads_shapes:  # the data is there already: nothing to load
                self._worker = _Worker(self._store)
                return self._worker
            worker = self._worker = _Worker()
            for chunk, blank in self._ntriples():
                worker.load(chunk, ox.RdfFormat.N_TRIPLES, keep_blank_labels=blank)
            if reads_shapes:
                shapes = "".join(f"{_shape_nt(s)} {_shape_nt(p)} {_shape_nt(o)} <{SHAPES_GRAPH}> .\n"
                                 for s, p, o in self.model.graph)
                worker.load(shapes.encode("utf-8"), ox.RdfFormat.N_QUADS, keep_blank_labels=True)
        return self._worker

    def close(self) -> None:
        """Let the SHACL-SPARQL thread end (the store stays, for queries asked later)."""
        if self._worker is not None:
            self._worker.close()

    def __del__(self) -> None:  # an engine dropped without validate(): its thread ends by itself
        if self._worker is not None:
            self._worker.close(wait=False)

    def _ntriples(self, chunk: int = 20_000) -> Iterator[tuple[bytes, bool]]:
        """The data as N-Triples, in pieces of about *chunk* triples, each with whether it holds a blank node."""
        lines: list[str] = []
        blank = False
        nt, unsafe = self._nt, _IRI_UNSAFE.search
        predicates: dict[str, str] = {}
        for s, by_predicate in self.index.out.items():
            subject = nt(s)
            if subject[0] == "_":
                blank = True
            for p, objects in by_predicate.items():
                predicate = predicates.get(p)
                if predicate is None:
                    predicate = predicates[p] = nt(p)
                head = f"{subject} {predicate} "
                for o in objects:
                    if type(o) is str and o[0] != "_" and unsafe(o) is None:  # a plain IRI (blank: "_:" + label)
                        lines.append(f"{head}<{o}> .\n")
                        continue
                    obj = nt(o)
                    if obj[0] == "_":
                        blank = True
                    lines.append(f"{head}{obj} .\n")
            if len(lines) >= chunk:
                yield "".join(lines).encode("utf-8"), blank
                lines, blank = [], False
        if lines:
            yield "".join(lines).encode("utf-8"), blank

    def _nt(self, key: Key) -> str:
        """*key* as an N-Triples term: IRIs and blank node labels as the data graph has them, written so that no
        term can end early (rdflib accepts an IRI with a space or a ``>``; written as is, it could add triples
        of its own to the text). Such IRI characters are written as ``\\uXXXX`` escapes, which pyoxigraph's
        lenient parser turns back into the same IRI; a blank node label that N-Triples cannot hold is refused."""
        if type(key) is str:
            if key.startswith("_:"):
                if _BLANK_LABEL(key, 2) is None:
                    raise Unsupported(f"the data has a blank node labelled {key[2:]!r}, which the store for "
                                      "SHACL-SPARQL cannot hold under the same label")
                return key
            return f"<{_iri_text(key)}>"
        literal = cast(Literal, key)
        if literal.datatype is not None and not literal.language and str.__eq__(literal.datatype, _XSD_STRING):
            self._ox_literal(literal)  # remembers it: it comes back from pyoxigraph as a plain literal
        return _literal_text(literal, _iri_text)

    def _ox(self, key: Key) -> ox.NamedNode | ox.BlankNode | ox.Literal:
        if type(key) is str:
            return ox.BlankNode(key[2:]) if key.startswith("_:") else ox.NamedNode(key)
        return self._ox_literal(cast(Literal, key))  # see Key

    def _ox_literal(self, literal: Literal) -> ox.Literal:
        converted = oxigraph_term(literal)
        if literal.datatype is not None and str.__eq__(literal.datatype, _XSD_STRING):
            self._typed_strings[converted] = literal  # comes back from pyoxigraph as a plain literal otherwise
        return converted

    def _rd(self, term: _Term) -> Node:
        """A solution term as rdflib term; an explicit ``xsd:string`` literal of the data keeps its datatype."""
        if isinstance(term, ox.Literal) and self._typed_strings:
            found = self._typed_strings.get(term)
            if found is not None:
                return found
        return cast(Node, rdflib_term(term))


def _has_sparql(shape: Shape) -> bool:
    """Whether *shape*, or a property shape in it, has a SHACL-SPARQL constraint."""
    return bool(shape.sparql) or any(_has_sparql(p) for p in shape.properties)


def _unstorable(exc: SyntaxError) -> Unsupported:
    """An IRI that pyoxigraph refuses (rdflib accepts more, e.g. a space): SHACL-SPARQL cannot run on this data."""
    return Unsupported(f"the data holds a term pyoxigraph cannot store, so SHACL-SPARQL cannot run on it: {exc}")


class _Worker:
    """One thread that loads a pyoxigraph store, then runs the queries handed to it, in order, keeping each answer
    (the variable names and the solutions) until it is asked for. pyoxigraph releases Python's lock while it
    loads and while it evaluates, so this work runs beside the Python that hands it work."""

    def __init__(self, store: ox.Store | None = None) -> None:
        self.store = ox.Store() if store is None else store
        self._failed: Exception | None = None
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._done: dict[_QueryKey, _Answer | Exception] = {}
        self._ready = threading.Condition()
        self._open = True
        self._thread = threading.Thread(target=self._run, name="cryokg-shacl-sparql", daemon=True)
        self._thread.start()

    def load(self, data: bytes, fmt: ox.RdfFormat, *, keep_blank_labels: bool) -> None:
        """Add *data* to the store (queued before every query handed over later)."""
        self._jobs.put((None, data, (fmt, keep_blank_labels)))

    def submit(self, key: _QueryKey, query: str, substitutions: dict[ox.Variable, _Term] | None = None) -> None:
        if self._open:
            self._jobs.put((key, query, substitutions))
        else:  # asked after the thread ended: run it here, on the loaded store
            self._done[key] = self._query(query, substitutions)

    def answer(self, key: _QueryKey) -> _Answer:
        with self._ready:
            self._ready.wait_for(lambda: key in self._done)
            found = self._done.pop(key)
        if self._failed is not None:
            if isinstance(self._failed, SyntaxError):
                raise _unstorable(self._failed) from self._failed
            raise self._failed
        if isinstance(found, Exception):
            raise found
        return found

    def close(self, *, wait: bool = True) -> None:
        """End the thread; queries still waiting are dropped (nobody will ask for them)."""
        if self._open:
            self._open = False
            self._jobs.put(None)
            if wait:
                self._thread.join()

    def _query(self, query: str, substitutions: dict[ox.Variable, _Term] | None) -> _Answer | Exception:
        if self._failed is not None:
            return self._failed
        try:
            solutions = cast(ox.QuerySolutions, self.store.query(query, substitutions=substitutions) if substitutions
                             else self.store.query(query))  # SHACL-SPARQL constraints are SELECT queries
            return [v.value for v in solutions.variables], list(solutions)
        except Exception as exc:  # handed to the thread that asks for the answer
            return exc

    def _load(self, data: bytes, fmt: ox.RdfFormat, keep_blank_labels: bool) -> None:
        if self._failed is not None:
            return
        try:
            # Lenient: the text is ours (see Engine._nt), and IRIs rdflib accepts (a space, written \u0020) load.
            if keep_blank_labels:  # ox.parse keeps blank node labels; Store.load renames them
                self.store.extend(ox.parse(data, fmt, lenient=True))
            else:
                self.store.load(data, fmt, lenient=True)
        except Exception as exc:  # every answer raises it
            self._failed = exc

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            if job[0] is None:
                _, data, (fmt, keep_blank_labels) = job
                self._load(data, fmt, keep_blank_labels)
                continue
            if not self._open:
                continue
            key, query, substitutions = job
            found = self._query(query, substitutions)
            with self._ready:
                self._done[key] = found
                self._ready.notify_all()


_AHEAD = 1024
"""How many per-node SHACL-SPARQL queries may wait in the worker's queue (or their answers, to be read)."""
_NONE: tuple[Key, ...] = ()
_NO_RESULTS: list[RawResult] = []
"""Returned (never changed) when a shape has no result: most calls, so no list is made for them."""
_XSD_STRING = str(XSD.string)
_IRI_UNSAFE = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_BLANK_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?\Z").match
"""A blank node label that N-Triples writes as it is (an ASCII subset of its BLANK_NODE_LABEL)."""


def _iri_text(iri: str) -> str:
    """*iri* for N-Triples' ``<...>``, the characters it cannot hold as ``\\uXXXX`` (read back by the lenient
    parser, which does not check IRI syntax)."""
    if _IRI_UNSAFE.search(iri) is None:
        return iri
    return _IRI_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04X}", iri)


def _sparql_term(key: Key) -> str | None:
    """*key* in SPARQL syntax, to substitute for a pre-bound variable; ``None`` for a blank node, or an IRI (or a
    literal's datatype IRI) that SPARQL cannot write."""
    if type(key) is str:
        if key.startswith("_:") or _IRI_UNSAFE.search(key):
            return None
        return f"<{key}>"
    literal = cast(Literal, key)
    if literal.datatype is not None and not literal.language and _IRI_UNSAFE.search(str(literal.datatype)):
        return None
    return _literal_text(literal, str)


def _literal_text(literal: Literal, iri: Callable[[str], str]) -> str:
    """*literal* as an N-Triples or SPARQL literal (the same syntax), its datatype IRI written by *iri*."""
    text = str(literal)
    if "\\" in text or '"' in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    if literal.language:
        return f'"{text}"@{literal.language}'
    if literal.datatype is not None:
        return f'"{text}"^^<{iri(str(literal.datatype))}>'
    return f'"{text}"'


def _shape_nt(term: Node) -> str:
    """A shapes-graph term in N-Quads; its blank nodes get labels of their own (``s`` + the id's bytes in hex),
    apart from the data's and safe whatever the id."""
    if isinstance(term, BNode):
        return f"_:s{str(term).encode('utf-8').hex()}"
    if isinstance(term, Literal):
        return _literal_text(term, _iri_text)
    return f"<{_iri_text(str(term))}>"


def _sparql_messages(shape: Shape, constraint: SparqlConstraint) -> list[Literal]:
    """pyshacl's order: the constraint's messages, then the shape's own that differ from them."""
    return [*constraint.messages, *(m for m in shape.messages if m not in constraint.messages)]


def _fill(message: str, variables: dict[str, Node]) -> str:
    """Substitute ``{?var}`` / ``{$var}`` with the bound value's text (SHACL 5.3.2), as pyshacl does."""
    for name, value in variables.items():
        message = re.sub(f"{{[?$]{name}}}", str(value).replace("\\", r"\\"), message)
    return message


def _messages(shape: Shape, component: URIRef | None) -> tuple[Literal, ...]:
    if shape.messages:
        return shape.messages
    name = str(component).rsplit("#", 1)[-1].removesuffix("ConstraintComponent") if component else "SPARQL"
    return (Literal(f"The value does not satisfy the {name} constraint of this shape."),)


def report_graph(results: list[RawResult], shapes: Graph) -> Graph:
    """A SHACL validation report (https://www.w3.org/TR/shacl/#validation-report) for *results*.

    Blank-node result paths are copied from the shapes graph, so the report reads on its own.
    """
    report = Graph()
    root = BNode()
    report.add((root, RDF.type, SH.ValidationReport))
    # Any result, whatever its severity, means the data does not conform (https://www.w3.org/TR/shacl/#conforms).
    report.add((root, SH.conforms, Literal(not results, datatype=XSD.boolean)))
    for r in results:
        node = BNode()
        report.add((root, SH.result, node))
        report.add((node, RDF.type, SH.ValidationResult))
        report.add((node, SH.focusNode, r.focus))
        report.add((node, SH.resultSeverity, r.severity))
        report.add((node, SH.sourceConstraintComponent, r.component))
        report.add((node, SH.sourceShape, r.shape.node))
        if r.value is not None:
            report.add((node, SH.value, r.value))
        if r.path is not None:
            report.add((node, SH.resultPath, _write_path(report, r, r.path)))
        if r.source_constraint is not None:
            report.add((node, SH.sourceConstraint, r.source_constraint))
        for message in r.messages:
            report.add((node, SH.resultMessage, message))
    return report


def _write_path(report: Graph, result: RawResult, path: Node) -> Node:
    """The result path (*path*, the result's own) as a SHACL path in *report*: written from the compiled path, so
    only the triples that make the path are copied (a shapes-graph node may say more, W3C suite
    core/path/path-strange-001)."""
    if result.component is CLOSED or result.shape.path is None or isinstance(path, URIRef):
        return path
    return _path_node(report, result.shape.path)


_PATH_PREDICATES = {"inv": SH.inversePath, "star": SH.zeroOrMorePath, "plus": SH.oneOrMorePath,
                    "opt": SH.zeroOrOnePath}


def _path_node(report: Graph, path: Path) -> Node:
    if path[0] == "pred":
        return URIRef(path[1])
    if path[0] == "seq" or path[0] == "alt":
        kind = path[0]
        items = [_path_node(report, p) for p in path[1]]
        head: Node = RDF.nil
        for item in reversed(items):
            cell = BNode()
            report.add((cell, RDF.first, item))
            report.add((cell, RDF.rest, head))
            head = cell
        if kind == "seq":
            return head
        node = BNode()
        report.add((node, SH.alternativePath, head))
        return node
    node = BNode()
    report.add((node, _PATH_PREDICATES[path[0]], _path_node(report, path[1])))
    return node
