"""The release as the web server sees it: an in-process pyoxigraph store, resource descriptions.

The store is loaded from the release folder only (``build/cryokg.nt``, via :func:`cryokg.answer.store.load_store`
with no sources), so what is served is exactly what ``cryokg build`` validated. ``build/void.ttl`` goes into
one named graph, ``<base>release/void.ttl`` (the IRI of that download): the SPARQL default graph stays the
release itself, and the dataset IRI still dereferences to its VoID/DCAT description.

What an RDF document of a resource holds (its "description", documented in the README and the home page):

1. every triple whose subject is the resource (from the release, or from the VoID graph for the dataset
   and its partitions);
2. for every IRI that appears as object in (1) and is described in the release: its ``skos:prefLabel`` and
   ``rdfs:label`` triples, so a client can show names without fetching each linked resource.

Incoming links are not in the RDF document (follow them with SPARQL); the HTML page lists them.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDFS, SKOS

from cryokg.answer.store import load_store
from cryokg.errors import BadInput
from cryokg.namespaces import DEFAULT_BASE
from cryokg.rdf.parsing import rdflib_term
from cryokg.rdf.rebase import rebase_oxigraph

__all__ = ["LABEL_PREDICATES", "ReleaseData", "from_ox", "load_release_store", "release_base", "void_graph_iri"]

LABEL_PREDICATES = (str(SKOS.prefLabel), str(RDFS.label))


def void_graph_iri(base: str) -> str:
    """The named graph holding ``void.ttl``: the IRI the release publishes that file under."""
    return f"{base}release/void.ttl"


def from_ox(term: object) -> URIRef | Literal:
    """A pyoxigraph term as an rdflib term (``xsd:string`` literals become plain, as in the release)."""
    return rdflib_term(term)  # type: ignore[return-value]


def release_base(build_dir: Path) -> str:
    """The base IRI the release was built with (``manifest.json``), or the default."""
    try:
        manifest = json.loads((Path(build_dir) / "manifest.json").read_text(encoding="utf-8"))
        return manifest.get("base_iri") or DEFAULT_BASE
    except (OSError, ValueError):
        return DEFAULT_BASE


SERVE_ON_DISK_BYTES = 64 * 1024 * 1024
"""A release whose ``cryokg.nt`` is larger than this (about 350 k triples) is served from an on-disk store,
made once beside the release (:func:`disk_store`) and opened read-only by the server and by each SPARQL worker:
held in memory, each of the three processes would hold its own copy (about 370 bytes a triple), and every start
would parse the release again."""
STORE_FOLDER = ".cryokg-store"
STORE_LAYOUT = "compacted"
"""Part of the on-disk store's key: a store made before it was compacted after loading is made again."""


def load_release_store(build_dir: Path, base: str | None = None) -> ox.Store:
    """The store the server reads: the release as default graph, VoID in its own named graph.

    With *base* different from the release's own base IRI, every IRI under the release base is moved under
    *base*, so that a local server (``--base-iri http://127.0.0.1:8000/``) serves IRIs that resolve to it.
    A large release is read from its on-disk store (:data:`SERVE_ON_DISK_BYTES`).
    """
    build_dir = Path(build_dir)
    if not (build_dir / "cryokg.nt").is_file():
        raise BadInput(f"no release at {build_dir / 'cryokg.nt'}: run `cryokg build` first")
    if (build_dir / "cryokg.nt").stat().st_size > SERVE_ON_DISK_BYTES:
        return disk_store(build_dir, base)
    built_with = release_base(build_dir)
    store = load_store(release=build_dir, sources=None, base=built_with).store
    void = build_dir / "void.ttl"
    if void.is_file():
        try:
            store.load(path=str(void), format=ox.RdfFormat.TURTLE,
                       to_graph=ox.NamedNode(void_graph_iri(built_with)))
        except SyntaxError as exc:
            raise BadInput(f"{void}: {exc}") from None
    if base and base != built_with:
        store = rebase_oxigraph(store, built_with, base)
    return store



