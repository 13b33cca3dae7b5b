"""Publish the release into a SPARQL 1.1 triple store and prove the store now serves the same graph.

Loading uses the SPARQL 1.1 Graph Store HTTP Protocol (https://www.w3.org/TR/sparql11-http-rdf-update/):
``PUT`` on the graph store with ``?graph=<IRI>`` replaces that named graph (section 5.3), so publishing twice
leaves one copy. The graph defaults to the dataset's own IRI, ``<base>id/dataset/cryokg`` (the subject of
``void.ttl``), with the base read from ``manifest.json`` next to the release file: one store can then hold
several datasets, and Virtuoso's ~2,500 system triples stay out of the way.

Verification goes through the server (SPARQL 1.1 Protocol, query by POST), in three steps:

1. the triple count of that graph must equal the release's;
2. the graph is read back (Graph Store GET) and compared with the release triple by triple, by meaning
   (see :mod:`cryokg.answer.agreement`: language-tag case, ``xsd:string``, numeric lexical forms);
3. every catalogue query must give the same answer on the server as on the embedded engine
   (:class:`cryokg.answer.store.OxigraphEngine`) loaded from exactly the bytes that were sent. Catalogue queries
   run against the named graph through the protocol's ``default-graph-uri`` parameter (section 2.1.4), so
   they need no rewriting; queries that name graphs themselves (``GRAPH``, ``FROM``) are skipped.

A count or content difference means the store does not hold the release (exit 1). When the content is
identical but a query's answer still differs, the cause can only be the server's SPARQL engine: it is
reported as an *engine deviation*, and it fails the verification too (exit 1), because the catalogue is
written in SPARQL 1.1 that Oxigraph and Virtuoso 7.2.5 both answer alike (comments in the queries say which
Virtuoso faults they avoid). ``lenient=True`` (``--lenient``) still reports engine deviations but lets them
pass, for a server whose engine is known to be wrong and the data alone is to be checked.

Servers differ in where the two endpoints live; a preset knows each layout (``--server``), and ``auto``
reads the ``Server`` header of the endpoint:

========== =============================== ================================================ ==============
preset     query endpoint                  graph store                                      auth
========== =============================== ================================================ ==============
oxigraph   ``<root>/query``                ``<root>/store?graph=``                          none
virtuoso   ``<root>/sparql``               ``<root>/sparql-graph-crud-auth?graph-uri=``     HTTP digest
generic    ``--endpoint`` as given         ``--store`` (default: ``--endpoint``) ``?graph=`` the challenge's
========== =============================== ================================================ ==============

HTTP, authentication and the safe parsing of answers live in :mod:`cryokg.publish.sparql_client`.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal as Outcome
from typing import cast

import httpx
import pyoxigraph as ox

from cryokg.answer.agreement import compare, triple_key
from cryokg.answer.store import OxigraphEngine, QueryResult
from cryokg.errors import BadInput
from cryokg.namespaces import DEFAULT_BASE
from cryokg.publish.sparql_client import (
    HttpStatusError,
    PublishError,
    Triple,
    UnreadableAnswer,
    connect,
    get_graph,
    send,
    sparql_query,
)
from cryokg.rdf import sparql_text
from cryokg.rdf.parsing import rdflib_term
from cryokg.release.void import dataset_iri

__all__ = [
    "PRESETS",
    "HttpStatusError",
    "Preset",
    "PublishError",
    "QueryCheck",
    "ReleaseFile",
    "Target",
    "Verification",
    "catalogue_queries",
    "connect",
    "count_triples",
    "default_graph",
    "local_engine",
    "put_graph",
    "read_release",
    "resolve_target",
    "skip_reason",
    "verify",
]

_RELEASE_FORMATS = {".nt": ("application/n-triples", ox.RdfFormat.N_TRIPLES),
                    ".ttl": ("text/turtle", ox.RdfFormat.TURTLE)}


# --- where to send things --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Preset:
    """The URL layout of one kind of server, relative to its root (or to the folder of its query endpoint)."""

    name: str
    query_path: str
    store_path: str
    graph_param: str = "graph"
    auth: str = "auto"


PRESETS = {
    "oxigraph": Preset("oxigraph", "query", "store"),
    "virtuoso": Preset("virtuoso", "sparql", "sparql-graph-crud-auth", "graph-uri", "digest"),
    "generic": Preset("generic", "", ""),
}
_ABSOLUTE_IRI = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>"{}|^`\\]+$')  # RFC 3987 scheme; SPARQL IRIREF characters
_SIGNATURES = (("virtuoso/", "virtuoso"), ("oxigraph/", "oxigraph"))  # Server header prefix → preset


@dataclass(frozen=True)
class Target:
    """Where the release goes and where it is checked."""

    server: str
    query_url: str
    store_url: str
    graph: str
    graph_param: str = "graph"
    detected_from: str = ""  # the Server header when --server auto recognised it


def resolve_target(client: httpx.Client, endpoint: str, *, graph: str, server: str = "auto",
                   store: str | None = None, graph_param: str | None = None) -> Target:
    """Work out the query and graph-store URLs of *endpoint* for a preset, or detect the preset.

    ``--endpoint`` may be the server root (``http://host:7878``) or its query endpoint
    (``http://host:7878/query``); the graph store is found next to the query endpoint, so servers behind a
    path prefix work too. ``--store`` always wins.
    """
    url = _check_url(endpoint, "--endpoint")
    if store is not None:
        _check_url(store, "--store")
    if not _ABSOLUTE_IRI.match(graph):
        raise BadInput(f"--graph must be an absolute IRI, got {graph!r}")
    detected = ""
    if server == "auto":
        header = send(client, "GET", endpoint, "probing the server", check=False).headers.get("server", "")
        server = next((name for prefix, name in _SIGNATURES if header.lower().startswith(prefix)), "generic")
        detected = header if server != "generic" else ""
    if server not in PRESETS:
        raise BadInput(f"--server must be one of auto, {', '.join(PRESETS)}; got {server!r}")
    preset = PRESETS[server]
    if server == "generic":
        query_url, store_url = endpoint, store or endpoint
    else:
        path = url.path or "/"
        last = path.rstrip("/").rsplit("/", 1)[-1]
        if last == preset.query_path:
            folder = path.rstrip("/")[: -len(last)]
            query_url = str(url.copy_with(query=None, fragment=None))
        else:
            folder = path if path.endswith("/") else path + "/"
            query_url = str(url.copy_with(path=folder + preset.query_path, query=None, fragment=None))
        store_url = store or str(url.copy_with(path=folder + preset.store_path, query=None, fragment=None))
    return Target(server, query_url, store_url, graph, graph_param or preset.graph_param, detected)


def _check_url(text: str, option: str) -> httpx.URL:
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, TypeError) as exc:
        raise BadInput(f"{option}: not a URL: {text!r} ({exc})") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise BadInput(f"{option} must be an http:// or https:// URL with a host, got {text!r}")
    return url


# --- the release -------------------------------------------------------------------------------------------

CHUNK_TRIPLES = 100_000
"""Triples sent per request when an N-Triples release is loaded in chunks (about 20 MB of the synthetic graph)."""
LARGE_RELEASE_BYTES = 64 * 1024 * 1024
"""Release files larger than this (about 350 k triples) are not read into memory: they are sent in chunks read
from the file, the local store the catalogue queries run on is on disk, and the content check reads the served
graph back only up to :data:`CONTENT_CHECK_TRIPLES`."""
CONTENT_CHECK_TRIPLES = 1_000_000
"""Largest graph read back whole for the content check (the client holds both sides in memory to compare)."""


@dataclass
class ReleaseFile:
    """The release file to publish and the same triples in a local store (on disk for a large release)."""

    path: Path
    media_type: str
    store: ox.Store
    size: int = 0
    _triples: int | None = field(default=None, repr=False)

    @property
    def data(self) -> bytes:
        """The file's bytes (read when asked: a large release is sent in chunks, never held whole)."""
        return self.path.read_bytes()

    @property
    def large(self) -> bool:
        return self.size > LARGE_RELEASE_BYTES

    @property
    def triples(self) -> int:
        """Distinct triples, which is what a store holds after loading the file."""
        if self._triples is None:
            solutions = self.store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
            self._triples = int(next(iter(cast(ox.QuerySolutions, solutions)))[0].value)
        return self._triples

    def chunks(self, triples: int = CHUNK_TRIPLES) -> Iterator[bytes]:
        """The file in pieces of at most *triples* lines, each valid N-Triples on its own (one triple a line);
        a Turtle file is one piece. The first piece is always there, if empty."""
        if self.path.suffix != ".nt":
            yield self.data
            return
        with self.path.open("rb") as handle:
            empty = True
            while True:
                lines = list(itertools.islice(handle, triples))
                if not lines and not empty:
                    return
                empty = False
                yield b"".join(lines)
                if len(lines) < triples:
                    return

    def graph(self) -> list[Triple]:
        """The release's triples as rdflib terms, for comparing with what a server sends back."""
        return [(rdflib_term(q.subject), rdflib_term(q.predicate), rdflib_term(q.object)) for q in self.store]


def read_release(path: Path) -> ReleaseFile:
    """The release at *path*: a file (``.nt`` or ``.ttl``) or a folder holding ``cryokg.nt`` or ``cryokg.ttl``."""
    path = Path(path)
    if path.is_dir():
        found = next((path / n for n in ("cryokg.nt", "cryokg.ttl") if (path / n).is_file()), None)
        if found is None:
            raise BadInput(f"{path}/ holds neither cryokg.nt nor cryokg.ttl: run `cryokg build` first")
        path = found
    if not path.is_file():
        raise BadInput(f"{path}: no such release file: run `cryokg build` first")
    if path.suffix not in _RELEASE_FORMATS:
        raise BadInput(f"{path}: publish an N-Triples (.nt) or Turtle (.ttl) release file")
    media_type, rdf_format = _RELEASE_FORMATS[path.suffix]
    size = path.stat().st_size
    if size > LARGE_RELEASE_BYTES:  # an on-disk store, loaded by pyoxigraph straight from the file
        import shutil
        import tempfile
        import weakref

        directory = tempfile.mkdtemp(prefix="cryokg-publish-")
        store = ox.Store(directory)
        try:
            store.bulk_load(path=str(path), format=rdf_format)
        except (SyntaxError, ValueError) as exc:
            shutil.rmtree(directory, ignore_errors=True)
            raise BadInput(f"{path}: {exc}") from None
        release = ReleaseFile(path, media_type, store, size)
        weakref.finalize(release, shutil.rmtree, directory, True)
        return release
    store = ox.Store()
    try:
        store.load(path.read_bytes(), format=rdf_format)
    except (SyntaxError, ValueError) as exc:
        raise BadInput(f"{path}: {exc}") from None
    return ReleaseFile(path, media_type, store, size)


def default_graph(release: Path) -> str:
    """The dataset IRI, ``<base>id/dataset/cryokg``, with the base the release was built with."""
    release = Path(release)
    folder = release if release.is_dir() else release.parent
    base = DEFAULT_BASE
    manifest = folder / "manifest.json"
    if manifest.is_file():
        with contextlib.suppress(json.JSONDecodeError, OSError, AttributeError):
            base = json.loads(manifest.read_text(encoding="utf-8")).get("base_iri") or DEFAULT_BASE
    return str(dataset_iri(base))


# --- loading and querying --------------------------------------------------------------------------------

def put_graph(client: httpx.Client, target: Target, release: ReleaseFile, *,
              chunk_triples: int = CHUNK_TRIPLES) -> int:
    """Replace the target graph with the release; returns the HTTP status of the first request.

    The first chunk replaces the graph (Graph Store Protocol PUT, section 5.3) and every further chunk is added
    to it (POST, section 5.5), so an N-Triples release of any size travels in requests of at most
    *chunk_triples* lines, read from the file one chunk at a time: the client's memory does not grow with the
    release. A load cut short leaves part of the release in the graph, which the verification's triple count
    then reports. With credentials, a bodiless ``HEAD`` goes first so the authentication challenge is met
    before the release itself is sent (otherwise a body would travel twice: refused, then accepted).
    """
    params = {target.graph_param: target.graph}
    if client.auth is not None:
        send(client, "HEAD", target.store_url, "authenticating", check=False, params=params)
    status = 0
    for n, chunk in enumerate(release.chunks(chunk_triples)):
        what = f"loading {release.path.name}" + (f" (chunk {n + 1})" if n else "")
        response = send(client, "POST" if n else "PUT", target.store_url, what, params=params, content=chunk,
                        headers={"Content-Type": release.media_type})
        status = status or response.status_code
    return status


def count_triples(client: httpx.Client, target: Target) -> int:
    """How many triples the server holds in the target graph (named explicitly, so no dataset defaults apply)."""
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{target.graph}> {{ ?s ?p ?o }} }}"
    result = sparql_query(client, target.query_url, query, form="select")
    try:
        return int(str(result.rows[0][0]))
    except (IndexError, ValueError, TypeError):
        raise PublishError(f"{target.query_url} gave no triple count for <{target.graph}>") from None


