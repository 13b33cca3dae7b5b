"""The acceptance set for `cryokg claim` (tests/data/claim_notes.toml) is consistent with the built graph: every node
it cites exists and is what the expectation needs (an assignment of that nerve to that code, a gap on that aspect of
that code, a position of that payer), every source is a described cryo:Source that one of the cited nodes really
names, every diagnosis expectation agrees with the ICD-10-CM code set and with the codes the graph's policies list,
and every expected finding is one the named check can give. This tests the expectations, not the command."""

from __future__ import annotations

import copy
import tomllib
from functools import cache
from pathlib import Path

import pytest
import simple_icd_10_cm as cm
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SH, SKOS

from cryokg.namespaces import CRYO

ROOT = Path(__file__).resolve().parents[1]
NOTES_FILE = ROOT / "tests" / "data" / "claim_notes.toml"
DATA = tomllib.loads(NOTES_FILE.read_text(encoding="utf-8"))
NOTES = DATA["note"]
ISSUE_EXAMPLES = {"issue-example:genicular-left-knee", "issue-example:intercostal-bilateral",
                  "issue-example:superficial-radial-76942", "issue-example:pudendal", "issue-example:site-not-covered"}
PROGRAM_CHECKS = {"program:invalid-diagnosis": "Violation", "program:non-billable-diagnosis": "Violation",
                  "program:site-not-covered": "Warning"}
SEVERITIES = {"Violation", "Warning", "Info"}
CRYOABLATION = URIRef("https://w3id.org/cryokg/id/technique/cryoablation")
AGAINST_KINDS = {"not-covered", "category-iii-not-covered-unless-policy"}


