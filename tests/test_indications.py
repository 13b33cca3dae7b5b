"""Every ICD-10-CM code and code range in the graph, checked against the CDC/CMS code set that the maintained
package simple-icd-10-cm ships (not a hand-made list): the code exists, is written with its dot, is a category or
billable code as the graph says (cryo:billable), and carries the code set's own title. Each code also names a payer
or contractor source, because codes enter the graph only from a policy's or article's code table."""

from __future__ import annotations

import pytest
import simple_icd_10_cm as cm
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS
from tests.conftest import SOURCES

from cryokg.namespaces import CRYO
from cryokg.sources.load import load_sources

PAYER_KIND = URIRef("https://w3id.org/cryokg/id/source-kind/payer")


def _graph() -> Graph:
    return load_sources(SOURCES).graph


GRAPH = _graph()
CODES = sorted(GRAPH.subjects(RDF.type, CRYO.DiagnosisCode), key=str)
RANGES = sorted(GRAPH.subjects(RDF.type, CRYO.DiagnosisCodeRange), key=str)


def code_problems(notation: str, billable: bool | None, label: str | None) -> list[str]:
    """What is wrong with one diagnosis code of the graph, judged by the ICD-10-CM code set."""
    if not cm.is_valid_item(notation):
        return [f"{notation} is not an ICD-10-CM code"]
    problems = []
    if not cm.is_category_or_subcategory(notation):
        problems.append(f"{notation} is a chapter or block, not a code")
    if cm.add_dot(cm.remove_dot(notation)) != notation:
        problems.append(f"{notation} is not written with its dot: {cm.add_dot(cm.remove_dot(notation))}")
    if billable is None or cm.is_leaf(notation) != billable:
        problems.append(f"{notation}: cryo:billable is {billable}, the code set says {cm.is_leaf(notation)}")
    if label != cm.get_description(notation):
        problems.append(f"{notation}: label {label!r} is not the code set's title {cm.get_description(notation)!r}")
    return problems


def test_the_graph_has_diagnosis_codes() -> None:
    assert CODES, "no cryo:DiagnosisCode in the graph"


@pytest.mark.parametrize("code", CODES, ids=lambda c: str(c).rsplit("/", 1)[-1])
def test_diagnosis_code_is_in_the_code_set(code: URIRef) -> None:
    notation = str(GRAPH.value(code, SKOS.notation))
    billable = GRAPH.value(code, CRYO.billable)
    labels = [lab for lab in GRAPH.objects(code, SKOS.prefLabel) if getattr(lab, "language", None) == "en"]
    problems = code_problems(notation, billable.toPython() if billable is not None else None,
                             str(labels[0]) if len(labels) == 1 else None)
    assert not problems, problems
    assert str(code).endswith("/" + notation), f"{code}: the IRI should end with the notation {notation}"


@pytest.mark.parametrize("code", CODES, ids=lambda c: str(c).rsplit("/", 1)[-1])
def test_diagnosis_code_comes_from_a_payer_code_table(code: URIRef) -> None:
    kinds = {GRAPH.value(source, CRYO.sourceKind) for source in GRAPH.objects(code, DCTERMS.source)}
    assert PAYER_KIND in kinds, f"{code}: cite the payer policy or contractor article whose code table lists it"


def range_problems(start: str, end: str) -> list[str]:
    """What is wrong with a diagnosis code range: an end that is not a code, or a start after the end."""
    problems = [f"{n} is not an ICD-10-CM code" for n in (start, end)
                if not (cm.is_valid_item(n) and cm.is_category_or_subcategory(n))]
    if not problems and cm.get_index(start) > cm.get_index(end):
        problems.append(f"{start} comes after {end} in the code set")
    return problems


def test_diagnosis_code_ranges_are_in_the_code_set_and_in_order() -> None:
    problems = [f"{r}: {p}" for r in RANGES
                for p in range_problems(*(str(GRAPH.value(r, q)) for q in (CRYO.rangeStart, CRYO.rangeEnd)))]
    assert not problems, problems


@pytest.mark.parametrize(("start", "end", "expected"), [
    ("G57.60", "G57.63", []),
    ("G57.63", "G57.60", ["G57.63 comes after G57.60 in the code set"]),
    ("G57.60", "G57.69", ["G57.69 is not an ICD-10-CM code"]),
])
def test_the_range_check_catches_bad_ranges(start: str, end: str, expected: list[str]) -> None:
    assert range_problems(start, end) == expected


def test_every_indication_code_is_described() -> None:
    """Indications point only to diagnosis codes or ranges that the graph describes."""
    listed = set(GRAPH.objects(None, CRYO.diagnosisCode))
    undescribed = [c for c in listed if c not in set(CODES) | set(RANGES)]
    assert listed and not undescribed, undescribed


@pytest.mark.parametrize(("notation", "billable", "label", "expected"), [
    ("G57.62", True, "Lesion of plantar nerve, left lower limb", []),
    ("G57.6", True, "Lesion of plantar nerve", ["G57.6: cryo:billable is True, the code set says False"]),
    ("G57.62", True, "Morton's neuroma, left foot",
     ["G57.62: label \"Morton's neuroma, left foot\" is not the code set's title "
      "'Lesion of plantar nerve, left lower limb'"]),
    ("G5762", True, "Lesion of plantar nerve, left lower limb", ["G5762 is not written with its dot: G57.62"]),
    ("G57.69", True, "made up", ["G57.69 is not an ICD-10-CM code"]),
])
def test_the_check_catches_bad_codes(notation: str, billable: bool, label: str, expected: list[str]) -> None:
    """The check above fails for a wrong billable flag, a wrong title, a missing dot and an invented code."""
    assert code_problems(notation, billable, label) == expected
