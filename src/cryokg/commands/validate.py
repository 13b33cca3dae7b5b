"""Validate sources against the SHACL shapes and print the report.

PATH may be a file or a folder, and may be given several times (default: the project's ontology/):

- a folder is searched like ontology/ (*.ttl, vocab/*.ttl, data/*.ttl, mappings/*.sssom.tsv) and its
  shapes/ folder (or shapes.ttl) supplies the shapes;
- a file is a data file, unless it holds shapes: it is named shapes.ttl or *.shapes.ttl, or declares a
  sh:NodeShape / sh:PropertyShape;
- when no PATH supplies shapes, the shapes of the project's ontology/shapes/ are used.

--shapes FILE (repeatable) gives the roles explicitly: every PATH is then data and the shapes are exactly the
--shapes files, so one file may be both (as in the W3C SHACL test suite).

Data files are parsed strictly but not cross-checked, so an undescribed IRI shows up as a SHACL result. The
shapes themselves are first checked against SHACL-for-SHACL.

Exit status: 0 conforms, 1 at least one Violation (or Warning, with --strict), 2 bad input (a path that does
not exist, a file that does not parse, shapes that are not valid SHACL).

Examples:
  cryokg validate
  cryokg validate ontology/data/anatomy.ttl ontology/vocab --format json
  cryokg validate my-data.ttl my-rules.shapes.ttl --strict
  cryokg validate test.ttl --shapes test.ttl   # one file holding data and shapes
  cryokg validate --engine pyshacl        # the reference engine, e.g. to cross-check a result
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "validate sources against the SHACL shapes"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                        help="data or shapes files, or sources folders (default: ontology/)")
    parser.add_argument("--shapes", action="append", type=Path, metavar="FILE",
                        help="a shapes file (repeatable); with it every PATH is data, and only these are shapes")
    parser.add_argument("--format", choices=("text", "json", "turtle"), default="text",
                        help="report format: text grouped by focus node (default), json, or the Turtle "
                             "sh:ValidationReport")
    parser.add_argument("--strict", action="store_true", help="fail (exit 1) on warnings too")
    parser.add_argument("--engine", choices=("auto", "cryokg", "pyshacl"), default="auto",
                        help="SHACL engine: cryokg's own (fast; the default unless the shapes use a feature it "
                             "does not evaluate) or pyshacl (the reference); both give the same results")


def run(args: argparse.Namespace) -> int:
    from cryokg.check.report import write_report
    from cryokg.check.validation import validate_paths

    _sources, outcome = validate_paths(args.paths or None, shapes=args.shapes, engine=args.engine)
    write_report(outcome, sys.stdout, fmt=args.format)
    return 0 if outcome.passes(strict=args.strict) else 1
