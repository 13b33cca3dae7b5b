"""Find and load the hand-authored sources under ``ontology/`` into one rdflib graph.

Parsing goes through pyoxigraph: it is strict (an IRI with a space or an undefined prefix is an error, not a
warning), it reports line and column, and it is an order of magnitude faster than rdflib's Turtle parser.
The triples are then handed to rdflib, which the rest of the pipeline (owlrl, pyshacl) works on, and kept in
a pyoxigraph store too (:attr:`SourceSet.store`, the primary store): the release's writers, the SHACL-SPARQL
constraints and the queries read it without converting a single rdflib term back.

After parsing, :func:`check_graph` applies the source rules that a parser cannot see: no blank nodes (they
make releases unstable), no ill-typed literals, no IRI of our namespace used without being described, and
no term with two different labels in one language.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from cryokg.errors import BadInput, SourceError
from cryokg.namespaces import DEFAULT_BASE
from cryokg.rdf.parsing import Term, oxigraph_triple, parse_quads, parse_rdf, rdflib_term, read_limited

__all__ = [
    "DEFAULT_SOURCES",
    "SourceSet",
    "check_graph",
    "find_data_files",
    "find_shape_files",
    "load_files",
    "load_sources",
    "ox_triples",
    "parse_turtle",
]

DEFAULT_SOURCES = Path(__file__).resolve().parents[3] / "ontology"
"""The project's own ``ontology/`` folder (when running from a checkout)."""

DATA_PATTERNS = ("*.ttl", "vocab/*.ttl", "data/*.ttl")
MAPPING_PATTERNS = ("mappings/*.sssom.tsv",)
SHAPE_PATTERNS = ("shapes.ttl", "shapes/*.ttl")
LABEL_PREDICATES = (SKOS.prefLabel, RDFS.label)

_log = logging.getLogger(__name__)


@dataclass
class SourceSet:
    """The loaded sources: the merged graph and, per subject, the files (and lines) that describe it (the
    subjects are IRIs, and blank nodes too in RDF loaded with ``any_rdf``).

    ``store`` holds the same triples in its default graph, as pyoxigraph terms (literals in rdflib's normal
    form, as in ``graph``), for the sources of a build; ``None`` for RDF as others write it (``cryokg
    validate``: blank nodes, whose labels a store would change)."""

    graph: Graph
    files: list[Path]
    origins: dict[Node, list[tuple[Path, int | None]]] = field(default_factory=dict)
    store: ox.Store | None = None

    def origin_of(self, node: Node) -> str | None:
        """``file:line`` of the first place that describes *node*, for messages."""
        places = self.origins.get(node)
        if not places:
            return None
        path, line = places[0]
        return f"{path}:{line}" if line else str(path)


def find_data_files(root: Path) -> list[Path]:
    """The data and vocabulary files (Turtle and SSSOM) under a sources folder, in a stable order."""
    root = Path(root)
    if not root.is_dir():
        raise BadInput(f"{root}: sources folder not found")
    found: set[Path] = set()
    for pattern in DATA_PATTERNS + MAPPING_PATTERNS:
        # a broken symlink is kept so that reading it reports the problem instead of silently skipping it
        found.update(p for p in root.glob(pattern)
                     if (p.is_file() or p.is_symlink()) and not _is_shape_file(root, p))
    files = sorted(found)
    _refuse_escaping_links(root, files)
    if not any(p.suffix == ".ttl" for p in files):
        raise BadInput(f"{root}: no Turtle sources found (looked for {', '.join(DATA_PATTERNS)})")
    return files


def find_shape_files(root: Path) -> list[Path]:
    """The SHACL shapes files under a sources folder."""
    root = Path(root)
    files = sorted({p for pattern in SHAPE_PATTERNS for p in root.glob(pattern) if p.is_file() or p.is_symlink()})
    _refuse_escaping_links(root, files)
    return files


def _refuse_escaping_links(root: Path, files: list[Path]) -> None:
    """A source reached through a symbolic link must stay inside the sources folder: a link to
    ``/etc/passwd`` or to another project's files would otherwise be read into the release. Links within
    the folder are fine."""
    inside = root.resolve()
    for path in files:
        target = path.resolve()  # through a linked file or a linked folder alike
        if inside not in target.parents:
            raise SourceError(path, f"symbolic link to {target}, outside the sources folder {inside}: "
                                    "copy the file in instead")