# --- verification ------------------------------------------------------------------------------------------

@dataclass
class QueryCheck:
    """One catalogue query: did the server answer as the embedded store does?

    ``engine`` means the answers differ although the served graph is identical to the release, so the
    server's SPARQL engine, not the data, is the cause (Virtuoso 7.2.5, for instance, keeps one solution of
    a ``rdfs:subClassOf*`` path joined with other patterns, and mis-joins a trailing ``VALUES`` clause).
    """

    name: str
    outcome: Outcome["same", "different", "engine", "skipped"]
    detail: str = ""


@dataclass
class Verification:
    """What the server holds compared with the release."""

    expected_triples: int
    served_triples: int
    content_difference: str | None = None  # None: same triples (or not checked)
    content_checked: bool = False  # True only when every served triple was read back and compared
    content_note: str = ""
    checks: list[QueryCheck] = field(default_factory=list)

    @property
    def counts_match(self) -> bool:
        return self.expected_triples == self.served_triples

    @property
    def data_match(self) -> bool:
        """The server holds exactly the release's triples (as far as was checked)."""
        return self.counts_match and self.content_difference is None

    def ok(self, *, lenient: bool = False) -> bool:
        """Data match and every catalogue answer is the same; *lenient* lets engine deviations pass."""
        failing = ("different",) if lenient else ("different", "engine")
        return self.data_match and not any(c.outcome in failing for c in self.checks)

    def tally(self, outcome: str) -> int:
        return sum(c.outcome == outcome for c in self.checks)


