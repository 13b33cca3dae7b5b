"""Shared loading and lookup for the scripts/analytics_*.py examples.

The examples work on the networkx view of the release (cryokg.release.graphview): they read the node-link export
that `cryokg build` writes (build/exports/cryokg.nodelink.json), exactly as an analyst outside this project
would, and fall back to building the view from build/cryokg.nt or, failing that, from the sources.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path

import networkx as nx

__all__ = ["BOOKKEEPING", "by_type", "load_view", "out_neighbour", "resolve"]

ROOT = Path(__file__).resolve().parents[1]

BOOKKEEPING = frozenset({"dcterms:source", "rdfs:isDefinedBy", "skos:inScheme", "skos:topConceptOf",
                         "skos:hasTopConcept", "rdfs:domain", "rdfs:range", "rdfs:subClassOf",
                         "rdfs:subPropertyOf", "owl:versionIRI", "dcterms:license", "cryo:sourceKind"})
"""Predicates that say where a fact comes from or how the vocabulary is built, not what the domain is."""


def load_view(release: Path = ROOT / "build") -> nx.MultiDiGraph:
    """The view of the release: from the node-link export, from cryokg.nt, or built from the sources."""
    nodelink = release / "exports" / "cryokg.nodelink.json"
    if nodelink.is_file():
        return nx.node_link_graph(json.loads(nodelink.read_text(encoding="utf-8")), edges="edges")
    from cryokg.release.graphview import to_networkx

    if (release / "cryokg.nt").is_file():
        from rdflib import Graph

        return to_networkx(Graph().parse(release / "cryokg.nt", format="nt"))
    print(f"note: no release in {release}/, building the view from ontology/ (not validated)", file=sys.stderr)
    from cryokg.release.build import assemble

    return to_networkx(assemble(ROOT / "ontology", validate=False))


def by_type(view: nx.MultiDiGraph, type_curie: str) -> list[str]:
    """Nodes that have *type_curie* among their types, sorted by label."""
    return sorted((n for n, d in view.nodes(data=True) if type_curie in d.get("types", [])),
                  key=lambda n: view.nodes[n]["label"].lower())


def out_neighbour(view: nx.MultiDiGraph, node: str, predicate: str) -> list[str]:
    """Targets of *node*'s out-edges with the given predicate CURIE, sorted."""
    return sorted(v for _, v, key in view.out_edges(node, keys=True) if key == predicate)


def resolve(view: nx.MultiDiGraph, name: str, among: Iterable[str] | None = None) -> str:
    """A node id from an IRI, a CURIE, a label or an alternative label (case-insensitive)."""
    candidates = list(among) if among is not None else list(view.nodes)
    wanted = name.strip().lower()
    for node in candidates:
        data = view.nodes[node]
        names = {node.lower(), str(data.get("curie", "")).lower(), str(data.get("label", "")).lower()}
        names |= {str(v).lower() for key, values in data.items() if key.startswith("skos:altLabel")
                  for v in (values if isinstance(values, list) else [values])}
        names |= {str(v).lower() for v in data.get("skos:notation", [])}
        if wanted in names:
            return node
    raise SystemExit(f"no resource called {name!r}")