def _is_shape_file(root: Path, path: Path) -> bool:
    rel = path.relative_to(root)
    return rel.name == "shapes.ttl" or (rel.parts[0] == "shapes" if len(rel.parts) > 1 else False)


def _read_text(path: Path) -> str:
    """The UTF-8 text of a source file, its size checked before it is read (:func:`read_limited`)."""
    data = read_limited(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc


RDF_SUFFIXES = {".ttl": "turtle", ".nt": "ntriples", ".jsonld": "jsonld", ".rdf": "rdfxml", ".owl": "rdfxml"}
"""Format of a data file given by name (``cryokg validate x.jsonld``, ``cryokg check --graph x.nt``);
every one goes through :func:`cryokg.rdf.parsing.parse_rdf` and its limits. Folders are searched for Turtle only."""


def parse_turtle(path: Path, text: str | None = None, *, fmt: str = "turtle",
                 prefixes: dict[str, str] | None = None) -> Iterator[tuple[URIRef, URIRef, URIRef | Literal]]:
    """Parse one source file (Turtle unless *fmt* says otherwise) strictly; yield rdflib triples (*prefixes*
    receives the file's prefixes: :func:`cryokg.rdf.parsing.parse_quads`).

    Errors name file, line and column. Blank nodes are refused: they would make releases differ from build
    to build.
    """
    text = _read_text(path) if text is None else text
    for subject, predicate, obj in parse_rdf(text.encode("utf-8"), fmt=fmt, name=str(path), prefixes=prefixes):
        if isinstance(subject, BNode) or isinstance(obj, BNode):
            line = _line_of(text, "[") or _line_of(text, "_:")
            raise SourceError(path, "blank node found: give every node an IRI so releases stay "
                                    "byte-reproducible", line)
        # A subject is an IRI or a blank node: pyoxigraph's parsers refuse a triple term there (RDF 1.2), although
        # its stubs allow one (parse_rdf would show it as a literal).
        yield cast(URIRef, subject), predicate, obj


def _line_of(text: str, needle: str) -> int | None:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else None


def _subject_lines(text: str) -> dict[str, int]:
    """Map of subject tokens (CURIE or <IRI>) written at the start of a line to their line numbers."""
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if line and not line[0].isspace() and not line.startswith(("@", "#", "PREFIX", "prefix")):
            token = line.split(None, 1)[0]
            lines.setdefault(token, number)
    return lines


def load_files(paths: Iterable[Path], *, base: str = DEFAULT_BASE, any_rdf: bool = False) -> SourceSet:
    """Load the given Turtle and SSSOM files into one graph, remembering where each subject is described.

    *any_rdf* takes RDF as others write it, for ``cryokg validate``: blank nodes are allowed (the sources' rule
    against them is about reproducible releases) and relative IRIs resolve against the file's own URI."""
    from cryokg.sources.sssom import load_sssom  # local import: mappings imports this module's helpers

    files = sorted(Path(p) for p in paths)
    if not any_rdf and sum(_size(path) for path in files) > STORE_ON_DISK_BYTES:
        return _load_into_store(files, base=base)
    graph = Graph()
    origins: dict[Node, list[tuple[Path, int | None]]] = defaultdict(list)
    store = None if any_rdf else ox.Store()
    for path in files:
        triples: list[tuple[Term, URIRef, Term]]
        if path.name.endswith(".sssom.tsv"):
            triples = list(load_sssom(path, base=base))
            lines: dict[str, int] = {}
            prefixes: dict[str, str] = {}
            if store is not None:
                store.extend(ox.Quad(*oxigraph_triple(s, p, o)) for s, p, o in triples)
        else:
            text = _read_text(path)
            fmt = RDF_SUFFIXES.get(path.suffix, "turtle")
            prefixes = {}
            triples = (list(parse_rdf(text.encode("utf-8"), fmt=fmt, name=str(path), base_iri=path.resolve().as_uri(),
                                      prefixes=prefixes))
                       if any_rdf else list(parse_turtle(path, text, fmt=fmt, prefixes=prefixes)))
            if store is not None:  # parsed again by pyoxigraph, without a Python object per term: faster than
                # converting the rdflib terms (Store.load of the 100 k synthetic sources: 0.18 s; extend: 0.35 s)
                store.load(text.encode("utf-8"), format=_STORE_FORMATS[fmt], to_graph=ox.DefaultGraph())
            lines = _subject_lines(text)
        seen: set[Node] = set()
        for s, p, o in triples:
            graph.add((s, p, o))
            if s not in seen:
                seen.add(s)
                origins[s].append((path, _find_subject_line(str(s), lines, prefixes)))
    return SourceSet(graph=graph, files=files, origins=dict(origins), store=store)


_STORE_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD,
                  "rdfxml": ox.RdfFormat.RDF_XML}


