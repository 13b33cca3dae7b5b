"""Fixtures of the web tests: a release built into a temporary folder, the app on it, a live server.

The release is built by :func:`cryokg.release.build` like ``cryokg build`` does. While the sources are being
written and do not validate yet, the same writers run on the unvalidated graph instead (with a warning), so
the web layer can still be tested; the build's own tests are the gate on validation.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph
from tests.web.live import serving

from cryokg.errors import BadInput
from cryokg.release import build as rel

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "ontology"


def write_release(out: Path) -> Path:
    """Build the project's release into *out* (falling back to an unvalidated release, see module doc)."""
    try:
        rel.build(SOURCES, out)
        return out
    except Exception as exc:
        warnings.warn(f"release does not build cleanly ({str(exc)[:200]}); testing on an unvalidated release",
                      stacklevel=1)
    release = rel.assemble(SOURCES, validate=False)
    out.mkdir(parents=True, exist_ok=True)
    names: list[str] = []
    for artifact in rel.ARTIFACTS:
        try:
            names.extend(artifact(release, out))
        except BadInput as exc:
            warnings.warn(f"artifact {artifact.__name__} skipped: {exc}", stacklevel=1)
    rel._write_void(release, out, names)
    names.append("void.ttl")
    (out / "manifest.json").write_text(json.dumps(rel._manifest(release, out, names), indent=2, sort_keys=True) + "\n")
    return out


@pytest.fixture(scope="session")
def release_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly built release folder (never the project's build/)."""
    return write_release(tmp_path_factory.mktemp("release") / "build")


@pytest.fixture(scope="session")
def release_graph(release_dir: Path) -> Graph:
    """The asserted release graph, parsed back from the N-Triples file the server loads."""
    graph = Graph()
    graph.parse(release_dir / "cryokg.nt", format="nt")
    return graph


@pytest.fixture(scope="session")
def void_graph(release_dir: Path, release_graph: Graph) -> Graph:
    """The VoID/DCAT description of the release, recomputed the way the build computes it.

    Recomputed (from the release graph and the files the manifest lists) rather than parsed from void.ttl,
    so the tests do not depend on the server's own loading of that file.
    """
    from cryokg.release.void import describe_release

    manifest = json.loads((release_dir / "manifest.json").read_text(encoding="utf-8"))
    files = {name: release_dir / name for name in manifest["files"] if name != "void.ttl"}
    return describe_release(release_graph, files, base=manifest["base_iri"], version=manifest["version"])


@pytest.fixture(scope="session")
def client(release_dir: Path) -> Iterator:
    """A Starlette TestClient on the app (lifespan run: the SPARQL workers are up)."""
    from starlette.testclient import TestClient

    from cryokg.publish.web.app import Settings, create_app

    app = create_app(Settings(build_dir=release_dir, query_timeout=3.0, max_rows=2000, max_body=100_000))
    with TestClient(app, raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def server(release_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of ``cryokg serve`` with one SPARQL worker, for the tests that call it as a client would
    (a browser, a FHIR client, the README's commands); one server per test module."""
    with serving(release_dir, tmp_path_factory.mktemp("serve"), "--workers", "1") as live:
        yield live.url
