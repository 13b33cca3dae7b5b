"""The FHIR R4 export: every resource is valid for two independent FHIR model libraries, and says what the graph says.

Validity is judged by others' code: ``fhir.resources`` (its R4B pydantic models; R4B left the terminology
resources as R4 had them) and ``fhirclient`` (SMART's client, models generated from FHIR 4.0.1, strict: an
unknown element, a missing required one or a wrong type raises). Content is checked against the release graph
with SPARQL written here, not by re-running the exporter's own Python.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import XSD
from tests.fhir_models import r4_validate, r4b_validate
from tests.test_integrity import FORBIDDEN_DESCRIPTOR_FRAGMENTS

from cryokg.cli import main
from cryokg.namespaces import CRYO as CRYO_TERMS
from cryokg.release.exports.fhir import (
    CPT_SYSTEM,
    HCPCS_SYSTEM,
    SNOMED_SYSTEM,
    STRUCTURE_CLASSES,
    UBERON_SYSTEM,
    build_bundle,
    build_resources,
    system_url,
)

ROOT = Path(__file__).resolve().parents[1]
CRYO = "PREFIX cryo: <https://w3id.org/cryokg/def/> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
SYSTEM = system_url()


@pytest.fixture(scope="module")
def resources(graph: Graph) -> list[dict]:
    return build_resources(graph, version="0.1.0")


@pytest.fixture(scope="module")
def by_id(resources: list[dict]) -> dict[str, dict]:
    """ValueSets and ConceptMaps by id (the CodeSystem shares its id with the ValueSet of all its concepts)."""
    return {r["id"]: r for r in resources if r["resourceType"] != "CodeSystem"}


@pytest.fixture(scope="module")
def code_system(resources: list[dict]) -> dict:
    (found,) = [r for r in resources if r["resourceType"] == "CodeSystem"]
    return found


@pytest.fixture(scope="module")
def concepts(code_system: dict) -> dict[str, dict]:
    return {c["code"]: c for c in code_system["concept"]}


def props(concept: dict, code: str) -> list:
    return [next(v for k, v in p.items() if k.startswith("value")) for p in concept.get("property", [])
            if p["code"] == code]


def test_every_resource_and_the_bundle_are_valid_fhir(resources: list[dict]) -> None:
    assert {r["resourceType"] for r in resources} == {"CodeSystem", "ValueSet", "ConceptMap"}
    for resource in resources:
        model = r4b_validate(resource)
        assert model.id == resource["id"]
        r4_validate(resource)
    bundle = build_bundle(resources)
    assert len(r4b_validate(bundle).entry) == len(resources)
    r4_validate(bundle)


def test_the_validators_catch_a_broken_resource(resources: list[dict]) -> None:
    """The validators really check: a code outside its required binding, a missing required element, an
    element FHIR does not define and a wrong type are each refused."""
    from fhirclient.models.fhirabstractbase import FHIRValidationError

    def broken(change) -> dict:
        resource = json.loads(json.dumps(next(r for r in resources if r["id"] == "structure-to-code-cryoablation")))
        change(resource)
        return resource

    target = lambda r: r["group"][0]["element"][0]["target"][0]  # noqa: E731
    with pytest.raises(ValueError, match="equivalence"):
        r4b_validate(broken(lambda r: target(r).update(equivalence="same-ish")))
    with pytest.raises(ValueError):
        r4b_validate(broken(lambda r: r.pop("status")))
    with pytest.raises(FHIRValidationError):
        r4_validate(broken(lambda r: r.pop("status")))
    with pytest.raises(ValueError):
        r4b_validate(broken(lambda r: r.update(relationship="wider")))
    with pytest.raises(FHIRValidationError):
        r4_validate(broken(lambda r: target(r).update(equivalence=["wider"])))


def test_committed_fhir_files_are_the_bundle_and_its_resources() -> None:
    folder = ROOT / "build" / "exports" / "fhir"
    bundle = json.loads((folder / "bundle.json").read_text(encoding="utf-8"))
    files = sorted(p.name for p in folder.glob("*.json") if p.name != "bundle.json")
    assert files == sorted(f"{e['resource']['resourceType']}-{e['resource']['id']}.json" for e in bundle["entry"])
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"] == resource["url"]
        assert json.loads((folder / f"{resource['resourceType']}-{resource['id']}.json").read_text()) == resource


def test_no_cpt_descriptor_is_written(resources: list[dict]) -> None:
    """CPT and HCPCS codes appear only as references: a code, never a display; no descriptor wording anywhere."""
    text = json.dumps(resources).lower()
    assert not [f for f in FORBIDDEN_DESCRIPTOR_FRAGMENTS if f.lower() in text]
    billing = (CPT_SYSTEM, HCPCS_SYSTEM)
    references = []
    for resource in resources:
        for include in resource.get("compose", {}).get("include", []):
            references += include.get("concept", []) if include["system"] in billing else []
        for group in resource.get("group", []):
            references += [t for e in group["element"] for t in e["target"]] if group["target"] in billing else []
        for concept in resource.get("concept", []):
            references += [p["valueCoding"] for p in concept["property"] if "valueCoding" in p]
    assert len(references) > 100, "the walk must reach the CPT code references"
    assert not [r for r in references if "display" in r], "a CPT/HCPCS code carries a display"


def test_codes_carry_their_defining_attributes(concepts: dict[str, dict]) -> None:
    code = concepts["code:0440T"]
    assert code["display"] == "Percutaneous cryoablation of an upper-limb peripheral nerve, imaging guidance included"
    assert props(code, "anatomic-scope") == ["scope:upper-extremity-peripheral-nerve"]
    assert props(code, "method") == ["tech:cryoablation"]
    assert props(code, "approach") == ["approach:percutaneous"]
    assert props(code, "status") == ["status:active"]
    assert props(code, "parent") == ["family:percutaneous-nerve-cryoablation"]
    assert props(code, "billing-code") == [{"system": CPT_SYSTEM, "code": "0440T"}]
    assert props(concepts["code:0441T"], "status") == []  # no source confirmed it: left out, not guessed
    assert props(concepts["family:percutaneous-nerve-cryoablation"], "notSelectable") == [True]
    assert props(concepts["code:C9809"], "billing-code") == [{"system": HCPCS_SYSTEM, "code": "C9809"}]
    nerve = concepts["anat:radial-nerve"]
    assert props(nerve, "branch-of") == ["anat:brachial-plexus"] == props(nerve, "parent")
    assert "anat:elbow" in props(nerve, "located-in")
    assert props(concepts["anat:suprascapular-nerve"], "disputed") == [True]
    assert props(nerve, "disputed") == []


def test_code_valued_properties_point_to_concepts_of_the_code_system(code_system: dict,
                                                                       concepts: dict[str, dict]) -> None:
    declared = {p["code"]: p["type"] for p in code_system["property"]}
    for concept in concepts.values():
        for p in concept["property"]:
            assert p["code"] in declared, p
            kind = next(k for k in p if k.startswith("value"))
            assert kind == "value" + declared[p["code"]][0].upper() + declared[p["code"]][1:], (concept["code"], p)
            if kind == "valueCode":
                assert p["valueCode"] in concepts, (concept["code"], p)
    assert code_system["count"] == len(concepts)


def test_every_nerve_plexus_and_code_of_the_graph_is_a_concept(graph: Graph, concepts: dict[str, dict]) -> None:
    rows = graph.query(CRYO + "SELECT ?s WHERE { VALUES ?c { cryo:Nerve cryo:NervePlexus cryo:NerveGroup "
                              "cryo:AutonomicPlexus cryo:AutonomicGanglion cryo:ProcedureCode "
                              "cryo:AnatomicScope cryo:BodyRegion cryo:CodeFamily } ?s a ?c }")
    in_graph = {str(row.s) for row in rows}
    kinds = (*STRUCTURE_CLASSES, "ProcedureCode", "AnatomicScope", "BodyRegion", "CodeFamily")
    exported = {props(c, "iri")[0] for c in concepts.values() if props(c, "type")[0] in kinds}
    assert exported == in_graph and len(in_graph) > 130


def test_structure_value_sets_hold_the_assigned_structures(graph: Graph, by_id: dict[str, dict]) -> None:
    rows = graph.query(CRYO + """SELECT ?code ?structure WHERE {
        ?a a cryo:CodeAssignment ; cryo:structure ?structure ; cryo:assignedCode ?c ; cryo:technique ?t .
        ?c skos:notation ?code ; cryo:method ?t ; skos:broader ?family . ?family a cryo:CodeFamily }""")
    expected: dict[str, set[str]] = {}
    for row in rows:
        expected.setdefault(str(row.code), set()).add(str(row.structure).replace("https://w3id.org/cryokg/id/anatomy/",
                                                                               "anat:"))
    assert set(expected) == {"0440T", "0441T", "0442T"}
    for notation, structures in expected.items():
        include = by_id[f"structures-{notation}"]["compose"]["include"]
        assert {c["code"] for c in include[0]["concept"]} == structures
    family = by_id["code-family-cpt"]["compose"]["include"]
    assert family == [{"system": CPT_SYSTEM, "concept": [{"code": "0440T"}, {"code": "0441T"}, {"code": "0442T"}]}]


def test_disputes_are_shown_never_flattened(graph: Graph, by_id: dict[str, dict]) -> None:
    """Each disputed structure maps to every candidate code with 'relatedto', the reason and the sources."""
    elements = {e["code"]: e for e in by_id["structure-to-code-cryoablation"]["group"][0]["element"]}
    rows = graph.query(CRYO + """SELECT ?structure ?code ?kind (GROUP_CONCAT(STR(?src); separator=" ") AS ?sources)
        WHERE { ?a cryo:structure ?structure ; cryo:technique <https://w3id.org/cryokg/id/technique/cryoablation> ;
                   cryo:assignedCode/skos:notation ?code ; cryo:assignmentKind ?kind ;
                   <http://purl.org/dc/terms/source> ?src }
        GROUP BY ?structure ?code ?kind""")
    checked = {"definite": 0, "candidate": 0, "alternative": 0, "fallback": 0}
    for row in rows:
        element = elements[str(row.structure).replace("https://w3id.org/cryokg/id/anatomy/", "anat:")]
        target = next(t for t in element["target"] if t["code"] == str(row.code))
        kind = str(row.kind).rsplit("/", 1)[1]
        assert target["equivalence"] == ("wider" if kind == "definite" else "relatedto"), (element["code"], target)
        for source in str(row.sources).split():
            assert source in target["comment"], (element["code"], source)
        checked[kind] += 1
    assert checked["candidate"] >= 30 and checked["alternative"] >= 1 and checked["fallback"] >= 1 and checked["definite"] >= 60
    ambiguous = {str(s).replace("https://w3id.org/cryokg/id/anatomy/", "anat:")
                 for s in graph.subjects(CRYO_TERMS.codingAmbiguous, Literal(True))}
    assert ambiguous >= {"anat:suprascapular-nerve", "anat:obturator-nerve", "anat:greater-occipital-nerve"}
    for code in ambiguous:
        targets = elements[code]["target"]
        assert len(targets) >= 2 and all(t["equivalence"] == "relatedto" for t in targets), (code, targets)


def test_sssom_mappings_become_uberon_and_snomed_concept_maps(graph: Graph, by_id: dict[str, dict]) -> None:
    uberon, snomed = by_id["structure-to-uberon"]["group"][0], by_id["structure-to-snomed"]["group"][0]
    assert (uberon["source"], uberon["target"]) == (SYSTEM, UBERON_SYSTEM)
    assert (snomed["source"], snomed["target"]) == (SYSTEM, SNOMED_SYSTEM)
    rows = graph.query(CRYO + """SELECT ?s ?p ?o WHERE { ?m a cryo:MappingRecord ; cryo:mappingSubject ?s ;
        cryo:mappingPredicate ?p ; cryo:mappingObject ?o . ?s a ?type .
        VALUES ?type { cryo:Nerve cryo:NervePlexus cryo:BodyRegion } }""")
    expected = set()
    for row in rows:
        target = str(row.o)
        relation = {"exactMatch": "equivalent", "closeMatch": "inexact"}[str(row.p).rsplit("#", 1)[1]]
        subject = str(row.s).replace("https://w3id.org/cryokg/id/anatomy/", "anat:")
        if target.startswith("http://purl.obolibrary.org/obo/UBERON_"):
            expected.add(("uberon", subject, "UBERON:" + target.rsplit("_", 1)[1], relation))
        elif target.startswith("http://snomed.info/id/"):
            expected.add(("snomed", subject, target.rsplit("/", 1)[1], relation))
    found = {(name, e["code"], t["code"], t["equivalence"]) for name, group in (("uberon", uberon), ("snomed", snomed))
             for e in group["element"] for t in e["target"]}
    assert found == expected and len(found) > 60
    inexact = [t for g in (uberon, snomed) for e in g["element"] for t in e["target"] if t["equivalence"] == "inexact"]
    assert inexact and all(t.get("comment") for t in inexact), "an inexact mapping must say why (FHIR R4 rule)"
    assert not [t for e in snomed["element"] for t in e["target"] if "display" in t]


def test_export_command_writes_what_the_build_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--format", "fhir", "--release", str(ROOT / "build"), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    bundle = json.loads((ROOT / "build" / "exports" / "fhir" / "bundle.json").read_text(encoding="utf-8"))
    assert f"{len(bundle['entry'])} resources" in out
    for path in (ROOT / "build" / "exports" / "fhir").glob("*.json"):
        assert (tmp_path / "fhir" / path.name).read_bytes() == path.read_bytes(), path.name


def test_every_resource_is_dated_by_the_latest_check_of_its_content(resources: list[dict], graph: Graph) -> None:
    """A resource's ``date`` is the day the newest fact was checked (sources' cryo:checkedOn, mappings' dates):
    the content's date, the same on every rebuild, and not one fixed day."""
    rows = graph.query("PREFIX cryo: <https://w3id.org/cryokg/def/> "
                       "SELECT (MAX(STR(?d)) AS ?latest) WHERE { ?s cryo:checkedOn|cryo:mappingDate ?d }")
    latest = str(next(iter(rows))[0])
    assert len(latest) == 10 and latest.startswith("20"), latest
    assert {r.get("date") for r in resources if r["resourceType"] in ("CodeSystem", "ValueSet", "ConceptMap")} \
        == {latest}
    newer = graph + Graph()
    newer.add((next(iter(graph.subjects(CRYO_TERMS.checkedOn, None))), CRYO_TERMS.checkedOn,
               Literal("2099-01-31", datatype=XSD.date)))
    assert {r.get("date") for r in build_resources(newer, version="0.1.0") if "date" in r} == {"2099-01-31"}
