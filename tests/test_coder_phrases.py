"""The competency set of issue 14 (tests/data/coder_phrases.json) agrees with the graph's data.

Each phrase there is something coders type, with the answer the graph gives and the sources behind it. This
checks the expectations against the release's asserted graph (every IRI exists, every code is what the code
assignments say, every source is a described cryo:Source that the assignments cite); it does not run
``cryokg suggest`` - the suggest tests do that with this file.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from rapidfuzz.distance import Levenshtein
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS

from cryokg.namespaces import CRYO

PHRASES_FILE = Path(__file__).resolve().parent / "data" / "coder_phrases.json"
DATA = json.loads(PHRASES_FILE.read_text(encoding="utf-8"))
PHRASES = DATA["phrases"]
DCT_SOURCE = URIRef("http://purl.org/dc/terms/source")
CRYOABLATION = URIRef("https://w3id.org/cryokg/id/technique/cryoablation")
KIND = "https://w3id.org/cryokg/id/assignment-kind/"
STRUCTURE_CLASSES = (CRYO.Nerve, CRYO.NervePlexus, CRYO.AutonomicGanglion, CRYO.AutonomicPlexus)
OUTSIDE_FAMILY = (CRYO.AutonomicGanglion, CRYO.AutonomicPlexus, CRYO.AutonomicNerve, CRYO.CranialNerveBranch,
                  CRYO.SpinalNerveMedialBranch, CRYO.IntraosseousNerve)
ANSWERS = {"codes", "disputed", "ambiguous", "out-of-scope"}
FORMS = {"canonical", "one-word", "synonym", "plural", "singular", "n-abbreviation", "nn-abbreviation", "acronym",
         "misspelling", "group", "region", "levels", "loose-name", "note-sentence", "multi-site", "technique-word",
         "out-of-scope"}


def _id(phrase: dict) -> str:
    return f"{phrase['id']}:{phrase['phrase'][:40]}"


def _assignments(g: Graph, structure: URIRef, technique: URIRef) -> dict[str, list[tuple[str, set[str]]]]:
    """kind name -> [(code notation, sources)] of the assignments of one structure and technique."""
    out: dict[str, list[tuple[str, set[str]]]] = {}
    for a in g.subjects(CRYO.structure, structure):
        if g.value(a, CRYO.technique) != technique:
            continue
        kind = str(g.value(a, CRYO.assignmentKind)).removeprefix(KIND)
        code = str(g.value(g.value(a, CRYO.assignedCode), SKOS.notation))
        out.setdefault(kind, []).append((code, {str(s) for s in g.objects(a, DCT_SOURCE)}))
    return out


def _codes(rows: dict, kind: str) -> list[str]:
    return sorted(code for code, _ in rows.get(kind, []))


def _outside(g: Graph, structure: URIRef) -> bool:
    return any((structure, RDF.type, cls) in g for cls in OUTSIDE_FAMILY)


def _check_site(g: Graph, entry: dict, technique: URIRef) -> set[str]:
    """Check one structure's expected answer against its assignments; return the sources those cite."""
    structure = URIRef(entry["structure"])
    assert any((structure, RDF.type, cls) in g for cls in STRUCTURE_CLASSES), f"{structure} is not a nerve, plexus or ganglion"
    rows = _assignments(g, structure, technique)
    assert rows, f"the graph has no assignment for {structure} with {technique}"
    disputed = g.value(structure, CRYO.codingAmbiguous) == Literal(True) and technique == CRYOABLATION
    answer = entry["answer"]
    cited = {s for kind_rows in rows.values() for _, sources in kind_rows for s in sources}
    if answer == "codes":
        assert not disputed, f"{structure} is disputed: the answer must flag it with every candidate"
        expected = _codes(rows, "definite") or _codes(rows, "fallback")
        assert sorted(entry["codes"]) == expected
        assert entry.get("outside_family", False) == _outside(g, structure)
    elif answer == "disputed":
        assert disputed and not _outside(g, structure)
        assert sorted(entry["candidates"]) == _codes(rows, "candidate"), "every candidate, and only them"
    elif answer == "out-of-scope":
        assert technique == CRYOABLATION and _outside(g, structure)
        if entry.get("disputed"):
            assert disputed
            assert sorted(entry["candidates"]) == _codes(rows, "candidate")
            assert "64999" in entry["candidates"]
        else:
            assert not disputed and "candidate" not in rows and "definite" not in rows
            assert sorted(entry["codes"]) == _codes(rows, "fallback") == ["64999"]
        for other, codes in entry.get("named_codes", {}).items():
            other_rows = _assignments(g, structure, URIRef(other))
            assert sorted(codes) == sorted(code for kind_rows in other_rows.values() for code, _ in kind_rows)
            cited |= {s for kind_rows in other_rows.values() for _, sources in kind_rows for s in sources}
        named = {str(t) for a in g.subjects(CRYO.structure, structure) for t in g.objects(a, CRYO.technique)}
        assert set(entry.get("named_codes", {})) == named - {str(CRYOABLATION)}, "every other technique sources name"
    else:
        raise AssertionError(f"a single site's answer is codes, disputed or out-of-scope, not {answer!r}")
    assert sorted(entry.get("alternatives", [])) == _codes(rows, "alternative")
    return cited


