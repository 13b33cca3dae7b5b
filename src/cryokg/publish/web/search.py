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
assignments and sources; then the shorter name; then the label.

The work is bounded whatever the client sends: the query is cut to :data:`MAX_QUERY` characters and
:data:`MAX_WORDS` words before anything runs, and each step is one pass over the fixed index (substring tests
are linear in CPython; the Levenshtein cut-off is rapidfuzz's bit-parallel algorithm, linear in the word
lengths). Nothing here is a regular expression built from the query.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from cryokg.answer.matching import normalize
from cryokg.publish.web.data import ReleaseData

__all__ = ["FILTERS", "MAX_QUERY", "MAX_WORDS", "Hit", "SearchIndex"]

MAX_QUERY = 100
"""Characters of a query that are read; the rest is ignored."""
MAX_WORDS = 8
"""Words of a query that are matched; the rest are ignored."""
RANKS = ("exact", "label prefix", "synonym", "fuzzy")

SKOS = "http://www.w3.org/2004/02/skos/core#"
OWL = "http://www.w3.org/2002/07/owl#"
LABELS = (SKOS + "prefLabel", "http://www.w3.org/2000/01/rdf-schema#label", "http://purl.org/dc/terms/title")
SYNONYMS = (SKOS + "altLabel", SKOS + "hiddenLabel")
NOTATION = SKOS + "notation"


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


@dataclass(frozen=True)
class _Name:
    iri: str
    text: str
    norm: str
    role: str  # "label", "synonym" or "notation"


class SearchIndex:
    """The names of one release, normalised, with each resource's kind (see the module docstring)."""

    def __init__(self, data: ReleaseData) -> None:
        self.data = data
        self.cryo = data.base + "def/"
        names: list[_Name] = []
        for role, predicates in (("label", LABELS), ("synonym", SYNONYMS), ("notation", (NOTATION,))):
            for predicate in predicates:
                for iri, text in data.literals(predicate):
                    norm = normalize(text)
                    if norm:
                        names.append(_Name(iri, text, norm, role))
        self.names = names
        self.words: dict[str, set[int]] = defaultdict(set)  # each word of a name -> the names holding it
        for i, name in enumerate(names):
            for word in name.norm.split():
                self.words[word].add(i)
        self.vocabulary = sorted(self.words)

    # --- kinds ----------------------------------------------------------------------------------------------
    @functools.cached_property
    def _class_filter(self) -> dict[str, Filter]:
        table = {}
        for f in FILTERS:
            for cls in f.classes:
                table[cls if "://" in cls else self.cryo + cls] = f
        return table

    @functools.lru_cache(maxsize=8192)  # noqa: B019 - one index per release, kept as long as the server
    def kind(self, iri: str) -> Filter:
        """The filter *iri* belongs to: that of its nearest typed class (by ``rdfs:subClassOf``)."""
        table = self._class_filter
        for cls in self.data.superclasses(self.data.types(iri)):
            if cls in table:
                return table[cls]
        return OTHER

    def filter_for(self, key: str) -> Filter | None:
        """The filter named *key* ("" or "all": none); raises KeyError for an unknown key."""
        if key in ("", "all"):
            return None
        for f in FILTERS:
            if f.key == key:
                return f
        raise KeyError(key)

    # --- matching ---------------------------------------------------------------------------------------------
    def _fuzzy_words(self, word: str) -> set[str]:
        """Words of the index that *word* may stand for: itself, words it starts, near misses."""
        found = {w for w in self.vocabulary if w.startswith(word)}
        if len(word) >= 4:
            cutoff = 1 if len(word) < 8 else 2
            found.update(match for match, _score, _i in process.extract(
                word, self.vocabulary, scorer=Levenshtein.distance, score_cutoff=cutoff, limit=None))
        return found

    def search(self, text: str, *, kind: str = "", limit: int = 50) -> list[Hit]:
        """The best *limit* resources for *text*, of filter *kind* (see :data:`FILTERS`); KeyError for an
        unknown kind."""
        wanted = self.filter_for(kind)
        query = normalize(text[:MAX_QUERY])
        words = query.split()[:MAX_WORDS]
        query = " ".join(words)
        if not query:
            return []
        best: dict[str, tuple[int, int, _Name]] = {}

        def offer(index: int, rank: int) -> None:
            name = self.names[index]
            key = (rank, len(name.norm))
            if name.iri not in best or key < best[name.iri][:2]:
                best[name.iri] = (*key, name)

        spaced = " " + query
        for i, name in enumerate(self.names):
            norm = name.norm
            if norm == query:
                offer(i, 0)
            elif norm.startswith(query) or spaced in " " + norm:
                offer(i, 2 if name.role == "synonym" else 1)
            elif query in norm:
                offer(i, 3)
        # every query word is a word of the name, the start of one, or a near miss of one
        candidates: set[int] | None = None
        for word in words:
            holding = set().union(*(self.words[w] for w in self._fuzzy_words(word))) if word else set()
            candidates = holding if candidates is None else candidates & holding
            if not candidates:
                break
        for i in candidates or ():
            offer(i, 3)
        ranked = []
        for iri, (rank, length, name) in best.items():
            f = self.kind(iri)
            if wanted is None or f is wanted:
                ranked.append((rank, f.weight, length, name.norm, iri, f, name))
        ranked.sort(key=lambda r: r[:5])
        hits = []
        for rank, _weight, _length, _norm, iri, f, name in ranked[:limit]:
            hits.append(Hit(iri=iri, label=self.data.label(iri) or name.text, matched=name.text, rank=rank, kind=f.key,
                            kind_label=f.label, type_label=self.data.kind_label(iri)))
        return hits
