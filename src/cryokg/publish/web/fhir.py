"""The FHIR R4 terminology API of ``cryokg serve``, under ``/fhir``.

It answers from the release's own FHIR export (``build/exports/fhir/bundle.json``, written by
:mod:`cryokg.release.exports.fhir` from the validated graph, its checksum checked against the manifest),
never from the hand-authored sources. JSON only (``application/fhir+json``; ``_format`` honoured, XML refused
with 406). What a client can do (FHIR R4 RESTful API and terminology service):

* ``GET /fhir/metadata`` - the CapabilityStatement; ``?mode=terminology`` - the TerminologyCapabilities;
* read ``/fhir/CodeSystem/{id}``, ``/fhir/ValueSet/{id}``, ``/fhir/ConceptMap/{id}``; search each type by
  ``url`` (``url|version`` too), ``_id``, ``name``, ``version``, ``status`` (``_summary=count`` counts);
  parameters it does not know are reported in an OperationOutcome entry of the search Bundle, never silently
  dropped;
* ``CodeSystem/$lookup``, ``CodeSystem/$validate-code``, ``ValueSet/$expand`` (``filter``, ``count``,
  ``offset``, ``includeDesignations``), ``ValueSet/$validate-code``, ``ConceptMap/$translate`` (by code, or
  by the structure's name with ``coding.display`` / ``codeableConcept.text``; ``reverse=true`` goes from a
  code to its structures) - at type level and on one instance, by GET (primitive parameters in the query)
  or by POST of a ``Parameters`` resource.

Errors are ``OperationOutcome`` resources with an issue code from the FHIR issue-type value set: 400
(``invalid``, ``required``, ``structure``, ``value``) for a malformed request, 404 (``not-found``) for an
unknown resource, code system or code, 405 / 406 / 415 (``not-supported``) for a method, format or body type
the server does not take, 422 (``not-supported``, ``processing``) for a well-formed request it cannot carry
out on this content (a code system cryokg only references, an inline resource). A concept that is not in a
value set, or has no mapping, is an answer (``result: false`` with a message), not an error.

Hardening, on top of the server's (body limit, no tracebacks): every value read is cut to a bounded length,
JSON bodies are parsed with the standard library and checked shape by shape (a deep or odd body is a 400,
never an exception), and every operation is a scan of the small in-memory index built at start-up.

>>> outcome("not-found", "no such code")["issue"][0]["code"]
'not-found'
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import re
import urllib.parse
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cryokg.answer.matching import normalize
from cryokg.publish.web.negotiation import parse_accept, quality
from cryokg.release.exports.artifacts import EXPORTS_DIR
from cryokg.release.exports.fhir import (
    BUNDLE_FILE,
    CPT_SYSTEM,
    FHIR_DIR,
    FHIR_VERSION,
    HCPCS_SYSTEM,
    SNOMED_SYSTEM,
    UBERON_SYSTEM,
)

__all__ = ["FHIR_JSON", "FhirError", "Terminology", "fhir_routes", "outcome"]

_log = logging.getLogger("cryokg.publish.web.fhir")
FHIR_JSON = "application/fhir+json"
JSON_FORMATS = {"json", FHIR_JSON, "application/json", "application/json+fhir"}
XML_FORMATS = {"xml", "text/xml", "application/xml", "application/fhir+xml", "application/xml+fhir"}
TYPES = ("CodeSystem", "ValueSet", "ConceptMap")
OTHER_TYPES = re.compile(r"^[A-Z][A-Za-z]{1,63}$")  # the shape of a FHIR resource type name
REFERENCED_SYSTEMS = {CPT_SYSTEM: "CPT", HCPCS_SYSTEM: "HCPCS Level II", SNOMED_SYSTEM: "SNOMED CT",
                      UBERON_SYSTEM: "UBERON"}
MAX_VALUE = 1000  # characters read from any parameter value
MAX_COUNT = 10_000
SEARCH_PARAMS = ("url", "_id", "name", "version", "status")
CONTROL_PARAMS = ("_format", "_pretty", "_summary")
REVERSE_EQUIVALENCE = {"wider": "narrower", "narrower": "wider", "subsumes": "specializes",
                       "specializes": "subsumes"}
OPERATIONS = {
    "CodeSystem": {"$lookup": "http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup",
                   "$validate-code": "http://hl7.org/fhir/OperationDefinition/CodeSystem-validate-code"},
    "ValueSet": {"$expand": "http://hl7.org/fhir/OperationDefinition/ValueSet-expand",
                 "$validate-code": "http://hl7.org/fhir/OperationDefinition/ValueSet-validate-code"},
    "ConceptMap": {"$translate": "http://hl7.org/fhir/OperationDefinition/ConceptMap-translate"},
}


class FhirError(Exception):
    """An error answered as an OperationOutcome with *status* and FHIR issue type *code*."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def outcome(code: str, message: str, severity: str = "error") -> dict:
    """An OperationOutcome with one issue."""
    return {"resourceType": "OperationOutcome",
            "issue": [{"severity": severity, "code": code, "diagnostics": message}]}


