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


def _by_structure(release, members):
    """structure -> {kind label: {code}} for the structures the family map draws."""
    found: dict = {}
    for structure, code, kind in _assignments(release, members):
        found.setdefault(structure, {}).setdefault(kind, set()).add(code)
    return found


def _cells(dot_line: str) -> list[list[str]]:
    """The rows of an HTML-like table label: the text of each cell (tags stripped), row by row."""
    rows = re.findall(r"<tr>(.*?)</tr>", dot_line)
    return [[re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)] for row in rows]


def _node_line(dot: str, node: str) -> str:
    return next(line for line in dot.splitlines() if line.strip().startswith(f'"{node}" [') or
                line.strip().startswith(f"{node} ["))


def test_nerve_map_lists_definite_structures_in_their_code_panel_sorted(release, members):
    g = release.asserted
    dot = diagrams.nerve_to_code_dot(g, base=release.base)
    structures = _by_structure(release, members)
    for member in members:
        rows = _cells(_node_line(dot, curie(str(member), release.prefixes)))
        assert rows[0][0].startswith(str(g.value(member, SKOS.notation))), "the panel is headed by its code"
        definite = {label_for(g, s) for s, kinds in structures.items()
                    if kinds.get("definite") == {member} and "candidate" not in kinds}
        body = [cell for row in rows[1:] for cell in row if cell and not cell.startswith("also argued")]
        assert set(body) == definite, f"{member}: {set(body) ^ definite}"
        plain = [row for row in rows[1:] if len(row) == 2]  # the two sorted columns, before the contested rows
        columns = [[row[c] for row in plain if row[c]] for c in range(2)]
        reading = columns[0] + columns[1]
        assert reading == sorted(reading, key=str.lower), f"{member}: not sorted down the columns"


def test_nerve_map_dashes_candidates_and_dots_contested_alternatives(release, members):
    g = release.asserted
    dot = diagrams.nerve_to_code_dot(g, base=release.base)
    structures = _by_structure(release, members)
    disputed_rows = _cells(_node_line(dot, "disputed"))[2:]
    row_of = {row[0]: k for k, row in enumerate(disputed_rows)}
    edges = [line.strip() for line in dot.splitlines() if " -> " in line and "legend" not in line]
    candidates = alternatives = 0
    for structure, kinds in structures.items():
        name = label_for(g, structure)
        if "candidate" in kinds:
            k = row_of[name]
            codes = {str(g.value(c, SKOS.notation)) for c in kinds["candidate"]}
            assert set(disputed_rows[k][1].split(" / ")) == codes, name  # the row names every candidate
            for code in kinds["candidate"] & set(members):
                edge = f'disputed:d{k}:e -> "{curie(str(code), release.prefixes)}":h:w'
                line = next((e for e in edges if e.startswith(edge)), None)
                assert line is not None and "style=dashed" in line, f"no dashed line {edge}"
                candidates += 1
        for code in kinds.get("contested alternative", ()):
            target = f'-> "{curie(str(code), release.prefixes)}":w'
            line = next((e for e in edges if target in e and name in e), None)
            assert line is not None and "style=dotted" in line and "dashed" not in line, f"{name} -> {code}"
            alternatives += 1
    assert candidates and alternatives, "the data has both kinds of line"
    assert sum("style=dashed" in e for e in edges) == candidates, "dashed means candidate, nothing else"
    assert sum("style=dotted" in e for e in edges) == alternatives, "dotted means contested alternative"
    legend = _cluster(dot, "cluster_legend")
    assert "style=dashed" in legend and "disputed candidate" in legend
    assert "style=dotted" in legend and "contested alternative" in legend


