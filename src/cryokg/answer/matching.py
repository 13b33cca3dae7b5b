"""Match what a person types ("Superficial radial nerve", "IPBSN", "RF ablation") to resources of the graph.

Every label (skos:prefLabel, skos:altLabel, rdfs:label) and notation is normalised the same way - case folded,
apostrophes dropped, any other punctuation turned into a space - and kept in a :class:`LabelIndex`, built
once per engine with two SPARQL queries and cached. Lookups are exact on the normalised text; suggestions for
near misses are ranked by rapidfuzz over the same keys. The index also keeps the body-region hierarchy
(cryo:regionPartOf) that :mod:`cryokg.answer.code_selection` needs to spot contradictory input.
"""

from __future__ import annotations

import re
import unicodedata
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar, cast

from rdflib import Literal, URIRef

from cryokg.answer.store import Engine
from cryokg.errors import BadInput
from cryokg.namespaces import CRYO, PREFIXES

__all__ = [
    "LabelIndex",
    "cached_for_graph",
    "is_iri_text",
    "label_index",
    "normalize",
    "resolve_resource",
    "safe_iri",
]

_APOSTROPHES = re.compile(r"['’`]")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_BAD_IRI_CHARS = re.compile(r'[\s<>"{}|^`\\]')


def normalize(text: str) -> str:
    """Fold case and punctuation away so that equal words compare equal.

    >>> normalize("  Morton's  neuroma (3rd web-space) ")
    'mortons neuroma 3rd web space'
    """
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").casefold()
    return _NON_WORD.sub(" ", _APOSTROPHES.sub("", text)).strip()


def is_iri_text(text: str) -> bool:
    """True when *text* looks like an IRI (``<...>`` or http(s)://...) or a CURIE with a known prefix."""
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        return True
    if text.startswith(("http://", "https://")):
        return True
    prefix, sep, _ = text.partition(":")
    return bool(sep) and prefix in PREFIXES


def safe_iri(text: str, prefixes: dict[str, str] = PREFIXES) -> URIRef:
    """The IRI *text* stands for (``<IRI>``, ``http(s)://...`` or a CURIE); rejects characters IRIs may not hold.

    >>> safe_iri("code:0440T")
    rdflib.term.URIRef('https://w3id.org/cryokg/id/code/0440T')
    """
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    elif not text.startswith(("http://", "https://")):
        prefix, sep, local = text.partition(":")
        if not sep or prefix not in prefixes:
            raise BadInput(f"{text!r} is neither an IRI nor a CURIE with a known prefix")
        text = prefixes[prefix] + local
    if _BAD_IRI_CHARS.search(text) or ":" not in text:
        raise BadInput(f"{text!r} is not a valid IRI")
    return URIRef(text)


@dataclass
class LabelIndex:
    """Normalised label → resources, plus each resource's preferred label, types and the region hierarchy."""

    keys: dict[str, set[URIRef]] = field(default_factory=lambda: defaultdict(set))
    pref: dict[URIRef, str] = field(default_factory=dict)
    types: dict[URIRef, set[URIRef]] = field(default_factory=lambda: defaultdict(set))
    region_parents: dict[URIRef, set[URIRef]] = field(default_factory=lambda: defaultdict(set))

    def label(self, iri: URIRef) -> str:
        """The preferred label, or the IRI's last segment when there is none."""
        return self.pref.get(iri) or str(iri).rstrip("/").rsplit("/", 1)[-1]

    def of_type(self, *classes: URIRef) -> set[URIRef]:
        wanted = set(classes)
        return {iri for iri, types in self.types.items() if types & wanted}

    def find(self, text: str, among: set[URIRef] | None = None) -> set[URIRef]:
        """Resources with a label or notation equal to *text* once both are normalised."""
        found = self.keys.get(normalize(text), set())
        return set(found) if among is None else found & among

    def keys_for(self, among: set[URIRef]) -> dict[str, set[URIRef]]:
        """The label keys of the given resources only."""
        table: dict[str, set[URIRef]] = defaultdict(set)
        for key, iris in self.keys.items():
            for iri in iris & among:
                table[key].add(iri)
        return table

    def did_you_mean(self, text: str, among: set[URIRef], *, limit: int = 5) -> list[str]:
        """Preferred labels of the resources whose labels come closest to *text* (rapidfuzz's WRatio, which
        weighs whole-word overlap as well as spelling, so "genicular nerve" is nearer the genicular nerves
        than the ulnar nerve)."""
        from rapidfuzz import fuzz, process

        table = self.keys_for(among)
        close = process.extract(normalize(text), list(table), scorer=fuzz.WRatio, limit=limit * 3, score_cutoff=60)
        labels: list[str] = []
        for key, _score, _ in close:
            for iri in sorted(table[key]):
                label = self.label(iri)
                if label not in labels:
                    labels.append(label)
        return labels[:limit]

    def ancestors(self, region: URIRef) -> set[URIRef]:
        """Every region that contains *region* (cryo:regionPartOf, followed transitively), itself excluded."""
        seen: set[URIRef] = set()
        todo = list(self.region_parents.get(region, ()))
        while todo:
            parent = todo.pop()
            if parent not in seen:
                seen.add(parent)
                todo.extend(self.region_parents.get(parent, ()))
        return seen

    def related_regions(self, a: URIRef, b: URIRef) -> bool:
        """True when one region is the other or contains it."""
        return a == b or a in self.ancestors(b) or b in self.ancestors(a)


