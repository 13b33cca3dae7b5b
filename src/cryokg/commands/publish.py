"""Load the release into a SPARQL 1.1 triple store (Graph Store Protocol PUT) and verify what it serves.

The named graph (default: the dataset IRI, <base>id/dataset/cryokg) is replaced, not appended to.
Verification compares the graph's triple count and content (read back through the graph store) with the
release, then runs every catalogue query on the server and on the embedded store. Exit 0 when loaded and
verified, 1 when the server's graph or any catalogue answer differs, 2 for bad input, an unreachable server
or a refused request. An answer that differs although the served graph is identical is the server engine's
doing: it is reported as ENGINE and fails too, unless --lenient (then only the data decides the exit
status). Queries that depend on named graphs (GRAPH, FROM) cannot be compared and are skipped.

Examples:
  cryokg publish --endpoint http://127.0.0.1:7878                       (Oxigraph server, detected)
  cryokg publish --endpoint http://127.0.0.1:8890/sparql --user dba --password dba     (Virtuoso)
  cryokg publish --server generic --endpoint http://host:3030/ds/query --store http://host:3030/ds/data

The password may come from the environment variable CRYOKG_PASSWORD instead of --password, which keeps it
out of the process list.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from cryokg.errors import BadInput

if TYPE_CHECKING:
    from cryokg.publish.triplestore import Verification

HELP = "load the release into a SPARQL triple store and verify it there"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--endpoint", required=True, metavar="URL",
                        help="the server's SPARQL query endpoint, or its root URL")
    parser.add_argument("--graph", metavar="IRI",
                        help="named graph to replace (default: the dataset IRI, <base>id/dataset/cryokg)")
    parser.add_argument("--user", metavar="U", help="account for the graph store")
    parser.add_argument("--password", metavar="P", help="its password (or set CRYOKG_PASSWORD)")
    parser.add_argument("--server", choices=("auto", "oxigraph", "virtuoso", "generic"), default="auto",
                        help="URL layout of the server (default: auto, from its Server header)")
    parser.add_argument("--store", metavar="URL",
                        help="Graph Store Protocol endpoint, when it is not where the preset puts it")
    parser.add_argument("--graph-param", metavar="NAME",
                        help="query parameter naming the graph on --store (default: graph; Virtuoso: graph-uri)")
    parser.add_argument("--auth", choices=("auto", "digest", "basic"),
                        help="HTTP authentication (default: whatever the server asks for; Virtuoso: digest)")
    parser.add_argument("--release", type=Path, default=Path("build"), metavar="PATH",
                        help="release folder or file, .nt or .ttl (default: build, which holds cryokg.nt)")
    parser.add_argument("--queries", type=Path, metavar="DIR",
                        help="catalogue queries to verify with (default: the project's ontology/queries)")
    parser.add_argument("--chunk-triples", type=int, default=100_000, metavar="N",
                        help="send an N-Triples release in requests of at most N triples: the first replaces the "
                             "graph (PUT), the others add to it (POST), so memory stays flat (default: 100000)")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="S",
                        help="seconds to wait for each answer (default: 60)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--no-verify", action="store_true", help="load only")
    mode.add_argument("--verify-only", action="store_true", help="verify a graph loaded earlier; load nothing")
    parser.add_argument("--lenient", action="store_true",
                        help="exit 0 even when the server's SPARQL engine answers a catalogue query differently "
                             "although it holds exactly the release (the deviations are still printed)")
    parser.add_argument("--quiet", "-q", action="store_true", help="print only mismatches and errors")


def run(args: argparse.Namespace) -> int:
    from cryokg.publish import triplestore as publish

    password = args.password if args.password is not None else os.environ.get("CRYOKG_PASSWORD")
    if args.user is None and args.password is not None:
        raise BadInput("--password needs --user")
    if args.user is not None and password is None:
        raise BadInput("--user needs --password (or the environment variable CRYOKG_PASSWORD)")
    if args.timeout <= 0:
        raise BadInput("--timeout must be a positive number of seconds")
    if args.chunk_triples <= 0:
        raise BadInput("--chunk-triples must be a positive number")
    release = publish.read_release(args.release)
    graph = args.graph or publish.default_graph(args.release)
    auth = args.auth or (publish.PRESETS[args.server].auth if args.server in publish.PRESETS else "auto")
    say = (lambda *_: None) if args.quiet else print
    with publish.connect(user=args.user, password=password if args.user else None, auth=auth,
                 timeout=args.timeout) as client:
        target = publish.resolve_target(client, args.endpoint, graph=graph, server=args.server, store=args.store,
                                graph_param=args.graph_param)
        server = target.server + (f", detected from Server: {target.detected_from}" if target.detected_from else "")
        if not args.verify_only:
            status = publish.put_graph(client, target, release, chunk_triples=args.chunk_triples)
            say(f"cryokg publish: loaded {release.triples} triples from {release.path} into <{target.graph}>"
                + (f" in chunks of {args.chunk_triples}" if release.triples > args.chunk_triples else ""))
            say(f"  graph store     {target.store_url} ({server}; HTTP {status})")
        else:
            say(f"cryokg publish: verifying <{target.graph}> against {release.path} (nothing loaded)")
        say(f"  query endpoint  {target.query_url}")
        if args.no_verify:
            return 0
        engine = publish.local_engine(release)
        queries = publish.catalogue_queries(engine, args.queries)
        whole = release.triples <= publish.CONTENT_CHECK_TRIPLES
        outcome = publish.verify(client, target, expected_triples=release.triples, catalogue=queries,
                                 run_local=engine.query, release_triples=release.graph() if whole else None)
        if not whole:
            outcome.content_note = (f"the release has {release.triples} triples, more than the "
                                    f"{publish.CONTENT_CHECK_TRIPLES} read back whole; the count and the catalogue "
                                    "queries were checked")
    return _report(outcome, target.graph, lenient=args.lenient, say=say)


def _report(outcome: Verification, graph: str, *, lenient: bool, say: Callable[..., object]) -> int:
    """Print the verification; 0 when it passed, 1 when the server's graph or answers differ."""
    mark = "=" if outcome.counts_match else "!="
    say(f"triples in the graph: {outcome.served_triples} {mark} {outcome.expected_triples} in the release")
    if outcome.content_difference is not None:
        print(f"  DIFFERENT content of <{graph}>: {outcome.content_difference}")
    elif outcome.content_checked:
        say("content: every triple of the release is served, and nothing else")
    elif outcome.content_note:
        say(f"content: only partly checked: {outcome.content_note}")
    labels = {"different": "DIFFERENT", "engine": "ENGINE   ", "skipped": "skipped  "}
    for check in outcome.checks:
        if check.outcome in ("different", "engine"):
            print(f"  {labels[check.outcome]} {check.name}: {check.detail}")
        elif check.outcome in labels:
            say(f"  {labels[check.outcome]} {check.name}: {check.detail}")
    summary = (f"catalogue queries: {outcome.tally('same')} same answers, {outcome.tally('different')} different, "
               f"{outcome.tally('engine')} engine deviations, {outcome.tally('skipped')} skipped "
               f"(of {len(outcome.checks)})")
    if outcome.ok(lenient=lenient):
        say(summary)
        if outcome.tally("engine"):
            say("  (ENGINE: the served graph is identical to the release, yet the server's SPARQL engine answers "
                "these queries differently from the embedded store; passed only because of --lenient)")
        say("verified: the server serves the release")
        return 0
    print(summary)
    if not outcome.data_match:
        why = "the server's graph differs from the release"
    elif outcome.tally("different"):
        why = "the server answers catalogue queries differently"
    else:
        why = ("the server's SPARQL engine answers catalogue queries differently although it holds exactly "
               "the release (--lenient lets that pass)")
    print(f"not verified: {why}")
    return 1
