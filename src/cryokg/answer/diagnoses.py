"""ICD-10-CM diagnosis codes on a claim: is each one a code, is it billable, what is it called, and which of the
indications the graph's payer policies name does it point to.

The code set is the CDC/CMS ICD-10-CM release that the maintained PyPI package ``simple-icd-10-cm`` ships (its
``is_valid_item``, ``is_leaf``, ``get_description``, ``get_ancestors``): nothing here is a hand-made list. A code
is *valid* when the code set has it as a category or subcategory (chapters and blocks such as "M15-M19" are not
codes), *billable* when it is a leaf (a category with subcategories, such as M17.1, is not reported on a claim).

Which indications a diagnosis points to (:func:`indications_for`) comes from the graph: an indication that lists the
code (``cryo:diagnosisCode``, codes seen in a policy's code table), an indication whose words all occur in the
code's title or the titles of the categories above it ("knee osteoarthritis" in "Unilateral primary osteoarthritis,
left knee"), and the indications the note itself names (read by :func:`cryokg.answer.note_reading.read_phrases`).
Whether a policy names the code at all is the claim shape ``cryosh:DiagnosisNotNamedByPolicy``'s to say.

>>> check_diagnosis("m1712").code, check_diagnosis("M17.12").billable, check_diagnosis("M17.1").problem
('M17.12', True, 'non-billable')
>>> check_diagnosis("G57.69").problem
'invalid'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from types import ModuleType

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SKOS

from cryokg.errors import BadInput
from cryokg.namespaces import CRYO

__all__ = ["Diagnosis", "check_diagnosis", "diagnoses_in_text", "indications_for", "is_code_shaped"]

_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?$")
_IN_TEXT = re.compile(r"(?<![\w.])([A-Z][0-9][0-9A-Z]\.[0-9A-Z]{1,4})(?![\w.]*\w)")
"""An ICD-10-CM code in running text is only taken with its dot (G57.62): without it, "T12" or "L34370" would be
read as diagnoses."""


@lru_cache(maxsize=1)
def _code_set() -> ModuleType:
    import simple_icd_10_cm

    return simple_icd_10_cm


def is_code_shaped(text: str) -> bool:
    """Written like an ICD-10-CM code: a letter, a digit, a digit or letter, then up to four more after an
    optional dot (G57.62, M1712, G50.0)."""
    return bool(_SHAPE.match(text.strip().upper()))


@dataclass(frozen=True)
class Diagnosis:
    """One diagnosis code as the code set knows it."""

    typed: str
    code: str
    """Upper-cased, with its dot where the code set writes one."""
    valid: bool
    billable: bool
    title: str | None
    parents: tuple[tuple[str, str], ...] = ()
    """The categories above the code (code, title), nearest first."""
    found_in: str = "given"
    """``given`` (--dx) or ``note`` (read from the note)."""
    span: tuple[int, int] | None = None

    @property
    def problem(self) -> str | None:
        """``invalid`` (not in the code set), ``non-billable`` (a category with codes below it), else None."""
        return "invalid" if not self.valid else None if self.billable else "non-billable"

    def to_json(self) -> dict:
        return {"code": self.code, "typed": self.typed, "found_in": self.found_in, "valid": self.valid,
                "billable": self.billable, "title": self.title, "problem": self.problem,
                "span": list(self.span) if self.span else None}


def check_diagnosis(typed: str, *, found_in: str = "given", span: tuple[int, int] | None = None) -> Diagnosis:
    """Look *typed* up in the ICD-10-CM code set. Raises :class:`BadInput` when it is not written like a code."""
    text = typed.strip().upper()
    if not is_code_shaped(text):
        raise BadInput(f"--dx {typed!r}: not written like an ICD-10-CM code (a letter, two digits or a digit and a "
                       f"letter, then up to four characters after a dot, e.g. G57.62)")
    cm = _code_set()
    code = cm.add_dot(text) if "." not in text and len(text) > 3 else text
    valid = bool(cm.is_valid_item(code)) and bool(cm.is_category_or_subcategory(code))
    if not valid:
        return Diagnosis(typed, code, False, False, None, (), found_in, span)
    parents = tuple((p, str(cm.get_description(p))) for p in cm.get_ancestors(code)
                    if cm.is_category_or_subcategory(p))
    return Diagnosis(typed, code, True, bool(cm.is_leaf(code)), str(cm.get_description(code)), parents, found_in, span)


def diagnoses_in_text(text: str) -> list[tuple[str, tuple[int, int]]]:
    """ICD-10-CM codes written in *text* with their dot, and where."""
    return [(m.group(1), (m.start(1), m.end(1))) for m in _IN_TEXT.finditer(text)]


@dataclass(frozen=True)
class LinkedIndication:
    """An indication of the graph a diagnosis points to, and how: ``listed`` (the indication lists the code),
    ``title`` (its words are in the code's title) or ``note`` (the note names it)."""

    iri: str
    label: str
    how: tuple[str, ...]
    codes_listed: tuple[str, ...] = ()
    no_code_reason: str | None = None
    sources: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict:
        return {"iri": self.iri, "label": self.label, "how": list(self.how), "codes_listed": list(self.codes_listed),
                "no_code_reason": self.no_code_reason, "sources": list(self.sources)}


def _words(text: str) -> set[str]:
    from cryokg.answer.note_reading import words

    return {t.key for t in words(text) if t.word}


def _content(label: str) -> set[str]:
    from cryokg.answer.note_reading import FUNCTION_WORDS

    return {w for w in _words(label) if w not in FUNCTION_WORDS}


def indications_for(graph: Graph, diagnosis: Diagnosis, note_indications: list[URIRef]) -> list[LinkedIndication]:
    """The indications of *graph* that *diagnosis* points to (module docstring), with how and their sources."""
    from rdflib.namespace import DCTERMS

    title_words: set[str] = set()
    for title in [diagnosis.title or "", *(t for _, t in diagnosis.parents)]:
        title_words |= _words(title)
    how: dict[URIRef, list[str]] = {}
    for indication in sorted(graph.subjects(RDF.type, CRYO.Indication), key=str):
        if not isinstance(indication, URIRef):
            continue
        listed = {str(graph.value(c, SKOS.notation) or "").upper() for c in graph.objects(indication, CRYO.diagnosisCode)}
        ways = []
        if diagnosis.code.upper() in listed:
            ways.append("listed")
        labels = [str(x) for p in (SKOS.prefLabel, SKOS.altLabel) for x in graph.objects(indication, p)]
        if title_words and any((words := _content(label)) and words <= title_words for label in labels):
            ways.append("title")
        if indication in note_indications:
            ways.append("note")
        if ways:
            how[indication] = ways
    out = []
    for indication, ways in how.items():
        codes = sorted(str(graph.value(c, SKOS.notation)) for c in graph.objects(indication, CRYO.diagnosisCode))
        reason = graph.value(indication, CRYO.noDiagnosisCodeReason)
        out.append(LinkedIndication(str(indication), str(graph.value(indication, SKOS.prefLabel) or indication),
                                    tuple(ways), tuple(codes), str(reason) if reason is not None else None,
                                    tuple(sorted(str(s) for s in graph.objects(indication, DCTERMS.source)))))
    return out