def _bezier_points(d: str) -> list[tuple[float, float]]:
    """Points along an SVG path of the form ``M x,y C x,y x,y x,y ...`` (what Graphviz writes for edges)."""
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", d)]
    points = list(zip(numbers[::2], numbers[1::2], strict=False))
    sampled = []
    for i in range(0, len(points) - 3, 3):
        p0, p1, p2, p3 = points[i:i + 4]
        for step in range(21):
            t = step / 20
            sampled.append(tuple((1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t ** 2 * c + t ** 3 * e
                                 for a, b, c, e in zip(p0, p1, p2, p3, strict=True)))
    return sampled  # type: ignore[return-value]


@needs_dot
def test_nerve_map_lines_never_cross_a_panel_title(release, members):
    svg = diagrams.render_svg(diagrams.nerve_to_code_dot(release.asserted, base=release.base))
    root = ET.fromstring(svg.encode("utf-8"))
    ns = "{http://www.w3.org/2000/svg}"
    titles = []  # the header cell of each member's panel: the polygon filled with the panel colour
    codes = {curie(str(m), release.prefixes) for m in members}
    for group in root.iter(ns + "g"):
        title = group.find(ns + "title")
        if group.get("class") == "node" and title is not None and title.text in codes:
            for polygon in group.findall(ns + "polygon"):
                if polygon.get("fill") in diagrams._FILLS:
                    xy = [tuple(map(float, p.split(","))) for p in polygon.get("points", "").split()]
                    titles.append((min(x for x, _ in xy), max(x for x, _ in xy), min(y for _, y in xy),
                                   max(y for _, y in xy)))
    assert len(titles) == len(members)
    lines = 0
    for group in root.iter(ns + "g"):
        if group.get("class") != "edge" or "legend" in (group.findtext(ns + "title") or ""):
            continue
        for path in group.iter(ns + "path"):
            lines += 1
            for x, y in _bezier_points(path.get("d", "")):
                for x0, x1, y0, y1 in titles:
                    assert not (x0 + 2 < x < x1 - 2 and y0 + 2 < y < y1 - 2), f"a line crosses a title at {x},{y}"
    assert lines > 10


def test_code_picture_shows_scope_structures_disputes_and_alternatives(release, members):
    g = release.asserted
    structures = _by_structure(release, members)
    for member in members:
        dot = diagrams.code_dot(g, member, base=release.base)
        notation = str(g.value(member, SKOS.notation))
        for scope in g.objects(member, _v(release, "anatomicScope")):
            assert f"anatomic scope: {label_for(g, scope)}" in dot
        definite = {label_for(g, s) for s, kinds in structures.items()
                    if kinds.get("definite") == {member} and "candidate" not in kinds}
        cells = {cell for row in _cells(_node_line(dot, "definite"))[1:] for cell in row}
        assert cells == definite, member
        disputed = {label_for(g, s) for s, kinds in structures.items() if member in kinds.get("candidate", ())}
        if disputed:
            rows = _cells(_node_line(dot, "disputed"))[2:]
            assert {row[0] for row in rows} == disputed
            assert all(notation not in row[1] and row[1] for row in rows), "the other candidates, not this one"
        contested = {label_for(g, s) for s, kinds in structures.items()
                     if member in kinds.get("definite", ()) and kinds.get("contested alternative")}
        assert ({row[0] for row in _cells(_node_line(dot, "contested"))[2:]} if contested else set()) == contested


@needs_dot
def test_render_is_valid_deterministic_svg(release):
    dot = diagrams.family_dot(release.asserted, base=release.base)
    first, second = diagrams.render_svg(dot), diagrams.render_svg(dot)
    assert first == second
    assert "Generated by graphviz version" not in first and "do not edit" in first
    root = ET.fromstring(first.encode("utf-8"))
    assert root.tag.endswith("svg")


@needs_dot
def test_build_hook_writes_the_maps_and_one_picture_per_code(release, tmp_path, members):
    names = diagram_artifacts(release, tmp_path)
    per_code = sorted(f"diagrams/code-{release.asserted.value(m, SKOS.notation)}.svg" for m in members)
    assert sorted(names) == sorted(["diagrams/family.svg", "diagrams/nerve-to-code.svg", *per_code])
    text = (tmp_path / "diagrams" / "nerve-to-code.svg").read_text(encoding="utf-8")
    for structure in {s for s, _, _ in _assignments(release, members)}:
        assert label_for(release.asserted, structure).replace("&", "&amp;") in text, structure
    for name in per_code:  # legible at the width of a page: under 1000 pt wide, no text under 9 pt
        root = ET.parse(tmp_path / name).getroot()
        assert float(root.get("width", "0pt").removesuffix("pt")) < 1000, name
        sizes = [float(el.get("font-size")) for el in root.iter() if el.tag.endswith("}text") and el.get("font-size")]
        assert sizes and min(sizes) >= 9, name


def test_missing_dot_is_bad_input_naming_the_package(monkeypatch):
    monkeypatch.setattr(diagrams.shutil, "which", lambda _name: None)
    with pytest.raises(BadInput, match="graphviz"):
        diagrams.render_svg("digraph { a -> b }")


def test_build_hook_fails_rather_than_skipping_without_dot(release, tmp_path, monkeypatch):
    monkeypatch.setattr(diagrams.shutil, "which", lambda _name: None)
    with pytest.raises(BadInput, match="apt-get install graphviz"):
        diagram_artifacts(release, tmp_path)
    assert not any(tmp_path.rglob("*.svg")), "no picture is written when dot is missing"
