"""Diagrams: the DOT text says what the graph says, and rendering is deterministic and never silently skipped.

Expectations are derived from the graph's facts (members by skos:broader, each member's scope and region,
the attributes all members share, the candidate assignments), not written out here.
"""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET

import pytest
from rdflib import URIRef
from rdflib.namespace import RDF, SKOS

from cryokg.errors import BadInput
from cryokg.namespaces import curie
from cryokg.release import diagrams
from cryokg.release.exports.artifacts import diagram_artifacts
from cryokg.release.graphview import label_for

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed (apt-get install graphviz)")


def _v(release, name: str) -> URIRef:
    return URIRef(release.base + "def/" + name)


def _cluster(dot: str, name: str) -> str:
    match = re.search(rf"subgraph {name} \{{\n(.*?)\n  \}}", dot, re.S)
    assert match, f"no {name} in the DOT text"
    return match.group(1)


@pytest.fixture(scope="module")
def family(release) -> URIRef:
    return diagrams.find_family(release.asserted, base=release.base)


@pytest.fixture(scope="module")
def members(release, family) -> list[URIRef]:
    found = sorted(set(release.asserted.subjects(SKOS.broader, family)),
                   key=lambda c: str(release.asserted.value(c, SKOS.notation)))
    assert len(found) >= 2, "the family has members"
    return found


def test_family_has_a_cluster_per_member_with_its_scope_and_region(release, members):
    g = release.asserted
    dot = diagrams.family_dot(g, base=release.base)
    for i, member in enumerate(members):
        text = " ".join(_cluster(dot, f"cluster_member_{i}").replace("\\n", " ").split())  # undo label wrapping
        assert str(g.value(member, SKOS.notation)) in text
        scopes = list(g.objects(member, _v(release, "anatomicScope")))
        assert scopes, f"{member} has an anatomic scope"
        for scope in scopes:
            assert " ".join(label_for(g, scope).split()) in text, f"{member}: scope {scope} not in its cluster"
            for region in g.objects(scope, _v(release, "scopeRegion")):
                assert f"region: {label_for(g, region)}" in text, f"{member}: region {region} not in its cluster"
        for j in range(len(members)):
            if j != i:
                assert str(g.value(members[j], SKOS.notation)) + "\\n" not in _cluster(dot, f"cluster_member_{i}")


def test_family_draws_shared_attributes_once(release, members):
    g = release.asserted
    dot = diagrams.family_dot(g, base=release.base)
    methods = [set(g.objects(m, _v(release, "method"))) for m in members]
    common = set.intersection(*methods)
    assert common, "the members share their method"
    shared_line = next(line for line in dot.splitlines() if line.strip().startswith("shared "))
    for technique in common:
        assert label_for(g, technique) in shared_line
    assert dot.count("attributes shared by every member") == 1


def test_family_lists_every_related_code(release, members):
    g = release.asserted
    dot = diagrams.family_dot(g, base=release.base)
    related = {o for m in members for o in g.objects(m, _v(release, "relatedCode"))}
    related |= {s for m in members for s in g.subjects(_v(release, "relatedCode"), m)}
    related -= set(members)
    assert related, "the release relates other codes to the family"
    for code in related:
        assert f"<b>{g.value(code, SKOS.notation)}</b>" in dot, f"related code {code} missing"


def _assignments(release, members):
    g = release.asserted
    techniques = {t for m in members for t in g.objects(m, _v(release, "method"))}
    rows = []
    for a in g.subjects(RDF.type, _v(release, "CodeAssignment")):
        if g.value(a, _v(release, "technique")) in techniques:
            kind = g.value(a, _v(release, "assignmentKind"))
            rows.append((g.value(a, _v(release, "structure")), g.value(a, _v(release, "assignedCode")),
                         label_for(g, kind) if kind is not None else ""))
    # The map is the family's: it draws the structures some family code is assigned to (with their other codes),
    # not those outside the family that only have an unlisted-code fallback (issue 14's out-of-scope targets).
    drawn = {structure for structure, code, _ in rows if code in members}
    return [row for row in rows if row[0] in drawn]


def test_nerve_map_draws_every_assignment_and_dashes_candidates(release, members):
    dot = diagrams.nerve_to_code_dot(release.asserted, base=release.base)
    rows = _assignments(release, members)
    assert any(kind == "candidate" for _, _, kind in rows), "the data has disputed assignments"
    for structure, code, kind in rows:
        edge = f'"{curie(str(structure), release.prefixes)}" -> "{curie(str(code), release.prefixes)}"'
        line = next((line for line in dot.splitlines() if line.strip().startswith(edge)), None)
        assert line is not None, f"no edge {edge}"
        assert ("style=dashed" in line) == (kind != "definite"), line


def test_disputed_structures_have_their_own_cluster(release, members):
    g = release.asserted
    dot = diagrams.nerve_to_code_dot(g, base=release.base)
    rows = _assignments(release, members)
    definite = {s for s, _, kind in rows if kind == "definite"}
    disputed = {s for s, _, _ in rows} - definite
    assert disputed, "some structure has only candidate codes"
    cluster = _cluster(dot, "cluster_disputed")
    for structure in disputed:
        assert f'"{curie(str(structure), release.prefixes)}"' in cluster
    for structure in definite:
        assert f'"{curie(str(structure), release.prefixes)}"' not in cluster


@needs_dot
def test_render_is_valid_deterministic_svg(release):
    dot = diagrams.family_dot(release.asserted, base=release.base)
    first, second = diagrams.render_svg(dot), diagrams.render_svg(dot)
    assert first == second
    assert "Generated by graphviz version" not in first and "do not edit" in first
    root = ET.fromstring(first.encode("utf-8"))
    assert root.tag.endswith("svg")


@needs_dot
def test_build_hook_writes_both_svgs(release, tmp_path, members):
    names = diagram_artifacts(release, tmp_path)
    assert names == ["diagrams/family.svg", "diagrams/nerve-to-code.svg"]
    root = ET.parse(tmp_path / "diagrams" / "nerve-to-code.svg").getroot()
    titles = {el.text for el in root.iter() if el.tag.endswith("}title")}
    for structure, code, _ in _assignments(release, members):
        ids = curie(str(structure), release.prefixes), curie(str(code), release.prefixes)
        assert ids[0] in titles and f"{ids[0]}->{ids[1]}" in titles, f"{ids} not drawn"


def test_missing_dot_is_bad_input_naming_the_package(monkeypatch):
    monkeypatch.setattr(diagrams.shutil, "which", lambda _name: None)
    with pytest.raises(BadInput, match="graphviz"):
        diagrams.render_svg("digraph { a -> b }")


def test_build_hook_fails_rather_than_skipping_without_dot(release, tmp_path, monkeypatch):
    monkeypatch.setattr(diagrams.shutil, "which", lambda _name: None)
    with pytest.raises(BadInput, match="apt-get install graphviz"):
        diagram_artifacts(release, tmp_path)
    assert not any(tmp_path.rglob("*.svg")), "no picture is written when dot is missing"
