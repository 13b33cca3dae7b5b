"""Code selection: which code reports treating a named site with a technique by an approach.

The text may be a site's name or a sentence of a procedure note: :mod:`cryokg.answer.note_reading` reads the
sites it names and, for each, the technique, approach, side, regions and levels it states. One answer is given
per site named (``answers``; the first is also the top-level answer, in the documented keys). For each site:

1. sourced code assignments (``cryo:CodeAssignment``) for that structure and technique - definite ones are the
   answer; candidate ones (the structure is disputed) are all returned, flagged; an unlisted-code fallback
   (``kind:fallback``, 64999) is the answer where no source names a code and the target lies outside what
   the family is written for; contested alternatives are shown beside the answer, never as it;
2. otherwise the codes whose ``cryo:method`` is the technique and whose ``cryo:anatomicScope`` fits the
   structure: the scope names it as an example; or, for a code of a code family (whose scopes partition
   structures by region), the scope covers the structure's kind in a region that contains where the
   structure lies, or it is the only scope of the family for that kind (a plexus); or the scope is residual
   (any structure of that kind: no region, no examples). The region of another code's scope only locates
   the structures it names, so it is not used to match (the greater occipital nerve scope lies in the
   head and neck, yet it does not cover every nerve there);
3. otherwise no code: ``codes`` is empty and the explanation says why.

A code that states an approach (``cryo:approach``) only fits when it is the requested one. A site is disputed
(``ambiguous``) when its assignments for the technique are candidates; ``cryo:codingAmbiguous`` marks the
dispute over the family's own technique. A target outside what the family is written for (its most specific
class is none of the classes the family's scopes name: an autonomic ganglion or plexus, a cranial nerve, a
medial branch...) is said to be so, with the codes sources name for it with other techniques.

Words that name several sites (a group such as "digital nerves", a synonym shared by two sites, loose words
such as "occipital nerve") are answered per site: when every site has the same answer it is given, with the
sites listed (``matches``); when they differ, the answer is flagged ambiguous with no code, each site with
its own answer - never one picked. Input that names no site, or names one with a body region it does not lie
in ("femoral nerve of the hand"), is refused with :class:`SiteError` rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import URIRef

from cryokg.answer.matching import LabelIndex, cached_for_graph, is_iri_text, label_index, normalize, safe_iri
from cryokg.answer.note_reading import SITE_CLASSES, Lexicon, NoteReading, SiteMention, lexicon, read_note
from cryokg.answer.store import Engine
from cryokg.errors import BadInput
from cryokg.namespaces import CRYO, id_namespace

__all__ = ["DEFAULT_APPROACH", "DEFAULT_TECHNIQUE", "STRUCTURE_TYPES", "SiteError", "Suggestion", "answer_structure",
           "resolve_kind", "site_members", "source_titles", "suggest"]

DEFAULT_TECHNIQUE = "cryoablation"
DEFAULT_APPROACH = "percutaneous"
STRUCTURE_TYPES = SITE_CLASSES


class SiteError(BadInput):
    """The site names no nerve or plexus, or contradicts itself; carries the JSON the command prints."""

    def __init__(self, error: str, message: str, did_you_mean: list[str]) -> None:
        super().__init__(message)
        self.error, self.message, self.did_you_mean = error, message, did_you_mean

    def to_json(self) -> dict:
        return {"error": self.error, "message": self.message, "did_you_mean": self.did_you_mean}


@dataclass
class Suggestion:
    """The answer for one site; :meth:`to_json` gives the documented JSON shape.

    Documented keys: site, technique, approach, codes, ambiguous, candidates, explanation, sources. Added for
    text: ``read`` (the words read for this site, their span, how they were read, corrections, side, regions,
    levels, and where technique and approach came from: ``text``, ``option`` or ``default``),
    ``outside_family`` and ``named_codes`` (for a target outside the family: the codes sources name for it
    with other techniques), ``matches`` (when the words name several sites: each site's own answer),
    ``source_titles`` (URL -> title), and on the top-level answer ``answers`` (one per site named, the first
    being this one) and ``unmatched`` (words that look like a site's name but match none).
    """

    site: dict
    technique: dict
    approach: dict
    codes: list[str] = field(default_factory=list)
    ambiguous: bool = False
    candidates: list[dict] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    read: dict = field(default_factory=dict)
    outside_family: bool = False
    named_codes: list[dict] = field(default_factory=list)
    matches: list[dict] = field(default_factory=list)
    source_titles: dict[str, str] = field(default_factory=dict)
    answers: list[Suggestion] = field(default_factory=list)
    unmatched: list[dict] = field(default_factory=list)

    def to_json(self) -> dict:
        out = self._fields()
        if self.answers:
            out["answers"] = [a._fields() for a in self.answers]
            out["unmatched"] = self.unmatched
        return out

    def _fields(self) -> dict:
        return {"site": self.site, "technique": self.technique, "approach": self.approach, "codes": self.codes,
                "ambiguous": self.ambiguous, "candidates": self.candidates, "explanation": self.explanation,
                "sources": self.sources, "read": self.read, "outside_family": self.outside_family,
                "named_codes": self.named_codes, "matches": self.matches, "source_titles": self.source_titles}


# --- facts about sites, cached per graph -------------------------------------------------------------------

_SITE_FACTS = """PREFIX cryo: <https://w3id.org/cryokg/def/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?s ?p ?o WHERE {
  { ?code skos:broader ?family . ?family a cryo:CodeFamily . ?code cryo:method ?o . BIND(?family AS ?s)
    BIND("family-method" AS ?p) }
  UNION { ?code skos:broader ?family . ?family a cryo:CodeFamily .
          ?code cryo:anatomicScope/cryo:scopeStructureType ?o . BIND(?family AS ?s) BIND("family-type" AS ?p) }
  UNION { ?code skos:broader ?family . ?family a cryo:CodeFamily . ?code skos:notation ?o .
          BIND(?family AS ?s) BIND("family-code" AS ?p) }
  UNION { ?s rdfs:subClassOf+ ?o BIND("super" AS ?p) }
  UNION { ?a cryo:structure ?s BIND(?a AS ?o) BIND("assignment" AS ?p) }
  UNION { ?s cryo:locatedIn ?o BIND("located" AS ?p) }
  UNION { ?s a cryo:Source ; dcterms:title ?o BIND("title" AS ?p) }
}"""


@dataclass
class _Facts:
    family_methods: set[URIRef] = field(default_factory=set)
    family_types: set[URIRef] = field(default_factory=set)
    family_codes: set[str] = field(default_factory=set)
    supers: dict[URIRef, set[URIRef]] = field(default_factory=dict)
    assigned: set[URIRef] = field(default_factory=set)
    located: dict[URIRef, set[URIRef]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)


def _build_facts(engine: Engine) -> _Facts:
    facts = _Facts()
    for row in engine.select(_SITE_FACTS):
        s, p, o = row.get("s"), str(row.get("p")), row.get("o")
        if p == "title" and s is not None and o is not None:
            facts.titles[str(s)] = " ".join(str(o).split())
        elif p == "family-code" and o is not None:
            facts.family_codes.add(str(o))
        elif not isinstance(s, URIRef) or not isinstance(o, URIRef):
            continue
        elif p == "family-method":
            facts.family_methods.add(o)
        elif p == "family-type":
            facts.family_types.add(o)
        elif p == "super":
            facts.supers.setdefault(s, set()).add(o)
        elif p == "assignment":
            facts.assigned.add(s)
        elif p == "located":
            facts.located.setdefault(s, set()).add(o)
    return facts


def _facts(engine: Engine) -> _Facts:
    return cached_for_graph(engine, "site-facts", _build_facts)


def source_titles(engine: Engine, urls: list[str]) -> dict[str, str]:
    """The title (``dcterms:title`` of the ``cryo:Source``) of each URL that has one."""
    titles = _facts(engine).titles
    return {url: titles[url] for url in urls if url in titles}


# --- matching the site ----------------------------------------------------------------------------------

def _location(index: LabelIndex, engine: Engine, site: URIRef) -> set[URIRef]:
    return set(_facts(engine).located.get(site, set()))


def _resolve_kind(index: LabelIndex, text: str, cls: URIRef, what: str) -> URIRef:
    pool = index.of_type(cls)
    if is_iri_text(text) and safe_iri(text) in pool:
        return safe_iri(text)
    found = index.find(text, pool)
    if len(found) == 1:
        return next(iter(found))
    hints = index.did_you_mean(text, pool) or sorted(index.label(i) for i in pool)
    raise SiteError(f"unknown_{what}", f"no {what} in the graph is called {text!r}", hints)


# --- the answer for one structure ---------------------------------------------------------------------------

_SITE_QUERY = """PREFIX cryo: <https://w3id.org/cryokg/def/>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT DISTINCT ?ambiguous ?source WHERE {
  SITE a ?type .
  OPTIONAL { SITE cryo:codingAmbiguous ?ambiguous }
  OPTIONAL { SITE dcterms:source ?source }
}"""
# Anchored on a triple pattern, not on VALUES: rdflib drops a VALUES solution whose OPTIONAL does not match
# (RDFLib/rdflib#2332), and the reference engine must give the same answer as the embedded store.

_ASSIGNMENTS = """PREFIX cryo: <https://w3id.org/cryokg/def/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?assignment ?code ?notation ?kind ?kindLabel ?reason ?source ?approach WHERE {
  VALUES (?site ?technique) { (SITE TECHNIQUE) }
  ?assignment cryo:structure ?site ; cryo:technique ?technique ; cryo:assignedCode ?code .
  ?code skos:notation ?notation .
  OPTIONAL { ?assignment cryo:assignmentKind ?kind OPTIONAL { ?kind skos:prefLabel ?kindLabel } }
  OPTIONAL { ?assignment cryo:reason ?reason }
  OPTIONAL { ?assignment dcterms:source ?source }
  OPTIONAL { ?code cryo:approach ?approach }
}"""

_SCOPED_CODES = """PREFIX cryo: <https://w3id.org/cryokg/def/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?code ?notation ?family ?scope ?region ?type ?example ?approach ?source WHERE {
  VALUES ?technique { TECHNIQUE }
  ?code cryo:method ?technique ; cryo:anatomicScope ?scope ; skos:notation ?notation .
  OPTIONAL { ?code skos:broader ?family . ?family a cryo:CodeFamily }
  OPTIONAL { ?scope cryo:scopeRegion ?region }
  OPTIONAL { ?scope cryo:scopeStructureType ?type }
  OPTIONAL { ?scope cryo:scopeExample ?example }
  OPTIONAL { ?code cryo:approach ?approach }
  OPTIONAL { ?code dcterms:source ?source }
}"""

_NOTES = """PREFIX cryo: <https://w3id.org/cryokg/def/>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?note ?source WHERE { VALUES ?technique { TECHNIQUE }
  OPTIONAL { ?technique cryo:differenceNote ?note } OPTIONAL { ?technique dcterms:source ?source }
}"""

_FAMILIES = """PREFIX cryo: <https://w3id.org/cryokg/def/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?family ?notation ?method ?approach WHERE {
  ?family a cryo:CodeFamily . ?code skos:broader ?family ; skos:notation ?notation .
  OPTIONAL { ?code cryo:method ?method } OPTIONAL { ?code cryo:approach ?approach }
}"""


def _family_notes(engine: Engine, index: LabelIndex, technique: URIRef,
                  approach: URIRef) -> tuple[list[str], set[str]]:
    """Why the code families of the graph do not apply, how the technique differs (cryo:differenceNote), and
    the technique's sources."""
    families: dict[URIRef, dict[str, set]] = {}
    for row in engine.select(_FAMILIES):
        if not isinstance(row.get("family"), URIRef):
            continue
        family = families.setdefault(URIRef(str(row["family"])), {"codes": set(), "methods": set(), "approaches": set()})
        family["codes"].add(str(row["notation"]))
        for var, slot in (("method", "methods"), ("approach", "approaches")):
            if row.get(var) is not None:
                family[slot].add(row[var])
    notes = []
    for family in families.values():
        codes = ", ".join(sorted(family["codes"]))
        if family["methods"] and technique not in family["methods"]:
            methods = ", ".join(sorted(index.label(m) for m in family["methods"]))
            notes.append(f"The {codes} family is for {methods}, not {index.label(technique)}.")
        elif family["approaches"] and approach not in family["approaches"]:
            approaches = ", ".join(sorted(index.label(a) for a in family["approaches"]))
            notes.append(f"The {codes} family requires the {approaches} approach, not {index.label(approach)}.")
    rows = engine.select(_fill(_NOTES, TECHNIQUE=technique))
    notes += sorted({str(r["note"]) for r in rows if r.get("note")})
    return notes, {str(r["source"]) for r in rows if r.get("source")}