@cache
def shapes() -> Graph:
    graph = Graph()
    for path in sorted((ROOT / "ontology" / "shapes").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def iri(curie: str) -> URIRef:
    prefix, _, local = curie.partition(":")
    return URIRef(DATA["prefixes"][prefix] + local)


def source(name: str) -> URIRef:
    assert name.startswith("src:"), f"{name}: sources are written src:NAME"
    return URIRef(DATA["sources"][name[4:]])


def notation_of(graph: Graph, node: URIRef) -> str | None:
    value = graph.value(node, SKOS.notation)
    return None if value is None else str(value)


def code_node(graph: Graph, notation: str) -> URIRef | None:
    for node in graph.subjects(SKOS.notation, Literal(notation)):
        if (node, RDF.type, CRYO.ProcedureCode) in graph:
            return node  # type: ignore[return-value]
    return None


def applies_to(graph: Graph, node: URIRef, notation: str) -> bool:
    code = code_node(graph, notation)
    return code is not None and (node, CRYO.appliesTo, code) in graph


def listed_diagnoses(graph: Graph) -> set[str]:
    """ICD-10-CM codes that an indication named by some position lists (what cryosh:DiagnosisNotNamedByPolicy uses)."""
    named = {i for p in (CRYO.coversIndication, CRYO.doesNotCoverIndication, CRYO.mentionsIndication, CRYO.namesIndication)
             for i in graph.objects(None, p)}
    return {str(graph.value(code, SKOS.notation)).upper() for ind in named
            for code in graph.objects(ind, CRYO.diagnosisCode) if (code, RDF.type, CRYO.DiagnosisCode) in graph}


def units_stated(graph: Graph, notation: str) -> bool:
    """Whether a cryo:ReportingRule or cryo:ReportingGap of the graph is about the units of the code."""
    return any(applies_to(graph, node, notation) and notation_of(graph, graph.value(node, CRYO.ruleAspect)) == "units"
               for kind in (CRYO.ReportingRule, CRYO.ReportingGap) for node in graph.subjects(RDF.type, kind))


def shape_severity(name: str) -> str | None:
    node = iri(name)
    if (node, RDF.type, SH.NodeShape) not in shapes():
        return None
    severity = shapes().value(node, SH.severity)
    return "Violation" if severity is None else str(severity).rsplit("#", 1)[-1]


def note_problems(note: dict, graph: Graph) -> list[str]:
    """Everything in one note that the graph (or the ICD-10-CM code set) does not bear out."""
    problems: list[str] = []

    def exists(curie: str, where: str) -> URIRef | None:
        node = iri(curie)
        if (node, None, None) not in graph:
            problems.append(f"{where}: {curie} is not in the graph")
            return None
        return node

    def check_sources(entry: dict, cited: list[str], where: str) -> None:
        names = entry.get("sources", [])
        if not names:
            problems.append(f"{where}: no sources")
        named_by_nodes = {s for c in cited if (iri(c), None, None) in graph for s in graph.objects(iri(c), DCTERMS.source)}
        for name in names:
            url = source(name)
            if (url, RDF.type, CRYO.Source) not in graph or graph.value(url, CRYO.checkedOn) is None:
                problems.append(f"{where}: {name} is not a described, checked cryo:Source")
            elif url not in named_by_nodes:
                problems.append(f"{where}: {name} is not a dcterms:source of any of {cited}")

    def gap_on(curie: str, codes: list[str], aspect: str | None, where: str) -> None:
        node = exists(curie, where)
        if node is None:
            return
        if (node, RDF.type, CRYO.ReportingGap) not in graph:
            problems.append(f"{where}: {curie} is not a cryo:ReportingGap")
        if not any(applies_to(graph, node, c) for c in codes):
            problems.append(f"{where}: {curie} does not apply to {codes}")
        if aspect and notation_of(graph, graph.value(node, CRYO.ruleAspect)) != aspect:
            problems.append(f"{where}: {curie} is not about {aspect}")

    # --- payer, setting, positions ---------------------------------------------------------------------------
    payer = None
    if "payer" in note:
        payers = [o for o in graph.subjects(SKOS.notation, Literal(note["payer"]))
                  if any(CRYO.Organization in set(graph.transitive_objects(t, RDFS.subClassOf))
                         for t in graph.objects(o, RDF.type))]
        payer = payers[0] if len(payers) == 1 else None
        if payer is None:
            problems.append(f"payer {note['payer']!r} is not the notation of one cryo:Organization")
    if "setting" in note and not any((s, RDF.type, CRYO.CareSetting) in graph
                                     for s in graph.subjects(SKOS.notation, Literal(note["setting"]))):
        problems.append(f"setting {note['setting']!r} is not the notation of a cryo:CareSetting")
    for field in ("positions", "retired"):
        for curie in note.get(field, []):
            node = exists(curie, field)
            if node is not None and (payer is None or (node, CRYO.issuedBy, payer) not in graph):
                problems.append(f"{field}: {curie} is not a position issued by the note's payer")
            if node is not None and field == "retired" and graph.value(node, CRYO.effectiveUntil) is None:
                problems.append(f"retired: {curie} has no cryo:effectiveUntil")
    for curie in note.get("conflicting", []):
        node = exists(curie, "conflicting")
        if node is not None and (node, RDF.type, CRYO.PayerPosition) not in graph:
            problems.append(f"conflicting: {curie} is not a cryo:PayerPosition")

    # --- lines -----------------------------------------------------------------------------------------------
    findings = note.get("finding", [])
    unknown_codes = {f.get("code") for f in findings if f["check"] == "cryosh:UnknownCode"}
    for number, line in enumerate(note.get("line", []), 1):
        where = f"line {number} ({line['code']})"
        codes = line.get("candidates", []) if line["code"] == "ambiguous" else [line["code"]]
        for code in codes:
            if code in unknown_codes:
                if code_node(graph, code) is not None:
                    problems.append(f"{where}: {code} is expected to be unknown but the graph has it")
            elif code_node(graph, code) is None:
                problems.append(f"{where}: {code} is not a code of the graph")
        for curie in line.get("why", []):
            exists(curie, where)
        if line["origin"] not in ("derived", "note"):
            problems.append(f"{where}: origin is derived or note")
        # nerves: each one's cryoablation assignments give exactly this code (or these candidates)
        for nerve in line.get("nerves", []):
            node = exists(nerve, where)
            if node is None or line["origin"] != "derived":
                continue
            assigned = {(notation_of(graph, graph.value(a, CRYO.assignedCode)),
                         str(graph.value(a, CRYO.assignmentKind)).rsplit("/", 1)[-1])
                        for a in graph.subjects(CRYO.structure, node) if (a, CRYO.technique, CRYOABLATION) in graph}
            family = {c for c, k in assigned if k in ("definite", "candidate", "fallback")}  # the graph's answers
            if line["code"] == "ambiguous":
                if {c for c, k in assigned if k == "candidate"} != set(codes):
                    problems.append(f"{where}: {nerve} has candidates {sorted(assigned)}, not {codes}")
            elif family != set(codes):
                problems.append(f"{where}: {nerve} is assigned {sorted(assigned)}, not {codes}")
        # units and modifiers: a number or modifiers from the graph, or "unknown" because of a gap - or, with no
        # units_because, because the graph holds neither a rule nor a gap on units for any of the codes
        if line["units"] == "unknown" and "units_because" in line:
            gap_on(line["units_because"], codes, "units", where)
        elif line["units"] == "unknown":
            stated = [c for c in codes if units_stated(graph, c)]
            if stated:
                problems.append(f"{where}: units \"unknown\" without units_because, but the graph has a rule or gap "
                                f"on units of {stated}")
        elif not (isinstance(line["units"], int) and line["units"] >= 1):
            problems.append(f"{where}: units is a positive integer or \"unknown\"")
        if line["modifiers"] == "unknown":
            for curie in line.get("modifiers_because", []) or ["(none)"]:
                gap_on(curie, codes, None, where)
        else:
            for mod in line["modifiers"]:
                if not any((m, RDF.type, CRYO.Modifier) in graph for m in graph.subjects(SKOS.notation, Literal(mod))):
                    problems.append(f"{where}: modifier {mod} is not a cryo:Modifier of the graph")
        for curie in line.get("caveats", []):
            gap_on(curie, codes, None, where)
        for dx in line.get("dx", []):
            if dx not in note.get("dx", []):
                problems.append(f"{where}: links {dx}, which the note does not give")
        cited = (line.get("why", []) + line.get("caveats", []) + line.get("modifiers_because", [])
                 + ([line["units_because"]] if "units_because" in line else []))
        check_sources(line, cited, where)

    for entry in note.get("not_proposed", []):
        where = f"not proposed {entry['code']}"
        node = exists(entry["because"], where)
        if node is not None and not applies_to(graph, node, entry["code"]):
            problems.append(f"{where}: {entry['because']} does not apply to {entry['code']}")
        check_sources(entry, [entry["because"]], where)
    for entry in note.get("alternative", []):
        where = f"alternative {entry['code']}"
        nodes = [exists(c, where) for c in entry["why"] + entry.get("because", [])]
        code = code_node(graph, entry["code"])
        if code is None or not any(n is not None and ((n, CRYO.assignedCode, code) in graph
                                                      or (n, CRYO.preferredCode, code) in graph) for n in nodes):
            problems.append(f"{where}: no assignment or position in why argues for {entry['code']}")
        check_sources(entry, entry["why"] + entry.get("because", []), where)

    # --- diagnoses: the expected findings follow from the code set and the graph's listed codes -----------------
    listed = listed_diagnoses(graph)
    expected = {(f["check"], f.get("value")) for f in findings}
    for dx in note.get("dx", []):
        if not cm.is_valid_item(dx):
            want, unwanted = ("program:invalid-diagnosis", dx), ("cryosh:DiagnosisNotNamedByPolicy", dx)
        elif not cm.is_leaf(dx):
            want, unwanted = ("program:non-billable-diagnosis", dx), ("cryosh:DiagnosisNotNamedByPolicy", dx)
        elif dx.upper() in listed:
            want, unwanted = None, ("cryosh:DiagnosisNotNamedByPolicy", dx)
        else:
            want, unwanted = ("cryosh:DiagnosisNotNamedByPolicy", dx), None
        if want and want not in expected:
            problems.append(f"dx {dx}: expected finding {want[0]} is missing")
        if unwanted and unwanted in expected:
            problems.append(f"dx {dx}: {unwanted[0]} cannot be reported for it")

    # --- findings --------------------------------------------------------------------------------------------
    line_codes = {c for line in note.get("line", []) for c in line.get("candidates", [line["code"]])}
    for finding in findings:
        where = f"finding {finding['check']} {finding.get('code') or finding.get('value')}"
        severity = PROGRAM_CHECKS.get(finding["check"]) or shape_severity(finding["check"])
        if severity is None:
            problems.append(f"{where}: not a shape of ontology/shapes nor a program check")
        elif finding["severity"] != severity:
            problems.append(f"{where}: {finding['check']} reports a {severity}, not a {finding['severity']}")
        about = exists(finding["about"], where)
        check_sources(finding, [finding["about"]], where)
        code = finding.get("code")
        units = {line["code"]: line["units"] for line in note.get("line", [])}
        if about is None:
            continue
        if finding["check"] == "cryosh:BundledImagingGuidance":
            guidance = code_node(graph, code)
            if guidance is None or (about, CRYO.notReportedWith, guidance) not in graph or not any(
                    applies_to(graph, about, c) for c in line_codes):
                problems.append(f"{where}: {finding['about']} does not bar {code} next to {sorted(line_codes)}")
        elif finding["check"] in ("cryosh:UnitsAboveRule", "cryosh:UnitsAboveStatedMaximum"):
            limit = graph.value(about, CRYO.unitsPerLine if finding["check"] == "cryosh:UnitsAboveRule" else CRYO.maxUnits)
            if limit is None or not applies_to(graph, about, code) or not isinstance(units.get(code), int) \
                    or units[code] <= limit.toPython():
                problems.append(f"{where}: {finding['about']} sets no limit that {units.get(code)} units of {code} exceed")
        elif finding["check"] == "cryosh:PayerPositionAgainstCode":
            node = code_node(graph, code)
            kind = notation_of(graph, graph.value(about, CRYO.positionKind))
            categories = set(graph.objects(about, CRYO.appliesToCategory))
            techniques = set(graph.objects(about, CRYO.appliesToTechnique))
            covers = node is not None and (
                (about, CRYO.rejectedCode, node) in graph
                or (kind in AGAINST_KINDS and ((about, CRYO.appliesTo, node) in graph
                                               or graph.value(node, CRYO.codeCategory) in categories
                                               or graph.value(node, CRYO.method) in techniques)))
            if payer is None or (about, CRYO.issuedBy, payer) not in graph or not covers \
                    or graph.value(about, CRYO.effectiveUntil) is not None:
                problems.append(f"{where}: {finding['about']} is not a position of the payer in force against {code}")
        elif finding["check"] == "cryosh:CodeOutsidePaidSettings":
            settings = {notation_of(graph, s) for s in graph.objects(about, CRYO.paidInSetting)}
            if not settings or note.get("setting") in settings or not applies_to(graph, about, code):
                problems.append(f"{where}: {finding['about']} does not exclude setting {note.get('setting')} for {code}")
        elif finding["check"] == "program:site-not-covered":
            site = str(finding.get("value", "")).lower()
            covered = {str(lab).lower() for a in graph.subjects(RDF.type, CRYO.CodeAssignment)
                       for s in graph.objects(a, CRYO.structure) for p in (SKOS.prefLabel, SKOS.altLabel)
                       for lab in graph.objects(s, p)}
            if site not in {s.lower() for s in note.get("unresolved_sites", [])} or site in covered:
                problems.append(f"{where}: {site!r} is a site the graph codes, or not listed as unresolved")
    if note["conforms"] != (not any(f["severity"] == "Violation" for f in findings)):
        problems.append("conforms does not match the Violations expected")
    return problems


# --- the tests -----------------------------------------------------------------------------------------------

def test_at_least_40_notes_with_unique_ids() -> None:
    ids = [note["id"] for note in NOTES]
    assert len(ids) >= 40 and len(ids) == len(set(ids)), (len(ids), len(set(ids)))


def test_the_examples_of_issue_15_are_in_the_set() -> None:
    tags = {tag for note in NOTES for tag in note.get("tags", [])}
    assert tags >= ISSUE_EXAMPLES, ISSUE_EXAMPLES - tags


def test_the_set_varies_payers_settings_and_diagnoses() -> None:
    payers = {note["payer"] for note in NOTES if "payer" in note}
    settings = {note["setting"] for note in NOTES if "setting" in note}
    assert len(payers) >= 8 and settings == {"office", "asc", "hospital-outpatient"}, (payers, settings)
    assert len({dx for note in NOTES for dx in note.get("dx", [])}) >= 15


@pytest.mark.parametrize("note", NOTES, ids=lambda n: n["id"])
def test_note_is_consistent_with_the_graph(note: dict, graph: Graph) -> None:
    problems = note_problems(note, graph)
    assert not problems, f"{note['id']}:\n  " + "\n  ".join(problems)


def _mutated(note_id: str, change) -> dict:
    note = copy.deepcopy(next(n for n in NOTES if n["id"] == note_id))
    change(note)
    return note


@pytest.mark.parametrize(("name", "note", "expected"), [
    ("a source no cited node names",
     _mutated("pudendal-ct-argon", lambda n: n["line"][0]["sources"].append("src:aetna-0297")), "is not a dcterms:source"),
    ("a nerve given the wrong code",
     _mutated("pudendal-ct-argon", lambda n: n["line"][0].update(code="0441T")), "is assigned"),
    ("units guessed for a code with no rule",
     _mutated("pudendal-ct-argon", lambda n: n["line"][0].update(units="unknown", units_because="gap:c9809-units")),
     "does not apply to"),
    ("a diagnosis warning for a code a policy lists",
     _mutated("morton-left-anthem", lambda n: n["finding"].append(
         {"severity": "Warning", "check": "cryosh:DiagnosisNotNamedByPolicy", "value": "G57.62",
          "about": "indication:mortons-neuroma", "sources": ["src:anthem-cg-surg-25"]})), "cannot be reported"),
    ("a missing bundling Violation",
     _mutated("superficial-radial-us-76942-listed", lambda n: n.update(conforms=True)), "conforms does not match"),
    ("units left unknown without the gap that says why",
     _mutated("pudendal-ct-argon", lambda n: n["line"][0].pop("units_because")), "has a rule or gap on units"),
    ("a payer position that does not belong to the payer",
     _mutated("genicular-left-knee-anthem", lambda n: n["positions"].append("position:cgs-2022-cryoneurolysis")),
     "not a position issued by"),
])
def test_the_consistency_check_catches_bad_expectations(name: str, note: dict, expected: str, graph: Graph) -> None:
    assert any(expected in p for p in note_problems(note, graph)), name
