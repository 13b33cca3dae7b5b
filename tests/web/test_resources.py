"""Dereferencing: every kind of resource in every media type, parsed back and compared with the release."""

from __future__ import annotations

import json
import re

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from cryokg.namespaces import CRYO, DEFAULT_BASE
from cryokg.publish.web.negotiation import offers
from cryokg.release.void import dataset_iri

RDF_ROWS = [row for row in offers("resource") if row.rdf_format]
PARSER = {"turtle": "turtle", "jsonld": "json-ld", "ntriples": "nt", "rdfxml": "xml"}
KINDS = ["code", "nerve", "vocabulary term", "dataset"]


def pick(kind: str, graph: Graph) -> str:
    """A resource of each kind, chosen from facts of the release, not hard-coded answers."""
    if kind == "code":
        return str(next(s for s in sorted(graph.subjects(SKOS.notation, Literal("0440T")))
                        if (s, RDF.type, CRYO.ProcedureCode) in graph))
    if kind == "nerve":
        return str(sorted(graph.subjects(RDF.type, CRYO.Nerve))[0])
    if kind == "vocabulary term":
        return str(CRYO.Nerve)
    return str(dataset_iri(DEFAULT_BASE))


def path_of(iri: str) -> str:
    return "/" + iri[len(DEFAULT_BASE):]


def source_graph(kind: str, release_graph: Graph, void_graph: Graph) -> Graph:
    return void_graph if kind == "dataset" else release_graph


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("row", RDF_ROWS, ids=lambda r: r.key)
def test_rdf_document_matches_release(client, release_graph, void_graph, kind, row) -> None:
    iri = pick(kind, release_graph)
    response = client.get(path_of(iri), headers={"Accept": row.media_type})
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].split(";")[0] == row.media_type
    assert "Accept" in response.headers["vary"]
    assert response.headers["content-location"] == f"{path_of(iri)}.{row.extension}"
    served = Graph().parse(data=response.text, format=PARSER[row.key])
    source = source_graph(kind, release_graph, void_graph)
    subject = URIRef(iri)
    # (1) every triple about the resource, and nothing else about it
    assert set(served.triples((subject, None, None))) == set(source.triples((subject, None, None)))
    # (2) labels of linked resources, taken from the release
    linked = {o for o in source.objects(subject, None) if isinstance(o, URIRef) and o != subject}
    for other in linked:
        for predicate in (SKOS.prefLabel, RDFS.label):
            assert set(served.triples((other, predicate, None))) == set(release_graph.triples((other, predicate, None)))
    for s, p, _ in served:
        if s != subject:
            assert p in (SKOS.prefLabel, RDFS.label), f"unexpected triple about {s}: {p}"


@pytest.mark.parametrize("kind", KINDS)
def test_html_page(client, release_graph, kind) -> None:
    iri = pick(kind, release_graph)
    response = client.get(path_of(iri), headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<html lang="en">' in html
    label = release_graph.value(URIRef(iri), SKOS.prefLabel) or release_graph.value(URIRef(iri), RDFS.label)
    if label is not None:
        assert f"{label}" in html.replace("&#39;", "'")
    scripts = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.DOTALL)
    assert len(scripts) == 1
    doc = json.loads(scripts[0])
    assert doc["@context"] == "https://schema.org"
    assert doc["@id"] == iri


def test_code_page_is_a_medical_code(client, release_graph) -> None:
    iri = pick("code", release_graph)
    html = client.get(path_of(iri)).text
    doc = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.DOTALL).group(1))
    # cryo:ProcedureCode is declared a subclass of schema:MedicalCode in the vocabulary
    assert (CRYO.ProcedureCode, RDFS.subClassOf, URIRef("https://schema.org/MedicalCode")) in release_graph
    assert doc["@type"] == "MedicalCode"
    assert doc["codeValue"] == "0440T"


def test_code_page_links_relations_and_incoming(client, release_graph) -> None:
    iri = URIRef(pick("code", release_graph))
    html = client.get(path_of(str(iri))).text
    for obj in release_graph.objects(iri, CRYO.anatomicScope):
        assert f'href="{path_of(str(obj))}"' in html
    incoming = sorted(s for s in release_graph.subjects(None, iri) if str(s).startswith(DEFAULT_BASE))
    assert incoming, "0440T should be linked from something (e.g. its code assignments)"
    assert f'href="{path_of(str(incoming[0]))}"' in html
    for source in release_graph.objects(iri, URIRef("http://purl.org/dc/terms/source")):
        assert str(source).replace("&", "&amp;") in html