STORE_ON_DISK_BYTES = 16 * 1024 * 1024
"""Sources larger than this in all (about 350 k triples of the synthetic graph) are loaded into a pyoxigraph store
on disk, and ``SourceSet.graph`` reads that store (:func:`cryokg.rdf.store_graph.store_graph`) instead of holding an
rdflib copy: rdflib's memory store costs about 1.2 KB a triple, more than the 1 KB of peak memory per asserted
triple a build may use at 1 M triples (``scripts/bench.py``, "memory" section). Smaller sources stay in rdflib's
memory store, where the small questions the pipeline asks cost microseconds."""


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # reading it reports the problem


def _load_into_store(files: list[Path], *, base: str) -> SourceSet:
    """Large sources: parsed file by file into an on-disk store (:data:`STORE_ON_DISK_BYTES`); the same checks
    and origins as :func:`load_files`, without an rdflib copy of the triples. The store's folder is removed
    with the SourceSet."""
    import shutil
    import tempfile
    import weakref
    from functools import partial

    from cryokg.rdf.store_graph import store_graph
    from cryokg.sources.sssom import load_sssom  # local import: mappings imports this module's helpers

    directory = tempfile.mkdtemp(prefix="cryokg-store-")
    try:
        store = ox.Store(directory)
        origins: dict[Node, list[tuple[Path, int | None]]] = defaultdict(list)
        for path in files:
            if path.name.endswith(".sssom.tsv"):
                triples = [oxigraph_triple(s, p, o) for s, p, o in load_sssom(path, base=base)]
                lines: dict[str, int] = {}
                prefixes: dict[str, str] = {}
                data, text = None, ""
            else:
                text = _read_text(path)
                data = text.encode("utf-8")
                fmt = RDF_SUFFIXES.get(path.suffix, "turtle")
                prefixes = {}
                triples = [q.triple for q in parse_quads(data, fmt=fmt, name=str(path), prefixes=prefixes)]
                lines = _subject_lines(text)
            seen: set[str] = set()
            for triple in triples:
                if isinstance(triple.subject, ox.BlankNode) or isinstance(triple.object, ox.BlankNode):
                    line = (_line_of(text, "[") or _line_of(text, "_:")) if data is not None else None
                    raise SourceError(path, "blank node found: give every node an IRI so releases stay "
                                            "byte-reproducible", line)
                subject = cast(ox.NamedNode, triple.subject).value
                if subject not in seen:
                    seen.add(subject)
                    origins[URIRef(subject)].append((path, _find_subject_line(subject, lines, prefixes)))
            if data is None:
                store.extend(ox.Quad(*triple) for triple in triples)
            else:
                store.bulk_load(data, format=_STORE_FORMATS[RDF_SUFFIXES.get(path.suffix, "turtle")],
                                to_graph=ox.DefaultGraph())
            del triples, data, text
        store.flush()
        store.optimize()  # compacted once, every later look-up is cheaper (see cryokg.publish.web.data._fill)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    sources = SourceSet(graph=store_graph(store, scan=partial(file_triples, files)), files=files, origins=dict(origins),
                        store=store)
    weakref.finalize(sources, shutil.rmtree, directory, True)
    return sources


