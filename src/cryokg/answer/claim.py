"""From a procedure note to checked claim lines: what ``cryokg claim`` and the web page ``/claim`` answer.

:func:`claim` reads the note (:func:`cryokg.answer.note_reading.read_note`), answers the code of every site it names
as ``cryokg suggest`` does (:func:`cryokg.answer.code_selection.answer_structure`), and groups the sites into claim
lines: one line per code, with the nerves it covers; a disputed site gets its own line whose code is
``"ambiguous"`` with every candidate; a site the graph gives no code for is an *unresolved site*, never a guess.
Codes the note itself lists ("Charge sheet: 0441T, 77002-59", "64624 x 3 units") become lines of origin ``note``
with the units and modifiers written there. The device code a named device carries (``cryo:deviceCode``: iovera ->
C9809) is proposed where a claim-line rule of the graph says it is paid in the care setting.

Units and modifiers come only from the graph: a ``cryo:ReportingRule`` that states units (``cryo:unitsPerLine``, or
one unit per nerve) or modifiers; otherwise the line says ``"unknown"`` with the ``cryo:ReportingGap`` that says why
("no public source for units of 0441T; payer-specific"), or with no node when the graph holds neither a rule nor a
gap. A line of the note keeps what the note wrote (one unit when it writes no count, unless a gap says the count is
unknown).

The lines are then checked by the same SHACL claim check as ``cryokg check`` (:func:`cryokg.answer.claims.check_lines`)
and its findings returned with the lines, plus a Warning (``program:site-not-covered``) for every unresolved site.
``verified`` is False when something could not be checked (an unresolved site, a disputed code): such a claim is
never called clean. The payer's positions in force are stated, those no longer in force shown as history, and every
position that disagrees with one about the claim's codes stays visible (``conflicts``).

How a note says the pain relief follows surgery (which decides whether the qualifying-use gap of C9809 is a caveat)
is read by a small pattern (:data:`_AFTER_SURGERY`): "pain after the operation", "postoperative pain"; anything
else leaves the caveat on.

>>> from cryokg.answer.claims import load_knowledge_graph
>>> answer = claim("Cryoablation of the superficial radial nerve. Charge sheet: 0440T, 76942.",
...                graph=load_knowledge_graph())
>>> [(line.code, line.origin) for line in answer.lines], answer.conforms
([('0440T', 'derived'), ('76942', 'note')], False)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from cryokg.answer.claims import ClaimLineInput, ClaimReport, check_lines, graph_engine, load_knowledge_graph, source_titles
from cryokg.answer.diagnoses import Diagnosis, check_diagnosis, diagnoses_in_text
from cryokg.errors import BadInput
from cryokg.namespaces import CRYO

__all__ = ["MAX_NOTE_CHARS", "ClaimAnswer", "ClaimLine", "claim"]

MAX_NOTE_CHARS = 20_000
"""The longest note read (a procedure note is a page; longer input is refused, not cut)."""

UNKNOWN = "unknown"
_CODE_IN_TEXT = re.compile(
    r"(?<![\w.])(\d{4}[0-9T]|[A-Z]\d{4})((?:-[0-9A-Z]{2})*)(?:\s*(?:x|×|X)\s*(\d{1,2})(?:\s*units?)?)?(?![\w.]*\w)")
"""A code written in the note: five digits or four and T (CPT), or a letter and four digits (HCPCS, taken only when
the graph knows it, since an ICD-10-CM code written without its dot looks the same); then modifiers written with a
hyphen ("77002-59") and a count ("x 3", "x3 units")."""
_AFTER_SURGERY = re.compile(r"\b(?:pain after (?:the|an|his|her|their) (?:operation|surgery)|"
                            r"post-?\s?(?:operative|surgical) pain)\b", re.IGNORECASE)
_RULE_CLASSES = (CRYO.ReportingRule, CRYO.ReportingGap)


@dataclass
class ClaimLine:
    """One proposed line: the code (or ``"ambiguous"`` with its candidates), where it came from, units and modifiers
    (or ``"unknown"`` with the gaps that say why), what it covers and links, and the graph nodes and sources behind it."""

    code: str
    origin: str
    """``derived`` (proposed from the sites and the graph) or ``note`` (the note lists the code)."""
    units: int | str = UNKNOWN
    modifiers: list[str] | str = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)
    listed_in_note: bool = False
    nerves: list[dict] = field(default_factory=list)
    laterality: list[str] = field(default_factory=list)
    dx: list[str] = field(default_factory=list)
    why: list[dict] = field(default_factory=list)
    units_because: list[dict] = field(default_factory=list)
    modifiers_because: list[dict] = field(default_factory=list)
    caveats: list[dict] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"code": self.code, "candidates": list(self.candidates), "origin": self.origin,
                "listed_in_note": self.listed_in_note, "units": self.units, "units_because": self.units_because,
                "modifiers": self.modifiers if isinstance(self.modifiers, str) else list(self.modifiers),
                "modifiers_because": self.modifiers_because, "nerves": self.nerves, "laterality": self.laterality,
                "dx": self.dx, "why": self.why, "caveats": self.caveats, "explanation": self.explanation,
                "sources": self.sources}


@dataclass
class ClaimAnswer:
    """Everything ``cryokg claim`` answers for one note; :meth:`to_json` is the ``--json`` output
    (schema: ``cryokg/answer/schemas/claim.schema.json``)."""

    text: str
    lines: list[ClaimLine]
    report: ClaimReport
    findings: list[dict]
    payer: dict | None = None
    setting: dict | None = None
    positions: list[dict] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)
    alternatives: list[dict] = field(default_factory=list)
    not_proposed: list[dict] = field(default_factory=list)
    unresolved_sites: list[dict] = field(default_factory=list)
    diagnoses: list[dict] = field(default_factory=list)
    source_titles: dict[str, str] = field(default_factory=dict)

    @property
    def conforms(self) -> bool:
        """No Violation among the findings."""
        return not any(f["severity"] == "Violation" for f in self.findings)

    @property
    def verified(self) -> bool:
        """Every line has one code and every site named was coded: nothing was left unchecked."""
        return not self.unresolved_sites and not any(line.code == "ambiguous" for line in self.lines)

    def to_json(self) -> dict:
        return {"text": self.text, "conforms": self.conforms, "verified": self.verified,
                "lines": [line.to_json() for line in self.lines], "findings": self.findings,
                "payer": self.payer, "setting": self.setting, "positions": self.positions, "history": self.history,
                "conflicts": self.conflicts, "alternatives": self.alternatives, "not_proposed": self.not_proposed,
                "unresolved_sites": self.unresolved_sites, "diagnoses": self.diagnoses,
                "source_titles": self.source_titles}


# --- small graph helpers ---------------------------------------------------------------------------------------------

def _label(graph: Graph, node: object) -> str:
    return str(graph.value(node, SKOS.prefLabel) or node) if isinstance(node, URIRef) else str(node)


def _node(graph: Graph, node: URIRef, role: str = "") -> dict:
    out: dict = {"iri": str(node), "label": _label(graph, node)}
    reason = graph.value(node, CRYO.reason) or graph.value(node, SKOS.definition)
    if reason is not None:
        out["reason"] = " ".join(str(reason).split())
    if role:
        out["role"] = role
    out["sources"] = sorted(str(s) for s in graph.objects(node, DCTERMS.source))
    return out


def _sources(graph: Graph, nodes: Sequence[URIRef]) -> list[str]:
    return list(dict.fromkeys(str(s) for n in nodes for s in sorted(graph.objects(n, DCTERMS.source), key=str)))


def _codes(graph: Graph) -> dict[str, URIRef]:
    return {str(n): c for c in graph.subjects(RDF.type, CRYO.ProcedureCode) if isinstance(c, URIRef)
            for n in graph.objects(c, SKOS.notation)}


def _about(graph: Graph, code: URIRef, aspects: tuple[str, ...]) -> tuple[list[URIRef], list[URIRef]]:
    """Claim-line rules and gaps that apply to *code* on one of *aspects* (notations of cryo:ReportingAspect)."""
    rules, gaps = [], []
    for node in sorted(graph.subjects(CRYO.appliesTo, code), key=str):
        aspect = graph.value(graph.value(node, CRYO.ruleAspect), SKOS.notation)
        if aspect is None or str(aspect) not in aspects or not isinstance(node, URIRef):
            continue
        if (node, RDF.type, CRYO.ReportingRule) in graph:
            rules.append(node)
        elif (node, RDF.type, CRYO.ReportingGap) in graph:
            gaps.append(node)
    return rules, gaps


def _units(graph: Graph, code: URIRef, nerves: int) -> tuple[int | str, list[URIRef], list[URIRef]]:
    """Units of a derived line: (units, rules used, gaps why unknown)."""
    rules, gaps = _about(graph, code, ("units",))
    for rule in rules:
        per_line = graph.value(rule, CRYO.unitsPerLine)
        if per_line is not None:
            return int(str(per_line)), [rule], []
        basis = graph.value(graph.value(rule, CRYO.unitBasis), SKOS.notation)
        if basis is not None and str(basis) == "per-nerve-or-branch" and nerves:
            return nerves, [rule], []
    return UNKNOWN, [], gaps


def _modifiers(graph: Graph, code: URIRef) -> tuple[list[str] | str, list[URIRef]]:
    """Modifiers of a derived line: unknown with the gaps when the graph records one on modifiers or laterality,
    else none (no rule of the graph asks for one)."""
    _, gaps = _about(graph, code, ("laterality", "modifier"))
    return (UNKNOWN, gaps) if gaps else ([], [])


# --- positions ----------------------------------------------------------------------------------------------------

def _positions_about(graph: Graph, codes: set[str]) -> list[URIRef]:
    """Positions in force that name one of *codes* (applies to, prefers or rejects it)."""
    notations = _codes(graph)
    nodes = {notations[c] for c in codes if c in notations}
    found = set()
    for p in graph.subjects(RDF.type, CRYO.PayerPosition):
        if graph.value(p, CRYO.effectiveUntil) is not None or not isinstance(p, URIRef):
            continue
        if any((p, pred, n) in graph for n in nodes for pred in (CRYO.appliesTo, CRYO.preferredCode, CRYO.rejectedCode)):
            found.add(p)
    return sorted(found, key=str)


def _conflicts(graph: Graph, about: Sequence[URIRef]) -> list[dict]:
    pairs: dict[tuple[str, str], dict] = {}
    from cryokg.answer.payers import position

    for p in about:
        others = set(graph.objects(p, CRYO.conflictsWith)) | set(graph.subjects(CRYO.conflictsWith, p))
        for other in sorted(o for o in others if isinstance(o, URIRef)):
            a, b = sorted((str(p), str(other)))
            if (a, b) not in pairs:
                pairs[(a, b)] = {"positions": [position(graph, URIRef(a)).to_json(), position(graph, URIRef(b)).to_json()]}
    return list(pairs.values())


# --- reading the note ----------------------------------------------------------------------------------------------

@dataclass
class _Listed:
    code: str
    modifiers: list[str]
    units: int | None
    span: tuple[int, int]


def _listed_codes(text: str, known: dict[str, URIRef]) -> list[_Listed]:
    out: list[_Listed] = []
    for match in _CODE_IN_TEXT.finditer(text):
        code = match.group(1)
        if code[0].isalpha() and code not in known:
            continue
        modifiers = [m for m in match.group(2).split("-") if m]
        units = int(match.group(3)) if match.group(3) else None
        if any(x.code == code for x in out):
            continue
        out.append(_Listed(code, modifiers, units, (match.start(), match.end())))
    return out


def _setting(graph: Graph, engine: object, text: str, option: str | None) -> tuple[URIRef | None, str | None]:
    from cryokg.answer.claims import _resolve_setting
    from cryokg.answer.note_reading import read_phrases

    if option is not None:
        return _resolve_setting(option, graph), "option"
    found = {r for m in read_phrases(engine, text, CRYO.CareSetting, "setting") for r in m.resources}  # type: ignore[arg-type]
    return (next(iter(found)), "note") if len(found) == 1 else (None, None)


_BRANCH_OF = re.compile(r"\bbranch(?:es)?\s+of\s+(?:the\s+)?$", re.IGNORECASE)


def _named_sites(graph: Graph, reading: object) -> list:
    """The site mentions that name a treated site: not a code read as a procedure's name ("0442T" is a code on the
    charge sheet, not its scope's examples), not loose words when one of the sites they match is named by its own
    name in the note, and not the parent nerve in "superficial branch of the radial nerve" when the branch is named."""
    from cryokg.answer.note_reading import NoteReading

    assert isinstance(reading, NoteReading)
    exact = {s for m in reading.sites if m.mention.how not in ("loose", "procedure") for s in m.structures}
    kept = []
    for mention in reading.sites:
        if mention.mention.how == "procedure" and _CODE_IN_TEXT.fullmatch(mention.mention.text.strip()):
            continue
        if mention.mention.how == "loose" and len(mention.structures) > 1 and set(mention.structures) & exact:
            continue
        before = reading.text[:mention.mention.start]
        if _BRANCH_OF.search(before) and any((b, CRYO.branchOf, s) in graph for b in exact for s in mention.structures):
            continue
        kept.append(mention)
    return kept


# --- the claim ------------------------------------------------------------------------------------------------------

def claim(text: str, *, graph: Graph | None = None, payer: str | None = None, setting: str | None = None,
          dx: Sequence[str] = ()) -> ClaimAnswer:
    """Claim lines and findings for the procedure note *text* (module docstring).

    *payer* names an organisation of the graph (cgs, aetna, ...), *setting* a care setting (office, asc,
    hospital-outpatient; else the one the note names), *dx* ICD-10-CM codes (added to those written in the note
    with their dot). Raises :class:`BadInput` for an empty or over-long note, a note that names neither a site nor
    a code, and an unknown payer, setting or malformed diagnosis code.
    """
    from cryokg.answer.code_selection import DEFAULT_APPROACH, DEFAULT_TECHNIQUE, answer_structure, resolve_kind, site_members
    from cryokg.answer.note_reading import lexicon, read_note, read_phrases
    from cryokg.answer.payers import positions_of, resolve_payer

    if not text or not text.strip():
        raise BadInput("the note is empty")
    if len(text) > MAX_NOTE_CHARS:
        raise BadInput(f"the note is {len(text)} characters long; at most {MAX_NOTE_CHARS} are read")
    graph = load_knowledge_graph() if graph is None else graph
    engine = graph_engine(graph)
    known = _codes(graph)

    # diagnoses: given, then written in the note (with their dot)
    typed = [(d, "given", None) for d in dx] + [(d, "note", span) for d, span in diagnoses_in_text(text)]
    diagnoses: list[Diagnosis] = []
    for code, origin, span in typed:
        one = check_diagnosis(code, found_in=origin, span=span)
        if all(d.code != one.code for d in diagnoses):
            diagnoses.append(one)
    payer_iri = resolve_payer(engine, payer) if payer is not None else None
    setting_iri, setting_from = _setting(graph, engine, text, setting)
    note_indications = sorted({r for m in read_phrases(engine, text, CRYO.Indication, "indication", any_order=True)
                               for r in m.resources}, key=str)

    reading = read_note(engine, text)
    listed = _listed_codes(text, known)
    if not reading.sites and not listed and not reading.unmatched:
        raise BadInput("the note names no nerve, plexus or code that the graph knows; name the site treated "
                       "(e.g. 'cryoablation of the left superficial radial nerve')")

    # one answer per structure named
    default_technique = resolve_kind(engine, DEFAULT_TECHNIQUE, CRYO.Technique, "technique")
    default_approach = resolve_kind(engine, DEFAULT_APPROACH, CRYO.Approach, "approach")
    groups: dict[tuple[str, tuple[str, ...]], ClaimLine] = {}
    alternatives: dict[str, dict] = {}
    unresolved: list[dict] = []
    techniques: set[URIRef] = set()
    for mention in _named_sites(graph, reading):
        technique = mention.techniques[0] if len(mention.techniques) == 1 else None
        if technique is None and len(mention.techniques) > 1:
            named = [t for t, m in zip(mention.techniques, mention.technique_mentions, strict=False) if m.kind != "code"]
            technique = named[0] if len(set(named)) == 1 else default_technique
        technique = technique or default_technique
        approach = mention.approaches[0] if len(mention.approaches) == 1 else default_approach
        members = site_members(engine, mention.structures)
        answers = [answer_structure(engine, structure, technique, approach) for structure in members]
        if mention.group is None and len({(tuple(a.codes), a.ambiguous) for a in answers}) > 1:
            names = "; ".join(f"{a.site['label']} -> {', '.join(a.codes) or 'no code'}" for a in answers)
            unresolved.append({"text": mention.mention.text, "span": list(mention.span), "site": None,
                               "why": [f"The words name several sites whose codes differ ({names}): the note must "
                                       f"name the one treated."], "sources": []})
            continue
        for answer in answers:
            techniques.add(technique)
            if not answer.codes:
                unresolved.append({"text": mention.mention.text, "span": list(mention.span), "site": answer.site,
                                   "why": answer.explanation, "sources": answer.sources})
                continue
            key = ("ambiguous", tuple(sorted(answer.codes))) if answer.ambiguous else (answer.codes[0], ())
            line = groups.setdefault(key, ClaimLine(code=key[0], origin="derived", candidates=list(key[1])))
            if answer.site not in line.nerves:
                line.nerves.append(answer.site)
            if mention.laterality and mention.laterality not in line.laterality:
                line.laterality.append(mention.laterality)
            for c in answer.candidates:
                if c["kind"] == "contested alternative":
                    alt = alternatives.setdefault(c["code"], {"code": c["code"], "why": [], "sources": [],
                                                             "explanation": []})
                    if c.get("assignment") and c["assignment"] not in [w["iri"] for w in alt["why"]]:
                        alt["why"].append(_node(graph, URIRef(c["assignment"]), "assignment"))
                    alt["explanation"].append(c["reason"])
                    alt["sources"] += [s for s in c["sources"] if s not in alt["sources"]]
                elif c.get("assignment"):
                    line.why.append(_node(graph, URIRef(c["assignment"]), "assignment"))
            line.explanation += [e for e in answer.explanation if e not in line.explanation]
            line.sources += [s for s in answer.sources if s not in line.sources]
    for words in reading.unmatched:
        from cryokg.answer.matching import label_index

        index = label_index(engine)
        from cryokg.answer.note_reading import SITE_CLASSES

        unresolved.append({"text": words.text, "span": [words.start, words.end], "site": None,
                           "why": ["No nerve, plexus or ganglion of the graph is called so: the graph gives no code "
                                   "for it."], "did_you_mean": index.did_you_mean(words.text, index.of_type(*SITE_CLASSES)),
                           "sources": []})
    lines = list(groups.values())
    lex = lexicon(engine)
    for line in lines:  # a group named beside its own members stands for them: the members are the nerves
        iris = {n["iri"] for n in line.nerves}
        line.nerves = [n for n in line.nerves
                       if not (URIRef(n["iri"]) in lex.groups and {str(m) for m in lex.groups[URIRef(n["iri"])]} & iris)]
    derived_codes = {line.code for line in lines}

    # the device code of a named device, by care setting
    lines_device, not_proposed = _device_lines(graph, reading, text, setting_iri, derived_codes, listed, known)

    # lines the note lists
    note_lines: list[ClaimLine] = []
    for item in listed:
        existing = next((line for line in lines + lines_device if line.code == item.code), None)
        if existing is not None:
            existing.listed_in_note = True
            if item.units is not None or item.modifiers:
                existing.explanation.append(f"The note lists {item.code} with "
                                            f"{item.units or 1} unit(s) and modifiers {item.modifiers or 'none'}.")
            continue
        note_lines.append(_note_line(graph, item, known, reading, lines))

    all_lines = lines + lines_device + note_lines
    structures = [URIRef(n["iri"]) for line in lines for n in line.nerves]
    for line in lines:
        _fill_derived(graph, line, known, diagnoses)
    for line in lines_device:
        nodes = [URIRef(w["iri"]) for w in line.why + line.units_because + line.caveats]
        line.sources = list(dict.fromkeys(line.sources + _sources(graph, nodes)))

    # payer positions: the chosen payer's, and every position about the claim's codes (for conflicts)
    claim_codes = {c for line in all_lines for c in (line.candidates or [line.code])} | set(alternatives)
    about = _positions_about(graph, claim_codes)
    payer_positions = positions_of(graph, payer_iri) if payer_iri is not None else []
    in_force = [p for p in payer_positions if p.in_force]
    for line in lines:
        for p in in_force:
            codes = set(p.codes) | set(p.preferred) | set(p.rejected)
            if not codes or codes & set(line.candidates or [line.code]):
                line.why.append({"iri": p.iri, "label": p.label, "role": "payer position", "reason": p.summary(),
                                 "sources": list(p.sources)})
                line.sources += [s for s in p.sources if s not in line.sources]
    for code, alt in alternatives.items():
        alt.setdefault("because", [])
        code_iri = known.get(code)
        for node in about:
            if (node, CRYO.preferredCode, code_iri) in graph:
                alt["why"].append(_node(graph, node, "position"))
            elif (node, CRYO.rejectedCode, code_iri) in graph:
                alt["because"].append(_node(graph, node, "position"))
        rules = [r for r in graph.subjects(CRYO.appliesTo, code_iri) if isinstance(r, URIRef)] if code_iri else []
        for rule in sorted(rules, key=str):
            if (rule, RDF.type, CRYO.ReportingRule) in graph:
                alt["why"].append(_node(graph, rule, "rule"))
            elif (rule, RDF.type, CRYO.ReportingGap) in graph:
                alt["because"].append(_node(graph, rule, "gap"))
        alt["sources"] = list(dict.fromkeys(alt["sources"] + [s for n in alt["why"] + alt["because"] for s in n["sources"]]))
    conflict_about = list(dict.fromkeys([*about, *(URIRef(p.iri) for p in in_force)]))
    conflicts = _conflicts(graph, conflict_about)

    # the SHACL claim check, as `cryokg check` runs it
    inputs = [ClaimLineInput(line.code, line.units if isinstance(line.units, int) else None,
                             tuple(line.modifiers) if isinstance(line.modifiers, list) else ())
              for line in all_lines if line.code != "ambiguous"]
    derived_groups = [line for line in lines if line.code != "ambiguous"]
    one_site = len({line.code for line in derived_groups}) == 1 and not any(line.code == "ambiguous" for line in lines)
    technique = next(iter(techniques)) if len(techniques) == 1 else None
    report = check_lines(inputs, graph=graph, site=" / ".join(n["label"] for n in derived_groups[0].nerves)
                         if one_site else None, structures=structures if one_site else None, technique=technique,
                         technique_from="site" if technique is not None else None, diagnoses=diagnoses,
                         payer=payer_iri, setting=setting_iri, note_indications=note_indications)
    findings = [_finding_json(f) for f in report.findings]
    for site in unresolved:
        findings.append({"code": None, "severity": "Warning", "rule": "program:site-not-covered",
                         "value": site["text"], "nodes": [str(CRYO_RULE_LOCATION)],
                         "message": f"The note names {site['text']!r}, for which the graph gives no code for this "
                                    f"technique: no claim line is proposed for it. " + " ".join(site["why"][-2:]),
                         "sources": site["sources"] or _sources(graph, [CRYO_RULE_LOCATION])})
    for line in lines:
        if line.code == "ambiguous":
            findings.append({"code": None, "severity": "Warning", "rule": "program:disputed-code",
                             "value": ", ".join(n["label"] for n in line.nerves), "nodes": [w["iri"] for w in line.why],
                             "message": f"Sources disagree on the code for {', '.join(n['label'] for n in line.nerves)} "
                                        f"(candidates {', '.join(line.candidates)}): the line is not checked until the "
                                        f"payer's policy settles it.", "sources": list(line.sources)})
    # diagnoses linked to the procedure lines
    linked = {d["code"]: d for d in report.diagnoses}
    for line in lines:
        for d in diagnoses:
            if d.problem is None:
                line.dx.append(d.code)
                for ind in linked.get(d.code, {}).get("indications", []):
                    if ind["iri"] not in [w["iri"] for w in line.why]:
                        line.why.append({"iri": ind["iri"], "label": ind["label"], "role": "indication",
                                         "sources": list(ind["sources"])})
                        line.sources += [s for s in ind["sources"] if s not in line.sources]
    for line in all_lines:
        line.why = list({w["iri"]: w for w in reversed(line.why)}.values())[::-1]
    urls = sorted({s for line in all_lines for s in line.sources} | {s for f in findings for s in f["sources"]}
                  | {s for a in alternatives.values() for s in a["sources"]}
                  | {s for n in not_proposed for s in n["sources"]}
                  | {s for p in payer_positions for s in p.sources})
    return ClaimAnswer(
        text=text, lines=all_lines, report=report, findings=findings,
        payer=report.payer, setting={**report.setting, "from": setting_from} if report.setting else None,
        positions=[p.to_json() for p in in_force], history=[p.to_json() for p in payer_positions if not p.in_force],
        conflicts=conflicts, alternatives=[a for c, a in alternatives.items() if c not in {x.code for x in all_lines}],
        not_proposed=not_proposed, unresolved_sites=unresolved, diagnoses=report.diagnoses,
        source_titles=source_titles(graph, urls))


CRYO_RULE_LOCATION = URIRef("https://w3id.org/cryokg/id/rule/location-decides-family-code")
"""The rule that a family code follows where the nerve lies: what an uncovered site falls outside of."""


def _finding_json(finding: object) -> dict:
    from dataclasses import asdict

    return asdict(finding)  # type: ignore[call-overload]


def _fill_derived(graph: Graph, line: ClaimLine, known: dict[str, URIRef], diagnoses: Sequence[Diagnosis]) -> None:
    """Units, modifiers, the family's coding rules and the sources of one derived line."""
    codes = [known[c] for c in (line.candidates or [line.code]) if c in known]
    if line.code == "ambiguous":
        gaps = [g for c in codes for g in _about(graph, c, ("units",))[1]]
        line.units, line.units_because = UNKNOWN, [_node(graph, g, "gap") for g in dict.fromkeys(gaps)]
        mods = [g for c in codes for g in _about(graph, c, ("laterality", "modifier"))[1]]
        line.modifiers = UNKNOWN
        line.modifiers_because = [_node(graph, g, "gap") for g in dict.fromkeys(mods)]
        line.explanation.append("The code is disputed, so units and modifiers are unknown until it is settled.")
    else:
        code = codes[0]
        units, rules, gaps = _units(graph, code, len(line.nerves))
        line.units = units
        line.why += [_node(graph, r, "units rule") for r in rules]
        line.units_because = [_node(graph, g, "gap") for g in gaps]
        if units == UNKNOWN:
            line.explanation.append(
                f"Units of {line.code}: unknown - " + ("; ".join(g["label"] for g in line.units_because) + "; payer-specific."
                                                        if gaps else "no rule or gap in the graph speaks to them."))
        modifiers, mod_gaps = _modifiers(graph, code)
        line.modifiers, line.modifiers_because = modifiers, [_node(graph, g, "gap") for g in mod_gaps]
        if line.laterality and modifiers == UNKNOWN:
            line.explanation.append(f"Side read: {', '.join(line.laterality)}; how the payer wants it shown (RT, LT, "
                                    f"50 or two lines) is not stated by any source in the graph.")
    for rule in sorted({r for c in codes for r in graph.subjects(CRYO.appliesTo, c)
                        if (r, RDF.type, CRYO.CodingRule) in graph and (r, RDF.type, CRYO.ReportingRule) not in graph
                        and (r, RDF.type, CRYO.BundlingRule) not in graph}, key=str):
        family = [graph.value(c, SKOS.broader) for c in codes if graph.value(c, SKOS.broader) is not None]
        members = list(graph.subjects(SKOS.broader, family[0])) if family else []
        if members and isinstance(rule, URIRef) and all((rule, CRYO.appliesTo, m) in graph for m in members):
            line.why.append(_node(graph, rule, "coding rule"))
    nodes = [URIRef(w["iri"]) for w in line.why + line.units_because + line.modifiers_because]
    line.sources = list(dict.fromkeys(line.sources + _sources(graph, nodes)))
    del diagnoses


