"""The web page /claim (issue 15): GET shows the form; a form POST returns the page with the lines, findings and
sources; a JSON body (or an Accept that asks for JSON) gets the same JSON as `cryokg claim --json`, valid against the
shipped schema; bad input is a 4xx with the reason, never a 500; the page carries the strict CSP and no inline script."""

from __future__ import annotations

import json
import re

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from cryokg.answer.json_schemas import load_schema, schema_resources
from cryokg.cli import main

NOTE = "Right wrist: cryoablation of the superficial radial nerve under ultrasound. Charge sheet: 0440T, 76942."
FORM = {"content-type": "application/x-www-form-urlencoded"}


def claim_validator() -> Draft202012Validator:
    registry: Registry = Registry().with_resources(
        (uri, Resource.from_contents(schema)) for uri, schema in schema_resources().items())
    return Draft202012Validator(load_schema("claim"), registry=registry)


def test_get_shows_the_form_and_the_navigation_links_it(client) -> None:
    response = client.get("/claim")
    assert response.status_code == 200
    assert '<form class="stack" action="/claim" method="post">' in response.text
    assert 'name="note"' in response.text and 'name="payer"' in response.text and 'name="dx"' in response.text
    assert '<a href="/claim">Claim</a>' in client.get("/").text


def test_form_post_returns_lines_findings_and_linked_sources(client) -> None:
    response = client.post("/claim", content="note=" + NOTE.replace(" ", "+").replace(",", "%2C").replace(":", "%3A")
                           + "&setting=office&payer=&dx=S52.501A", headers=FORM)
    assert response.status_code == 200, response.text[:500]
    page = response.text
    assert "Does not pass: 1 violation(s)" in page
    assert re.search(r'Line 1:\s*<a class="code" href="/id/code/0440T">0440T</a>', page)
    assert "listed in the note" in page and "76942" in page
    assert "No public source for the units of 0440T" in page
    assert 'href="https://www.cgsmedicare.com/parta/pubs/news/2022/01/cope24853.html"' in page
    assert re.search(r'<a href="#source-\d+">\[\d+\]</a>', page)
    assert "S52.501A" in page  # the diagnosis shown in the form again


def test_json_body_gets_the_same_json_as_the_command(client, capsys: pytest.CaptureFixture[str]) -> None:
    response = client.post("/claim", json={"note": NOTE, "setting": "office", "dx": ["M79.641"]})
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    web = response.json()
    claim_validator().validate(web)
    assert main(["claim", NOTE, "--setting", "office", "--dx", "M79.641", "--json"]) == 1
    cli = json.loads(capsys.readouterr().out)
    assert web == cli


def test_accept_json_with_a_form_post(client) -> None:
    response = client.post("/claim", content="note=pudendal+nerve+cryoablation", headers={**FORM, "accept": "application/json"})
    assert response.status_code == 200 and response.json()["lines"][0]["code"] == "0442T"


@pytest.mark.parametrize(("body", "headers", "status", "message"), [
    ("note=", FORM, 422, "the note is empty"),
    ('{"note": 3}', {"content-type": "application/json"}, 400, "must be a string"),
    ("[1, 2]", {"content-type": "application/json"}, 400, "must be an object"),
    ("{not json", {"content-type": "application/json"}, 400, "not JSON"),
    ('{"note": "radial nerve", "extra": 1}', {"content-type": "application/json"}, 400, "unknown field"),
    ("note=radial+nerve&setting=moon", FORM, 422, "unknown setting"),
    ("note=radial+nerve&payer=nobody-at-all", FORM, 422, "--payer"),
    ("note=radial+nerve&dx=XX", FORM, 422, "--dx"),
    ("note=the+weather+was+fine", FORM, 422, "names no nerve"),
    ("note=" + "x" * 5001, FORM, 413, "at most 5000"),
    ("note=radial", {"content-type": "text/plain"}, 415, "form"),
    ("&".join(f"f{i}=1" for i in range(30)), FORM, 400, "too many form fields"),
    (b"note=\xff\xfe", FORM, 400, "not UTF-8"),
])
def test_bad_input_is_a_4xx_with_the_reason(client, body, headers: dict, status: int, message: str) -> None:
    html = client.post("/claim", content=body, headers=headers)
    assert html.status_code == status and message in html.text, (html.status_code, html.text[:300])
    as_json = client.post("/claim", content=body, headers={**headers, "accept": "application/json"})
    assert as_json.status_code == status and message in as_json.json()["error"]


def test_body_over_the_server_limit_is_refused(client) -> None:
    response = client.post("/claim", content="note=" + "a" * 200_000, headers=FORM)
    assert response.status_code == 413


def test_page_has_the_strict_csp_and_no_inline_script(client) -> None:
    response = client.post("/claim", content="note=pudendal+nerve", headers=FORM)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert not re.search(r"<script(?![^>]*\bsrc=)", response.text) and " on" + "click=" not in response.text
