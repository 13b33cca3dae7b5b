"""Build the release: load ontology/, infer (OWL 2 RL), validate (SHACL), write build/ atomically.

Prints a short summary: triples, resources per class, validation result, files. Nothing in the output
folder changes unless the whole build succeeds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from cryokg.namespaces import DEFAULT_BASE
from cryokg.sources.load import DEFAULT_SOURCES

HELP = "build, validate and write the release into build/"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("build"), help="output folder (default: build)")
    parser.add_argument("--sources", type=Path, default=DEFAULT_SOURCES,
                        help="sources folder (default: the project's ontology/)")
    parser.add_argument("--base-iri", default=DEFAULT_BASE, help=f"base IRI (default: {DEFAULT_BASE})")
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing on success")
    parser.add_argument("--verbose", "-v", action="store_true", help="print each stage on stderr as it starts")


def _print_stage(stage: str) -> None:
    print(f"cryokg build: {stage}", file=sys.stderr, flush=True)


def _quiet(_stage: str) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    from cryokg.check.report import print_validation
    from cryokg.check.validation import ValidationFailed
    from cryokg.release.build import build, class_counts

    if not args.base_iri.endswith(("/", "#")):
        print("cryokg build: error: --base-iri must end with / or #", file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        result = build(args.sources, args.out, base=args.base_iri,
                       progress=_print_stage if args.verbose else _quiet)
    except ValidationFailed as failed:
        print_validation(failed.outcome, sys.stderr)
        print(f"cryokg build: validation failed: {failed.outcome.summary()}; {args.out}/ left untouched",
              file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - start
    if args.quiet:
        return 0
    release, manifest = result.release, result.manifest
    print(f"cryokg {release.version}: built {args.out}/ from {args.sources} "
          f"({len(release.sources.files)} source files) in {elapsed:.2f} s")
    print(f"triples: {manifest['triples']['asserted']} asserted, {manifest['triples']['inferred']} with inferences")
    print("resources per class:")
    for name, count in class_counts(release.asserted, release.prefixes):
        if name.startswith("cryo:"):
            print(f"  {name:<28} {count:>5}")
    print(f"validation: {release.validation.summary() if release.validation else 'skipped'}")
    print("files:")
    for name, info in manifest["files"].items():
        print(f"  {name:<28} {info['bytes']:>9} bytes  sha256 {info['sha256'][:12]}")
    return 0