_LABELS_QUERY = """
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?s ?label ?kind WHERE {
  { ?s skos:prefLabel ?label BIND("pref" AS ?kind) } UNION { ?s skos:altLabel ?label BIND("alt" AS ?kind) }
  UNION { ?s rdfs:label ?label BIND("rdfs" AS ?kind) } UNION { ?s skos:notation ?label BIND("notation" AS ?kind) }
}"""

_TYPES_QUERY = """
PREFIX cryo: <https://w3id.org/cryokg/def/>
SELECT ?s ?type ?parent WHERE {
  { ?s a ?type } UNION { ?s cryo:regionPartOf ?parent }
}"""

_CACHE: OrderedDict[tuple[int, str], tuple[object, object]] = OrderedDict()
_CACHE_SIZE = 16


def _language_ok(label: object) -> bool:
    return isinstance(label, Literal) and (not label.language or label.language.lower().startswith("en"))


T = TypeVar("T")


def cached_for_graph(engine: Engine, name: str, build: Callable[[Engine], T], *, refresh: bool = False) -> T:
    """What *build* makes of the graph behind *engine*, made on first use and then cached under *name*.

    The cache is keyed by what the engine reads (for the embedded store: the pyoxigraph store itself), so a
    server that wraps one store in a new engine per request still builds once. The graph is assumed not to
    change while cached (readers serve a release); pass ``refresh=True`` after a change. The last
    :data:`_CACHE_SIZE` graphs are kept (with a reference, so an id is never reused while cached).
    """
    graph: object = engine
    for attribute in ("store", "dataset"):  # no truth test: an empty store would be falsy, and len() is slow
        if getattr(engine, attribute, None) is not None:
            graph = getattr(engine, attribute)
            break
    key = (id(graph), name)
    cached = _CACHE.get(key)
    if not refresh and cached is not None and cached[0] is graph:
        _CACHE.move_to_end(key)
        return cast(T, cached[1])
    value = build(engine)
    _CACHE[key] = (graph, value)
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return value


def label_index(engine: Engine, *, refresh: bool = False) -> LabelIndex:
    """The label index of the graph behind *engine*, built on first use and then cached
    (:func:`cached_for_graph`)."""
    return cached_for_graph(engine, "labels", _build_label_index, refresh=refresh)


def _build_label_index(engine: Engine) -> LabelIndex:
    index = LabelIndex()
    for row in engine.select(_LABELS_QUERY):
        subject, label = row.get("s"), row.get("label")
        if not isinstance(subject, URIRef) or not _language_ok(label):
            continue
        key = normalize(str(label))
        if key:
            index.keys[key].add(subject)
        if str(row.get("kind")) == "pref":
            index.pref.setdefault(subject, str(label))
        elif str(row.get("kind")) == "rdfs" and subject not in index.pref:
            index.pref[subject] = str(label)
    for row in engine.select(_TYPES_QUERY):
        subject = row.get("s")
        if not isinstance(subject, URIRef):
            continue
        kind, parent = row.get("type"), row.get("parent")
        if isinstance(kind, URIRef):
            index.types[subject].add(kind)
        if isinstance(parent, URIRef):
            index.region_parents[subject].add(parent)
    return index


def resolve_resource(engine: Engine, text: str, *, among: Iterable[URIRef] | None = None,
                     what: str = "resource") -> URIRef:
    """The one resource *text* names: an IRI, a CURIE, a code notation or a label (case and punctuation ignored).

    Raises :class:`BadInput` (exit 2) when nothing or more than one resource fits, with the closest labels.
    """
    index = label_index(engine)
    pool = set(among) if among is not None else None
    if is_iri_text(text):
        iri = safe_iri(text)
        if pool is not None and iri not in pool:
            raise BadInput(f"{text!r} is not a {what} of the graph")
        return iri
    found = index.find(text, pool)
    if len(found) > 1:  # prefer what a code notation or preferred label names exactly
        exact = {iri for iri in found if normalize(index.label(iri)) == normalize(text)}
        codes = {iri for iri in found if CRYO.ProcedureCode in index.types.get(iri, set())}
        found = exact if len(exact) == 1 else codes if len(codes) == 1 else found
    if len(found) == 1:
        return next(iter(found))
    if found:
        names = ", ".join(sorted(f"{index.label(i)} <{i}>" for i in found))
        raise BadInput(f"{text!r} names more than one {what}: {names}; give the IRI")
    candidates = pool if pool is not None else set(index.pref)
    hints = index.did_you_mean(text, candidates)
    hint = f"; did you mean: {', '.join(hints)}?" if hints else ""
    raise BadInput(f"no {what} is called {text!r}{hint}")
