"""FHIR R4 terminology resources of the release: one CodeSystem, ValueSets and ConceptMaps, in one Bundle.

What an EHR, a billing system or a terminology server can load, from the validated release graph:

* **CodeSystem** ``<base>fhir/CodeSystem/cryokg``: the cryokg concepts a coder meets - the code family, its
  codes and the related codes *as cryokg describes them*, anatomic scopes, body regions, nerves and plexuses,
  techniques, approaches, code categories and statuses. The code of a concept is its CURIE (``code:0440T``,
  ``anat:pudendal-nerve``), the one every other cryokg export uses; ``display`` and ``definition`` are the
  cryokg team's own words, synonyms are designations. Properties (:data:`PROPERTIES`) carry the graph's
  relations: anatomic scope, method, approach, status, parent, located in, disputed, ...
* **ValueSets**: the whole CodeSystem; the code family (as cryokg concepts and as CPT code references); all
  nerves and plexuses; per family code, the structures whose cryoablation it is reported with (definite and
  disputed candidates, from the sourced code assignments).
* **ConceptMaps**: structure -> code, one per technique that has code assignments. A definite assignment maps
  with equivalence ``wider`` (the code covers this structure among others); a disputed candidate and a
  contested alternative map with ``relatedto`` and a comment giving the reason and the sources, so a
  dispute is never flattened into one answer. And structure -> UBERON / SNOMED CT from the SSSOM mappings
  (``skos:exactMatch`` -> ``equivalent``, ``skos:closeMatch`` -> ``inexact`` with a comment, the
  correspondence sssom-py's FHIR writer uses).

**CPT descriptors are never written.** CPT codes appear only as code references (system
:data:`CPT_SYSTEM`, a code, no display): a Coding's display is the code system's own text, which is the AMA's
and copyrighted. cryokg's own label for a code is the display of *cryokg's* concept (``code:0440T``).

**System URIs** come from HL7's terminology registry (terminology.hl7.org, its ``NamingSystem`` records,
read in the HL7/UTG sources): CPT ``http://www.ama-assn.org/go/cpt``, HCPCS Level II
``http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets`` and SNOMED CT ``http://snomed.info/sct`` are the
preferred URIs there. UBERON has no record; the URI used is the ontology's own OBO PURL
(``http://purl.obolibrary.org/obo/uberon.owl``), the pattern the registry endorses for the OBO ontologies it
lists (MONDO ``.../obo/mondo.owl``; ``.../obo/hp.owl`` for HPO), with codes in OBO form (``UBERON:0001493``).
FMA and ChEBI mappings are left out: neither has a registered FHIR system URI.

Output is byte-deterministic (sorted, no timestamps): the resources' ``date`` is the latest date the team
checked a source (``cryo:checkedOn``, ``cryo:mappingDate``). The resources are plain JSON; the tests build
each one through the ``fhir.resources`` R4B model classes and the ``fhirclient`` R4 models.

>>> system_url("https://w3id.org/cryokg/")
'https://w3id.org/cryokg/fhir/CodeSystem/cryokg'
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from cryokg.namespaces import DEFAULT_BASE, curie, prefixes_for

__all__ = [
    "BUNDLE_FILE",
    "CPT_SYSTEM",
    "FHIR_DIR",
    "FHIR_VERSION",
    "HCPCS_SYSTEM",
    "PROPERTIES",
    "SNOMED_SYSTEM",
    "UBERON_SYSTEM",
    "FHIRExporter",
    "build_bundle",
    "build_resources",
    "fhir_base",
    "system_url",
    "write_fhir",
]

FHIR_DIR = "fhir"
BUNDLE_FILE = "bundle.json"
FHIR_VERSION = "4.0.1"
CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"
HCPCS_SYSTEM = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
SNOMED_SYSTEM = "http://snomed.info/sct"
UBERON_SYSTEM = "http://purl.obolibrary.org/obo/uberon.owl"
FHIR_PROPERTY = "http://hl7.org/fhir/concept-properties#"
PUBLISHER = "The cryokg team"
COPYRIGHT = ("cryokg data: CC BY 4.0. CPT is a registered trademark of the American Medical Association; cryokg "
             "holds CPT code numbers and facts about them, never CPT descriptors: every display and definition "
             "here is the cryokg team's own wording. Not coding advice: check the payer's policy.")

# External code systems of the mapping tables: IRI namespace of the identifiers -> (FHIR system, code form).
_EXTERNAL = {
    "http://purl.obolibrary.org/obo/UBERON_": (UBERON_SYSTEM, "UBERON:{}", "uberon", "UBERON"),
    "http://snomed.info/id/": (SNOMED_SYSTEM, "{}", "snomed", "SNOMED CT"),
}
_EQUIVALENCE = {SKOS.exactMatch: "equivalent", SKOS.closeMatch: "inexact", SKOS.broadMatch: "wider",
                SKOS.narrowMatch: "narrower", SKOS.relatedMatch: "relatedto"}


def fhir_base(base: str = DEFAULT_BASE) -> str:
    """The root of the canonical URLs of cryokg's FHIR resources, e.g. ``https://w3id.org/cryokg/fhir/``."""
    return f"{base}fhir/"


