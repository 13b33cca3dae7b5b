"""Run a SPARQL query: a named catalogue query, a .rq file, or query text given with --sparql.

Without --endpoint the query runs on the embedded store (the release, plus one named graph per source file);
with it, on any SPARQL 1.1 endpoint (W3C SPARQL Protocol, HTTP POST). Parameters declared in the query's
header are bound as SPARQL terms in a VALUES block at the start of the WHERE clause, never pasted as raw text. A malformed query
is reported with the parser's line and column (exit 2).

A query that names ``SERVICE`` (federated query: the engine connects to the host it names) is refused
(exit 2) unless --allow-service is given, and on the embedded store the query is evaluated in a thread that
the kernel forbids to open sockets (:mod:`cryokg.sandbox`), so nothing the text check misses can connect
either. With --endpoint the query is sent to that endpoint; SERVICE is then the endpoint's to evaluate, and
still refused without --allow-service.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from cryokg.answer.catalogue import QUERIES_DIR, CatalogueQuery, load_catalogue, parse_query_file, run_named
from cryokg.answer.result_formats import FORMATS, format_result
from cryokg.commands._common import add_store_arguments, engine_from
from cryokg.errors import BadInput
from cryokg.publish.sparql_client import EndpointEngine
from cryokg.sandbox import SandboxUnavailable, call_without_network

HELP = "run a named query, a .rq file or SPARQL text"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", nargs="?", metavar="NAME|FILE.rq", help="catalogue name or .rq file")
    parser.add_argument("--sparql", metavar="TEXT", help="query text to run instead of NAME or FILE")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="bind a declared parameter (repeatable)")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    parser.add_argument("--catalogue", type=Path, default=QUERIES_DIR, metavar="DIR",
                        help="folder of named .rq files (default: ontology/queries)")
    parser.add_argument("--allow-service", action="store_true",
                        help="allow SERVICE (federated query): the query then runs with network access and contacts "
                             "the hosts it names")
    add_store_arguments(parser, endpoint=True)


def _params(pairs: list[str]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise BadInput(f"--param {pair!r}: write KEY=VALUE")
        values[key.strip()] = value
    return values


def _select(args: argparse.Namespace) -> CatalogueQuery:
    if bool(args.query) == bool(args.sparql):
        raise BadInput("give exactly one of NAME, FILE.rq or --sparql TEXT")
    if args.sparql:
        return parse_query_file(Path("<--sparql>"), text=args.sparql, name="--sparql")
    path = Path(args.query)
    if args.query.endswith(".rq") or path.is_file():
        if not path.is_file():
            raise BadInput(f"{path}: query file not found")
        return parse_query_file(path)
    catalogue = load_catalogue(args.catalogue)
    if args.query not in catalogue:
        close = difflib.get_close_matches(args.query, list(catalogue), n=3)
        hint = f"; did you mean: {', '.join(close)}?" if close else "; `cryokg queries` lists them"
        raise BadInput(f"no query named {args.query!r}{hint}")
    return catalogue[args.query]


def _refuse_service(text: str) -> None:
    from cryokg.publish.web.security import Refused, service_check

    try:
        service_check(text)
    except Refused:
        raise BadInput("the query may use SERVICE (federated query), which makes the engine connect to other "
                       "hosts; pass --allow-service to allow that") from None


def run(args: argparse.Namespace) -> int:
    query = _select(args)
    values = _params(args.param)
    if not args.allow_service:
        _refuse_service(query.text)
    engine = engine_from(args)
    if args.allow_service or isinstance(engine, EndpointEngine):
        result = run_named(engine, query, values)
    else:
        try:
            result = call_without_network(run_named, engine, query, values)
        except SandboxUnavailable as exc:
            raise BadInput(f"cannot evaluate without network access here ({exc}); --allow-service runs the query "
                           "unguarded") from None
    sys.stdout.write(format_result(result, args.format))
    return 0