def _cut(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


# --- the terminology, loaded from the release's bundle ------------------------------------------------------
@dataclass
class Entry:
    """One concept of an expansion: system, code, display (None for a code reference), synonyms."""

    system: str
    code: str
    display: str | None
    version: str | None = None
    synonyms: tuple[str, ...] = ()


@dataclass
class Terminology:
    """The release's CodeSystem, ValueSets and ConceptMaps, indexed for the operations."""

    code_system: dict
    resources: dict[tuple[str, str], dict]
    concepts: dict[str, dict] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)
    expansions: dict[str, list[Entry]] = field(default_factory=dict)
    default_map: str | None = None

    @property
    def system(self) -> str:
        return self.code_system["url"]

    @property
    def version(self) -> str:
        return self.code_system.get("version", "")

    @property
    def date(self) -> str | None:
        return self.code_system.get("date")

    @classmethod
    def from_bundle(cls, bundle: dict) -> Terminology:
        resources = {(e["resource"]["resourceType"], e["resource"]["id"]): e["resource"] for e in bundle["entry"]}
        code_systems = [r for (kind, _), r in resources.items() if kind == "CodeSystem"]
        if len(code_systems) != 1:
            raise ValueError("the FHIR bundle must hold exactly one CodeSystem")
        term = cls(code_systems[0], resources)
        term.concepts = {c["code"]: c for c in term.code_system.get("concept", [])}
        children: dict[str, list[str]] = defaultdict(list)
        for code, concept in term.concepts.items():
            for prop in concept.get("property", []):
                if prop["code"] == "parent":
                    children[prop["valueCode"]].append(code)
        term.children = {parent: sorted(codes) for parent, codes in children.items()}
        for (kind, ident), resource in resources.items():
            if kind == "ValueSet":
                term.expansions[ident] = term._expand_compose(resource)
        term.default_map = term._family_map()
        return term

    def entry(self, code: str) -> Entry:
        concept = self.concepts[code]
        return Entry(self.system, code, concept.get("display"), self.version,
                     tuple(d["value"] for d in concept.get("designation", [])))

    def _expand_compose(self, value_set: dict) -> list[Entry]:
        entries: list[Entry] = []
        for include in value_set.get("compose", {}).get("include", []):
            system = include.get("system")
            if system == self.system and "concept" not in include:
                entries.extend(self.entry(code) for code in self.concepts)
            elif system == self.system:
                entries.extend(self.entry(c["code"]) for c in include["concept"] if c["code"] in self.concepts)
            else:
                entries.extend(Entry(system, c["code"], c.get("display")) for c in include.get("concept", []))
        return entries

    def _family_map(self) -> str | None:
        """The structure-to-code map of the code family's technique: the default of ``$translate``."""
        family = self.resources.get(("ValueSet", "code-family"))
        if not family:
            return None
        for entry in self.expansions.get("code-family", []):
            for method in self.property_values(entry.code, "method"):
                ident = "structure-to-code-" + method.partition(":")[2]
                if ("ConceptMap", ident) in self.resources:
                    return ident
        return None

    def property_values(self, code: str, name: str) -> list:
        concept = self.concepts.get(code, {})
        return [next(v for k, v in p.items() if k.startswith("value")) for p in concept.get("property", [])
                if p["code"] == name]

    def by_type(self, kind: str) -> list[dict]:
        return [r for (k, _), r in sorted(self.resources.items()) if k == kind]

    def by_url(self, kind: str, url: str) -> dict:
        """The resource of *kind* whose canonical is *url* (``url|version`` accepted); 404 otherwise."""
        canonical, _, version = url.partition("|")
        for resource in self.by_type(kind):
            if resource.get("url") == canonical:
                if version and version != resource.get("version"):
                    raise FhirError(404, "not-found", f"{kind} {_cut(canonical)} has version {resource.get('version')}, "
                                                      f"not {_cut(version, 40)}")
                return resource
        raise FhirError(404, "not-found", f"no {kind} with url {_cut(canonical)} on this server")


def load_terminology(build_dir: Path) -> tuple[Terminology | None, str]:
    """The release's terminology, or None and why not (missing, not the file the manifest names, unreadable)."""
    relative = f"{EXPORTS_DIR}/{FHIR_DIR}/{BUNDLE_FILE}"
    path = Path(build_dir) / relative
    if not path.is_file():
        return None, f"this release has no FHIR terminology ({relative}); rebuild it with `cryokg build`"
    data = path.read_bytes()
    manifest = Path(build_dir) / "manifest.json"
    try:
        listed = json.loads(manifest.read_text(encoding="utf-8"))["files"].get(relative) if manifest.is_file() else None
        if listed is not None and listed.get("sha256") != hashlib.sha256(data).hexdigest():
            return None, f"{relative} is not the file the release manifest lists; rebuild the release"
        return Terminology.from_bundle(json.loads(data)), ""
    except (ValueError, KeyError, TypeError, AttributeError, StopIteration) as exc:
        _log.error("cannot read %s: %s", path, exc)
        return None, f"{relative} cannot be read: rebuild the release"


# --- parameters -----------------------------------------------------------------------------------------
_PRIMITIVES = ("valueString", "valueCode", "valueUri", "valueCanonical", "valueUrl", "valueId", "valueMarkdown",
               "valueDateTime", "valueDate")


