"""Why does a nerve take its code? The shortest explanation path from a nerve to the code it is assigned.

First the answer: the nerve's code assignments (code, definite or candidate, the team's reason). Then, for
each assigned code, the shortest path between nerve and code through the anatomy alone: where the nerve lies
(cryo:locatedIn), which larger region that is part of (cryo:regionPartOf), which anatomic scope covers that
region (cryo:scopeRegion) or names the structure (cryo:scopeExample), and which code has that scope
(cryo:anatomicScope). The assignment nodes themselves are left out, or every path would be the two hops
nerve <- assignment -> code, which restates the answer instead of explaining it; so is cryo:branchOf,
because origin does not decide the code. --any-predicate lifts the predicate filter (provenance and
vocabulary edges stay out).

    python scripts/analytics_explain_path.py "radial nerve"
    python scripts/analytics_explain_path.py anat:obturator-nerve
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import networkx as nx

from analytics_common import BOOKKEEPING, ROOT, by_type, load_view, out_neighbour, resolve

EXPLAINING = frozenset({"cryo:locatedIn", "cryo:regionPartOf", "cryo:scopeRegion", "cryo:scopeExample",
                        "cryo:anatomicScope"})


def assignments_of(view: nx.MultiDiGraph, structure: str) -> list[tuple[str, str, str, str]]:
    """(code, kind, technique, reason) of every assignment about *structure*."""
    rows = []
    for assignment in sorted(u for u, _, key in view.in_edges(structure, keys=True) if key == "cryo:structure"):
        data = view.nodes[assignment]
        kind = ", ".join(view.nodes[k]["label"] for k in out_neighbour(view, assignment, "cryo:assignmentKind"))
        technique = ", ".join(view.nodes[t]["label"] for t in out_neighbour(view, assignment, "cryo:technique"))
        reason = " ".join(data.get("cryo:reason@en", []))
        rows.extend((code, kind, technique, reason) for code in out_neighbour(view, assignment, "cryo:assignedCode"))
    return rows


def explanation_graph(view: nx.MultiDiGraph, *, any_predicate: bool = False) -> nx.MultiGraph:
    """Undirected graph of the explaining edges, without assignment nodes."""
    assignments = set(by_type(view, "cryo:CodeAssignment"))
    keep = nx.MultiGraph()
    for u, v, key in view.edges(keys=True):
        if u in assignments or v in assignments or key in BOOKKEEPING or key == "cryo:branchOf":
            continue
        if any_predicate or key in EXPLAINING:
            keep.add_edge(u, v, key=f"{u} {key} {v}", predicate=key, source=u, target=v)
    return keep


def explain(view: nx.MultiDiGraph, graph: nx.MultiGraph, structure: str, code: str) -> list[str]:
    """The hops of the shortest structure-to-code path, each as 'subject -predicate-> object'."""
    if structure not in graph or code not in graph:
        return []
    try:
        path = nx.shortest_path(graph, structure, code)
    except nx.NetworkXNoPath:
        return []
    def label(node: str) -> str:  # codes by their notation, everything else by its label
        return (view.nodes[node].get("skos:notation") or [view.nodes[node]["label"]])[0]

    hops = []
    for a, b in itertools.pairwise(path):
        data = min(graph.get_edge_data(a, b).values(), key=lambda d: (d["predicate"], d["source"]))
        arrow = f"-{data['predicate']}->" if data["source"] == a else f"<-{data['predicate']}-"
        hops.append(f"{label(a)}  {arrow}  {label(b)}")
    return hops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("nerve", help="label, alternative label, CURIE or IRI of a nerve or plexus")
    parser.add_argument("--any-predicate", action="store_true", help="allow every domain predicate in the path")
    parser.add_argument("--release", type=Path, default=ROOT / "build")
    args = parser.parse_args()
    view = load_view(args.release)
    structure = resolve(view, args.nerve)
    rows = assignments_of(view, structure)
    print(f"{view.nodes[structure]['label']} ({view.nodes[structure]['curie']})")
    if not rows:
        print("  no code assignment in the graph")
        return
    graph = explanation_graph(view, any_predicate=args.any_predicate)
    for code, kind, technique, reason in rows:
        notation = (view.nodes[code].get("skos:notation") or [view.nodes[code]["curie"]])[0]
        print(f"\n-> {notation} ({kind}, {technique})")
        if reason:
            print(f"   reason: {reason}")
        hops = explain(view, graph, structure, code)
        print("   path: " + ("\n         ".join(hops) if hops else "none through the anatomy alone"))


if __name__ == "__main__":
    main()
