"""Bad input to the commands: clear errors (exit 2), no traceback on stderr, nothing read that should not be,
and no connection from ``cryokg query`` unless asked (issue 13).

The stderr checks run the command in a subprocess: an in-process run hides what the logging module and
the interpreter print, which is where rdflib's traceback for an ill-typed literal appeared.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tests.conftest import SOURCES
from tests.listener import Listener

from cryokg.cli import main

ROOT = Path(__file__).resolve().parents[1]


def cryokg(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``cryokg ARGS`` in a fresh interpreter, output captured."""
    return subprocess.run([sys.executable, "-m", "cryokg.cli", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd or ROOT)


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    copy = tmp_path / "ontology"
    shutil.copytree(SOURCES, copy)
    return copy


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener(path="/sparql")
    yield server
    server.close()


# --- no traceback on stderr -----------------------------------------------------------------------------------

def test_ill_typed_literal_gives_file_line_and_no_traceback(sources: Path, tmp_path: Path) -> None:
    bad = sources / "data" / "zz-bad.ttl"
    bad.write_text("@prefix cryo: <https://w3id.org/cryokg/def/> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
                   "@prefix code: <https://w3id.org/cryokg/id/code/> .\n\ncode:0440T cryo:rank \"abc\"^^xsd:integer .\n")
    run = cryokg("build", "--sources", str(sources), "--out", str(tmp_path / "build"), "--quiet")
    assert run.returncode == 2, run.stderr
    assert "zz-bad.ttl:5" in run.stderr
    assert "Traceback" not in run.stderr, run.stderr


@pytest.mark.slow  # starts and interrupts a server process
def test_ctrl_c_on_the_server_prints_no_traceback(release_for_cli: Path) -> None:
    """SIGINT reaches the whole process group (server and its workers): everyone stops quietly."""
    import signal
    import time

    from tests.stores import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "cryokg.cli", "serve", "--build", str(release_for_cli),
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        from tests.listener import wait_for_http

        wait_for_http(proc, f"http://127.0.0.1:{port}", what="cryokg serve", attempts=400)
        time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert "Traceback" not in err, err


@pytest.fixture(scope="module")
def release_for_cli(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("release") / "build"
    assert main(["build", "--sources", str(SOURCES), "--out", str(out), "--quiet"]) == 0
    return out


# --- sizes are checked before reading ---------------------------------------------------------------------------

def test_oversized_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """A 200 MB file (sparse: no disk used) is refused from its size; the process never holds it in memory."""
    huge = tmp_path / "huge.ttl"
    with huge.open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    run = cryokg("validate", str(huge))
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert run.returncode == 2, run.stderr
    assert "huge.ttl" in run.stderr and "over the limit" in run.stderr
    assert "Traceback" not in run.stderr
    assert before / 1024 > 190 or peak_mib < 190, f"the command peaked at {peak_mib:.0f} MiB: it read the file"


def test_oversized_source_in_the_sources_folder(sources: Path, tmp_path: Path) -> None:
    with (sources / "data" / "zz-huge.ttl").open("wb") as handle:
        handle.truncate(60 * 1024 * 1024)
    run = cryokg("build", "--sources", str(sources), "--out", str(tmp_path / "build"), "--quiet")
    assert run.returncode == 2 and "zz-huge.ttl" in run.stderr and "over the limit" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


# --- symbolic links out of --sources ----------------------------------------------------------------------------

@pytest.mark.parametrize("link", ["file", "folder"])
def test_symlink_out_of_the_sources_folder_is_refused(sources: Path, tmp_path: Path, capsys, link: str) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    secret = outside / "secret.ttl"
    secret.write_text("@prefix cryo: <https://w3id.org/cryokg/def/> .\n"
                      "<https://w3id.org/cryokg/def/SecretThing> a <http://www.w3.org/2002/07/owl#Class> ;\n"
                      "  <http://www.w3.org/2000/01/rdf-schema#label> \"TOP-SECRET-MARKER\"@en .\n")
    if link == "file":
        (sources / "data" / "zz-link.ttl").symlink_to(secret)
    else:
        vocab = sources / "vocab"  # a searched folder, replaced by a link to a folder outside
        moved = tmp_path / "vocab-moved"
        shutil.move(str(vocab), str(moved))
        shutil.copy(secret, moved / "zz-secret.ttl")
        vocab.symlink_to(moved, target_is_directory=True)
    out = tmp_path / "build"
    code = main(["build", "--sources", str(sources), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "outside the sources folder" in err
    assert not out.exists() or "TOP-SECRET-MARKER" not in (out / "cryokg.ttl").read_text()


def test_symlink_inside_the_sources_folder_is_fine(sources: Path, tmp_path: Path) -> None:
    data = sources / "data"
    first = sorted(data.glob("*.ttl"))[0]
    moved = sources / "kept" / first.name
    moved.parent.mkdir()
    shutil.move(str(first), str(moved))
    first.symlink_to(moved)
    assert main(["build", "--sources", str(sources), "--out", str(tmp_path / "build"), "--quiet"]) == 0


# --- cryokg query and SERVICE ------------------------------------------------------------------------------------

SERVICE_QUERY = "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"


def test_query_refuses_service_without_allow_service(listener: Listener, capsys) -> None:
    for text in (SERVICE_QUERY.format(url=listener.url),
                 f"PREFIX : <{listener.url}/>\nASK {{ SERVICE:x {{ ?s ?p ?o }} }}",
                 "PREFIX cryo: <https://w3id.org/cryokg/def/>\nSELECT * WHERE { ?c cryo:namedInCodeDescription "
                 f"trueSERVICE <{listener.url}> {{ ?a ?b ?c }} }}"):
        assert main(["query", "--sparql", text]) == 2
        err = capsys.readouterr().err
        assert "--allow-service" in err and "Traceback" not in err
    assert listener.connections == 0


def test_query_allow_service_does_contact_the_host(listener: Listener, capsys) -> None:
    """Control: with --allow-service the query runs unguarded, and the listener sees it."""
    main(["query", "--sparql", SERVICE_QUERY.format(url=listener.url), "--allow-service"])
    capsys.readouterr()
    assert listener.connections == 1


def test_query_is_evaluated_without_network_even_if_the_text_check_misses(listener: Listener, monkeypatch,
                                                                          capsys) -> None:
    """The OS layer alone: with the text check switched off, the evaluation still cannot connect."""
    monkeypatch.setattr("cryokg.commands.query._refuse_service", lambda text: None)
    code = main(["query", "--sparql", SERVICE_QUERY.format(url=listener.url)])
    err = capsys.readouterr().err
    assert listener.connections == 0
    assert code == 2 and "Traceback" not in err


class _Answer(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b'{"head": {}, "boolean": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/sparql-results+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


def test_endpoint_queries_are_checked_locally_without_connecting(listener: Listener, capsys) -> None:
    """With --endpoint, SERVICE is the endpoint's business: the local syntax check must not evaluate it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/sparql"
        text = f"ASK {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"
        assert main(["query", "--sparql", text, "--endpoint", url]) == 2  # refused without the flag
        assert main(["query", "--sparql", text, "--endpoint", url, "--allow-service", "--format", "json"]) == 0
        assert "true" in capsys.readouterr().out
    finally:
        server.shutdown()
        server.server_close()
    assert listener.connections == 0
