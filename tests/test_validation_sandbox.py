"""SHACL validation runs where no socket can be opened (issue 13's remaining path): shapes may come from anyone
(``cryokg validate --shapes``), and the SPARQL engines both engines use would follow ``SERVICE``. The compile-time
refusal of SERVICE (SHACL 5.3.1.1) is the first barrier; here it is switched off, and the loopback listener must
still see no connection."""

from __future__ import annotations

import contextlib

import pytest
from rdflib import Graph
from tests.listener import Listener

from cryokg.check import validation
from cryokg.check.shacl import model
from cryokg.errors import BadInput

DATA = "<http://example.org/a> <http://example.org/p> \"1\" ."


def _shapes(url: str) -> Graph:
    return Graph().parse(format="turtle", data=f"""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <http://example.org/> .
        ex:S a sh:NodeShape ; sh:targetNode ex:a ;
          sh:sparql [ sh:select "SELECT $this WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}" ] .""")


def test_service_in_shapes_never_connects_even_past_the_text_check(monkeypatch) -> None:
    listener = Listener(path="/sparql")
    try:
        monkeypatch.setattr(model, "forbidden", lambda _text: None)  # the first barrier, switched off
        with pytest.raises(BadInput, match="network connection"):
            validation.validate_graph(Graph().parse(data=DATA, format="turtle"), _shapes(listener.url), engine="cryokg")
        assert listener.connections == 0
    finally:
        listener.close()


def test_the_control_connects_without_the_filter(monkeypatch) -> None:
    """Proves the test above could fail: without the kernel filter, the same validation does connect."""
    listener = Listener(path="/sparql")
    try:
        monkeypatch.setattr(model, "forbidden", lambda _text: None)
        monkeypatch.setattr(validation, "_off_the_network", lambda function, *args: function(*args))
        with contextlib.suppress(BadInput, OSError, RuntimeError):
            validation.validate_graph(Graph().parse(data=DATA, format="turtle"), _shapes(listener.url), engine="cryokg")
        assert listener.connections > 0
    finally:
        listener.close()
