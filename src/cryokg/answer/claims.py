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
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS, XSD

from cryokg.answer.diagnoses import Diagnosis
from cryokg.answer.store import Engine, OxigraphEngine
from cryokg.check.validation import SHAPES_NAMESPACE, ValidationResult, load_shapes, validate_graph
from cryokg.errors import BadInput
from cryokg.namespaces import CRYO, PREFIXES
from cryokg.sources.load import DEFAULT_SOURCES, load_files, load_sources

__all__ = [
    "CLAIM_SHAPES",
    "ClaimLineInput",
    "ClaimReport",
    "Finding",
    "check_claim",
    "check_lines",
    "claim_graph",
    "default_release_file",
    "load_knowledge_graph",
    "nearest_code",
    "resolve_site",
    "site_structures",
    "source_titles",
]

CLAIM_SHAPES = DEFAULT_SOURCES / "shapes" / "claims.ttl"
CRYOSH = SHAPES_NAMESPACE
_CLAIM = URIRef("urn:cryokg:claim")
SITE_CLASSES = (CRYO.Nerve, CRYO.NervePlexus, CRYO.BodyRegion)
"""What a typed site may name."""
_SEVERITY_ORDER = {"Violation": 0, "Warning": 1, "Info": 2}


@dataclass(frozen=True)
class Finding:
    """One problem with a claim: which code, how bad, what to do, which rule found it, and on what sources.

    ``value`` is what the finding is about when it is not a code (a diagnosis, a site's words); ``nodes`` the
    graph's nodes it rests on (the rule, position, gap or indication), with their sources in ``sources``."""

    code: str | None
    severity: str
    message: str
    rule: str
    sources: list[str] = field(default_factory=list)
    value: str | None = None
    nodes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ClaimLineInput:
    """One line to check: its code, and the units and modifiers when the claim states them."""

    code: str
    units: int | None = None
    modifiers: tuple[str, ...] = ()


@dataclass
class ClaimReport:
    """The outcome of checking one claim."""

    codes: list[str]
    site: str | None
    findings: list[Finding]
    technique: str | None = None
    """The technique the claim was checked for, or None when neither given, read nor named by its codes."""
    technique_from: str | None = None
    """Where the technique came from: ``option`` (--technique), ``site`` (the site's words) or ``codes``."""
    site_structures: list[str] = field(default_factory=list)
    """Labels of the nerves, plexuses, ganglia or regions the site was read as."""
    source_titles: dict[str, str] = field(default_factory=dict)
    diagnoses: list[dict] = field(default_factory=list)
    """Each diagnosis given: the code set's answer (valid, billable, title) and the indications it points to."""
    payer: dict | None = None
    setting: dict | None = None

    @property
    def conforms(self) -> bool:
        """True when no finding is a Violation."""
        return not any(f.severity == "Violation" for f in self.findings)

    def to_json(self) -> dict:
        """``{"codes": [...], "conforms": bool, "findings": [{"code", "severity", "message", "rule", "sources",
        "value", "nodes"}]}`` plus ``technique``, ``site_structures``, ``diagnoses``, ``payer``, ``setting`` and
        ``source_titles`` (URL -> title); the schema is ``cryokg/answer/schemas/check.schema.json``."""
        return {"codes": list(self.codes), "conforms": self.conforms,
                "findings": [asdict(f) for f in self.findings], "technique": self.technique,
                "technique_from": self.technique_from,
                "site_structures": list(self.site_structures), "diagnoses": list(self.diagnoses),
                "payer": self.payer, "setting": self.setting, "source_titles": dict(self.source_titles)}


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