def _check_entry(g: Graph, entry: dict, technique: URIRef) -> None:
    assert entry["answer"] in ANSWERS
    assert entry["sources"], "every expectation names its sources"
    if "matches" in entry:
        matches = entry["matches"]
        assert len(matches) >= 2, "matches are listed when the words name several structures"
        cited: set[str] = set()
        for match in matches:
            assert "sources" not in match  # the entry's sources cover its matches
            cited |= _check_site(g, match, technique)
        answers = {(m["answer"], tuple(m.get("codes", ())), tuple(m.get("candidates", ())), m.get("disputed", False))
                   for m in matches}
        if entry["answer"] == "ambiguous":
            assert len(answers) > 1, "matches with one shared answer are answered, not flagged ambiguous"
        elif entry["answer"] == "disputed":  # one dispute shared by every match: flagged with every candidate
            assert len(answers) == 1
            (answer, _, candidates, _), = answers
            assert answer == "disputed" and list(candidates) == entry["candidates"]
        else:
            assert len(answers) == 1 and entry["answer"] in {"codes", "out-of-scope"}
            (answer, codes, _, disputed), = answers
            assert answer == entry["answer"] and not disputed and list(codes) == entry["codes"]
        if "group" in entry:
            group = URIRef(entry["group"])
            assert (group, RDF.type, CRYO.NerveGroup) in g
            assert {URIRef(m["structure"]) for m in matches} == set(g.objects(group, CRYO.groupMember))
    else:
        assert entry["answer"] != "ambiguous"
        cited = _check_site(g, entry, technique)
    for source in entry["sources"]:
        assert (URIRef(source), RDF.type, CRYO.Source) in g, f"{source} is not a cryo:Source of the graph"
        assert g.value(URIRef(source), CRYO.checkedOn) is not None
        assert source in cited, f"{source} is not cited by the assignments behind this answer"


@pytest.mark.parametrize("phrase", PHRASES, ids=_id)
def test_expectation_agrees_with_the_graph(graph: Graph, phrase: dict) -> None:
    technique = URIRef(phrase["technique"])
    assert (technique, RDF.type, CRYO.Technique) in graph
    assert set(phrase["forms"]) <= FORMS, set(phrase["forms"]) - FORMS
    assert phrase["expect"], "one expectation per site named"
    if "multi-site" in phrase["forms"]:
        assert len(phrase["expect"]) >= 2
    for entry in phrase["expect"]:
        _check_entry(graph, entry, technique)


def _ancestors(g: Graph, region: URIRef) -> set[URIRef]:
    return {region, *g.transitive_objects(region, CRYO.regionPartOf)}


@pytest.mark.parametrize("phrase", [p for p in PHRASES if "region" in p], ids=_id)
def test_region_words_name_where_the_site_lies(graph: Graph, phrase: dict) -> None:
    region = URIRef(phrase["region"])
    assert (region, RDF.type, CRYO.BodyRegion) in graph
    for entry in phrase["expect"]:
        structure = URIRef(entry["structure"])
        located = set(graph.objects(structure, CRYO.locatedIn))
        assert any(region in _ancestors(graph, at) or at in _ancestors(graph, region) for at in located), \
            f"{structure} does not lie in {region}"


def _distance(a: str, b: str) -> int:
    return Levenshtein.distance(a, b)


@pytest.mark.parametrize("phrase", [p for p in PHRASES if "misspelling" in p["forms"]], ids=_id)
def test_misspellings_are_within_two_edits_of_one_structure(graph: Graph, phrase: dict) -> None:
    typed, intended = phrase["phrase"].lower(), phrase["intended"].lower()
    (entry,) = phrase["expect"]
    structure = URIRef(entry["structure"])
    labels = {str(o).lower() for p in (SKOS.prefLabel, SKOS.altLabel) for o in graph.objects(structure, p)}
    assert intended in labels
    assert 1 <= _distance(typed, intended) <= 2
    sites = {s for cls in (*STRUCTURE_CLASSES, CRYO.NerveGroup) for s in graph.subjects(RDF.type, cls)}
    others = {(str(o).lower(), s) for p in (SKOS.prefLabel, SKOS.altLabel) for s, o in graph.subject_objects(p)
              if s in sites and s != structure}
    closest = min(_distance(typed, label) for label, _ in others)
    assert closest > _distance(typed, intended), "another label is as close: the misspelling is not one structure's"


def test_the_set_is_large_and_varied() -> None:
    assert len(PHRASES) >= 160
    assert len({p["id"] for p in PHRASES}) == len(PHRASES)
    assert len({(p["phrase"].lower(), p["technique"]) for p in PHRASES}) == len(PHRASES)
    forms = Counter(f for p in PHRASES for f in p["forms"])
    assert set(forms) == FORMS, f"forms never used: {FORMS - set(forms)}"
    answers = Counter(e["answer"] for p in PHRASES for e in p["expect"])
    assert set(answers) == ANSWERS
    assert len({p["technique"] for p in PHRASES}) >= 5


def test_every_disputed_and_out_of_scope_structure_is_asked(graph: Graph) -> None:
    asked = {e.get("structure") for p in PHRASES for e in p["expect"]}
    asked |= {m["structure"] for p in PHRASES for e in p["expect"] for m in e.get("matches", [])}
    disputed = {str(s) for s in graph.subjects(CRYO.codingAmbiguous, Literal(True))}
    outside = {str(s) for cls in OUTSIDE_FAMILY for s in graph.subjects(RDF.type, cls)}
    outside |= {str(s) for cls in (CRYO.AutonomicGanglion, CRYO.AutonomicPlexus) for s in graph.subjects(RDF.type, cls)}
    assert not (disputed | outside) - asked, sorted((disputed | outside) - asked)
    groups = {str(s) for s in graph.subjects(RDF.type, CRYO.NerveGroup)}
    asked_groups = asked | {e.get("group") for p in PHRASES for e in p["expect"]}
    assert not groups - asked_groups, sorted(groups - asked_groups)