_DATASET_KEYWORDS = ("graph", "from", "service")


def skip_reason(query: str) -> str | None:
    """Why a query cannot be compared across stores, or None when it can."""
    if sparql_text.query_form(query) == "describe":
        return "DESCRIBE answers are up to each engine (SPARQL 1.1, section 16.4)"
    used = next((word for word in sparql_text.keywords(query) if word in _DATASET_KEYWORDS), None)
    if used:
        return f"uses {used.upper()}: it depends on how a store arranges its named graphs"
    return None


def verify(client: httpx.Client, target: Target, *, expected_triples: int,
           catalogue: Sequence[tuple[str, str]], run_local: Callable[[str], QueryResult],
           release_triples: Sequence[Triple] | None = None) -> Verification:
    """Compare the server's graph with the release: triple count, content, then each (name, query).

    *run_local* answers a query on the embedded store (e.g. ``local_engine(release).query``). With
    *release_triples*, the graph is read back (Graph Store GET) and compared triple by triple, by meaning;
    when it is identical, a catalogue answer that still differs is put down to the server's engine.
    A query the server rejects counts as a different answer; one the embedded store rejects is skipped.
    """
    result = Verification(expected_triples, count_triples(client, target))
    if release_triples is not None:
        _check_content(client, target, result, release_triples)
    for name, query in catalogue:
        result.checks.append(_check(client, target, name, query, run_local))
    if result.content_checked and result.data_match:
        for check in result.checks:
            if check.outcome == "different":
                check.outcome = "engine"
    return result


