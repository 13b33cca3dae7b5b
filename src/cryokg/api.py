"""The Python entry point: :func:`load` opens a built release and answers the questions the CLI answers.

Readers of the release (scripts, notebooks) should not have to know which module holds the store, the
matcher or the claim checker; this facade is the one documented way in, and it reads only the release (never
the hand-authored sources), so what a script sees is what was validated.

>>> import cryokg
>>> kg = cryokg.load()
>>> kg.suggest("radial nerve")["codes"]
['0440T']
>>> [a["codes"] for a in kg.suggest("RFA of the ulnar and median nerves")["answers"]]
[['64640'], ['64640']]
>>> [f.rule for f in kg.check(["64624"], site="radial nerve").findings]
['cryosh:SiteOutsideCodeScope']
>>> [s.mention.text for s in kg.read_note("Cryoneurolysis of the IPBSN, right knee").sites]
['IPBSN']
>>> kg.query("ASK { ?s ?p ?o }").boolean
True
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from cryokg.errors import BadInput

if TYPE_CHECKING:
    import networkx as nx
    from rdflib import Graph

    from cryokg.answer.claims import ClaimReport
    from cryokg.answer.note_reading import NoteReading
    from cryokg.answer.store import OxigraphEngine, QueryResult

__all__ = ["KnowledgeGraph", "load"]


@dataclass
class KnowledgeGraph:
    """A built release opened for reading. Create it with :func:`load`."""

    release: Path

    @cached_property
    def engine(self) -> OxigraphEngine:
        """The embedded SPARQL store (pyoxigraph) holding the release."""
        from cryokg.answer.store import load_store

        return load_store(release=self.release, sources=None).engine

    @cached_property
    def graph(self) -> Graph:
        """The asserted release as an rdflib ``Graph`` (parsed from ``cryokg.nt``)."""
        from rdflib import Graph

        from cryokg.rdf.parsing import parse_rdf

        path = self.release / "cryokg.nt"
        graph = Graph()
        graph.addN((s, p, o, graph) for s, p, o in parse_rdf(path.read_bytes(), fmt="ntriples", name=str(path)))
        return graph

    def query(self, sparql: str) -> QueryResult:
        """Run a SPARQL 1.1 query on the release."""
        return self.engine.query(sparql)

    def suggest(self, text: str, *, technique: str | None = None, approach: str | None = None) -> dict:
        """The answer of ``cryokg suggest TEXT --json``: TEXT is a site's name or a sentence of a note; one answer
        per site named is in ``answers``. *technique* and *approach* override what the text says."""
        from cryokg.answer.code_selection import suggest

        return suggest(self.engine, text, technique=technique, approach=approach).to_json()

    def read_note(self, text: str) -> NoteReading:
        """What a name or a procedure note says: per site mention, the structures, technique, approach, side,
        regions, levels and the text span (:mod:`cryokg.answer.note_reading`)."""
        from cryokg.answer.note_reading import read_note

        return read_note(self.engine, text)

    def check(self, codes: list[str], *, site: str | None = None, technique: str | None = None) -> ClaimReport:
        """The findings of ``cryokg check CODE... [--site SITE] [--technique T]``."""
        from cryokg.answer.claims import check_claim

        return check_claim(codes, site=site, technique=technique, graph=self.graph)

    def to_networkx(self, *, inferred: bool = False) -> nx.MultiDiGraph:
        """The release as a networkx ``MultiDiGraph`` (``inferred=True``: with its OWL 2 RL entailments)."""
        from cryokg.release.graphview import to_networkx

        return to_networkx(self.graph, inferred=inferred)


def load(release: str | Path = "build") -> KnowledgeGraph:
    """Open the release built into *release* (default ``build/``; run ``cryokg build`` first)."""
    folder = Path(release)
    if not (folder / "cryokg.nt").is_file():
        raise BadInput(f"no release at {folder}: run `cryokg build` first")
    return KnowledgeGraph(folder)