def _fill(template: str, **terms: URIRef) -> str:
    for name, term in terms.items():
        template = template.replace(name, term.n3())
    return template


_KIND_ALTERNATIVE = id_namespace("assignment-kind")["alternative"]


def _ref(index: LabelIndex, iri: URIRef) -> dict:
    return {"iri": str(iri), "label": index.label(iri)}


def _from_assignments(rows: list[dict], approach: URIRef, index: LabelIndex) -> tuple[list[dict], list[str]]:
    by_assignment: dict[URIRef, dict] = {}
    for row in rows:
        entry = by_assignment.setdefault(row["assignment"], {
            "code": str(row["notation"]), "reason": str(row.get("reason", "")), "sources": set(),
            "kind": str(row.get("kindLabel") or index.label(row["kind"])) if row.get("kind") else "",
            "kind_iri": str(row.get("kind") or ""), "approaches": set(), "via": "code assignment",
            "assignment": str(row["assignment"])})
        if row.get("source"):
            entry["sources"].add(str(row["source"]))
        if row.get("approach"):
            entry["approaches"].add(row["approach"])
    kept, notes = [], []
    for entry in by_assignment.values():
        if entry["approaches"] and approach not in entry["approaches"]:
            stated = ", ".join(sorted(index.label(a) for a in entry["approaches"]))
            notes.append(f"{entry['code']} is assigned to this site, but its approach is {stated}, "
                         f"not {index.label(approach)}.")
            continue
        kept.append(entry)
    return kept, notes


