"""Degree and betweenness centrality of the codes and techniques in the knowledge graph.

Works on the domain part of the networkx view: provenance and vocabulary edges (dcterms:source,
rdfs:isDefinedBy, rdfs:domain ... see analytics_common.BOOKKEEPING) are dropped, because every fact cites a
source and a handful of web pages would otherwise be the most "central" nodes. Degree counts the remaining
edges in and out; betweenness is computed on the undirected simple graph (how often a node lies on the
shortest path between two others: the codes and techniques that tie the graph together).

    python scripts/analytics_centrality.py            # top 10 of each
    python scripts/analytics_centrality.py --top 5
"""

from __future__ import annotations

import argparse
from pathlib import Path

import networkx as nx

from analytics_common import BOOKKEEPING, ROOT, by_type, load_view


def domain_graph(view: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """The view without provenance and vocabulary edges, and without the vocabulary's own terms."""
    keep = nx.MultiDiGraph()
    vocabulary = {n for n, d in view.nodes(data=True)
                  if {"owl:Class", "owl:ObjectProperty", "owl:DatatypeProperty", "owl:Ontology"} & set(d["types"])}
    keep.add_nodes_from((n, d) for n, d in view.nodes(data=True) if n not in vocabulary)
    keep.add_edges_from((u, v, k, d) for u, v, k, d in view.edges(keys=True, data=True)
                        if k not in BOOKKEEPING and u in keep and v in keep)
    keep.remove_nodes_from([n for n in list(keep) if keep.degree(n) == 0])
    return keep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--release", type=Path, default=ROOT / "build")
    args = parser.parse_args()
    view = load_view(args.release)
    graph = domain_graph(view)
    betweenness = nx.betweenness_centrality(nx.Graph(graph.to_undirected()), normalized=True)
    print(f"domain graph: {graph.number_of_nodes()} nodes, {graph.number_of_edges()} edges "
          f"(of {view.number_of_nodes()} / {view.number_of_edges()} in the view)\n")
    for title, type_curie in (("Codes", "cryo:ProcedureCode"), ("Techniques", "cryo:Technique")):
        nodes = [n for n in by_type(view, type_curie) if n in graph]
        ranked = sorted(nodes, key=lambda n: (-graph.degree(n), -betweenness[n], view.nodes[n]["label"]))
        print(f"{title} by degree (in + out), with betweenness:")
        print(f"  {'degree':>6} {'in':>4} {'out':>4} {'betweenness':>12}  name")
        for n in ranked[: args.top]:
            notation = (view.nodes[n].get("skos:notation") or [""])[0]
            name = f"{notation}  {view.nodes[n]['label']}" if notation else view.nodes[n]["label"]
            print(f"  {graph.degree(n):>6} {graph.in_degree(n):>4} {graph.out_degree(n):>4} "
                  f"{betweenness[n]:>12.4f}  {name[:80]}")
        print()


if __name__ == "__main__":
    main()