def _note_line(graph: Graph, item: _Listed, known: dict[str, URIRef], reading: object, lines: list[ClaimLine]) -> ClaimLine:
    """A line the note lists: its units and modifiers as written; the rules and positions of the graph about it."""
    line = ClaimLine(code=item.code, origin="note", listed_in_note=True, modifiers=list(item.modifiers))
    node = known.get(item.code)
    if node is None:
        line.units = item.units or 1
        line.explanation.append(f"The note lists {item.code}, which the graph does not know.")
        return line
    rules, gaps = _about(graph, node, ("units",))
    if item.units is not None:
        line.units = item.units
    elif gaps:
        line.units, line.units_because = UNKNOWN, [_node(graph, g, "gap") for g in gaps]
    else:
        line.units = 1
    line.why += [_node(graph, r, "units rule") for r in rules]
    mod_rules, _ = _about(graph, node, ("modifier",))
    line.why += [_node(graph, r, "modifier rule") for r in mod_rules
                 if str(graph.value(graph.value(r, CRYO.ruleModifier), SKOS.notation)) in item.modifiers]
    line.caveats += [_node(graph, g, "gap") for g in _about(graph, node, ("setting", "qualifying-use"))[1]]
    derived = {known[x.code] for x in lines if x.code in known}
    for rule in sorted(graph.subjects(CRYO.notReportedWith, node), key=str):
        if isinstance(rule, URIRef) and any((rule, CRYO.appliesTo, d) in graph for d in derived):
            line.why.append(_node(graph, rule, "bundling rule"))
    line.why += [_node(graph, r, "setting rule") for r in _about(graph, node, ("setting",))[0]]
    for p in _positions_about(graph, {item.code}):
        line.why.append(_node(graph, p, "position"))
    # the nerves the note names that the graph assigns this code to (any technique, any kind)
    for other in lines:
        for nerve in other.nerves:
            assignments = [a for a in graph.subjects(CRYO.structure, URIRef(nerve["iri"]))
                           if (a, CRYO.assignedCode, node) in graph and isinstance(a, URIRef)]
            if assignments and nerve not in line.nerves:
                line.nerves.append(nerve)
                line.why += [_node(graph, a, "assignment") for a in sorted(assignments, key=str)]
    nodes = [URIRef(w["iri"]) for w in line.why + line.units_because + line.caveats]
    line.sources = _sources(graph, nodes)
    del reading
    return line