@dataclass
class Params:
    """The parameters of one request: primitives as text, Coding/CodeableConcept/resources as dicts."""

    values: dict[str, list[object]] = field(default_factory=dict)

    def add(self, name: str, value: object) -> None:
        self.values.setdefault(name[:100], []).append(value)

    @classmethod
    def from_query(cls, pairs: list[tuple[str, str]]) -> Params:
        params = cls()
        for name, value in pairs:
            params.add(name, value[:MAX_VALUE])
        return params

    @classmethod
    def from_body(cls, body: bytes) -> Params:
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            raise FhirError(400, "structure", "the request body is not JSON") from None
        if not isinstance(data, dict) or data.get("resourceType") != "Parameters":
            raise FhirError(400, "structure", "the request body must be a Parameters resource")
        items = data.get("parameter", [])
        if not isinstance(items, list):
            raise FhirError(400, "structure", "Parameters.parameter must be a list")
        params = cls()
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise FhirError(400, "structure", "each Parameters.parameter needs a name")
            name = item["name"]
            values = [(k, v) for k, v in item.items() if k.startswith("value")]
            if "resource" in item:
                if not isinstance(item["resource"], dict):
                    raise FhirError(400, "structure", f"parameter {_cut(name, 40)}: resource must be an object")
                params.add(name, {"resource": item["resource"]})
            elif "part" in item:
                params.add(name, {"part": item["part"]})
            elif len(values) != 1:
                raise FhirError(400, "structure", f"parameter {_cut(name, 40)} needs exactly one value[x]")
            else:
                key, value = values[0]
                params.add(name, _primitive(name, key, value))
        return params

    def all(self, name: str) -> list[str]:
        values = self.values.get(name, [])
        if any(not isinstance(v, str) for v in values):
            raise FhirError(400, "invalid", f"parameter {name} must be a primitive value")
        return [v for v in values if isinstance(v, str)]

    def one(self, name: str) -> str | None:
        values = self.all(name)
        if len(values) > 1:
            raise FhirError(400, "invalid", f"parameter {name} is given {len(values)} times; it takes one value")
        return values[0] if values else None

    def boolean(self, name: str) -> bool:
        value = self.one(name)
        if value is None:
            return False
        if value not in ("true", "false"):
            raise FhirError(400, "value", f"parameter {name} must be true or false, not {_cut(value, 40)!r}")
        return value == "true"

    def integer(self, name: str) -> int | None:
        value = self.one(name)
        if value is None:
            return None
        if not re.fullmatch(r"\d{1,9}", value):
            raise FhirError(400, "value", f"parameter {name} must be a non-negative integer, not {_cut(value, 40)!r}")
        return int(value)

    def complex(self, name: str, kind: str) -> dict | None:
        values = self.values.get(name, [])
        if len(values) > 1:
            raise FhirError(400, "invalid", f"parameter {name} is given {len(values)} times; it takes one value")
        if not values:
            return None
        value = values[0]
        if not isinstance(value, dict) or value.get("kind") != kind:
            raise FhirError(400, "invalid", f"parameter {name} must be a {kind} (POST a Parameters resource)")
        return value

    def resource(self, name: str) -> None:
        if name in self.values:
            raise FhirError(422, "not-supported", f"an inline {name} is not supported: name a {name} this server "
                                                  "holds by url or id")


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise FhirError(400, "structure", f"{where} must be a string")
    return value[:MAX_VALUE]


def _coding(value: object, where: str) -> dict:
    if not isinstance(value, dict):
        raise FhirError(400, "structure", f"{where} must be an object")
    return {"kind": "Coding", **{k: _text(value[k], f"{where}.{k}") for k in ("system", "version", "code", "display")
                                 if k in value}}


