"""Browsing over HTTP (issue 16): the hierarchy tree, ranked and filtered search, suggestions as JSON, class
tables by region, code pages that contrast the siblings; every page without JavaScript.

Expectations are read from the release graph with rdflib (not from the server's own views): which nerves are
genicular, which structures are disputed, what each step's order is, each source's title.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from cryokg.namespaces import CRYO, DEFAULT_BASE
from cryokg.publish.web.search import FILTERS, MAX_QUERY

KIND = DEFAULT_BASE + "id/assignment-kind/"
CRYOABLATION = URIRef(DEFAULT_BASE + "id/technique/cryoablation")


def path_of(iri: object) -> str:
    return "/" + str(iri)[len(DEFAULT_BASE):]


def label(graph: Graph, node: object) -> str:
    return str(graph.value(node, SKOS.prefLabel))


def cryo_answers(graph: Graph) -> dict[URIRef, dict[str, set[str]]]:
    """structure -> kind -> code notations, for cryoablation."""
    found: dict = defaultdict(lambda: defaultdict(set))
    for a in graph.subjects(RDF.type, CRYO.CodeAssignment):
        if graph.value(a, CRYO.technique) != CRYOABLATION:
            continue
        kind = str(graph.value(a, CRYO.assignmentKind))[len(KIND):]
        found[graph.value(a, CRYO.structure)][kind].add(str(graph.value(graph.value(a, CRYO.assignedCode), SKOS.notation)))
    return found


def texts(page: str) -> str:
    """The visible text of an HTML page, one space between words."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


# --- the tree ---------------------------------------------------------------------------------------------------

def test_tree_shows_every_structure_with_its_code(client, release_graph: Graph) -> None:
    response = client.get("/browse/")
    assert response.status_code == 200
    page = response.text
    answers = cryo_answers(release_graph)
    checked = {"definite": 0, "disputed": 0, "fallback": 0}
    for structure, kinds in answers.items():
        href = path_of(structure)
        assert f'<a href="{href}">{html.escape(label(release_graph, structure))}</a>' in page, structure
        item = re.search(rf'<a href="{re.escape(href)}">[^<]*</a> (<span class="code [^"]+">[^<]*</span>)', page).group(1)
        if kinds.get("candidate"):
            expected, status = "disputed: " + " / ".join(sorted(kinds["candidate"])), "disputed"
        elif kinds.get("definite"):
            expected, status = " / ".join(sorted(kinds["definite"])), "definite"
        else:
            expected, status = " / ".join(f"{c} (unlisted)" for c in sorted(kinds["fallback"])), "fallback"
        assert item == f'<span class="code {status}">{expected}</span>', (structure, item)
        checked[status] += 1
    assert all(checked.values()), checked


def test_tree_nests_branches_under_their_nerve_within_a_region(client, release_graph: Graph) -> None:
    page = client.get("/browse/").text
    section = page[page.index('id="region-upper-limb"'):page.index('id="region-lower-limb"')]
    radial = URIRef(DEFAULT_BASE + "id/anatomy/radial-nerve")
    branches = sorted((b for b in release_graph.subjects(CRYO.branchOf, radial)), key=lambda b: label(release_graph, b))
    assert branches
    start = section.index(f'<a href="{path_of(radial)}">')
    block = section[start:section.index("</details>", start)]
    assert f"{len(branches)} branches of the radial nerve" in block
    positions = [block.index(f'<a href="{path_of(b)}">') for b in branches]
    assert positions == sorted(positions), "branches in alphabetical order"
    assert "<details open>" in block, "open without JavaScript"


def test_tree_groups_and_targets_outside_the_family(client, release_graph: Graph) -> None:
    page = client.get("/browse/").text
    groups = page[page.index('id="groups"'):]
    for group in release_graph.subjects(RDF.type, CRYO.NerveGroup):
        members = list(release_graph.objects(group, CRYO.groupMember))
        found = re.search(rf'<a href="{re.escape(path_of(group))}">[^\n]*?<details open><summary>(\d+) members? of',
                          groups)
        assert found and int(found.group(1)) == len(members), group
        block = groups[found.start():groups.index("</details>", found.start())]
        for member in members:
            assert f'<a href="{path_of(member)}">' in block, (group, member)
    # targets that are what no family scope names (an autonomic ganglion...) have a section of their own
    ganglion = page[page.index('id="kind-autonomicganglion"'):]
    ganglion = ganglion[:ganglion.index("</section>")]
    for target in release_graph.subjects(RDF.type, CRYO.AutonomicGanglion):
        assert f'<a href="{path_of(target)}">' in ganglion
    upper = page[page.index('id="region-upper-limb"'):page.index('id="groups"')]
    assert not any(f'<a href="{path_of(t)}">' in upper for t in release_graph.subjects(RDF.type, CRYO.AutonomicGanglion))


