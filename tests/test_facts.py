"""The facts of the public lay description of 0440T, each an ASK query over the asserted release.

Each fact is a basic graph pattern. ``test_fact_holds`` asks it on the release; ``test_fact_needs_its_triples``
removes exactly the triples that the pattern matches (``CONSTRUCT WHERE``) and checks the ASK then fails, so
every fact is carried by triples of its own and not by something incidental.
"""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal

from cryokg.namespaces import CRYO, PREFIXES, curie, id_namespace

PROLOGUE = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in PREFIXES.items())

FACTS: dict[str, str] = {
    "percutaneous": "code:0440T cryo:approach approach:percutaneous .",
    "minimally invasive": "code:0440T cryo:invasiveness invasiveness:minimally-invasive .",
    "cryoablation is the method": "code:0440T cryo:method tech:cryoablation .",
    "done to relieve chronic nerve pain":
        "code:0440T cryo:indication indication:chronic-nerve-pain . indication:chronic-nerve-pain a cryo:Indication .",
    "imaging guidance is included, for precise targeting":
        "code:0440T cryo:includesGuidance ?g . ?g a cryo:ImagingGuidance ; cryo:purpose purpose:precise-targeting .",
    "one or more cryoprobes":
        "code:0440T cryo:usesDevice device:cryoprobe ; cryo:minimumDeviceCount 1 . device:cryoprobe a cryo:Device .",
    "a cryoprobe is a hollow cannula with a smaller inner lumen that delivers the coolant":
        "device:cryoprobe cryo:hasPart ?cannula , ?lumen . ?cannula cryo:hollow true . "
        "?lumen cryo:insideOf ?cannula ; cryo:smallerThan ?cannula ; cryo:conveys ?coolant . "
        "code:0440T cryo:coolant ?coolant .",
    "the coolant may be helium, argon or liquid nitrogen":
        "code:0440T cryo:coolant agent:helium , agent:argon , agent:liquid-nitrogen . "
        "agent:helium a cryo:Coolant . agent:argon a cryo:Coolant . agent:liquid-nitrogen a cryo:Coolant .",
    "aim: destroy the myelin sheath, interrupting pain signals to the brain":
        "code:0440T cryo:intendedEffect ?e ; cryo:targetStructure anat:myelin-sheath . "
        "?e cryo:actsOn anat:myelin-sheath ; cryo:leadsTo effect:pain-signal-interruption .",
    "steps in order, with optional nerve-stimulation check":
        "code:0440T cryo:hasStep ?s1 , ?s2 , ?s3 , ?s4 , ?s5 , ?s6 . "
        "?s1 cryo:stepOrder 1 ; cryo:optionalStep false ; cryo:stepDevice device:cryoprobe ; "
        "    cryo:stepGuidance guidance:imaging-guidance ; cryo:nextStep ?s2 . "
        "?s2 cryo:stepOrder 2 ; cryo:optionalStep true ; cryo:purpose purpose:placement-confirmation ; cryo:nextStep ?s3 . "
        "?s3 cryo:stepOrder 3 ; cryo:optionalStep false ; cryo:stepDevice device:cryoprobe-inner-lumen ; cryo:nextStep ?s4 . "
        "?s4 cryo:stepOrder 4 ; cryo:optionalStep false ; cryo:nextStep ?s5 . "
        "?s5 cryo:stepOrder 5 ; cryo:optionalStep false ; cryo:stepDevice device:cryoprobe-cannula ; cryo:nextStep ?s6 . "
        "?s6 cryo:stepOrder 6 ; cryo:optionalStep false ; cryo:stepDevice device:cryoprobe .",
    "0440T covers an upper-limb distal/peripheral nerve":
        "code:0440T cryo:anatomicScope ?s . ?s cryo:scopeRegion anat:upper-limb ; cryo:scopeStructureType cryo:Nerve .",
    "0441T is a sibling covering a lower-limb distal/peripheral nerve":
        "code:0440T skos:broader ?family . code:0441T skos:broader ?family . ?family a cryo:CodeFamily . "
        "code:0441T cryo:anatomicScope ?s . ?s cryo:scopeRegion anat:lower-limb ; cryo:scopeStructureType cryo:Nerve .",
    "0442T is a sibling covering a plexus or truncal nerve, e.g. brachial plexus and pudendal nerve":
        "code:0440T skos:broader ?family . code:0442T skos:broader ?family . ?family a cryo:CodeFamily . "
        "code:0442T cryo:anatomicScope ?s . ?s cryo:scopeStructureType cryo:NervePlexus , cryo:Nerve ; "
        "cryo:scopeExample anat:brachial-plexus , anat:pudendal-nerve . "
        "anat:brachial-plexus a cryo:NervePlexus . anat:pudendal-nerve a cryo:Nerve .",
}


def _ask(graph: Graph, pattern: str) -> bool:
    return bool(graph.query(f"{PROLOGUE}ASK WHERE {{ {pattern} }}").askAnswer)


@pytest.mark.parametrize("name", FACTS)
def test_fact_holds(graph: Graph, name: str) -> None:
    assert _ask(graph, FACTS[name]), f"fact missing from the release: {name}"


@pytest.mark.parametrize("name", FACTS)
def test_fact_needs_its_triples(graph: Graph, name: str) -> None:
    pattern = FACTS[name]
    carrying = set(graph.query(f"{PROLOGUE}CONSTRUCT WHERE {{ {pattern} }}"))
    assert carrying, name
    reduced = Graph()
    for triple in graph:
        if triple not in carrying:
            reduced.add(triple)
    assert not _ask(reduced, pattern), f"{name}: still holds after removing its {len(carrying)} triples"


# --- the siblings share everything else and differ only in anatomic scope ---------------------------------

NOT_ATTRIBUTES = {"skos:prefLabel", "skos:altLabel", "skos:notation", "skos:definition", "dcterms:source",
                  "cryo:codeStatus"}


def attributes(graph: Graph, notation: str) -> set[tuple[str, str]]:
    """The defining (property, value) pairs of a code: everything but names, notes, sources and status."""
    rows = graph.query(f"{PROLOGUE}SELECT ?p ?o WHERE {{ ?c skos:notation ?n ; ?p ?o . FILTER(STR(?n) = ?code) }}",
                       initBindings={"code": Literal(notation)})
    return {(curie(str(p)), str(o)) for p, o in rows if curie(str(p)) not in NOT_ATTRIBUTES}


def differing(graph: Graph, a: str, b: str) -> set[str]:
    left, right = attributes(graph, a), attributes(graph, b)
    return {p for p, _ in left ^ right}


@pytest.mark.parametrize(("a", "b"), [("0440T", "0441T"), ("0440T", "0442T"), ("0441T", "0442T")])
def test_siblings_differ_only_in_anatomic_scope(graph: Graph, a: str, b: str) -> None:
    assert attributes(graph, a), a
    assert differing(graph, a, b) == {"cryo:anatomicScope"}


def test_sibling_comparison_detects_a_lost_attribute(graph: Graph) -> None:
    reduced = Graph()
    lost = (id_namespace("code")["0441T"], CRYO.coolant, id_namespace("agent")["argon"])
    for triple in graph:
        if triple != lost:
            reduced.add(triple)
    assert differing(reduced, "0440T", "0441T") == {"cryo:anatomicScope", "cryo:coolant"}
