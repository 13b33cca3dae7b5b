"""Check a coder's claim - the codes about to be reported for one procedure session - against the graph.

The claim becomes a small RDF graph (a ``cryosh:Claim`` with one ``cryosh:ClaimLine`` per code and the
optional site) that is merged with the knowledge graph and validated against ``ontology/shapes/claims.ttl``.
Those shapes hold no coding knowledge of their own: they consult the graph's bundling rules, code families,
anatomic scopes and code assignments, so a rule added to the data is checked without touching code.

What Python adds on top of SHACL is presentation: the code each result is about, the sources of the fact it
rests on, and, for an unknown or malformed code, the nearest code the graph knows and its family.

>>> report = check_claim(["0440T", "76942"])
>>> report.conforms, [f.code for f in report.findings if f.severity == "Violation"]
(False, ['76942'])
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS, XSD

from cryokg.check.validation import SHAPES_NAMESPACE, ValidationResult, load_shapes, validate_graph
from cryokg.errors import BadInput
from cryokg.namespaces import CRYO
from cryokg.sources.load import DEFAULT_SOURCES, load_files, load_sources

__all__ = [
    "CLAIM_SHAPES",
    "ClaimReport",
    "Finding",
    "check_claim",
    "claim_graph",
    "default_release_file",
    "load_knowledge_graph",
    "nearest_code",
    "site_structures",
]

CLAIM_SHAPES = DEFAULT_SOURCES / "shapes" / "claims.ttl"
CRYOSH = SHAPES_NAMESPACE
_CLAIM = URIRef("urn:cryokg:claim")
SITE_CLASSES = (CRYO.Nerve, CRYO.NervePlexus, CRYO.BodyRegion)
"""What a typed site may name."""
_SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}


@dataclass(frozen=True)
class Finding:
    """One problem with a claim: which code, how bad, what to do, which rule found it, and on what sources."""

    code: str | None
    severity: str
    message: str
    rule: str
    sources: list[str] = field(default_factory=list)


@dataclass
class ClaimReport:
    """The outcome of checking one claim."""

    codes: list[str]
    site: str | None
    findings: list[Finding]

    @property
    def conforms(self) -> bool:
        """True when no finding is a Violation."""
        return not any(f.severity == "Violation" for f in self.findings)

    def to_json(self) -> dict:
        """``{"codes": [...], "conforms": bool, "findings": [{"code", "severity", "message", "rule", "sources"}]}``"""
        return {"codes": list(self.codes), "conforms": self.conforms,
                "findings": [asdict(f) for f in self.findings]}


def default_release_file() -> Path | None:
    """``build/cryokg.ttl`` in the working directory, else in the project checkout, if either exists."""
    for candidate in (Path("build") / "cryokg.ttl", DEFAULT_SOURCES.parent / "build" / "cryokg.ttl"):
        if candidate.is_file():
            return candidate
    return None


def load_knowledge_graph(release_file: Path | None = None, *, sources_dir: Path | None = None) -> Graph:
    """The graph claims are checked against: the release file if given or built, else the sources.

    Reading the release keeps the check on exactly what was validated; the sources are the fallback on a
    checkout that has not been built.
    """
    if release_file is not None:
        if not Path(release_file).is_file():
            raise BadInput(f"{release_file}: release file not found")
        return load_files([Path(release_file)]).graph
    if sources_dir is None:
        found = default_release_file()
        if found is not None:
            return load_files([found]).graph
    return load_sources(Path(sources_dir or DEFAULT_SOURCES)).graph


def _normalise_code(code: str) -> str:
    cleaned = str(code).strip().upper()
    if not cleaned:
        raise BadInput("an empty code was given")
    return cleaned


def _key(text: str) -> str:
    """Case and punctuation do not count when matching a typed site: "Radial-nerve" == "radial nerve"."""
    return re.sub(r"[^0-9a-z]", "", text.casefold())


def site_structures(site: str, graph: Graph) -> list[URIRef]:
    """The nerves, plexuses and body regions whose preferred label or synonym matches *site*."""
    wanted = _key(site)
    found: set[URIRef] = set()
    for cls in SITE_CLASSES:
        for node in graph.subjects(RDF.type, cls):
            if isinstance(node, URIRef) and any(_key(str(label)) == wanted for predicate in (SKOS.prefLabel,
                                                SKOS.altLabel) for label in graph.objects(node, predicate)):
                found.add(node)
    return sorted(found)


def claim_graph(codes: list[str], *, site: str | None = None, graph: Graph | None = None) -> Graph:
    """The claim as RDF: one ``cryosh:Claim`` and one ``cryosh:ClaimLine`` per code, in order.

    With a *site* and the knowledge *graph*, the structures the site names are added as
    ``cryosh:siteStructure``.
    """
    claim = Graph()
    ns = CRYOSH
    claim.add((_CLAIM, RDF.type, URIRef(ns + "Claim")))
    if site is not None:
        claim.add((_CLAIM, URIRef(ns + "site"), Literal(site)))
        for structure in site_structures(site, graph) if graph is not None else []:
            claim.add((_CLAIM, URIRef(ns + "siteStructure"), structure))
    graph = claim
    for number, code in enumerate(codes, start=1):
        line = URIRef(f"urn:cryokg:claim:line:{number}")
        graph.add((line, RDF.type, URIRef(ns + "ClaimLine")))
        graph.add((line, URIRef(ns + "inClaim"), _CLAIM))
        graph.add((line, URIRef(ns + "reportedCode"), Literal(code)))
        graph.add((line, URIRef(ns + "lineNumber"), Literal(number, datatype=XSD.integer)))
    return graph


def _codes_by_notation(graph: Graph) -> dict[str, URIRef]:
    return {str(n): code for code in graph.subjects(RDF.type, CRYO.ProcedureCode)
            for n in graph.objects(code, SKOS.notation) if isinstance(code, URIRef)}


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _digits(text: str) -> int:
    digits = re.sub(r"\D", "", text)
    return int(digits) if digits else 0


def nearest_code(code: str, graph: Graph) -> str | None:
    """The notation of the known code closest to *code* (at most two edits away), or None.

    Ties go to the code with the same final letter and the nearest number: 0443T -> 0442T.

    >>> from rdflib import Graph
    >>> nearest_code("0443T", Graph()) is None
    True
    """
    typed = re.sub(r"[^0-9A-Z]", "", code.upper())
    best: tuple[int, int, int, str] | None = None
    for notation in _codes_by_notation(graph):
        distance = _edit_distance(typed, notation)
        if distance > 2 or distance >= max(len(notation), 1):
            continue
        key = (distance, int(typed[-1:] != notation[-1:]), abs(_digits(typed) - _digits(notation)), notation)
        if best is None or key < best:
            best = key
    return best[3] if best else None


def _label(graph: Graph, node: URIRef) -> str:
    return str(graph.value(node, SKOS.prefLabel) or node)


def _family_note(graph: Graph, notation: str) -> str:
    code = _codes_by_notation(graph).get(notation)
    family = next((f for f in graph.objects(code, SKOS.broader) if (f, RDF.type, CRYO.CodeFamily) in graph),
                  None) if code is not None else None
    if family is None:
        return f" Did you mean {notation} ({_label(graph, code)})?" if code is not None else ""
    members = sorted(graph.subjects(SKOS.broader, family), key=lambda m: str(graph.value(m, SKOS.notation)))
    listed = "; ".join(
        f"{graph.value(m, SKOS.notation)}: {_label(graph, graph.value(m, CRYO.anatomicScope))}"
        if graph.value(m, CRYO.anatomicScope) is not None else str(graph.value(m, SKOS.notation))
        for m in members)
    family_name = graph.value(family, SKOS.notation) or _label(graph, family)
    return (f" Did you mean {notation}? It belongs to the family {family_name} ({_label(graph, family)}), "
            f"whose codes differ by site - {listed}.")


def _sources(graph: Graph, *nodes: URIRef | None) -> list[str]:
    found: list[str] = []
    for node in nodes:
        if node is None:
            continue
        for source in graph.objects(node, DCTERMS.source):
            if str(source) not in found:
                found.append(str(source))
    return found


def _finding(result: ValidationResult, graph: Graph, claim: Graph) -> Finding:
    focus = URIRef(result.focus)
    code = claim.value(focus, URIRef(CRYOSH + "reportedCode"))
    rule = result.shape or "cryosh:?"
    value = URIRef(result.value) if result.value and result.value.startswith(("http", "urn")) else None
    message = result.message
    sources: list[str] = []
    if rule in ("cryosh:UnknownCode", "cryosh:MalformedCode") and code is not None:
        near = nearest_code(str(code), graph)
        if near:
            message += _family_note(graph, near)
            near_code = _codes_by_notation(graph)[near]
            sources = _sources(graph, *graph.objects(near_code, SKOS.broader)) or _sources(graph, near_code)
    elif rule == "cryosh:SiteOutsideScope" and value is not None:
        family_codes = set(graph.subjects(SKOS.broader, None))
        assignments = [a for a in graph.subjects(CRYO.structure, value)
                       if graph.value(a, CRYO.assignedCode) in family_codes]
        sources = _sources(graph, *assignments) or _sources(graph, value)
    else:
        sources = _sources(graph, value)
    return Finding(code=str(code) if code is not None else None, severity=result.severity, message=message,
                   rule=rule, sources=sources)


def check_claim(codes: list[str], *, site: str | None = None, graph: Graph | None = None,
                shapes: Graph | None = None) -> ClaimReport:
    """Check the codes of one session (and the site, when given) against the graph's coding rules.

    *graph* defaults to :func:`load_knowledge_graph`, *shapes* to ``ontology/shapes/claims.ttl``. Codes
    are trimmed and upper-cased; an empty code or site is bad input.
    """
    normalised = [_normalise_code(c) for c in codes]
    if not normalised:
        raise BadInput("no code to check")
    if site is not None and not site.strip():
        raise BadInput("an empty --site was given")
    site = site.strip() if site is not None else None
    graph = load_knowledge_graph() if graph is None else graph
    shapes = load_shapes([CLAIM_SHAPES]) if shapes is None else shapes
    claim = claim_graph(normalised, site=site, graph=graph)
    added = [t for t in claim if t not in graph]
    for triple in added:  # validate in place: the claim is tiny, copying the graph is not
        graph.add(triple)
    try:
        outcome = validate_graph(graph, shapes, inplace=True)
    finally:
        for triple in added:
            graph.remove(triple)
    lines = {str(s): int(n) for s, n in claim.subject_objects(URIRef(CRYOSH + "lineNumber"))}
    ordered = sorted(outcome.results, key=lambda r: (lines.get(r.focus, 0), _SEVERITY_ORDER.get(r.severity, 9),
                                                     r.shape or "", r.message))
    findings: list[Finding] = []
    for result in ordered:
        finding = _finding(result, graph, claim)
        if finding not in findings:
            findings.append(finding)
    return ClaimReport(codes=normalised, site=site, findings=findings)