def _scope_fit(site: URIRef, types: set[URIRef], located: set[URIRef], scope: dict,
               index: LabelIndex) -> tuple[int, str] | None:
    """How well a scope fits the site: (rank, reason), lower ranks more specific; None when it does not."""
    if site in scope["examples"]:
        return 0, "its scope names this structure as an example"
    if not types & scope["types"]:
        return None
    if scope["regions"] and scope["family"] is not None:
        inside = [r for r in scope["regions"] for at in located if r == at or r in index.ancestors(at)]
        if inside:
            return 1, f"its scope covers this kind of structure in the {index.label(sorted(inside)[0])}"
        return None
    if not scope["regions"] and not scope["examples"]:
        return 2, "its scope is residual: any structure of this kind without a more specific code"
    return None


def _from_scopes(engine: Engine, index: LabelIndex, site: URIRef, technique: URIRef,
                 approach: URIRef) -> tuple[list[dict], list[str]]:
    scopes: dict[tuple[URIRef, URIRef], dict] = {}
    for row in engine.select(_fill(_SCOPED_CODES, TECHNIQUE=technique)):
        key = (URIRef(str(row["code"])), URIRef(str(row["scope"])))
        scope = scopes.setdefault(key, {"notation": str(row["notation"]), "regions": set(), "types": set(),
                                        "examples": set(), "approaches": set(), "sources": set(),
                                        "family": row.get("family")})
        for var, slot in (("region", "regions"), ("type", "types"), ("example", "examples"),
                          ("approach", "approaches"), ("source", "sources")):
            if row.get(var) is not None:
                scope[slot].add(row[var] if slot != "sources" else str(row[var]))
    types = index.types.get(site, set()) & set(STRUCTURE_TYPES)
    located = _location(index, engine, site)
    fits, notes = [], []
    for key, scope in sorted(scopes.items()):
        fit = _scope_fit(site, types, located, scope, index)
        alone = scope["family"] is not None and not any(
            types & other["types"] for k, other in scopes.items() if k[0] != key[0] and other["family"] == scope["family"])
        if fit is None and types & scope["types"] and alone:
            fit = 1, "it is the only code of its family whose scope covers this kind of structure"
        if fit is None:
            continue
        if scope["approaches"] and approach not in scope["approaches"]:
            stated = ", ".join(sorted(index.label(a) for a in scope["approaches"]))
            notes.append(f"{scope['notation']} would fit by scope, but its approach is {stated}.")
            continue
        fits.append({"code": scope["notation"], "reason": f"{scope['notation']} fits because {fit[1]}.",
                     "sources": scope["sources"], "kind": "", "via": "anatomic scope", "rank": fit[0]})
    best = min((f["rank"] for f in fits), default=None)
    fits = [f for f in fits if f.pop("rank") == best]
    return fits, notes



