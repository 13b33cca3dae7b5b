"""The FHIR R4 terminology API under ``/fhir``, called the way FHIR clients call it.

Raw HTTP through the app (every answer, errors included, validated by ``fhir.resources`` R4B and by
``fhirclient``'s FHIR 4.0.1 models), then a live ``cryokg serve`` driven by SMART's ``fhirclient`` and by the
README's curl commands, run as written. Expected answers come from the release graph (SPARQL here), not from
the server's own index.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import SKOS
from tests.fhir_models import validate

ROOT = Path(__file__).resolve().parents[2]
SYSTEM = "https://w3id.org/cryokg/fhir/CodeSystem/cryokg"
CANON = "https://w3id.org/cryokg/fhir/"
CPT = "http://www.ama-assn.org/go/cpt"
UBERON = "http://purl.obolibrary.org/obo/uberon.owl"
FHIR_JSON = "application/fhir+json"


def call(client, method: str, path: str, status: int = 200, *, body: object = None, headers: dict | None = None,
         **params) -> dict:
    """One request; checks the status and the media type, validates the body with both model libraries."""
    content = json.dumps(body).encode() if isinstance(body, dict) else body
    hdrs = {"Content-Type": FHIR_JSON, **(headers or {})} if body is not None else (headers or {})
    response = client.request(method, path, params=params or None, content=content, headers=hdrs)
    assert response.status_code == status, (path, params, response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith(FHIR_JSON)
    data = response.json()
    validate(data)
    return data


def parameters(data: dict) -> dict[str, list]:
    """A Parameters resource as name -> list of values (parts as dicts of name -> value)."""
    out: dict[str, list] = {}
    for p in data["parameter"]:
        if "part" in p:
            value = {q["name"]: next(v for k, v in q.items() if k.startswith("value")) for q in p["part"]}
        else:
            value = next(v for k, v in p.items() if k.startswith("value"))
        out.setdefault(p["name"], []).append(value)
    return out


def issue(data: dict) -> str:
    assert data["resourceType"] == "OperationOutcome"
    return data["issue"][0]["code"]


def translate(client, code: str, **extra) -> dict:
    return parameters(call(client, "GET", "/fhir/ConceptMap/$translate", system=SYSTEM, code=code, **extra))


def _cryoablation_codes(graph: Graph, structure: str) -> dict[str, str]:
    rows = graph.query("""PREFIX cryo: <https://w3id.org/cryokg/def/> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?code ?kind WHERE { ?a cryo:structure ?s ; cryo:technique <https://w3id.org/cryokg/id/technique/cryoablation> ;
        cryo:assignedCode/skos:notation ?code ; cryo:assignmentKind ?kind }""",
                       initBindings={"s": URIRef("https://w3id.org/cryokg/id/anatomy/" + structure.removeprefix("anat:"))})
    return {str(r.code): str(r.kind).rsplit("/", 1)[1] for r in rows}


# --- capabilities, read, search -----------------------------------------------------------------------------
def test_capability_statement_lists_every_operation(client) -> None:
    cap = call(client, "GET", "/fhir/metadata")
    assert cap["resourceType"] == "CapabilityStatement" and cap["fhirVersion"] == "4.0.1"
    ops = {(r["type"], o["name"], o["definition"]) for r in cap["rest"][0]["resource"] for o in r["operation"]}
    assert ("ConceptMap", "translate", "http://hl7.org/fhir/OperationDefinition/ConceptMap-translate") in ops
    assert {(t, n) for t, n, _ in ops} == {("CodeSystem", "lookup"), ("CodeSystem", "validate-code"),
                                           ("ValueSet", "expand"), ("ValueSet", "validate-code"),
                                           ("ConceptMap", "translate")}
    terminology = call(client, "GET", "/fhir/metadata", mode="terminology")
    assert terminology["resourceType"] == "TerminologyCapabilities"
    assert terminology["codeSystem"][0]["uri"] == SYSTEM
    assert issue(call(client, "GET", "/fhir/metadata", 400, mode="everything")) == "value"


def test_read_and_search_by_url(client, release_dir: Path) -> None:
    bundle = json.loads((release_dir / "exports" / "fhir" / "bundle.json").read_text(encoding="utf-8"))
    code_system = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "CodeSystem")
    assert call(client, "GET", "/fhir/CodeSystem/cryokg") == code_system
    found = call(client, "GET", "/fhir/ValueSet", url=CANON + "ValueSet/structures-0440T")
    assert found["type"] == "searchset" and found["total"] == 1
    assert found["entry"][0]["resource"]["id"] == "structures-0440T"
    assert found["entry"][0]["fullUrl"].endswith("/fhir/ValueSet/structures-0440T")
    assert call(client, "GET", "/fhir/ValueSet", url=CANON + "ValueSet/structures-0440T|0.1.0")["total"] == 1
    assert call(client, "GET", "/fhir/ValueSet", url=CANON + "ValueSet/structures-0440T|9.9")["total"] == 0
    assert call(client, "GET", "/fhir/ConceptMap", _summary="count")["total"] == sum(
        e["resource"]["resourceType"] == "ConceptMap" for e in bundle["entry"])
    ignored = call(client, "GET", "/fhir/CodeSystem", **{"_id": "cryokg", "publisher:contains": "x"})
    assert ignored["total"] == 1
    (note,) = [e for e in ignored["entry"] if e["search"]["mode"] == "outcome"]
    assert "publisher:contains" in note["resource"]["issue"][0]["diagnostics"]
    assert issue(call(client, "GET", "/fhir/ValueSet/nope", 404)) == "not-found"


# --- $lookup ------------------------------------------------------------------------------------------------
def test_lookup_by_get_and_by_post(client, release_graph: Graph) -> None:
    got = parameters(call(client, "GET", "/fhir/CodeSystem/$lookup", system=SYSTEM, code="code:0440T"))
    label = release_graph.value(URIRef("https://w3id.org/cryokg/id/code/0440T"), SKOS.prefLabel)
    assert got["display"] == [str(label)]
    properties = {(p["code"], json.dumps(p["value"])) for p in got["property"]}
    assert ("anatomic-scope", '"scope:upper-extremity-peripheral-nerve"') in properties
    assert ("method", '"tech:cryoablation"') in properties
    assert ("billing-code", json.dumps({"system": CPT, "code": "0440T"})) in properties
    posted = call(client, "POST", "/fhir/CodeSystem/$lookup", body={"resourceType": "Parameters", "parameter": [
        {"name": "coding", "valueCoding": {"system": SYSTEM, "code": "code:0440T"}}]})
    assert parameters(posted) == got
    only = parameters(call(client, "GET", "/fhir/CodeSystem/cryokg/$lookup", code="anat:radial-nerve",
                           property="located-in"))
    assert {p["code"] for p in only["property"]} == {"located-in"} and "designation" not in only
    children = parameters(call(client, "GET", "/fhir/CodeSystem/$lookup", system=SYSTEM, code="anat:upper-limb",
                               property="child"))
    assert {"code": "child", "value": "anat:forearm"} in children["property"]


def test_lookup_errors(client) -> None:
    assert issue(call(client, "GET", "/fhir/CodeSystem/$lookup", 404, system=SYSTEM, code="code:0443T")) == "not-found"
    assert issue(call(client, "GET", "/fhir/CodeSystem/$lookup", 404, system="http://example.org/x", code="a")) \
        == "not-found"
    refused = call(client, "GET", "/fhir/CodeSystem/$lookup", 422, system=CPT, code="0440T")
    assert issue(refused) == "not-supported" and "references" in refused["issue"][0]["diagnostics"]
    assert issue(call(client, "GET", "/fhir/CodeSystem/$lookup", 400, system=SYSTEM)) == "required"
    assert issue(call(client, "GET", "/fhir/CodeSystem/$lookup", 400, code="code:0440T")) == "required"
    assert issue(call(client, "GET", "/fhir/CodeSystem/$lookup", 404, system=SYSTEM, code="code:0440T",
                      version="9")) == "not-found"


# --- $validate-code -----------------------------------------------------------------------------------------
def test_validate_code(client) -> None:
    def check(path: str, **params) -> dict:
        return parameters(call(client, "GET", path, **params))

    ok = check("/fhir/CodeSystem/$validate-code", url=SYSTEM, code="anat:radial-nerve", display="radial nerve")
    assert ok["result"] == [True] and ok["display"] == ["radial nerve"]
    assert check("/fhir/CodeSystem/$validate-code", url=SYSTEM, code="anat:radial-nerve",
                 display="nervus radialis")["result"] == [True]  # a synonym is a valid display
    wrong = check("/fhir/CodeSystem/$validate-code", url=SYSTEM, code="anat:radial-nerve", display="ulnar nerve")
    assert wrong["result"] == [False] and "radial nerve" in wrong["message"][0]
    assert check("/fhir/CodeSystem/$validate-code", url=SYSTEM, code="anat:nope")["result"] == [False]
    in_scope = CANON + "ValueSet/structures-0440T"
    assert check("/fhir/ValueSet/$validate-code", url=in_scope, system=SYSTEM, code="anat:radial-nerve")["result"] \
        == [True]
    outside = check("/fhir/ValueSet/$validate-code", url=in_scope, system=SYSTEM, code="anat:sciatic-nerve")
    assert outside["result"] == [False] and "sciatic nerve" in outside["message"][0]
    disputed = check("/fhir/ValueSet/structures-0440T/$validate-code", system=SYSTEM, code="anat:suprascapular-nerve")
    assert disputed["result"] == [True] and "disputed" in disputed["message"][0]
    cpt = CANON + "ValueSet/code-family-cpt"
    family = check("/fhir/ValueSet/$validate-code", url=cpt, system=CPT, code="0440T")
    assert family["result"] == [True] and "display" not in family  # no CPT descriptor, ever
    assert check("/fhir/ValueSet/$validate-code", url=cpt, system=CPT, code="64640")["result"] == [False]
    posted = parameters(call(client, "POST", "/fhir/ValueSet/$validate-code", body={
        "resourceType": "Parameters", "parameter": [
            {"name": "url", "valueUri": in_scope},
            {"name": "codeableConcept", "valueCodeableConcept": {"coding": [
                {"system": SYSTEM, "code": "anat:sciatic-nerve"}, {"system": SYSTEM, "code": "anat:ulnar-nerve"}]}}]}))
    assert posted["result"] == [True] and posted["display"] == ["ulnar nerve"]
    assert issue(call(client, "GET", "/fhir/ValueSet/$validate-code", 404, url=CANON + "ValueSet/x", code="a",
                      system=SYSTEM)) == "not-found"
    assert issue(call(client, "GET", "/fhir/ValueSet/$validate-code", 400, url=in_scope)) == "required"


# --- $expand ------------------------------------------------------------------------------------------------
def test_expand_filter_ranks_and_pages(client, release_graph: Graph) -> None:
    url = CANON + "ValueSet/structures"
    whole = call(client, "GET", "/fhir/ValueSet/$expand", url=url)["expansion"]
    nerves = {str(s) for s in release_graph.query(
        "PREFIX cryo: <https://w3id.org/cryokg/def/> SELECT ?s WHERE { VALUES ?c { cryo:Nerve cryo:NervePlexus "
        "cryo:NerveGroup cryo:AutonomicPlexus cryo:AutonomicGanglion } ?s a ?c }")}
    assert whole["total"] == len(nerves) == len(whole["contains"])
    genicular = call(client, "GET", "/fhir/ValueSet/$expand", url=url, filter="genicular")["expansion"]
    names = [c["display"] for c in genicular["contains"]]
    assert names and all("genicular" in n for n in names[:4])
    assert genicular["parameter"] == [{"name": "filter", "valueString": "genicular"}]
    exact = call(client, "GET", "/fhir/ValueSet/$expand", url=url, filter="Radial nerve")["expansion"]["contains"]
    assert exact[0]["code"] == "anat:radial-nerve"  # the exact name first, then names that start with it
    synonym = call(client, "GET", "/fhir/ValueSet/$expand", url=url, filter="peroneal")["expansion"]["contains"]
    assert "anat:common-fibular-nerve" in {c["code"] for c in synonym}
    first = call(client, "GET", "/fhir/ValueSet/structures/$expand", count="5")["expansion"]
    second = call(client, "GET", "/fhir/ValueSet/structures/$expand", count="5", offset="5")["expansion"]
    assert [c["code"] for c in first["contains"] + second["contains"]] == [c["code"] for c in whole["contains"][:10]]
    assert first["total"] == second["total"] == whole["total"] and second["offset"] == 5
    with_synonyms = call(client, "GET", "/fhir/ValueSet/structures/$expand", filter="pudendal",
                         includeDesignations="true")["expansion"]["contains"]
    assert any(d["value"] == "Alcock's canal nerve" for c in with_synonyms for d in c.get("designation", []))
    assert call(client, "GET", "/fhir/ValueSet/structures/$expand", count="0")["expansion"].get("contains") is None
    cpt = call(client, "GET", "/fhir/ValueSet/code-family-cpt/$expand")["expansion"]["contains"]
    assert cpt == [{"system": CPT, "code": "0440T"}, {"system": CPT, "code": "0441T"}, {"system": CPT, "code": "0442T"}]
    assert issue(call(client, "GET", "/fhir/ValueSet/$expand", 400, url=url, count="-1")) == "value"
    assert issue(call(client, "GET", "/fhir/ValueSet/$expand", 400, url=url, count="many")) == "value"
    assert issue(call(client, "GET", "/fhir/ValueSet/$expand", 404, url=CANON + "ValueSet/none")) == "not-found"
    assert issue(call(client, "GET", "/fhir/ValueSet/$expand", 400)) == "required"
    inline = call(client, "POST", "/fhir/ValueSet/$expand", 422, body={"resourceType": "Parameters", "parameter": [
        {"name": "valueSet", "resource": {"resourceType": "ValueSet", "status": "active"}}]})
    assert issue(inline) == "not-supported"


# --- $translate ---------------------------------------------------------------------------------------------
def test_which_code_for_the_pudendal_nerve(client, release_graph: Graph) -> None:
    expected = _cryoablation_codes(release_graph, "anat:pudendal-nerve")
    assert expected == {"0442T": "definite"}
    by_code = translate(client, "anat:pudendal-nerve")
    assert by_code["result"] == [True]
    assert [(m["equivalence"], m["concept"]) for m in by_code["match"]] == [("wider", {"system": CPT, "code": "0442T"})]
    assert by_code["match"][0]["source"] == CANON + "ConceptMap/structure-to-code-cryoablation"
    assert "https://www.cgsmedicare.com/parta/pubs/news/2022/01/cope24853.html" in by_code["message"][0]
    for text in ("pudendal nerve", "Alcock's canal nerve", "PUDENDAL  nerve"):
        by_name = parameters(call(client, "POST", "/fhir/ConceptMap/$translate", body={
            "resourceType": "Parameters", "parameter": [
                {"name": "codeableConcept", "valueCodeableConcept": {"text": text}}]}))
        assert by_name["match"] == by_code["match"], text
        assert "anat:pudendal-nerve" in by_name["message"][0]
    by_display = parameters(call(client, "POST", "/fhir/ConceptMap/$translate", body={
        "resourceType": "Parameters", "parameter": [{"name": "coding", "valueCoding": {"display": "pudic nerve"}}]}))
    assert by_display["match"] == by_code["match"]


def test_disputed_structures_get_every_candidate_with_reasons(client, release_graph: Graph) -> None:
    for structure in ("anat:suprascapular-nerve", "anat:obturator-nerve", "anat:posterior-femoral-cutaneous-nerve"):
        expected = _cryoablation_codes(release_graph, structure)
        assert set(expected.values()) == {"candidate"}, structure
        answer = translate(client, structure)
        assert answer["result"] == [True]
        assert {m["concept"]["code"]: m["equivalence"] for m in answer["match"]} == dict.fromkeys(expected, "relatedto")
        for code in expected:
            assert f"-> {code} (relatedto): Disputed" in answer["message"][0]
        assert "Sources: https://" in answer["message"][0]
    alternative = translate(client, "anat:superomedial-genicular-nerve")
    kinds = {m["concept"]["code"]: m["equivalence"] for m in alternative["match"]}
    assert kinds["0441T"] == "wider" and "relatedto" in kinds.values()
    assert alternative["match"][0]["concept"]["code"] == "0441T"  # the answer first, the contested code beside it
    assert "Contested alternative" in alternative["message"][0]


def test_translate_reverse_targets_and_misses(client) -> None:
    reverse = parameters(call(client, "GET", "/fhir/ConceptMap/$translate", system=CPT, code="0442T", reverse="true"))
    structures = {m["concept"]["code"] for m in reverse["match"]}
    assert {"anat:pudendal-nerve", "anat:brachial-plexus", "anat:suprascapular-nerve"} <= structures
    assert "anat:radial-nerve" not in structures
    assert {m["equivalence"] for m in reverse["match"]} == {"narrower", "relatedto"}
    uberon = translate(client, "anat:radial-nerve", targetsystem=UBERON)
    assert [(m["equivalence"], m["concept"]) for m in uberon["match"]] == [
        ("equivalent", {"system": UBERON, "code": "UBERON:0001492", "display": "radial nerve"})]
    snomed = translate(client, "anat:axillary-nerve", targetsystem="http://snomed.info/sct")
    assert snomed["match"][0]["equivalence"] == "inexact" and "display" not in snomed["match"][0]["concept"]
    rf = parameters(call(client, "GET", "/fhir/ConceptMap/structure-to-code-radiofrequency-ablation/$translate",
                         system=SYSTEM, code="anat:superomedial-genicular-nerve"))
    assert [m["concept"]["code"] for m in rf["match"]] == ["64624"]
    miss = translate(client, "anat:upper-limb")
    assert miss["result"] == [False] and "no mapping" in miss["message"][0]
    unknown = parameters(call(client, "POST", "/fhir/ConceptMap/$translate", body={
        "resourceType": "Parameters", "parameter": [{"name": "codeableConcept", "valueCodeableConcept": {
            "text": "pudendel nerve"}}]}))
    assert unknown["result"] == [False] and "Did you mean: pudendal nerve" in unknown["message"][0]
    assert issue(call(client, "GET", "/fhir/ConceptMap/$translate", 400, code="anat:radial-nerve")) == "required"
    assert issue(call(client, "GET", "/fhir/ConceptMap/$translate", 400)) == "required"
    assert issue(call(client, "GET", "/fhir/ConceptMap/$translate", 400, system=SYSTEM, code="anat:radial-nerve",
                      reverse="maybe")) == "value"


# --- errors -------------------------------------------------------------------------------------------------
def test_errors_are_operation_outcomes_with_the_right_status(client) -> None:
    assert issue(call(client, "GET", "/fhir/Patient/1", 404)) == "not-supported"
    assert issue(call(client, "GET", "/fhir", 404)) == "not-found"
    assert issue(call(client, "GET", "/fhir/CodeSystem/$subsumes", 404)) == "not-supported"
    assert issue(call(client, "DELETE", "/fhir/CodeSystem/cryokg", 405)) == "not-supported"
    assert issue(call(client, "PUT", "/fhir/CodeSystem/cryokg", 405, body={"resourceType": "CodeSystem"})) \
        == "not-supported"
    assert issue(call(client, "POST", "/fhir/CodeSystem", 405, body={"resourceType": "CodeSystem"})) == "not-supported"
    assert issue(call(client, "GET", "/fhir/metadata", 406, _format="xml")) == "not-supported"
    assert issue(call(client, "GET", "/fhir/metadata", 406, headers={"Accept": "application/fhir+xml"})) \
        == "not-supported"
    assert call(client, "GET", "/fhir/metadata", headers={"Accept": "application/json"})["resourceType"] \
        == "CapabilityStatement"
    assert call(client, "GET", "/fhir/metadata", _format="json")["resourceType"] == "CapabilityStatement"
    for body, code in ((b"{not json", "structure"), (b"[" * 10_000 + b"]" * 10_000, "structure"),
                       (b'{"resourceType": "Patient"}', "structure"),
                       (b'{"resourceType": "Parameters", "parameter": {"name": "x"}}', "structure"),
                       (b'{"resourceType": "Parameters", "parameter": [{"name": "code"}]}', "structure"),
                       (b'{"resourceType": "Parameters", "parameter": [{"name": "code", "valueCode": 7}]}', "structure"),
                       (b'{"resourceType": "Parameters", "parameter": [{"name": "coding", "valueCoding": "x"}]}',
                        "structure")):
        assert issue(call(client, "POST", "/fhir/ConceptMap/$translate", 400, body=body)) == code, body[:60]
    assert issue(call(client, "POST", "/fhir/CodeSystem/$lookup", 415, body=b"code=x",
                      headers={"Content-Type": "text/plain"})) == "not-supported"
    form = call(client, "POST", "/fhir/CodeSystem/$lookup", body=f"system={SYSTEM}&code=code:0441T".encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert parameters(form)["display"][0].startswith("Percutaneous cryoablation of a lower-limb")
    too_big = client.post("/fhir/ConceptMap/$translate", content=b"{" + b" " * 200_000 + b"}",
                          headers={"Content-Type": FHIR_JSON})
    assert too_big.status_code == 413
    coding_by_get = call(client, "GET", "/fhir/ConceptMap/$translate", 400, coding="x")
    assert "POST" in coding_by_get["issue"][0]["diagnostics"]
    repeated = client.get(f"/fhir/CodeSystem/$lookup?system={SYSTEM}&code=a&code=b")
    assert repeated.status_code == 400 and issue(repeated.json()) == "invalid"


def test_a_release_without_a_valid_fhir_bundle_says_so(release_dir: Path, tmp_path: Path) -> None:
    """No bundle: 404; a bundle that is not the file the manifest lists: 503. The rest of the server still works."""
    from starlette.testclient import TestClient

    from cryokg.publish.web.app import Settings, create_app

    for change, status in ((lambda path: path.unlink(), 404), (lambda path: path.write_text('{"entry": []}'), 503)):
        copy = tmp_path / f"release-{status}"
        shutil.copytree(release_dir, copy)
        change(copy / "exports" / "fhir" / "bundle.json")
        client = TestClient(create_app(Settings(build_dir=copy, workers=1)))
        answer = call(client, "GET", "/fhir/metadata", status)
        assert "rebuild" in answer["issue"][0]["diagnostics"]
        assert client.get("/id/code/0440T", headers={"Accept": "text/turtle"}).status_code == 200


def test_translate_from_a_system_the_map_does_not_take(client) -> None:
    wrong = parameters(call(client, "GET", "/fhir/ConceptMap/structure-to-uberon/$translate", system=CPT, code="0440T"))
    assert wrong["result"] == [False] and "not http://www.ama-assn.org/go/cpt" in wrong["message"][0]


# --- a live server, a real FHIR client, the README's commands -----------------------------------------------
def test_fhirclient_reads_searches_and_calls_operations(server: str) -> None:
    from fhirclient import client as smart_client
    from fhirclient.models.codesystem import CodeSystem
    from fhirclient.models.conceptmap import ConceptMap
    from fhirclient.models.operationoutcome import OperationOutcome
    from fhirclient.models.parameters import Parameters
    from fhirclient.models.valueset import ValueSet
    from fhirclient.server import FHIRNotFoundException

    smart = smart_client.FHIRClient(settings={"app_id": "cryokg-tests", "api_base": server + "/fhir"})
    smart.prepare()  # reads /fhir/metadata into fhirclient's R4 CapabilityStatement model
    assert smart.server.capabilityStatement.fhirVersion == "4.0.1"
    code_system = CodeSystem.read("cryokg", smart.server)
    assert code_system.url == SYSTEM and code_system.count == len(code_system.concept)
    value_sets = ValueSet.where(struct={"url": CANON + "ValueSet/structures-0442T"}).perform_resources(smart.server)
    assert [v.id for v in value_sets] == ["structures-0442T"]
    maps = ConceptMap.where(struct={"_id": "structure-to-code-cryoablation"}).perform_resources(smart.server)
    assert maps[0].group[0].target == CPT
    answer = Parameters(smart.server.request_json(
        f"ConceptMap/$translate?system={SYSTEM}&code=anat:pudendal-nerve"))
    match = next(p for p in answer.parameter if p.name == "match")
    concept = next(part for part in match.part if part.name == "concept").valueCoding
    assert (concept.system, concept.code) == (CPT, "0442T")
    posted = smart.server.post_json("ConceptMap/$translate", {"resourceType": "Parameters", "parameter": [
        {"name": "codeableConcept", "valueCodeableConcept": {"text": "suprascapular nerve"}}]})
    codes = sorted(part.valueCoding.code for p in Parameters(posted.json()).parameter if p.name == "match"
                   for part in p.part if part.name == "concept")
    assert codes == ["0440T", "0442T"]
    expansion = ValueSet(smart.server.request_json("ValueSet/structures/$expand?filter=sural&count=2")).expansion
    assert expansion.total >= 2 and len(expansion.contains) == 2
    with pytest.raises(FHIRNotFoundException) as missing:
        CodeSystem.read("no-such-system", smart.server)
    assert OperationOutcome(missing.value.response.json()).issue[0].code == "not-found"


def _readme_curl_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## FHIR terminology (R4)", 1)[1].split("\n## ", 1)[0]
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", section, flags=re.S):
        for command in block.replace("\\\n", " ").splitlines():
            if command.strip().startswith("curl "):
                commands.append(command.strip())
    return commands


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_readme_curl_commands_run_as_written(server: str, release_dir: Path) -> None:
    commands = _readme_curl_commands()
    assert len(commands) >= 8
    answers = []
    for command in commands:
        assert "http://127.0.0.1:8000/" in command
        done = subprocess.run(["bash", "-c", command.replace("http://127.0.0.1:8000", server)], capture_output=True,
                              timeout=30, check=True)
        answers.append(validate(json.loads(done.stdout)))
    kinds = [a.get_resource_type() for a in answers]
    assert kinds[:2] == ["CapabilityStatement", "TerminologyCapabilities"] and kinds.count("Parameters") >= 5
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    bundle = json.loads((release_dir / "exports" / "fhir" / "bundle.json").read_text(encoding="utf-8"))
    count = next(e["resource"]["count"] for e in bundle["entry"] if e["resource"]["resourceType"] == "CodeSystem")
    assert f"({count} concepts)" in readme, "the README's concept count is out of date"
