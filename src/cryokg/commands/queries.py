"""List the catalogue of named competency queries (ontology/queries/*.rq): name, title and parameters.

Run one with ``cryokg query NAME [--param KEY=VALUE ...]``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from cryokg.answer.catalogue import QUERIES_DIR, load_catalogue
from cryokg.commands._common import wrap

HELP = "list the named competency queries"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--catalogue", type=Path, default=QUERIES_DIR, metavar="DIR",
                        help="folder of .rq files (default: ontology/queries)")
    parser.add_argument("--json", action="store_true", help="print JSON for programs")
    parser.add_argument("--verbose", "-v", action="store_true", help="also print each query's description")


def run(args: argparse.Namespace) -> int:
    catalogue = load_catalogue(args.catalogue)
    if args.json:
        print(json.dumps([{"name": q.name, "title": q.title, "description": q.description,
                           "parameters": [{"name": p.name, "type": p.type, "default": p.default,
                                           "optional": p.optional, "description": p.description}
                                          for p in q.parameters]}
                          for q in catalogue.values()], indent=2, ensure_ascii=False))
        return 0
    width = max((len(name) for name in catalogue), default=4)
    for name, query in catalogue.items():
        params = " ".join(f"{p.name}={p.default}" if p.default else f"[{p.name}]" if p.optional else p.name
                          for p in query.parameters)
        print(f"{name:<{width}}  {query.title}" + (f"  (params: {params})" if params else ""))
        if args.verbose and query.description:
            print(wrap(query.description, indent=" " * (width + 2)))
    print(f"\n{len(catalogue)} queries; run one with: cryokg query NAME [--param KEY=VALUE ...]")
    return 0
