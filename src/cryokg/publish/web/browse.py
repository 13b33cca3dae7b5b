"""What the browsing pages show, computed once per release: the hierarchy tree, the class tables, the
comparison of a code family's members.

The release never changes while it is served, so every view here is built on first use and kept.

* **The tree** (``/browse/``): the body regions the family's scopes name (upper limb, lower limb, trunk, in the
  order of the member codes), then the other top regions; under each, the nerves and plexuses lying there
  (``cryo:locatedIn``, rolled up by ``cryo:regionPartOf``), each under the nerve it branches from
  (``cryo:branchOf``) when that one lies in the same region too. Then the nerve groups with their members
  (``cryo:groupMember``), then the targets that are neither nerves nor plexuses of the kinds the family's
  scopes name (``cryo:scopeStructureType``), grouped by what they are (an autonomic ganglion, a cranial nerve,
  ...). Every structure carries its code for the family's technique (:mod:`cryokg.release.code_answer`).
* **Class tables**: a class whose members are structures lists them by top region (label, code, where it lies,
  disputed or not); any other class lists its members with their notations.
* **The family comparison**: what the member codes share and what tells them apart, predicate by predicate.

Everything is read from the graph, so a change of the sources changes the pages.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import Literal

from cryokg.publish.web.data import ReleaseData
from cryokg.publish.web.pages import local_href
from cryokg.release.code_answer import CodeAnswer, summarize

__all__ = ["Browse", "ClassTable", "Comparison", "Structure", "TreeNode", "TreeSection"]

SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
BOOKKEEPING = {RDF_TYPE, SKOS + "prefLabel", SKOS + "altLabel", SKOS + "definition", SKOS + "notation",
               SKOS + "inScheme", SKOS + "broader", SKOS + "editorialNote", SKOS + "scopeNote",
               "http://purl.org/dc/terms/source", "https://schema.org/codingSystem"}
"""Predicates the comparison leaves out: names, the family link, sources (shown elsewhere on the page)."""
CLASS_ROWS = 1000
"""Members a class table shows (it says how many there are, and SPARQL lists them all): the real release's largest
class has a few hundred; in a 10 M-triple one, the nerve class has 355 k, a page that took 55 s and 81 MB."""


@dataclass
class Structure:
    """A nerve, plexus, group or other target, with what the pages show beside it."""

    iri: str
    label: str
    href: str | None
    types: set[str]
    regions: set[str]
    tops: set[str]
    parents: set[str]
    members: list[str]
    answer: CodeAnswer
    ambiguous: bool
    kind: str | None = None  # for targets outside the family's kinds: the class they are grouped by
    group: bool = False

    @property
    def disputed(self) -> bool:
        return self.ambiguous or self.answer.status == "disputed"


@dataclass
class TreeNode:
    structure: Structure
    children: list[TreeNode] = field(default_factory=list)
    note: str = ""
    members: bool = False  # the children are a group's members, not branches

    @property
    def children_text(self) -> str:
        """"3 branches of the radial nerve", "2 members of the digital nerves"."""
        n = len(self.children)
        word = ("member" if n == 1 else "members") if self.members else ("branch" if n == 1 else "branches")
        return f"{n} {word} of the {self.structure.label}"


@dataclass
class TreeSection:
    """One top-level branch of the tree: a body region, the nerve groups, or one kind of other target."""

    key: str
    title: str
    href: str | None
    nodes: list[TreeNode]
    note: str = ""

    @property
    def count(self) -> int:
        def walk(nodes: list[TreeNode]) -> int:
            return sum(1 + walk(n.children) for n in nodes)
        return walk(self.nodes)


@dataclass
class ClassRow:
    iri: str
    label: str
    href: str | None
    notation: str = ""
    structure: Structure | None = None
    where: list[str] = field(default_factory=list)


@dataclass
class ClassTable:
    """The members of a class: grouped by top region for structures, else one group."""

    structures: bool
    groups: list[tuple[str, str | None, list[ClassRow]]]
    total: int  # members of the class
    shown: int  # members in the table (at most CLASS_ROWS)


@dataclass
class Comparison:
    """The members of a code family side by side: what sets each apart and what they all share."""

    family: tuple[str, str, str | None]  # iri, label, href
    members: list[dict[str, str | None]]  # iri, notation, label, href
    differ: list[tuple[str, str | None, list[list[tuple[str, str | None]]]]]  # predicate, href, values per member
    shared: list[tuple[str, str | None, list[tuple[str, str | None]]]]  # predicate, href, values
    counts: list[dict[str, int]]  # per member: definite, disputed structures


class Browse:
    """The browsing views of one release (see the module docstring)."""

    def __init__(self, data: ReleaseData) -> None:
        self.data = data
        self.cryo = data.base + "def/"

    # --- reading ------------------------------------------------------------------------------------------
    def href(self, iri: str) -> str | None:
        return local_href(iri, self.data.base)

    def label(self, iri: str) -> str:
        return self.data.label(iri) or iri.rstrip("/").rsplit("/", 1)[-1]

    def notation(self, iri: str) -> str:
        return self.data.notation(iri) or ""

    # --- the family -----------------------------------------------------------------------------------------
    # Whole-release views read each predicate in one scan (ReleaseData.statements) and join in dictionaries: the
    # SPARQL joins they replaced took 6 minutes on a 10 M-triple release, before the server could answer.
    def _objects(self, iri: str, predicate: str) -> list[str]:
        return [q.object.value for q in self.data.store.quads_for_pattern(
            ox.NamedNode(iri), ox.NamedNode(predicate), None, ox.DefaultGraph()) if not isinstance(q.object, ox.Triple)]

    @functools.cached_property
    def family(self) -> tuple[str | None, list[str]]:
        """The family with the most member codes (ties: smallest IRI) and its members in notation order."""
        members: dict[str, set[str]] = {f: set() for f in self.data.instances(self.cryo + "CodeFamily")}
        for member, family in self.data.statements(SKOS + "broader"):
            if family in members:
                members[family].add(member)
        if not members:
            return None, []
        family = min(members, key=lambda f: (-len(members[f]), f))
        return family, sorted(members[family], key=lambda m: (self.notation(m), m))

    @functools.cached_property
    def _scopes(self) -> dict[str, dict[str, set[str]]]:
        """Per member code: its scopes' regions and structure types, and its techniques."""
        found: dict[str, dict[str, set[str]]] = {}
        for m in self.family[1]:
            scopes = self._objects(m, self.cryo + "anatomicScope")
            found[m] = {"methods": set(self._objects(m, self.cryo + "method")),
                        "regions": {r for s in scopes for r in self._objects(s, self.cryo + "scopeRegion")},
                        "types": {t for s in scopes for t in self._objects(s, self.cryo + "scopeStructureType")}}
        return found

    @property
    def techniques(self) -> set[str]:
        return {t for scope in self._scopes.values() for t in scope["methods"]}

    # --- structures -----------------------------------------------------------------------------------------
    @functools.cached_property
    def regions(self) -> dict[str, str | None]:
        """Each body region and the region it is part of (the smallest IRI when a region names several)."""
        parents: dict[str, str | None] = dict.fromkeys(self.data.instances(self.cryo + "BodyRegion"))
        for region, parent in self.data.statements(self.cryo + "regionPartOf"):
            if region in parents:
                current = parents[region]
                parents[region] = parent if current is None else min(current, parent)
        return parents

    def top(self, region: str) -> str:
        seen = {region}
        while (parent := self.regions.get(region)) and parent not in seen:
            seen.add(parent)
            region = parent
        return region

    @functools.cached_property
    def top_order(self) -> list[str]:
        """Top regions: those the family's scopes name, in member order, then the others by label."""
        named = [self.top(r) for m in self.family[1] for r in sorted(self._scopes[m]["regions"])]
        tops = {self.top(r) for r in self.regions}
        first = list(dict.fromkeys(r for r in named if r in tops))
        return first + sorted(tops - set(first), key=lambda r: self.label(r).lower())

    def _answers(self) -> dict[str, list[tuple[str, str]]]:
        """Per structure: (kind, notation) of each of its code assignments for one of the family's techniques."""
        techniques = self.techniques
        wanted = set(self.data.instances(self.cryo + "CodeAssignment"))
        used: dict[str, list[str]] = defaultdict(list)
        for a, technique in self.data.statements(self.cryo + "technique"):
            if technique in techniques and a in wanted:
                used[a].append(technique)
        del wanted
        facts: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
        for var, predicate in (("s", self.cryo + "structure"), ("code", self.cryo + "assignedCode"),
                               ("kind", self.cryo + "assignmentKind")):
            for a, value in self.data.statements(predicate):
                if a in used:
                    facts[a][var].append(value)
        notations: dict[str, list[str]] = defaultdict(list)
        for code, notation in self.data.literals(SKOS + "notation"):
            notations[code].append(notation)
        kinds = self.data.base + "id/assignment-kind/"
        answers: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for a, techniques_of in used.items():
            fact = facts[a]
            for _technique in techniques_of:  # one row per technique, as the join per technique gave
                for s in fact["s"]:
                    for code in fact["code"]:
                        for notation in notations.get(code, ()):
                            for kind in fact["kind"] or [""]:
                                answers[s].append((kind[len(kinds):] if kind.startswith(kinds) else "candidate",
                                                   notation))
        return answers

    @functools.cached_property
    def structures(self) -> dict[str, Structure]:
        """Every structure that lies somewhere or groups others (and has a type), with its code for the family's
        technique."""
        facts: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        for var, predicate in (("region", self.cryo + "locatedIn"), ("member", self.cryo + "groupMember")):
            for s, value in self.data.statements(predicate):
                facts[s][var].add(value)
        for var, predicate in (("type", RDF_TYPE), ("parent", self.cryo + "branchOf"),
                               ("ambiguous", self.cryo + "codingAmbiguous")):
            for s, value in self.data.statements(predicate):
                if s in facts:
                    facts[s][var].add(value)
        typed = {s: f for s, f in facts.items() if f["type"]}
        del facts
        answers = self._answers()
        labels = self.data.best_labels({i for s, f in typed.items() for i in (s, *f["member"], *f["type"])})

        def label(iri: str) -> str:
            return labels.get(iri) or iri.rstrip("/").rsplit("/", 1)[-1]

        family_kinds = {t for scope in self._scopes.values() for t in scope["types"]}
        group_class = self.cryo + "NerveGroup"
        found = {}
        for iri, fact in typed.items():
            kinds_of = fact["type"] - {group_class}
            outside = sorted(kinds_of - family_kinds, key=lambda c: label(c).lower())
            found[iri] = Structure(
                iri=iri, label=label(iri), href=self.href(iri), types=set(fact["type"]),
                regions=set(fact["region"]), tops={self.top(r) for r in fact["region"]}, parents=set(fact["parent"]),
                members=sorted(fact["member"], key=lambda m: label(m).lower()),
                answer=summarize(answers.get(iri, [])),
                ambiguous=any(v.lower() in ("true", "1") for v in fact["ambiguous"]),
                kind=outside[0] if outside and kinds_of else None, group=group_class in fact["type"])
        return dict(sorted(found.items(), key=lambda kv: (kv[1].label.lower(), kv[0])))

    # --- the tree -------------------------------------------------------------------------------------------
    def _forest(self, nodes: list[Structure]) -> list[TreeNode]:
        """*nodes* as trees by ``cryo:branchOf`` (a branch under each parent that is also in *nodes*)."""
        inside = {s.iri for s in nodes}
        children: dict[str, list[Structure]] = defaultdict(list)
        for s in nodes:
            for parent in s.parents & inside:
                if parent != s.iri:
                    children[parent].append(s)

        def grow(s: Structure, path: frozenset[str]) -> TreeNode:
            kids = [grow(c, path | {c.iri}) for c in children[s.iri] if c.iri not in path]
            return TreeNode(s, kids, note=f"group of {len(s.members)}" if s.group else "")

        roots = [s for s in nodes if not (s.parents & inside - {s.iri})]
        return [grow(s, frozenset({s.iri})) for s in roots]

    @functools.cached_property
    def tree(self) -> list[TreeSection]:
        """The sections of the browse page (see the module docstring)."""
        structures = list(self.structures.values())
        sections = []
        in_family = [s for s in structures if s.kind is None and not (s.group and s.types == {self.cryo + "NerveGroup"})]
        scope_of = {self.top(r): m for m in self.family[1] for r in self._scopes[m]["regions"]}
        by_top: dict[str, list[Structure]] = defaultdict(list)  # one pass: a scan per region was quadratic (10 M)
        for s in in_family:
            for top in s.tops:
                by_top[top].append(s)
        for top in self.top_order:
            nodes = by_top.get(top)
            if not nodes:
                continue
            code = scope_of.get(top)
            note = f"the scope of {self.notation(code)}" if code else "outside the regions the family's scopes name"
            sections.append(TreeSection(f"region-{self.slug(top)}", self.label(top), self.href(top),
                                        self._forest(nodes), note))
        groups = [TreeNode(g, [TreeNode(self.structures[m]) if m in self.structures else
                               TreeNode(Structure(m, self.label(m), self.href(m), set(), set(), set(), set(), [],
                                                  CodeAnswer(), False)) for m in g.members],
                           note="coded by member" if g.answer.status == "none" else "coded as one target",
                           members=True)
                  for g in structures if g.group]
        if groups:
            sections.append(TreeSection("groups", "Nerve groups", self.href(self.cryo + "NerveGroup"), groups,
                                        "named sets of nerves, with their members"))
        by_kind: dict[str, list[Structure]] = defaultdict(list)
        for s in structures:
            if s.kind:
                by_kind[s.kind].append(s)
        for kind in sorted(by_kind, key=lambda k: self.label(k).lower()):
            nodes = by_kind[kind]
            title = self.label(kind)
            sections.append(TreeSection(f"kind-{self.slug(kind)}", title[:1].upper() + title[1:], self.href(kind),
                                        self._forest(nodes), "a target outside the kinds of structure the family "
                                        "names (nerves and plexuses)"))
        return sections

    @staticmethod
    def slug(iri: str) -> str:
        return "".join(c if c.isalnum() else "-" for c in iri.rstrip("/").rsplit("/", 1)[-1].lower())

    # --- class tables ---------------------------------------------------------------------------------------
    def class_table(self, class_iri: str) -> ClassTable | None:
        """The members of *class_iri* as a table (None when it has none)."""
        return self._class_table(class_iri)

    @functools.lru_cache(maxsize=256)  # noqa: B019 - one Browse per release, kept as long as the server
    def _class_table(self, class_iri: str) -> ClassTable | None:
        members = self.data.instances(class_iri, limit=CLASS_ROWS + 1)
        if not members:
            return None
        total = len(members) if len(members) <= CLASS_ROWS else self.data.instance_count(class_iri)
        members = members[:CLASS_ROWS]
        rows = [ClassRow(iri, self.label(iri), self.href(iri), self.notation(iri), self.structures.get(iri))
                for iri in members]
        if not all(row.structure for row in rows):
            rows.sort(key=lambda r: (r.notation == "", r.notation, r.label.lower(), r.iri))
            return ClassTable(False, [("", None, rows)], total, len(rows))
        by_top: dict[str | None, list[ClassRow]] = defaultdict(list)  # one pass over the rows, not one per region
        for row in rows:
            s = row.structure
            assert s is not None
            for top in s.tops or [None]:
                where = sorted({self.label(r) for r in s.regions if r != top}, key=str.lower)
                by_top[top].append(ClassRow(row.iri, row.label, row.href, row.notation, s, where))
        groups = []
        for top in [*self.top_order, None]:
            chosen = by_top.get(top)
            if chosen:
                groups.append((self.label(top) if top else "No body region recorded", self.href(top) if top else None,
                               sorted(chosen, key=lambda r: (r.label.lower(), r.iri))))
        return ClassTable(True, groups, total, len(rows))

    # --- the family comparison ------------------------------------------------------------------------------
    def comparison(self, iri: str) -> Comparison | None:
        """The comparison of the family *iri* belongs to (or is), when that family has two members or more."""
        family, members = self.family
        if family is None or len(members) < 2 or (iri != family and iri not in members):
            return None
        return self._comparison

    @functools.cached_property
    def _comparison(self) -> Comparison:
        family, members = self.family
        assert family is not None
        values: dict[str, dict[str, set[str]]] = {m: defaultdict(set) for m in members}
        literal: set[str] = set()
        for m in members:
            for link, obj in self.data.outgoing(m):
                if str(link) in BOOKKEEPING:
                    continue
                values[m][str(link)].add(str(obj))
                if isinstance(obj, Literal):
                    literal.add(str(obj))
            for subject, link in self.data.incoming(m):  # cryo:relatedCode is symmetric: both directions
                if str(link) == self.cryo + "relatedCode":
                    values[m][str(link)].add(str(subject))
        step = self.cryo + "stepOrder"

        def shown(objects: set[str]) -> list[tuple[str, str | None]]:
            def key(o: str) -> tuple[float, str]:
                order = self.data.number(o, step) if o not in literal else None
                return (order if order is not None else float("inf"), self._text(o, literal).lower())
            return [(self._text(o, literal), None if o in literal else self.href(o)) for o in sorted(objects, key=key)]

        differ, shared = [], []
        for predicate in sorted({p for m in members for p in values[m]}, key=lambda p: self.label(p).lower()):
            sets = [frozenset(values[m].get(predicate, ())) for m in members]
            name = self.label(predicate)
            if len(set(sets)) == 1:
                shared.append((name, self.href(predicate), shown(set(sets[0]))))
            elif predicate != self.cryo + "relatedCode":
                differ.append((name, self.href(predicate), [shown(set(s)) for s in sets]))
        related = [frozenset(values[m].get(self.cryo + "relatedCode", ())) for m in members]
        if len(set(related)) > 1:  # the related codes that only some members have, per member
            common = frozenset.intersection(*related)
            differ.append((self.label(self.cryo + "relatedCode") + " (not common to all)",
                           self.href(self.cryo + "relatedCode"), [shown(set(r - common)) for r in related]))
            if common:
                shared.append((self.label(self.cryo + "relatedCode"), self.href(self.cryo + "relatedCode"),
                               shown(set(common))))
        counts = []
        for m in members:
            notation = self.notation(m)
            counts.append({"definite": sum(1 for s in self.structures.values() if notation in s.answer.definite),
                           "disputed": sum(1 for s in self.structures.values() if notation in s.answer.candidates)})
        return Comparison(
            family=(family, self.label(family), self.href(family)),
            members=[{"iri": m, "notation": self.notation(m), "label": self.label(m), "href": self.href(m)}
                     for m in members],
            differ=differ, shared=shared, counts=counts)

    def _text(self, value: str, literal: set[str]) -> str:
        if value in literal:
            return value
        notation = self.notation(value)
        label = self.label(value)
        return f"{notation} {label}" if notation and notation not in label else label