def test_format_override_and_extension_urls(client, release_graph) -> None:
    iri = pick("nerve", release_graph)
    by_param = client.get(path_of(iri) + "?format=ttl", headers={"Accept": "text/html"})
    assert by_param.headers["content-type"].startswith("text/turtle")
    by_extension = client.get(path_of(iri) + ".nt", headers={"Accept": "text/html"})
    assert by_extension.headers["content-type"].startswith("application/n-triples")
    assert client.get(path_of(iri) + "?format=png").status_code == 400


def test_not_acceptable_is_406(client, release_graph) -> None:
    response = client.get(path_of(pick("code", release_graph)), headers={"Accept": "image/png, text/turtle;q=0"})
    assert response.status_code == 406
    assert [v.strip() for v in response.headers["vary"].split(",")] == ["Accept", "Origin"]  # Origin: CORS


def test_unknown_iri_is_a_404_page(client) -> None:
    response = client.get("/id/code/no-such-code", headers={"Accept": "text/turtle"})
    assert response.status_code == 404
    assert "Nothing is described" in response.text


def test_well_known_void_is_the_dataset_description(client) -> None:
    a = client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    b = client.get(path_of(str(dataset_iri(DEFAULT_BASE))), headers={"Accept": "text/turtle"})
    assert a.status_code == b.status_code == 200
    assert a.text == b.text
    served = Graph().parse(data=a.text, format="turtle")
    assert (dataset_iri(DEFAULT_BASE), RDF.type, URIRef("http://rdfs.org/ns/void#Dataset")) in served


def test_every_distribution_is_downloadable(client, void_graph, release_dir) -> None:
    dcat = "http://www.w3.org/ns/dcat#"
    urls = sorted(void_graph.objects(None, URIRef(dcat + "downloadURL")))
    assert urls
    for url in urls:
        name = str(url)[len(DEFAULT_BASE + "release/"):]
        response = client.get(f"/release/{name}")
        assert response.status_code == 200, name
        assert response.content == (release_dir / name).read_bytes()


def test_release_paths_cannot_escape(client) -> None:
    for path in ("/release/../pyproject.toml", "/release/%2e%2e/pyproject.toml", "/release//etc/passwd"):
        assert client.get(path).status_code == 404


def test_home_search_and_suggest(client, release_graph) -> None:
    home = client.get("/")
    assert home.status_code == 200 and "0440T" in home.text
    nerve = URIRef(pick("nerve", release_graph))
    label = str(release_graph.value(nerve, SKOS.prefLabel))
    found = client.get("/search", params={"q": label.upper()})
    assert f'href="{path_of(str(nerve))}"' in found.text
    synonyms = sorted(release_graph.objects(None, SKOS.altLabel))
    synonym_owner = next(release_graph.subjects(SKOS.altLabel, synonyms[0]))
    assert f'href="{path_of(str(synonym_owner))}"' in client.get("/search", params={"q": str(synonyms[0])}).text


def test_suggest_form_answers_from_the_graph(client, release_graph) -> None:
    """A nerve that lies in the upper limb gets the code whose scope region is the upper limb."""
    upper = URIRef(DEFAULT_BASE + "id/anatomy/upper-limb")
    scopes = set(release_graph.subjects(CRYO.scopeRegion, upper))
    code = next(c for c in release_graph.subjects(CRYO.anatomicScope, None)
                if set(release_graph.objects(c, CRYO.anatomicScope)) & scopes
                and (c, SKOS.broader, None) in release_graph)
    notation = str(release_graph.value(code, SKOS.notation))
    rows = release_graph.query("""
        SELECT ?n WHERE {
          ?n a cryo:Nerve ; cryo:locatedIn ?r .
          FILTER NOT EXISTS { ?n cryo:locatedIn ?other . FILTER NOT EXISTS { ?other cryo:regionPartOf* ?upper } }
          FILTER NOT EXISTS { ?n cryo:codingAmbiguous true }
        } ORDER BY ?n""", initNs={"cryo": CRYO}, initBindings={"upper": upper})
    nerve = next(iter(rows))[0]
    label = str(release_graph.value(nerve, SKOS.prefLabel))
    response = client.get("/suggest", params={"site": label})
    assert response.status_code == 200
    assert re.search(rf'<a class="code" href="[^"]+">{notation}</a>', response.text), response.text[-2000:]
    unknown = client.get("/suggest", params={"site": "zzqx nerve of nowhere"})
    assert unknown.status_code == 422 and "No answer" in unknown.text


