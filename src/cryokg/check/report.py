"""Validation reports for people and for tools.

- text: results grouped by focus node, each group headed by the file (and line) that describes the node, so a
  reader can go straight to the source;
- json: the ``sh:ValidationReport`` as plain JSON (keys named after the SHACL terms, ``conforms`` as SHACL
  defines it: false on a result of any severity), plus ``origin``;
- turtle: the ``sh:ValidationReport`` graph itself (https://www.w3.org/TR/shacl/#validation-report).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from typing import TextIO, TypedDict

from cryokg.check.validation import SHAPES_NAMESPACE, ValidationOutcome, ValidationResult
from cryokg.namespaces import curie, prefixes_for

__all__ = ["FORMATS", "ReportJson", "ResultJson", "print_validation", "report_json", "report_turtle", "write_report"]

FORMATS = ("text", "json", "turtle")
_PREFIXES = {**prefixes_for(), "cryosh": SHAPES_NAMESPACE}


class ResultJson(TypedDict):
    """One result of :func:`report_json`."""

    focusNode: str
    resultPath: str | None
    resultSeverity: str
    sourceConstraintComponent: str
    sourceShape: str | None
    value: str | None
    resultMessage: str
    origin: str | None


class ReportJson(TypedDict):
    """What :func:`report_json` returns (``--format json``)."""

    conforms: bool
    counts: dict[str, int]
    shapesFiles: list[str]
    results: list[ResultJson]


def _short(iri: str) -> str:
    return curie(iri, _PREFIXES) if iri else iri


def print_validation(outcome: ValidationOutcome, stream: TextIO, *,
                     origins: Mapping[str, str | None] | None = None) -> None:
    """Print every result, grouped by focus node; *origins* (default: the outcome's own) maps a focus IRI to
    ``file:line``."""
    origins = outcome.origins if origins is None else origins
    grouped: dict[str, list[ValidationResult]] = defaultdict(list)
    for result in outcome.results:
        grouped[result.focus].append(result)
    for focus in sorted(grouped):
        where = (origins or {}).get(focus)
        print(f"{_short(focus)}" + (f"  ({where})" if where else ""), file=stream)
        for r in grouped[focus]:
            path = f" {r.path}" if r.path else ""
            value = f" (value: {_short(r.value)})" if r.value and _short(r.value) not in r.message else ""
            print(f"  {r.severity}:{path} {r.message}{value} [{r.component}; {r.shape or '?'}]", file=stream)
    print(outcome.summary(), file=stream)


def report_json(outcome: ValidationOutcome, *, origins: Mapping[str, str | None] | None = None) -> ReportJson:
    """The report as a JSON-ready dict; keys follow the SHACL vocabulary."""
    origins = outcome.origins if origins is None else origins
    return {
        "conforms": outcome.conforms,
        "counts": {severity: outcome.count(severity) for severity in ("Violation", "Warning", "Info")},
        "shapesFiles": [str(p) for p in outcome.shapes_files],
        "results": [
            {
                "focusNode": r.focus,
                "resultPath": r.path,
                "resultSeverity": f"sh:{r.severity}",
                "sourceConstraintComponent": f"sh:{r.component}",
                "sourceShape": r.shape,
                "value": r.value,
                "resultMessage": r.message,
                "origin": (origins or {}).get(r.focus),
            }
            for r in outcome.results
        ],
    }


def report_turtle(outcome: ValidationOutcome) -> str:
    """The ``sh:ValidationReport`` graph in Turtle."""
    return outcome.report.serialize(format="turtle")


def write_report(outcome: ValidationOutcome, stream: TextIO, *, fmt: str = "text",
                 origins: Mapping[str, str | None] | None = None) -> None:
    """Write the report in one of :data:`FORMATS`."""
    if fmt == "json":
        stream.write(json.dumps(report_json(outcome, origins=origins), indent=2) + "\n")
    elif fmt == "turtle":
        stream.write(report_turtle(outcome))
    elif fmt == "text":
        print_validation(outcome, stream, origins=origins)
    else:
        raise ValueError(f"unknown report format {fmt!r}; expected one of {', '.join(FORMATS)}")
