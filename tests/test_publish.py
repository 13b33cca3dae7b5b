"""``cryokg publish`` against real triple stores (Oxigraph server, Virtuoso) started on loopback by fixtures.

Each server runs once per module, is started and stopped by :mod:`tests.stores` (by PID, in ``finally``),
and the tests skip with the install command when its program is absent. Expectations come from the release
itself (its triples, its answers on the embedded store), never from numbers written here.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, SKOS
from tests.stores import ProgramMissing, RunningServer, oxigraph_server, virtuoso_server

from cryokg.answer.agreement import compare, normal_term, order_keys
from cryokg.answer.catalogue import load_catalogue
from cryokg.answer.store import QueryResult
from cryokg.cli import main
from cryokg.namespaces import id_namespace
from cryokg.publish import triplestore as publish
from cryokg.publish.sparql_client import HttpStatusError, PublishError, connect
from cryokg.release.build import write_rdf
from cryokg.release.model import Release

CODE = id_namespace("code")
XSD = "http://www.w3.org/2001/XMLSchema#"  # a plain string: rdflib's XSD namespace object trips pytest's collection


def typed(value: str, datatype: str) -> Literal:
    return Literal(value, datatype=URIRef(XSD + datatype))


# --- fixtures ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def release_dir(release: Release, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's release written as the build writes it (cryokg.nt, cryokg.ttl, ...)."""
    out = tmp_path_factory.mktemp("release")
    write_rdf(release, out)
    return out


def _server(factory):
    try:
        with factory() as server:
            yield server
        assert server.process.poll() is not None, f"{server.kind} (PID {server.pid}) still runs after the test"
    except ProgramMissing as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def oxigraph():
    yield from _server(oxigraph_server)


@pytest.fixture(scope="module")
def virtuoso():
    yield from _server(virtuoso_server)


@pytest.fixture(params=["oxigraph", "virtuoso"])
def server(request: pytest.FixtureRequest) -> RunningServer:
    return request.getfixturevalue(request.param)


def _credentials(server: RunningServer) -> list[str]:
    return ["--user", server.user, "--password", server.password] if server.user else []


def _served_count(server: RunningServer, graph: str) -> int:
    """The triple count, asked with plain httpx so the check does not share code with what it checks."""
    response = httpx.get(server.query_url, params={"query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> "
                                                            "{ ?s ?p ?o } }"},
                         headers={"Accept": "application/sparql-results+json"}, timeout=30)
    response.raise_for_status()
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens there


# --- publishing to real servers ------------------------------------------------------------------------------