def _check_content(client: httpx.Client, target: Target, result: Verification,
                   release_triples: Sequence[Triple]) -> None:
    """Read the graph back and compare it with the release, minding servers that cut long answers short."""
    try:
        served = get_graph(client, target.store_url, target.graph, graph_param=target.graph_param)
    except UnreadableAnswer as exc:  # e.g. Virtuoso keeps the backslash of an escaped Turtle local name in an IRI
        result.content_difference = str(exc)
        return
    keys = {triple_key(t) for t in served}
    if len(keys) >= result.served_triples:
        result.content_difference = compare(QueryResult("graph", triples=list(release_triples)),
                                            QueryResult("graph", triples=served), "CONSTRUCT {}")
        result.content_checked = True
        return
    # Virtuoso cuts a Graph Store GET at ResultSetMaxRows without saying so: check what did come back.
    release_keys = {triple_key(t) for t in release_triples}
    unexpected = [t for t in served if triple_key(t) not in release_keys]
    cut = (f"the graph store sent back only {len(keys)} of its {result.served_triples} triples "
           "(a result-size limit, such as Virtuoso's ResultSetMaxRows)")
    if unexpected:
        result.content_difference = f"{cut}; among them, " + (
            compare(QueryResult("graph"), QueryResult("graph", triples=unexpected), "CONSTRUCT {}") or "")
    else:
        result.content_note = f"{cut}: all of those are in the release"


