"""Options and helpers shared by the query-side commands (query, suggest, compare, describe)."""

from __future__ import annotations

import argparse
from pathlib import Path

from cryokg.answer.store import Engine, open_engine
from cryokg.sources.load import DEFAULT_SOURCES

__all__ = ["add_store_arguments", "engine_from", "wrap"]


def add_store_arguments(parser: argparse.ArgumentParser, *, endpoint: bool = False) -> None:
    """``--release`` and ``--sources`` (the embedded store), plus ``--endpoint`` where a command supports it."""
    parser.add_argument("--release", type=Path, default=Path("build"), metavar="DIR",
                        help="release folder whose cryokg.nt the embedded store loads when fresh (default: build)")
    parser.add_argument("--sources", type=Path, default=DEFAULT_SOURCES, metavar="DIR",
                        help="sources folder, used when the release is missing or older (default: ontology/)")
    if endpoint:
        parser.add_argument("--endpoint", metavar="URL",
                            help="run against this SPARQL 1.1 endpoint instead of the embedded store")


def engine_from(args: argparse.Namespace) -> Engine:
    """The remote endpoint of ``--endpoint`` when given, else the embedded store."""
    endpoint = getattr(args, "endpoint", None)
    if endpoint:
        from cryokg.publish.sparql_client import EndpointEngine

        return EndpointEngine(endpoint)
    return open_engine(release=args.release, sources=args.sources)


def wrap(text: str, width: int = 100, indent: str = "    ") -> str:
    """*text* wrapped for a terminal, every line indented."""
    import textwrap

    return textwrap.fill(" ".join(text.split()), width=width, initial_indent=indent, subsequent_indent=indent)
