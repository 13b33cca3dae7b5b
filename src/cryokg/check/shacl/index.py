"""The data graph as plain dictionaries, and SHACL property paths evaluated over them.

pyshacl reaches the data through rdflib's ``Graph.triples`` generators and SPARQL; most of its time goes
there. Validation only ever asks "the objects of (s, p)", "the subjects of (p, o)" and "is x an instance of
C", so one pass over the graph builds a subject index, inverse indexes are built per predicate when a shape
first needs them, and every question after that is a dictionary look-up.

The index is keyed by plain strings, not rdflib terms: an rdflib IRI compares equal through a Python-level
``__eq__`` and ABC ``isinstance`` checks, which made those look-ups most of the engine's time. An IRI's key is
its text (an exact ``str``), a blank node's ``"_:" + id``, and a literal stays the rdflib ``Literal`` (so
datatype, language and value tests behave exactly as in pyshacl). :func:`term_of` turns a key back into the
term for reports.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable, Sequence
from typing import TypeAlias, TypeGuard, cast

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, XSD
from rdflib.plugins.stores.memory import Memory
from rdflib.term import Node

from cryokg.rdf.parsing import rdflib_term
from cryokg.rdf.triple_table import subject_table

__all__ = ["DataIndex", "Key", "ListPath", "Path", "PredicatePath", "UnaryKind", "UnaryPath",
           "is_blank", "is_literal", "key_of", "term_of"]

PredicatePath: TypeAlias = tuple[typing.Literal["pred"], str]
UnaryKind: TypeAlias = typing.Literal["inv", "star", "plus", "opt"]
UnaryPath: TypeAlias = tuple[UnaryKind, "Path"]
ListPath: TypeAlias = tuple[typing.Literal["seq", "alt"], "tuple[Path, ...]"]
Path: TypeAlias = PredicatePath | UnaryPath | ListPath
"""A compiled SHACL property path: ``("pred", iri text)``, ``("inv", path)``, ``("seq", paths)``, ``("alt", paths)``,
``("star", path)``, ``("plus", path)`` or ``("opt", path)``. The first item tells the three shapes apart, so code
that tests ``path[0]`` gets ``path[1]`` with its type."""

_TYPE, _SUBCLASS = str(RDF.type), str(RDFS.subClassOf)
_XSD_STRING = str(XSD.string)

Key: TypeAlias = str | Literal
"""A term as the index holds it: an IRI's text, ``"_:" + id`` for a blank node, or the literal itself. An rdflib
``Literal`` is a ``str`` too, so a type checker cannot tell the two apart by ``type(key) is str``; that test is
what the engine uses (it is the fast one), and a key whose type is not exactly ``str`` is a literal:
:func:`is_literal` says so to the type checker, and hot loops that test ``type(key)`` themselves ``cast``."""

_EMPTY: tuple[Key, ...] = ()


def key_of(term: Node) -> Key:
    kind = type(term)
    if kind is URIRef:
        return str(term)
    if kind is Literal:
        return cast(Literal, term)  # the type test is on *kind*, which mypy does not follow back to *term*
    if isinstance(term, BNode):
        return "_:" + str(term)
    if isinstance(term, URIRef):
        return str(term)
    if isinstance(term, Literal):
        return term
    raise TypeError(f"unexpected term {term!r}")


def term_of(key: Key) -> Node:
    if type(key) is not str:
        return cast(Literal, key)  # see Key
    return BNode(key[2:]) if key.startswith("_:") else URIRef(key)


def is_literal(key: Key) -> TypeGuard[Literal]:
    return type(key) is not str  # IRIs and blank nodes are keyed by plain strings


def is_blank(key: Key) -> bool:
    return type(key) is str and key.startswith("_:")


def _from_memory_store(graph: Graph) -> dict[Key, dict[str, Sequence[Key]]] | None:
    """The subject index read straight from an rdflib ``Memory`` store's own subject -> predicate -> object
    dictionaries, keys made in the same pass; ``None`` when the graph is not alone in such a store (the caller
    then reads :func:`cryokg.rdf.triple_table.subject_table`).

    This duplicates what ``subject_table`` does (and reads the same private attribute) because going through its
    table cost a second copy of every triple: at 100 k triples the index took 0.092 s that way and 0.064 s
    this way, on the benchmark's SHACL row (``scripts/bench.py --sections shacl``, cryokg against Jena warm),
    where the index is a fifth of the engine's Python time. The same check keeps it exact: the store's triples
    are used only when there are exactly as many as the graph has (a store shared with other graphs holds more).
    """
    store = graph.store
    spo = getattr(store, "_Memory__spo", None) if type(store) is Memory else None
    if not isinstance(spo, dict):
        return None
    out: dict[Key, dict[str, Sequence[Key]]] = {}
    count = 0
    iri, literal = URIRef, Literal
    for s, by_predicate in spo.items():
        row: dict[str, Sequence[Key]] = {}
        for p, objects in by_predicate.items():
            if objects:
                row[str(p)] = [o if type(o) is literal else str(o) if type(o) is iri else key_of(o) for o in objects]
                count += len(objects)
        if row:
            out[key_of(s)] = row
    return out if count == len(graph) else None


class _LexicalLiteral(Literal):
    """A string literal (plain or language-tagged) whose value is its lexical form, made when asked.

    rdflib's ``Literal`` is a ``str`` holding the lexical form and keeps the value beside it; for a plain or
    language-tagged string that value is a second ``str`` with the same text. The index of a graph with long
    literals held every text twice: at 1 M triples of the synthetic "foreign" shape (291 k distinct literals,
    95 M characters) the second copies were about 110 MiB of the validation stage's peak, the build's largest.
    Everything else is rdflib's: equality, hashing, ``n3()``, pickling (to a plain ``Literal``) and ``repr``.
    rdflib reads the value only through the ``value`` property (``toPython`` and the comparisons too), so
    overriding it is enough."""

    __slots__ = ()

    @property
    def value(self) -> str:
        return str.__str__(self)  # an exact str, as rdflib's own value is

    def __repr__(self) -> str:
        return repr(Literal(str.__str__(self), lang=self.language))


def _lexical_literal(text: str, language: str | None) -> Literal:
    literal = _LexicalLiteral(text, lang=language)
    literal._value = None  # rdflib's second copy of the text (see _LexicalLiteral)
    return literal


def _from_oxigraph(graph: Graph) -> dict[Key, dict[str, Sequence[Key]]] | None:
    """The subject index of a graph held in a pyoxigraph store (:mod:`cryokg.rdf.store_graph`: large sources),
    read from the store in one pass; ``None`` for other graphs. Each distinct IRI and literal is one object
    however often it occurs (at 1 M triples a key per occurrence cost as much memory as the triples).

    String literals (plain and language-tagged, most of a graph's literal text) are :class:`_LexicalLiteral`,
    which holds its text once, and are found again by the hash of their text with their language and datatype,
    not by the pyoxigraph literal: a table keyed by pyoxigraph literals kept a third copy of every text (in
    Rust) until the index was built. Two texts with the same hash are told apart by comparing the texts; the
    second gets its own object (equal texts share one; distinct ones never do)."""
    from cryokg.rdf.store_graph import OxigraphStore

    store = graph.store
    if not isinstance(store, OxigraphStore):
        return None
    out: dict[Key, dict[str, Sequence[Key]]] = {}
    strings: dict[str, str] = {}
    texts: dict[tuple[int, str, str], Literal] = {}  # (hash of the text, language, datatype) -> the literal
    literals: dict[ox.Literal, Key] = {}  # other typed literals (short values: numbers, dates, booleans)
    named, blank = ox.NamedNode, ox.BlankNode

    def key(term: object) -> Key:
        if isinstance(term, named):
            text = term.value
            return strings.setdefault(text, text)
        if isinstance(term, blank):
            text = "_:" + term.value
            return strings.setdefault(text, text)
        term = cast(ox.Literal, term)
        language, datatype = term.language, term.datatype.value
        if language or datatype == _XSD_STRING:
            text = term.value
            at = (hash(text), language or "", datatype)
            found = texts.get(at)
            if found is None:
                found = texts[at] = _lexical_literal(text, language)
            elif not str.__eq__(found, text):  # another text with the same hash
                found = _lexical_literal(text, language)
            return found
        typed = literals.get(term)
        if typed is None:
            typed = literals[term] = cast(Literal, rdflib_term(term))
        return typed

    triples = store.scan() if store.scan is not None else store.ox_store.quads_for_pattern(None, None, None,
                                                                                            store.graph_name)
    current: dict[str, Sequence[Key]] | None = None
    for quad in triples:
        row = out.get(subject := key(quad.subject))
        if row is None:
            row = out[subject] = {}
        if row is not current:  # the files give a subject's triples together: its row is complete for now
            if current is not None:
                _freeze(current)
            current = row
        predicate = key(quad.predicate)
        objects = row.get(predicate)
        if objects is None:
            row[predicate] = [key(quad.object)]
        elif isinstance(objects, list):
            objects.append(key(quad.object))
        else:  # a subject met again (in another file): its frozen objects take more
            row[predicate] = [*objects, key(quad.object)]
    if current is not None:
        _freeze(current)
    return out


def _freeze(row: dict[str, Sequence[Key]]) -> None:
    """A row's object lists as tuples: a list of one object costs 80 bytes, a tuple 48 (most (subject,
    predicate) pairs have one object: 925 k of the 1 M triples of the synthetic "foreign" shape), and a list
    that grew by appending keeps spare room. The index is read only once built."""
    for predicate, objects in row.items():
        if isinstance(objects, list):
            row[predicate] = tuple(objects)


def _distinct(nodes: Iterable[Key]) -> list[Key]:
    return list(dict.fromkeys(nodes))


class DataIndex:
    """Read-only look-ups over one rdflib graph (the graph must not change while the index is used)."""

    def __init__(self, graph: Graph) -> None:
        self.out: dict[Key, dict[str, Sequence[Key]]] = _from_memory_store(graph) or _from_oxigraph(graph) or {
            key_of(s): {str(p): [key_of(o) for o in objects] for p, objects in by_predicate.items()}
            for s, by_predicate in subject_table(graph).items()}
        self._inverse: dict[Key, dict[Key, list[Key]]] = {}
        self._subs: dict[Key, frozenset[Key]] = {}
        self._instance_sets: dict[Key, frozenset[Key]] = {}

    def objects(self, subject: Key, predicate: str) -> Sequence[Key]:
        return self.out.get(subject, {}).get(predicate, _EMPTY)

    def subjects(self, predicate: str, obj: Key) -> Sequence[Key]:
        return self.inverse(predicate).get(obj, _EMPTY)

    def inverse(self, predicate: str) -> dict[Key, list[Key]]:
        """object -> subjects for one predicate, built on first use."""
        inverse = self._inverse.get(predicate)
        if inverse is None:
            inverse = {}
            for subject, by_predicate in self.out.items():
                for obj in by_predicate.get(predicate, _EMPTY):
                    found = inverse.get(obj)
                    if found is None:
                        inverse[obj] = [subject]
                    else:
                        found.append(subject)
            self._inverse[predicate] = inverse
        return inverse

    def subjects_of(self, predicate: str) -> list[Key]:
        return [s for s, by_predicate in self.out.items() if predicate in by_predicate]

    def objects_of(self, predicate: str) -> list[Key]:
        return list(self.inverse(predicate))

    # --- classes ------------------------------------------------------------------------------------------------

    def _closure(self, start: Key, step: Callable[[Key], Iterable[Key]]) -> frozenset[Key]:
        seen = {start}
        todo = [start]
        while todo:
            for nxt in step(todo.pop()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return frozenset(seen)

    def subclasses(self, cls: Key) -> frozenset[Key]:
        """*cls* and everything that is an ``rdfs:subClassOf*`` of it in the data graph: a node is a SHACL instance of
        *cls* when one of its types is in this set."""
        found = self._subs.get(cls)
        if found is None:
            found = self._subs[cls] = self._closure(cls, lambda c: self.subjects(_SUBCLASS, c))
        return found

    def instance_set(self, cls: Key) -> frozenset[Key]:
        """Every SHACL instance of *cls*: the subjects of ``rdf:type`` *cls* or one of its subclasses (made once
        per class)."""
        found = self._instance_sets.get(cls)
        if found is None:
            types = self.inverse(_TYPE)
            found = self._instance_sets[cls] = frozenset(
                s for sub in self.subclasses(cls) for s in types.get(sub, _EMPTY))
        return found

    def instances(self, cls: Key) -> list[Key]:
        """The SHACL instances of *cls*, each once, in index order."""
        types = self.inverse(_TYPE)
        subclasses = self.subclasses(cls)
        if len(subclasses) == 1:  # the subjects of one (rdf:type, class) pair are distinct already
            return list(types.get(cls, _EMPTY))
        return _distinct(s for sub in subclasses for s in types.get(sub, _EMPTY))

    # --- paths --------------------------------------------------------------------------------------------------

    def values(self, node: Key, path: Path) -> list[Key]:
        """The value nodes of *path* from *node*, without duplicates (https://www.w3.org/TR/shacl/#property-paths)."""
        if path[0] == "pred":
            return list(self.objects(node, path[1]))
        return self._walk([node], path, inverse=False)

    def _walk(self, nodes: list[Key], path: Path, *, inverse: bool) -> list[Key]:
        if path[0] == "pred":
            predicate = path[1]
            if inverse:
                return _distinct(v for n in nodes for v in self.subjects(predicate, n))
            return _distinct(v for n in nodes for v in self.objects(n, predicate))
        if path[0] == "seq":
            for part in (reversed(path[1]) if inverse else path[1]):
                nodes = self._walk(nodes, part, inverse=inverse)
            return nodes
        if path[0] == "alt":
            return _distinct(v for part in path[1] for v in self._walk(nodes, part, inverse=inverse))
        kind, arg = path
        if kind == "inv":
            return self._walk(nodes, arg, inverse=not inverse)
        if kind == "opt":
            return _distinct([*nodes, *self._walk(nodes, arg, inverse=inverse)])
        # "star" and "plus": follow the path until nothing new turns up.
        seen: dict[Key, None] = dict.fromkeys(nodes) if kind == "star" else {}
        frontier = nodes
        while frontier:
            frontier = [v for v in self._walk(frontier, arg, inverse=inverse) if v not in seen]
            seen.update(dict.fromkeys(frontier))
        return list(seen)
