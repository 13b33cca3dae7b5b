"""The embedded query store (pyoxigraph) and one small interface over every SPARQL engine cryokg talks to.

Readers (``cryokg query``, ``suggest``, ``compare``, ``describe``, the web server) run SPARQL through an
:class:`Engine`: :class:`OxigraphEngine` (the fast embedded store), :class:`RdflibEngine` (the reference
engine, for parity tests and benchmarks) or :class:`cryokg.publish.sparql_client.EndpointEngine` (any SPARQL 1.1
endpoint, over the W3C SPARQL 1.1 Protocol, through the project's one HTTP client). All three return the same
:class:`QueryResult` of rdflib terms, so callers and formatters do not care which engine answered.

What the store holds (see :func:`load_store`):

* the **default graph** is the release: ``build/cryokg.nt`` when it exists and is newer than every source
  file, otherwise the union of the source files (parsed, not validated: ``cryokg build`` is the gate);
* one **named graph per source file**, ``<base>id/dataset/source/<path under ontology/>``, holding the
  triples that file states. That is how queries know which file a triple came from ("triples per source
  file"). A triple stated in two files is in both graphs. Without a sources folder there are no named
  graphs, and per-file statistics are empty.
"""

from __future__ import annotations

import contextlib
import re
import traceback
import urllib.parse
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal as KindLiteral
from typing import cast

import pyoxigraph as ox
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.query import ResultRow
from rdflib.term import Node

from cryokg.errors import BadInput
from cryokg.namespaces import DEFAULT_BASE
from cryokg.rdf.parsing import oxigraph_term, rdflib_term
from cryokg.sources.load import DEFAULT_SOURCES, find_data_files

__all__ = [
    "Engine",
    "LoadedStore",
    "OxigraphEngine",
    "QueryResult",
    "QuerySyntaxError",
    "RdflibEngine",
    "check_syntax",
    "load_store",
    "normalize_term",
    "open_engine",
    "source_graph_iri",
    "to_rdflib_dataset",
]

Term = Node
Row = tuple[Term | None, ...]


