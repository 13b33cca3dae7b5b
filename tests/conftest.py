"""Shared fixtures: the release assembled once per test session from the project's own sources."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings
from tests.strategies import QUICK_PROFILE

from cryokg.release.build import assemble
from cryokg.release.model import Release

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "ontology"


@pytest.fixture(scope="session")
def release() -> Release:
    """The project's release (loaded, checked, inferred, validated), built in memory once."""
    return assemble(SOURCES)


@pytest.fixture(scope="session")
def graph(release: Release):
    """The asserted graph of the release."""
    return release.asserted


settings.register_profile(QUICK_PROFILE)  # loaded by `scripts/run test --quick` (--hypothesis-profile=quick)

EXTERNAL_FIXTURES = {"server", "oxigraph", "virtuoso", "nginx", "apache", "page"}
"""Fixtures that start a program outside Python: a test using one is ``external`` (left out of ``--quick``)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if EXTERNAL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.external)


@pytest.fixture(autouse=True)
def known_terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """Text output wraps to the terminal's width (COLUMNS, else the real terminal's): tests read it at one known
    width, whatever runs them (a terminal, CI, a pytest-xdist worker). A test of the wrapping sets its own."""
    monkeypatch.setenv("COLUMNS", "120")