def system_url(base: str = DEFAULT_BASE) -> str:
    """The canonical URL (the ``system``) of the cryokg CodeSystem."""
    return f"{fhir_base(base)}CodeSystem/cryokg"


@dataclass(frozen=True)
class Property:
    """One concept property of the CodeSystem: its code, FHIR type, what it says, where it comes from.

    ``predicates`` are cryo: local names (or full IRIs) read from the graph; ``uri`` defaults to the first.
    """

    code: str
    type: str
    description: str
    predicates: tuple[str, ...] = ()
    uri: str | None = None


def _cryo(base: str, local: str) -> URIRef:
    return URIRef(local if "://" in local else f"{base}def/{local}")


PROPERTIES: tuple[Property, ...] = (
    Property("parent", "code", "The concept above this one: a code's family, a region's enclosing region, the "
             "nerve or plexus a branch comes from.", (str(SKOS.broader), "regionPartOf", "branchOf"),
             uri=FHIR_PROPERTY + "parent"),
    Property("notSelectable", "boolean", "True for a grouping concept that is not itself reported (the code family).",
             uri=FHIR_PROPERTY + "notSelectable"),
    Property("inactive", "boolean", "True for a deprecated cryokg concept.", (str(OWL.deprecated),),
             uri=FHIR_PROPERTY + "inactive"),
    Property("type", "string", "The cryokg class of the concept, by local name (https://w3id.org/cryokg/def/<name>).",
             uri=str(RDF.type)),
    Property("iri", "string", "The concept's linked-data IRI (it dereferences to the cryokg page and RDF)."),
    Property("notation", "string", "The code number (skos:notation), e.g. 0440T.", (str(SKOS.notation),)),
    Property("billing-code", "Coding",
             "The code in the code set it belongs to (CPT or HCPCS Level II), as a code reference without a display."),
    Property("category", "code", "The code category (CPT Category I, III, HCPCS Level II).", ("codeCategory",)),
    Property("status", "code", "Whether the code appears in a current public code list (only where a source "
             "confirmed it).", ("codeStatus",)),
    Property("anatomic-scope", "code", "The kind of structure and region the code covers.", ("anatomicScope",)),
    Property("method", "code", "The technique the code describes.", ("method",)),
    Property("approach", "code", "How the target is reached.", ("approach",)),
    Property("related-code", "code", "A code a coder weighs against this one.", ("relatedCode",)),
    Property("distinguishing-feature", "string", "What sets the code apart from the others (the cryokg team's "
             "words).", ("distinguishingFeature",)),
    Property("unit-of-service", "string", "How many units one session reports.", ("unitOfService",)),
    Property("scope-region", "code", "The body region an anatomic scope covers.", ("scopeRegion",)),
    Property("scope-structure-type", "string", "The kind of structure an anatomic scope covers (cryokg class local "
             "name).", ("scopeStructureType",)),
    Property("scope-example", "code", "A structure the scope names as an example.", ("scopeExample",)),
    Property("located-in", "code", "A body region the structure runs in (location decides the code).",
             ("locatedIn",)),
    Property("branch-of", "code", "The nerve or plexus the structure branches from.", ("branchOf",)),
    Property("region-part-of", "code", "The region this region is part of.", ("regionPartOf",)),
    Property("disputed", "boolean", "True when public sources disagree on the structure's code: see the "
             "structure-to-code ConceptMap for the candidates, each with its reason and sources.",
             ("codingAmbiguous",)),
)
"""The CodeSystem's concept properties, in the order they are declared and listed."""

