"""The search index (:mod:`cryokg.publish.web.search`): the same hits as a plain linear reference of the ranking,
per-query work that does not grow with the release, and an index built by ``cryokg serve`` at start-up.

The reference (:func:`reference`) is the ranking as the module docstring states it, written as the old
``SearchIndex.search`` computed it (every name scanned, every resource's best name, one sort), with the
documented tie-break between two names of one resource: the smaller ``(tier, length, norm, first seen)``.
"""

from __future__ import annotations

import random
from array import array
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from cryokg.answer.matching import normalize
from cryokg.publish.web import search_index
from cryokg.publish.web.data import ReleaseData, load_release_store, release_base
from cryokg.publish.web.search import FILTERS, KINDS, LABELS, MAX_QUERY, MAX_WORDS, NOTATION_PREDICATE, SYNONYMS, SearchIndex
from cryokg.publish.web.search_index import Work as Counter
from cryokg.publish.web.search_index import ascending, min_tree
from cryokg.rdf.parsing import oxigraph_triple
from cryokg.release.synth import generate_parts

Ranked = list[tuple[str, int, str]]  # (iri, rank, matched text), best first


def synthetic(triples: int, seed: int, shape: str) -> ReleaseData:
    store = ox.Store()
    store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object)
                      for t in (oxigraph_triple(*triple) for triple in generate_parts(triples=triples, seed=seed,
                                                                                       shape=shape).triples()))
    return ReleaseData(store)


class Reference:
    """The ranking in its plainest form: one pass over every name for every query."""

    def __init__(self, data: ReleaseData, index: SearchIndex) -> None:
        self.names = [(iri, text, normalize(text), role)
                      for role, predicates in (("label", LABELS), ("synonym", SYNONYMS), ("notation", (NOTATION_PREDICATE,)))
                      for predicate in predicates for iri, text in data.literals(predicate) if normalize(text)]
        self.vocabulary = sorted({w for _iri, _text, norm, _role in self.names for w in norm.split()})
        table = {cls if "://" in cls else data.base + "def/" + cls: f for f in FILTERS for cls in f.classes}
        self.kind = {}
        for iri in {n[0] for n in self.names}:  # the old rule, resource by resource through the store
            self.kind[iri] = next((table[c] for c in data.superclasses(data.types(iri)) if c in table), KINDS[-1])
            assert self.kind[iri] is index.kind(iri)

    def fuzzy_words(self, word: str) -> set[str]:
        found = {w for w in self.vocabulary if w.startswith(word)}
        if len(word) >= 4:
            found.update(m for m, _s, _i in process.extract(word, self.vocabulary, scorer=Levenshtein.distance,
                                                             score_cutoff=1 if len(word) < 8 else 2, limit=None))
        return found

    def ranked(self, text: str) -> list[tuple[tuple, str, str]]:
        """Every matching resource: ((rank, weight, length, norm, iri), matched text, kind key), best first."""
        words = normalize(text[:MAX_QUERY]).split()[:MAX_WORDS]
        query = " ".join(words)
        if not query:
            return []
        fuzzy = [self.fuzzy_words(w) for w in words]
        best: dict[str, tuple[tuple[int, int, str, int], str]] = {}
        for seen, (iri, name, norm, role) in enumerate(self.names):
            if norm == query:
                rank = 0
            elif (" " + query) in (" " + norm):
                rank = 2 if role == "synonym" else 1
            elif query in norm or all(set(norm.split()) & f for f in fuzzy):
                rank = 3
            else:
                continue
            key = (rank, len(norm), norm, seen)
            if iri not in best or key < best[iri][0]:
                best[iri] = (key, name)
        return sorted(((k[0], self.kind[iri].weight, k[1], k[2], iri), name, self.kind[iri].key)
                      for iri, (k, name) in best.items())

    def hits(self, ranked: list[tuple[tuple, str, str]], kind: str, limit: int) -> Ranked:
        return [(key[4], key[0], name) for key, name, k in ranked if kind in ("", k)][:limit]


def table_hits(index: SearchIndex, text: str, kind: str, limit: int, work: Counter | None = None) -> Ranked:
    """What SearchIndex.search finds, without reading labels from the store for each hit."""
    words = normalize(text[:MAX_QUERY]).split()[:MAX_WORDS]
    kinds = range(len(KINDS)) if kind == "" else [next(i for i, f in enumerate(KINDS) if f.key == kind)]
    return [(index.table.name(i).iri, rank, index.table.name(i).text)
            for rank, i in index.table.search(words, kinds, limit, work)]


