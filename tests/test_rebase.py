"""One rebasing rule (:mod:`cryokg.rdf.rebase`): a release built under another base IRI holds exactly the triples
the server shows when it serves the default release under that base."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from tests.conftest import SOURCES

from cryokg.namespaces import DEFAULT_BASE
from cryokg.publish.web.data import load_release_store
from cryokg.release.build import build

OTHER = "http://127.0.0.1:8765/"


def _default_graph(store: ox.Store) -> set[str]:
    quads = store.quads_for_pattern(None, None, None, ox.DefaultGraph())
    return {str(ox.Triple(q.subject, q.predicate, q.object)) for q in quads}


@pytest.mark.slow  # a build and a server at another base
def test_build_and_serve_rebase_alike(tmp_path: Path) -> None:
    default, moved = tmp_path / "default", tmp_path / "moved"
    build(SOURCES, default)
    build(SOURCES, moved, base=OTHER)
    served = _default_graph(load_release_store(default, OTHER))
    built = _default_graph(load_release_store(moved))
    assert served == built
    assert not any(DEFAULT_BASE in triple for triple in built), "a term still names the old base"
    assert any(f'"{OTHER}' in triple for triple in built), "literals that spell an IRI move too"