STRUCTURE_CLASSES = ("NervePlexus", "Nerve", "NerveGroup", "AutonomicPlexus", "AutonomicGanglion")
"""Classes of the structures a coder names as a target (the ``structures`` ValueSet and the ConceptMaps)."""
CONCEPT_CLASSES = ("CodeFamily", "ProcedureCode", "AnatomicScope", "BodyRegion", *STRUCTURE_CLASSES, "Technique",
                   "Approach", "CodeCategory", "CodeStatus")
"""The classes whose members are concepts of the CodeSystem (a member's first class here is its ``type``)."""


# --- reading the graph --------------------------------------------------------------------------------------
class _Graph:
    """Small helpers over the release graph: labels, sorted objects, CURIEs under the release's base."""

    def __init__(self, graph: Graph, base: str) -> None:
        self.g = graph
        self.base = base
        self.prefixes = prefixes_for(base)

    def cryo(self, local: str) -> URIRef:
        return _cryo(self.base, local)

    def code(self, node: URIRef) -> str:
        return curie(str(node), self.prefixes)

    def text(self, node: URIRef, predicate: URIRef) -> str | None:
        """The English (else untagged) literal of *predicate*, the smallest if there are several."""
        values = sorted((0 if o.language == "en" else 1, str(o)) for o in self.g.objects(node, predicate)
                        if isinstance(o, Literal) and o.language in ("en", None))
        return values[0][1] if values else None

    def texts(self, node: URIRef, predicate: URIRef) -> list[str]:
        return sorted({str(o) for o in self.g.objects(node, predicate)
                       if isinstance(o, Literal) and o.language in ("en", None)})

    def label(self, node: URIRef) -> str:
        return self.text(node, SKOS.prefLabel) or self.text(node, RDFS.label) or self.code(node)

    def iris(self, node: URIRef, predicate: URIRef) -> list[URIRef]:
        return sorted((o for o in self.g.objects(node, predicate) if isinstance(o, URIRef)), key=str)

    def subjects(self, predicate: URIRef, obj: URIRef) -> list[URIRef]:
        return sorted((s for s in self.g.subjects(predicate, obj) if isinstance(s, URIRef)), key=str)

    def sources(self, node: URIRef) -> list[str]:
        return [str(s) for s in self.iris(node, DCTERMS.source)]

    def notation(self, node: URIRef) -> str | None:
        values = sorted(str(o) for o in self.g.objects(node, SKOS.notation))
        return values[0] if values else None

    def release_date(self) -> str | None:
        """The latest date a source or mapping was checked: the content's date, without a clock."""
        dates = [str(o) for p in (self.cryo("checkedOn"), self.cryo("mappingDate")) for o in self.g.objects(None, p)
                 if isinstance(o, Literal) and len(str(o)) == 10]
        return max(dates) if dates else None


def _value_key(value: object) -> str:
    return json.dumps(value, sort_keys=True)