def test_publish_loads_and_verifies(server: RunningServer, release: Release, release_dir: Path, capsys) -> None:
    graph = publish.default_graph(release_dir)
    code = main(["publish", "--endpoint", server.root_url, "--release", str(release_dir), *_credentials(server)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert _served_count(server, graph) == len(release.asserted)
    assert f"loaded {len(release.asserted)} triples" in out
    assert "every triple of the release is served" in out
    assert "verified: the server serves the release" in out


def test_chunked_load_replaces_then_adds(server: RunningServer, release: Release, release_dir: Path, monkeypatch,
                                         capsys) -> None:
    """A release sent in chunks (PUT, then POSTs) is the whole release, once, and verifies; publishing it again
    still leaves one copy (the first chunk replaces the graph). The file is treated as large, so it is read in
    chunks and the local store is on disk, as for a release of millions of triples."""
    monkeypatch.setattr(publish, "LARGE_RELEASE_BYTES", 0)
    graph = publish.default_graph(release_dir)
    args = ["publish", "--endpoint", server.root_url, "--release", str(release_dir), "--chunk-triples", "997",
            *_credentials(server)]
    assert main(args) == 0
    assert main(args) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert "in chunks of 997" in out and "verified: the server serves the release" in out, out
    assert _served_count(server, graph) == len(release.asserted)


def test_release_chunks_are_whole_lines(release_dir: Path) -> None:
    release = publish.read_release(release_dir)
    chunks = list(release.chunks(1000))
    assert b"".join(chunks) == (release_dir / "cryokg.nt").read_bytes()
    assert all(chunk.count(b"\n") == 1000 for chunk in chunks[:-1]) and chunks[-1].endswith(b"\n")
    assert len(chunks) == -(-release.triples // 1000)


_SUMMARY = re.compile(r"catalogue queries: (?P<same>\d+) same answers, (?P<different>\d+) different, "
                      r"(?P<engine>\d+) engine deviations, (?P<skipped>\d+) skipped \(of (?P<total>\d+)\)")


def test_every_catalogue_query_answers_alike(server: RunningServer, release_dir: Path, capsys) -> None:
    """On Oxigraph and on Virtuoso, every catalogue query gives the embedded store's answer (strict by default);
    only the queries that depend on named graphs are skipped, and their headers say why."""
    catalogue = load_catalogue()
    named_graphs = {name for name, query in catalogue.items() if publish.skip_reason(query.text)}
    code = main(["publish", "--endpoint", server.root_url, "--release", str(release_dir), *_credentials(server)])
    out = capsys.readouterr().out
    assert code == 0, out
    tally = {key: int(value) for key, value in _SUMMARY.search(out).groupdict().items()}
    assert tally == {"same": len(catalogue) - len(named_graphs), "different": 0, "engine": 0,
                     "skipped": len(named_graphs), "total": len(catalogue)}, out
    assert set(re.findall(r"skipped\s+(\S+):", out)) == named_graphs
    for name in named_graphs:
        assert "named graph" in publish.skip_reason(catalogue[name].text)
        assert "cryokg publish" in catalogue[name].description, f"{name}.rq: say why publish skips it"


def _parameter_values(engine, query_name: str, parameter: str) -> list[str]:
    """Values worth binding besides the default, read from the release: the codes of the default code's family
    for a code; every nerve or plexus that an assignment or a scope names for a nerve; both for a resource."""
    family = ("PREFIX skos: <http://www.w3.org/2004/02/skos/core#> SELECT DISTINCT ?n WHERE { "
              '?c skos:notation "0440T" ; skos:broader ?f . ?s skos:broader ?f ; skos:notation ?n }')
    nerves = ("PREFIX cryo: <https://w3id.org/cryokg/def/> SELECT DISTINCT ?n WHERE { "
              "{ ?a cryo:structure ?n } UNION { ?s cryo:scopeExample ?n } }")
    codes = sorted(str(row[0]) for row in engine.query(family).rows)
    named = sorted(str(row[0]) for row in engine.query(nerves).rows)
    if parameter in ("code", "nerve", "resource"):
        return {"code": codes, "nerve": named, "resource": codes + named}[parameter]
    raise AssertionError(f"{query_name}: no test values for parameter {parameter!r}")


def test_catalogue_agrees_for_other_parameter_values(server: RunningServer, release_dir: Path) -> None:
    """The parameter binding (a VALUES block first in WHERE) is portable: the answers agree for every code of
    the family and every nerve a fact names, not only for the defaults."""
    from cryokg.answer.catalogue import bind_parameters

    release = publish.read_release(release_dir)
    engine = publish.local_engine(release)
    catalogue = []
    for name, query in load_catalogue().items():
        for parameter in query.parameters:
            values = _parameter_values(engine, name, parameter.name)
            assert len(values) > 1, f"{name}: too few values for {parameter.name} to test with"
            catalogue += [(f"{name} {parameter.name}={v}", bind_parameters(query, {parameter.name: v}, engine))
                          for v in values]
    with connect(user=server.user, password=server.password, timeout=120) as client:
        target = publish.resolve_target(client, server.root_url, graph=publish.default_graph(release_dir))
        publish.put_graph(client, target, release)
        result = publish.verify(client, target, expected_triples=release.triples, catalogue=catalogue,
                                run_local=engine.query)
    assert result.data_match
    wrong = [f"{c.name}: {c.outcome} {c.detail}" for c in result.checks if c.outcome != "same"]
    assert not wrong, "\n".join(wrong)


def test_engine_deviation_fails_unless_lenient(server: RunningServer, release_dir: Path, tmp_path: Path,
                                               capsys) -> None:
    """A query no two engines answer alike (a fresh UUID) on an identical graph is an engine deviation: exit 1
    by default, exit 0 with --lenient, reported either way."""
    queries = tmp_path / "queries"
    queries.mkdir()
    (queries / "fresh-id.rq").write_text("SELECT (STRUUID() AS ?id) WHERE {}\n", encoding="utf-8")
    publish_args = ["publish", "--endpoint", server.root_url, "--release", str(release_dir), "--queries",
                    str(queries), *_credentials(server)]
    assert main(publish_args) == 1
    out = capsys.readouterr().out
    assert "ENGINE" in out and "fresh-id" in out and "--lenient lets that pass" in out, out
    assert main([*publish_args, "--lenient"]) == 0
    out = capsys.readouterr().out
    assert "ENGINE" in out and "passed only because of --lenient" in out, out


@pytest.mark.slow  # one query per fact class
def test_sources_query_covers_the_whole_fact_class_hierarchy(release_dir: Path) -> None:
    """``sources`` spells out a fixed number of rdfs:subClassOf steps (Virtuoso mis-joins ``*`` paths): it must
    still find every fact node, i.e. every node typed with a class anywhere under prov:Entity, as the path would."""
    release = publish.read_release(release_dir)
    engine = publish.local_engine(release)
    sub_class, rdf_type = ox.NamedNode(str(RDFS.subClassOf)), ox.NamedNode(str(RDF.type))
    fact_classes, frontier = set(), {ox.NamedNode(str(PROV.Entity))}
    while frontier:
        fact_classes |= frontier
        frontier = {q.subject for c in frontier for q in release.store.quads_for_pattern(None, sub_class, c)}
        frontier -= fact_classes
    fact_classes.discard(ox.NamedNode("https://w3id.org/cryokg/def/Source"))
    fact_nodes = {q.subject for c in fact_classes for q in release.store.quads_for_pattern(None, rdf_type, c)}
    expected = {(q.object.value, q.subject.value) for a in fact_nodes for q in release.store.quads_for_pattern(a, None, None)
                if isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.NamedNode) and q.object != a}
    assert expected, "no fact node points at a resource: the check would be empty"
    rows = engine.query(load_catalogue()["sources"].text).rows  # unbound: every resource
    found = {(str(resource), str(about)) for resource, about, *_ in rows
             if isinstance(resource, URIRef) and about != resource}
    assert found == expected


def test_catalogue_answers_are_compared(server, release_dir) -> None:
    """Library level: a query known to work on both engines gives the same rows, and they are not empty."""
    release = publish.read_release(release_dir)
    engine = publish.local_engine(release)
    query = ("SELECT ?code ?label WHERE { ?c <http://www.w3.org/2004/02/skos/core#notation> ?code ; "
             "<http://www.w3.org/2004/02/skos/core#prefLabel> ?label } ORDER BY ?code")
    with connect(user=server.user, password=server.password) as client:
        target = publish.resolve_target(client, server.root_url, graph=publish.default_graph(release_dir))
        publish.put_graph(client, target, release)
        result = publish.verify(client, target, expected_triples=release.triples, catalogue=[("labels", query)],
                                run_local=engine.query)
    assert result.data_match
    assert [c.outcome for c in result.checks] == ["same"]
    assert engine.query(query).rows, "the check would be empty: no coded concept with a label"


def _shorter_release(release_dir: Path, folder: Path) -> Path:
    """A copy of the release without its first triple."""
    lines = (release_dir / "cryokg.nt").read_text(encoding="utf-8").splitlines(keepends=True)
    assert not lines[0].startswith("#")
    (folder / "cryokg.nt").write_text("".join(lines[1:]), encoding="utf-8")
    return folder


def test_publishing_replaces_the_graph(server, release: Release, release_dir: Path, tmp_path: Path) -> None:
    """PUT replaces: after the full release, a release one triple shorter leaves one triple fewer."""
    graph = publish.default_graph(release_dir)
    preset = ["--server", server.kind, "--graph", graph, "--no-verify", *_credentials(server)]
    assert main(["publish", "--endpoint", server.root_url, "--release", str(release_dir), *preset]) == 0
    assert main(["publish", "--endpoint", server.root_url, "--release", str(release_dir), *preset]) == 0
    assert _served_count(server, graph) == len(release.asserted)
    shorter = _shorter_release(release_dir, tmp_path)
    assert main(["publish", "--endpoint", server.query_url, "--release", str(shorter), *preset]) == 0
    assert _served_count(server, graph) == len(release.asserted) - 1


def test_graph_option_names_the_graph(server, release: Release, release_dir: Path) -> None:
    graph = "https://example.org/graph/cryokg-test"
    assert main(["publish", "--endpoint", server.root_url, "--graph", graph, "--release", str(release_dir),
                 *_credentials(server)]) == 0
    assert _served_count(server, graph) == len(release.asserted)


def test_generic_preset_with_explicit_store(oxigraph, release: Release, release_dir: Path) -> None:
    graph = "https://example.org/graph/generic"
    assert main(["publish", "--server", "generic", "--endpoint", oxigraph.query_url, "--store", oxigraph.store_url,
                 "--graph", graph, "--release", str(release_dir)]) == 0
    assert _served_count(oxigraph, graph) == len(release.asserted)


def test_missing_triple_is_a_mismatch(server, release_dir: Path, tmp_path: Path, capsys) -> None:
    """The server holds the full release; verifying it against a release one triple shorter must fail (1)."""
    assert main(["publish", "--endpoint", server.root_url, "--release", str(release_dir), "--no-verify",
                 *_credentials(server)]) == 0
    shorter = _shorter_release(release_dir, tmp_path)
    code = main(["publish", "--endpoint", server.root_url, "--release", str(shorter), "--verify-only",
                 "--graph", publish.default_graph(release_dir), *_credentials(server)])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "!=" in out and "DIFFERENT content" in out and "not verified" in out


def test_changed_label_is_found_by_content_and_catalogue(oxigraph, release_dir: Path) -> None:
    """Same triple count, one label changed on the server: content and a label query both differ."""
    release = publish.read_release(release_dir)
    graph = publish.default_graph(release_dir)
    code = URIRef(CODE["0440T"])
    label = next(o for s, p, o in release.graph() if s == code and p == SKOS.prefLabel)
    with connect() as client:
        target = publish.resolve_target(client, oxigraph.root_url, graph=graph)
        publish.put_graph(client, target, release)
        update = (f"WITH <{graph}> DELETE {{ {code.n3()} {SKOS.prefLabel.n3()} {label.n3()} }} "
                  f"INSERT {{ {code.n3()} {SKOS.prefLabel.n3()} {Literal('tampered', lang='en').n3()} }} WHERE {{}}")
        httpx.post(oxigraph.root_url + "/update", data={"update": update}, timeout=30).raise_for_status()
        query = f"SELECT ?label WHERE {{ {code.n3()} {SKOS.prefLabel.n3()} ?label }}"
        result = publish.verify(client, target, expected_triples=release.triples, catalogue=[("label", query)],
                                run_local=publish.local_engine(release).query, release_triples=release.graph())
    assert result.counts_match
    assert not result.data_match and "tampered" in (result.content_difference or "")
    assert [c.outcome for c in result.checks] == ["different"]
    assert not result.ok()


@pytest.mark.external  # starts its own Virtuoso
def test_a_cut_short_read_back_is_not_a_mismatch(release: Release, release_dir: Path, tmp_path: Path, capsys) -> None:
    """Virtuoso cuts answers at ResultSetMaxRows, the graph read-back too: verify what came back, say so."""
    limit = len(release.asserted) // 2
    no_queries = tmp_path / "queries"
    no_queries.mkdir()
    for server in _server(lambda: virtuoso_server(max_rows=limit)):
        code = main(["publish", "--endpoint", server.query_url, "--release", str(release_dir),
                     "--queries", str(no_queries), *_credentials(server)])
        out = capsys.readouterr().out
        assert code == 0, out
        assert re.search(rf"only \d+ of its {len(release.asserted)} triples", out), out


def test_verification_catches_virtuoso_escaped_local_names(server, tmp_path: Path, capsys) -> None:
    """A Turtle local name with a backslash escape (``ex:a\\,b``) means the IRI ``.../a,b``; Virtuoso 7.2 keeps
    the backslash in the stored IRI. The content check must notice on Virtuoso and pass on Oxigraph."""
    (tmp_path / "cryokg.ttl").write_text('@prefix ex: <https://example.org/> .\nex:a\\,b ex:p "x"@en .\n',
                                         encoding="utf-8")
    no_queries = tmp_path / "queries"
    no_queries.mkdir()
    code = main(["publish", "--endpoint", server.root_url, "--release", str(tmp_path), "--queries", str(no_queries),
                 "--graph", "https://example.org/graph/escapes", *_credentials(server)])
    out = capsys.readouterr().out
    if server.kind == "virtuoso":
        assert code == 1 and "DIFFERENT content" in out, out
    else:
        assert code == 0, out


# --- clear errors -------------------------------------------------------------------------------------------

def test_wrong_password_is_exit_2(virtuoso, release_dir: Path, capsys) -> None:
    code = main(["publish", "--endpoint", virtuoso.query_url, "--release", str(release_dir),
                 "--user", virtuoso.user, "--password", virtuoso.password + "-wrong"])
    err = capsys.readouterr().err
    assert code == 2
    assert "401" in err and "refused the credentials" in err


def test_missing_credentials_is_exit_2(virtuoso, release_dir: Path, capsys) -> None:
    code = main(["publish", "--endpoint", virtuoso.root_url, "--release", str(release_dir)])
    assert code == 2
    assert "give --user and --password" in capsys.readouterr().err


def test_unreachable_endpoint_is_exit_2(release_dir: Path, capsys) -> None:
    port = _closed_port()
    code = main(["publish", "--endpoint", f"http://127.0.0.1:{port}/sparql", "--release", str(release_dir),
                 "--timeout", "5"])
    assert code == 2
    assert "cannot reach" in capsys.readouterr().err


def test_server_rejection_carries_the_servers_message(oxigraph, release_dir: Path, tmp_path: Path) -> None:
    release = publish.read_release(release_dir)
    (tmp_path / "broken.ttl").write_bytes(b"<a> <b> .")  # a file is read when sent: the broken one is what goes
    broken = publish.ReleaseFile(tmp_path / "broken.ttl", "text/turtle", release.store, size=9)
    with connect() as client:
        target = publish.resolve_target(client, oxigraph.root_url, graph="https://example.org/broken")
        with pytest.raises(HttpStatusError) as caught:
            publish.put_graph(client, target, broken)
    assert 400 <= caught.value.status < 500
    message = str(caught.value)
    assert message.count(":") >= 3 and not message.endswith("Bad Request"), message  # the server's words follow


@pytest.mark.parametrize("args, fragment", [
    (["--endpoint", "ftp://example.org/sparql"], "http:// or https://"),
    (["--endpoint", "http://127.0.0.1:1/q", "--user", "u"], "--user needs --password"),
    (["--endpoint", "http://127.0.0.1:1/q", "--graph", "not an iri"], "absolute IRI"),
    (["--endpoint", "http://127.0.0.1:1/q", "--graph", "https://e.org/g> } <x"], "absolute IRI"),
])
def test_bad_options_are_exit_2(args, fragment, release_dir: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("CRYOKG_PASSWORD", raising=False)
    assert main(["publish", *args, "--release", str(release_dir)]) == 2
    assert fragment in capsys.readouterr().err


def test_missing_release_is_exit_2(tmp_path: Path, capsys) -> None:
    assert main(["publish", "--endpoint", "http://127.0.0.1:1/", "--release", str(tmp_path)]) == 2
    assert "cryokg build" in capsys.readouterr().err


# --- where things go (no server needed) ------------------------------------------------------------------------

@pytest.mark.parametrize("server, endpoint, store, query_url, store_url, param", [
    ("oxigraph", "http://h:7878", None, "http://h:7878/query", "http://h:7878/store", "graph"),
    ("oxigraph", "http://h:7878/query", None, "http://h:7878/query", "http://h:7878/store", "graph"),
    ("oxigraph", "http://h/kg/query", None, "http://h/kg/query", "http://h/kg/store", "graph"),
    ("virtuoso", "http://h:8890/", None, "http://h:8890/sparql", "http://h:8890/sparql-graph-crud-auth", "graph-uri"),
    ("virtuoso", "http://h:8890/sparql", None, "http://h:8890/sparql", "http://h:8890/sparql-graph-crud-auth",
     "graph-uri"),
    ("generic", "http://h/ds/query", "http://h/ds/data", "http://h/ds/query", "http://h/ds/data", "graph"),
    ("generic", "http://h/ds", None, "http://h/ds", "http://h/ds", "graph"),
])
def test_presets_place_the_endpoints(server, endpoint, store, query_url, store_url, param) -> None:
    with connect() as client:
        target = publish.resolve_target(client, endpoint, graph="https://example.org/g", server=server, store=store)
    assert (target.query_url, target.store_url, target.graph_param) == (query_url, store_url, param)


def test_default_graph_follows_the_release_base(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text('{"base_iri": "https://example.org/kg/"}', encoding="utf-8")
    assert publish.default_graph(tmp_path) == "https://example.org/kg/id/dataset/cryokg"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert publish.default_graph(elsewhere) == "https://w3id.org/cryokg/id/dataset/cryokg"


# --- comparing answers by meaning --------------------------------------------------------------------------

def _select(variables, *rows) -> QueryResult:
    return QueryResult("select", variables=list(variables), rows=[tuple(r) for r in rows])


def test_equal_terms_spelled_differently_compare_equal() -> None:
    assert normal_term(Literal("a", lang="EN-GB")) == normal_term(Literal("a", lang="en-gb"))
    assert normal_term(Literal("a")) == normal_term(typed("a", "string"))
    assert normal_term(typed("01", "integer")) == normal_term(typed("1", "int"))
    assert normal_term(typed("1.50", "decimal")) == normal_term(typed("1.5", "decimal"))
    assert normal_term(BNode("x")) == normal_term(BNode("y"))
    assert normal_term(Literal("a", lang="en")) != normal_term(Literal("a"))
    assert normal_term(typed("1", "integer")) != normal_term(Literal("1"))


def test_virtuoso_json_is_read_like_standard_json() -> None:
    """Virtuoso answers ``typed-literal`` and ASK as a one-cell SELECT; both must read as the standard form."""
    from cryokg.publish.sparql_client import _from_json

    old = {"head": {"vars": ["n"]}, "results": {"bindings": [
        {"n": {"type": "typed-literal", "datatype": XSD + "integer", "value": "3"}}]}}
    assert _from_json(old, "select").rows == [(typed("3", "integer"),)]
    ask = {"head": {"vars": ["__ASK_RETVAL"]}, "results": {"bindings": [
        {"__ASK_RETVAL": {"type": "typed-literal", "datatype": XSD + "integer", "value": "1"}}]}}
    assert _from_json(ask, "ask").boolean is True


def test_row_order_matters_only_with_order_by() -> None:
    a, b = URIRef("http://e/a"), URIRef("http://e/b")
    one, two = _select(["x"], [a], [b]), _select(["x"], [b], [a])
    assert compare(one, two, "SELECT ?x WHERE { ?x ?p ?o }") is None
    assert compare(one, two, "SELECT ?x WHERE { ?x ?p ?o } ORDER BY ?x") is not None
    # rows that tie on every sort key may come in any order
    tied = _select(["k", "x"], [Literal(1), a], [Literal(1), b])
    swapped = _select(["x", "k"], [b, Literal(1)], [a, Literal(1)])
    assert compare(tied, swapped, "SELECT ?k ?x WHERE { ?x ?p ?k } ORDER BY DESC(?k)") is None
    assert compare(one, _select(["x"], [a]), "SELECT ?x WHERE { ?x ?p ?o }") is not None


def test_order_keys_are_read_from_the_query() -> None:
    assert order_keys("SELECT * WHERE { ?a ?b ?c } # ORDER BY ?z\nORDER BY ?a DESC(?b) LIMIT 3") == ["a", "b"]
    assert order_keys('SELECT * WHERE { ?a ?b "ORDER BY ?q" } ORDER BY ?a\nVALUES ?a { 1 }') == ["a"]
    assert order_keys("SELECT * WHERE { ?a ?b ?c } ORDER BY STR(?a)") is None


def test_queries_that_depend_on_named_graphs_are_skipped() -> None:
    assert publish.skip_reason("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert publish.skip_reason("DESCRIBE <http://e/a>")
    assert publish.skip_reason('SELECT ?s WHERE { ?s ?p "GRAPH" }') is None


def test_unreachable_is_a_publish_error_quickly() -> None:
    with connect(timeout=5) as client, pytest.raises(PublishError, match="cannot reach"):
        publish.count_triples(client, publish.Target("generic", f"http://127.0.0.1:{_closed_port()}/q",
                                                     "http://127.0.0.1:1/s", "https://example.org/g"))