_NAMED_CODES = """PREFIX cryo: <https://w3id.org/cryokg/def/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?technique ?notation ?source WHERE {
  ?assignment cryo:structure SITE ; cryo:technique ?technique ; cryo:assignedCode ?code .
  ?code skos:notation ?notation .
  OPTIONAL { ?assignment dcterms:source ?source }
}"""


def _most_specific(facts: _Facts, types: set[URIRef]) -> set[URIRef]:
    kinds = {t for t in types if t in SITE_CLASSES or facts.supers.get(t, set()) & set(SITE_CLASSES)}
    specific = {t for t in kinds if not any(t in facts.supers.get(other, set()) for other in kinds)}
    return specific - {CRYO.NerveGroup} or specific


def _outside_family(facts: _Facts, index: LabelIndex, site: URIRef) -> list[URIRef]:
    """The kinds that put *site* outside the family (empty when it is of a kind the family's scopes name)."""
    if not facts.family_types:
        return []
    specific = _most_specific(facts, index.types.get(site, set()))
    return [] if specific & facts.family_types else sorted(specific)


def _answer_structure(engine: Engine, index: LabelIndex, site: URIRef, technique: URIRef,
                      approach: URIRef) -> Suggestion:
    """Which code reports treating *site* with *technique* by *approach* (module docstring, steps 1-3)."""
    facts = _facts(engine)
    rows = engine.select(_fill(_SITE_QUERY, SITE=site))
    family_technique = technique in facts.family_methods
    disputed = family_technique and any(str(r.get("ambiguous", "")).lower() in ("true", "1") for r in rows)
    site_sources = {str(r["source"]) for r in rows if r.get("source")}
    answer = Suggestion(site=_ref(index, site), technique=_ref(index, technique), approach=_ref(index, approach))
    located = sorted(index.label(r) for r in _location(index, engine, site))
    if located:
        answer.explanation.append(f"The {index.label(site)} lies in: {', '.join(located)}.")
    outside = _outside_family(facts, index, site)
    if outside:
        answer.outside_family = True
        kinds = " and ".join(index.label(k) for k in outside)
        family = ", ".join(sorted(facts.family_codes))
        answer.explanation.append(f"The {index.label(site)} is a{'n' if kinds[:1] in 'aeiou' else ''} {kinds}: "
                                  f"not a target of the kind the {family} family is written for.")
    rows = engine.select(_fill(_ASSIGNMENTS, SITE=site, TECHNIQUE=technique))
    candidates, notes = _from_assignments(rows, approach, index)
    if not candidates:
        candidates, more = _from_scopes(engine, index, site, technique, approach)
        notes += more
        if candidates:
            answer.explanation.append(f"No code assignment records {index.label(technique)} of the "
                                      f"{index.label(site)}; the code is derived from anatomic scopes.")
    answer.explanation += notes
    # A contested alternative (a non-family code a manufacturer or payer argues for) is shown, with its
    # sources, but it is not the answer and does not by itself make the site disputed.
    alternative = str(_KIND_ALTERNATIVE)
    candidates.sort(key=lambda c: (c.get("kind_iri") == alternative, c["kind"] == "candidate", c["code"]))
    codes = list(dict.fromkeys(c["code"] for c in candidates if c.get("kind_iri") != alternative))
    answer.codes = codes
    answer.ambiguous = disputed or len(codes) > 1 or any(c["kind"] == "candidate" for c in candidates)
    for c in candidates:
        answer.candidates.append({"code": c["code"], "reason": c["reason"], "sources": sorted(c["sources"]),
                                  "kind": c["kind"], "via": c["via"], "assignment": c.get("assignment")})
        answer.explanation.append(f"{c['code']} ({c['kind'] or c['via']}): {c['reason']}")
    if answer.ambiguous:
        answer.explanation.append(f"Disputed: public sources disagree on the code for the {index.label(site)}; "
                                  f"candidates: {', '.join(codes)}. Check the payer's policy before reporting.")
    if not codes:
        answer.explanation.append(f"No code in the graph reports {index.label(technique)} of the "
                                  f"{index.label(site)} by the {index.label(approach)} approach.")
        family_notes, cited = _family_notes(engine, index, technique, approach)
        answer.explanation += family_notes
        site_sources |= cited
    if outside:
        named: dict[URIRef, dict] = {}
        for row in engine.select(_fill(_NAMED_CODES, SITE=site)):
            other = row["technique"]
            if other == technique or not isinstance(other, URIRef):
                continue
            entry = named.setdefault(other, {"technique": _ref(index, other), "codes": set(), "sources": set()})
            entry["codes"].add(str(row["notation"]))
            if row.get("source"):
                entry["sources"].add(str(row["source"]))
        for entry in sorted(named.values(), key=lambda e: e["technique"]["label"]):
            answer.named_codes.append({**entry, "codes": sorted(entry["codes"]), "sources": sorted(entry["sources"])})
            site_sources |= entry["sources"]
        if answer.named_codes:
            answer.explanation.append("For other techniques, sources name: " + "; ".join(
                f"{e['technique']['label']} -> {', '.join(e['codes'])}" for e in answer.named_codes) + ".")
        else:
            answer.explanation.append("No source in the graph names a code for this target with another technique.")
    answer.sources = sorted(site_sources.union(*(set(c["sources"]) for c in answer.candidates)))
    return answer


