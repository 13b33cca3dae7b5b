"""Export the release as a static linked-data site: one file per resource and format, plus rewrite rules.

Writes HTML, Turtle, JSON-LD, N-Triples and RDF/XML for every IRI of the dataset, the home page, a 404 page,
the release files under release/, and the content-negotiation rules for Apache (.htaccess with type maps)
and nginx (nginx/cryokg-http.conf and nginx/cryokg-server.conf), so any static host can publish the dataset.
"""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "export the linked-data pages and RDF documents as a static site with Apache/nginx rules"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True, help="output folder (new or empty)")
    parser.add_argument("--build", type=Path, default=Path("build"), help="release folder (default: build)")
    parser.add_argument("--base-iri", default=None,
                        help="base IRI the site is published under (default: the release's own)")
    parser.add_argument("--quiet", "-q", action="store_true", help="print nothing on success")


def run(args: argparse.Namespace) -> int:
    from cryokg.errors import BadInput
    from cryokg.publish.site import export_site

    if args.base_iri is not None and not args.base_iri.endswith("/"):
        raise BadInput("--base-iri must end with /")
    result = export_site(args.build, args.out, base=args.base_iri)
    if not args.quiet:
        print(f"cryokg site: {result.resources} resources, {result.files} documents written to {result.out}")
        for iri in result.skipped:
            print(f"  skipped (IRI path is not a safe file name): {iri}")
    return 0