def test_family_diagram_on_family_code_pages(client, release_graph, release_dir) -> None:
    drawn = sorted((release_dir / "diagrams").glob("*.svg")) if (release_dir / "diagrams").is_dir() else []
    if not drawn:
        pytest.skip("this release has no diagrams (Graphviz missing at build time)")
    member = pick("code", release_graph)
    assert (URIRef(member), SKOS.broader, None) in release_graph
    html = client.get(path_of(member)).text
    src = re.search(r'<img src="(/release/diagrams/[^"]+\.svg)"', html)
    assert src, "a family member's page shows the family diagram"
    assert client.get(src.group(1)).headers["content-type"].startswith("image/svg+xml")
    related = next(c for c in sorted(release_graph.subjects(RDF.type, CRYO.ProcedureCode))
                   if (c, SKOS.broader, None) not in release_graph)
    assert "/release/diagrams/" not in client.get(path_of(str(related))).text


def test_base_iri_option_rebases_every_iri(release_dir) -> None:
    """``cryokg serve --base-iri http://127.0.0.1:8000/`` makes the dataset's IRIs resolve to the server."""
    from starlette.testclient import TestClient

    from cryokg.publish.web.app import Settings, create_app

    local = "http://127.0.0.1:8000/"
    app = create_app(Settings(build_dir=release_dir, base=local))
    client = TestClient(app)  # no lifespan: SPARQL workers are not needed for documents
    response = client.get("/id/code/0440T", headers={"Accept": "application/n-triples"})
    assert response.status_code == 200
    served = Graph().parse(data=response.text, format="nt")
    subjects = set(served.subjects())
    assert URIRef(local + "id/code/0440T") in subjects
    assert not any(str(term).startswith(DEFAULT_BASE) for triple in served for term in triple)


def test_every_iri_of_the_dataset_dereferences(client, release_graph, void_graph) -> None:
    """Each IRI under the base that the release (or its VoID) describes answers 200 with its own triples."""
    import pyoxigraph as ox

    described = {s for g in (release_graph, void_graph) for s in g.subjects() if str(s).startswith(DEFAULT_BASE)}
    served_files = {s for s in described if str(s).startswith(DEFAULT_BASE + "release/")}  # the downloads
    problems = []
    for iri in sorted(described - served_files):
        response = client.get(path_of(str(iri)), headers={"Accept": "application/n-triples"})
        if response.status_code != 200:
            problems.append(f"{iri}: HTTP {response.status_code}")
            continue
        own = [t for t in ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES) if t.subject.value == str(iri)]
        expected = len(set(release_graph.triples((iri, None, None))) | set(void_graph.triples((iri, None, None))))
        if len(own) != expected:
            problems.append(f"{iri}: {len(own)} triples served, {expected} in the release")
    assert not problems, "\n".join(problems[:20])


def test_suggest_page_reads_a_note_like_the_cli(client) -> None:
    """A sentence with several sites gets one answer per site, the technique read from it; words naming sites
    whose codes differ are flagged, never answered with one of them; sources are shown by their titles."""
    from cryokg.answer.code_selection import suggest
    from cryokg.answer.store import load_store

    note = "RFA of the left superomedial and inferomedial genicular nerves"
    response = client.get("/suggest", params={"site": note})
    assert response.status_code == 200
    assert "Site 1 of 2" in response.text and "Site 2 of 2" in response.text
    expected = suggest(load_store().engine, note).to_json()
    for answer in expected["answers"]:
        assert answer["site"]["label"] in response.text
        for code in answer["codes"]:
            assert re.search(rf'<a class="code" href="[^"]+">{code}</a>', response.text)
    assert "technique: radiofrequency ablation" in response.text and "side: left" in response.text
    title = next(iter(expected["source_titles"].values()))
    assert title.replace("&", "&amp;").replace("'", "&#39;").replace('"', "&#34;") in response.text
    ambiguous = client.get("/suggest", params={"site": "digital nerves"})
    assert ambiguous.status_code == 200 and "Ambiguous" in ambiguous.text and 'class="code"' not in ambiguous.text
    as_json = client.get("/suggest", params={"site": note}, headers={"accept": "application/json"}).json()
    assert as_json == expected
