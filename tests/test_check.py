"""`cryokg check`: a coder's codes for one session, checked against the graph's own coding rules.

Expectations are derived from the graph (its bundling rules, families, scopes and assignments), not written
down, so the tests follow the data as it grows and fail if the checker stops consulting it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from cryokg.answer.claims import check_claim, load_knowledge_graph, nearest_code, site_structures
from cryokg.cli import main
from cryokg.errors import BadInput
from cryokg.namespaces import CRYO

ROOT = Path(__file__).resolve().parents[1]
TECH_CRYOABLATION = URIRef("https://w3id.org/cryokg/id/technique/cryoablation")
DEFINITE = URIRef("https://w3id.org/cryokg/id/assignment-kind/definite")


@pytest.fixture(scope="module")
def kg() -> Graph:
    return load_knowledge_graph(sources_dir=ROOT / "ontology")


@pytest.fixture(scope="module")
def release_file(kg: Graph, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("release") / "cryokg.ttl"
    kg.serialize(path, format="turtle")
    return path


def notation(graph: Graph, code: URIRef) -> str:
    return str(graph.value(code, SKOS.notation))


def code_of(graph: Graph, text: str) -> URIRef:
    return next(graph.subjects(SKOS.notation, Literal(text)))


def family_members(graph: Graph, code_text: str) -> list[URIRef]:
    family = next(f for f in graph.objects(code_of(graph, code_text), SKOS.broader)
                  if (f, RDF.type, CRYO.CodeFamily) in graph)
    return sorted(graph.subjects(SKOS.broader, family), key=lambda c: notation(graph, c))


def bundled_pair(graph: Graph) -> tuple[str, str, URIRef]:
    """A family code that includes guidance, a guidance code its bundling rule excludes, and the rule."""
    for rule in sorted(graph.subjects(RDF.type, CRYO.BundlingRule)):
        primary = graph.value(rule, CRYO.appliesTo)
        if (primary, SKOS.broader, None) in graph and (primary, CRYO.includesGuidance, None) in graph:
            excluded = sorted(graph.objects(rule, CRYO.notReportedWith))[0]
            return notation(graph, primary), notation(graph, excluded), rule
    raise AssertionError("the graph has no bundling rule for a family code")


def definite_site(graph: Graph) -> tuple[str, str, list[str]]:
    """A nerve with a definite cryoablation family code: (a label of it, that code, its siblings)."""
    for assignment in sorted(graph.subjects(CRYO.assignmentKind, DEFINITE)):
        code = graph.value(assignment, CRYO.assignedCode)
        if graph.value(assignment, CRYO.technique) == TECH_CRYOABLATION and (code, SKOS.broader, None) in graph:
            nerve = graph.value(assignment, CRYO.structure)
            label = str(graph.value(nerve, SKOS.prefLabel))
            siblings = [notation(graph, c) for c in family_members(graph, notation(graph, code)) if c != code]
            return label, notation(graph, code), siblings
    raise AssertionError("no definite cryoablation assignment in the graph")


# --- the three cases the issue names -----------------------------------------------------------------------

def test_guidance_code_on_top_of_a_code_that_includes_guidance_is_flagged(kg, release_file, capsys) -> None:
    primary, guidance_code, rule = bundled_pair(kg)
    assert main(["check", primary, guidance_code, "--graph", str(release_file)]) == 1
    out = capsys.readouterr().out
    assert "Violation" in out and guidance_code in out
    report = check_claim([primary, guidance_code], graph=kg)
    [finding] = [f for f in report.findings if f.severity == "Violation"]
    assert finding.code == guidance_code and finding.rule == "cryosh:BundledImagingGuidance"
    assert primary in finding.message
    assert {str(s) for s in kg.objects(rule, DCTERMS.source)} <= set(finding.sources)


def test_0440T_alone_is_clean(release_file, capsys) -> None:
    assert main(["check", "0440T", "--graph", str(release_file)]) == 0
    assert "clean" in capsys.readouterr().out


def test_0443T_is_an_error_that_points_to_the_family(kg, release_file, capsys) -> None:
    members = [notation(kg, c) for c in family_members(kg, "0442T")]
    assert "0443T" not in members
    assert main(["check", "0443T", "--json", "--graph", str(release_file)]) == 1
    report = json.loads(capsys.readouterr().out)
    [finding] = report["findings"]
    assert finding["severity"] == "Violation" and finding["rule"] == "cryosh:UnknownCode"
    nearest = min(members, key=lambda m: abs(int(m[:4]) - 443))  # same letter, nearest number
    assert f"Did you mean {nearest}?" in finding["message"]
    assert all(m in finding["message"] for m in members), "the message lists the family's codes"
    family = next(kg.objects(code_of(kg, nearest), SKOS.broader))
    assert {str(s) for s in kg.objects(family, DCTERMS.source)} <= set(finding["sources"])


# --- JSON form and exit codes ----------------------------------------------------------------------------------

def test_json_has_exactly_the_documented_keys(kg, release_file, capsys) -> None:
    primary, guidance_code, _rule = bundled_pair(kg)
    assert main(["check", primary, guidance_code, "--json", "--graph", str(release_file)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"codes", "conforms", "findings", "technique", "technique_from", "site_structures",
                           "diagnoses", "payer", "setting", "source_titles"}
    assert report["codes"] == [primary, guidance_code] and report["conforms"] is False
    assert all(set(f) == {"code", "severity", "message", "rule", "sources", "value", "nodes"} for f in report["findings"])


def test_codes_are_trimmed_and_upper_cased(kg) -> None:
    assert check_claim([" 0440t "], graph=kg).codes == ["0440T"]


@pytest.mark.parametrize("argv", [["check", ""], ["check", "0440T", "--site", "  "],
                                  ["check", "0440T", "--graph", "/nonexistent/cryokg.ttl"]])
def test_bad_input_exits_2(argv, capsys) -> None:
    assert main(argv) == 2
    assert "error" in capsys.readouterr().err


def test_malformed_code(kg) -> None:
    report = check_claim(["44O0T"], graph=kg)  # letter O for zero
    [finding] = report.findings
    assert finding.rule == "cryosh:MalformedCode" and finding.severity == "Violation"
    assert not report.conforms


# --- sites and siblings ----------------------------------------------------------------------------------------

def test_site_matching_ignores_case_and_punctuation(kg) -> None:
    label, _code, _siblings = definite_site(kg)
    typed = label.upper().replace(" ", "-") + "."
    assert site_structures(typed, kg) == site_structures(label, kg) != []


def test_the_right_code_for_a_site_is_clean_and_a_sibling_is_flagged(kg) -> None:
    label, code, siblings = definite_site(kg)
    assert check_claim([code], site=label, graph=kg).findings == []
    wrong = check_claim([siblings[0]], site=label, graph=kg)
    assert [f.rule for f in wrong.findings] == ["cryosh:SiteOutsideScope"]
    assert wrong.findings[0].code == siblings[0] and wrong.findings[0].sources


def test_two_siblings_for_one_site_is_a_violation_without_a_site_a_warning(kg) -> None:
    label, code, siblings = definite_site(kg)
    with_site = check_claim([code, siblings[0]], site=label, graph=kg)
    assert "cryosh:SiblingCodesOneSite" in {f.rule for f in with_site.findings} and not with_site.conforms
    without = check_claim([code, siblings[0]], graph=kg)
    assert {f.rule for f in without.findings} == {"cryosh:SiblingCodesNoSite"}
    assert {f.severity for f in without.findings} == {"Warning"} and without.conforms


def test_unknown_site_is_bad_input_with_did_you_mean(kg, release_file, capsys) -> None:
    """A site that matches nothing is not checked and then called clean: it is an error (issue 14)."""
    with pytest.raises(BadInput, match="no nerve"):
        check_claim(["0440T"], site="no such structure anywhere", graph=kg)
    assert main(["check", "0440T", "64624", "--site", "zzqx nerve of nowhere", "--graph", str(release_file)]) == 2
    assert "did you mean" in capsys.readouterr().err


def test_nearest_code_prefers_same_letter_and_number() -> None:
    graph = Graph()
    for text in ("0440T", "0441T", "0442T", "64640"):
        node = URIRef(f"https://w3id.org/cryokg/id/code/{text}")
        graph.add((node, RDF.type, CRYO.ProcedureCode))
        graph.add((node, SKOS.notation, Literal(text)))
    assert nearest_code("0443T", graph) == "0442T"
    assert nearest_code("64641", graph) == "64640"
    assert nearest_code("99213", graph) is None


def test_the_release_file_is_what_gets_checked(kg, tmp_path, monkeypatch, capsys) -> None:
    """With build/cryokg.ttl in the working directory, check reads it: drop the bundling rules there and the
    guidance code is no longer flagged."""
    primary, guidance_code, _rule = bundled_pair(kg)
    stripped = Graph()
    for s, p, o in kg:
        if (s, RDF.type, CRYO.BundlingRule) not in kg:
            stripped.add((s, p, o))
    (tmp_path / "build").mkdir()
    stripped.serialize(tmp_path / "build" / "cryokg.ttl", format="turtle")
    monkeypatch.chdir(tmp_path)
    assert main(["check", primary, guidance_code]) == 0
    assert "clean" in capsys.readouterr().out


# --- issue 14: check never calls a claim clean that it could not verify ------------------------------------------

def test_issue_cases_are_not_clean(kg, release_file, capsys) -> None:
    """The three wrong claims issue 14 found called clean, and bad code text, as the CLI answers them."""
    assert main(["check", "0440T", "64624", "--site", "genicular nerve", "--graph", str(release_file)]) == 1
    out = capsys.readouterr().out
    assert "0440T does not cover the site" in out and "clean" not in out
    report = check_claim(["64624"], site="radial nerve", graph=kg)
    assert [(f.code, f.rule) for f in report.findings] == [("64624", "cryosh:SiteOutsideCodeScope")]
    assert report.findings[0].sources, "the scope's sources"
    assert main(["check", "abc", "--graph", str(release_file)]) == 2
    assert "not written like a code" in capsys.readouterr().err


def _rejections(kg: Graph) -> list[tuple[URIRef, str, URIRef]]:
    """(position, rejected code, technique) for every position in force that rejects a code for a technique."""
    found = []
    for position, code in sorted(kg.subject_objects(CRYO.rejectedCode)):
        if (position, CRYO.effectiveUntil, None) in kg:
            continue
        techniques = set(kg.objects(position, CRYO.appliesToTechnique)) | {
            m for c in kg.objects(position, CRYO.preferredCode) for m in kg.objects(c, CRYO.method)}
        found += [(position, notation(kg, code), t) for t in sorted(techniques)]
    return found


def test_a_code_a_payer_rejects_for_the_technique_is_flagged_with_both_sides(kg) -> None:
    rejections = _rejections(kg)
    assert rejections, "the graph records at least one position that rejects a code (CGS on 64640)"
    for position, code, technique in rejections:
        label = str(kg.value(technique, SKOS.prefLabel))
        report = check_claim([code], technique=label, graph=kg)
        [finding] = [f for f in report.findings if f.rule == "cryosh:PositionRejectsCodeForTechnique"]
        assert finding.code == code and finding.severity == "Warning"
        assert {str(s) for s in kg.objects(position, DCTERMS.source)} <= set(finding.sources)
        for other in kg.objects(position, CRYO.conflictsWith):  # the contrary advice is shown, with its sources
            assert str(kg.value(other, SKOS.prefLabel)) in finding.message
            assert {str(s) for s in kg.objects(other, DCTERMS.source)} <= set(finding.sources)
        others = [t for t in kg.subjects(RDF.type, CRYO.Technique) if t != technique]
        elsewhere = check_claim([code], technique=str(kg.value(others[0], SKOS.prefLabel)), graph=kg)
        assert "cryosh:PositionRejectsCodeForTechnique" not in {f.rule for f in elsewhere.findings}


def test_cgs_on_64640_for_cryoneurolysis_at_the_ipbsn(release_file, capsys) -> None:
    """The issue's example: the technique is read from the family code of the session."""
    assert main(["check", "0441T", "64640", "--site", "IPBSN", "--graph", str(release_file), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["technique"] == "cryoablation" and report["technique_from"] == "codes"
    rules = {(f["code"], f["rule"]) for f in report["findings"]}
    assert ("64640", "cryosh:PositionRejectsCodeForTechnique") in rules
    assert ("64640", "cryosh:CodeForOtherTechnique") in rules
    cgs = "https://www.cgsmedicare.com/parta/pubs/news/2022/01/cope24853.html"
    assert report["source_titles"][cgs]


@pytest.mark.slow  # one check per code of the release
def test_every_scoped_code_is_checked_against_the_site(kg) -> None:
    """Codes outside the family are checked too: a code whose scope names a structure does not cover another."""
    named = [(c, e) for c in kg.subjects(CRYO.anatomicScope, None) if (c, SKOS.broader, None) not in kg
             for s in kg.objects(c, CRYO.anatomicScope) for e in kg.objects(s, CRYO.scopeExample)
             if (e, RDF.type, CRYO.Nerve) in kg]
    assert named
    radial = URIRef("https://w3id.org/cryokg/id/anatomy/radial-nerve")
    checked = 0
    for code, example in sorted(named):
        if any(kg.value(a, CRYO.assignedCode) == code for a in kg.subjects(CRYO.structure, radial)):
            continue
        label = str(kg.value(example, SKOS.prefLabel))
        assert not [f for f in check_claim([notation(kg, code)], site=label, graph=kg).findings
                    if "Scope" in f.rule], (code, label)
        wrong = check_claim([notation(kg, code)], site="radial nerve", graph=kg)
        assert [f.rule for f in wrong.findings if f.severity == "Violation"] == ["cryosh:SiteOutsideCodeScope"]
        checked += 1
    assert checked >= 3


def test_each_finding_is_printed_once(release_file, capsys) -> None:
    assert main(["check", "0440T", "0441T", "--graph", str(release_file)]) == 0
    out = capsys.readouterr().out
    assert out.count("are siblings") == 1


def test_technique_option(kg, release_file, capsys) -> None:
    assert main(["check", "64640", "--technique", "laser surgery", "--graph", str(release_file)]) == 2
    assert "did you mean" in capsys.readouterr().err
    report = check_claim(["64640"], technique="RFA", graph=kg)
    assert report.technique == "radiofrequency ablation" and report.findings == []


def test_a_region_site_does_not_make_a_nerve_code_clean(kg) -> None:
    report = check_claim(["64624"], site="knee", graph=kg)
    assert [f.rule for f in report.findings] == ["cryosh:SiteNotCheckable"]


# --- diagnoses, payer, setting (issue 15) -----------------------------------------------------------------------

def _listed_diagnosis(kg: Graph) -> str:
    """An ICD-10-CM code that an indication named by a position lists (from the graph, not written down)."""
    named = {i for p in (CRYO.coversIndication, CRYO.doesNotCoverIndication, CRYO.mentionsIndication)
             for i in kg.objects(None, p)}
    return sorted(str(kg.value(c, SKOS.notation)) for i in named for c in kg.objects(i, CRYO.diagnosisCode))[0]


def test_diagnoses_are_checked_against_the_code_set_and_the_policies(kg, release_file, capsys) -> None:
    """A code the ICD-10-CM code set lacks or that is a category is a Violation (exit 1); a billable code no policy
    names is a Warning; a code a policy lists draws no finding; text not written like a code is bad input."""
    import simple_icd_10_cm as cm

    listed = _listed_diagnosis(kg)
    assert cm.is_valid_item("M79.671") and cm.is_leaf("M79.671") and not cm.is_valid_item("G57.69")
    assert cm.is_valid_item("M17.1") and not cm.is_leaf("M17.1")
    report = check_claim(["0441T"], dx=[listed, "M79.671"], graph=kg)
    assert report.conforms
    assert [(f.rule, f.severity, f.value) for f in report.findings] == [
        ("cryosh:DiagnosisNotNamedByPolicy", "Warning", "M79.671")]
    assert [d["title"] for d in report.diagnoses] == [cm.get_description(listed), "Pain in right foot"]
    for code, rule in (("G57.69", "program:invalid-diagnosis"), ("M17.1", "program:non-billable-diagnosis")):
        assert main(["check", "0441T", "--dx", code, "--json", "--graph", str(release_file)]) == 1
        findings = json.loads(capsys.readouterr().out)["findings"]
        assert [(f["rule"], f["severity"], f["value"]) for f in findings] == [(rule, "Violation", code)]
    assert main(["check", "0441T", "--dx", "knee", "--graph", str(release_file)]) == 2
    assert "not written like an ICD-10-CM code" in capsys.readouterr().err


def test_a_non_billable_diagnosis_points_to_the_indication_its_title_names(kg) -> None:
    """M17.1 (a category: osteoarthritis of the knee) is refused, and the finding names the graph's indication
    whose words its title holds, with that indication's sources."""
    [finding] = check_claim(["0441T"], dx=["M17.1"], graph=kg).findings
    indication = URIRef("https://w3id.org/cryokg/id/indication/knee-osteoarthritis-pain")
    assert finding.nodes == [str(indication)]
    assert set(finding.sources) == {str(s) for s in kg.objects(indication, DCTERMS.source)}


def test_payer_and_setting(kg, release_file, capsys) -> None:
    """A payer's position against the code, and a code paid only in other settings, are Warnings; an unknown
    payer is bad input with the nearest names."""
    report = check_claim(["0441T", "C9809"], payer="Anthem", setting="office", graph=kg)
    rules = {(f.code, f.rule) for f in report.findings}
    assert ("0441T", "cryosh:PayerPositionAgainstCode") in rules and ("C9809", "cryosh:CodeOutsidePaidSettings") in rules
    assert report.payer["notation"] == "anthem" and report.setting["notation"] == "office"
    assert not {f.rule for f in check_claim(["0441T", "C9809"], payer="aetna", setting="asc", graph=kg).findings} & {
        "cryosh:PayerPositionAgainstCode", "cryosh:CodeOutsidePaidSettings"}
    assert main(["check", "0441T", "--payer", "Acme Health", "--graph", str(release_file)]) == 2
    assert "no payer is called" in capsys.readouterr().err
