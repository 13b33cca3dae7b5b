"""The release in memory: what a build assembled and every writer, export and diagram reads.

Kept apart from :mod:`cryokg.release.build` so that the writers (exports, diagrams, the networkx view) can name
the type without importing the build that calls them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import Graph

from cryokg.namespaces import DEFAULT_BASE, prefixes_for
from cryokg.sources.load import SourceSet
from cryokg.version import __version__

__all__ = ["Release"]


@dataclass
class Release:
    """Everything the writers need: the asserted graph, its inferred closure, and where it came from."""

    asserted: Graph
    inferred: Graph
    sources: SourceSet
    base: str = DEFAULT_BASE
    version: str = __version__
    validation: object | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def prefixes(self) -> dict[str, str]:
        return prefixes_for(self.base)
