"""Browser tests: ``cryokg serve`` in a subprocess, driven by headless Chromium through Playwright.

A person's path through the site: home page → search for a nerve → its page → its code → the code-selection
form → a catalogue query on the query page. Skipped when Playwright or Debian's ``chromium`` is missing
(never ``playwright install``: the browser comes from Debian). Screenshots go to a temporary folder, or to
the folder named by ``CRYOKG_SCREENSHOTS`` (``docs/screenshots`` when refreshing the committed ones).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.namespace import RDF, SKOS
from tests.listener import wait_for_http
from tests.stores import free_port

from cryokg.namespaces import CRYO

playwright_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]




@pytest.fixture(scope="module")
def server(release_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``cryokg serve`` on a free loopback port; stopped (by its PID) after the module."""
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "cryokg.cli", "serve", "--build", str(release_dir),
                                    "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                                   stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(process, url, what="cryokg serve", attempts=600, pause=0.1, log=log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory):
    with playwright_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1200, "height": 900})
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
