"""Views that read the whole release, made to hold at 10 M triples (issue 18): the browse model from one scan per
predicate, labels in bulk, and pages that list at most so many links, codes and files.

Each is compared with an independent formulation on the real release (the SPARQL joins and per-IRI look-ups the
scans replaced, rdflib counts), and the caps are lowered so that the real release crosses them.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from tests.web.test_browse import texts

from cryokg.namespaces import DEFAULT_BASE
from cryokg.publish.web import pages, render
from cryokg.publish.web.data import ReleaseData, load_release_store, release_base, void_graph_iri
from cryokg.publish.web.render import Renderer

CRYO = DEFAULT_BASE + "def/"
SKOS = "http://www.w3.org/2004/02/skos/core#"


@pytest.fixture(scope="module")
def data(release_dir: Path) -> ReleaseData:
    base = release_base(release_dir)
    return ReleaseData(load_release_store(release_dir, base), base=base)


def fresh_renderer(data: ReleaseData, release_dir: Path) -> Renderer:
    return Renderer(data, release_dir)  # pages are not cached by the renderer: a lowered cap shows at once


def select(store: ox.Store, query: str) -> list[dict[str, str]]:
    result = store.query(f"PREFIX cryo: <{CRYO}>\nPREFIX skos: <{SKOS}>\n" + query)
    assert isinstance(result, ox.QuerySolutions)
    names = [v.value for v in result.variables]
    return [{n: t.value for n, t in zip(names, row, strict=True) if t is not None} for row in result]


# --- labels in bulk ---------------------------------------------------------------------------------------------

def test_best_labels_agree_with_label_on_every_resource(data: ReleaseData) -> None:
    subjects = data.subjects()
    bulk = data.best_labels(subjects)
    assert len(bulk) > 500
    assert bulk == {iri: text for iri in subjects if (text := data.label(iri)) is not None}


def test_best_labels_choose_as_label_does_between_languages_predicates_and_graphs() -> None:
    base = "https://example.org/t/"
    store = ox.Store()
    void = ox.NamedNode(void_graph_iri(base))
    n = ox.NamedNode
    rows = [  # several texts per resource, so that "first" and "English first" both matter
        ("a", SKOS + "prefLabel", ox.Literal("Nervus a", language="la"), None),
        ("a", SKOS + "prefLabel", ox.Literal("zz nerve a", language="en"), None),
        ("a", SKOS + "prefLabel", ox.Literal("aa nerve a", language="en"), None),
        ("b", SKOS + "prefLabel", ox.Literal("Nervus b", language="la"), None),
        ("b", SKOS + "prefLabel", ox.Literal("Nerf b", language="fr"), None),
        ("b", "http://www.w3.org/2000/01/rdf-schema#label", ox.Literal("b in English", language="en"), None),
        ("c", "http://www.w3.org/2000/01/rdf-schema#label", ox.Literal("plain c"), None),
        ("c", "http://purl.org/dc/terms/title", ox.Literal("title c", language="en"), None),
        ("d", "http://purl.org/dc/terms/title", ox.Literal("void title d", language="en"), void),
        ("d", "http://purl.org/dc/terms/title", ox.Literal("release title d"), None),
        ("e", "http://purl.org/dc/terms/title", ox.Literal("void title e"), void),
        ("f", SKOS + "prefLabel", n(base + "not-a-literal"), None),
    ]
    for subject, predicate, obj, graph in rows:
        store.add(ox.Quad(n(base + subject), n(predicate), obj, graph or ox.DefaultGraph()))
    data = ReleaseData(store, base=base)
    iris = [base + s for s in "abcdefg"]
    expected = {iri: text for iri in iris if (text := data.label(iri)) is not None}
    assert data.best_labels(iris) == expected
    assert base + "f" not in expected and base + "g" not in expected
    assert data.best_labels(iris[:2]) == {k: v for k, v in expected.items() if k in iris[:2]}


# --- the browse model from scans --------------------------------------------------------------------------------

def test_structures_match_the_sparql_joins_they_replaced(data: ReleaseData, release_dir: Path) -> None:
    browse = fresh_renderer(data, release_dir).browse
    facts: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for row in select(data.store, """SELECT ?s ?type ?region ?parent ?member ?ambiguous WHERE {
            { ?s cryo:locatedIn ?x } UNION { ?s cryo:groupMember ?x }
            ?s a ?type .
            OPTIONAL { ?s cryo:locatedIn ?region } OPTIONAL { ?s cryo:branchOf ?parent }
            OPTIONAL { ?s cryo:groupMember ?member } OPTIONAL { ?s cryo:codingAmbiguous ?ambiguous } }"""):
        for var in ("type", "region", "parent", "member", "ambiguous"):
            if var in row:
                facts[row["s"]][var].add(row[var])
    assert set(browse.structures) == set(facts) and len(facts) > 50
    for iri, fact in facts.items():
        s = browse.structures[iri]
        assert (s.types, s.regions, s.parents, set(s.members)) == (fact["type"], fact["region"], fact["parent"],
                                                                   fact["member"]), iri
        assert s.label == (data.label(iri) or iri.rsplit("/", 1)[-1])


def test_code_answers_match_the_sparql_join_they_replaced(data: ReleaseData, release_dir: Path) -> None:
    browse = fresh_renderer(data, release_dir).browse
    kinds = data.base + "id/assignment-kind/"
    expected: dict[str, set[tuple[str, str]]] = defaultdict(set)
    assert browse.techniques
    for technique in browse.techniques:
        for row in select(data.store, f"""SELECT ?s ?kind ?notation WHERE {{ ?a a cryo:CodeAssignment ;
                cryo:structure ?s ; cryo:assignedCode ?code ; cryo:technique <{technique}> .
                ?code skos:notation ?notation OPTIONAL {{ ?a cryo:assignmentKind ?kind }} }}"""):
            kind = row.get("kind", "")
            expected[row["s"]].add((kind[len(kinds):] if kind.startswith(kinds) else "candidate", row["notation"]))
    got = {s: set(rows) for s, rows in browse._answers().items()}
    assert got == dict(expected) and len(got) > 50


def test_family_and_regions_match_the_graph(data: ReleaseData, release_dir: Path, release_graph: Graph) -> None:
    browse = fresh_renderer(data, release_dir).browse
    family, members = browse.family
    assert family is not None
    assert set(members) == {str(m) for m in release_graph.subjects(URIRef(SKOS + "broader"), URIRef(family))}
    for region, parent in browse.regions.items():
        parents = sorted(str(p) for p in release_graph.objects(URIRef(region), URIRef(CRYO + "regionPartOf")))
        assert parent == (parents[0] if parents else None)


class CountingStore:
    """A store that counts, per object IRI, the quads read through patterns with the object bound and no subject."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self.read: dict[str, int] = defaultdict(int)

    def quads_for_pattern(self, s, p, o, g=None):
        for quad in self.store.quads_for_pattern(s, p, o, g):
            if s is None and o is not None:
                self.read[o.value] += 1
            yield quad

    def query(self, *args, **kwargs):
        return self.store.query(*args, **kwargs)


