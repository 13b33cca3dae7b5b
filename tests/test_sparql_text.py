"""The SPARQL lexer (:mod:`cryokg.rdf.sparql_text`): the grammar's terminals, checked against the engines' own
reading of real queries, and linear time on the texts that made the old regular expressions quadratic."""

from __future__ import annotations

import time

import pyoxigraph as ox
import pytest

from cryokg.rdf.sparql_text import first_error, keywords, nesting_depth, prefixes, query_form, tokens


def _catalogue() -> list[str]:
    from cryokg.answer.catalogue import QUERIES_DIR, load_catalogue

    return [q.text for q in load_catalogue(QUERIES_DIR).values()]


def test_tokens_cover_the_text_exactly() -> None:
    for text in _catalogue():
        parts = list(tokens(text))
        assert "".join(t.text for t in parts) == text
        assert all(t.start == sum(len(p.text) for p in parts[:i]) for i, t in enumerate(parts[:50]))


def test_catalogue_queries_lex_without_error_and_agree_with_pyoxigraph_on_the_form() -> None:
    store = ox.Store()
    for text in _catalogue():
        assert first_error(text) is None, text[:200]
        try:
            result = store.query(text)
        except SyntaxError:  # parameterised queries parse only once their VALUES are bound; skip them
            continue
        expected = "ask" if isinstance(result, ox.QueryBoolean) else "select" \
            if isinstance(result, ox.QuerySolutions) else "graph"
        assert {"construct": "graph", "describe": "graph"}.get(query_form(text), query_form(text)) == expected


def test_prefixes_agree_with_rdflib() -> None:
    from rdflib.plugins.sparql.parser import parseQuery

    for text in _catalogue():
        prologue = parseQuery(text)[0]
        declared = {str(p["prefix"] or ""): str(p["iri"]) for p in prologue if p.name == "PrefixDecl"}
        assert prefixes(text) == declared


@pytest.mark.parametrize(("text", "expected"), [
    ("ex:a.b", [("pname", "ex:a.b")]),
    ("ex:a. ", [("pname", "ex:a"), ("punct", ".")]),
    ("a.b:c", [("pname", "a.b:c")]),
    ("ab.:c", [("word", "ab"), ("punct", "."), ("pname", ":c")]),
    ("trueSERVICE", [("word", "trueSERVICE")]),
    ("SERVICE:x", [("pname", "SERVICE:x")]),
    ("1.5e3 .5 1. 7", [("number", "1.5e3"), ("number", ".5"), ("number", "1"), ("punct", "."), ("number", "7")]),
    ("'a''b'", [("string", "'a'"), ("string", "'b'")]),
    ('"""a"""""', [("string", '"""a"""'), ("string", '""')]),
    ("?x?y$z", [("var", "?x"), ("var", "?y"), ("var", "$z")]),
    ("<a> < b <=", [("iri", "<a>"), ("punct", "<"), ("word", "b"), ("punct", "<=")]),
    ("@en-GB ^^ _:b1", [("langtag", "@en-GB"), ("punct", "^^"), ("bnode", "_:b1")]),
    ("ex:a\\,b%20c", [("pname", "ex:a\\,b%20c")]),
    ("é ~ \u00a0", [("error", "é"), ("error", "~"), ("error", "\u00a0")]),
    ("'open", [("error", "'open")]),
])
def test_terminals(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(t.kind, t.text) for t in tokens(text) if t.kind != "space"] == expected


def test_keywords_form_and_depth() -> None:
    text = "# ASK\nPREFIX select: <http://e/> CONSTRUCT { ?s select:p 'ASK' } WHERE { { ?s ?p (1) } }"
    assert keywords(text) == ["prefix", "construct", "where"]
    assert query_form(text) == "construct"
    assert nesting_depth(text) == 3
    assert query_form("INSERT DATA {}") == "select"  # no form: the engine reports the error


PATHOLOGICAL = {"quote-backslash": "'\\", "a.": "a.", "é": "é", "<a": "<a", "a:": "a:", "?": "?", "(": "(",
                "_:": "_:", '"\\': '"\\', "'''\\": "'''\\'"}


@pytest.mark.slow  # a timing measurement: needs a quiet machine
@pytest.mark.parametrize("unit", list(PATHOLOGICAL.values()), ids=list(PATHOLOGICAL))
def test_linear_time_on_pathological_text(unit: str) -> None:
    """Four times the text takes at most about four times as long (8x allowed for a busy machine; a quadratic
    lexer takes 16x)."""
    def seconds(size: int) -> float:
        text = unit * (size // len(unit))
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            for _token in tokens(text):
                pass
            best = min(best, time.perf_counter() - start)
        return best

    small, large = seconds(100_000), seconds(400_000)
    assert large < 8 * small + 0.05, f"{unit!r}: 100 K chars {small:.3f} s, 400 K chars {large:.3f} s"