def _primitive(name: str, key: str, value: object) -> object:
    where = f"parameter {_cut(name, 40)}"
    if key in _PRIMITIVES:
        return _text(value, where)
    if key == "valueBoolean":
        if not isinstance(value, bool):
            raise FhirError(400, "structure", f"{where}: valueBoolean must be true or false")
        return "true" if value else "false"
    if key in ("valueInteger", "valueUnsignedInt", "valuePositiveInt"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise FhirError(400, "structure", f"{where}: {key} must be an integer")
        return str(value)
    if key == "valueCoding":
        return _coding(value, where)
    if key == "valueCodeableConcept":
        if not isinstance(value, dict):
            raise FhirError(400, "structure", f"{where} must be an object")
        codings = value.get("coding", [])
        if not isinstance(codings, list):
            raise FhirError(400, "structure", f"{where}.coding must be a list")
        return {"kind": "CodeableConcept", "coding": [_coding(c, f"{where}.coding") for c in codings[:50]],
                **({"text": _text(value["text"], f"{where}.text")} if "text" in value else {})}
    raise FhirError(400, "not-supported", f"{where}: {key[:40]} is not a value type these operations take")


# --- the operations -------------------------------------------------------------------------------------
def _param(name: str, value: object) -> dict:
    if isinstance(value, bool):
        return {"name": name, "valueBoolean": value}
    if isinstance(value, dict) and "name" not in value:
        return {"name": name, "valueCoding": value}
    if isinstance(value, list):
        return {"name": name, "part": value}
    return {"name": name, "valueString": value}


def parameters(*items: dict) -> dict:
    return {"resourceType": "Parameters", "parameter": list(items)}


class Operations:
    """The terminology operations on one :class:`Terminology`; each returns a resource or raises FhirError."""

    def __init__(self, term: Terminology) -> None:
        self.t = term
        self.labels: dict[str, set[str]] = defaultdict(set)
        for code, concept in term.concepts.items():
            for text in (concept.get("display", ""), *(d["value"] for d in concept.get("designation", []))):
                if text:
                    self.labels[normalize(text)].add(code)

    # --- shared -------------------------------------------------------------------------------------------
    def _system(self, system: str | None, version: str | None = None) -> None:
        if system is None:
            raise FhirError(400, "required", "a system is needed with a code")
        if system != self.t.system:
            if system in REFERENCED_SYSTEMS:
                raise FhirError(422, "not-supported", f"cryokg uses {REFERENCED_SYSTEMS[system]} codes as references "
                                                      f"only and does not hold that code system's content; its own "
                                                      f"concepts are in {self.t.system}")
            raise FhirError(404, "not-found", f"no CodeSystem {_cut(system)} on this server; it holds {self.t.system}")
        if version and version != self.t.version:
            raise FhirError(404, "not-found", f"CodeSystem {self.t.system} has version {self.t.version}, not "
                                              f"{_cut(version, 40)}")

    def _instance(self, kind: str, ident: str | None, params: Params) -> dict:
        if ident is not None:
            resource = self.t.resources.get((kind, ident))
            if resource is None:
                raise FhirError(404, "not-found", f"no {kind} with id {_cut(ident, 64)} on this server")
            return resource
        url = params.one("url")
        if url is None:
            raise FhirError(400, "required", f"name the {kind} with the url parameter (or call it on /{kind}/{{id}})")
        return self.t.by_url(kind, url)

    def _coding_in(self, params: Params, *, system_key: str = "system") -> dict:
        """The one coding the request names: code+system, coding, or codeableConcept (first coding)."""
        code, coding, concept = params.one("code"), params.complex("coding", "Coding"), \
            params.complex("codeableConcept", "CodeableConcept")
        given = [x for x in (code, coding, concept) if x is not None]
        if len(given) != 1:
            raise FhirError(400, "required" if not given else "invalid",
                            "give exactly one of code (with system), coding or codeableConcept")
        if code is not None:
            return {"system": params.one(system_key), "code": code, "version": params.one("version"),
                    "display": params.one("display")}
        if coding is not None:
            return coding
        return concept  # type: ignore[return-value]

    # --- CodeSystem/$lookup -------------------------------------------------------------------------------
    def lookup(self, params: Params, ident: str | None) -> dict:
        if ident is not None and ("CodeSystem", ident) not in self.t.resources:
            raise FhirError(404, "not-found", f"no CodeSystem with id {_cut(ident, 64)} on this server")
        coding = params.complex("coding", "Coding")
        code = params.one("code")
        if coding is not None and code is not None:
            raise FhirError(400, "invalid", "give code and system, or coding, not both")
        if coding is None:
            coding = {"system": params.one("system") or (self.t.system if ident else None), "code": code,
                      "version": params.one("version")}
        if not coding.get("code"):
            raise FhirError(400, "required", "$lookup needs a code (with its system) or a coding")
        self._system(coding.get("system"), coding.get("version"))
        concept = self.t.concepts.get(coding["code"])
        if concept is None:
            raise FhirError(404, "not-found", f"code {_cut(coding['code'], 100)!r} is not in {self.t.system}")
        wanted = set(params.all("property"))
        out = [_param("name", self.t.code_system.get("title") or self.t.code_system["name"]),
               _param("version", self.t.version), _param("display", concept.get("display", ""))]
        if not wanted or "designation" in wanted:
            out += [{"name": "designation", "part": [{"name": "language", "valueCode": d.get("language", "en")},
                                                     {"name": "value", "valueString": d["value"]}]}
                    for d in concept.get("designation", [])]

        def prop(name: str, value: dict) -> None:
            if not wanted or name in wanted:
                out.append({"name": "property", "part": [{"name": "code", "valueCode": name}, value]})

        if concept.get("definition"):
            prop("definition", {"name": "value", "valueString": concept["definition"]})
        for p in concept.get("property", []):
            key, value = next((k, v) for k, v in p.items() if k.startswith("value"))
            prop(p["code"], {"name": "value", key: value})
        for child in self.t.children.get(concept["code"], []):
            prop("child", {"name": "value", "valueCode": child})
        return parameters(*out)

    # --- $validate-code -----------------------------------------------------------------------------------
    def _check_display(self, display: str | None, entry: Entry) -> str | None:
        if not display or entry.display is None:
            return None
        if normalize(display) in {normalize(t) for t in (entry.display, *entry.synonyms)}:
            return None
        return f"the display {_cut(display, 100)!r} is not a name of {entry.code}; cryokg's display is {entry.display!r}"

    def _codings(self, given: dict) -> list[dict]:
        return given["coding"] if given.get("kind") == "CodeableConcept" else [given]

    def validate_code(self, kind: str, params: Params, ident: str | None) -> dict:
        params.resource("valueSet" if kind == "ValueSet" else "codeSystem")
        if kind == "CodeSystem":
            if ident is None and params.one("url") is None:
                given_system = params.one("system")
                if given_system is None:
                    raise FhirError(400, "required", "name the CodeSystem with url (or system)")
                self._system(given_system)
                resource = self.t.code_system
            else:
                resource = self._instance(kind, ident, params)
            entries = self.t.expansions.get("cryokg") or [self.t.entry(c) for c in self.t.concepts]
            default_system = resource["url"]
        else:
            resource = self._instance(kind, ident, params)
            entries = self.t.expansions.get(resource["id"], [])
            systems = {e.system for e in entries}
            default_system = next(iter(systems)) if len(systems) == 1 else None
        given = self._coding_in(params)
        codings = self._codings(given)
        if not codings:
            raise FhirError(400, "required", "the codeableConcept has no coding to validate")
        index = {(e.system, e.code): e for e in entries}
        messages = []
        for coding in codings:
            system = coding.get("system") or default_system
            code = coding.get("code")
            if not code:
                raise FhirError(400, "required", "a coding to validate needs a code")
            if system is None:
                raise FhirError(400, "required", f"give the system of {_cut(code, 60)!r}: this value set draws on "
                                                 "several code systems")
            entry = index.get((system, code))
            if entry is None:
                where = f"{kind} {resource['url']}"
                known = system == self.t.system and code in self.t.concepts
                messages.append(f"{_cut(code, 100)!r} ({_cut(system)}) is not in {where}"
                                + (f"; it is a cryokg concept ({self.t.concepts[code].get('display')})" if known else ""))
                continue
            problem = self._check_display(coding.get("display"), entry)
            if problem:
                messages.append(problem)
                continue
            notes = []
            if entry.display is None and coding.get("display"):
                notes.append(f"display not checked: {code} is a {REFERENCED_SYSTEMS.get(system, system)} code "
                             "reference and cryokg holds no display for it (CPT descriptors are the AMA's)")
            if system == self.t.system and "disputed" in {p["code"] for p in
                                                         self.t.concepts[code].get("property", [])
                                                         if p.get("valueBoolean")}:
                notes.append(f"{code} is disputed: public sources support more than one code for it; "
                             f"see ConceptMap/{self.t.default_map or 'structure-to-code'}")
            out = [_param("result", True)]
            message = " ".join(n for n in notes if n)
            if message:
                out.append(_param("message", message))
            if entry.display:
                out.append(_param("display", entry.display))
            return parameters(*out)
        return parameters(_param("result", False), _param("message", "; ".join(messages)))

    # --- ValueSet/$expand ---------------------------------------------------------------------------------
    @staticmethod
    def _rank(entry: Entry, words: list[str], phrase: str) -> tuple[int, str] | None:
        """Where *entry* ranks for the filter: exact > display prefix > display words > synonym words > code."""
        display = normalize(entry.display or "")
        synonyms = [normalize(s) for s in entry.synonyms]
        key = (entry.display or entry.code).casefold()

        def has_words(text: str) -> bool:
            tokens = text.split()
            return all(any(t.startswith(w) for t in tokens) for w in words)

        if display == phrase or phrase in synonyms:
            return (0, key)
        if display.startswith(phrase):
            return (1, key)
        if has_words(display):
            return (2, key)
        if any(has_words(s) for s in synonyms):
            return (3, key)
        if has_words(normalize(entry.code)):
            return (4, key)
        return None

    def expand(self, params: Params, ident: str | None, now: str) -> dict:
        params.resource("valueSet")
        resource = self._instance("ValueSet", ident, params)
        entries = self.t.expansions.get(resource["id"], [])
        text = (params.one("filter") or "").strip()[:200]
        count, offset = params.integer("count"), params.integer("offset") or 0
        if count is not None and count > MAX_COUNT:
            raise FhirError(400, "value", f"count is at most {MAX_COUNT}")
        designations = params.boolean("includeDesignations")
        if text:
            phrase = normalize(text)
            words = phrase.split()
            ranked = sorted((rank, i, e) for i, e in enumerate(entries)
                            if (rank := self._rank(e, words, phrase)) is not None) if words else []
            matches = [e for _, _, e in ranked]
        else:
            matches = list(entries)
        page = matches[offset: offset + count if count is not None else None]
        used = [p for p in ({"name": "filter", "valueString": text} if text else None,
                            {"name": "count", "valueInteger": count} if count is not None else None,
                            {"name": "offset", "valueInteger": offset} if offset else None,
                            {"name": "includeDesignations", "valueBoolean": True} if designations else None) if p]
        identity = json.dumps([resource["url"], resource.get("version"), text, count, offset, designations])
        expansion: dict = {"identifier": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, identity)}", "timestamp": now,
                           "total": len(matches), "offset": offset}
        if used:
            expansion["parameter"] = used
        contains = []
        for e in page:
            item: dict = {"system": e.system}
            if e.version:
                item["version"] = e.version
            item["code"] = e.code
            if e.display:
                item["display"] = e.display
            if designations and e.synonyms:
                item["designation"] = [{"language": "en", "value": s} for s in e.synonyms]
            contains.append(item)
        if contains:
            expansion["contains"] = contains
        keep = ("resourceType", "id", "url", "version", "name", "title", "status", "experimental", "date",
                "publisher", "description", "copyright")
        return {**{k: resource[k] for k in keep if k in resource}, "expansion": expansion}

    # --- ConceptMap/$translate ----------------------------------------------------------------------------
    def _maps(self, params: Params, ident: str | None, system: str | None, reverse: bool) -> list[dict]:
        params.resource("conceptMap")
        if ident is not None or params.one("url") is not None:
            return [self._instance("ConceptMap", ident, params)]
        targetsystem = params.one("targetsystem")
        maps = []
        for cmap in self.t.by_type("ConceptMap"):
            for group in cmap.get("group", []):
                source, target = (group.get("target"), group.get("source")) if reverse else \
                    (group.get("source"), group.get("target"))
                if (system is None or source == system) and (targetsystem is None or target == targetsystem):
                    maps.append(cmap)
                    break
        default = self.t.default_map
        if len(maps) > 1 and default is not None and default in {m["id"] for m in maps}:
            return [self.t.resources[("ConceptMap", default)]]  # the code family's own technique
        return maps

    def _resolve_text(self, text: str, allowed: set[str]) -> tuple[list[str], str]:
        """Concepts of *allowed* named *text* (display or synonym), and a note for the message."""
        key = normalize(text)
        found = sorted(self.labels.get(key, set()) & allowed)
        if found:
            names = ", ".join(f"{c} ({self.t.concepts[c].get('display')})" for c in found)
            return found, f"{_cut(text, 100)!r} read as {names}."
        by_name = {normalize(self.t.concepts[c].get("display", "")): c for c in allowed}
        close = difflib.get_close_matches(key, list(by_name), n=3, cutoff=0.6)
        hint = f" Did you mean: {', '.join(self.t.concepts[by_name[c]]['display'] for c in close)}?" if close else ""
        return [], f"no structure is named {_cut(text, 100)!r}.{hint}"

    def translate(self, params: Params, ident: str | None) -> dict:
        reverse = params.boolean("reverse")
        code, coding = params.one("code"), params.complex("coding", "Coding")
        concept = params.complex("codeableConcept", "CodeableConcept")
        if sum(x is not None for x in (code, coding, concept)) != 1:
            raise FhirError(400, "required" if (code, coding, concept) == (None, None, None) else "invalid",
                            "give exactly one of code (with system), coding or codeableConcept")
        if code is not None:
            codings = [{"system": params.one("system"), "code": code}]
            if codings[0]["system"] is None:
                raise FhirError(400, "required", "$translate needs the system of the code")
        elif coding is not None:
            codings = [coding]
        else:
            assert concept is not None
            codings = concept["coding"] or ([{"display": concept["text"]}] if concept.get("text") else [])
            if not codings:
                raise FhirError(400, "required", "the codeableConcept has neither a coding nor a text")
        system = next((c.get("system") for c in codings if c.get("system")), None)
        maps = self._maps(params, ident, system, reverse)
        if not maps:
            return parameters(_param("result", False),
                              _param("message", f"no ConceptMap on this server maps from {_cut(system or 'that system')}"))
        matches, notes = [], []
        for cmap in maps:
            for coding_in in codings:
                found, note = self._translate_one(cmap, coding_in, reverse)
                matches += found
                notes += [note] if note else []
        result = any(m["equivalence"] not in ("unmatched", "disjoint") for m in matches)
        out = [_param("result", result)]
        if notes:
            out.append(_param("message", " ".join(notes)))
        for m in matches:
            out.append({"name": "match", "part": [{"name": "equivalence", "valueCode": m["equivalence"]},
                                                  {"name": "concept", "valueCoding": m["concept"]},
                                                  {"name": "source", "valueUri": m["source"]}]})
        return parameters(*out)

    def _translate_one(self, cmap: dict, coding: dict, reverse: bool) -> tuple[list[dict], str]:
        matches: list[dict] = []
        notes: list[str] = []
        code = coding.get("code")
        system = coding.get("system")
        side = "target" if reverse else "source"
        if system is not None and all(group.get(side) != system for group in cmap.get("group", [])):
            return [], f"{cmap['title']}: maps {'to' if reverse else 'from'} " \
                       f"{', '.join(sorted({str(g.get(side)) for g in cmap.get('group', [])}))}, not {_cut(system)}."
        for group in cmap.get("group", []):
            source_system, target_system = group.get("source"), group.get("target")
            if reverse:
                if system not in (None, target_system) or not code:
                    continue
                for element in group.get("element", []):
                    for target in element.get("target", []):
                        if target.get("code") == code:
                            matches.append({"equivalence": REVERSE_EQUIVALENCE.get(target["equivalence"],
                                                                                   target["equivalence"]),
                                            "concept": {"system": source_system, "code": element["code"],
                                                        **({"display": element["display"]} if "display" in element else {})},
                                            "source": cmap["url"]})
                continue
            if system not in (None, source_system):
                continue
            elements = {e["code"]: e for e in group.get("element", [])}
            codes = [code] if code else []
            if not code and coding.get("display"):
                codes, note = self._resolve_text(coding["display"], set(elements))
                notes.append(note)
            for c in codes:
                element = elements.get(c)
                if element is None:
                    known = c in self.t.concepts
                    notes.append(f"{cmap['title']}: {'no mapping is recorded for ' if known else 'unknown code '}"
                                 f"{_cut(c, 100)!r}" + (f" ({self.t.concepts[c].get('display')})." if known else "."))
                    continue
                targets = sorted(element.get("target", []), key=lambda t: t.get("equivalence") != "wider")
                for target in targets:
                    matches.append({"equivalence": target["equivalence"],
                                    "concept": {"system": target_system, "code": target["code"],
                                                **({"display": target["display"]} if "display" in target else {})},
                                    "source": cmap["url"]})
                    if target.get("comment"):
                        notes.append(f"{element['code']} -> {target['code']} ({target['equivalence']}): "
                                     f"{target['comment']}")
        if reverse and not matches:
            notes.append(f"{cmap['title']}: nothing maps to {_cut(code or '', 100)!r}.")
        return matches, " ".join(notes)

    # --- search -------------------------------------------------------------------------------------------
    def search(self, kind: str, params: Params, self_url: str, base_url: str) -> dict:
        found = self.t.by_type(kind)
        ignored = sorted(set(params.values) - set(SEARCH_PARAMS) - set(CONTROL_PARAMS))
        for name in SEARCH_PARAMS:
            for value in params.all(name):
                if name == "url":
                    canonical, _, version = value.partition("|")
                    found = [r for r in found if r.get("url") == canonical and (not version or r.get("version") == version)]
                elif name == "_id":
                    found = [r for r in found if r["id"] in value.split(",")]
                elif name == "name":
                    found = [r for r in found if r.get("name", "").casefold().startswith(value.casefold())]
                else:
                    found = [r for r in found if r.get(name) in value.split(",")]
        summary = params.one("_summary")
        if summary not in (None, "count", "false"):
            ignored.append(f"_summary={_cut(summary, 20)}")
        bundle: dict = {"resourceType": "Bundle", "type": "searchset", "total": len(found),
                        "link": [{"relation": "self", "url": self_url}]}
        entries = [] if summary == "count" else [
            {"fullUrl": f"{base_url}{kind}/{r['id']}", "resource": r, "search": {"mode": "match"}} for r in found]
        if ignored:
            entries.append({"resource": outcome("not-supported", "search parameters not supported and ignored: "
                                                + ", ".join(_cut(n, 40) for n in ignored[:20]), "warning"),
                            "search": {"mode": "outcome"}})
        if entries:
            bundle["entry"] = entries
        return bundle

    # --- capabilities -------------------------------------------------------------------------------------
    def _common(self, kind: str, base_url: str, version: str) -> dict:
        return {"resourceType": kind, "status": "active", "date": self.t.date or "2000-01-01",
                "publisher": "The cryokg team", "kind": "instance",
                "software": {"name": "cryokg", "version": version},
                "implementation": {"description": "cryokg FHIR R4 terminology service (read-only)", "url": base_url}}

    def capability_statement(self, base_url: str, version: str) -> dict:
        searches = [{"name": n, "type": "token" if n in ("_id", "status") else "uri" if n == "url" else "string"}
                    for n in SEARCH_PARAMS]
        resources = [{"type": kind, "interaction": [{"code": "read"}, {"code": "search-type"}],
                      "searchParam": searches,
                      "operation": [{"name": op.lstrip("$"), "definition": url} for op, url in OPERATIONS[kind].items()]}
                     for kind in TYPES]
        return {**self._common("CapabilityStatement", base_url, version),
                "instantiates": ["http://hl7.org/fhir/CapabilityStatement/terminology-server"],
                "fhirVersion": FHIR_VERSION, "format": [FHIR_JSON, "json"],
                "rest": [{"mode": "server", "documentation": "Read-only. JSON only. Operations by GET (primitive "
                                                             "parameters) or POST of a Parameters resource.",
                          "resource": resources}]}

    def terminology_capabilities(self, base_url: str, version: str) -> dict:
        props = [{"code": p["code"]} for p in self.t.code_system.get("property", [])]
        return {**self._common("TerminologyCapabilities", base_url, version),
                "codeSystem": [{"uri": self.t.system, "version": [{"code": self.t.version, "isDefault": True,
                                                                   "compositional": False, "language": ["en"],
                                                                   "property": [p["code"] for p in props]}],
                                "subsumption": False}],
                "expansion": {"hierarchical": False, "paging": True, "incomplete": False,
                              "parameter": [{"name": n} for n in ("filter", "count", "offset", "includeDesignations")],
                              "textFilter": "Every word of the filter must start a word of the display, of a "
                                            "synonym or of the code; results rank exact name, display prefix, "
                                            "display words, synonym words, code."},
                "codeSearch": "explicit", "validateCode": {"translations": False},
                "translation": {"needsMap": False}, "closure": {"translation": False}}