class _Builder:
    def __init__(self, graph: Graph, base: str, version: str) -> None:
        self.r = _Graph(graph, base)
        self.base = base
        self.version = version
        self.system = system_url(base)
        self.canon = fhir_base(base)
        self.date = self.r.release_date()
        self.concept_type: dict[URIRef, str] = {}
        for local in CONCEPT_CLASSES:  # first class in CONCEPT_CLASSES order wins
            for node in self.r.subjects(RDF.type, self.r.cryo(local)):
                self.concept_type.setdefault(node, local)
        self.concepts = sorted(self.concept_type, key=self.r.code)
        self.cpt_scheme = URIRef(f"{base}id/scheme/cpt")
        self.hcpcs_scheme = URIRef(f"{base}id/scheme/hcpcs")

    # --- shared pieces ----------------------------------------------------------------------------------
    def header(self, kind: str, ident: str, name: str, title: str, description: str, *, purpose: str | None = None,
               status: str = "active") -> dict:
        resource: dict = {"resourceType": kind, "id": ident, "url": f"{self.canon}{kind}/{ident}",
                          "version": self.version, "name": name, "title": title, "status": status,
                          "experimental": False}
        if self.date:
            resource["date"] = self.date
        resource["publisher"] = PUBLISHER
        resource["description"] = description
        if purpose:
            resource["purpose"] = purpose
        resource["copyright"] = COPYRIGHT
        return resource

    def billing_coding(self, node: URIRef) -> dict | None:
        notation = self.r.notation(node)
        if notation is None:
            return None
        schemes = set(self.r.iris(node, SKOS.inScheme))
        if self.cpt_scheme in schemes:
            return {"system": CPT_SYSTEM, "code": notation}
        if self.hcpcs_scheme in schemes:
            return {"system": HCPCS_SYSTEM, "code": notation}
        return None

    # --- the CodeSystem ---------------------------------------------------------------------------------
    def concept_properties(self, node: URIRef) -> list[dict]:
        r = self.r
        values: list[dict] = []

        def add(code: str, key: str, value: object) -> None:
            values.append({"code": code, key: value})

        for prop in PROPERTIES:
            if prop.code == "notSelectable":
                if self.concept_type[node] == "CodeFamily":
                    add(prop.code, "valueBoolean", True)
                continue
            if prop.code == "type":
                add(prop.code, "valueString", self.concept_type[node])
                continue
            if prop.code == "iri":
                add(prop.code, "valueString", str(node))
                continue
            if prop.code == "billing-code":
                coding = self.billing_coding(node)
                if coding:
                    add(prop.code, "valueCoding", coding)
                continue
            found: list[dict] = []
            for predicate in prop.predicates:
                for obj in r.g.objects(node, r.cryo(predicate)):
                    if prop.type == "code" and isinstance(obj, URIRef) and obj in self.concept_type:
                        found.append({"code": prop.code, "valueCode": r.code(obj)})
                    elif prop.type == "code" and isinstance(obj, URIRef):
                        continue  # a relation to something outside the CodeSystem (a tissue, a device)
                    elif prop.type == "boolean" and isinstance(obj, Literal):
                        if obj.toPython() is True:
                            found.append({"code": prop.code, "valueBoolean": True})
                    elif prop.type == "string" and isinstance(obj, URIRef):
                        found.append({"code": prop.code, "valueString": r.code(obj).removeprefix("cryo:")})
                    elif prop.type == "string" and isinstance(obj, Literal) and obj.language in ("en", None):
                        found.append({"code": prop.code, "valueString": str(obj)})
            values.extend(sorted({_value_key(v): v for v in found}.values(), key=_value_key))
        return values

    def concept(self, node: URIRef) -> dict:
        r = self.r
        entry: dict = {"code": r.code(node), "display": r.label(node)}
        definition = r.text(node, SKOS.definition)
        if definition:
            entry["definition"] = definition
        display = entry["display"]
        synonyms = [text for text in r.texts(node, SKOS.altLabel) if text != display]
        if synonyms:
            entry["designation"] = [{"language": "en", "value": text} for text in synonyms]
        entry["property"] = self.concept_properties(node)
        return entry

    def property_definition(self, prop: Property) -> dict:
        uri = prop.uri or (str(self.r.cryo(prop.predicates[0])) if prop.predicates else None)
        return {"code": prop.code, **({"uri": uri} if uri else {}), "description": prop.description, "type": prop.type}

    def code_system(self) -> dict:
        resource = self.header(
            "CodeSystem", "cryokg", "CryokgConcepts", "cryokg concepts: percutaneous nerve cryoablation coding",
            "The concepts of the cryokg knowledge graph that a coder of percutaneous nerve cryoablation "
            "(CPT 0440T, 0441T, 0442T) meets: the code family, its codes and the related codes as cryokg describes "
            "them, anatomic scopes, body regions, nerves and plexuses, techniques and approaches. A concept's code "
            "is its cryokg CURIE; its IRI is given by the 'iri' property. Where the concept stands for a billing "
            "code, 'billing-code' gives the CPT or HCPCS code as a reference only.",
            purpose="Let health-IT systems look up, validate and translate the structures and codes of nerve "
                    "cryoablation with the sources cryokg records for each fact.")
        resource["caseSensitive"] = True
        resource["valueSet"] = f"{self.canon}ValueSet/cryokg"
        resource["hierarchyMeaning"] = "grouped-by"
        resource["compositional"] = False
        resource["versionNeeded"] = False
        resource["content"] = "complete"
        resource["count"] = len(self.concepts)
        resource["property"] = [self.property_definition(p) for p in PROPERTIES]
        resource["concept"] = [self.concept(node) for node in self.concepts]
        return resource

    # --- ValueSets ----------------------------------------------------------------------------------------
    def family_members(self) -> list[tuple[URIRef, list[URIRef]]]:
        """Each code family with its member codes (skos:broader), sorted by notation."""
        families = [n for n in self.concepts if self.concept_type[n] == "CodeFamily"]
        return [(family, sorted((m for m in self.r.subjects(SKOS.broader, family) if m in self.concept_type),
                                key=lambda m: self.r.notation(m) or str(m)))
                for family in families]

    def value_set(self, ident: str, name: str, title: str, description: str, include: list[dict]) -> dict:
        resource = self.header("ValueSet", ident, name, title, description)
        resource["immutable"] = True
        resource["compose"] = {"include": include}
        return resource

    def enumerated(self, nodes: Iterable[URIRef]) -> dict:
        return {"system": self.system, "version": self.version,
                "concept": [{"code": self.r.code(n), "display": self.r.label(n)} for n in nodes]}

    def assignments(self) -> list[dict]:
        """Every code assignment (structure, technique, code, kind, reason, sources), sorted."""
        r = self.r
        rows = []
        for node in r.subjects(RDF.type, r.cryo("CodeAssignment")):
            structures, techniques = r.iris(node, r.cryo("structure")), r.iris(node, r.cryo("technique"))
            codes, kinds = r.iris(node, r.cryo("assignedCode")), r.iris(node, r.cryo("assignmentKind"))
            if not (structures and techniques and codes):
                continue
            rows.append({"node": node, "structure": structures[0], "technique": techniques[0], "code": codes[0],
                         "kind": r.code(kinds[0]).partition(":")[2] if kinds else "definite",
                         "reason": r.text(node, r.cryo("reason")) or r.text(node, SKOS.definition) or "",
                         "sources": r.sources(node)})
        return sorted(rows, key=lambda a: (str(a["technique"]), r.code(a["structure"]), r.notation(a["code"]) or "",
                                           a["kind"], str(a["node"])))

    def value_sets(self, assignments: list[dict]) -> list[dict]:
        r = self.r
        by_code: dict[URIRef, list[dict]] = defaultdict(list)  # one pass, not one per member (quadratic at 1 M)
        for a in assignments:
            by_code[a["code"]].append(a)
        sets = [self.value_set(
            "cryokg", "CryokgAllConcepts", "All cryokg concepts",
            "Every concept of the cryokg CodeSystem.", [{"system": self.system, "version": self.version}])]
        structures = [n for n in self.concepts if self.concept_type[n] in STRUCTURE_CLASSES]
        sets.append(self.value_set(
            "structures", "CryokgStructures", "Nerves and nerve plexuses",
            "Every nerve and nerve plexus cryokg describes: the sites a nerve cryoablation (or another nerve "
            "procedure) can target.", [self.enumerated(structures)]))
        for family, members in self.family_members():
            notation = r.notation(family) or r.code(family).partition(":")[2]
            label = r.label(family)
            sets.append(self.value_set(
                "code-family", "CodeFamily", f"The code family {notation}",
                f"The codes of the family {label}, as cryokg concepts (cryokg's own labels).",
                [self.enumerated(members)]))
            cpt = [self.billing_coding(m) for m in members]
            by_system: dict[str, list[str]] = defaultdict(list)
            for coding in cpt:
                if coding:
                    by_system[coding["system"]].append(coding["code"])
            sets.append(self.value_set(
                "code-family-cpt", "CodeFamilyCpt", f"The code family {notation} as CPT code references",
                f"The codes of the family {label} in the code set that defines them, as code references only: CPT "
                "descriptors are the AMA's and are not reproduced (use the cryokg concepts of ValueSet/code-family "
                "for cryokg's own labels).",
                [{"system": system, "concept": [{"code": c} for c in codes]} for system, codes in sorted(by_system.items())]))
            for member in members:
                methods = set(r.iris(member, r.cryo("method")))
                rows = [a for a in by_code.get(member, ()) if a["technique"] in methods]
                nodes = sorted({a["structure"] for a in rows if a["structure"] in self.concept_type}, key=r.code)
                disputed = sorted({r.label(a["structure"]) for a in rows if a["kind"] != "definite"})
                note = (" Disputed, also listed under another code: " + ", ".join(disputed) + "." if disputed else "")
                member_notation = r.notation(member) or r.code(member)
                technique = ", ".join(sorted(r.label(m) for m in methods))
                sets.append(self.value_set(
                    f"structures-{member_notation}", f"StructuresFor{_name(member_notation)}",
                    f"Structures whose {technique} is reported with {member_notation}",
                    f"The nerves and plexuses that cryokg's sourced code assignments give {member_notation} for "
                    f"{technique} ({r.label(member)}): definite assignments and disputed candidates.{note}",
                    [self.enumerated(nodes)]))
        return sets

    # --- ConceptMaps --------------------------------------------------------------------------------------
    def structure_to_code(self, assignments: list[dict]) -> list[dict]:
        r = self.r
        maps = []
        by_technique: dict[URIRef, list[dict]] = defaultdict(list)
        for a in assignments:
            if a["structure"] in self.concept_type:
                by_technique[a["technique"]].append(a)
        for technique in sorted(by_technique, key=str):
            rows = by_technique[technique]
            local = r.code(technique).partition(":")[2]
            label = r.label(technique)
            groups: dict[str, dict[URIRef, list[dict]]] = defaultdict(lambda: defaultdict(list))
            for a in rows:
                coding = self.billing_coding(a["code"])
                if coding is None:
                    continue
                groups[coding["system"]][a["structure"]].append({**a, "target": coding})
            resource = self.header(
                "ConceptMap", f"structure-to-code-{local}", f"StructureToCode{_name(local)}",
                f"Which code {label} of each structure is reported with",
                f"For each nerve or plexus, the billing code of its {label}, from cryokg's sourced code assignments. "
                "Equivalence 'wider': the code covers this structure (among others) - the definite answer. "
                "Equivalence 'relatedto': a disputed candidate (public sources disagree on the structure's code; "
                "no candidate is picked silently) or a contested alternative (a code outside the family that a "
                "manufacturer or payer argues for, shown beside the answer, never instead of it); the comment gives "
                "the reason and the sources. Target codes are code references only: no CPT descriptors.",
                purpose="Answer 'which code for this site' ($translate) with the reasons and sources behind it.")
            resource["sourceCanonical"] = f"{self.canon}ValueSet/structures"
            resource["group"] = [{
                "source": self.system, "sourceVersion": self.version, "target": system,
                "element": [{"code": r.code(structure), "display": r.label(structure),
                             "target": [self.code_target(t) for t in targets]}
                            for structure, targets in sorted(elements.items(), key=lambda kv: r.code(kv[0]))],
            } for system, elements in sorted(groups.items())]
            maps.append(resource)
        return maps

    def code_target(self, a: dict) -> dict:
        kind = a["kind"]
        notation = a["target"]["code"]
        lead = {"definite": f"Definite: {notation}.",
                "candidate": f"Disputed: {notation} is one of the codes public sources support for this structure.",
                "alternative": f"Contested alternative: {notation} is argued for by a manufacturer or payer; "
                               "another public source settles the structure on a family code."}.get(kind, f"{kind}.")
        comment = " ".join(part for part in (lead, a["reason"], "Sources: " + "; ".join(a["sources"]) + "."
                                             if a["sources"] else "") if part)
        return {"code": notation, "equivalence": "wider" if kind == "definite" else "relatedto", "comment": comment}

    def mapping_maps(self) -> list[dict]:
        r = self.r
        rows: dict[str, list[dict]] = defaultdict(list)
        for node in r.subjects(RDF.type, r.cryo("MappingRecord")):
            subjects, objects = r.iris(node, r.cryo("mappingSubject")), r.iris(node, r.cryo("mappingObject"))
            predicates = r.iris(node, r.cryo("mappingPredicate"))
            if not (subjects and objects and predicates) or subjects[0] not in self.concept_type:
                continue
            target = str(objects[0])
            namespace = next((ns for ns in _EXTERNAL if target.startswith(ns)), None)
            equivalence = _EQUIVALENCE.get(predicates[0])
            if namespace is None or equivalence is None:
                continue
            system, form, _, name = _EXTERNAL[namespace]
            entry: dict = {"code": form.format(target[len(namespace):]), "equivalence": equivalence}
            label = r.text(node, r.cryo("mappingObjectLabel"))
            if label and system == UBERON_SYSTEM:  # UBERON's own label; SNOMED CT displays are not ours to give
                entry["display"] = label
            note = r.text(node, RDFS.comment)
            if equivalence == "inexact" and not note:
                note = f"A close match, not an exact one: the {name} concept's boundaries may differ from cryokg's."
            seen = " ".join(f"Seen in: {s}." for s in r.sources(node))
            comment = " ".join(part for part in (note, seen) if part)
            if comment:
                entry["comment"] = comment
            rows[namespace].append({"subject": subjects[0], "target": entry})
        maps = []
        for namespace in sorted(rows):
            system, _, ident, name = _EXTERNAL[namespace]
            elements: dict[URIRef, list[dict]] = defaultdict(list)
            for row in rows[namespace]:
                elements[row["subject"]].append(row["target"])
            resource = self.header(
                "ConceptMap", f"structure-to-{ident}", f"StructureTo{_name(ident)}",
                f"cryokg structures and regions to {name}",
                f"cryokg anatomy mapped to {name}, from cryokg's SSSOM mapping table (skos:exactMatch -> "
                "equivalent, skos:closeMatch -> inexact). Only identifiers the team saw in a public source are "
                "listed; the comment names that source.")
            resource["group"] = [{
                "source": self.system, "sourceVersion": self.version, "target": system,
                "element": [{"code": r.code(s), "display": r.label(s),
                             "target": sorted(targets, key=_value_key)}
                            for s, targets in sorted(elements.items(), key=lambda kv: r.code(kv[0]))]}]
            maps.append(resource)
        return maps

    def resources(self) -> list[dict]:
        assignments = self.assignments()
        return [self.code_system(), *self.value_sets(assignments), *self.structure_to_code(assignments),
                *self.mapping_maps()]