def ox_triples(sources: SourceSet) -> Iterator[ox.Triple]:
    """The triples of *sources* as pyoxigraph terms (see :func:`file_triples`)."""
    return file_triples(sources.files)


def file_triples(files: list[Path]) -> Iterator[ox.Triple]:
    """The triples of the source *files* as pyoxigraph terms, read again, one file at a time: exactly the
    triples of ``sources.graph`` (typed literals in rdflib's normal form, ``"-196"^^xsd:decimal`` as
    ``"-196.0"``), which the release's writers sort. Not read from ``sources.store``: Oxigraph stores numbers and
    dates as values and gives back its own canonical form (``"-196"``), not rdflib's."""
    normal: dict[ox.Literal, ox.Literal] = {}
    for path in files:
        if path.name.endswith(".sssom.tsv"):
            from cryokg.sources.sssom import load_sssom

            for s, p, o in load_sssom(path):
                yield oxigraph_triple(s, p, o)
            continue
        fmt = _STORE_FORMATS[RDF_SUFFIXES.get(path.suffix, "turtle")]
        for triple in ox.parse(read_limited(path), format=fmt):
            obj = triple.object
            if isinstance(obj, ox.Literal) and not obj.language and obj.datatype.value != _XSD_STRING:
                fixed = normal.get(obj)
                if fixed is None:
                    text = str(Literal(obj.value, datatype=URIRef(obj.datatype.value)))
                    fixed = normal[obj] = obj if text == obj.value else ox.Literal(text, datatype=obj.datatype)
                if fixed is not obj:
                    triple = ox.Triple(triple.subject, triple.predicate, fixed)
            yield triple


_XSD_STRING = str(XSD.string)


def _find_subject_line(iri: str, lines: dict[str, int], prefixes: dict[str, str]) -> int | None:
    if f"<{iri}>" in lines:
        return lines[f"<{iri}>"]
    for prefix, ns in prefixes.items():
        if iri.startswith(ns) and f"{prefix}:{iri[len(ns):]}" in lines:
            return lines[f"{prefix}:{iri[len(ns):]}"]
    return None


def load_sources(root: Path = DEFAULT_SOURCES, *, base: str = DEFAULT_BASE) -> SourceSet:
    """Load and check every data source under *root* (default: the project's ``ontology/``).

    >>> sources = load_sources()
    >>> len(sources.graph) > 1000
    True
    """
    sources = load_files(find_data_files(Path(root)), base=base)
    check_graph(sources, base=base)
    return sources


def check_graph(sources: SourceSet, *, base: str = DEFAULT_BASE) -> None:
    """Apply the source rules a parser cannot check; raise :class:`SourceError` on the first broken one."""
    graph = sources.graph
    from cryokg.rdf.store_graph import OxigraphStore

    if isinstance(graph.store, OxigraphStore):
        _check_in_one_pass(sources, base)
        return
    _check_literals(sources)
    _check_described(sources, base)
    _check_labels(sources)
    if (None, RDF.type, OWL.Ontology) not in graph:
        raise BadInput("no owl:Ontology header found in the sources (expected ontology/cryokg.ttl)")


def _place(sources: SourceSet, node: Node) -> tuple[Path | str, int | None]:
    places = sources.origins.get(node)
    return places[0] if places else ("<sources>", None)


def _check_literals(sources: SourceSet) -> None:
    for s, p, o in sources.graph:
        if isinstance(o, Literal) and o.ill_typed:
            raise _ill_typed(sources, s, p, o)


def _ill_typed(sources: SourceSet, s: Node, p: Node, o: Literal) -> SourceError:
    path, line = _place(sources, s)
    for candidate, _line in sources.origins.get(cast(URIRef, s), []):  # the file that holds the bad literal
        found = _line_of(_read_text(candidate), f'"{o}"') if isinstance(candidate, Path) else None
        if found:
            path, line = candidate, found
            break
    return SourceError(path, f"literal {o!s:.40} is not a valid {o.datatype} (on {s}, {p})", line)


def _undescribed(sources: SourceSet, term: Node, s: Node) -> SourceError:
    path, line = _place(sources, s)
    return SourceError(path, f"{term} is used (on {s}) but never described: add it to a source file or fix the "
                             "spelling", line)


