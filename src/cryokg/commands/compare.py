"""Compare two codes: the attributes they share and those that differ, each with its sources.

Attributes are the defining properties of a procedure (method, approach, anatomic scope, device, coolant,
guidance, target, effect, indication, steps ...); labels, notation, definition and administrative facts are
listed apart as "not attributes". See cryokg.answer.compare for the rule.
"""

from __future__ import annotations

import argparse
import json

from cryokg.answer.compare import compare_codes
from cryokg.commands._common import add_store_arguments, engine_from, print_sources, table, wrap

HELP = "compare two codes attribute by attribute"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("codes", nargs=2, metavar="CODE", help="code notation, IRI, CURIE or label")
    parser.add_argument("--json", action="store_true", help="print JSON for programs")
    add_store_arguments(parser)


def _values(values: list[dict]) -> str:
    from cryokg.commands.describe import show

    shown = [show({"curie": "", **v}) if "iri" in v and not v.get("notation") and "order" not in v
             else show(v) for v in values]
    return ", ".join(x.removesuffix(" ()") for x in shown) or "not recorded"


def run(args: argparse.Namespace) -> int:
    result = compare_codes(engine_from(args), *args.codes).to_json()
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    a, b = (c["code"] for c in result["codes"])
    for code in result["codes"]:
        print(wrap(code["label"], indent=f"{code['code']}: "))
    sources = sorted({s for code in result["codes"] for s in code["sources"]})
    number = {url: i for i, url in enumerate(sources, start=1)}
    cites = {c["code"]: " ".join(f"[{number[s]}]" for s in c["sources"]) for c in result["codes"]}
    rows = [(d["label"], _values(d["values"][a]), _values(d["values"][b]), "differs") for d in result["differing"]]
    rows += [(d["label"], _values(d["values"][a]), _values(d["values"][b]),
              f"not recorded for {' and '.join(d['missing'])}") for d in result["not_recorded"]]
    rows += [(d["label"], _values(d["values"]), _values(d["values"]), "shared") for d in result["shared"]]
    print()
    for line in table(("attribute", a, b, ""), rows):
        print(line)
    print(f"\n{len(result['differing'])} attribute(s) differ, {len(result['not_recorded'])} recorded for one code "
          f"only, {len(result['shared'])} shared.")
    if result["not_attribute_names"]:
        print(wrap(f"Also different, not attributes: {', '.join(result['not_attribute_names'])}.", indent=""))
    print(f"\nstatements on {a} cite {cites[a]}; on {b} cite {cites[b]}")
    print_sources(sources, result.get("source_titles", {}))
    return 0
