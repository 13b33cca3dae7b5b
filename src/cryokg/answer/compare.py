"""Compare two codes attribute by attribute, each statement with its sources.

Which properties count as *attributes*: the defining attributes of a procedure, in the style of SNOMED CT's
procedure model - every property the vocabulary declares with ``rdfs:domain cryo:ProcedureCode`` (method,
approach, anatomic scope, invasiveness, guidance included, device, device count, coolant, target, effect,
indication, steps) except the administrative ones in :data:`NOT_ATTRIBUTES` (reporting status, category,
related codes, free-text notes, unit of service). Labels, notation and definition describe a code; they do not
define the procedure, so they are not attributes either. The ``siblings`` catalogue query uses the same rule.
Deriving the list from the vocabulary means a new attribute property is compared without code changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Literal, URIRef
from rdflib.namespace import SKOS

from cryokg.answer.describe import PLAIN_NAMES, GraphNotes, graph_notes
from cryokg.answer.matching import LabelIndex, label_index, resolve_resource
from cryokg.answer.store import Engine
from cryokg.errors import BadInput
from cryokg.namespaces import CRYO, curie

__all__ = ["NOT_ATTRIBUTES", "Comparison", "attribute_properties", "compare_codes", "resolve_code"]

NOT_ATTRIBUTES = frozenset({CRYO.codeStatus, CRYO.codeCategory, CRYO.relatedCode, CRYO.distinguishingFeature,
                            CRYO.unitOfService})

_ATTRIBUTES = """PREFIX cryo: <https://w3id.org/cryokg/def/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?property ?label WHERE {
  ?property rdfs:domain cryo:ProcedureCode .
  OPTIONAL { ?property rdfs:label ?label FILTER(LANGMATCHES(LANG(?label), "en")) }
}"""

_STATEMENTS = """PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?property ?value ?source WHERE { VALUES ?code { CODE }
  ?code ?property ?value .
  OPTIONAL { ?code dcterms:source ?source }
}"""


def attribute_properties(engine: Engine) -> dict[URIRef, str]:
    """The attribute properties (see the module docstring) and their labels."""
    found = {}
    for row in engine.select(_ATTRIBUTES):
        prop = row["property"]
        if isinstance(prop, URIRef) and prop not in NOT_ATTRIBUTES:
            found[prop] = str(row.get("label") or curie(str(prop)))
    return found


def resolve_code(engine: Engine, text: str) -> URIRef:
    """The procedure code *text* names (notation, IRI, CURIE or label)."""
    index = label_index(engine)
    return resolve_resource(engine, text, among=index.of_type(CRYO.ProcedureCode), what="procedure code")


def _show(index: LabelIndex, value: object, notes: GraphNotes) -> dict:
    if isinstance(value, URIRef):
        shown: dict = {"iri": str(value), "label": index.label(value)}
        if value in notes.notations:
            shown["notation"] = notes.notations[value]
        if value in notes.step_order:
            shown["order"] = notes.step_order[value]
        return shown
    return {"value": str(value), **({"datatype": str(value.datatype)} if isinstance(value, Literal)
                                    and value.datatype else {})}


def _ordered(index: LabelIndex, values: set, notes: GraphNotes) -> list[dict]:
    """Values in reading order: steps by cryo:stepOrder, the rest by label."""
    shown = [_show(index, v, notes) for v in values]
    return sorted(shown, key=lambda v: (v.get("order", 1 << 30), v.get("label") or v.get("value", "")))


@dataclass
class Comparison:
    """What two codes share and where they differ; :meth:`to_json` is the ``--json`` output."""

    codes: list[dict]
    shared: list[dict] = field(default_factory=list)
    differing: list[dict] = field(default_factory=list)
    """Attributes recorded for both codes, with different values."""
    not_recorded: list[dict] = field(default_factory=list)
    """Attributes recorded for one code only: the graph says nothing of the other (which is not "differs")."""
    not_attributes: list[str] = field(default_factory=list)
    not_attribute_names: list[str] = field(default_factory=list)
    source_titles: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"codes": self.codes, "shared": self.shared, "differing": self.differing,
                "not_recorded": self.not_recorded, "not_attributes": self.not_attributes,
                "not_attribute_names": self.not_attribute_names, "source_titles": self.source_titles}


def compare_codes(engine: Engine, first: str, second: str) -> Comparison:
    """Shared and differing attributes of two codes.

    >>> from cryokg.answer.store import load_store
    >>> result = compare_codes(load_store().engine, "0440T", "0441T")
    >>> [d["label"] for d in result.differing]
    ['anatomic scope']
    """
    index = label_index(engine)
    notes = graph_notes(engine)
    iris = [resolve_code(engine, first), resolve_code(engine, second)]
    if iris[0] == iris[1]:
        raise BadInput("give two different codes to compare")
    attributes = attribute_properties(engine)
    values: list[dict[URIRef, set]] = []
    sources: list[list[str]] = []
    other_props: list[set[URIRef]] = []
    others: list[dict[URIRef, set]] = []
    for iri in iris:
        mine: dict[URIRef, set] = {}
        rest: dict[URIRef, set] = {}
        cited: set[str] = set()
        for row in engine.select(_STATEMENTS.replace("CODE", iri.n3())):
            target = mine if row["property"] in attributes else rest
            target.setdefault(URIRef(str(row["property"])), set()).add(row["value"])
            if row.get("source"):
                cited.add(str(row["source"]))
        values.append(mine)
        others.append(rest)
        other_props.append(set(rest))
        sources.append(sorted(cited))
    notations = [str(min(rest.get(SKOS.notation, {index.label(i)}))) for rest, i in zip(others, iris, strict=True)]
    result = Comparison(codes=[{"code": n, "iri": str(i), "label": index.pref.get(i, n), "sources": s}
                               for n, i, s in zip(notations, iris, sources, strict=True)])
    by_code = dict(zip(notations, sources, strict=True))
    for prop in sorted(set(values[0]) | set(values[1]), key=lambda p: attributes[p]):
        a, b = values[0].get(prop, set()), values[1].get(prop, set())
        entry = {"attribute": curie(str(prop)), "label": attributes[prop], "sources": by_code}
        if a == b:
            result.shared.append({**entry, "values": _ordered(index, a, notes)})
            continue
        shown = {n: _ordered(index, vs, notes) for n, vs in zip(notations, (a, b), strict=True)}
        if a and b:
            result.differing.append({**entry, "values": shown})
        else:
            result.not_recorded.append({**entry, "values": shown,
                                        "missing": [n for n, vs in zip(notations, (a, b), strict=True) if not vs]})
    others_differ = sorted((p for p in other_props[0] | other_props[1] if others[0].get(p) != others[1].get(p)),
                           key=lambda p: curie(str(p)))
    result.not_attributes = [curie(str(p)) for p in others_differ]
    result.not_attribute_names = [index.pref.get(p) or PLAIN_NAMES.get(p) or curie(str(p)) for p in others_differ]
    result.source_titles = {u: notes.titles[u] for code in result.codes for u in code["sources"]
                            if u in notes.titles}
    return result
