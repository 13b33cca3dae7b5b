"""``cryokg.answer.note_reading``: what a name or a procedure note says, per site mention, with spans - the API
``suggest`` answers from and ``cryokg claim`` (issue 15) builds claim lines from. Expectations come from the
graph's labels where they can (every synonym of a site is read as that site)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import URIRef
from rdflib.namespace import SKOS

from cryokg.answer.note_reading import canonical_word, lexicon, read_note
from cryokg.answer.store import load_store

ROOT = Path(__file__).resolve().parents[1]
ANAT = "https://w3id.org/cryokg/id/anatomy/"
TECH = "https://w3id.org/cryokg/id/technique/"


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return load_store(release=tmp_path_factory.mktemp("no-release"), sources=ROOT / "ontology").engine


def sites(engine, text: str) -> list[tuple[str, list[str]]]:
    return [(s.mention.text, [str(x).removeprefix(ANAT) for x in s.structures]) for s in read_note(engine, text).sites]


def test_spans_point_into_the_text(engine) -> None:
    text = "Left knee: cryoneurolysis of the superomedial and inferomedial genicular nerves (iovera)."
    reading = read_note(engine, text)
    assert [text[s.span[0]:s.span[1]] for s in reading.sites] == ["superomedial", "inferomedial genicular nerves"]
    for site in reading.sites:
        assert site.laterality == "left"
        assert [str(t) for t in site.techniques] == [TECH + "cryoablation"]
        assert {m.text for m in site.technique_mentions} == {"cryoneurolysis", "iovera"}
        assert [str(r).removeprefix(ANAT) for r in site.regions] == ["knee"]
    assert all(text[m.start:m.end] == m.text for m in reading.mentions)


def test_each_sentence_keeps_its_own_technique_and_side(engine) -> None:
    reading = read_note(engine, "Right ulnar nerve cryoablation at the elbow. Left sural nerve block; no RFA.")
    ulnar, sural = reading.sites
    assert ulnar.laterality == "right" and [str(t) for t in ulnar.techniques] == [TECH + "cryoablation"]
    assert sural.laterality == "left" and [str(t) for t in sural.techniques] == [TECH + "nerve-block-injection"]


def test_levels_and_lists(engine) -> None:
    [site] = read_note(engine, "Percutaneous cryoablation of the intercostal nerves T4-T6").sites
    assert site.levels == ("T4", "T5", "T6")
    assert [str(a).rsplit("/", 1)[-1] for a in site.approaches] == ["percutaneous"]
    assert sites(engine, "ilioinguinal and iliohypogastric nerves") == [
        ("ilioinguinal", ["ilioinguinal-nerve"]), ("iliohypogastric nerves", ["iliohypogastric-nerve"])]


def test_misspellings_are_read_and_reported(engine) -> None:
    [site] = read_note(engine, "cryo of the genicluar nerves").sites
    assert [str(s).removeprefix(ANAT) for s in site.structures] == ["genicular-nerves"]
    assert [(c.typed, c.read) for c in site.mention.corrections] == [("genicluar", "genicular")]
    assert read_note(engine, "the patient reported pain").sites == []  # English words are never "corrected"


def test_one_word_names_only_where_they_are_names(engine) -> None:
    assert sites(engine, "pudendal") == [("pudendal", ["pudendal-nerve"])]
    assert sites(engine, "Mental status normal, gait normal") == []
    assert sites(engine, "mental nerve block") == [("mental nerve", ["mental-nerve"])]


def test_words_that_name_no_site_are_reported(engine) -> None:
    reading = read_note(engine, "cryoneurolysis of the zzqx nerve")
    assert reading.sites == [] and [m.text for m in reading.unmatched] == ["zzqx nerve"]


def test_every_synonym_of_a_site_is_read_as_that_site(engine) -> None:
    lex = lexicon(engine)
    table = lex.tables["site"]
    checked = 0
    for key, structures in table.items():
        if len(structures) != 1:
            continue
        site = next(iter(structures))
        for label in _labels(engine, site):
            if tuple(w for w in [canonical_word(t) for t in label.split()] if w) != key:
                continue
            found = read_note(engine, label).sites
            assert found and site in found[0].structures, (label, found)
            checked += 1
    assert checked > 100


def _labels(engine, site: URIRef) -> list[str]:
    rows = engine.select(f"SELECT ?l WHERE {{ {site.n3()} <{SKOS.prefLabel}>|<{SKOS.altLabel}> ?l }}")
    return [str(r["l"]) for r in rows if " " in str(r["l"]) and all(c.isalpha() or c == " " for c in str(r["l"]))]


def test_word_forms_do_not_merge_two_sites(engine) -> None:
    """Reducing words to their dictionary form must not make the names of two different sites one key."""
    lex = lexicon(engine)
    for key, structures in lex.tables["site"].items():
        if len(structures) > 1:  # a synonym shared on purpose ("common digital nerves") is one label of each
            labels = {s: {lbl.lower() for lbl in _all_labels(engine, s)} for s in structures}
            shared = set.intersection(*labels.values())
            assert shared, (key, structures)


def _all_labels(engine, site: URIRef) -> list[str]:
    rows = engine.select(f"SELECT ?l WHERE {{ {site.n3()} <{SKOS.prefLabel}>|<{SKOS.altLabel}> ?l }}")
    return [str(r["l"]) for r in rows]


def test_reading_is_linear_in_the_text(engine) -> None:
    """A long note (what the web form may send, and more) is read in one pass: every sentence's site found."""
    note = " ".join(["Cryoneurolysis of the left ulnar nerve at the elbow."] * 200)
    assert len(read_note(engine, note).sites) == 200


