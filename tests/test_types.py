"""Type checks: mypy, with the project's settings (``[tool.mypy]`` in pyproject.toml), finds no error in CHECKED.

CHECKED is the whole package (``src/cryokg``, the ``files`` of ``[tool.mypy]``; issue 17, item 4). mypy runs
through its own API (``mypy.api.run``) in the repository root, so the settings and the paths in its messages are
the project's. mypy reads the modules
CHECKED imports for their types and may report errors there too: only errors inside CHECKED count here.

The same run checks that every module under :mod:`cryokg.commands` is a :class:`cryokg.cli.Command`, which
``cli.py`` takes on trust (``cast``) when it imports them by name.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mypy import api

from cryokg.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("src/cryokg",)
"""Packages and modules (paths from the repository root) that must stay free of mypy errors: all of them."""

_MESSAGE = re.compile(r"(?P<path>[^:]+):\d+(?::\d+)?: (?P<kind>error|note|warning): ")


def mypy_messages(*paths: str) -> tuple[list[tuple[str, str]], int]:
    """mypy's messages on *paths* as (path, line of the report), and its exit status (0 clean, 1 errors
    found, 2 mypy could not run: bad settings, a missing file, a crash). Call from the repository root."""
    stdout, stderr, status = api.run(["--config-file", str(ROOT / "pyproject.toml"), "--no-error-summary",
                                      "--show-error-codes", *paths])
    assert status != 2, f"mypy could not run:\n{stdout}{stderr}"
    messages = []
    for line in stdout.splitlines():
        match = _MESSAGE.match(line)
        if match:
            messages.append((match["path"], line))
    return messages, status


def inside(path: str, scope: tuple[str, ...]) -> bool:
    """Whether the file *path* (as mypy names it) is one of *scope* or lies in one of its folders."""
    file = Path(path)
    return any(file == Path(part) or Path(part) in file.parents for part in scope)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str]]:
    """One mypy run over CHECKED and a module that uses each command module as a ``Command``."""
    probe = tmp_path_factory.mktemp("types") / "command_modules.py"
    probe.write_text("from cryokg.cli import Command\n"
                     + "".join(f"import cryokg.commands.{name}\n" for name in COMMANDS)
                     + "commands: list[Command] = [\n"
                     + "".join(f"    cryokg.commands.{name},\n" for name in COMMANDS) + "]\n", encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        messages, _status = mypy_messages(*CHECKED, str(probe))
    return messages


def _errors(report: list[tuple[str, str]], scope: tuple[str, ...]) -> list[str]:
    """The lines of *report* about files in *scope* (errors with their notes), when there is an error."""
    lines = [line for path, line in report if inside(path, scope)]
    return lines if any(": error: " in line for line in lines) else []


def test_checked_modules_have_no_mypy_error(report: list[tuple[str, str]]) -> None:
    found = _errors(report, CHECKED)
    assert not found, f"mypy errors in {', '.join(CHECKED)}:\n" + "\n".join(found)


def test_every_command_module_is_a_command(report: list[tuple[str, str]]) -> None:
    found = [line for path, line in report if path.endswith("command_modules.py")]
    assert not any(": error: " in line for line in found), "\n".join(found)


@pytest.mark.slow  # a second mypy run
def test_an_error_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check itself: run and filtered as above, a module that breaks a type of a CHECKED module is reported."""
    (tmp_path / "broken.py").write_text("from cryokg.check.shacl.index import key_of\n\nkey_of(1)\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    messages, status = mypy_messages("broken.py")
    assert status == 1
    found = _errors(messages, ("broken.py",))
    assert any(line.startswith("broken.py:3: error: ") and "[arg-type]" in line for line in found), messages
