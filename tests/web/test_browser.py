"""Browser tests: ``cryokg serve`` in a subprocess, driven by headless Chromium through Playwright.

A person's path through the site: home page → search for a nerve → its page → its code → the code-selection
form → the claim page (a note to checked lines) → a catalogue query on the query page; then browsing (issue 16):
the tree with its buttons, suggestions as you type (keyboard), the type filter, the copy buttons, the per-code
picture at page width, and the same pages with JavaScript off. No page may trip the Content-Security-Policy.
Skipped when Playwright or Debian's ``chromium`` is missing (never ``playwright install``: the browser comes from
Debian). Screenshots go to a temporary folder, or to the folder named by ``CRYOKG_SCREENSHOTS``
(``docs/screenshots`` when refreshing the committed ones).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import RDF, SKOS

from cryokg.namespaces import CRYO

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]




@pytest.fixture(scope="module")
def browser_api():
    with playwright_api.sync_playwright() as p:
        yield p


def _context(p, folder: Path, **options):
    return p.chromium.launch_persistent_context(str(folder), executable_path=CHROMIUM, headless=True, args=FLAGS,
                                                viewport={"width": 1200, "height": 900}, **options)


@pytest.fixture(scope="module")
def page(browser_api, tmp_path_factory: pytest.TempPathFactory):
    context = _context(browser_api, tmp_path_factory.mktemp("chromium-profile"))
    try:
        tab = context.new_page()
        tab.csp_errors = []  # type: ignore[attr-defined]
        tab.on("console", lambda m: "Content Security Policy" in m.text and tab.csp_errors.append(m.text))
        yield tab
        assert not tab.csp_errors, tab.csp_errors  # no page tripped the policy (inline script or style, ...)
    finally:
        context.close()


@pytest.fixture(scope="module")
def no_js_page(browser_api, tmp_path_factory: pytest.TempPathFactory):
    context = _context(browser_api, tmp_path_factory.mktemp("chromium-nojs"), java_script_enabled=False)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("CRYOKG_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _upper_limb_nerve(graph: Graph) -> tuple[str, str]:
    """A nerve with a definite cryoablation assignment, and that code's notation (from the graph)."""
    rows = graph.query("""
        SELECT ?label ?notation WHERE {
          ?a a cryo:CodeAssignment ; cryo:structure ?n ; cryo:assignedCode ?code ;
             cryo:assignmentKind <https://w3id.org/cryokg/id/assignment-kind/definite> ;
             cryo:technique <https://w3id.org/cryokg/id/technique/cryoablation> .
          ?n a cryo:Nerve ; skos:prefLabel ?label . ?code skos:notation ?notation ; skos:broader ?family .
          FILTER NOT EXISTS { ?n cryo:codingAmbiguous true }
        } ORDER BY ?label LIMIT 1""", initNs={"cryo": CRYO, "skos": SKOS})
    label, notation = next(iter(rows))
    return str(label), str(notation)


