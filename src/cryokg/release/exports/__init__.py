"""Graph exports of the release: GraphML, GEXF, node-link JSON, KGX TSV and plain CSV.

Every format is one :class:`~cryokg.release.exports.base.Exporter` (a ``name``, a ``description`` and
``write(graph, out_dir) -> list[Path]``) in the :data:`EXPORTERS` registry; all of them take the same networkx
view (:func:`cryokg.release.graphview.to_networkx`), so the RDF-to-graph mapping is decided once. Output is
byte-deterministic: sorted, no timestamps, stable ids. Importing this package does not import networkx.

>>> from cryokg.release.exports import EXPORTERS
>>> list(EXPORTERS)
['graphml', 'gexf', 'nodelink', 'kgx', 'csv']
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cryokg.errors import BadInput
from cryokg.release.exports.base import Exporter
from cryokg.release.exports.gexf import GEXFExporter
from cryokg.release.exports.graphml import GraphMLExporter
from cryokg.release.exports.kgx import KGXExporter
from cryokg.release.exports.nodelink import NodeLinkExporter
from cryokg.release.exports.tables import CSVExporter

if TYPE_CHECKING:
    import networkx as nx

    from cryokg.release.exports.records import GraphRecords

__all__ = ["EXPORTERS", "Exporter", "exporter", "write_exports"]

EXPORTERS: dict[str, Exporter] = {e.name: e for e in (GraphMLExporter(), GEXFExporter(), NodeLinkExporter(),
                                                      KGXExporter(), CSVExporter())}
"""Every format, by ``--format`` name, in the order ``cryokg export`` writes them."""


def exporter(name: str) -> Exporter:
    """The exporter called *name*; :class:`BadInput` naming the known formats otherwise."""
    try:
        return EXPORTERS[name]
    except KeyError:
        raise BadInput(f"unknown export format {name!r}; choose from {', '.join(EXPORTERS)}") from None


def write_exports(graph: nx.MultiDiGraph | GraphRecords, out_dir: Path,
                  formats: list[str] | None = None) -> dict[str, list[Path]]:
    """Write *graph* (a networkx view or its compact form) in each of *formats* (default: all) under *out_dir*;
    the paths written, per format."""
    chosen = [exporter(name) for name in (formats or list(EXPORTERS))]
    return {e.name: e.write(graph, Path(out_dir)) for e in chosen}