def _check(client: httpx.Client, target: Target, name: str, query: str,
           run_local: Callable[[str], QueryResult]) -> QueryCheck:
    reason = skip_reason(query)
    if reason:
        return QueryCheck(name, "skipped", reason)
    try:
        expected = run_local(query)
    except Exception as exc:  # a broken catalogue query is not the server's fault
        return QueryCheck(name, "skipped", f"the embedded store cannot run it: {exc}")
    try:
        served = sparql_query(client, target.query_url, query, default_graph=target.graph,
                              form="select" if expected.kind == "select" else None)
    except (HttpStatusError, UnreadableAnswer) as exc:
        return QueryCheck(name, "different", str(exc))
    difference = compare(expected, served, query)
    return QueryCheck(name, "different" if difference else "same", difference or "")


def local_engine(release: ReleaseFile) -> OxigraphEngine:
    """The embedded engine over exactly the triples being published (so both sides see the same graph)."""
    return OxigraphEngine(release.store)


def catalogue_queries(engine: OxigraphEngine, folder: Path | None = None) -> list[tuple[str, str]]:
    """(name, query text) of every catalogue query, parameters bound to their defaults.

    A query whose parameters cannot be bound (no default, or a default the graph does not resolve) is
    compared with its parameters unbound: still the same question to both stores.
    """
    from cryokg.answer.catalogue import QUERIES_DIR, bind_parameters, load_catalogue

    queries = []
    for name, query in load_catalogue(folder or QUERIES_DIR).items():
        try:
            queries.append((name, bind_parameters(query, {}, engine)))
        except BadInput:
            queries.append((name, query.text))
    return queries
