"""The build's hooks for graph exports and diagrams: writers for :data:`cryokg.release.build.ARTIFACTS`.

Each takes the release and the staging folder and returns the file names it wrote, relative to that folder
(``exports/cryokg.graphml``, ``diagrams/family.svg`` ...), which the manifest and VoID then list. networkx and
the diagram code are imported inside the functions, so importing :mod:`cryokg.release.build` stays light.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryokg.release.exports.records import GraphRecords
    from cryokg.release.model import Release

__all__ = ["DIAGRAMS_DIR", "EXPORTS_DIR", "diagram_artifacts", "export_artifacts", "release_view"]

EXPORTS_DIR = "exports"
DIAGRAMS_DIR = "diagrams"


def _names(paths: list[Path], out: Path) -> list[str]:
    return [path.relative_to(out).as_posix() for path in paths]


def release_view(release: Release, out: Path) -> GraphRecords:
    """The graph view of the asserted release, read from the ``cryokg.nt`` already written in *out* (a build writes
    it first), else sorted from the release graph."""
    from cryokg.release.exports.records import GraphRecords
    from cryokg.release.writers import Canonical, canonical

    written = Path(out) / "cryokg.nt"
    lines = Canonical.from_file(written) if written.is_file() else canonical(release.asserted)
    return GraphRecords.from_canonical(lines, prefixes=release.prefixes)


def export_artifacts(release: Release, out: Path) -> list[str]:
    """Every export format of the asserted release under ``<out>/exports/`` (FHIR under ``exports/fhir/``),
    streamed from a compact view of the sorted ``cryokg.nt`` written before them
    (:class:`cryokg.release.exports.records.GraphRecords`)."""
    from cryokg.release.exports import write_exports
    from cryokg.release.exports.fhir import write_fhir

    written = write_exports(release_view(release, out), Path(out) / EXPORTS_DIR)
    fhir = write_fhir(release.asserted, Path(out) / EXPORTS_DIR, base=release.base, version=release.version)
    return _names([path for paths in written.values() for path in paths] + fhir, Path(out))


def diagram_artifacts(release: Release, out: Path) -> list[str]:
    """The SVG diagrams under ``<out>/diagrams/`` (needs Graphviz ``dot``; BadInput when it is missing)."""
    from cryokg.release.diagrams import write_diagrams

    return _names(write_diagrams(release.asserted, Path(out) / DIAGRAMS_DIR, base=release.base), Path(out))
