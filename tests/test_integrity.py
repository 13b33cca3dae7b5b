"""Integrity of the data, per entity: counts the issue asks for, sources on every fact, described sources,
and no descriptor text copied into labels. Messages name the entity and the fix."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS
from tests.conftest import SOURCES

from cryokg.namespaces import CRYO, DEFAULT_BASE
from cryokg.release.model import Release

FAMILY_NOTATIONS = {"0440T", "0441T", "0442T"}


def _instances(graph: Graph, *classes: URIRef) -> list[URIRef]:
    return sorted({s for c in classes for s in graph.subjects(RDF.type, c)}, key=str)


def _fact_bearing(graph: Graph) -> list[URIRef]:
    """Every described thing under id/ except the pure vocabulary-like individuals and generated records."""
    # the team's closed lists of values (kinds, lines of business, aspects, unit bases, settings) are defined by the
    # team, not by a source; cryosh:ControlledValueShape checks their labels, notations and definitions
    exempt_classes = {CRYO.SourceKind, CRYO.AssignmentKind, CRYO.LineOfBusiness, CRYO.PositionKind,
                      CRYO.ReportingAspect, CRYO.UnitBasis, CRYO.CareSetting}
    nodes = []
    for s in set(graph.subjects(RDF.type, None)):
        if not str(s).startswith(DEFAULT_BASE + "id/") or str(s).startswith(DEFAULT_BASE + "id/dataset/"):
            continue
        if set(graph.objects(s, RDF.type)) & exempt_classes:
            continue
        nodes.append(s)
    return sorted(nodes, key=str)


def test_at_least_60_nerves_and_plexuses(graph: Graph) -> None:
    structures = _instances(graph, CRYO.Nerve, CRYO.NervePlexus)
    assert len(structures) >= 60, f"only {len(structures)} nerves and plexuses; the release needs 60 or more"


def test_at_least_12_related_codes(graph: Graph) -> None:
    related = [c for c in _instances(graph, CRYO.ProcedureCode)
               if str(graph.value(c, SKOS.notation)) not in FAMILY_NOTATIONS]
    assert len(related) >= 12, f"only {len(related)} related codes"


def test_every_structure_says_where_it_lies(graph: Graph) -> None:
    missing = [s for s in _instances(graph, CRYO.Nerve, CRYO.NervePlexus) if graph.value(s, CRYO.locatedIn) is None]
    assert not missing, f"add cryo:locatedIn to: {missing}"


def test_every_fact_bearing_node_has_a_source(graph: Graph) -> None:
    unsourced = [n for n in _fact_bearing(graph) if graph.value(n, DCTERMS.source) is None]
    assert not unsourced, f"add dcterms:source <URL> to: {unsourced}"


def test_every_cited_source_is_described_with_a_check_date(graph: Graph) -> None:
    cited = sorted(set(graph.objects(None, DCTERMS.source)), key=str)
    assert cited
    undescribed = [u for u in cited if graph.value(u, CRYO.checkedOn) is None or (u, RDF.type, CRYO.Source) not in graph]
    assert not undescribed, f"describe these sources in ontology/data/sources.ttl (cryo:Source, cryo:checkedOn): {undescribed}"


def test_sources_are_public_urls(graph: Graph) -> None:
    bad = [u for u in set(graph.objects(None, DCTERMS.source)) if not str(u).startswith(("https://", "http://"))]
    assert not bad, bad


def test_every_resource_has_english_label_and_definition(graph: Graph) -> None:
    problems = []
    for node in _fact_bearing(graph):
        if (node, RDF.type, CRYO.MappingRecord) in graph:
            continue
        labels = [lab for lab in graph.objects(node, SKOS.prefLabel) if getattr(lab, "language", None) == "en"]
        if len(labels) != 1:
            problems.append(f"{node}: {len(labels)} English prefLabels")
        if graph.value(node, SKOS.definition) is None:
            problems.append(f"{node}: no skos:definition")
    assert not problems, problems[:10]


FORBIDDEN_DESCRIPTOR_FRAGMENTS = (
    "Ablation, percutaneous, cryoablation",
    "includes imaging guidance; upper extremity",
    "Destruction by neurolytic agent; other peripheral nerve",
)


def test_no_cpt_descriptor_text_in_literals(graph: Graph) -> None:
    copied = [(s, o) for s, _p, o in graph
              if hasattr(o, "language") and any(f.lower() in str(o).lower() for f in FORBIDDEN_DESCRIPTOR_FRAGMENTS)]
    assert not copied, f"write these in your own words: {copied}"


def test_vocabulary_terms_have_label_definition_and_are_defined_by_the_ontology(graph: Graph) -> None:
    from rdflib.namespace import RDFS

    terms = sorted({s for s in graph.subjects() if str(s).startswith(str(CRYO))}, key=str)
    assert len(terms) > 50
    problems = [t for t in terms if graph.value(t, RDFS.label) is None or graph.value(t, SKOS.definition) is None
                or graph.value(t, RDFS.isDefinedBy) is None]
    assert not problems, f"give these terms rdfs:label, skos:definition and rdfs:isDefinedBy: {problems}"


@pytest.mark.parametrize("notation", sorted(FAMILY_NOTATIONS))
def test_family_codes_are_category_iii_concepts(graph: Graph, notation: str) -> None:
    codes = list(graph.subjects(SKOS.notation, Literal(notation)))
    assert len(codes) == 1
    code = codes[0]
    assert (code, RDF.type, CRYO.ProcedureCode) in graph
    assert graph.value(code, SKOS.inScheme) is not None
    assert str(graph.value(code, CRYO.codeCategory)).endswith("cpt-category-iii")
    assert notation.endswith("T")


def test_release_fixture_uses_project_sources(release: Release) -> None:
    assert all(str(p).startswith(str(SOURCES)) for p in release.sources.files)