def _store_key(build_dir: Path, base: str) -> str:
    """What the on-disk store was made from: the release files' checksums (manifest) or sizes and times, and
    the base IRI it is served under."""
    import hashlib

    parts = [STORE_LAYOUT, base]
    try:
        files = json.loads((build_dir / "manifest.json").read_text(encoding="utf-8")).get("files", {})
        parts += [files.get(name, {}).get("sha256", "") for name in ("cryokg.nt", "void.ttl")]
    except (OSError, ValueError):
        for name in ("cryokg.nt", "void.ttl"):
            path = build_dir / name
            parts.append(f"{path.stat().st_size}:{path.stat().st_mtime_ns}" if path.is_file() else "")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def disk_store(build_dir: Path, base: str | None = None) -> ox.Store:
    """The release's on-disk store, opened read-only: made on first use in ``<build>/.cryokg-store`` (in a
    temporary folder renamed into place, so a process that finds it finds it whole) and made again when the
    release or the base IRI changes. The first start of a large release pays the load; later ones open it.
    When the release folder is not writable, the store is made in a temporary folder for this process only."""
    import os
    import shutil
    import tempfile

    build_dir = Path(build_dir)
    built_with = release_base(build_dir)
    served = base or built_with
    key = _store_key(build_dir, served)
    folder = build_dir / STORE_FOLDER
    if (folder / "KEY").is_file() and (folder / "KEY").read_text(encoding="ascii") == key:
        return ox.Store.read_only(str(folder / "db"))
    try:
        staging = Path(tempfile.mkdtemp(prefix=f"{STORE_FOLDER}.", dir=build_dir))
    except OSError:  # a read-only release: a store of our own, gone with the process
        import atexit

        staging = Path(tempfile.mkdtemp(prefix="cryokg-serve-"))
        atexit.register(shutil.rmtree, staging, True)
        _fill(ox.Store(str(staging / "db")), build_dir, built_with, served)
        return ox.Store.read_only(str(staging / "db"))
    try:
        store = ox.Store(str(staging / "db"))
        _fill(store, build_dir, built_with, served)
        del store  # closes the database before it is moved
        (staging / "KEY").write_text(key, encoding="ascii")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ox.Store.read_only(str(folder / "db"))


def _fill(store: ox.Store, build_dir: Path, built_with: str, served: str) -> None:
    """Load the release (and VoID, in its named graph) into *store*, moved to *served* when it differs."""
    from cryokg.rdf.rebase import rebased_triples

    release = build_dir / "cryokg.nt"
    void = build_dir / "void.ttl"
    graph = ox.NamedNode(void_graph_iri(served))
    try:
        if served == built_with:
            store.bulk_load(path=str(release), format=ox.RdfFormat.N_TRIPLES, to_graph=ox.DefaultGraph())
            if void.is_file():
                store.bulk_load(path=str(void), format=ox.RdfFormat.TURTLE, to_graph=graph)
        else:
            triples = ox.parse(path=str(release), format=ox.RdfFormat.N_TRIPLES)
            store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object) for t in rebased_triples(
                triples, built_with, served))
            if void.is_file():
                store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in rebased_triples(
                    (q.triple for q in ox.parse(path=str(void), format=ox.RdfFormat.TURTLE)), built_with, served))
    except SyntaxError as exc:
        raise BadInput(f"{build_dir}: {exc}") from None
    store.flush()
    # Compacted once here, every read is cheaper for as long as the release is served: a bulk load leaves ~50
    # unmerged table files that each look-up consults, and decoding a term then cost 29 us. At 10 M triples,
    # reading the 1.2 M labels took 35.7 s before and 10.1 s after; compacting took 15.2 s.
    store.optimize()