# --- the answer for one site mention ---------------------------------------------------------------------------

def _members(lex: Lexicon, facts: _Facts, structures: tuple[URIRef, ...]) -> list[URIRef]:
    """The structures that are answered: a group that is not coded as one target stands for its members."""
    out: list[URIRef] = []
    todo = list(structures)
    seen: set[URIRef] = set()
    while todo:
        site = todo.pop(0)
        if site in seen:
            continue
        seen.add(site)
        if site in lex.groups and site not in facts.assigned:
            todo.extend(sorted(lex.groups[site]))
        else:
            out.append(site)
    return out


def _related(index: LabelIndex, facts: _Facts, site: URIRef, regions: tuple[URIRef, ...]) -> bool:
    located = facts.located.get(site, set())
    return not located or any(index.related_regions(r, at) for r in regions for at in located)


def _signature(answer: Suggestion) -> tuple:
    return (tuple(answer.codes), answer.ambiguous, answer.outside_family,
            tuple(sorted({c["code"] for c in answer.candidates if c["kind"] != "contested alternative"})))


def _pick(index: LabelIndex, text: str, override: URIRef | None, stated: tuple[URIRef, ...],
          default: str, cls: URIRef, what: str) -> tuple[URIRef, str]:
    """The technique (or approach) for one site: the option, else what the text states, else the default."""
    if override is not None:
        return override, "option"
    if len(stated) == 1:
        return stated[0], "text"
    if stated:
        names = [index.label(t) for t in stated]
        raise SiteError(f"ambiguous_{what}", f"{text!r} does not say which {what}: it could be "
                        f"{' or '.join(names)}; give --{what}", names)
    return _resolve_kind(index, default, cls, what), "default"


