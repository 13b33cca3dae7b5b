"""SPARQL 1.1 Protocol: the three ways to send a query, every result format parsed back, the service description."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from cryokg.namespaces import DEFAULT_BASE

PREFIXES = "PREFIX cryo: <https://w3id.org/cryokg/def/>\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
SELECT = PREFIXES + "SELECT ?code ?notation WHERE { ?code a cryo:ProcedureCode ; skos:notation ?notation } ORDER BY ?notation"
ASK = PREFIXES + "ASK { ?code a cryo:ProcedureCode ; skos:notation \"0440T\" }"
CONSTRUCT = PREFIXES + ("CONSTRUCT { ?code skos:notation ?n ; a cryo:ProcedureCode } "
                        "WHERE { ?code a cryo:ProcedureCode ; skos:notation ?n }")
CODE = DEFAULT_BASE + "id/code/0440T"
SRX = "{http://www.w3.org/2005/sparql-results#}"


@pytest.fixture(scope="module")
def expected_rows(release_graph: Graph) -> set[tuple[str, str]]:
    rows = {(str(r[0]), str(r[1])) for r in release_graph.query(SELECT)}
    assert rows, "the release should have procedure codes"
    return rows


def _from_json(text: str) -> set[tuple[str, str]]:
    bindings = json.loads(text)["results"]["bindings"]
    return {(b["code"]["value"], b["notation"]["value"]) for b in bindings}


def _from_xml(text: str) -> set[tuple[str, str]]:
    root = ET.fromstring(text)
    rows = set()
    for result in root.iter(SRX + "result"):
        values = {b.get("name"): next(iter(b)).text for b in result.findall(SRX + "binding")}
        rows.add((values["code"], values["notation"]))
    return rows


def _from_csv(text: str) -> set[tuple[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    return {(row["code"], row["notation"]) for row in reader}


def _from_tsv(text: str) -> set[tuple[str, str]]:
    lines = text.strip().splitlines()
    header = lines[0].split("\t")
    assert header == ["?code", "?notation"]
    rows = set()
    for line in lines[1:]:
        iri, literal = line.split("\t")
        assert iri.startswith("<") and iri.endswith(">") and literal.startswith('"')
        rows.add((iri[1:-1], json.loads(literal)))
    return rows


SELECT_FORMATS = [
    ("application/sparql-results+json", _from_json),
    ("application/sparql-results+xml", _from_xml),
    ("text/csv", _from_csv),
    ("text/tab-separated-values", _from_tsv),
    ("application/json", _from_json),
]


@pytest.mark.parametrize(("media_type", "parse"), SELECT_FORMATS, ids=[m for m, _ in SELECT_FORMATS])
def test_select_in_every_format(client, expected_rows, media_type, parse) -> None:
    response = client.get("/sparql", params={"query": SELECT}, headers={"Accept": media_type})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    assert "Accept" in response.headers["vary"]
    assert parse(response.text) == expected_rows


@pytest.mark.parametrize("how", ["get", "post-form", "post-direct"])
def test_three_protocol_operations_agree(client, expected_rows, how) -> None:
    accept = {"Accept": "application/sparql-results+json"}
    if how == "get":
        response = client.get("/sparql", params={"query": SELECT}, headers=accept)
    elif how == "post-form":
        response = client.post("/sparql", data={"query": SELECT}, headers=accept)
    else:
        response = client.post("/sparql", content=SELECT.encode(),
                               headers={**accept, "Content-Type": "application/sparql-query"})
    assert response.status_code == 200, response.text
    assert _from_json(response.text) == expected_rows


@pytest.mark.parametrize("media_type", ["application/sparql-results+json", "application/sparql-results+xml"])
def test_ask(client, release_graph, media_type) -> None:
    expected = bool(release_graph.query(ASK).askAnswer)
    response = client.get("/sparql", params={"query": ASK}, headers={"Accept": media_type})
    assert response.status_code == 200
    if "json" in media_type:
        assert json.loads(response.text)["boolean"] is expected
    else:
        assert ET.fromstring(response.text).find(SRX + "boolean").text == str(expected).lower()


GRAPH_FORMATS = [("text/turtle", "turtle"), ("application/n-triples", "nt"), ("application/ld+json", "json-ld"),
                 ("application/rdf+xml", "xml")]


@pytest.mark.parametrize(("media_type", "parser"), GRAPH_FORMATS, ids=[m for m, _ in GRAPH_FORMATS])
def test_construct_in_every_rdf_format(client, release_graph, media_type, parser) -> None:
    expected = set(release_graph.query(CONSTRUCT).graph)
    response = client.get("/sparql", params={"query": CONSTRUCT}, headers={"Accept": media_type})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    served = set(Graph().parse(data=response.text, format=parser))
    assert served == expected


@pytest.mark.parametrize(("media_type", "parser"), GRAPH_FORMATS[:3], ids=[m for m, _ in GRAPH_FORMATS[:3]])
def test_describe_is_the_resources_own_triples(client, release_graph, media_type, parser) -> None:
    response = client.get("/sparql", params={"query": f"DESCRIBE <{CODE}>"}, headers={"Accept": media_type})
    assert response.status_code == 200
    served = set(Graph().parse(data=response.text, format=parser))
    assert served == set(release_graph.triples((URIRef(CODE), None, None)))


def test_solutions_cannot_be_turtle(client) -> None:
    response = client.get("/sparql", params={"query": SELECT}, headers={"Accept": "text/turtle"})
    assert response.status_code == 406


def test_format_parameter_overrides_accept(client, expected_rows) -> None:
    response = client.get("/sparql", params={"query": SELECT, "format": "csv"},
                          headers={"Accept": "application/sparql-results+xml"})
    assert response.headers["content-type"].startswith("text/csv")
    assert _from_csv(response.text) == expected_rows


def test_html_results_for_browsers(client) -> None:
    response = client.get("/sparql", params={"query": SELECT}, headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert '<table class="results">' in response.text and "0440T" in response.text


def test_service_description(client, release_graph) -> None:
    response = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert response.status_code == 200
    graph = Graph().parse(data=response.text, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    services = list(graph.subjects(RDF.type, URIRef(sd + "Service")))
    assert len(services) == 1
    assert (services[0], URIRef(sd + "endpoint"), services[0]) in graph
    assert (services[0], URIRef(sd + "supportedLanguage"), URIRef(sd + "SPARQL11Query")) in graph
    triples = next(graph.objects(None, URIRef("http://rdfs.org/ns/void#triples")))
    assert triples == Literal(len(release_graph))


def test_query_page_lists_catalogue_examples(client) -> None:
    from cryokg.answer.catalogue import load_catalogue

    page = client.get("/sparql", headers={"Accept": "text/html"}).text
    catalogue = load_catalogue()
    assert catalogue
    for query in catalogue.values():
        assert (query.title or query.name).replace("'", "&#39;") in page


@pytest.mark.parametrize(("params", "status"), [
    ({"query": [SELECT, SELECT]}, 400),
    ({"query": SELECT, "default-graph-uri": "http://example.org/g"}, 400),
    ({"query": SELECT, "named-graph-uri": "http://example.org/g"}, 400),
    ({"query": "SELECT * WHERE { ?s ?p }"}, 400),
    ({"query": SELECT, "format": "no-such-format"}, 400),
])
def test_protocol_errors(client, params, status) -> None:
    response = client.get("/sparql", params=params, headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == status
    assert "Traceback" not in response.text


def test_malformed_query_gets_the_parser_message(client) -> None:
    response = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p }"},
                          headers={"Accept": "application/sparql-results+json"})
    assert response.status_code == 400
    assert "syntax error" in response.text.lower() and "1:" in response.text


def test_unsupported_body_is_415(client) -> None:
    response = client.post("/sparql", content=b"{}", headers={"Content-Type": "application/json"})
    assert response.status_code == 415


@pytest.mark.parametrize(("text", "kind"), [
    ("SELECT * WHERE { ?s ?p ?o }", "select"),
    ("PREFIX ask: <http://example.org/>\nselect ?x WHERE { ?x ask:p ?y }", "select"),
    ("# SELECT in a comment\nCONSTRUCT WHERE { ?s ?p ?o }", "graph"),
    ("DESCRIBE <http://example.org/select>", "graph"),
    ('ASK { ?s ?p "SELECT" }', "ask"),
    ("CONSTRUCT { ?s ?p ?o } WHERE { { SELECT ?s ?p ?o WHERE { ?s ?p ?o } } }", "graph"),
])
def test_query_form(text: str, kind: str) -> None:
    from cryokg.publish.web.sparql import query_form

    assert query_form(text) == kind


def test_head_requests(client) -> None:
    response = client.head("/id/code/0440T", headers={"Accept": "text/turtle"})
    assert response.status_code == 200 and response.content == b""
    assert response.headers["content-type"].startswith("text/turtle")
