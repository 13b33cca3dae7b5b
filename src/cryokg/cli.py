"""The ``cryokg`` command line: parses arguments, calls the library, maps errors to exit codes.

Exit codes: 0 success, 1 the data does not conform (or a check found violations), 2 bad input or usage.
Each sub-command lives in its own module under :mod:`cryokg.commands`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn, Protocol, cast

from cryokg.errors import BadInput
from cryokg.version import __version__

__all__ = ["COMMANDS", "Command", "main"]

COMMANDS = (
    "build",
    "validate",
    "check",
    "claim",
    "queries",
    "query",
    "suggest",
    "compare",
    "describe",
    "export",
    "publish",
    "synth",
    "serve",
    "site",
)
"""Sub-command modules under ``cryokg.commands``, in the order ``--help`` lists them."""


class Command(Protocol):
    """What each module under :mod:`cryokg.commands` defines."""

    HELP: str
    """The one-line help ``cryokg --help`` lists."""

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse exits 2 on usage errors, as we want
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _parser() -> tuple[argparse.ArgumentParser, dict[str, Command]]:
    parser = _Parser(prog="cryokg", description="Build, check, query and publish the cryokg knowledge graph.")
    parser.add_argument("--version", action="version", version=f"cryokg {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    modules: dict[str, Command] = {}
    for name in COMMANDS:
        module = cast(Command, importlib.import_module(f"cryokg.commands.{name}"))  # checked: tests/test_types.py
        command = sub.add_parser(name, help=module.HELP, description=module.__doc__)
        module.add_arguments(command)
        modules[name] = module
    return parser, modules


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cryokg`` command."""
    parser, modules = _parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        return int(modules[args.command].run(args) or 0)
    except BadInput as exc:
        print(f"cryokg {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