_HOW = {"label": "a name or synonym", "capitals": "an abbreviation", "coordinated": "an item of a list",
        "one-word": "the name without 'nerve'", "loose": "words of its name", "procedure": "a procedure's name",
        "iri": "its IRI"}


def answer_structure(engine: Engine, site: URIRef, technique: URIRef, approach: URIRef) -> Suggestion:
    """Which code reports treating the one structure *site* with *technique* by *approach* (steps 1-3 of the
    module docstring), for callers that read the text themselves (``cryokg claim``)."""
    return _answer_structure(engine, label_index(engine), site, technique, approach)


def resolve_kind(engine: Engine, text: str, cls: URIRef, what: str) -> URIRef:
    """The technique or approach (*cls*) *text* names; :class:`SiteError` with the nearest names otherwise."""
    return _resolve_kind(label_index(engine), text, cls, what)


def site_members(engine: Engine, structures: tuple[URIRef, ...]) -> list[URIRef]:
    """The structures answered for a site mention: a group not coded as one target stands for its members."""
    return _members(lexicon(engine), _facts(engine), structures)


def _answer_mention(engine: Engine, index: LabelIndex, lex: Lexicon, mention: SiteMention, text: str,
                    technique: URIRef | None, approach: URIRef | None) -> Suggestion:
    facts = _facts(engine)
    words = mention.mention.text
    technique_iri, technique_from = _pick(index, text, technique, mention.techniques, DEFAULT_TECHNIQUE,
                                          CRYO.Technique, "technique")
    approach_iri, approach_from = _pick(index, text, approach, mention.approaches, DEFAULT_APPROACH,
                                        CRYO.Approach, "approach")
    structures = _members(lex, facts, mention.structures)
    if len(structures) > 1 and mention.regions:
        narrowed = [s for s in structures if _related(index, facts, s, mention.regions)]
        structures = narrowed or structures
    if len(structures) == 1:
        answer = _answer_structure(engine, index, structures[0], technique_iri, approach_iri)
    else:
        answer = _answer_several(engine, index, mention, structures, technique_iri, approach_iri)
    read = mention.to_json(lex)
    read["technique_from"], read["approach_from"] = technique_from, approach_from
    answer.read = read
    lines = []
    label = answer.site.get("label") or words
    if normalize(words) != normalize(label) or mention.mention.corrections or mention.mention.how != "label":
        fixes = "".join(f"; {c.typed!r} read as {c.read!r}" for c in mention.mention.corrections)
        lines.append(f"Read {words!r} as {label if answer.site.get('iri') else 'several sites'} "
                     f"({_HOW.get(mention.mention.how, mention.mention.how)}{fixes}).")
    if technique_from == "text":
        said = ", ".join(repr(m.text) for m in mention.technique_mentions)
        lines.append(f"Technique read from the text ({said}): {index.label(technique_iri)}.")
    elif technique_from == "default":
        lines.append(f"The text names no technique: {index.label(technique_iri)} is assumed.")
    if approach_from == "text":
        said = ", ".join(repr(m.text) for m in mention.approach_mentions)
        lines.append(f"Approach read from the text ({said}): {index.label(approach_iri)}.")
    if mention.laterality or mention.levels:
        said = ", ".join(x for x in (mention.laterality, " ".join(mention.levels)) if x)
        lines.append(f"Also read: {said}.")
    answer.explanation = lines + answer.explanation
    answer.source_titles = source_titles(engine, answer.sources)
    return answer


