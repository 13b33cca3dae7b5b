"""Code selection: which code reports treating a named nerve or plexus with a technique by an approach.

The answer comes from the graph, in this order:

1. sourced code assignments (``cryo:CodeAssignment``) for that structure and technique - definite ones are the
   answer; candidate ones (the structure is ``cryo:codingAmbiguous``) are all returned, flagged as disputed;
2. otherwise the codes whose ``cryo:method`` is the technique and whose ``cryo:anatomicScope`` fits the
   structure: the scope names it as an example; or, for a code of a code family (whose scopes partition
   structures by region), the scope covers the structure's kind in a region that contains where the
   structure lies, or it is the only scope of the family for that kind (a plexus); or the scope is residual
   (any structure of that kind: no region, no examples). The region of another code's scope only locates
   the structures it names, so it is not used to match (the greater occipital nerve scope lies in the
   head and neck, yet it does not cover every nerve there);
3. otherwise no code: ``codes`` is empty and the explanation says why.

A code that states an approach (``cryo:approach``) only fits when it is the requested one.

The site is matched against labels and synonyms (:mod:`cryokg.answer.matching`). Input that names no nerve or
plexus, or that names one together with a body region it does not lie in ("femoral nerve of the hand"), is
refused with :class:`SiteError` rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import URIRef

from cryokg.answer.matching import LabelIndex, is_iri_text, label_index, normalize, safe_iri
from cryokg.answer.store import Engine
from cryokg.errors import BadInput
from cryokg.namespaces import CRYO, id_namespace

__all__ = ["DEFAULT_APPROACH", "DEFAULT_TECHNIQUE", "SiteError", "Suggestion", "find_site", "suggest"]

DEFAULT_TECHNIQUE = "cryoablation"
DEFAULT_APPROACH = "percutaneous"
STRUCTURE_TYPES = (CRYO.Nerve, CRYO.NervePlexus)
_FILLER = {"of", "the", "in", "at", "on", "a", "an", "to", "and", "left", "right", "bilateral", "lt", "rt",
           "side", "sided", "my", "patient", "s"}


class SiteError(BadInput):
    """The site names no nerve or plexus, or contradicts itself; carries the JSON the command prints."""

    def __init__(self, error: str, message: str, did_you_mean: list[str]) -> None:
        super().__init__(message)
        self.error, self.message, self.did_you_mean = error, message, did_you_mean

    def to_json(self) -> dict:
        return {"error": self.error, "message": self.message, "did_you_mean": self.did_you_mean}


@dataclass
class Suggestion:
    """The answer of :func:`suggest`; :meth:`to_json` gives the documented JSON shape."""

    site: dict
    technique: dict
    approach: dict
    codes: list[str] = field(default_factory=list)
    ambiguous: bool = False
    candidates: list[dict] = field(default_factory=list)
    explanation: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"site": self.site, "technique": self.technique, "approach": self.approach, "codes": self.codes,
                "ambiguous": self.ambiguous, "candidates": self.candidates, "explanation": self.explanation,
                "sources": self.sources}


# --- matching the site ----------------------------------------------------------------------------------

def _phrases(tokens: list[str], table: dict[str, set[URIRef]]) -> list[tuple[int, int, set[URIRef]]]:
    """Every (start, end, resources) where tokens[start:end] is a label in *table*, longest first."""
    found = []
    for start in range(len(tokens)):
        for end in range(len(tokens), start, -1):
            key = " ".join(tokens[start:end])
            if key in table:
                found.append((start, end, table[key]))
    return sorted(found, key=lambda f: (-(f[1] - f[0]), f[0]))


def _cover_regions(tokens: list[str], regions: dict[str, set[URIRef]]) -> tuple[list[set[URIRef]], list[str]]:
    """Greedily read region phrases out of *tokens*; return them and the words that are neither region nor filler."""
    used = [False] * len(tokens)
    mentioned: list[set[URIRef]] = []
    for start, end, iris in _phrases(tokens, regions):
        if not any(used[start:end]):
            used[start:end] = [True] * (end - start)
            mentioned.append(iris)
    rest = [t for t, u in zip(tokens, used, strict=True) if not u and t not in _FILLER]
    return mentioned, rest


def _location(index: LabelIndex, engine: Engine, site: URIRef) -> set[URIRef]:
    rows = engine.select(f"PREFIX cryo: <{CRYO}> SELECT ?r WHERE {{ {site.n3()} cryo:locatedIn ?r }}")
    return {row["r"] for row in rows if isinstance(row.get("r"), URIRef)}


def find_site(engine: Engine, text: str) -> URIRef:
    """The nerve or plexus *text* names; :class:`SiteError` when it names none or contradicts its region."""
    index = label_index(engine)
    structures = index.of_type(*STRUCTURE_TYPES)
    if is_iri_text(text):
        iri = safe_iri(text)
        if iri in structures:
            return iri
        raise SiteError("unknown_site", f"{text} is not a nerve or plexus of the graph", [])
    exact = index.find(text, structures)
    if len(exact) == 1:
        return next(iter(exact))
    if len(exact) > 1:
        labels = sorted(index.label(i) for i in exact)
        raise SiteError("unknown_site", f"{text!r} names more than one structure: {', '.join(labels)}", labels)
    tokens = normalize(text).split()
    region_table = index.keys_for(index.of_type(CRYO.BodyRegion))
    for start, end, iris in _phrases(tokens, index.keys_for(structures)):
        if len(iris) != 1:
            continue
        site = next(iter(iris))
        mentioned, rest = _cover_regions(tokens[:start] + tokens[end:], region_table)
        if rest:
            break  # other words we cannot place: do not guess
        located = _location(index, engine, site)
        for regions in mentioned:
            if located and not any(index.related_regions(r, at) for r in regions for at in located):
                said = " / ".join(sorted(index.label(r) for r in regions))
                where = ", ".join(sorted(index.label(r) for r in located))
                raise SiteError("contradictory_site",
                                f"{text!r}: the {index.label(site)} lies in {where}, not in the {said}",
                                [index.label(site)])
        return site
    mentioned, rest = _cover_regions(tokens, region_table)
    if mentioned and not rest:
        regions = set().union(*mentioned)
        inside = {s for s in structures
                  if any(index.related_regions(r, at) for r in regions for at in _location(index, engine, s))}
        raise SiteError("unknown_site", f"{text!r} is a body region, not a nerve or plexus: name the nerve",
                        sorted(index.label(s) for s in inside)[:10])
    hints = index.did_you_mean(text, structures)
    raise SiteError("unknown_site", f"no nerve or plexus in the graph is called {text!r}", hints)


def _resolve_kind(index: LabelIndex, text: str, cls: URIRef, what: str) -> URIRef:
    pool = index.of_type(cls)
    if is_iri_text(text) and safe_iri(text) in pool:
        return safe_iri(text)
    found = index.find(text, pool)
    if len(found) == 1:
        return next(iter(found))
    hints = index.did_you_mean(text, pool) or sorted(index.label(i) for i in pool)
    raise SiteError(f"unknown_{what}", f"no {what} in the graph is called {text!r}", hints)


# --- the answer -----------------------------------------------------------------------------------------

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
        family = families.setdefault(row["family"], {"codes": set(), "methods": set(), "approaches": set()})
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
            "kind_iri": str(row.get("kind") or ""), "approaches": set(), "via": "code assignment"})
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
        key = (row["code"], row["scope"])
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


def suggest(engine: Engine, site_text: str, *, technique: str = DEFAULT_TECHNIQUE,
            approach: str = DEFAULT_APPROACH) -> Suggestion:
    """Which code reports treating *site_text* with *technique* by *approach*.

    >>> from cryokg.answer.store import load_store
    >>> answer = suggest(load_store().engine, "superficial radial nerve")
    >>> answer.codes
    ['0440T']
    """
    index = label_index(engine)
    technique_iri = _resolve_kind(index, technique, CRYO.Technique, "technique")
    approach_iri = _resolve_kind(index, approach, CRYO.Approach, "approach")
    site = find_site(engine, site_text)
    facts = engine.select(_fill(_SITE_QUERY, SITE=site))
    disputed = any(str(r.get("ambiguous", "")).lower() in ("true", "1") for r in facts)
    site_sources = {str(r["source"]) for r in facts if r.get("source")}
    answer = Suggestion(site=_ref(index, site), technique=_ref(index, technique_iri),
                        approach=_ref(index, approach_iri))
    located = sorted(index.label(r) for r in _location(index, engine, site))
    if located:
        answer.explanation.append(f"The {index.label(site)} lies in: {', '.join(located)}.")
    rows = engine.select(_fill(_ASSIGNMENTS, SITE=site, TECHNIQUE=technique_iri))
    candidates, notes = _from_assignments(rows, approach_iri, index)
    if not candidates:
        candidates, more = _from_scopes(engine, index, site, technique_iri, approach_iri)
        notes += more
        if candidates:
            answer.explanation.append(f"No code assignment records {index.label(technique_iri)} of the "
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
                                  "kind": c["kind"], "via": c["via"]})
        answer.explanation.append(f"{c['code']} ({c['kind'] or c['via']}): {c['reason']}")
    if answer.ambiguous:
        answer.explanation.append(f"Disputed: public sources disagree on the code for the {index.label(site)}; "
                                  f"candidates: {', '.join(codes)}. Check the payer's policy before reporting.")
    if not codes:
        answer.explanation.append(f"No code in the graph reports {index.label(technique_iri)} of the "
                                  f"{index.label(site)} by the {index.label(approach_iri)} approach.")
        notes, cited = _family_notes(engine, index, technique_iri, approach_iri)
        answer.explanation += notes
        site_sources |= cited
    answer.sources = sorted(site_sources.union(*(set(c["sources"]) for c in answer.candidates)))
    return answer