def _two_labels(sources: SourceSet, predicate: URIRef, subject: Node, language: str | None,
                labels: set[Literal]) -> SourceError:
    places = ", ".join(f"{p}:{line}" if line else str(p) for p, line in sources.origins.get(subject, []))
    shown = " vs ".join(sorted(f'"{label}"' for label in labels))
    path, line = _place(sources, subject)
    return SourceError(path, f"{subject} has {len(labels)} different {predicate.n3(sources.graph.namespace_manager)} "
                             f"in language {language or '(none)'}: {shown} (described in {places})", line)


def _check_in_one_pass(sources: SourceSet, base: str) -> None:
    """The rules of :func:`check_graph` for sources held in a store (large ones), in one pass over the files'
    triples (:func:`ox_triples`, a tenth of the time of reading the on-disk store: 1.1 s at 1 M triples) that
    keeps only the subjects, the IRIs under *base* in use, and one label per subject, predicate and language.
    The same rules in the same precedence (literals, then undescribed IRIs, then labels), the same messages."""
    subjects: set[str] = set()
    version_iris: set[str] = set()
    used: dict[str, str] = {}  # an IRI under base used as predicate or object -> the first subject using it
    first_label: dict[tuple[str, str, str | None], ox.Literal] = {}
    labels: dict[tuple[str, str, str | None], set[ox.Literal]] = {}
    label_predicates = {str(p) for p in LABEL_PREDICATES}
    version_iri, rdf_type, ontology = str(OWL.versionIRI), str(RDF.type), str(OWL.Ontology)
    checked: set[ox.Literal] = set()
    has_header = False
    for triple in ox_triples(sources):
        s, p, o = cast(ox.NamedNode, triple.subject).value, triple.predicate.value, triple.object
        subjects.add(s)
        if p.startswith(base) and p not in used:
            used[p] = s
        if isinstance(o, ox.NamedNode):
            value = o.value
            if value.startswith(base) and value not in used:
                used[value] = s
            if p == version_iri:
                version_iris.add(value)
            elif p == rdf_type and value == ontology:
                has_header = True
        elif isinstance(o, ox.Literal):
            if not o.language and o.datatype.value != _XSD_STRING and o not in checked:
                checked.add(o)
                literal = Literal(o.value, datatype=URIRef(o.datatype.value))
                if literal.ill_typed:
                    raise _ill_typed(sources, URIRef(s), URIRef(p), literal)
            if p in label_predicates:
                key = (p, s, o.language or None)
                seen = first_label.setdefault(key, o)
                if seen != o:
                    labels.setdefault(key, {seen}).add(o)
    for term, s in used.items():
        if term not in subjects and term not in version_iris:
            raise _undescribed(sources, URIRef(term), URIRef(s))
    for predicate in LABEL_PREDICATES:
        for (p, subject, language), values in sorted(labels.items()):
            if p == str(predicate):
                raise _two_labels(sources, predicate, URIRef(subject), language,
                                  {cast(Literal, rdflib_term(v)) for v in values})
    if not has_header:
        raise BadInput("no owl:Ontology header found in the sources (expected ontology/cryokg.ttl)")


def _check_described(sources: SourceSet, base: str) -> None:
    graph = sources.graph
    subjects = set(graph.subjects())
    version_iris = set(graph.objects(None, OWL.versionIRI))
    for s, p, o in graph:
        for term in (p, o):
            if (isinstance(term, URIRef) and str(term).startswith(base) and term not in subjects
                    and term not in version_iris):
                raise _undescribed(sources, term, s)


def _check_labels(sources: SourceSet) -> None:
    graph = sources.graph
    for predicate in LABEL_PREDICATES:
        by_key: dict[tuple[Node, str | None], set[Literal]] = defaultdict(set)
        for s, o in graph.subject_objects(predicate):
            if isinstance(o, Literal):
                by_key[(s, o.language)].add(o)
        for (subject, language), labels in sorted(by_key.items()):
            if len(labels) > 1:
                raise _two_labels(sources, predicate, subject, language, labels)
