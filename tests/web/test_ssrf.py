"""No outbound connection from query evaluation, whatever the text (issue 13).

Two layers, each tested on its own and together, always against a loopback listener that counts connections:

* the text check (:func:`cryokg.publish.web.security.check_query`) refuses SERVICE, fails closed, and refuses the two
  spellings that got through before (a keyword glued to a boolean, ``SERVICE:x`` padded past 8 000 characters);
* the worker processes cannot open sockets at all (:func:`cryokg.sandbox.deny_network`): a grammar-driven
  fuzz of SERVICE spellings that *does* reach the listener from an unguarded pyoxigraph reaches nothing from
  a guarded one, and nothing through the server.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.listener import Listener

from cryokg.sandbox import call_without_network

JSON = {"Accept": "application/sparql-results+json"}
CRYO = "PREFIX cryo: <https://w3id.org/cryokg/def/>\n"


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener(path="/sparql", reply=b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                                            b"Content-Length: 53\r\nConnection: close\r\n\r\n"
                                            b'{"head":{"vars":["a"]},"results":{"bindings":[{}]}}\r\n')
    yield server
    server.close()


def the_two_bypasses(url: str) -> list[str]:
    """The two texts that reached a loopback listener and read its answer back with 200 (issue 13)."""
    glued = (CRYO + "SELECT * WHERE { ?code cryo:namedInCodeDescription trueSERVICE <" + url + "> { ?a ?b ?c } }")
    padded = (f"PREFIX : <{url}/>\n" + "#" + "x" * 8_100 + "\n" + "SELECT * WHERE { SERVICE:x { ?s ?p ?o } }")
    return [glued, padded]


def test_the_bypasses_would_connect_without_the_guards(listener: Listener, release_dir: Path) -> None:
    """Control: on the release, pyoxigraph itself evaluates both texts by connecting (so the tests below are real)."""
    from cryokg.publish.web.data import load_release_store, release_base

    store = load_release_store(release_dir, release_base(release_dir))
    for number, query in enumerate(the_two_bypasses(listener.url), start=1):
        with contextlib.suppress(OSError):
            list(store.query(query))
        assert listener.connections == number, query[-120:]


def test_the_two_bypasses_are_refused_and_never_connect(client, listener: Listener) -> None:
    for query in the_two_bypasses(listener.url):
        response = client.post("/sparql", content=query.encode(),
                               headers={**JSON, "Content-Type": "application/sparql-query"})
        assert response.status_code == 400, response.text
        assert "SERVICE" in response.text or "could not be checked" in response.text
    assert listener.connections == 0


def test_a_text_the_checking_parser_cannot_read_is_refused(client) -> None:
    """Fail closed: a text that is not plain and that rdflib cannot parse is not run (pyoxigraph would run it)."""
    query = "SELECT * WHERE { ?s ?p ?o } LIMIT1"  # pyoxigraph reads LIMIT 1
    assert list(ox.Store().query(query)) == []
    response = client.get("/sparql", params={"query": query}, headers=JSON)
    assert response.status_code == 400 and "could not be checked" in response.text


def test_every_worker_runs_under_a_seccomp_filter(client) -> None:
    pids = client.app.state.pool.pids()
    assert pids
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        assert "Seccomp:\t2" in status, f"worker {pid} runs without a seccomp filter"


def test_the_sandbox_alone_stops_pyoxigraph(listener: Listener) -> None:
    """The OS layer on its own: pyoxigraph evaluating SERVICE in a guarded thread cannot connect."""
    query = f"SELECT * WHERE {{ SERVICE <{listener.url}> {{ ?s ?p ?o }} }}"
    with pytest.raises(OSError):
        call_without_network(lambda: list(ox.Store().query(query)))
    assert listener.connections == 0
    list(ox.Store().query(query))  # the same thread-less call outside the guard does connect (control)
    assert listener.connections == 1


# --- grammar-driven fuzz of SERVICE spellings ---------------------------------------------------------------

def _cases(word: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda upper: "".join(c.upper() if u else c.lower() for c, u in zip(word, upper, strict=True)))


def _escaped(word: str) -> st.SearchStrategy[str]:
    """The word with some letters written as ``\\u`` escapes (SPARQL 1.1 §19.2)."""
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda esc: "".join(f"\\u{ord(c):04X}" if e else c for c, e in zip(word, esc, strict=True)))


GAPS = st.sampled_from(["", " ", "\n", "\t", " # note\n", "#\n", "\r\n"])
BEFORE = st.sampled_from(["", "true", "false", "1", "1.5", "'x'", '"x"', "?o", "<http://e/o>", "cryo:p", ".", ";",
                          "}", "{", ")", "a", "0e1"])


@st.composite
def service_queries(draw: st.DrawFn, url: str) -> str:
    keyword = draw(st.one_of(_cases("service"), _escaped("SERVICE"), st.just("SERVICE")))
    silent = draw(st.sampled_from(["", " SILENT", " silent", "SILENT "]))
    target_kind = draw(st.sampled_from(["iri", "pname", "colon", "var", "values"]))
    prologue = CRYO + f"PREFIX remote: <{url}/>\nPREFIX : <{url}/>\n"
    binding = ""
    if target_kind == "iri":
        target = f"<{url}>"
    elif target_kind == "pname":
        target = "remote:x"
    elif target_kind == "colon":
        target = ":x"
    elif target_kind == "var":
        target, binding = "?u", f"BIND(<{url}> AS ?u) "
    else:
        target, binding = "?u", f"VALUES ?u {{ <{url}> }} "
    service = f"{keyword}{silent}{draw(GAPS)}{target}{draw(GAPS)}{{ ?a ?b ?c }}"
    lead = draw(BEFORE)
    body = draw(st.sampled_from([
        "{pre} ?code cryo:namedInCodeDescription {lead}{service} ",
        "{pre} {lead}{service} ",
        "{pre} ?s ?p ?o OPTIONAL {{ {service} }} ",
        "{pre} {{ SELECT * WHERE {{ {service} }} }} ",
        "{pre} {{ ?s ?p ?o }} UNION {{ {service} }} ",
        "{pre} FILTER EXISTS {{ {service} }} ",
        "{pre} ?s ?p ?o MINUS {{ {service} }} ",
    ])).format(pre=binding, lead=lead, service=service)
    form = draw(st.sampled_from(["SELECT * WHERE {{ {body}}} LIMIT 1", "ASK {{ {body}}}",
                                 "CONSTRUCT {{ ?a ?b ?c }} WHERE {{ {body}}} LIMIT 1"])).format(body=body)
    padding = draw(st.sampled_from(["", "#" + "p" * 8_100 + "\n"]))
    return prologue + padding + form


@pytest.fixture(scope="module")
def fuzz_listener() -> Iterator[Listener]:
    server = Listener(path="/sparql")
    yield server
    server.close()


def _run_on_release(store: ox.Store, query: str) -> None:
    try:
        result = store.query(query)
        if not isinstance(result, ox.QueryBoolean):
            list(result)
    except (OSError, SyntaxError, ValueError, RuntimeError):
        pass


@pytest.fixture(scope="module")
def release_store(release_dir: Path) -> ox.Store:
    from cryokg.publish.web.data import load_release_store, release_base

    return load_release_store(release_dir, release_base(release_dir))


FUZZ = settings(max_examples=150, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def test_fuzz_control_unguarded_pyoxigraph_connects(fuzz_listener: Listener, release_store: ox.Store) -> None:
    """Control: the generated spellings are ones pyoxigraph evaluates by connecting, when nothing guards it."""
    before = fuzz_listener.connections

    @FUZZ
    @given(query=service_queries(fuzz_listener.url))
    def run(query: str) -> None:
        _run_on_release(release_store, query)

    run()
    assert fuzz_listener.connections - before >= 20, "the fuzz hardly ever reaches SERVICE: it proves nothing"


def test_fuzz_guarded_pyoxigraph_never_connects(fuzz_listener: Listener, release_store: ox.Store) -> None:
    """The OS layer alone: every spelling, evaluated with no text check in a no-network thread."""
    before = fuzz_listener.connections

    @FUZZ
    @given(query=service_queries(fuzz_listener.url))
    def run(query: str) -> None:
        call_without_network(_run_on_release, release_store, query)

    run()
    assert fuzz_listener.connections == before


def test_fuzz_through_the_server_never_connects(client, fuzz_listener: Listener) -> None:
    """Both layers: every spelling sent to /sparql; none is answered with the listener's data."""
    before = fuzz_listener.connections

    @FUZZ
    @given(query=service_queries(fuzz_listener.url))
    def run(query: str) -> None:
        response = client.post("/sparql", content=query.encode(),
                               headers={**JSON, "Content-Type": "application/sparql-query"})
        assert response.status_code < 500 or response.status_code in (503, 504), response.text
        assert fuzz_listener.connections == before, query

    run()
    assert fuzz_listener.connections == before