def test_tree_is_linked_and_cached(client) -> None:
    assert 'href="/browse/"' in client.get("/").text
    assert 'href="/browse/#region-upper-limb"' in client.get("/id/anatomy/radial-nerve").text
    assert client.get("/browse", follow_redirects=False).headers["location"] == "/browse/"
    first = client.get("/browse/")
    assert "etag" in first.headers
    assert client.get("/browse/", headers={"If-None-Match": first.headers["etag"]}).status_code == 304


# --- search -------------------------------------------------------------------------------------------------------

def _hits(client, q: str, kind: str = "") -> list[str]:
    page = client.get("/search", params={"q": q, "type": kind}).text
    listing = page[page.index('<ol class="hits">'):page.index("</ol>")] if '<ol class="hits">' in page else ""
    return [html.unescape(href) for href in re.findall(r'<li><a href="([^"]+)">', listing)]


def test_genicular_structures_come_first(client, release_graph: Graph) -> None:
    genicular = {path_of(s) for s in set(release_graph.subjects(RDF.type, CRYO.Nerve))
                 if "genicular" in label(release_graph, s)}
    assert len(genicular) >= 4
    hits = _hits(client, "genicular")
    assert set(hits[:len(genicular)]) == genicular, hits[:8]
    assert hits[0] == path_of(DEFAULT_BASE + "id/anatomy/genicular-nerves"), "the label that starts with it first"


def test_rank_exact_then_label_prefix_then_synonym_then_fuzzy(client, release_graph: Graph) -> None:
    assert _hits(client, "0440T")[0] == "/id/code/0440T"  # exact code number
    lfcn = URIRef(DEFAULT_BASE + "id/anatomy/lateral-femoral-cutaneous-nerve")
    assert Literal("LFCN", lang="en") in set(release_graph.objects(lfcn, SKOS.altLabel))
    assert _hits(client, "LFCN")[0] == path_of(lfcn)  # an exact synonym
    # "radial": labels that start with it (or one of their words) before resources known by it only as a synonym
    hits = _hits(client, "radial nerve")
    assert hits[0] == path_of(DEFAULT_BASE + "id/anatomy/radial-nerve")
    synonym_only = [s for s, o in release_graph.subject_objects(SKOS.altLabel)
                    if str(o).lower().startswith("peroneal") and "peroneal" not in label(release_graph, s).lower()]
    assert synonym_only, "the data has nerves called 'peroneal' only in synonyms"
    peroneal = _hits(client, "peroneal")
    assert {path_of(s) for s in synonym_only} <= set(peroneal)
    # a typo still finds the nerves, after nothing
    typo = _hits(client, "genicualr")
    assert typo and typo[0] == path_of(DEFAULT_BASE + "id/anatomy/genicular-nerves")
    page = client.get("/search", params={"q": "genicualr"}).text
    assert "fuzzy" in page


def test_type_filters(client, release_graph: Graph) -> None:
    sources = {path_of(s) if str(s).startswith(DEFAULT_BASE) else str(s)
               for s in release_graph.subjects(RDF.type, CRYO.Source)}
    hits = _hits(client, "nerve", "sources")
    assert hits and set(hits) <= sources
    nerves = {path_of(s) for s in release_graph.subjects(RDF.type, CRYO.Nerve)}
    nerves |= {path_of(s) for s in release_graph.subjects(RDF.type, CRYO.NerveGroup)}
    hits = _hits(client, "nerve", "nerves")
    assert hits and set(hits) <= nerves
    codes = _hits(client, "genicular", "codes")
    assert "/id/code/64624" in codes and not set(codes) & nerves
    page = client.get("/search", params={"q": "nerve", "type": "codes"}).text
    assert '<option value="codes" selected>' in page, "the form keeps the filter (works without JavaScript)"
    bad = client.get("/search", params={"q": "nerve", "type": "<script>"})
    assert bad.status_code == 400 and "<script>" not in bad.text and "&lt;script&gt;" in bad.text


def test_search_results_show_codes_and_escape_the_query(client) -> None:
    page = client.get("/search", params={"q": "obturator"}).text
    item = page[page.index('<a href="/id/anatomy/obturator-nerve">'):]
    assert item[:300].count("disputed: 0441T / 0442T") == 1
    hostile = client.get("/search", params={"q": '<img src=x onerror="alert(1)">'}).text
    assert "<img src=x" not in hostile and "&lt;img src=x" in hostile


# --- suggestions as you type --------------------------------------------------------------------------------------

