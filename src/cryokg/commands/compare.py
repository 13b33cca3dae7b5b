"""Compare two codes: the attributes they share and those that differ, each with its sources.

Attributes are the defining properties of a procedure (method, approach, anatomic scope, device, coolant,
guidance, target, effect, indication, steps ...); labels, notation, definition and administrative facts are
listed apart as "not attributes". See cryokg.answer.compare for the rule.
"""

from __future__ import annotations

import argparse
import json

from cryokg.answer.compare import compare_codes
from cryokg.commands._common import add_store_arguments, engine_from

HELP = "compare two codes attribute by attribute"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("codes", nargs=2, metavar="CODE", help="code notation, IRI, CURIE or label")
    parser.add_argument("--json", action="store_true", help="print JSON for programs")
    add_store_arguments(parser)


def _values(values: list[dict]) -> str:
    return ", ".join(v.get("label") or v.get("value", "") for v in values) or "-"


def run(args: argparse.Namespace) -> int:
    result = compare_codes(engine_from(args), *args.codes).to_json()
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    a, b = (c["code"] for c in result["codes"])
    for code in result["codes"]:
        print(f"{code['code']}: {code['label']}")
    sources = sorted({s for code in result["codes"] for s in code["sources"]})
    number = {url: i for i, url in enumerate(sources, start=1)}
    cites = {c["code"]: " ".join(f"[{number[s]}]" for s in c["sources"]) for c in result["codes"]}
    rows = [(d["label"], _values(d["values"][a]), _values(d["values"][b]), "differs") for d in result["differing"]]
    rows += [(d["label"], _values(d["values"]), _values(d["values"]), "shared") for d in result["shared"]]
    header = ("attribute", a, b, "")
    widths = [min(45, max(len(r[i]) for r in [header, *rows])) for i in range(4)]
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    print("  ".join("-" * w for w in widths))
    for row in rows:
        cells = [c if len(c) <= w else c[:w - 1] + "…" for c, w in zip(row, widths, strict=True)]
        print("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
    print(f"\n{len(result['differing'])} attribute(s) differ, {len(result['shared'])} shared.")
    if result["not_attributes"]:
        print(f"Also different, not attributes: {', '.join(result['not_attributes'])}.")
    print(f"\nstatements on {a} cite {cites[a]}; on {b} cite {cites[b]}")
    print("sources:")
    for url, i in number.items():
        print(f"  [{i}] {url}")
    return 0
