"""Serve the release as linked data: a page and RDF documents for every IRI, a SPARQL endpoint, downloads.

Every IRI of the dataset dereferences under its path (``/id/...``, ``/def/...``) with content negotiation
(HTML, Turtle, JSON-LD, N-Triples, RDF/XML; ``?format=`` overrides Accept). ``/sparql`` is a read-only
SPARQL 1.1 Protocol endpoint with a time limit and a row limit; ``/.well-known/void`` describes the dataset;
``/release/<file>`` downloads the release files. Reads the release in --build (run `cryokg build` first).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from cryokg.errors import BadInput

HELP = "serve the release as linked data with a SPARQL endpoint (HTTP)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    parser.add_argument("--base-iri", default=None,
                        help="base IRI to serve the dataset under (default: the release's own, from manifest.json); "
                             "e.g. http://127.0.0.1:8000/ makes every IRI resolve to this server")
    parser.add_argument("--build", type=Path, default=Path("build"), help="release folder (default: build)")
    parser.add_argument("--timeout", type=float, default=10.0, help="SPARQL time limit in seconds (default: 10)")
    parser.add_argument("--max-rows", type=int, default=10_000, help="SPARQL row limit (default: 10000)")
    parser.add_argument("--max-body", type=int, default=1_000_000, help="request body limit in bytes (default: 1000000)")
    parser.add_argument("--workers", type=int, default=2, help="SPARQL worker processes (default: 2)")


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from cryokg.web.app import Settings, create_app
    except ImportError as exc:
        raise BadInput(f"the web extra is not installed ({exc.name}): pip install 'cryokg[web]'") from None
    if args.base_iri is not None and not args.base_iri.endswith("/"):
        raise BadInput("--base-iri must end with /")
    if not 0 < args.port < 65536:
        raise BadInput(f"--port must be between 1 and 65535, not {args.port}")
    if args.timeout <= 0 or args.max_rows <= 0 or args.max_body <= 0 or args.workers <= 0:
        raise BadInput("--timeout, --max-rows, --max-body and --workers must be positive")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = create_app(Settings(build_dir=args.build, base=args.base_iri, query_timeout=args.timeout,
                              max_rows=args.max_rows, max_body=args.max_body, workers=args.workers))
    uvicorn.run(app, host=args.host, port=args.port, log_level="info", server_header=False)
    return 0