def test_search_follow_nerve_to_code(server, page, shots, release_graph) -> None:
    label, notation = _upper_limb_nerve(release_graph)
    page.goto(server + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    page.screenshot(path=str(shots / "home.png"))
    page.get_by_label("Search labels and synonyms").fill(label)
    page.get_by_role("button", name="Search").first.click()
    page.wait_for_load_state()
    assert "/search" in page.url
    page.screenshot(path=str(shots / "search.png"))
    page.locator("ol.hits a", has_text=label).first.click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().strip().endswith(label)
    page.screenshot(path=str(shots / "nerve.png"), full_page=True)
    page.locator("a.code", has_text=notation).first.click()
    page.wait_for_load_state()
    assert notation in page.locator("h1").inner_text()
    page.screenshot(path=str(shots / "code.png"), full_page=True)


def test_code_selection_form(server, page, shots, release_graph) -> None:
    label, notation = _upper_limb_nerve(release_graph)
    page.goto(server + "/suggest")
    page.get_by_label("Site or procedure note").fill(f"Ultrasound-guided cryoneurolysis of the {label}, left side")
    page.get_by_role("button", name="Suggest a code").click()
    page.wait_for_load_state()
    answer = page.locator("section.answer h2").first.inner_text()
    assert notation in answer and label in answer
    assert "side: left" in page.locator("section.answer").first.inner_text()
    page.screenshot(path=str(shots / "suggest.png"), full_page=True)


def test_claim_page_note_to_checked_lines(server, page, shots) -> None:
    """Issue 15: paste a note on the claim page (reached from the site navigation), pick a setting, get the lines,
    the bundled-guidance Violation and the sources, each citation leading to its source."""
    page.goto(server + "/")
    page.get_by_role("navigation", name="Site").get_by_role("link", name="Claim").click()
    page.wait_for_load_state()
    page.get_by_label("Procedure note").fill("Left knee: superolateral, superomedial and inferomedial genicular nerves "
                                             "frozen with iovera under ultrasound. Charge sheet: 0441T, 76942.")
    page.get_by_label("Care setting").select_option("office")
    page.get_by_label("Diagnoses").fill("M17.12")
    page.get_by_role("button", name="Propose and check the claim").click()
    page.wait_for_load_state()
    assert "violation" in page.locator("#verdict-h").inner_text()
    lines = page.locator("article.claim-line")
    assert lines.count() == 2 and "0441T" in lines.nth(0).inner_text() and "76942" in lines.nth(1).inner_text()
    assert "superomedial genicular nerve" in lines.nth(0).inner_text()
    assert "Violation" in page.locator("section.findings").inner_text()
    citation = page.locator("section.findings a[href^='#source-']").first
    target = citation.get_attribute("href")
    assert target and page.locator(target + " a[rel=external]").count() == 1
    page.screenshot(path=str(shots / "claim.png"), full_page=True)


def test_catalogue_query_on_the_query_page(server, page, shots, release_graph) -> None:
    from cryokg.answer.catalogue import load_catalogue

    catalogue = load_catalogue()
    name = "class-counts" if "class-counts" in catalogue else sorted(catalogue)[0]
    title = catalogue[name].title or name
    page.goto(server + "/sparql")
    page.get_by_role("link", name=title).first.click()
    page.wait_for_load_state()
    rows = page.locator("table.results tbody tr")
    assert rows.count() > 0
    assert catalogue[name].text.strip().splitlines()[-1].strip() in page.locator("textarea").input_value()
    page.screenshot(path=str(shots / "sparql.png"), full_page=False)
    # the same through the form: edit the text, submit, see the answer
    page.locator("textarea").fill("PREFIX cryo: <https://w3id.org/cryokg/def/>\nSELECT (COUNT(?n) AS ?nerves) "
                                  "WHERE { ?n a cryo:Nerve }")
    page.get_by_role("button", name="Run query").click()
    page.wait_for_load_state()
    expected = len(set(release_graph.subjects(RDF.type, CRYO.Nerve)))
    assert page.locator("table.results tbody td").first.inner_text().strip() == str(expected)


def test_browse_tree_collapses_and_expands(server, page, shots) -> None:
    page.goto(server + "/")
    page.get_by_role("link", name="Browse", exact=True).click()
    page.wait_for_load_state()
    assert page.url.endswith("/browse/")
    total = page.locator("[data-tree] details").count()
    assert total > 10 and page.locator("[data-tree] details[open]").count() == total
    page.screenshot(path=str(shots / "browse.png"))
    page.get_by_role("button", name="Collapse all").click()
    assert page.locator("[data-tree] details[open]").count() == 0
    page.locator("summary", has_text="branches of the brachial plexus").first.click()
    assert page.get_by_role("link", name="radial nerve", exact=True).first.is_visible()
    page.locator("summary", has_text="branches of the radial nerve").first.click()
    assert page.locator("[data-tree] details[open]").count() == 2
    assert page.get_by_role("link", name="superficial branch of radial nerve", exact=True).first.is_visible()
    page.screenshot(path=str(shots / "browse-collapsed.png"))
    page.get_by_role("button", name="Expand all").click()
    assert page.locator("[data-tree] details[open]").count() == total


def test_suggestions_as_you_type_by_keyboard(server, page, shots) -> None:
    page.goto(server + "/id/code/0441T")
    box = page.get_by_role("combobox", name="Search labels and synonyms")
    box.press_sequentially("genicualr", delay=40)  # a typo: the structures still come first
    options = page.get_by_role("option")
    options.first.wait_for()
    assert box.get_attribute("aria-expanded") == "true"
    assert options.first.inner_text().startswith("genicular nerves")
    assert "0441T" in options.first.inner_text()
    page.screenshot(path=str(shots / "search-suggestions.png"))
    box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == options.first.get_attribute("id")
    box.press("Enter")
    page.wait_for_url("**/id/anatomy/genicular-nerves")
    assert page.locator("h1").inner_text().strip().endswith("genicular nerves")


def test_search_filter_by_kind(server, page, shots) -> None:
    page.goto(server + "/search")
    page.get_by_label("Label, synonym or code").fill("genicular")
    page.get_by_label("Kind of thing").select_option("codes")
    page.locator("main").get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    assert "type=codes" in page.url
    kinds = page.locator("ol.hits .kind").all_inner_texts()
    assert kinds and set(kinds) <= {"procedure code", "anatomic scope", "code family", "diagnosis code", "modifier"}
    page.get_by_label("Kind of thing").select_option("")
    page.locator("main").get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    first = page.locator("ol.hits li").first.inner_text()
    assert first.startswith("genicular nerves") and "0441T" in first
    page.screenshot(path=str(shots / "search.png"))


def test_copy_buttons(server, page) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page.goto(server + "/id/code/0440T")
    iri = page.locator('[data-copy="IRI"]').inner_text()
    assert iri.endswith("/id/code/0440T")
    page.get_by_role("button", name=f"Copy the IRI {iri}").click()
    assert page.evaluate("navigator.clipboard.readText()") == iri
    page.get_by_role("button", name="Copy the CURIE code:0440T").click()
    assert page.evaluate("navigator.clipboard.readText()") == "code:0440T"


def test_code_page_contrasts_siblings_and_its_picture_is_legible(server, page, shots) -> None:
    page.goto(server + "/id/code/0440T")
    table = page.get_by_role("table", name="What tells 0440T, 0441T, 0442T apart")
    assert table.get_by_role("link", name="0441T").count() == 1 and table.get_by_role("link", name="0442T").count() == 1
    picture = page.locator('img[src="/release/diagrams/code-0440T.svg"]')
    picture.scroll_into_view_if_needed()
    natural, shown = picture.evaluate("img => [img.naturalWidth, img.clientWidth]")
    assert natural > 0
    # the SVG's smallest text is 9 pt = 12 px at natural size: at page width it must stay at least 9 px high
    assert shown / natural >= 0.75, (shown, natural)
    page.locator("section", has=page.locator("#diagram-h")).screenshot(path=str(shots / "code-picture.png"))
    page.screenshot(path=str(shots / "code.png"), full_page=True)


def test_class_page_table_by_region(server, page, shots) -> None:
    page.goto(server + "/def/Nerve")
    upper = page.get_by_role("table", name="upper limb")
    assert upper.get_by_role("row").count() > 10
    assert upper.get_by_role("columnheader").all_inner_texts() == ["Label", "Code", "Lies in", "Disputed"]
    page.screenshot(path=str(shots / "class-nerve.png"))


def test_nerve_to_code_map(server, page, shots) -> None:
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(server + "/release/diagrams/nerve-to-code.svg")
    # the whole map scaled to the window, as a reader sees it opened from a code page
    page.evaluate("() => { const svg = document.documentElement; svg.setAttribute('width', '1380px');"
                  " svg.removeAttribute('height'); }")
    assert page.locator("text", has_text="disputed between sources").count() == 1
    height = page.evaluate("() => Math.ceil(document.documentElement.getBoundingClientRect().height)")
    page.set_viewport_size({"width": 1400, "height": height})  # (a full-page shot of an SVG document hangs)
    page.screenshot(path=str(shots / "nerve-to-code.png"))
    page.set_viewport_size({"width": 1200, "height": 900})


def test_pages_work_without_javascript(server, no_js_page, shots) -> None:
    page = no_js_page
    page.goto(server + "/browse/")
    assert page.locator("[data-tree] details[open]").count() > 10, "the tree is open without JavaScript"
    assert page.get_by_role("button", name="Collapse all").count() == 0
    summary = page.locator("summary", has_text="branches of the radial nerve").first
    summary.click()  # <details> toggles natively
    assert summary.locator("xpath=..").get_attribute("open") is None
    page.screenshot(path=str(shots / "browse-no-js.png"))
    page.goto(server + "/id/code/0440T")
    assert page.locator("button.copy").count() == 0 and page.locator('[data-copy="IRI"]').is_visible()
    page.goto(server + "/search")
    page.get_by_label("Label, synonym or code").fill("genicular")
    page.get_by_label("Kind of thing").select_option("nerves")
    page.locator("main").get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    assert page.locator("ol.hits li").count() >= 4
    assert page.locator("ol.hits li").first.inner_text().startswith("genicular nerves")
