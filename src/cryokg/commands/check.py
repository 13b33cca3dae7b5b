"""Check the codes a coder is about to report for one procedure session against the graph's coding rules.

The codes (and the treated site, when given) become a small claim graph that is validated, together with the
release, against ontology/shapes/claims.ttl. Findings: an imaging-guidance code on top of a code that already
includes guidance; two sibling codes of a family for one site; a family code whose anatomic scope does not
cover the site (the site is matched against nerve, plexus and region labels and synonyms, ignoring case and
punctuation); an unknown or malformed code, with the nearest code the graph knows and its family.

The graph is build/cryokg.ttl when it exists (the validated release), else the sources in ontology/.

Exit status: 0 no Violation (warnings may be printed), 1 at least one Violation, 2 bad input.

Examples:
  cryokg check 0440T 76942          # flags 76942: guidance is part of 0440T
  cryokg check 0441T --site "radial nerve"
  cryokg check 0443T --json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HELP = "check the codes of one session against the coding rules"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("codes", nargs="+", metavar="CODE", help="codes to be reported for one session")
    parser.add_argument("--site", help="the nerve, plexus or body region treated (e.g. 'radial nerve')")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.add_argument("--graph", type=Path, metavar="FILE",
                        help="release Turtle file to check against (default: build/cryokg.ttl, else ontology/)")


def run(args: argparse.Namespace) -> int:
    from cryokg.answer.claims import check_claim, load_knowledge_graph

    graph = load_knowledge_graph(args.graph)
    report = check_claim(args.codes, site=args.site, graph=graph)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        _print_text(report)
    return 0 if report.conforms else 1


def _print_text(report) -> None:
    site = f" at site \"{report.site}\"" if report.site else ""
    print(f"claim: {' '.join(report.codes)}{site}")
    for finding in report.findings:
        print(f"  {finding.severity}: {finding.code or '(claim)'}: {finding.message} [{finding.rule}]")
        for source in finding.sources:
            print(f"      source: {source}")
    violations = sum(1 for f in report.findings if f.severity == "Violation")
    others = len(report.findings) - violations
    if report.conforms:
        print(f"clean: no violation ({others} other findings)" if others else "clean: no findings")
    else:
        print(f"{violations} violation(s), {others} other finding(s)", file=sys.stdout)
