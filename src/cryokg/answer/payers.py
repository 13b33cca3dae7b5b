"""Payers and their positions, as the graph holds them, for ``cryokg claim --payer`` and the claim page.

A payer is a ``cryo:Organization`` (a Medicare contractor with its jurisdictions, a health plan, or the device
maker, whose advice binds no payer); ``--payer`` names one by its short notation (``cgs``, ``aetna``, ``anthem``),
its name or a synonym. Each ``cryo:PayerPosition`` says who issued it, its kind (covered when criteria are met,
investigational, Category III not covered unless a policy covers it, prefers another code, case by case, ...), the
lines of business, dates and document it comes from, and what it is about (codes, a code category, a technique,
indications). A position with ``cryo:effectiveUntil`` is no longer in force: it is shown as history, never as the
payer's position (as the claim shapes treat it). Positions that disagree are linked by ``cryo:conflictsWith``
(symmetric).

>>> from cryokg.answer.claims import load_knowledge_graph
>>> graph = load_knowledge_graph()
>>> [p.kind["notation"] for p in positions_of(graph, ORG["cgs"]) if p.in_force]
['case-by-case-review', 'prefers-another-code']
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS

from cryokg.answer.store import Engine
from cryokg.errors import BadInput
from cryokg.namespaces import CRYO, id_namespace

__all__ = ["ORG", "ORGANIZATION_CLASSES", "Position", "issuer", "position", "positions_of", "resolve_payer"]

ORG = id_namespace("organization")
ORGANIZATION_CLASSES = (CRYO.MedicareContractor, CRYO.HealthPlan, CRYO.Manufacturer, CRYO.Organization, CRYO.Payer)
_AGAINST = ("not-covered", "category-iii-not-covered-unless-policy")
"""Kinds of position that say a payer will not pay for what they are about."""


def resolve_payer(engine: Engine, text: str) -> URIRef:
    """The organisation *text* names (its notation, name or a synonym, case and punctuation ignored); BadInput
    (exit 2) with the nearest names when none or several fit."""
    from cryokg.answer.matching import label_index, resolve_resource

    if not text.strip():
        raise BadInput("an empty --payer was given")
    pool = label_index(engine).of_type(*ORGANIZATION_CLASSES)
    try:
        return resolve_resource(engine, text.strip(), among=pool, what="payer")
    except BadInput as error:
        raise BadInput(f"--payer: {error}") from None


def _label(graph: Graph, node: object) -> str:
    return str(graph.value(node, SKOS.prefLabel) or node) if isinstance(node, URIRef) else str(node)


def _ref(graph: Graph, node: object) -> dict:
    notation = graph.value(node, SKOS.notation) if isinstance(node, URIRef) else None
    return {"iri": str(node), "label": _label(graph, node), "notation": str(notation) if notation is not None else None}


def _date(value: object) -> str | None:
    return str(value) if isinstance(value, Literal) else None


def issuer(graph: Graph, organization: URIRef) -> dict:
    """Who an organisation is: label, notation, kind (Medicare contractor, health plan, manufacturer) and, for a
    contractor, its jurisdictions and the states they serve."""
    kinds = [str(graph.value(t, RDFS.label) or t) for t in graph.objects(organization, RDF.type)
             if t in ORGANIZATION_CLASSES]
    jurisdictions = [{**_ref(graph, j), "states": sorted(str(s) for s in graph.objects(j, CRYO.servesState))}
                     for j in sorted(graph.objects(organization, CRYO.jurisdiction), key=str)]
    notes = [str(n) for n in graph.objects(organization, SKOS.editorialNote)]
    return {**_ref(graph, organization), "kind": kinds[0] if kinds else None, "jurisdictions": jurisdictions,
            "notes": notes}


@dataclass
class Position:
    """One payer, contractor or manufacturer position, ready to show."""

    iri: str
    label: str
    issuer: dict
    kind: dict
    statement: str | None
    lines_of_business: list[str] = field(default_factory=list)
    effective_from: str | None = None
    effective_until: str | None = None
    version_dates: list[str] = field(default_factory=list)
    document: str | None = None
    codes: list[str] = field(default_factory=list)
    preferred: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    categories: list[dict] = field(default_factory=list)
    techniques: list[dict] = field(default_factory=list)
    covers: list[dict] = field(default_factory=list)
    does_not_cover: list[dict] = field(default_factory=list)
    mentions: list[dict] = field(default_factory=list)
    conflicts_with: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    @property
    def in_force(self) -> bool:
        """False once the source gives an end date (the position is history)."""
        return self.effective_until is None

    @property
    def against(self) -> bool:
        """The kind says the payer does not pay for what the position is about."""
        return self.kind.get("notation") in _AGAINST

    def summary(self) -> str:
        """One line in the team's words: issuer, kind, dates."""
        dates = ", ".join(x for x in (f"from {self.effective_from}" if self.effective_from else "",
                                      f"until {self.effective_until}" if self.effective_until else "") if x)
        return f"{self.issuer['label']}: {self.kind.get('label') or 'kind not stated'}" + (f" ({dates})" if dates else "")

    def to_json(self) -> dict:
        return {"iri": self.iri, "label": self.label, "issuer": self.issuer, "kind": self.kind,
                "statement": self.statement, "in_force": self.in_force, "lines_of_business": self.lines_of_business,
                "effective_from": self.effective_from, "effective_until": self.effective_until,
                "version_dates": self.version_dates, "document": self.document, "codes": self.codes,
                "preferred": self.preferred, "rejected": self.rejected, "categories": self.categories,
                "techniques": self.techniques, "covers": self.covers, "does_not_cover": self.does_not_cover,
                "mentions": self.mentions, "conflicts_with": self.conflicts_with, "sources": self.sources}


