"""Acceptance of issue 14: every phrasing of the competency set (tests/data/coder_phrases.json) run through
``cryokg suggest`` gives the expected answer - 100 %.

The expectations and their format are the data curator's (the file's "about"; tests/test_coder_phrases.py
checks them against the graph). An answer is right when, for each site the phrase names, in order:

* ``codes``: the site is the expected structure, its codes are the expected ones, it is not flagged, and the
  contested alternatives are shown beside the answer (never as it);
* ``disputed``: the site is flagged ambiguous with every candidate code and no other;
* ``out-of-scope``: the answer says the target is outside the family, gives the 64999 fallback or the dispute
  with every candidate, and names, per other technique, the codes sources name for it;
* ``ambiguous`` (the words match sites whose answers differ): flagged, no code picked, every match listed with
  its own answer; matches sharing one answer are answered with that answer and listed.

A phrase's ``options`` are passed as ``cryokg suggest`` options (``--technique``). The technique, and where
stated the side and the region, must be what the phrase says; the expected sources must be among the
answer's sources.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cryokg.answer.code_selection import suggest
from cryokg.answer.store import load_store

PHRASES = json.loads((Path(__file__).resolve().parent / "data" / "coder_phrases.json").read_text(encoding="utf-8"))
ROOT = Path(__file__).resolve().parents[1]
ALTERNATIVE = "contested alternative"


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return load_store(release=tmp_path_factory.mktemp("no-release"), sources=ROOT / "ontology").engine


def _codes_of(candidates: list[dict], *, alternatives: bool) -> list[str]:
    return sorted({c["code"] for c in candidates if (c["kind"] == ALTERNATIVE) == alternatives})


def _check_site(answer: dict, expect: dict, where: str) -> None:
    """One structure's answer (a top-level answer or one of its ``matches``)."""
    assert answer["site"]["iri"] == expect["structure"], where
    kind = expect["answer"]
    if kind == "codes":
        assert answer["codes"] == sorted(expect["codes"]) and not answer["ambiguous"], where
        assert answer["outside_family"] == expect.get("outside_family", False), where
    elif kind == "disputed":
        assert answer["ambiguous"] is True, where
        assert _codes_of(answer["candidates"], alternatives=False) == sorted(expect["candidates"]), where
    elif kind == "out-of-scope":
        assert answer["outside_family"] is True, where
        if expect.get("disputed"):
            assert answer["ambiguous"] is True, where
            assert _codes_of(answer["candidates"], alternatives=False) == sorted(expect["candidates"]), where
        else:
            assert answer["codes"] == expect["codes"] and not answer["ambiguous"], where
        named = {n["technique"]["iri"]: n["codes"] for n in answer["named_codes"]}
        assert named == {t: sorted(c) for t, c in expect.get("named_codes", {}).items()}, where
    if "candidates" in answer:
        assert _codes_of(answer["candidates"], alternatives=True) == sorted(expect.get("alternatives", [])), where


@pytest.mark.parametrize("phrase", PHRASES["phrases"], ids=lambda p: f"{p['id']}:{p['phrase'][:40]}")
def test_suggest_answers_the_phrase(engine, phrase: dict) -> None:
    answer = suggest(engine, phrase["phrase"], **phrase.get("options", {})).to_json()
    answers = answer["answers"]
    where = f"{phrase['id']} {phrase['phrase']!r}"
    assert len(answers) == len(phrase["expect"]), f"{where}: {[a['site']['label'] for a in answers]}"
    for got, expect in zip(answers, phrase["expect"], strict=True):
        assert got["technique"]["iri"] == phrase["technique"], where
        if phrase.get("laterality"):
            assert got["read"]["laterality"] == phrase["laterality"], where
        if phrase.get("region"):
            assert phrase["region"] in {r["iri"] for r in got["read"]["regions"]}, where
        assert set(expect["sources"]) <= set(got["sources"]), f"{where}: {set(expect['sources']) - set(got['sources'])}"
        if "matches" not in expect:
            _check_site(got, expect, where)
            continue
        matches = {m["site"]["iri"]: m for m in got["matches"]}
        assert set(matches) == {m["structure"] for m in expect["matches"]}, where
        for m in expect["matches"]:
            _check_site(matches[m["structure"]], m, where)
        if expect.get("group"):
            assert got["site"]["iri"] == expect["group"], where
        if expect["answer"] == "ambiguous":
            assert got["ambiguous"] is True and got["codes"] == [], where
        elif expect["answer"] == "disputed":
            assert got["ambiguous"] is True, where
            assert _codes_of(got["candidates"], alternatives=False) == sorted(expect["candidates"]), where
        else:
            assert got["codes"] == expect["codes"] and not got["ambiguous"], where