def _answer_several(engine: Engine, index: LabelIndex, mention: SiteMention, structures: list[URIRef],
                    technique: URIRef, approach: URIRef) -> Suggestion:
    """Words that name several sites: one shared answer, or flagged ambiguous with each site's answer."""
    each = [_answer_structure(engine, index, s, technique, approach) for s in structures]
    words = mention.mention.text
    site = _ref(index, mention.group) if mention.group else {"iri": None, "label": words}
    answer = Suggestion(site=site, technique=_ref(index, technique), approach=_ref(index, approach))
    answer.matches = [{"site": a.site, "codes": a.codes, "ambiguous": a.ambiguous,
                       "outside_family": a.outside_family, "candidates": a.candidates,
                       "named_codes": a.named_codes, "sources": a.sources} for a in each]
    names = ", ".join(a.site["label"] for a in each)
    what = f"the {index.label(mention.group)} group" if mention.group else repr(words)
    if len({_signature(a) for a in each}) == 1:
        first = each[0]
        answer.codes, answer.ambiguous, answer.outside_family = list(first.codes), first.ambiguous, first.outside_family
        seen: set[tuple[str, str]] = set()
        for a in each:
            for c in a.candidates:
                if (c["code"], c["reason"]) not in seen:
                    seen.add((c["code"], c["reason"]))
                    answer.candidates.append(c)
        named: dict[str, dict] = {}
        for a in each:
            for n in a.named_codes:
                entry = named.setdefault(n["technique"]["iri"], {"technique": n["technique"], "codes": set(),
                                                                 "sources": set()})
                entry["codes"] |= set(n["codes"])
                entry["sources"] |= set(n["sources"])
        answer.named_codes = [{**e, "codes": sorted(e["codes"]), "sources": sorted(e["sources"])}
                              for e in named.values()]
        answer.explanation.append(f"{what[0].upper() + what[1:]} names {len(each)} sites that share one answer: "
                                  f"{names}.")
        for a in each:
            answer.explanation += [f"{a.site['label']}: {line}" for line in a.explanation]
    else:
        answer.ambiguous = True
        listed = "; ".join(f"{a.site['label']} -> {', '.join(a.codes) or 'no code'}"
                           + (" (disputed)" if a.ambiguous else "") for a in each)
        answer.explanation.append(f"Ambiguous: {what} names {len(each)} sites whose answers differ ({listed}). "
                                  f"No code is picked: name the site treated.")
    answer.sources = sorted(set().union(*(set(a.sources) for a in each)))
    return answer


# --- the answer for a text --------------------------------------------------------------------------------------