# --- HTTP ---------------------------------------------------------------------------------------------------
def _wants_json(request: Request) -> bool:
    fmt = request.query_params.get("_format")
    if fmt is not None:
        fmt = fmt.strip().lower()
        if fmt in JSON_FORMATS:
            return True
        raise FhirError(406, "not-supported", f"_format {_cut(fmt, 40)!r}: this server answers in JSON only "
                                              f"(_format=json or {FHIR_JSON})")
    items = parse_accept(request.headers.get("accept"))
    if not items:
        return True
    return any(quality(items, t) > 0 for t in (FHIR_JSON, "application/json", "application/json+fhir"))


def _render(resource: dict, status: int, request: Request | None, headers: dict[str, str] | None = None) -> Response:
    pretty = request is not None and request.query_params.get("_pretty") == "true"
    text = json.dumps(resource, ensure_ascii=False, indent=2 if pretty else None)
    return Response(text, status_code=status, media_type=f"{FHIR_JSON}; charset=utf-8", headers=headers)


def fhir_routes(build_dir: Path, *, version: str = "") -> list[Route]:
    """The routes of ``/fhir`` for the release in *build_dir* (mounted by :func:`cryokg.publish.web.app.create_app`)."""
    term, missing = load_terminology(build_dir)
    ops = Operations(term) if term is not None else None
    methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

    async def endpoint(request: Request) -> Response:
        try:
            json_ok = _wants_json(request)
            if not json_ok:
                raise FhirError(406, "not-supported", f"this server answers in JSON only ({FHIR_JSON})")
            if ops is None:
                raise FhirError(503 if "manifest" in missing else 404, "not-found", missing)
            path = request.path_params.get("path", "")
            status, resource, headers = await _dispatch(request, ops, [s for s in path.split("/") if s])
            return _render(resource, status, request, headers)
        except FhirError as exc:
            return _render(outcome(exc.code, exc.message), exc.status, request, exc.headers)

    return [Route("/fhir", endpoint, methods=methods), Route("/fhir/{path:path}", endpoint, methods=methods)]