class QuerySyntaxError(BadInput):
    """A malformed SPARQL query; the message carries the parser's line and column."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        self.line, self.column = line, column
        where = f"line {line}, column {column}: " if line is not None else ""
        super().__init__(f"SPARQL syntax error at {where}{message}")


@dataclass
class QueryResult:
    """The answer to one query: solutions (SELECT), a boolean (ASK) or triples (CONSTRUCT/DESCRIBE)."""

    kind: KindLiteral["select", "ask", "graph"]
    variables: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[tuple[Term, Term, Term]] = field(default_factory=list)

    def dicts(self) -> list[dict[str, Term]]:
        """Solutions as dicts without unbound variables."""
        return [{v: t for v, t in zip(self.variables, row, strict=True) if t is not None} for row in self.rows]

    def column(self, variable: str) -> list[Term | None]:
        index = self.variables.index(variable)
        return [row[index] for row in self.rows]


def normalize_term(term: Term | None) -> Term | None:
    """Plain literals and ``xsd:string`` literals are the same value (RDF 1.1); keep them one way: plain.

    pyoxigraph returns ``"x"^^xsd:string`` where rdflib returns ``"x"``; without this, equal answers from the
    two engines would compare unequal.
    """
    if isinstance(term, Literal) and term.datatype == XSD.string:
        return Literal(str(term))
    return term


class Engine(ABC):
    """Something that answers SPARQL 1.1 queries."""

    name: str = "engine"

    @abstractmethod
    def query(self, sparql: str) -> QueryResult:
        """Run *sparql*; raise :class:`QuerySyntaxError` when it does not parse."""

    def select(self, sparql: str) -> list[dict[str, Term]]:
        """Convenience for library code: the solutions of a SELECT query as dicts."""
        return self.query(sparql).dicts()


# --- pyoxigraph -------------------------------------------------------------------------------------------




_OX_POSITION = re.compile(r"^error at (\d+):(\d+):\s*")


def _converter() -> Callable[[object], Term | None]:
    """:func:`rdflib_term` with a memory, for the solutions of one query.

    The same term recurs down a column (a type, a code, ``false``), and building an rdflib term costs more
    than looking it up: ``nerve-codes`` at 1 M triples (38,332 rows of 6 terms, 76,509 of them distinct)
    converted in 862 ms term by term and in 426 ms with this memory (``docs/benchmarks.md``, SPARQL section).
    """
    seen: dict[object, Term | None] = {None: None}

    def convert(term: object) -> Term | None:
        try:
            return seen[term]
        except KeyError:
            converted = seen[term] = rdflib_term(term)
            return converted

    return convert


class OxigraphEngine(Engine):
    """The embedded store. Queries see the default graph (the release) unless they name a graph."""

    name = "oxigraph"

    def __init__(self, store: ox.Store) -> None:
        self.store = store

    def query(self, sparql: str) -> QueryResult:
        try:
            return self._query(sparql)
        except OSError as exc:  # SERVICE: the remote host failed, or the no-network guard refused the socket
            denied = isinstance(exc, PermissionError)
            raise BadInput(f"the query could not be evaluated: {exc}"
                           + (" (SERVICE needs network access: --allow-service)" if denied else "")) from None

    def _query(self, sparql: str) -> QueryResult:
        try:
            result = self.store.query(sparql)
        except SyntaxError as exc:
            message = str(exc)
            match = _OX_POSITION.match(message)
            if match:
                raise QuerySyntaxError(message[match.end():], int(match.group(1)),
                                       int(match.group(2))) from None
            raise QuerySyntaxError(message) from None
        if isinstance(result, ox.QueryBoolean):
            return QueryResult("ask", boolean=bool(result))
        if isinstance(result, ox.QueryTriples):
            return QueryResult("graph", triples=[(rdflib_term(t.subject), rdflib_term(t.predicate),
                                                  rdflib_term(t.object)) for t in result])
        variables = [v.value for v in result.variables]
        convert = _converter()
        return QueryResult("select", variables=variables, rows=[tuple(map(convert, s)) for s in result])


def check_syntax(sparql: str) -> None:
    """Parse *sparql* with pyoxigraph (raising :class:`QuerySyntaxError`) by running it on an empty store, in a
    thread without network access: even on an empty store, pyoxigraph evaluates ``SERVICE`` by connecting.
    For a query another engine will run (a remote endpoint), so its syntax errors read the same as ours.
    Skipped where the kernel filter is not available (the other engine then reports syntax errors itself)."""
    from cryokg.sandbox import SandboxUnavailable, call_without_network

    def check() -> None:
        try:
            OxigraphEngine(ox.Store())._query(sparql)
        except OSError as exc:  # SERVICE refused by the filter: the text parsed, all this checks
            # The traceback's frames hold pyoxigraph objects that must be freed on this thread, not later by
            # the collector on another (pyoxigraph's results are bound to the thread that made them).
            traceback.clear_frames(exc.__traceback__)

    with contextlib.suppress(SandboxUnavailable):
        call_without_network(check)


# --- rdflib -----------------------------------------------------------------------------------------------

class RdflibEngine(Engine):
    """rdflib's in-memory SPARQL engine over a :class:`rdflib.Dataset` (the reference implementation)."""

    name = "rdflib"

    def __init__(self, dataset: Dataset | Graph) -> None:
        self.dataset = dataset

    def query(self, sparql: str) -> QueryResult:
        from pyparsing import ParseException

        try:
            with warnings.catch_warnings():
                # rdflib 7.6 calls its own deprecated Dataset.default_context once per pattern evaluated: hundreds
                # of thousands of warnings about rdflib's internals, nothing the caller can act on.
                warnings.simplefilter("ignore", DeprecationWarning)
                result = self.dataset.query(sparql)
                rows = cast("list[ResultRow]", list(result)) if result.type == "SELECT" else []  # rows of a SELECT
        except ParseException as exc:
            raise QuerySyntaxError(exc.msg, exc.lineno, exc.col) from None
        if result.type == "ASK":
            return QueryResult("ask", boolean=bool(result.askAnswer))
        if result.type in ("CONSTRUCT", "DESCRIBE"):
            return QueryResult("graph", triples=list(result.graph or []))
        variables = [str(v) for v in result.vars or []]
        return QueryResult("select", variables=variables,
                           rows=[tuple(normalize_term(t) for t in row) for row in rows])


