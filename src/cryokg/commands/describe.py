"""Describe one resource: its types, what it says and what refers to it, with labels; its sources, by title;
and its mappings to external identifiers. Procedure steps come in their order, codes with their numbers.
"""

from __future__ import annotations

import argparse
import json

from cryokg.commands._common import add_store_arguments, engine_from, print_sources, table, wrap

HELP = "everything the graph says about one resource"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("resource", metavar="CODE|IRI|LABEL", help="code notation, IRI, CURIE or label")
    parser.add_argument("--json", action="store_true", help="print JSON for programs")
    add_store_arguments(parser)


def show(term: dict) -> str:
    """A term as a person reads it: a code as "64640 (label)", a step with its number, a literal as itself
    (yes/no for booleans), a resource by its label with its short name."""
    if "iri" not in term:
        value = term["value"]
        if term.get("datatype") == "xsd:boolean":
            return "yes" if value.lower() in ("true", "1") else "no"
        return " ".join(value.split())
    label = term.get("label")
    if term.get("notation") and label and not label.startswith(term["notation"]):
        return f"{term['notation']} ({label})"
    if "order" in term and label:
        return f"{term['order']}. {label}"
    return f"{label} ({term['curie']})" if label else term["curie"]


def _name(term: dict) -> str:
    return term.get("label") or term["curie"]


def run(args: argparse.Namespace) -> int:
    from cryokg.answer.describe import describe

    result = describe(engine_from(args), args.resource).to_json()
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    resource = result["resource"]
    print(wrap(f"{show(resource) if resource.get('notation') else _name(resource)}  ({resource['curie']})", indent=""))
    print(f"  {resource['iri']}")
    if result["types"]:
        print(wrap(f"a {', '.join(_name(t) for t in result['types'])}", indent="  "))
    print("\nsays:")
    for line in table(("", ""), [(_name(s["property"]), show(s["value"])) for s in result["outgoing"]], indent="  ")[2:]:
        print(line)
    if result["incoming"]:
        print("\nreferred to by:")
        rows = [(show(s["subject"]), f"as its {_name(s['property'])}") for s in result["incoming"]]
        for line in table(("", ""), rows, indent="  ")[2:]:
            print(line)
    if result["mappings"]:
        print("\nexternal identifiers:")
        for m in result["mappings"]:
            seen = f", seen {m['date']} at {m['source']}" if m.get("source") else ""
            label = f" {m['label']!r}" if m.get("label") else ""
            print(wrap(f"{m['external']}{label} ({m['predicate']}{seen})", indent="  "))
    print()
    if result["sources"]:
        print_sources(result["sources"], result.get("source_titles", {}))
    else:
        print("sources:\n  (none stated on this resource)")
    return 0
