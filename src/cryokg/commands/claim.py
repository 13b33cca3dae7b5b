"""Propose the claim lines for a procedure note, and check them as `cryokg check` does.

TEXT (or the file of --file) is read for the sites treated, the technique, side, device, care setting, diagnoses
written with their dot (G57.62) and the codes the note itself lists ("Charge sheet: 0441T, 77002-59", "64624 x 3").
Each line gives the code, units, modifiers, the nerves it covers, the diagnoses it links, why (the graph's
assignments, rules and positions) and sources. Units and modifiers are given only where a rule in the graph states
them; otherwise they are "unknown" with the recorded gap that says why. A disputed site gets a line with every
candidate code; a site the graph gives no code for is reported, never guessed. The device code of a named device
(iovera -> C9809) is proposed where a rule says it is paid in the care setting.

The lines then go through the same SHACL claim check as `cryokg check` (bundled guidance, units above a rule,
unknown codes, payer positions, care settings, diagnoses). --payer states that payer's positions (and those of
others that disagree stay visible); --setting overrides the setting the note names; --dx adds ICD-10-CM codes.

Exit status: 0 no Violation (read the warnings; "not verified" when a site or code could not be settled),
1 at least one Violation, 2 bad input (no such file, an empty or unreadable note, a note naming no site or code,
an unknown payer or setting, a malformed diagnosis code).

Examples:
  cryokg claim "Cryoablation of the superficial radial nerve under ultrasound. Charge sheet: 0440T, 76942."
  cryokg claim --file note.txt --payer cgs --setting office --dx M17.12
  cryokg claim "intercostal nerves T4-T6 on both sides frozen with iovera" --setting hospital-outpatient --json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from cryokg.commands._common import print_sources, wrap
from cryokg.errors import BadInput

if TYPE_CHECKING:
    from cryokg.answer.claim import ClaimAnswer

HELP = "propose and check the claim lines for a procedure note"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("text", nargs="?", metavar="TEXT", help="the procedure note (or a sentence of it)")
    parser.add_argument("--file", type=Path, metavar="NOTE", help="read the note from this UTF-8 text file")
    parser.add_argument("--payer", help="the payer (e.g. cgs, aetna, anthem): its positions are stated")
    parser.add_argument("--setting", choices=("office", "asc", "hospital-outpatient"),
                        help="the care setting (default: what the note says)")
    parser.add_argument("--dx", nargs="+", action="extend", default=[], metavar="ICD10CM",
                        help="ICD-10-CM diagnosis codes of the claim (e.g. M17.12)")
    parser.add_argument("--json", action="store_true", help="print JSON for programs")
    parser.add_argument("--graph", type=Path, metavar="FILE",
                        help="release Turtle file to check against (default: build/cryokg.ttl, else ontology/)")


def read_note_file(path: Path) -> str:
    """The note in *path*, as UTF-8 text; :class:`BadInput` naming the file when it cannot be read."""
    from cryokg.answer.claim import MAX_NOTE_CHARS

    try:
        if path.stat().st_size > 4 * MAX_NOTE_CHARS:
            raise BadInput(f"{path}: the note is too long (at most {MAX_NOTE_CHARS} characters are read)")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file") from None
    except IsADirectoryError:
        raise BadInput(f"{path}: is a directory, not a note") from None
    except UnicodeDecodeError as error:
        raise BadInput(f"{path}: not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise BadInput(f"{path}: cannot be read ({error.strerror})") from None


def run(args: argparse.Namespace) -> int:
    from cryokg.answer.claim import claim
    from cryokg.answer.claims import load_knowledge_graph

    if (args.text is None) == (args.file is None):
        raise BadInput("give the note as TEXT or with --file NOTE (one of them)")
    text = read_note_file(args.file) if args.file is not None else args.text
    answer = claim(text, graph=load_knowledge_graph(args.graph), payer=args.payer, setting=args.setting, dx=args.dx)
    if args.json:
        print(json.dumps(answer.to_json(), indent=2, ensure_ascii=False))
    else:
        _print_text(answer)
    return 0 if answer.conforms else 1


def _print_text(answer: ClaimAnswer) -> None:
    urls = list(answer.source_titles) or sorted({s for line in answer.lines for s in line.sources})
    urls = sorted(set(urls) | {s for line in answer.lines for s in line.sources} | {s for f in answer.findings
                                                                                   for s in f["sources"]})
    number = {url: i for i, url in enumerate(urls, start=1)}

    def cites(sources: list[str]) -> str:
        return " ".join(f"[{number[s]}]" for s in sources if s in number)

    if answer.payer:
        print(wrap(f"payer: {answer.payer['label']}", indent=""))
    if answer.setting:
        said = " (read from the note)" if answer.setting.get("from") == "note" else ""
        print(f"setting: {answer.setting['label']}{said}")
    for d in answer.diagnoses:
        state = "" if d["problem"] is None else f" - {d['problem']}"
        print(wrap(f"diagnosis: {d['code']} {d['title'] or 'not in the ICD-10-CM code set'}{state}", indent=""))
    print()
    for k, line in enumerate(answer.lines, start=1):
        code = f"ambiguous: one of {', '.join(line.candidates)}" if line.code == "ambiguous" else line.code
        origin = "listed in the note" if line.origin == "note" else "proposed"
        print(f"line {k}: {code}  ({origin})")
        units = str(line.units)
        if line.units == "unknown":
            units += " - " + ("; ".join(g["label"] for g in line.units_because) + "; payer-specific"
                              if line.units_because else "no rule or gap in the graph states them")
        print(wrap(f"units: {units}", indent="    "))
        mods = (", ".join(line.modifiers) or "none") if isinstance(line.modifiers, list) else "unknown - " + \
            "; ".join(g["label"] for g in line.modifiers_because)
        print(wrap(f"modifiers: {mods}", indent="    "))
        if line.nerves:
            side = f" ({', '.join(line.laterality)})" if line.laterality else ""
            print(wrap(f"covers: {', '.join(n['label'] for n in line.nerves)}{side}", indent="    "))
        if line.dx:
            print(f"    diagnoses: {', '.join(line.dx)}")
        for caveat in line.caveats:
            print(wrap(f"caveat: {caveat['label']}", indent="    "))
        if line.why:
            print("    why:")
            for why in line.why:
                print(wrap(f"{why['label']} {cites(why.get('sources', []))}".rstrip(), indent="      - "))
        print(f"    sources: {cites(line.sources) or 'none'}")
    if not answer.lines:
        print("no claim line: the note names no site the graph gives a code for")
    for site in answer.unresolved_sites:
        print(wrap(f"not coded: {site['text']!r} - {' '.join(site['why'][-1:])}", indent="\n"))
    for alt in answer.alternatives:
        print(wrap(f"also argued for (not proposed): {alt['code']} {cites(alt['sources'])}", indent="\n"))
    for item in answer.not_proposed:
        print(wrap(f"not proposed: {item['code']} - {item['message']} {cites(item['sources'])}".rstrip(), indent="\n"))
    if answer.positions:
        print("\npositions of the payer:")
        for p in answer.positions:
            print(wrap(f"{p['issuer']['label']}: {p['kind']['label'] or 'kind not stated'} - {p['label']} "
                       f"{cites(p['sources'])}".rstrip(), indent="  - "))
    elif answer.payer:
        print("\npositions of the payer: none recorded in the graph")
    for p in answer.history:
        print(wrap(f"no longer in force (until {p['effective_until']}): {p['label']}", indent="  - "))
    if answer.conflicts:
        print("\npositions that disagree:")
        for pair in answer.conflicts:
            a, b = pair["positions"]
            print(wrap(f"{a['issuer']['label']} ({a['kind']['label']}) vs {b['issuer']['label']} ({b['kind']['label']})",
                       indent="  - "))
    print("\nfindings:")
    for f in answer.findings:
        what = f["code"] or f["value"] or "(claim)"
        print(wrap(f"{f['message']} {cites(f['sources'])}".rstrip(), indent=f"  {f['severity']}: {what}: ",
                   subsequent="      "))
    violations = sum(1 for f in answer.findings if f["severity"] == "Violation")
    others = len(answer.findings) - violations
    if violations:
        print(f"{violations} violation(s), {others} other finding(s)")
    elif not answer.verified:
        print(f"not verified: a site or code could not be settled; {others} finding(s) to read")
    else:
        print(f"no violation, but {others} other finding(s) to read" if others else "clean: no findings")
    if urls:
        print()
        print_sources(urls, answer.source_titles)
    sys.stdout.flush()