def _contradictions(index: LabelIndex, facts: _Facts, reading: NoteReading, text: str) -> None:
    """Refuse a site named with a body region it does not lie in (unless another site of the sentence does)."""
    for mention in reading.sites:
        if len(mention.structures) != 1 or not mention.regions:
            continue
        site = mention.structures[0]
        located = facts.located.get(site, set())
        for region in mention.regions:
            if not located or any(index.related_regions(region, at) for at in located):
                continue
            others = [o for o in reading.sites if o is not mention and o.mention.sentence == mention.mention.sentence]
            if any(_related(index, facts, s, (region,)) for o in others for s in o.structures):
                continue
            where = ", ".join(sorted(index.label(r) for r in located))
            raise SiteError("contradictory_site",
                            f"{text!r}: the {index.label(site)} lies in {where}, not in the {index.label(region)}",
                            [index.label(site)])


def _no_site(engine: Engine, index: LabelIndex, lex: Lexicon, reading: NoteReading, text: str) -> SiteError:
    structures = index.of_type(*SITE_CLASSES)
    regions = [m for m in reading.mentions if m.kind == "region"]
    if reading.unmatched:
        words = reading.unmatched[0].text
        return SiteError("unknown_site", f"no nerve, plexus or ganglion in the graph is called {words!r}",
                         index.did_you_mean(words, structures))
    if regions and not reading.sites:
        inside = {s for s in structures for r in regions for region in r.resources
                  if _related(index, _facts(engine), s, (region,)) and _facts(engine).located.get(s)}
        return SiteError("unknown_site", f"{text!r} is a body region, not a nerve or plexus: name the nerve",
                         sorted(index.label(s) for s in inside)[:10])
    return SiteError("unknown_site", f"no nerve, plexus or ganglion in the graph is called {text!r}",
                     index.did_you_mean(text, structures))


def suggest(engine: Engine, site_text: str, *, technique: str | None = None,
            approach: str | None = None) -> Suggestion:
    """Which code reports treating each site *site_text* names (a name or a sentence of a note).

    *technique* and *approach*, when given, override what the text says; when neither is given nor read,
    cryoablation by the percutaneous approach is assumed. The first site's answer is returned, with every
    site's answer in ``answers``.

    >>> from cryokg.answer.store import load_store
    >>> answer = suggest(load_store().engine, "superficial radial nerve")
    >>> answer.codes
    ['0440T']
    >>> [a.codes for a in suggest(load_store().engine, "RFA of the ulnar and median nerves").answers]
    [['64640'], ['64640']]
    """
    index = label_index(engine)
    lex = lexicon(engine)
    technique_iri = _resolve_kind(index, technique, CRYO.Technique, "technique") if technique else None
    approach_iri = _resolve_kind(index, approach, CRYO.Approach, "approach") if approach else None
    text = site_text.strip()
    if not text:
        raise SiteError("unknown_site", "no site was given", [])
    if is_iri_text(text):
        iri = safe_iri(text)
        if iri not in index.of_type(*SITE_CLASSES):
            raise SiteError("unknown_site", f"{text} is not a nerve, plexus or ganglion of the graph", [])
        from cryokg.answer.note_reading import Mention

        reading = NoteReading(text=text, sites=[SiteMention(Mention("site", 0, len(text), text, (iri,), "iri"),
                                                            (iri,), iri if iri in lex.groups else None)])
    else:
        reading = read_note(engine, text)
    if not reading.sites:
        raise _no_site(engine, index, lex, reading, text)
    _contradictions(index, _facts(engine), reading, text)
    answers: list[Suggestion] = []
    seen: set[tuple] = set()
    for mention in reading.sites:
        answer = _answer_mention(engine, index, lex, mention, text, technique_iri, approach_iri)
        key = (tuple(mention.structures), answer.technique["iri"], answer.approach["iri"])
        if key not in seen:
            seen.add(key)
            answers.append(answer)
    top = answers[0]
    top.answers = answers
    top.unmatched = [{"text": m.text, "span": [m.start, m.end],
                      "did_you_mean": index.did_you_mean(m.text, index.of_type(*SITE_CLASSES))}
                     for m in reading.unmatched]
    if top.unmatched:
        top.explanation.append("Not understood: " + ", ".join(repr(u["text"]) for u in top.unmatched) + ".")
    return top