def test_suggestions_endpoint(client) -> None:
    response = client.get("/search/suggestions", params={"q": "genicul"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    data = response.json()
    assert data["query"] == "genicul" and 0 < len(data["results"]) <= 10
    first = data["results"][0]
    assert set(first) == {"label", "iri", "href", "kind", "type", "code", "matched", "how"}
    assert first["href"] == "/id/anatomy/genicular-nerves" and first["code"] == "0441T" and first["how"] == "label prefix"
    assert {r["kind"] for r in data["results"][:5]} == {"nerves"}
    filtered = client.get("/search/suggestions", params={"q": "genicul", "type": "codes"}).json()["results"]
    assert filtered and {r["kind"] for r in filtered} == {"codes"}
    assert client.get("/search/suggestions", params={"q": ""}).json()["results"] == []


def test_suggestions_are_bounded(client) -> None:
    huge = "nerve " * 1_500  # 9 kB of query: cut to MAX_QUERY characters before anything runs
    response = client.get("/search/suggestions", params={"q": huge})
    assert response.status_code == 200 and len(response.json()["query"]) == MAX_QUERY
    assert client.get("/search/suggestions", params={"q": "\x00\ufffd" * 100}).status_code == 200
    bad = client.get("/search/suggestions", params={"q": "x", "type": "nope"})
    assert bad.status_code == 400 and bad.json()["types"] == sorted({f.key for f in FILTERS} | {"all"})


# --- class pages ----------------------------------------------------------------------------------------------------

def test_class_page_is_a_table_by_region(client, release_graph: Graph) -> None:
    page = client.get("/def/Nerve").text
    captions = re.findall(r"<caption><a href=\"[^\"]+\">([^<]+)</a> \((\d+)\)</caption>", page)
    assert [c[0] for c in captions[:3]] == ["upper limb", "lower limb", "trunk"], captions
    answers = cryo_answers(release_graph)
    for nerve in release_graph.subjects(RDF.type, CRYO.Nerve):
        row = re.search(rf'<tr><td><a href="{re.escape(path_of(nerve))}">.*?</tr>', page, re.S)
        assert row, nerve
        cells = re.findall(r"<td>(.*?)</td>", row.group(0), re.S)
        assert len(cells) == 4  # label, code, where it lies, disputed
        disputed = bool(answers.get(nerve, {}).get("candidate")) or (nerve, CRYO.codingAmbiguous, Literal(True)) in release_graph
        assert texts(cells[3]).startswith("yes") == disputed, (nerve, cells[3])
    assert "(type)" not in texts(page[page.index("Linked from"):]) if "Linked from" in page else True


def test_other_class_pages_list_members_with_numbers(client, release_graph: Graph) -> None:
    page = client.get("/def/ProcedureCode").text
    for code in release_graph.subjects(RDF.type, CRYO.ProcedureCode):
        notation = str(release_graph.value(code, SKOS.notation))
        assert f'<span class="notation">{notation}</span></td><td><a href="{path_of(code)}">' in page


# --- code pages -------------------------------------------------------------------------------------------------------

def _family(graph: Graph) -> list[URIRef]:
    family = next(graph.subjects(RDF.type, CRYO.CodeFamily))
    return sorted(graph.subjects(SKOS.broader, family), key=lambda c: str(graph.value(c, SKOS.notation)))


def test_code_page_names_its_siblings_and_contrasts_them(client, release_graph: Graph) -> None:
    members = _family(release_graph)
    for member in members:
        page = client.get(path_of(member)).text
        siblings = page[page.index('id="siblings-h"'):]
        sentence = texts(siblings[:siblings.index("<table")])
        for other in members:
            notation = str(release_graph.value(other, SKOS.notation))
            if other != member:
                assert notation in sentence and f'<a class="code" href="{path_of(other)}">{notation}</a>' in siblings
        table = siblings[:siblings.index("</table>")]
        for other in members:  # each member's scope in its column
            for scope in release_graph.objects(other, CRYO.anatomicScope):
                assert f'<a href="{path_of(scope)}">{label(release_graph, scope)}</a>' in table
        shared = siblings[siblings.index("</table>") + len("</table>"):]
        shared = shared[:shared.index("</table>")]
        assert "What" in shared and "share" in shared
        for technique in release_graph.objects(member, CRYO.method):
            assert label(release_graph, technique) in shared


def test_code_page_numbers_titles_steps_and_ids(client, release_graph: Graph) -> None:
    code = URIRef(DEFAULT_BASE + "id/code/0442T")
    page = client.get(path_of(code)).text
    relations = page[page.index('id="rel-h"'):page.index('id="in-h"')]
    related = set(release_graph.objects(code, CRYO.relatedCode))
    for other in related:  # a number beside every related code
        notation = str(release_graph.value(other, SKOS.notation))
        assert f'<span class="notation">{notation}</span> <a href="{path_of(other)}">' in relations
    sources = page[page.index('id="src-h"'):]
    for source in release_graph.objects(code, DCTERMS.source):
        title = release_graph.value(source, DCTERMS.title)
        assert title is not None
        assert f'<a href="{source}" rel="external">{html.escape(str(title))}</a>' in sources
    steps = sorted(release_graph.objects(code, CRYO.hasStep), key=lambda s: int(release_graph.value(s, CRYO.stepOrder)))
    block = relations[relations.index("has step"):]
    positions = [block.index(f'<a href="{path_of(s)}">') for s in steps]
    assert positions == sorted(positions), "steps in procedure order"
    assert f'<code data-copy="IRI">{code}</code>' in page and '<code data-copy="CURIE">code:0442T</code>' in page
    assert '<img src="/release/diagrams/code-0442T.svg"' in page