# --- caps on pages ----------------------------------------------------------------------------------------------

def test_a_hub_page_lists_the_first_links_and_counts_them_all(data: ReleaseData, release_dir: Path,
                                                              release_graph: Graph, monkeypatch) -> None:
    hub = DEFAULT_BASE + "id/technique/cryoablation"
    total = sum(1 for s in release_graph.subjects(None, URIRef(hub)) if isinstance(s, URIRef))
    assert total > 20
    monkeypatch.setattr(pages, "INCOMING_SHOWN", 7)
    page = pages.build_page(data, hub)
    assert (page.incoming_shown, page.incoming_total) == (7, total)
    assert sum(len(r.values) for r in page.incoming) == 7
    html = fresh_renderer(data, release_dir).resource(hub)
    assert f"The first 7 of {total:,} links to it" in texts(html)
    assert re.search(r'href="/sparql\?query=SELECT[^"]*cryoablation', html)
    counting = CountingStore(data.store)  # the links past the cap are counted, never read
    pages.build_page(ReleaseData(counting, base=data.base), hub)
    assert 0 < counting.read[hub] <= 7 + 1
    monkeypatch.setattr(pages, "INCOMING_SHOWN", total)  # exactly at the cap: everything, no note
    page = pages.build_page(data, hub)
    assert (page.incoming_shown, page.incoming_total) == (total, total)
    assert "links to it" not in texts(fresh_renderer(data, release_dir).resource(hub))


