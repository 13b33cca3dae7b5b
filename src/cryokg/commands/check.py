"""Check the codes a coder is about to report for one procedure session against the graph's coding rules.

The codes (and the treated site, when given) become a small claim graph that is validated, together with the
release, against ontology/shapes/claims.ttl. Findings: an imaging-guidance code on top of a code that already
includes guidance; two sibling codes of a family for one site; a family code whose anatomic scope does not
cover the site; any other code whose scope does not cover it (64624 names the genicular nerves, 64630 the
pudendal nerve; residual codes such as 64640 yield to a code the graph gives for the site); a code recorded for
other techniques than the session's; a code a payer, Medicare contractor or manufacturer in the graph tells
providers not to report for the session's technique, with the positions that disagree; an unknown code, with
the nearest code the graph knows and its family.

The site is read as `cryokg suggest` reads it (names, synonyms, abbreviations, misspellings, groups). A site
that matches nothing, contradicts itself or names several sites whose codes differ is bad input (exit 2), as is
a code that is not written like a code: nothing is called clean that could not be checked. The session's
technique is --technique, else what the site's words say, else the one technique its codes name.

The graph is build/cryokg.ttl when it exists (the validated release), else the sources in ontology/.

Exit status: 0 no Violation (warnings may be printed), 1 at least one Violation, 2 bad input (a malformed
code, an unknown or ambiguous site or technique).

Examples:
  cryokg check 0440T 76942          # flags 76942: guidance is part of 0440T
  cryokg check 0441T --site "radial nerve"
  cryokg check 0441T 64640 --site IPBSN    # CGS's position against 64640 for cryoneurolysis, and Pacira's
  cryokg check 64640 --technique cryoneurolysis
  cryokg check 0443T --json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cryokg.commands._common import print_sources, wrap

if TYPE_CHECKING:
    from cryokg.answer.claims import ClaimReport

HELP = "check the codes of one session against the coding rules"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("codes", nargs="+", metavar="CODE", help="codes to be reported for one session")
    parser.add_argument("--site", help="the nerve, plexus or body region treated (e.g. 'radial nerve'), as suggest reads it")
    parser.add_argument("--technique", help="the technique of the session (e.g. cryoneurolysis, RFA); default: "
                        "what --site says, else the one technique the codes name")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.add_argument("--graph", type=Path, metavar="FILE",
                        help="release Turtle file to check against (default: build/cryokg.ttl, else ontology/)")


def run(args: argparse.Namespace) -> int:
    from cryokg.answer.claims import check_claim, load_knowledge_graph

    graph = load_knowledge_graph(args.graph)
    report = check_claim(args.codes, site=args.site, graph=graph, technique=args.technique)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        _print_text(report)
    malformed = [f.code or "" for f in report.findings if f.rule == "cryosh:MalformedCode"]
    if malformed:  # bad input: a code not written like a code
        print(f"cryokg check: error: not written like a code: {', '.join(malformed)}", file=sys.stderr)
        return 2
    return 0 if report.conforms else 1


def _print_text(report: ClaimReport) -> None:
    site = f" at site \"{report.site}\"" if report.site else ""
    print(f"claim: {' '.join(report.codes)}{site}")
    if report.site_structures:
        print(wrap(f"site read as: {', '.join(report.site_structures)}", indent="  "))
    if report.technique:
        said = {"option": "given", "site": "read from the site", "codes": "the one the codes name"}
        print(f"  technique: {report.technique}  ({said.get(report.technique_from or '', 'given')})")
    else:
        print("  technique: not stated, and the codes name none (give --technique to check positions on it)")
    urls = list(dict.fromkeys(s for f in report.findings for s in f.sources))
    number = {url: i for i, url in enumerate(urls, start=1)}
    for finding in report.findings:
        cites = " ".join(f"[{number[s]}]" for s in finding.sources)
        print(wrap(f"{finding.message} {cites}".rstrip(), indent=f"  {finding.severity}: {finding.code or '(claim)'}: ",
                   subsequent="      "))
    violations = sum(1 for f in report.findings if f.severity == "Violation")
    others = len(report.findings) - violations
    if report.conforms:
        print(f"no violation, but {others} other finding(s) to read" if others else "clean: no findings")
    else:
        print(f"{violations} violation(s), {others} other finding(s)", file=sys.stdout)
    if urls:
        print()
        print_sources(urls, report.source_titles)