def misspell(rng: random.Random, word: str) -> str:
    i = rng.randrange(len(word))
    return rng.choice([word[:i] + word[i + 1:], word[:i] + rng.choice("aeinorstxz") + word[i + 1:],
                       word[:i] + word[i + 1:i + 2] + word[i:i + 1] + word[i + 2:], word + rng.choice("esx")])


def queries(reference: Reference, seed: int) -> Iterator[str]:
    """Every prefix of many labels, substrings, misspellings, multi-word queries, and the odd cases."""
    rng = random.Random(seed)
    names = [n[1] for n in reference.names]
    for text in rng.sample(names, min(25, len(names))):
        yield from (text[:k] for k in range(1, len(text) + 1))
    for text in rng.sample(names, min(60, len(names))):
        norm = normalize(text)
        i = rng.randrange(len(norm))
        yield norm[i:i + rng.randint(2, 9)]
    for word in rng.sample(reference.vocabulary, min(80, len(reference.vocabulary))):
        if len(word) > 2:
            yield misspell(rng, word)
    for text in rng.sample(names, min(60, len(names))):
        words = normalize(text).split()
        yield " ".join(rng.sample(words, len(words)))  # the words in another order
        yield " ".join(w[:rng.randint(1, len(w))] for w in words)  # the start of each word
        yield " ".join(misspell(rng, w) if len(w) > 3 else w for w in words)
        yield f"{rng.choice(reference.vocabulary)} {rng.choice(words)}"  # words that rarely go together
        yield normalize(text)[1:]  # from inside the first word
    yield from ["", "   ", "!!", "xqzv", "zzzzzzzz qqqq", "nerve", "nerve " * 40, "a" * 150, "é" * 120, "Nerve-Plexus",
                "deep nerve", "erve", "e", "1", "0440T", "plexus nerve"]


def check_differential(data: ReleaseData, seed: int, *, whole: tuple[str, ...] = ("nerve", "genicular", "deep nerve 1",
                                                                               "erve", "genicualr")) -> int:
    index = SearchIndex(data)
    reference = Reference(data, index)
    keys = ["", *(f.key for f in FILTERS)]
    compared = 0
    for n, text in enumerate(queries(reference, seed)):
        ranked = reference.ranked(text)
        present = sorted({k for _key, _name, k in ranked})
        for kind in keys if n % 10 == 0 else ["", keys[n % len(keys)], *present[:2]]:
            for limit in (1, 8, 50):
                assert table_hits(index, text, kind, limit) == reference.hits(ranked, kind, limit), (text, kind, limit)
                compared += 1
    for text in whole:  # the whole path, Hit by Hit
        for kind in ("", "nerves"):
            hits = index.search(text, kind=kind, limit=20)
            assert [(h.iri, h.rank, h.matched) for h in hits] == reference.hits(reference.ranked(text), kind, 20)
            assert all(h.kind == index.kind(h.iri).key and h.label for h in hits)
    return compared


# --- the same hits as the reference -----------------------------------------------------------------------------

@pytest.mark.slow  # builds releases or searches exhaustively: the full run only
@pytest.mark.parametrize(("triples", "seed", "shape"), [(12_000, 4, "foreign"), (8_000, 9, "coding")])
def test_same_hits_as_the_reference_on_synthetic_releases(triples: int, seed: int, shape: str) -> None:
    assert check_differential(synthetic(triples, seed, shape), seed) > 3000


TRICKY = """
@prefix cryo: <https://w3id.org/cryokg/def/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix : <https://w3id.org/cryokg/id/anatomy/> .
cryo:SubNerve rdfs:subClassOf cryo:Nerve .
:a a cryo:Nerve ; skos:prefLabel "Foo nerve"@en ; rdfs:label "foo nerve" ; skos:altLabel "FOO NERVE", "foo-nerve x" ;
   skos:notation "foo nerve" ; skos:hiddenLabel "nerve foo" .
:b a cryo:Nerve ; skos:altLabel "bar" ; skos:notation "BAR" ; skos:prefLabel "zed" .
:c a cryo:Source ; skos:prefLabel "bar nerve" ; skos:altLabel "abd", "abc", "abe" ; dct:title "Bar Nerve!" .
:d a cryo:ProcedureCode ; skos:notation "0440T" ; skos:prefLabel "Cryoablation of nerve" ; skos:altLabel "0440t" .
:e skos:prefLabel "nerve" , "nerves" .
:f a cryo:Nerve, cryo:Source ; skos:prefLabel "two kinds nerve" ; skos:altLabel "sub sub" .
:g a cryo:SubNerve ; skos:prefLabel "sub nerve", "bus nerve" ; skos:altLabel "nerve sub", "nerve bus" .
:h a cryo:Modifier ; skos:notation "59", "5", "595" ; skos:prefLabel "Distinct procedural service" .
"""