def claim_graph(codes: Sequence[str | ClaimLineInput], *, site: str | None = None, graph: Graph | None = None,
                structures: list[URIRef] | None = None, technique: URIRef | None = None,
                setting: URIRef | None = None, payer: URIRef | None = None, diagnoses: Sequence[str] = ()) -> Graph:
    """The claim as RDF: one ``cryosh:Claim`` and one ``cryosh:ClaimLine`` per code, in order.

    With a *site*, the structures it names are added as ``cryosh:siteStructure``: *structures* when given
    (see :func:`resolve_site`), else those whose label matches it (:func:`site_structures`, with *graph*).
    The session's *technique*, when known, is ``cryosh:technique``; a line's units and modifiers, and the
    claim's care *setting*, *payer* and *diagnoses* (ICD-10-CM codes with their dot) are added when given.
    """
    claim = Graph()
    ns = CRYOSH
    claim.add((_CLAIM, RDF.type, URIRef(ns + "Claim")))
    if site is not None:
        claim.add((_CLAIM, URIRef(ns + "site"), Literal(site)))
        if structures is None:
            structures = site_structures(site, graph) if graph is not None else []
        for structure in structures:
            claim.add((_CLAIM, URIRef(ns + "siteStructure"), structure))
    if technique is not None:
        claim.add((_CLAIM, URIRef(ns + "technique"), technique))
    if setting is not None:
        claim.add((_CLAIM, URIRef(ns + "setting"), setting))
    if payer is not None:
        claim.add((_CLAIM, URIRef(ns + "payer"), payer))
    for diagnosis in diagnoses:
        claim.add((_CLAIM, URIRef(ns + "diagnosis"), Literal(diagnosis)))
    for number, entry in enumerate(codes, start=1):
        one = entry if isinstance(entry, ClaimLineInput) else ClaimLineInput(str(entry))
        line = URIRef(f"urn:cryokg:claim:line:{number}")
        claim.add((line, RDF.type, URIRef(ns + "ClaimLine")))
        claim.add((line, URIRef(ns + "inClaim"), _CLAIM))
        claim.add((line, URIRef(ns + "reportedCode"), Literal(one.code)))
        claim.add((line, URIRef(ns + "lineNumber"), Literal(number, datatype=XSD.integer)))
        if one.units is not None:
            claim.add((line, URIRef(ns + "units"), Literal(one.units, datatype=XSD.integer)))
        for modifier in one.modifiers:
            claim.add((line, URIRef(ns + "modifier"), Literal(modifier)))
    return claim


_ENGINES: OrderedDict[int, tuple[Graph, int, Engine]] = OrderedDict()


