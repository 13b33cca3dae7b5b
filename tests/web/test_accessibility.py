"""Accessibility basics of every kind of page: a language, one h1, headings in order, a label per input,
alt text on images, and no script (the pages work without JavaScript)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest


class _Audit(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.lang = None
        self.headings: list[int] = []
        self.inputs: list[str | None] = []
        self.labels: set[str] = set()
        self.images_without_alt = 0
        self.scripts: list[str | None] = []

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
            self.scripts.append(attributes.get("type"))


PAGES = ["/", "/id/code/0440T", "/id/anatomy/radial-nerve", "/def/Nerve", "/id/dataset/cryokg", "/search?q=nerve",
         "/suggest?site=radial+nerve", "/suggest?site=nowhere+at+all", "/sparql", "/no/such/page",
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
    assert all(kind == "application/ld+json" for kind in audit.scripts), "no executable script on our pages"
