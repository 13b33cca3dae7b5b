"""The release in memory: what a build assembled and every writer, export and diagram reads.

Kept apart from :mod:`cryokg.release.build` so that the writers (exports, diagrams, the networkx view) can name
the type without importing the build that calls them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import pyoxigraph as ox
from rdflib import Graph

from cryokg.namespaces import DEFAULT_BASE, prefixes_for
from cryokg.sources.load import SourceSet
from cryokg.version import __version__

if TYPE_CHECKING:
    from cryokg.check.validation import ValidationOutcome

__all__ = ["Release"]


@dataclass
class Release:
    """Everything the writers need: the asserted graph, its entailments, and where it came from.

    ``store`` is the primary store: the asserted graph (under the release's base) as pyoxigraph terms in its
    default graph, which the RDF writers read. ``inferred`` (asserted plus entailed, as one rdflib graph) is made
    only when something asks for it (``cryokg export --inferred``): the build writes the closure by merging the
    two sorted (:mod:`cryokg.release.writers`)."""

    asserted: Graph
    entailed: Graph
    sources: SourceSet
    store: ox.Store
    base: str = DEFAULT_BASE
    version: str = __version__
    validation: ValidationOutcome | None = None
    timings: dict[str, float] = field(default_factory=dict)
    entailed_triples: list[ox.Triple] = field(default_factory=list)
    """The entailments as pyoxigraph terms (what the writers sort)."""

    @property
    def prefixes(self) -> dict[str, str]:
        return prefixes_for(self.base)

    @cached_property
    def inferred(self) -> Graph:
        """The asserted triples plus their entailments, as one rdflib graph."""
        closure = Graph()
        closure.addN((s, p, o, closure) for s, p, o in self.asserted)
        closure.addN((s, p, o, closure) for s, p, o in self.entailed)
        return closure

    @property
    def inferred_count(self) -> int:
        """Triples in the inferred closure (the entailments are never asserted triples: see
        :func:`cryokg.release.reasoning.entailments`)."""
        return len(self.asserted) + len(self.entailed)
