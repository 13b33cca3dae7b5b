"""The Accept parser and the media table: table-driven (wildcards, q=0, specificity, ties, junk)."""

from __future__ import annotations

import pytest

from cryokg.publish.web.negotiation import MEDIA_TYPES, by_key, negotiate, offers, parse_accept, quality

RESOURCE_CASES = [
    # (Accept header, expected ?format= key or None for 406)
    (None, "html"),
    ("", "html"),
    ("*/*", "html"),
    ("text/turtle", "turtle"),
    ("application/ld+json", "jsonld"),
    ("application/n-triples", "ntriples"),
    ("application/rdf+xml", "rdfxml"),
    ("text/html", "html"),
    ("TEXT/Turtle", "turtle"),  # media types are case-insensitive
    ("text/turtle;q=0.5, application/ld+json", "jsonld"),
    ("text/turtle;q=0.9, application/rdf+xml;q=0.91", "rdfxml"),
    ("application/rdf+xml;q=0.5, text/turtle;q=0.5", "turtle"),  # tie: the table's order decides
    ("*/*;q=0.1, text/turtle", "turtle"),
    ("text/*", "html"),  # both text/html and text/turtle match; table order
    ("text/*;q=0.5, text/turtle", "turtle"),
    ("text/html;q=0, text/*", "turtle"),  # q=0 refuses html even though text/* would allow it
    ("*/*, text/html;q=0", "turtle"),  # the specific q=0 beats the wildcard
    ("text/turtle;q=0", None),
    ("image/png", None),
    ("application/json", None),
    ("application/ld+json;profile=\"http://www.w3.org/ns/json-ld#compacted\"", "jsonld"),
    ("text/html;level=1;q=0.2, text/turtle;q=0.3", "turtle"),
    ("text/turtle;q=1.5", "html"),  # invalid q: that range is skipped; nothing valid left means */*
    ("garbage", "html"),
    ("text/turtle;q=abc, application/n-triples", "ntriples"),
    ("application/xhtml+xml,text/html;q=0.9,*/*;q=0.8", "html"),  # a browser
    ("text/turtle,application/ld+json;q=0.9,*/*;q=0.1", "turtle"),
    (",,, ;;", "html"),
]


@pytest.mark.parametrize(("accept", "expected"), RESOURCE_CASES)
def test_negotiate_resource(accept: str | None, expected: str | None) -> None:
    row = negotiate(accept, "resource")
    assert (row.key if row else None) == expected


SELECT_CASES = [
    ("application/sparql-results+json", "json"),
    ("application/sparql-results+xml", "xml"),
    ("text/csv", "csv"),
    ("text/tab-separated-values", "tsv"),
    ("application/json", "plainjson"),
    ("text/turtle", None),  # solutions cannot be Turtle
    ("*/*", "html"),
    ("application/*", "json"),
]


@pytest.mark.parametrize(("accept", "expected"), SELECT_CASES)
def test_negotiate_select(accept: str, expected: str | None) -> None:
    row = negotiate(accept, "select")
    assert (row.key if row else None) == expected


def test_ask_has_no_csv() -> None:
    assert negotiate("text/csv", "ask") is None
    assert by_key("csv", "ask") is None


def test_graph_results_are_rdf() -> None:
    assert {row.key for row in offers("graph")} == {"html", "turtle", "jsonld", "ntriples", "rdfxml"}


def test_parse_accept_q_and_specificity() -> None:
    items = parse_accept("text/*;q=0.3, text/turtle;charset=utf-8;q=0.7, */*;q=0.1")
    assert quality(items, "text/turtle") == 0.7
    assert quality(items, "text/html") == 0.3
    assert quality(items, "application/ld+json") == 0.1


@pytest.mark.parametrize("key", ["ttl", "turtle", "text/turtle", "TTL", "json-ld", "nt", "rdf"])
def test_format_override_keys(key: str) -> None:
    assert by_key(key, "resource") is not None


def test_one_table_unique_keys_and_extensions() -> None:
    keys = [row.key for row in MEDIA_TYPES]
    assert len(keys) == len(set(keys))
    resource_extensions = [row.extension for row in offers("resource")]
    assert len(resource_extensions) == len(set(resource_extensions))
