"""Options and helpers shared by the query-side commands (query, suggest, compare, describe, check)."""

from __future__ import annotations

import argparse
import shutil
import textwrap
from collections.abc import Sequence
from pathlib import Path

from cryokg.answer.store import Engine, open_engine
from cryokg.sources.load import DEFAULT_SOURCES

__all__ = ["add_store_arguments", "engine_from", "print_sources", "table", "terminal_width", "wrap"]


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


def terminal_width() -> int:
    """The width to lay text out in: the terminal's (``COLUMNS`` when set), 100 when there is none, at least 60."""
    return max(60, shutil.get_terminal_size((100, 24)).columns)


def wrap(text: str, indent: str = "    ", *, subsequent: str | None = None, width: int | None = None) -> str:
    """*text* wrapped to the terminal's width, the first line indented by *indent*, the others by
    *subsequent* (default: as many spaces as *indent* is wide)."""
    rest = " " * len(indent) if subsequent is None else subsequent
    return textwrap.fill(" ".join(text.split()), width=width or terminal_width(), initial_indent=indent,
                         subsequent_indent=rest, break_on_hyphens=False, break_long_words=True)


def table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]], *, indent: str = "") -> list[str]:
    """Rows laid out in aligned columns that fit the terminal: a cell too wide for its column is wrapped over
    several lines, never cut."""
    count = len(header)
    natural = [max(len(str(r[i])) for r in [header, *rows]) for i in range(count)]
    room = terminal_width() - len(indent) - 2 * (count - 1)
    widths = list(natural)
    while sum(widths) > room:  # narrow the widest columns, evenly, until the row fits (none below 12)
        top = max(widths)
        ties = [i for i, w in enumerate(widths) if w == top]
        below = max((w for w in widths if w < top), default=12)
        excess = sum(widths) - room
        target = max(12, below, top - -(-excess // len(ties)))
        if target >= top:
            break
        for i in ties:
            widths[i] = target
    lines = []
    for number, row in enumerate([header, *rows]):
        cells = [textwrap.wrap(" ".join(str(c).split()), width=w, break_on_hyphens=False) or [""]
                 for c, w in zip(row, widths, strict=True)]
        for k in range(max(len(c) for c in cells)):
            parts = [(c[k] if k < len(c) else "").ljust(w) for c, w in zip(cells, widths, strict=True)]
            lines.append((indent + "  ".join(parts)).rstrip())
        if number == 0:
            lines.append(indent + "  ".join("-" * w for w in widths))
    return lines


def print_sources(urls: list[str], titles: dict[str, str], *, heading: str = "sources:") -> dict[str, int]:
    """Number the sources, print each by its title with its address under it, and return the numbers."""
    number = {url: i for i, url in enumerate(urls, start=1)}
    if urls:
        print(heading)
    for url, i in number.items():
        title = titles.get(url)
        if title:
            print(wrap(title, indent=f"  [{i}] "))
            print(f"{' ' * (len(str(i)) + 5)}{url}")
        else:
            print(f"  [{i}] {url}")
    return number
