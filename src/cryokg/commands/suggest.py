"""Suggest the code for treating a site, from anything between a nerve's name and a sentence of a procedure note.

TEXT is read for the sites it names (names, synonyms, abbreviations, "n."/"nn.", plurals, group names,
one-word names, misspellings within two edits) and for what it says about treating each: the technique
("cryoneurolysis", "iovera", "RFA", "phenol", "block"...), the approach, the side, the region and the spinal
levels. One answer is printed per site named. --technique and --approach override what the text says; when
neither is given nor read, cryoablation by the percutaneous approach is assumed.

Disputed sites are flagged with every candidate code and its sources; words that name several sites whose
answers differ are flagged, never guessed. Targets outside what 0440T-0442T are written for (ganglia,
autonomic plexuses, medial branches, trigeminal branches...) are answered with what the graph says about them.
Text that names no site, or a nerve with a body region it does not lie in, is refused (exit 2) with suggestions.

Examples:
  cryokg suggest "Superficial radial nerve"
  cryokg suggest "Ultrasound-guided cryoneurolysis of the ulnar nerve at the elbow"
  cryokg suggest "superomedial, superolateral and inferomedial genicular nerves, left knee"
  cryokg suggest "genicular nerves" --technique RFA
"""

from __future__ import annotations

import argparse
import json
import sys

from cryokg.answer.code_selection import SiteError, suggest
from cryokg.commands._common import add_store_arguments, engine_from, print_sources, wrap
from cryokg.namespaces import curie

HELP = "suggest the code for a site, from a name or a sentence of a procedure note"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("site", metavar="TEXT",
                        help="a site's name (label, synonym, abbreviation, IRI) or a sentence of a procedure note")
    parser.add_argument("--technique", default=None,
                        help="technique, overriding the text (default: what the text says, else cryoablation)")
    parser.add_argument("--approach", default=None,
                        help="approach, overriding the text (default: what the text says, else percutaneous)")
    parser.add_argument("--json", action="store_true", help="print JSON for programs")
    add_store_arguments(parser)


_FROM = {"text": "read from the text", "option": "given", "default": "the default: the text names none"}


def _print_one(answer: dict, number: dict[str, int], heading: str) -> None:
    site, read = answer["site"], answer["read"]
    where = f"  ({curie(site['iri'])})" if site.get("iri") else ""
    print(f"{heading}{site['label']}{where}")
    if read.get("text") and read["text"] != site["label"]:
        print(f"  read from:  {read['text']!r}")
    for fix in read.get("corrections", []):
        print(f"  spelling:   {fix['typed']!r} read as {fix['read']!r}")
    print(f"  technique:  {answer['technique']['label']}  ({_FROM.get(read.get('technique_from', ''), 'given')})")
    print(f"  approach:   {answer['approach']['label']}  ({_FROM.get(read.get('approach_from', ''), 'given')})")
    said = [x for x in (read.get("laterality"), ", ".join(r["label"] for r in read.get("regions", [])),
                        " ".join(read.get("levels", []))) if x]
    if said:
        print(f"  also read:  {'; '.join(said)}")
    codes = ", ".join(answer["codes"]) or "none"
    flag = ""
    if answer["ambiguous"]:
        flag = "   AMBIGUOUS - see the matches" if answer["matches"] and not answer["codes"] else \
            "   DISPUTED - see the candidates"
    print(f"  code:       {codes}{flag}")
    if answer["outside_family"]:
        print("  outside:    not a target of the kind 0440T-0442T are written for")
    if answer["matches"]:
        print("\n  the words name several sites:")
        for match in answer["matches"]:
            disputed = " (disputed)" if match["ambiguous"] else ""
            print(f"    {match['site']['label']}: {', '.join(match['codes']) or 'no code'}{disputed}")
    if answer["candidates"]:
        print("\n  candidates:")
        for c in answer["candidates"]:
            cites = " ".join(f"[{number[s]}]" for s in c["sources"] if s in number)
            print(f"    {c['code']:<6} {c['kind'] or c['via']}  {cites}")
            print(wrap(c["reason"], indent="           "))
    if answer["named_codes"]:
        print("\n  other techniques, codes sources name:")
        for n in answer["named_codes"]:
            cites = " ".join(f"[{number[s]}]" for s in n["sources"] if s in number)
            print(f"    {n['technique']['label']}: {', '.join(n['codes'])}  {cites}")
    print("\n  why:")
    for line in answer["explanation"]:
        print(wrap(line, indent="    - "))


def _print_answer(answer: dict) -> None:
    answers = answer.get("answers") or [answer]
    urls = sorted({s for a in answers for s in a["sources"]})
    titles = {url: title for a in answers for url, title in a.get("source_titles", {}).items()}
    number = {url: i for i, url in enumerate(urls, start=1)}
    for k, one in enumerate(answers, start=1):
        if k > 1:
            print()
        heading = f"site {k} of {len(answers)}: " if len(answers) > 1 else "site:       "
        _print_one(one, number, heading)
    for unmatched in answer.get("unmatched", []):
        hint = f"; did you mean: {', '.join(unmatched['did_you_mean'])}?" if unmatched["did_you_mean"] else ""
        print(wrap(f"not understood: {unmatched['text']!r}{hint}", indent="\n"))
    if urls:
        print()
        print_sources(urls, titles)


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