def test_same_hits_as_the_reference_on_names_that_repeat_and_tie() -> None:
    """Names of one resource that repeat across roles, that tie in length, resources of two kinds, a subclass."""
    store = ox.Store()
    store.load(TRICKY.encode(), format=ox.RdfFormat.TURTLE)
    data = ReleaseData(store)
    tricky = ("bar", "ba", "foo", "foo nerve", "nerve", "ab", "abc", "sub", "bus", "5", "59", "0440", "nerv", "nreve")
    assert check_differential(data, 3, whole=tricky) > 500
    index = SearchIndex(data)
    assert [(h.rank, h.matched) for h in index.search("ba")][:2] == [(1, "BAR"), (1, "bar nerve")]
    assert [(h.iri[-2:], h.rank, h.matched) for h in index.search("abc")] == [("/c", 0, "abc")]
    assert [(h.iri[-2:], h.how, h.matched) for h in index.search("ab")] == [("/c", "synonym", "abc"),
                                                                            ("/d", "fuzzy", "Cryoablation of nerve")]


@pytest.mark.slow  # builds releases or searches exhaustively: the full run only
@pytest.mark.parametrize(("checks", "words"), [(1, 16), (200, 0), (3, 1)])
def test_the_fallbacks_give_the_same_hits(monkeypatch: pytest.MonkeyPatch, checks: int, words: int) -> None:
    """The C fallbacks (set intersection after the fuzzy budget, substring scan) on every query, by small budgets."""
    monkeypatch.setattr(search_index, "FUZZY_CHECKS", checks)
    monkeypatch.setattr(search_index, "SUBSTRING_WORDS", words)
    assert check_differential(synthetic(6_000, 5, "foreign"), 5) > 3000


def test_same_hits_as_the_reference_on_the_project_release(release_dir: Path) -> None:
    base = release_base(release_dir)
    assert check_differential(ReleaseData(load_release_store(release_dir), base=base), 1) > 3000


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8, 13, 64, 100, 130])
def test_the_tree_gives_any_range_smallest_first(size: int) -> None:
    rng = random.Random(size)
    leaves = [rng.randrange(50) for _ in range(size)]
    tree = min_tree(leaves)
    for lo in range(size):
        for hi in range(lo + 1, size + 1):
            assert list(ascending(tree, lo, hi, Counter())) == sorted(leaves[lo:hi])
    assert min_tree([]) == array("I")


# --- bounded work -----------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def large() -> SearchIndex:
    return SearchIndex(synthetic(100_000, 2, "coding"))


@pytest.mark.parametrize(("text", "kind"), [("nerve", ""), ("nerve", "nerves"), ("nerve", "codes"), ("ne", ""),
                                            ("deep nerve", ""), ("genicualr", ""), ("nerve deep", "nerves")])
@pytest.mark.parametrize("limit", [8, 50])
def test_work_per_query_does_not_grow_with_the_release(large: SearchIndex, text: str, kind: str, limit: int) -> None:
    names = len(large.table)
    assert names > 15_000
    work = Counter()
    hits = table_hits(large, text, kind, limit, work)
    assert len(hits) == limit
    assert work.scans == work.fallbacks == 0
    assert work.names <= 3 * limit + 10, work  # names read, including those of resources already shown
    assert work.checks <= 3 * limit + 10, work
    assert work.nodes <= 4 * (limit + 10) * names.bit_length(), work  # O((k + d) log n) tree steps
    assert work.names + work.checks + work.nodes < names / 10, work


# --- built at start-up ----------------------------------------------------------------------------------------

def test_serve_builds_the_index_before_the_first_request(release_dir: Path) -> None:
    from starlette.testclient import TestClient

    from cryokg.publish.web.app import Settings, create_app

    app = create_app(Settings(build_dir=release_dir, workers=1))
    renderer = app.state.renderer
    assert "index" not in vars(renderer), "creating the app does not build it"
    with TestClient(app) as client:
        built = vars(renderer).get("index")
        assert isinstance(built, SearchIndex), "the lifespan built it"
        assert client.get("/search/suggestions", params={"q": "genicul"}).json()["results"]
        assert vars(renderer)["index"] is built


@pytest.mark.slow  # builds releases or searches exhaustively: the full run only
def test_the_static_export_does_not_build_the_index(release_dir: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from cryokg.publish.site import export_site

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the static export built the search index")

    monkeypatch.setattr(SearchIndex, "__init__", refuse)
    export_site(release_dir, tmp_path / "public")
    assert (tmp_path / "public" / "index.html").is_file()
