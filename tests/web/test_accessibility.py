"""Accessibility basics of every kind of page: a language, one h1, headings in order, a label per input,
alt text on images, a caption and header scopes on data tables, a name on every disclosure (``<summary>``),
and no inline script: the only script is our own file, which the pages do not need (they work without it,
see tests/web/test_browse.py), and the Content-Security-Policy allows nothing else."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from cryokg.publish.web.middleware import CSP


class _Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.lang = None
        self.headings: list[int] = []
        self.inputs: list[str | None] = []
        self.labels: set[str] = set()
        self.images_without_alt = 0
        self.scripts: list[tuple[str | None, str | None]] = []
        self.tables = 0
        self.captions = 0
        self.header_cells_without_scope = 0
        self.summaries: list[str] = []
        self._tag_stack: list[str] = []
        self._summary: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.headings.append(int(tag[1]))
        elif tag in ("input", "textarea", "select") and attributes.get("type") not in ("hidden", "submit"):
            self.inputs.append(attributes.get("id"))
        elif tag == "label" and attributes.get("for"):
            self.labels.add(attributes["for"])
        elif tag == "img" and not attributes.get("alt"):
            self.images_without_alt += 1
        elif tag == "script":
            self.scripts.append((attributes.get("type"), attributes.get("src")))
        elif tag == "table":
            self.tables += 1
        elif tag == "caption":
            self.captions += 1
        elif tag == "th" and attributes.get("scope") not in ("col", "row"):
            self.header_cells_without_scope += 1
        elif tag == "summary":
            self._summary = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "summary" and self._summary is not None:
            self.summaries.append("".join(self._summary).strip())
            self._summary = None

    def handle_data(self, data: str) -> None:
        if self._summary is not None:
            self._summary.append(data)


PAGES = ["/", "/id/code/0440T", "/id/code/64624", "/id/anatomy/radial-nerve", "/def/Nerve", "/def/ProcedureCode",
         "/id/dataset/cryokg", "/search?q=nerve", "/search?q=genicular&type=nerves", "/search?q=x&type=nonsense",
         "/browse/", "/suggest?site=radial+nerve", "/suggest?site=nowhere+at+all", "/sparql", "/no/such/page",
         "/sparql?format=html&query=SELECT+%3Fs+WHERE+%7B+%3Fs+a+%3Fo+%7D+LIMIT+3"]


@pytest.mark.parametrize("path", PAGES)
def test_page_basics(client, path: str) -> None:
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.headers["content-type"].startswith("text/html")
    audit = _Audit()
    audit.feed(response.text)
    assert audit.lang == "en"
    assert audit.headings.count(1) == 1 and audit.headings[0] == 1, audit.headings
    for before, after in zip(audit.headings, audit.headings[1:], strict=False):
        assert after <= before + 1, f"heading level jumps from h{before} to h{after}"
    assert all(i and i in audit.labels for i in audit.inputs), (audit.inputs, audit.labels)
    assert audit.images_without_alt == 0
    for kind, src in audit.scripts:  # data (JSON-LD), or our one script file: never inline code
        assert kind == "application/ld+json" or (src == "/static/cryokg.js" and kind is None), (kind, src)
    assert audit.captions == audit.tables, "every data table has a caption"
    assert audit.header_cells_without_scope == 0
    assert all(audit.summaries), "every disclosure says what it opens"


def test_policy_allows_only_our_own_script(client) -> None:
    header = client.get("/browse/").headers["content-security-policy"]
    assert header == CSP
    directives = dict(part.strip().split(" ", 1) for part in header.split(";"))
    assert directives["script-src"] == "'self'" and "unsafe" not in header
    assert directives["object-src"] == "'none'" and directives["base-uri"] == "'none'"
    script = client.get("/static/cryokg.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert "innerHTML" not in script.text and "eval(" not in script.text  # texts go in through textContent