# --- loading ----------------------------------------------------------------------------------------------

def source_graph_iri(path: Path, root: Path, *, base: str = DEFAULT_BASE) -> str:
    """The named graph that holds one source file's triples, e.g. ``<base>id/dataset/source/data/codes.ttl``."""
    relative = Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    return f"{base}id/dataset/source/{urllib.parse.quote(relative, safe='/')}"


@dataclass
class LoadedStore:
    """The embedded store and where its default graph came from."""

    store: ox.Store
    origin: str
    source_files: list[Path]

    @cached_property
    def engine(self) -> OxigraphEngine:
        """One engine per store, so caches kept per engine (the label index) are reused."""
        return OxigraphEngine(self.store)


def _is_fresh(release_file: Path, source_files: Iterable[Path]) -> bool:
    if not release_file.is_file():
        return False
    built = release_file.stat().st_mtime
    return all(path.stat().st_mtime <= built for path in source_files)


def _file_quads(path: Path, graph: ox.NamedNode | ox.DefaultGraph) -> list[ox.Quad]:
    if path.name.endswith(".sssom.tsv"):
        from cryokg.sources.sssom import load_sssom

        return [ox.Quad(oxigraph_term(s), oxigraph_term(p), oxigraph_term(o), graph) for s, p, o in load_sssom(path)]
    try:
        triples = ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
        return [ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples]
    except SyntaxError as exc:
        raise BadInput(f"{path}: {exc}") from None


def load_store(*, release: Path = Path("build"), sources: Path | None = DEFAULT_SOURCES,
               base: str = DEFAULT_BASE) -> LoadedStore:
    """Load the embedded store: the release as default graph, plus one named graph per source file.

    >>> loaded = load_store()
    >>> loaded.engine.query("ASK { ?s ?p ?o }").boolean
    True
    """
    root = Path(sources) if sources is not None and Path(sources).is_dir() else None
    files = find_data_files(root) if root is not None else []
    release_file = Path(release) / "cryokg.nt"
    store = ox.Store()
    quads: list[ox.Quad] = []
    for path in files:
        assert root is not None  # files come from it
        quads.extend(_file_quads(path, ox.NamedNode(source_graph_iri(path, root, base=base))))
    if _is_fresh(release_file, files):
        store.bulk_load(path=str(release_file), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.DefaultGraph())
        origin = str(release_file)
    elif files:
        quads.extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in list(quads))
        origin = f"sources in {sources} (no fresh {release_file})"
    else:
        raise BadInput(f"no release at {release_file} and no sources folder: run `cryokg build` first")
    store.bulk_extend(quads)
    return LoadedStore(store=store, origin=origin, source_files=files)


def to_rdflib_dataset(store: ox.Store) -> Dataset:
    """The same quads in an rdflib Dataset (default graph kept apart from the named graphs)."""
    dataset = Dataset(default_union=False)
    graphs: dict[str, Graph] = {}
    batch = []
    for quad in store:
        if isinstance(quad.graph_name, ox.DefaultGraph):
            target = dataset.default_graph
        else:
            name = quad.graph_name.value
            target = graphs.get(name) or graphs.setdefault(name, dataset.graph(URIRef(name)))
        batch.append((rdflib_term(quad.subject), rdflib_term(quad.predicate), rdflib_term(quad.object), target))
    dataset.addN(batch)
    return dataset


def open_engine(*, release: Path = Path("build"), sources: Path | None = DEFAULT_SOURCES) -> Engine:
    """The embedded store's engine (a remote endpoint is :class:`cryokg.publish.sparql_client.EndpointEngine`)."""
    return load_store(release=release, sources=sources).engine