def test_home_lists_the_first_codes_of_each_list(data: ReleaseData, release_dir: Path, monkeypatch) -> None:
    full = texts(fresh_renderer(data, release_dir).home())
    assert "0440T" in full and "0441T" in full and "0442T" in full and "The first" not in full
    related = int(re.search(r"Related codes a coder weighs against them \((\d+)\)", full).group(1))
    assert related > 1
    monkeypatch.setattr(render, "HOME_CODES", 1)
    html = fresh_renderer(data, release_dir).home()
    lists = re.findall(r'<ul class="codes">(.*?)</ul>', html, flags=re.S)
    assert [len(re.findall("<li>", block)) for block in lists] == [1, 1]
    assert "0440T" in lists[0]
    home = texts(html)
    assert "The first 1 of 3: every procedure code" in home
    assert f"Related codes a coder weighs against them ({related})" in home
    assert f"The first 1 of {related:,}: every procedure code" in home


def test_home_counts_each_class_as_the_graph_does(data: ReleaseData, release_dir: Path,
                                                  release_graph: Graph) -> None:
    home = fresh_renderer(data, release_dir).home()
    rdf_type = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    for cls in ("Nerve", "ProcedureCode", "Source"):
        count = len({s for s in release_graph.subjects(rdf_type, URIRef(CRYO + cls)) if isinstance(s, URIRef)})
        assert re.search(rf'href="/def/{cls}">[^<]+</a> <span class="count">\({count}\)', home), cls


def test_a_folder_of_many_files_is_one_download_line(data: ReleaseData, release_dir: Path, monkeypatch) -> None:
    files = json.loads((release_dir / "manifest.json").read_text(encoding="utf-8"))["files"]
    fhir = {name: entry["bytes"] for name, entry in files.items() if name.startswith("exports/fhir/")}
    assert len(fhir) > 5
    monkeypatch.setattr(render, "HOME_FOLDER_FILES", 5)
    entries = {str(e["name"]): e for e in render.release_files(release_dir)}
    assert entries["exports/fhir/"] == {"name": "exports/fhir/", "bytes": sum(fhir.values()), "files": len(fhir)}
    assert not any(name.startswith("exports/fhir/") and name != "exports/fhir/" for name in entries)
    assert "cryokg.ttl" in entries and "manifest.json" in entries
    home = texts(fresh_renderer(data, release_dir).home())
    assert f"exports/fhir/ ({len(fhir):,} files, {sum(fhir.values()):,} bytes" in home


def test_a_large_class_shows_a_sample_and_counts_every_member(data: ReleaseData, release_dir: Path,
                                                              release_graph: Graph, monkeypatch) -> None:
    from cryokg.publish.web import browse as browse_module

    rdf_type = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    for cls, structures in (("Nerve", True), ("Source", False)):
        members = {str(s) for s in release_graph.subjects(rdf_type, URIRef(CRYO + cls)) if isinstance(s, URIRef)}
        assert len(members) > 10
        monkeypatch.setattr(browse_module, "CLASS_ROWS", 4)
        renderer = fresh_renderer(data, release_dir)
        table = renderer.browse.class_table(CRYO + cls)
        assert table is not None and table.structures is structures
        assert (table.shown, table.total) == (4, len(members))
        shown = {row.iri for _, _, rows in table.groups for row in rows}
        assert len(shown) == 4 and shown <= members
        counting = CountingStore(data.store)  # the members past the sample are counted, never read
        assert fresh_renderer(ReleaseData(counting, base=data.base), release_dir).browse.class_table(CRYO + cls)
        assert 0 < counting.read[CRYO + cls] <= 4 + 1
        page = texts(renderer.resource(CRYO + cls))
        assert f"Members ({len(members)}) A sample of 4 of the {len(members):,}; all of them in SPARQL" in page
        monkeypatch.setattr(browse_module, "CLASS_ROWS", len(members))
        table = fresh_renderer(data, release_dir).browse.class_table(CRYO + cls)
        assert table is not None and (table.shown, table.total) == (len(members), len(members))
        assert {row.iri for _, _, rows in table.groups for row in rows} == members


def test_the_dataset_description_names_the_first_downloads(data: ReleaseData, monkeypatch) -> None:
    dataset = DEFAULT_BASE + "id/dataset/cryokg"
    every = pages.schema_jsonld(data, dataset)["distribution"]
    urls = [d["contentUrl"] for d in every]
    assert len(urls) > 20 and urls == sorted(urls)
    monkeypatch.setattr(pages, "SCHEMA_DISTRIBUTIONS", 3)
    assert pages.schema_jsonld(data, dataset)["distribution"] == every[:3]
