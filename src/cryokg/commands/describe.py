"""Describe one resource: its types, what it says (outgoing) and what points at it (incoming), with labels;
its sources; and its mappings to external identifiers.
"""

from __future__ import annotations

import argparse
import json

from cryokg.answer.result_formats import CELL_WIDTH
from cryokg.commands._common import add_store_arguments, engine_from

HELP = "everything the graph says about one resource"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("resource", metavar="CODE|IRI|LABEL", help="code notation, IRI, CURIE or label")
    parser.add_argument("--json", action="store_true", help="print JSON for programs")
    add_store_arguments(parser)


def _show(term: dict) -> str:
    text = term["value"] if "iri" not in term else (
        f"{term['label']} ({term['curie']})" if term.get("label") else term["curie"])
    text = " ".join(text.split())
    return text if len(text) <= CELL_WIDTH else text[:CELL_WIDTH - 1] + "…"


def _table(rows: list[tuple[str, str]]) -> None:
    width = max((len(a) for a, _ in rows), default=0)
    for a, b in rows:
        print(f"  {a:<{width}}  {b}")


def run(args: argparse.Namespace) -> int:
    from cryokg.answer.describe import describe

    result = describe(engine_from(args), args.resource).to_json()
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    resource = result["resource"]
    print(f"{resource.get('label') or resource['curie']}  ({resource['curie']})")
    print(f"  {result['resource']['iri']}")
    if result["types"]:
        print(f"  a {', '.join(_show(t) for t in result['types'])}")
    print("\nsays:")
    _table([(s["property"].get("label") or s["property"]["curie"], _show(s["value"])) for s in result["outgoing"]])
    if result["incoming"]:
        print("\nis the object of:")
        _table([(_show(s["subject"]), s["property"].get("label") or s["property"]["curie"])
                for s in result["incoming"]])
    if result["mappings"]:
        print("\nmappings:")
        _table([(m["predicate"], f"{m['external']}" + (f"  {m['label']!r}" if m.get("label") else "")
                 + (f"  seen {m['date']} at {m['source']}" if m.get("source") else ""))
                for m in result["mappings"]])
    print("\nsources:")
    for url in result["sources"] or ["(none stated on this resource)"]:
        print(f"  {url}")
    return 0