async def _params(request: Request) -> Params:
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k not in CONTROL_PARAMS[:2]]
    if request.method != "POST":
        return Params.from_query(pairs)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if media in (FHIR_JSON, "application/json", "application/json+fhir"):
        params = Params.from_body(body)
    elif media == "application/x-www-form-urlencoded":
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise FhirError(400, "structure", "the form body is not UTF-8") from None
        params = Params.from_query(urllib.parse.parse_qsl(text, keep_blank_values=True, max_num_fields=200))
    else:
        raise FhirError(415, "not-supported", f"POST a Parameters resource as {FHIR_JSON} (or a form), "
                                              f"not {_cut(media or 'no content type', 60)}")
    for name, value in pairs:
        params.add(name, value[:MAX_VALUE])
    return params


async def _dispatch(request: Request, ops: Operations, parts: list[str]) -> tuple[int, dict, dict[str, str] | None]:
    base_url = str(request.base_url) + "fhir/"
    method = "GET" if request.method == "HEAD" else request.method
    allowed = {"Allow": "GET, HEAD, POST"}
    if method not in ("GET", "POST"):
        raise FhirError(405, "not-supported", f"{request.method[:10]} is not supported: this server is read-only",
                        allowed)
    if not parts:
        raise FhirError(404, "not-found", "nothing at the service base: see metadata, CodeSystem, ValueSet, ConceptMap")
    kind = parts[0]
    if kind == "metadata" and len(parts) == 1:
        if method != "GET":
            raise FhirError(405, "not-supported", "metadata is read with GET", {"Allow": "GET, HEAD"})
        mode = request.query_params.get("mode", "full")
        from cryokg.version import __version__

        if mode == "terminology":
            return 200, ops.terminology_capabilities(base_url, __version__), None
        if mode not in ("full", "normative"):
            raise FhirError(400, "value", f"mode {_cut(mode, 20)!r}: use full, normative or terminology")
        return 200, ops.capability_statement(base_url, __version__), None
    if kind not in TYPES:
        what = "resource type" if OTHER_TYPES.match(kind) else "path"
        raise FhirError(404, "not-supported" if what == "resource type" else "not-found",
                        f"{what} {_cut(kind, 64)!r} is not served here: this is a terminology service for "
                        f"{', '.join(TYPES)}")
    rest = parts[1:]
    if method == "POST" and not rest:
        raise FhirError(405, "not-supported", f"creating a {kind} is not supported: this server is read-only", allowed)
    if method == "POST" and len(rest) == 1 and not rest[0].startswith(("$", "_")):
        raise FhirError(405, "not-supported", f"POST on a {kind} is not supported: read-only", {"Allow": "GET, HEAD"})
    params = await _params(request)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if not rest or rest == ["_search"]:
        self_url = f"{base_url}{kind}" + (f"?{request.url.query}" if request.url.query else "")
        return 200, ops.search(kind, params, self_url, base_url), None
    ident: str | None = None
    if not rest[0].startswith("$"):
        ident, rest = rest[0], rest[1:]
        if not re.fullmatch(r"[A-Za-z0-9\-.]{1,64}", ident):
            raise FhirError(404, "not-found", f"{_cut(ident, 64)!r} is not a valid resource id")
    if not rest:
        if method != "GET":
            raise FhirError(405, "not-supported", f"{request.method[:10]} on a {kind} is not supported: read-only",
                            {"Allow": "GET, HEAD"})
        resource = ops.t.resources.get((kind, ident))  # type: ignore[arg-type]
        if resource is None:
            raise FhirError(404, "not-found", f"no {kind} with id {ident} on this server")
        return 200, resource, None
    if len(rest) != 1 or rest[0] not in OPERATIONS[kind]:
        raise FhirError(404, "not-supported", f"{kind}/{_cut('/'.join(rest), 40)} is not an operation of this server; "
                                              f"{kind} has {', '.join(OPERATIONS[kind])}")
    operation: dict[str, Callable[[], dict]] = {
        "$lookup": lambda: ops.lookup(params, ident),
        "$validate-code": lambda: ops.validate_code(kind, params, ident),
        "$expand": lambda: ops.expand(params, ident, now),
        "$translate": lambda: ops.translate(params, ident),
    }
    return 200, operation[rest[0]](), None
