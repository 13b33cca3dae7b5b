"""Search over labels, synonyms and code numbers, ranked as ontology browsers rank: exact > label prefix >
synonym > fuzzy, filterable by the kind of thing, for the search page and for suggestions as you type.

Every name of the release (``skos:prefLabel``, ``rdfs:label``, ``dcterms:title`` as labels; ``skos:altLabel``,
``skos:hiddenLabel`` as synonyms; ``skos:notation`` as a code number) is normalised once
(:func:`cryokg.answer.matching.normalize`: case, accents and punctuation folded) into an index. A query ranks
each resource by its best name:

0. **exact**: a name equals the query;
1. **label prefix**: the label or code number starts with the query, at its start or at a word's;
2. **synonym**: a synonym does (at its start or at a word's);
3. **fuzzy**: the query is inside a name elsewhere, or every word of the query is a word of the name, the
   start of one, or one within a small edit distance (``rapidfuzz``'s Levenshtein distance with a cut-off:
   1 for words of 4 to 7 letters, 2 for longer ones; shorter words must match exactly or as prefixes).

Ties go to the nerves, plexuses and codes before regions and concepts, those before rules, code
assignments and sources; then the shorter name; then the name; then the IRI. A resource is shown once, with
its best name: the lowest tier, then the shortest, then the first in alphabetical order, then the one read
first (labels before synonyms before code numbers). The index before this one gave two names of one resource
in the same tier and of the same length to the one read first, whatever its text; now the alphabetically first
wins, so what is shown no longer depends on the order the store returns triples in.

**Per-query work does not grow with the release** (the index is :mod:`cryokg.publish.web.search_index`).
The old index scanned every name for every query and then looked up in the store the kind of every
matching resource, not just of those shown: at 1 M triples a query took 0.6 s at the median and "nerve" 6 to
10 s, during which the server answered nothing else. Now the kind of every named resource is computed once,
when the index is built (one pass over the ``rdf:type`` triples, then the filter of the nearest class by
``rdfs:subClassOf``, as :meth:`SearchIndex.kind` finds it, once per distinct set of types), and names are
numbered in the order ties are broken in, so that "the best k" is "the smallest k ids" in each tier. Exact
matches are a bisect in a sorted column; label and synonym prefixes are a range of a suffix array of word
starts, read smallest id first by a segment tree; a fuzzy query reads the candidates of its rarest word in id
order and checks the other words; each tier stops at *limit* distinct resources. Query words are looked up
in the vocabulary (the distinct words of all names, about 10 k at 1 M triples) with C code: ``str.find`` on
the words joined, rapidfuzz for the near misses. At 1 M triples (193 k names) the median query takes under
a millisecond, "nerve" 5 ms, most of it reading the hits' labels from the store.

**No result is left out.** Two cases are not bounded by the above: a query inside many vocabulary words but
not at their start (or a multi-word query that starts inside a word), and a multi-word fuzzy query whose
words are each common but rarely together. Both switch to C code that is at worst linear in the names
(``str.find`` over the names' text, stopped at the *limit*-th resource; set intersections of the words' id
arrays after :data:`~cryokg.publish.web.search_index.FUZZY_CHECKS` failed candidates), which is exact. So
hits are always complete and need no "may be incomplete" flag; the worst case is a few milliseconds of C at
1 M triples, ten times that at 10 M, where the old index took seconds of Python per query.

**Memory**: at 1 M triples the index holds 32 MB, 169 bytes per name (tracemalloc); building it peaks at
about 80 MB more, freed afterwards (RSS of the process +48 MB, where the old index, lazily kind-cached, took
+131 MB). It is built by ``cryokg serve`` at start-up (3 s at 1 M triples), not by the first search.

The query is cut to :data:`MAX_QUERY` characters and :data:`MAX_WORDS` words before anything runs. Nothing
here is a regular expression built from the query.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field

from cryokg.answer.matching import normalize
from cryokg.publish.web.data import ReleaseData
from cryokg.publish.web.search_index import LABEL, NOTATION, SYNONYM, Name, NameIndex, Work

__all__ = ["FILTERS", "MAX_QUERY", "MAX_WORDS", "Hit", "SearchIndex", "Work"]

MAX_QUERY = 100
"""Characters of a query that are read; the rest is ignored."""
MAX_WORDS = 8
"""Words of a query that are matched; the rest are ignored."""
RANKS = ("exact", "label prefix", "synonym", "fuzzy")

SKOS = "http://www.w3.org/2004/02/skos/core#"
OWL = "http://www.w3.org/2002/07/owl#"
LABELS = (SKOS + "prefLabel", "http://www.w3.org/2000/01/rdf-schema#label", "http://purl.org/dc/terms/title")
SYNONYMS = (SKOS + "altLabel", SKOS + "hiddenLabel")
NOTATION_PREDICATE = SKOS + "notation"


@dataclass(frozen=True)
class Filter:
    """A kind of thing a search can be narrowed to: the classes (``cryo:`` local names or full IRIs) it takes,
    with their subclasses; ``weight`` orders ties (lower first)."""

    key: str
    label: str
    classes: tuple[str, ...]
    weight: int


FILTERS = (
    Filter("nerves", "Nerves and nerve groups", ("Nerve", "NerveGroup"), 0),
    Filter("plexuses", "Plexuses and ganglia", ("NervePlexus", "AutonomicPlexus", "AutonomicGanglion"), 0),
    Filter("codes", "Codes and their scopes", ("ProcedureCode", "CodeFamily", "DiagnosisCode", "Modifier",
                                              "AnatomicScope"), 1),
    Filter("regions", "Body regions", ("BodyRegion",), 2),
    Filter("procedure", "Techniques, devices, steps", ("Technique", "Device", "DevicePart", "ProcedureStep", "Coolant",
                                                      "ImagingGuidance", "Approach", "Effect", "Indication"), 2),
    Filter("rules", "Rules and payer positions", ("CodingRule", "ReportingGap", "PayerPosition", "CoolantUsage"), 4),
    Filter("assignments", "Code assignments", ("CodeAssignment",), 5),
    Filter("mappings", "Mappings to other vocabularies", ("MappingRecord",), 5),
    Filter("sources", "Sources", ("Source",), 6),
    Filter("vocabulary", "Vocabulary terms", (OWL + "Class", OWL + "ObjectProperty", OWL + "DatatypeProperty"), 3),
)
"""The type filters, in the order the search form lists them; anything else is "other" (weight 3)."""
OTHER = Filter("other", "Other", (), 3)
KINDS = (*FILTERS, OTHER)
"""Every kind a resource can be of, in the order the index numbers them."""
ROLES = {LABEL: "label", SYNONYM: "synonym", NOTATION: "notation"}


@dataclass
class Hit:
    """One resource found: its best-matching name and how it matched."""

    iri: str
    label: str
    matched: str
    rank: int
    kind: str  # the filter key
    kind_label: str
    type_label: str
    href: str | None = None
    code: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def how(self) -> str:
        return RANKS[self.rank]


class _Names:
    """The indexed names in rank order, read back one by one (for tools and benchmarks; nothing is stored)."""

    def __init__(self, table: NameIndex) -> None:
        self.table = table

    def __len__(self) -> int:
        return len(self.table)

    def __getitem__(self, i: int) -> Name:
        return self.table.name(i)

    def __iter__(self) -> Iterator[Name]:
        return (self.table.name(i) for i in range(len(self.table)))


class SearchIndex:
    """The names of one release, normalised, with each resource's kind (see the module docstring).

    Built once, in one pass over the name and ``rdf:type`` triples; ``cryokg serve`` builds it at start-up.
    """

    def __init__(self, data: ReleaseData) -> None:
        self.data = data
        self.cryo = data.base + "def/"
        self.table = NameIndex(self._names(), self._kinds, [f.weight for f in KINDS])

    def _names(self) -> Iterator[tuple[str, str, str, int]]:
        """(iri, text, norm, role) of every name of the release, labels first, then synonyms, then code numbers."""
        for role, predicates in ((LABEL, LABELS), (SYNONYM, SYNONYMS), (NOTATION, (NOTATION_PREDICATE,))):
            for predicate in predicates:
                for iri, text in self.data.literals(predicate):
                    norm = normalize(text)
                    if norm:
                        yield iri, text, norm, role

    @property
    def names(self) -> _Names:
        """Every indexed name, best-ranked first."""
        return _Names(self.table)

    @property
    def vocabulary(self) -> list[str]:
        """The distinct words of the names, sorted."""
        return self.table.vocabulary

    # --- kinds ----------------------------------------------------------------------------------------------
    @functools.cached_property
    def _class_filter(self) -> dict[str, Filter]:
        table = {}
        for f in FILTERS:
            for cls in f.classes:
                table[cls if "://" in cls else self.cryo + cls] = f
        return table

    @functools.lru_cache(maxsize=1024)  # noqa: B019 - one index per release, kept as long as the server
    def _kind_of_types(self, types: tuple[str, ...]) -> Filter:
        """The filter of a resource typed *types* (sorted): that of its nearest typed class, breadth first up
        ``rdfs:subClassOf``. Few distinct type sets exist, so this runs a few times per release."""
        table = self._class_filter
        for cls in self.data.superclasses(types):
            if cls in table:
                return table[cls]
        return OTHER

    def _kinds(self, iris: list[str]) -> list[int]:
        """The kind (index into :data:`KINDS`) of each of *iris*, from one pass over the type triples (each
        resource's classes in a small list of shared strings: a set per resource would triple the peak)."""
        position = {iri: j for j, iri in enumerate(iris)}
        classes: dict[str, str] = {}
        types: list[list[str]] = [[] for _ in iris]
        for subject, cls in self.data.typings():
            j = position.get(subject)
            if j is not None and cls not in types[j]:
                types[j].append(classes.setdefault(cls, cls))
        del position
        return [KINDS.index(self._kind_of_types(tuple(sorted(t)))) for t in types]

    def kind(self, iri: str) -> Filter:
        """The filter *iri* belongs to: that of its nearest typed class (by ``rdfs:subClassOf``)."""
        return self._kind_of_types(tuple(sorted(set(self.data.types(iri)))))

    def filter_for(self, key: str) -> Filter | None:
        """The filter named *key* ("" or "all": none); raises KeyError for an unknown key."""
        if key in ("", "all"):
            return None
        for f in FILTERS:
            if f.key == key:
                return f
        raise KeyError(key)

    # --- matching ---------------------------------------------------------------------------------------------
    def search(self, text: str, *, kind: str = "", limit: int = 50, work: Work | None = None) -> list[Hit]:
        """The best *limit* resources for *text*, of filter *kind* (see :data:`FILTERS`); KeyError for an
        unknown kind. *work*, when given, counts what the search did (for tests)."""
        wanted = self.filter_for(kind)
        words = normalize(text[:MAX_QUERY]).split()[:MAX_WORDS]
        kinds = range(len(KINDS)) if wanted is None else [KINDS.index(wanted)]
        hits = []
        for rank, i in self.table.search(words, kinds, limit, work):
            name = self.table.name(i)
            f = KINDS[self.table.iri_kind[self.table.iri_of[i]]]
            hits.append(Hit(iri=name.iri, label=self.data.label(name.iri) or name.text, matched=name.text, rank=rank,
                            kind=f.key, kind_label=f.label, type_label=self.data.kind_label(name.iri)))
        return hits