def _device_lines(graph: Graph, reading: object, text: str, setting: URIRef | None, derived: set[str],
                  listed: list[_Listed], known: dict[str, URIRef]) -> tuple[list[ClaimLine], list[dict]]:
    """The device code of every device the note names (``cryo:deviceCode``), proposed where a claim-line rule says it
    is paid in the care setting; otherwise reported as not proposed, with the rule or gap that says why."""
    from cryokg.answer.note_reading import NoteReading

    assert isinstance(reading, NoteReading)
    devices = {d for m in reading.of_kind("device") for d in m.resources}
    device_codes: dict[URIRef, list[URIRef]] = {}
    for device in sorted(devices, key=str):
        for code in graph.objects(device, CRYO.deviceCode):
            if isinstance(code, URIRef):
                device_codes.setdefault(code, []).append(device)
    all_device_codes = sorted({c for c in graph.objects(None, CRYO.deviceCode) if isinstance(c, URIRef)}, key=str)
    after_surgery = _AFTER_SURGERY.search(text)
    lines: list[ClaimLine] = []
    not_proposed: list[dict] = []
    listed_codes = {x.code for x in listed}
    if not derived - {"ambiguous"} and "ambiguous" not in derived:
        return lines, not_proposed
    for code in all_device_codes:
        notation = str(graph.value(code, SKOS.notation))
        if notation in listed_codes:
            continue
        setting_rules, setting_gaps = _about(graph, code, ("setting",))
        use_gaps = _about(graph, code, ("qualifying-use",))[1]
        units_gaps = _about(graph, code, ("units",))[1]
        paid = {s for r in setting_rules for s in graph.objects(r, CRYO.paidInSetting)}
        named = device_codes.get(code, [])
        because: list[URIRef] = []
        message = ""
        if not named:
            because = [*use_gaps] if not after_surgery else []
            carriers = ", ".join(_label(graph, d) for d in graph.subjects(CRYO.deviceCode, code))
            message = f"{notation} reports the needle of a device ({carriers}) that the note does not name."
        elif setting is None:
            because = setting_rules
            message = f"{notation} is paid only in some care settings, and the note does not say where it was done."
        elif setting not in paid:
            because = [g for g in setting_gaps if (g, CRYO.gapSetting, setting) in graph] or setting_rules
            message = f"{notation} is not paid in the {_label(graph, setting)} by any rule of the graph."
        if message:
            nodes = because or setting_rules
            not_proposed.append({"code": notation, "because": [_node(graph, n) for n in nodes], "message": message,
                                 "sources": _sources(graph, nodes)})
            continue
        line = ClaimLine(code=notation, origin="derived", modifiers=[])
        line.units, line.units_because = UNKNOWN, [_node(graph, g, "gap") for g in units_gaps]
        line.why = [_node(graph, r, "setting rule") for r in setting_rules]
        line.why += [_node(graph, r, "rule") for r in sorted(graph.subjects(CRYO.appliesTo, code), key=str)
                     if (r, RDF.type, CRYO.CodingRule) in graph and (r, RDF.type, CRYO.ReportingRule) not in graph
                     and isinstance(r, URIRef)]
        line.why += [_node(graph, d, "device") for d in named]
        if not after_surgery:
            line.caveats = [_node(graph, g, "gap") for g in use_gaps]
        said = f" The note says the freezing is for pain after surgery ({after_surgery.group(0)!r})." if after_surgery else ""
        line.explanation.append(f"The note names {', '.join(_label(graph, d) for d in named)}, whose needle is "
                                f"reported with {notation}; a rule of the graph says it is paid in the "
                                f"{_label(graph, setting)}.{said}")
        lines.append(line)
    del known
    return lines, not_proposed
