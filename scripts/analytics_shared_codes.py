"""Which nerves share a code? Groups the structures of the code assignments by the code they are assigned.

Walks the networkx view: each cryo:CodeAssignment node points to its structure (cryo:structure), its code
(cryo:assignedCode), its technique (cryo:technique) and its kind (definite or candidate). Structures with
only candidate assignments are disputed between sources; they are listed under every candidate code.

    python scripts/analytics_shared_codes.py                      # cryoablation, the default technique
    python scripts/analytics_shared_codes.py --technique "nerve block injection"
    python scripts/analytics_shared_codes.py --technique any
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from analytics_common import ROOT, by_type, load_view, out_neighbour, resolve


def shared_codes(view, technique: str | None) -> dict[str, dict[str, list[str]]]:
    """code -> {"definite": [structures], "candidate": [structures]} for assignments with *technique*."""
    table: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"definite": [], "candidate": []})
    for assignment in by_type(view, "cryo:CodeAssignment"):
        techniques = out_neighbour(view, assignment, "cryo:technique")
        if technique is not None and technique not in techniques:
            continue
        kinds = [view.nodes[k]["label"] for k in out_neighbour(view, assignment, "cryo:assignmentKind")]
        kind = "definite" if "definite" in kinds else "candidate"
        for code in out_neighbour(view, assignment, "cryo:assignedCode"):
            for structure in out_neighbour(view, assignment, "cryo:structure"):
                if structure not in table[code][kind]:
                    table[code][kind].append(structure)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--technique", default="cryoablation", help="technique label or CURIE, or 'any'")
    parser.add_argument("--release", type=Path, default=ROOT / "build")
    args = parser.parse_args()
    view = load_view(args.release)
    technique = None if args.technique == "any" else resolve(view, args.technique, by_type(view, "cryo:Technique"))
    table = shared_codes(view, technique)
    label = lambda n: view.nodes[n]["label"]  # noqa: E731
    notation = lambda n: (view.nodes[n].get("skos:notation") or [view.nodes[n]["curie"]])[0]  # noqa: E731
    print(f"Structures per code ({'all techniques' if technique is None else label(technique)}):\n")
    for code in sorted(table, key=notation):
        row = table[code]
        print(f"{notation(code)}  {label(code)}")
        if row["definite"]:
            print(f"  definite  ({len(row['definite'])}): " + ", ".join(sorted(map(label, row["definite"]))))
        if row["candidate"]:
            print(f"  candidate ({len(row['candidate'])}): " + ", ".join(sorted(map(label, row["candidate"]))))
        print()
    codes_of = defaultdict(set)
    for code, row in table.items():
        for structure in row["definite"] + row["candidate"]:
            codes_of[structure].add(code)
    several = {s: cs for s, cs in codes_of.items() if len(cs) > 1}
    print(f"Structures with more than one code ({len(several)}):")
    for structure in sorted(several, key=label):
        print(f"  {label(structure)}: " + " or ".join(sorted(map(notation, several[structure]))))


if __name__ == "__main__":
    main()
