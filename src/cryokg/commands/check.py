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

--dx gives the claim's ICD-10-CM diagnoses: each is looked up in the CDC/CMS code set (simple-icd-10-cm); one
the code set does not have, or a category that is not billable, is a Violation, and one that no payer policy or
contractor article in the graph names is a Warning. --payer picks a payer of the graph (cgs, aetna, anthem, ...):
its positions against a code are Warnings. --setting gives the care setting (a code paid only in other settings,
such as C9809 in an office, is a Warning).

The graph is build/cryokg.ttl when it exists (the validated release), else the sources in ontology/.

Exit status: 0 no Violation (warnings may be printed), 1 at least one Violation, 2 bad input (a malformed
code or diagnosis, an unknown or ambiguous site, technique, payer or setting).

Examples:
  cryokg check 0440T 76942          # flags 76942: guidance is part of 0440T
  cryokg check 0441T --site "radial nerve"
  cryokg check 0441T 64640 --site IPBSN    # CGS's position against 64640 for cryoneurolysis, and Pacira's
  cryokg check 64640 --technique cryoneurolysis
  cryokg check 0443T --json
  cryokg check 0441T --site "common plantar digital nerve" --dx G57.62 --payer anthem
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
    parser.add_argument("--dx", nargs="+", action="extend", default=[], metavar="ICD10CM",
                        help="ICD-10-CM diagnosis codes of the claim (e.g. G57.62), checked against the code set "
                        "and the indications the graph's policies name")
    parser.add_argument("--payer", help="the payer (e.g. cgs, aetna, anthem): its positions against a code are reported")
    parser.add_argument("--setting", choices=("office", "asc", "hospital-outpatient"), help="the care setting")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.add_argument("--graph", type=Path, metavar="FILE",
                        help="release Turtle file to check against (default: build/cryokg.ttl, else ontology/)")


def run(args: argparse.Namespace) -> int:
    from cryokg.answer.claims import check_claim, load_knowledge_graph

    graph = load_knowledge_graph(args.graph)
    report = check_claim(args.codes, site=args.site, graph=graph, technique=args.technique, dx=args.dx,
                         payer=args.payer, setting=args.setting)
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
    if report.payer:
        print(wrap(f"payer: {report.payer['label']}", indent="  "))
    if report.setting:
        print(f"  setting: {report.setting['label']}")
    for diagnosis in report.diagnoses:
        said = diagnosis["title"] or "not in the ICD-10-CM code set"
        state = "" if diagnosis["problem"] is None else f" - {diagnosis['problem']}"
        print(wrap(f"diagnosis: {diagnosis['code']} {said}{state}", indent="  "))
    if report.technique:
        said = {"option": "given", "site": "read from the site", "codes": "the one the codes name"}
        print(f"  technique: {report.technique}  ({said.get(report.technique_from or '', 'given')})")
    else:
        print("  technique: not stated, and the codes name none (give --technique to check positions on it)")
    urls = list(dict.fromkeys(s for f in report.findings for s in f.sources))
    number = {url: i for i, url in enumerate(urls, start=1)}
    for finding in report.findings:
        cites = " ".join(f"[{number[s]}]" for s in finding.sources)
        what = finding.code or finding.value or "(claim)"
        print(wrap(f"{finding.message} {cites}".rstrip(), indent=f"  {finding.severity}: {what}: ",
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