class ReleaseData:
    """Read-only look-ups on the release store, for pages and RDF documents (never user SPARQL)."""

    def __init__(self, store: ox.Store, *, base: str = DEFAULT_BASE) -> None:
        self.store = store
        self.base = base
        self.void_graph = ox.NamedNode(void_graph_iri(base))

    # --- graphs ---------------------------------------------------------------------------------------
    def _graphs(self, iri: str) -> list[ox.DefaultGraph | ox.NamedNode]:
        return [ox.DefaultGraph(), self.void_graph]

    def outgoing(self, iri: str) -> list[tuple[URIRef, URIRef | Literal]]:
        """(predicate, object) pairs of the triples about *iri*, release first, then VoID."""
        node = ox.NamedNode(iri)
        pairs: list[tuple[URIRef, URIRef | Literal]] = []
        for graph in self._graphs(iri):
            pairs.extend((URIRef(q.predicate.value), from_ox(q.object))
                         for q in self.store.quads_for_pattern(node, None, None, graph))
        return pairs

    def incoming(self, iri: str, limit: int | None = None, predicate: str | None = None) -> list[tuple[URIRef, URIRef]]:
        """(subject, predicate) pairs of release triples pointing at *iri* (through *predicate* when given), the
        first *limit* of them when given: a hub of a large release (a technique, an assignment kind) is the
        object of hundreds of thousands of triples, and a page reading them all would hold the server for
        minutes. :meth:`incoming_count` counts them without reading them."""
        node = ox.NamedNode(iri)
        quads = self.store.quads_for_pattern(None, ox.NamedNode(predicate) if predicate else None, node,
                                             ox.DefaultGraph())
        return [(URIRef(q.subject.value), URIRef(q.predicate.value))
                for q in itertools.islice(quads, limit) if isinstance(q.subject, ox.NamedNode)]

    def incoming_count(self, iri: str) -> int:
        """How many release triples point at *iri* from an IRI (counted in the store, nothing decoded)."""
        return self._count(f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p <{ox.NamedNode(iri).value}> FILTER(isIRI(?s)) }}")

    def rows(self, query: str) -> list[tuple[str | None, ...]]:
        """The rows of a SELECT over the release (the default graph), each value as its lexical form or None: for
        views whose joins and counts the store does without decoding every term (never user SPARQL)."""
        result = self.store.query(query)
        assert isinstance(result, ox.QuerySolutions)
        return [tuple(term.value if term is not None else None for term in row) for row in result]

    def _count(self, query: str) -> int:
        value = self.rows(query)[0][0]
        return int(value) if value is not None else 0

    def exists(self, iri: str) -> bool:
        """Whether *iri* is described (is the subject of a triple) in the release or the VoID graph."""
        try:
            node = ox.NamedNode(iri)
        except ValueError:
            return False
        return any(next(iter(self.store.quads_for_pattern(node, None, None, g)), None) is not None
                   for g in self._graphs(iri))

    def labels(self, iri: str) -> list[tuple[URIRef, Literal]]:
        """The label triples (predicate, literal) of *iri* in the release."""
        node = ox.NamedNode(iri)
        found: list[tuple[URIRef, Literal]] = []
        for predicate in LABEL_PREDICATES:
            for q in self.store.quads_for_pattern(node, ox.NamedNode(predicate), None, ox.DefaultGraph()):
                term = from_ox(q.object)
                if isinstance(term, Literal):
                    found.append((URIRef(predicate), term))
        return found

    def label(self, iri: str, lang: str = "en") -> str | None:
        """The best display label: English prefLabel, else any prefLabel, else rdfs:label, else a title
        (``dcterms:title``, which the dataset and the ontology carry instead of a label)."""
        choices: list[tuple[URIRef, URIRef | Literal]] = list(self.labels(iri))
        node = ox.NamedNode(iri)
        title = str(DCTERMS.title)
        choices += [(URIRef(title), term) for g in self._graphs(iri)
                    for q in self.store.quads_for_pattern(node, ox.NamedNode(title), None, g)
                    if isinstance(term := from_ox(q.object), Literal)]
        for predicate in (*LABEL_PREDICATES, title):
            texts = [o for p, o in choices if str(p) == predicate]
            for text in texts:
                if isinstance(text, Literal) and text.language == lang:
                    return str(text)
            if texts:
                return str(texts[0])
        return None

    def notation(self, iri: str) -> str | None:
        """The smallest ``skos:notation`` of *iri* (a code's number), or None."""
        values = sorted(q.object.value for q in self.store.quads_for_pattern(
            ox.NamedNode(iri), ox.NamedNode(str(SKOS.notation)), None, ox.DefaultGraph())
            if isinstance(q.object, ox.Literal))
        return values[0] if values else None

    def number(self, iri: str, predicate: str) -> float | None:
        """The numeric value of *predicate* on *iri* (e.g. a step's ``cryo:stepOrder``), or None."""
        try:
            node = ox.NamedNode(iri)
        except ValueError:
            return None
        for quad in self.store.quads_for_pattern(node, ox.NamedNode(predicate), None, ox.DefaultGraph()):
            if not isinstance(quad.object, ox.Literal):
                continue
            try:
                return float(quad.object.value)
            except ValueError:
                continue
        return None

    def description(self, iri: str) -> Graph:
        """The RDF document of *iri*: its own triples plus the labels of the IRIs it points to."""
        graph = Graph()
        subject = URIRef(iri)
        linked: set[str] = set()
        for predicate, obj in self.outgoing(iri):
            graph.add((subject, predicate, obj))
            if isinstance(obj, URIRef) and str(obj) != iri:
                linked.add(str(obj))
        for other in sorted(linked):
            for predicate, label in self.labels(other):
                graph.add((URIRef(other), predicate, label))
        return graph

    # --- listings -------------------------------------------------------------------------------------
    def instances(self, class_iri: str, limit: int | None = None) -> list[str]:
        """IRIs of the release's resources typed *class_iri* (asserted types only), sorted; with *limit*, those
        of the first *limit* typing triples in the store's order (a sample, read without reading the rest)."""
        rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
        quads = self.store.quads_for_pattern(None, rdf_type, ox.NamedNode(class_iri), ox.DefaultGraph())
        return sorted({q.subject.value for q in itertools.islice(quads, limit) if isinstance(q.subject, ox.NamedNode)})

    def instance_count(self, class_iri: str) -> int:
        """How many IRIs the release types *class_iri* (counted in the store, nothing decoded)."""
        return self._count(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ ?s a <{ox.NamedNode(class_iri).value}> "
                           "FILTER(isIRI(?s)) }")

    def subjects(self) -> list[str]:
        """Every IRI described in the release or the VoID graph (what the static export writes)."""
        found: set[str] = set()
        for graph in (ox.DefaultGraph(), self.void_graph):
            found.update(q.subject.value for q in self.store.quads_for_pattern(None, None, None, graph)
                         if isinstance(q.subject, ox.NamedNode))
        return sorted(found)

    def literals(self, predicate: str) -> Iterator[tuple[str, str]]:
        """(subject IRI, text) of every literal object of *predicate* in the release (not the VoID graph), one by
        one (the search index reads millions)."""
        for q in self.store.quads_for_pattern(None, ox.NamedNode(predicate), None, ox.DefaultGraph()):
            if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.Literal):
                yield q.subject.value, q.object.value

    def statements(self, predicate: str) -> Iterator[tuple[str, str]]:
        """(subject IRI, object value) of every triple of *predicate* in the release whose subject is an IRI,
        one by one: a whole-release view (the browse tree) reads a predicate in one scan, where a SPARQL join
        took minutes at 10 M triples and a look-up per resource as long."""
        for q in self.store.quads_for_pattern(None, ox.NamedNode(predicate), None, ox.DefaultGraph()):
            if isinstance(q.subject, ox.NamedNode) and not isinstance(q.object, ox.Triple):
                yield q.subject.value, q.object.value

    def best_labels(self, iris: Collection[str], lang: str = "en") -> dict[str, str]:
        """:meth:`label` of each of *iris* that has one, from one scan per label predicate instead of five
        look-ups per IRI (the browse tree labels 370 k structures of a 10 M-triple release).

        The same choice as :meth:`label`: per predicate in order, the first text in *lang*, else the first text.
        A scan meets one subject's objects in the order its own look-up does (both indexes sort a subject's
        objects of one predicate the same way), so "first" agrees; a test compares the two."""
        wanted = iris if isinstance(iris, (set, frozenset, dict)) else set(iris)
        found: dict[str, str] = {}
        title = str(DCTERMS.title)
        for predicate in (*LABEL_PREDICATES, title):
            first: dict[str, str] = {}
            chosen: dict[str, str] = {}
            node = ox.NamedNode(predicate)
            for graph in (ox.DefaultGraph(), self.void_graph) if predicate == title else (ox.DefaultGraph(),):
                for q in self.store.quads_for_pattern(None, node, None, graph):
                    subject, obj = q.subject, q.object
                    if not isinstance(obj, ox.Literal) or not isinstance(subject, ox.NamedNode):
                        continue
                    iri = subject.value
                    if iri in found or iri not in wanted:
                        continue
                    first.setdefault(iri, obj.value)
                    if obj.language == lang:
                        chosen.setdefault(iri, obj.value)
            for iri, text in first.items():
                found[iri] = chosen.get(iri, text)
        return found

    def typings(self) -> Iterator[tuple[str, str]]:
        """(subject IRI, class IRI) of every ``rdf:type`` triple between IRIs, in the release and the VoID
        graph: :meth:`types` of every resource at once."""
        rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
        for graph in (ox.DefaultGraph(), self.void_graph):
            for q in self.store.quads_for_pattern(None, rdf_type, None, graph):
                if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode):
                    yield q.subject.value, q.object.value

    def kind_label(self, iri: str) -> str:
        """A readable name for the kind of thing *iri* is (label of its first type)."""
        types = self.types(iri)
        for cls in types:
            label = self.label(cls)
            if label:
                return label
        return ""

    def types(self, iri: str) -> list[str]:
        rdf_type = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
        return sorted(str(o) for p, o in self.outgoing(iri) if str(p) == rdf_type and isinstance(o, URIRef))

    def superclasses(self, classes: Iterable[str]) -> list[str]:
        """*classes* and every class above them by ``rdfs:subClassOf`` in the release, nearest first."""
        sub = ox.NamedNode(str(RDFS.subClassOf))
        seen: list[str] = []
        frontier = list(classes)
        while frontier:
            current = frontier.pop(0)
            if current in seen:
                continue
            seen.append(current)
            frontier.extend(q.object.value for q in self.store.quads_for_pattern(
                ox.NamedNode(current), sub, None, ox.DefaultGraph()) if isinstance(q.object, ox.NamedNode))
        return seen
