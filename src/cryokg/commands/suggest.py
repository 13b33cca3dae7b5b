"""Suggest the code for treating a nerve or plexus: SITE, with a technique (default cryoablation) and an
approach (default percutaneous).

Names are matched against labels and synonyms, ignoring case and punctuation ("Superficial radial nerve",
"IPBSN", "RF ablation"). Disputed sites are flagged with every candidate code and its sources. An unknown
site, or one that names a nerve with a body region it does not lie in, is refused (exit 2) with suggestions.
"""

from __future__ import annotations

import argparse
import json
import sys

from cryokg.answer.code_selection import DEFAULT_APPROACH, DEFAULT_TECHNIQUE, SiteError, suggest
from cryokg.commands._common import add_store_arguments, engine_from, wrap
from cryokg.namespaces import curie

HELP = "suggest the code for a nerve or plexus, technique and approach"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("site", metavar="SITE", help="nerve or plexus: label, synonym, abbreviation or IRI")
    parser.add_argument("--technique", default=DEFAULT_TECHNIQUE,
                        help=f"technique (default: {DEFAULT_TECHNIQUE})")
    parser.add_argument("--approach", default=DEFAULT_APPROACH, help=f"approach (default: {DEFAULT_APPROACH})")
    parser.add_argument("--json", action="store_true", help="print JSON for programs")
    add_store_arguments(parser)


def _print_answer(answer: dict) -> None:
    site = answer["site"]
    print(f"site:       {site['label']}  ({curie(site['iri'])})")
    print(f"technique:  {answer['technique']['label']}")
    print(f"approach:   {answer['approach']['label']}")
    codes = ", ".join(answer["codes"]) or "none"
    print(f"code:       {codes}" + ("   DISPUTED - see candidates" if answer["ambiguous"] else ""))
    sources = answer["sources"]
    number = {url: i for i, url in enumerate(sources, start=1)}
    if answer["candidates"]:
        print("\ncandidates:")
        for c in answer["candidates"]:
            cites = " ".join(f"[{number[s]}]" for s in c["sources"] if s in number)
            print(f"  {c['code']:<6} {c['kind'] or c['via']}  {cites}")
            print(wrap(c["reason"], indent="         "))
    print("\nwhy:")
    for line in answer["explanation"]:
        print(wrap(line, indent="  - ").replace("\n  - ", "\n    ", -1))
    if sources:
        print("\nsources:")
        for url, i in number.items():
            print(f"  [{i}] {url}")


def run(args: argparse.Namespace) -> int:
    engine = engine_from(args)
    try:
        answer = suggest(engine, args.site, technique=args.technique, approach=args.approach).to_json()
    except SiteError as error:
        if args.json:
            print(json.dumps(error.to_json(), indent=2, ensure_ascii=False))
        else:
            print(f"cryokg suggest: error ({error.error}): {error.message}", file=sys.stderr)
            if error.did_you_mean:
                print(f"did you mean: {', '.join(error.did_you_mean)}?", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(answer, indent=2, ensure_ascii=False))
    else:
        _print_answer(answer)
    return 0