def test_block_alone_names_a_nerve_block(engine) -> None:
    [site] = read_note(engine, "Celiac plexus block under CT").sites
    assert [str(t) for t in site.techniques] == [TECH + "nerve-block-injection"]
    [site] = read_note(engine, "Intercostal neurolytic block with phenol").sites
    assert [str(t) for t in site.techniques] == [TECH + "chemical-neurolysis"]


def test_members_of_a_named_group_are_read_by_the_words_that_tell_them_apart(engine) -> None:
    """'Genicular ... (superolateral, superomedial, inferomedial)': the three nerves, and the group is not read as
    a fourth site; a group named without its members stays the group."""
    three = ["superolateral-genicular-nerve", "superomedial-genicular-nerve", "inferomedial-genicular-nerve"]
    for text in ("Genicular nerves (superolateral, superomedial, inferomedial) frozen with iovera",
                 "Right knee genicular cryoneurolysis (superolateral, superomedial, inferomedial), office",
                 "Genicular cryoneurolysis of the superolateral, superomedial and inferomedial branches"):
        assert [s for _, [s] in sites(engine, text)] == three, text
    assert sites(engine, "Genicular cryoneurolysis of the left knee (three branches)") == [
        ("Genicular", ["genicular-nerves"])]


def test_counts_and_parts_of_a_named_site_are_not_unread_names(engine) -> None:
    """'six nerves', 'all three branches' count nerves; 'articular branches of the obturator nerve' is part of a
    site the text names: none of them is reported as a name the graph lacks. An unknown name still is."""
    for text in ("the intercostal nerves at T4, T5 and T6 on both sides (six nerves)",
                 "genicular cryoneurolysis, all three branches",
                 "cryoneurolysis of the articular branches of the obturator nerve"):
        assert read_note(engine, text).unmatched == [], text
    assert [m.text for m in read_note(engine, "cryoneurolysis of the auriculotemporal nerve").unmatched] == [
        "auriculotemporal nerve"]


def test_a_name_of_several_words_is_read_before_its_words_alone(engine) -> None:
    """'infrapatellar saphenous branches' is the infrapatellar branch, not 'infrapatellar' and the saphenous nerve."""
    assert sites(engine, "AFCN and infrapatellar saphenous branches frozen with iovera, right knee") == [
        ("AFCN", ["anterior-femoral-cutaneous-nerve"]),
        ("infrapatellar saphenous branches", ["infrapatellar-branch-of-saphenous-nerve"])]