def _notations(graph: Graph, node: URIRef, predicate: URIRef) -> list[str]:
    return sorted(str(graph.value(c, SKOS.notation) or c) for c in graph.objects(node, predicate))


def position(graph: Graph, node: URIRef) -> Position:
    """The position *node* of *graph*, with what it is about."""
    organization = graph.value(node, CRYO.issuedBy)
    kind = graph.value(node, CRYO.positionKind)
    conflicts = {str(o) for o in graph.objects(node, CRYO.conflictsWith)} | \
        {str(s) for s in graph.subjects(CRYO.conflictsWith, node)}
    return Position(
        iri=str(node), label=_label(graph, node),
        issuer=issuer(graph, organization) if isinstance(organization, URIRef) else
        {"iri": None, "label": str(graph.value(node, CRYO.payer) or "issuer not recorded"), "notation": None,
         "kind": None, "jurisdictions": [], "notes": []},
        kind=_ref(graph, kind) if kind is not None else {"iri": None, "label": None, "notation": None},
        statement=str(graph.value(node, CRYO.position)) if graph.value(node, CRYO.position) is not None else None,
        lines_of_business=sorted(_label(graph, x) for x in graph.objects(node, CRYO.lineOfBusiness)),
        effective_from=_date(graph.value(node, CRYO.effectiveFrom)),
        effective_until=_date(graph.value(node, CRYO.effectiveUntil)),
        version_dates=sorted(str(d) for d in graph.objects(node, CRYO.versionDate)),
        document=str(graph.value(node, CRYO.documentId)) if graph.value(node, CRYO.documentId) is not None else None,
        codes=_notations(graph, node, CRYO.appliesTo), preferred=_notations(graph, node, CRYO.preferredCode),
        rejected=_notations(graph, node, CRYO.rejectedCode),
        categories=[_ref(graph, c) for c in sorted(graph.objects(node, CRYO.appliesToCategory), key=str)],
        techniques=[_ref(graph, t) for t in sorted(graph.objects(node, CRYO.appliesToTechnique), key=str)],
        covers=[_ref(graph, i) for i in sorted(graph.objects(node, CRYO.coversIndication), key=str)],
        does_not_cover=[_ref(graph, i) for i in sorted(graph.objects(node, CRYO.doesNotCoverIndication), key=str)],
        mentions=[_ref(graph, i) for p in (CRYO.mentionsIndication, CRYO.namesIndication)
                  for i in sorted(graph.objects(node, p), key=str)],
        conflicts_with=sorted(conflicts - {str(node)}),
        sources=sorted(str(s) for s in graph.objects(node, DCTERMS.source)))


def positions_of(graph: Graph, organization: URIRef) -> list[Position]:
    """Every position *organization* issued, in force first, then by label."""
    found = [position(graph, p) for p in graph.subjects(CRYO.issuedBy, organization) if isinstance(p, URIRef)]
    return sorted(found, key=lambda p: (not p.in_force, p.kind.get("notation") or "", p.label))