def graph_engine(graph: Graph) -> Engine:
    """An embedded SPARQL store holding *graph*, for reading sites the way ``suggest`` does; the last few are
    kept (keyed by the graph and its size), so the label index is built once per knowledge graph."""
    import pyoxigraph as ox

    cached = _ENGINES.get(id(graph))
    if cached is not None and cached[0] is graph and cached[1] == len(graph):
        return cached[2]
    store = ox.Store()
    store.bulk_load(graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    engine = OxigraphEngine(store)
    _ENGINES[id(graph)] = (graph, len(graph), engine)
    while len(_ENGINES) > 4:
        _ENGINES.popitem(last=False)
    return engine


def resolve_site(site: str, engine: Engine, *, technique: URIRef | None = None) -> tuple[list[URIRef], URIRef | None]:
    """The structures a typed site names, read as ``cryokg suggest`` reads it, and the technique it states.

    Raises :class:`BadInput` (exit 2) when it names nothing (with did-you-mean), names a nerve with a region it
    does not lie in, or names several sites whose codes differ (name one). A site that names only body regions
    gives those regions.
    """
    from cryokg.answer.code_selection import SiteError, suggest
    from cryokg.answer.note_reading import read_note

    reading = read_note(engine, site)
    if not reading.sites:
        regions = sorted({r for m in reading.mentions if m.kind == "region" for r in m.resources})
        if regions and not reading.unmatched:
            return regions, None
    try:
        answer = suggest(engine, site, technique=str(technique) if technique else None)
    except SiteError as error:
        hint = f"; did you mean: {', '.join(error.did_you_mean)}?" if error.did_you_mean else ""
        raise BadInput(f"--site {site!r}: {error.message}{hint}") from None
    structures: list[URIRef] = []
    for one in answer.answers:
        if one.site.get("iri"):
            structures.append(URIRef(one.site["iri"]))
        elif one.ambiguous and not one.codes:
            names = "; ".join(f"{m['site']['label']} -> {', '.join(m['codes']) or 'no code'}" for m in one.matches)
            raise BadInput(f"--site {site!r} names several sites whose codes differ ({names}): name the one treated")
        else:
            structures += [URIRef(m["site"]["iri"]) for m in one.matches]
    stated = {URIRef(one.technique["iri"]) for one in answer.answers if one.read.get("technique_from") == "text"}
    return list(dict.fromkeys(structures)), (next(iter(stated)) if len(stated) == 1 else None)


def _codes_by_notation(graph: Graph) -> dict[str, URIRef]:
    return {str(n): code for code in graph.subjects(RDF.type, CRYO.ProcedureCode)
            for n in graph.objects(code, SKOS.notation) if isinstance(code, URIRef)}


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
    from rapidfuzz.distance import Levenshtein

    typed = re.sub(r"[^0-9A-Z]", "", code.upper())
    best: tuple[int, int, int, str] | None = None
    for notation in _codes_by_notation(graph):
        distance = Levenshtein.distance(typed, notation)
        if distance > 2 or distance >= max(len(notation), 1):
            continue
        key = (distance, int(typed[-1:] != notation[-1:]), abs(_digits(typed) - _digits(notation)), notation)
        if best is None or key < best:
            best = key
    return best[3] if best else None


def _label(graph: Graph, node: object) -> str:
    if not isinstance(node, URIRef):
        return str(node)
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


def _sources(graph: Graph, *nodes: object) -> list[str]:
    found: list[str] = []
    for node in nodes:
        if not isinstance(node, URIRef):
            continue
        for source in graph.objects(node, DCTERMS.source):
            if str(source) not in found:
                found.append(str(source))
    return found


_CURIE_IN_TEXT = re.compile(r"\b([a-z][a-z0-9-]*):([A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])")


def _readable(message: str, graph: Graph) -> str:
    """Name the graph's nodes that a SHACL message shows as CURIEs by their labels: "(rule
    rule:0440T-imaging-guidance-included)" reads "(rule: 0440T includes imaging guidance ...)"."""
    def label(match: re.Match[str]) -> str:
        prefix, local = match.group(1), match.group(2)
        if prefix not in PREFIXES:
            return match.group(0)
        node = URIRef(PREFIXES[prefix] + local)
        name = graph.value(node, SKOS.prefLabel) or graph.value(node, DCTERMS.title)
        return f"\u201c{name}\u201d" if name is not None else match.group(0)
    return _CURIE_IN_TEXT.sub(label, message)


def _conflicts(graph: Graph, position: URIRef) -> tuple[str, list[str]]:
    """What the positions in conflict with *position* say, and their sources."""
    notes, sources = [], []
    for other in sorted(graph.objects(position, CRYO.conflictsWith), key=str):
        issuer = graph.value(other, CRYO.issuedBy)
        who = _label(graph, issuer) if issuer is not None else _label(graph, other)
        preferred = sorted(str(graph.value(c, SKOS.notation)) for c in graph.objects(other, CRYO.preferredCode))
        said = f" (it prefers {', '.join(preferred)})" if preferred else ""
        notes.append(f"Contrary position: {who}, \u201c{_label(graph, other)}\u201d{said}.")
        sources += _sources(graph, other)
    return " ".join(notes), sources


def _family_rules(graph: Graph, family: URIRef) -> list[URIRef]:
    """The coding rules (not bundling or claim-line rules) that apply to every member of *family*."""
    members = set(graph.subjects(SKOS.broader, family))
    return sorted(r for r in graph.subjects(RDF.type, CRYO.CodingRule) if isinstance(r, URIRef)
                  and (r, RDF.type, CRYO.ReportingRule) not in graph and members
                  and members <= set(graph.objects(r, CRYO.appliesTo)))


def _finding(result: ValidationResult, graph: Graph, claim: Graph,
             diagnoses: dict[str, list[dict]] | None = None) -> Finding:
    focus = URIRef(result.focus)
    code = claim.value(focus, URIRef(CRYOSH + "reportedCode"))
    rule = result.shape or "cryosh:?"
    value = URIRef(result.value) if result.value and result.value.startswith(("http", "urn")) else None
    message = result.message
    sources: list[str] = []
    nodes: list[URIRef] = [value] if value is not None else []
    code_node = _codes_by_notation(graph).get(str(code)) if code is not None else None
    if rule in ("cryosh:UnknownCode", "cryosh:MalformedCode") and code is not None:
        near = nearest_code(str(code), graph)
        if near:
            message += _family_note(graph, near)
            near_code = _codes_by_notation(graph)[near]
            families = [f for f in graph.objects(near_code, SKOS.broader) if isinstance(f, URIRef)]
            sources = _sources(graph, *families) or _sources(graph, near_code)
            nodes = [near_code, *families, *(r for f in families for r in _family_rules(graph, f))]
    elif rule == "cryosh:SiteOutsideScope" and value is not None:
        family_codes = set(graph.subjects(SKOS.broader, None))
        assignments = [a for a in graph.subjects(CRYO.structure, value)
                       if graph.value(a, CRYO.assignedCode) in family_codes]
        sources = _sources(graph, *assignments) or _sources(graph, value)
        nodes += [a for a in assignments if isinstance(a, URIRef)]
    elif rule == "cryosh:SiteOutsideCodeScope" and value is not None and code_node is not None:
        others = sorted({str(graph.value(graph.value(a, CRYO.assignedCode), SKOS.notation))
                         for a in graph.subjects(CRYO.structure, value)
                         if graph.value(a, CRYO.technique) in set(graph.objects(code_node, CRYO.method))})
        if others:
            message += f" For this site and the methods of {code}, the graph gives {', '.join(others)}."
        sources = _sources(graph, code_node, *graph.objects(code_node, CRYO.anatomicScope))
    elif rule == "cryosh:CodeForOtherTechnique" and code_node is not None:
        methods = sorted(_label(graph, m) for m in graph.objects(code_node, CRYO.method))
        message += f" {code} is recorded for: {', '.join(methods)}."
        sources = _sources(graph, code_node)
    elif rule == "cryosh:PositionRejectsCodeForTechnique" and value is not None:
        contrary, more = _conflicts(graph, value)
        preferred = sorted(str(graph.value(c, SKOS.notation)) for c in graph.objects(value, CRYO.preferredCode))
        if preferred:
            message += f" It points to {', '.join(preferred)} instead."
        message += f" {contrary}" if contrary else ""
        sources = _sources(graph, value) + [s for s in more if s not in _sources(graph, value)]
        nodes += sorted(o for o in graph.objects(value, CRYO.conflictsWith) if isinstance(o, URIRef))
    elif rule == "cryosh:SiteNotCheckable" and value is not None:
        sources = _sources(graph, value, code_node)
    elif rule == "cryosh:DiagnosisNotNamedByPolicy" and result.value:
        linked = (diagnoses or {}).get(_plain(result.value), [])
        for indication in linked:
            said = ("it lists " + ", ".join(indication["codes_listed"]) if indication["codes_listed"]
                    else f"named in words only: {indication['no_code_reason']}" if indication["no_code_reason"]
                    else "no code listed")
            message += f" It points to the indication \u201c{indication['label']}\u201d ({said})."
            nodes.append(URIRef(indication["iri"]))
            sources += [s for s in indication["sources"] if s not in sources]
    else:
        sources = _sources(graph, value)
    shown = None if code is not None or value is not None or not result.value else _plain(result.value)
    return Finding(code=str(code) if code is not None else None, severity=result.severity,
                   message=_readable(message, graph), rule=rule, sources=sources, value=shown,
                   nodes=[str(n) for n in dict.fromkeys(nodes)])


def _plain(term: str) -> str:
    """The lexical form of a literal as a validation result writes it (N3: ``"G57.62"``)."""
    if term.startswith('"'):
        from rdflib.util import from_n3

        return str(from_n3(term))
    return term


def source_titles(graph: Graph, urls: Sequence[str]) -> dict[str, str]:
    """Each source's title (``dcterms:title``, else its label), whitespace tidied."""
    titles = {}
    for url in urls:
        title = graph.value(URIRef(url), DCTERMS.title) or graph.value(URIRef(url), SKOS.prefLabel)
        if title is not None:
            titles[url] = " ".join(str(title).split())
    return titles


def _session_technique(graph: Graph, codes: list[str]) -> URIRef | None:
    """The technique the codes name, when those with a single method name one and the same."""
    by_notation = _codes_by_notation(graph)
    named = set()
    for notation in codes:
        methods = set(graph.objects(by_notation[notation], CRYO.method)) if notation in by_notation else set()
        if len(methods) == 1:
            named |= methods
    return URIRef(str(next(iter(named)))) if len(named) == 1 else None


def _resolve_technique(text: str, engine: Engine) -> URIRef:
    from cryokg.answer.matching import label_index

    index = label_index(engine)
    pool = index.of_type(CRYO.Technique)
    found = index.find(text, pool)
    if len(found) != 1:
        hints = index.did_you_mean(text, pool) or sorted(index.label(t) for t in pool)
        raise BadInput(f"--technique: no technique in the graph is called {text!r}; did you mean: {', '.join(hints)}?")
    return next(iter(found))


def _resolve_setting(text: str, graph: Graph) -> URIRef:
    wanted = _key(text)
    found = {s for s in graph.subjects(RDF.type, CRYO.CareSetting) if isinstance(s, URIRef) and any(
        _key(str(x)) == wanted for p in (SKOS.notation, SKOS.prefLabel, SKOS.altLabel) for x in graph.objects(s, p))}
    if len(found) != 1:
        names = sorted(str(graph.value(s, SKOS.notation)) for s in graph.subjects(RDF.type, CRYO.CareSetting))
        raise BadInput(f"--setting: no care setting in the graph is called {text!r}; use one of: {', '.join(names)}")
    return next(iter(found))


_VALIDATING = threading.Lock()
"""Claims are validated in place in the shared knowledge graph (adding and then removing their few triples): one
at a time, so that two claims checked at once (the web server's threads) never see each other's lines."""


def check_claim(codes: Sequence[str | ClaimLineInput], *, site: str | None = None, graph: Graph | None = None,
                shapes: Graph | None = None, technique: str | None = None, dx: Sequence[str] = (),
                payer: str | None = None, setting: str | None = None) -> ClaimReport:
    """Check the codes of one session (and the site, when given) against the graph's coding rules.

    *graph* defaults to :func:`load_knowledge_graph`, *shapes* to ``ontology/shapes/claims.ttl``. Codes
    are trimmed and upper-cased; an empty code or site is bad input, and so is a site that matches nothing
    (:func:`resolve_site`). The session's technique is *technique* (a label or synonym), else the one the
    site's words state, else the one the codes name; it decides which payer positions and methods apply.
    *dx* are ICD-10-CM codes (each looked up in the code set: an invalid or non-billable one is a Violation, one
    no policy of the graph names a Warning); *payer* names an organisation of the graph (its positions against a
    code are Warnings) and *setting* a care setting (office, asc, hospital-outpatient).
    """
    lines = [c if isinstance(c, ClaimLineInput) else ClaimLineInput(_normalise_code(c)) for c in codes]
    lines = [ClaimLineInput(_normalise_code(c.code), c.units, tuple(m.strip().upper() for m in c.modifiers))
             for c in lines]
    if not lines:
        raise BadInput("no code to check")
    if site is not None and not site.strip():
        raise BadInput("an empty --site was given")
    if technique is not None and not technique.strip():
        raise BadInput("an empty --technique was given")
    site = site.strip() if site is not None else None
    graph = load_knowledge_graph() if graph is None else graph
    from cryokg.answer.diagnoses import check_diagnosis

    diagnoses = [check_diagnosis(d) for d in dx]
    engine = graph_engine(graph) if site is not None or technique is not None or payer is not None else None
    technique_iri = _resolve_technique(technique, engine) if technique is not None and engine else None
    origin = "option" if technique_iri is not None else None
    payer_iri = None
    if payer is not None and engine is not None:
        from cryokg.answer.payers import resolve_payer

        payer_iri = resolve_payer(engine, payer)
    setting_iri = _resolve_setting(setting, graph) if setting is not None else None
    structures: list[URIRef] | None = None
    if site is not None and engine is not None:
        structures, stated = resolve_site(site, engine, technique=technique_iri)
        if technique_iri is None and stated is not None:
            technique_iri, origin = stated, "site"
    if technique_iri is None:
        technique_iri = _session_technique(graph, [line.code for line in lines])
        origin = "codes" if technique_iri is not None else None
    return check_lines(lines, graph=graph, shapes=shapes, site=site, structures=structures, technique=technique_iri,
                       technique_from=origin, diagnoses=diagnoses, payer=payer_iri, setting=setting_iri)


def check_lines(lines: list[ClaimLineInput], *, graph: Graph, shapes: Graph | None = None, site: str | None = None,
                structures: list[URIRef] | None = None, technique: URIRef | None = None,
                technique_from: str | None = None, diagnoses: Sequence[Diagnosis] = (), payer: URIRef | None = None,
                setting: URIRef | None = None, note_indications: Sequence[URIRef] = ()) -> ClaimReport:
    """Validate resolved claim lines against the claim shapes (what :func:`check_claim` and ``cryokg claim`` share).

    Diagnoses the code set does not know, or that are not billable, are Violations found here (program checks
    ``program:invalid-diagnosis``, ``program:non-billable-diagnosis``); the others go into the claim, where
    ``cryosh:DiagnosisNotNamedByPolicy`` checks them against the indications the graph's policies list.
    *note_indications* are indications the note names, shown with a diagnosis that points to them.
    """
    from cryokg.answer.diagnoses import indications_for

    shapes = load_shapes([CLAIM_SHAPES]) if shapes is None else shapes
    linked = {d.code: [i.to_json() for i in indications_for(graph, d, list(note_indications))] for d in diagnoses}
    usable = list(dict.fromkeys(d.code for d in diagnoses if d.problem is None))
    claim = claim_graph(lines, site=site, structures=structures, technique=technique, setting=setting, payer=payer,
                        diagnoses=usable)
    with _VALIDATING:
        added = [t for t in claim if t not in graph]
        for triple in added:  # validate in place: the claim is tiny, copying the graph is not
            graph.add(triple)
        try:
            outcome = validate_graph(graph, shapes, inplace=True)
        finally:
            for triple in added:
                graph.remove(triple)
    numbers = {str(s): int(str(n)) for s, n in claim.subject_objects(URIRef(CRYOSH + "lineNumber"))}
    ordered = sorted(outcome.results, key=lambda r: (numbers.get(r.focus, 0), _SEVERITY_ORDER.get(r.severity, 9),
                                                     r.shape or "", r.message))
    findings: list[Finding] = [_diagnosis_finding(d, linked[d.code]) for d in diagnoses if d.problem is not None]
    for result in ordered:
        finding = _finding(result, graph, claim, linked)
        if finding not in findings:
            findings.append(finding)
    findings.sort(key=lambda f: _SEVERITY_ORDER.get(f.severity, 9))
    titles = source_titles(graph, sorted({s for f in findings for s in f.sources}))
    from cryokg.answer.payers import issuer

    return ClaimReport(codes=[line.code for line in lines], site=site, findings=findings,
                       technique=_label(graph, technique) if technique is not None else None,
                       technique_from=technique_from,
                       site_structures=[_label(graph, s) for s in structures or []], source_titles=titles,
                       diagnoses=[{**d.to_json(), "indications": linked[d.code]} for d in diagnoses],
                       payer=issuer(graph, payer) if payer is not None else None,
                       setting={"iri": str(setting), "label": _label(graph, setting),
                                "notation": str(graph.value(setting, SKOS.notation))} if setting is not None else None)


def _diagnosis_finding(diagnosis: Diagnosis, linked: list[dict]) -> Finding:
    """A Violation for a diagnosis code the code set does not have, or that is not billable."""
    if diagnosis.problem == "invalid":
        message = (f"{diagnosis.code} is not an ICD-10-CM code (not in the CDC/CMS code set shipped by "
                   f"simple-icd-10-cm), so it cannot go on the claim.")
        rule = "program:invalid-diagnosis"
    else:
        below = ""
        try:
            from cryokg.answer.diagnoses import _code_set

            children = [str(c) for c in _code_set().get_children(diagnosis.code)][:6]
            below = f" Codes below it: {', '.join(children)}." if children else ""
        except (ValueError, KeyError):
            below = ""
        message = (f"{diagnosis.code} ({diagnosis.title}) is an ICD-10-CM category, not a billable code: report one "
                   f"of the codes below it, which say more (such as the side).{below}")
        rule = "program:non-billable-diagnosis"
    if linked:
        message += " The note or the code points to: " + ", ".join(f"\u201c{i['label']}\u201d" for i in linked) + "."
    return Finding(code=None, severity="Violation", message=message, rule=rule,
                   sources=list(dict.fromkeys(s for i in linked for s in i["sources"])), value=diagnosis.code,
                   nodes=[i["iri"] for i in linked])
