"""Export the release as a property graph (GraphML, GEXF, node-link JSON, KGX TSV, plain CSV) or as FHIR R4
terminology (CodeSystem, ValueSets, ConceptMaps and a Bundle of them; see cryokg.release.exports.fhir).

Reads the built release (``build/cryokg.nt``, or ``build/cryokg-inferred.ttl`` with --inferred) and writes
the chosen formats (default: all) under --out. One node per resource, one edge per object-property triple
(see cryokg.release.graphview); the same files ``cryokg build`` writes to build/exports/. Prints, per format, the
files written, the nodes and edges they hold (counted in the files), and the time taken.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

from rdflib import Graph

from cryokg.errors import BadInput
from cryokg.release.exports import EXPORTERS
from cryokg.release.exports.fhir import FHIRExporter

HELP = "export the release as GraphML, GEXF, node-link JSON, KGX TSV, CSV or FHIR R4 terminology"
FORMATS = [*EXPORTERS, FHIRExporter.name]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", action="append", choices=FORMATS, metavar="FORMAT", dest="formats",
                        help=f"format to write, repeatable: {', '.join(FORMATS)} (default: all)")
    parser.add_argument("--inferred", action="store_true",
                        help="export the inferred closure (asserted + OWL 2 RL entailments), not just the asserted graph "
                             "(FHIR is always written from the asserted graph)")
    parser.add_argument("--out", type=Path, default=Path("exports"), metavar="DIR", help="output folder (default: exports)")
    parser.add_argument("--release", type=Path, default=Path("build"), metavar="DIR",
                        help="release folder written by `cryokg build` (default: build)")


def load_release_graph(release: Path, *, inferred: bool) -> tuple[Graph, Graph, str]:
    """(graph to export, asserted graph, base IRI) read from a built release folder."""
    from cryokg.namespaces import DEFAULT_BASE
    from cryokg.sources.load import parse_turtle

    asserted_path = release / "cryokg.nt"
    if not asserted_path.is_file():
        raise BadInput(f"{asserted_path} not found: run `cryokg build` first (or pass --release DIR)")
    base = DEFAULT_BASE
    manifest = release / "manifest.json"
    if manifest.is_file():
        base = json.loads(manifest.read_text(encoding="utf-8")).get("base_iri", DEFAULT_BASE)
    asserted = Graph()
    for triple in parse_turtle(asserted_path):
        asserted.add(triple)
    if not inferred:
        return asserted, asserted, base
    inferred_path = release / "cryokg-inferred.ttl"
    if not inferred_path.is_file():
        raise BadInput(f"{inferred_path} not found: rebuild the release with `cryokg build`")
    closure = Graph()
    for triple in parse_turtle(inferred_path):
        closure.add(triple)
    return closure, asserted, base


def release_version(release: Path) -> str:
    """The version the release's manifest names (the package version when there is no manifest)."""
    from cryokg.version import __version__

    manifest = release / "manifest.json"
    if manifest.is_file():
        return str(json.loads(manifest.read_text(encoding="utf-8")).get("version", __version__))
    return __version__


def count_written(paths: list[Path]) -> tuple[int, int]:
    """(nodes, edges) held by the files of one format, counted in the files themselves."""
    nodes = edges = 0
    for path in paths:
        if path.suffix in (".graphml", ".gexf"):
            text = path.read_text(encoding="utf-8")
            nodes += text.count("<node ")
            edges += text.count("<edge ")
        elif path.suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            nodes += len(data["nodes"])
            edges += len(data["edges"])
        elif path.suffix in (".tsv", ".csv"):
            with path.open(encoding="utf-8", newline="") as handle:
                lines = handle if path.suffix == ".tsv" else csv.reader(handle)  # KGX TSV is unquoted
                rows = sum(1 for _ in lines) - 1
            if path.stem == "nodes":
                nodes += rows
            else:
                edges += rows
    return nodes, edges


def run(args: argparse.Namespace) -> int:
    from cryokg.namespaces import prefixes_for
    from cryokg.release.graphview import to_networkx

    start = time.perf_counter()
    graph, asserted, base = load_release_graph(args.release, inferred=args.inferred)
    view = to_networkx(graph, prefixes=prefixes_for(base), asserted=asserted)
    loaded = time.perf_counter() - start
    what = "asserted + inferred" if args.inferred else "asserted"
    print(f"cryokg export: {view.number_of_nodes()} nodes, {view.number_of_edges()} edges ({what}) "
          f"from {args.release}/ in {loaded:.2f} s")
    total = loaded
    for name in args.formats or FORMATS:
        began = time.perf_counter()
        if name == FHIRExporter.name:
            paths = FHIRExporter().write(asserted, args.out, base=base, version=release_version(args.release))
            took = time.perf_counter() - began
            total += took
            bundle = json.loads(next(p for p in paths if p.name == "bundle.json").read_text(encoding="utf-8"))
            concepts = sum(len(e["resource"].get("concept", [])) for e in bundle["entry"])
            print(f"  {name:<9} {len(bundle['entry']):>6} resources {concepts:>5} concepts  {took:6.2f} s  "
                  f"{', '.join(str(p) for p in paths)}")
            continue
        paths = EXPORTERS[name].write(view, args.out)
        took = time.perf_counter() - began
        total += took
        nodes, edges = count_written(paths)
        files = ", ".join(str(p) for p in paths)
        print(f"  {name:<9} {nodes:>6} nodes {edges:>7} edges  {took:6.2f} s  {files}")
    print(f"total {total:.2f} s")
    return 0