def _name(text: str) -> str:
    """A FHIR computable name piece: the words of *text*, capitalised and joined.

    >>> _name("radiofrequency-ablation"), _name("0440T")
    ('RadiofrequencyAblation', '0440T')
    """
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text) if part)


def build_resources(graph: Graph, *, base: str = DEFAULT_BASE, version: str = "0.0.0") -> list[dict]:
    """The CodeSystem, ValueSets and ConceptMaps of *graph* (the asserted release graph), as FHIR R4 JSON."""
    return _Builder(graph, base, version).resources()


def build_bundle(resources: list[dict], *, base: str = DEFAULT_BASE) -> dict:
    """A ``collection`` Bundle of *resources*, each entry's ``fullUrl`` its canonical URL."""
    return {"resourceType": "Bundle", "id": "cryokg-terminology", "type": "collection",
            "entry": [{"fullUrl": resource["url"], "resource": resource} for resource in resources]}


_SCALAR = json.JSONEncoder(ensure_ascii=False)


def _text(value: object, pad: str) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=1)`` as it appears after the line break and indent *pad*
    (``"\\n"`` plus one space a level) in an indented document.

    Every scalar goes through the C encoder: ``json.dump`` with ``indent`` runs the pure-Python encoder, a
    generator per container, which was a third of the FHIR export (``scripts/bench_build.py``, row "export:
    fhir", 100 k triples: 3.0 s of 10.2 s). The bytes are held to ``json.dumps`` by the committed release's files
    and tests/test_fhir_export.py."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = pad + " "
        return "{" + ",".join(inner + _SCALAR.encode(str(k)) + ": " + _text(v, inner) for k, v in value.items()) \
            + pad + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        inner = pad + " "
        return "[" + ",".join(inner + _text(v, inner) for v in value) + pad + "]"
    return _SCALAR.encode(value)


def _pieces(value: dict, pad: str = "\n") -> Iterator[str]:
    """:func:`_text` of a resource (or any dict) in pieces: its top-level lists one element at a time, so the
    CodeSystem of a large release (tens of thousands of concepts) is never one string."""
    if not value:
        yield "{}"
        return
    inner, deeper = pad + " ", pad + "  "
    yield "{"
    for n, (key, item) in enumerate(value.items()):
        yield ("," if n else "") + inner + _SCALAR.encode(str(key)) + ": "
        if isinstance(item, list) and item:
            yield "["
            for m, element in enumerate(item):
                yield ("," if m else "") + deeper + _text(element, deeper)
            yield inner + "]"
        else:
            yield _text(item, inner)
    yield pad + "}"


def write_fhir(graph: Graph, out_dir: Path, *, base: str = DEFAULT_BASE, version: str = "0.0.0") -> list[Path]:
    """Write ``<out_dir>/fhir/bundle.json`` and one ``<Type>-<id>.json`` per resource; the paths, sorted.

    Each resource is laid out once (:func:`_pieces`) and written, piece by piece, both to its own file and,
    three levels deeper, into the bundle: the bytes of ``json.dumps(..., ensure_ascii=False, indent=1)`` of the
    bundle and of each resource, without a document in memory."""
    folder = Path(out_dir) / FHIR_DIR
    folder.mkdir(parents=True, exist_ok=True)
    resources = build_resources(graph, base=base, version=version)
    bundle = build_bundle([], base=base)
    del bundle["entry"]
    paths = [folder / BUNDLE_FILE]
    with paths[0].open("w", encoding="utf-8", newline="\n") as out:
        head = _text(bundle, "\n")
        out.write(head[:-2] + ',\n "entry": [' if resources else head[:-2] + ',\n "entry": []\n}\n')
        for n, resource in enumerate(resources):
            out.write(("," if n else "") + '\n  {\n   "fullUrl": ' + _SCALAR.encode(resource["url"])
                      + ',\n   "resource": ')
            path = folder / f"{resource['resourceType']}-{resource['id']}.json"
            with path.open("w", encoding="utf-8", newline="\n") as own:
                for piece in _pieces(resource):
                    own.write(piece)
                    out.write(piece.replace("\n", "\n   "))
                own.write("\n")
            out.write("\n  }")
            paths.append(path)
        if resources:
            out.write("\n ]\n}\n")
    return sorted(paths)


class FHIRExporter:
    """``cryokg export --format fhir``: unlike the graph formats it reads the RDF graph, not the networkx view."""

    name = "fhir"
    description = "FHIR R4 terminology: CodeSystem, ValueSets, ConceptMaps and a Bundle of them (JSON)"

    def write(self, graph: Graph, out_dir: Path, *, base: str = DEFAULT_BASE, version: str = "0.0.0") -> list[Path]:
        return write_fhir(graph, out_dir, base=base, version=version)
