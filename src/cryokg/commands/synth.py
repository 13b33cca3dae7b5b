"""Write a synthetic graph of a chosen size in the cryokg vocabulary, for benchmarks and scale tests.

The graph has many code families, region trees, deep nerve hierarchies, sourced (sometimes ambiguous) code
assignments and bundling rules, and conforms to the project's shapes. The same --seed and --triples always give
the same bytes. With --sources-dir it is laid out as a sources folder that `cryokg build --sources` reads.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "write a synthetic graph of about N triples (deterministic from --seed)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--triples", type=int, default=10_000, help="about how many triples (default: 10000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--shape", choices=("coding", "foreign"), default="coding",
                        help="coding: the coding graph alone (default); foreign: half of it plus an imported anatomy "
                             "of foreign IRIs with long literals (kilobyte definitions), mapped by skos:exactMatch")
    parser.add_argument("--out", type=Path, help="write the graph to FILE (.nt for N-Triples, .ttl for Turtle)")
    parser.add_argument("--sources-dir", type=Path,
                        help="also lay it out as a sources folder (vocabulary, shapes, queries, data/synth-*.ttl)")


def run(args: argparse.Namespace) -> int:
    from cryokg.errors import BadInput
    from cryokg.release.synth import generate_parts, write_graph, write_sources

    if args.out is None and args.sources_dir is None:
        raise BadInput("say where to write: --out FILE and/or --sources-dir FOLDER")
    if args.out is not None and args.out.suffix not in (".nt", ".ttl"):
        raise BadInput(f"{args.out}: the output name must end in .nt (N-Triples) or .ttl (Turtle)")
    parts = generate_parts(triples=args.triples, seed=args.seed, shape=args.shape)
    if args.out is not None:
        write_graph(parts.graph(), args.out)
        print(f"cryokg synth: wrote {len(parts)} triples ({len(parts.families)} code families) to {args.out}")
    if args.sources_dir is not None:
        files = write_sources(parts, args.sources_dir)
        print(f"cryokg synth: wrote a sources folder of {len(parts)} triples to {args.sources_dir} "
              f"({len(files)} data files)", file=sys.stdout)
    return 0
