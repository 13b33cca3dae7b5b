"""cryokg: a knowledge graph of the CPT codes for percutaneous cryoablation of nerves.

``cryokg.load()`` opens the built release (:mod:`cryokg.api`); the command line is :mod:`cryokg.cli`.
The package is laid out as the data flows: :mod:`cryokg.sources` (load ontology/) → :mod:`cryokg.check`
(SHACL) → :mod:`cryokg.release` (build and write) → :mod:`cryokg.answer` (read the release) →
:mod:`cryokg.publish` (serve and publish it), on top of :mod:`cryokg.rdf` (parsing and SPARQL text).
"""

from cryokg.version import __version__

__all__ = ["KnowledgeGraph", "__version__", "load"]


def __getattr__(name: str) -> object:
    """Lazy exports (PEP 562): ``import cryokg`` stays light; the API loads on first use."""
    if name in ("load", "KnowledgeGraph"):
        from cryokg import api

        return getattr(api, name)
    raise AttributeError(f"module 'cryokg' has no attribute {name!r}")
