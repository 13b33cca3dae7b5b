"""``suggest``, ``check`` and ``query`` never crash on arbitrary input: an answer or a clean error (issue 8).

Hypothesis drives the library functions with arbitrary text (and text built from the graph's own labels and
codes, so that real answers are exercised too); a smaller number of runs go through the command line,
``cryokg.cli.main([...])``, where the property is: exit status 0, 1 or 2, a message on stderr for 2, and
never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Graph
from rdflib.namespace import SKOS
from tests.conftest import SOURCES

from cryokg.answer.catalogue import load_catalogue, parse_query_file, run_named
from cryokg.answer.claims import CLAIM_SHAPES, ClaimReport, check_claim, claim_graph, nearest_code
from cryokg.answer.code_selection import Suggestion, suggest
from cryokg.answer.store import QueryResult, load_store
from cryokg.check.validation import load_shapes
from cryokg.cli import main
from cryokg.errors import BadInput

pytestmark = pytest.mark.slow  # property-based: hundreds of generated inputs

LIBRARY = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
CLI = settings(max_examples=20, deadline=None, derandomize=True, database=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Any text the terminal could pass: control characters, quotes, SPARQL and shell specials, non-ASCII.
# (NUL cannot be passed on a real command line, but the library functions take it.)
any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
SPECIALS = ["\x00", "\n", '"', "'", "\\", "<", ">", "{", "}", "?", "#", "%", "é", "–", " ", "\t", ".", ";", "*"]


@pytest.fixture(scope="module")
def engine():
    """The embedded store loaded from the sources (no release needed)."""
    return load_store(release=Path("/nonexistent-release"), sources=SOURCES).engine


@pytest.fixture(scope="module")
def words(graph: Graph) -> list[str]:
    """Labels, synonyms and code notations of the graph, to mix into the random input."""
    found = {str(o) for p in (SKOS.prefLabel, SKOS.altLabel, SKOS.notation) for o in graph.objects(None, p)}
    return sorted(found)


def _mixed(words: list[str]) -> st.SearchStrategy[str]:
    """Arbitrary text, a real label, or a real label mangled with random pieces."""
    real = st.sampled_from(words)
    mangled = st.lists(real | st.sampled_from(SPECIALS) | any_text, min_size=1, max_size=4).map("".join)
    return st.one_of(any_text, real, mangled)


# --- suggest ------------------------------------------------------------------------------------------------

@LIBRARY
@given(data=st.data())
def test_suggest_answers_or_refuses_cleanly(engine, words, data) -> None:
    text = data.draw(_mixed(words), label="site")
    technique = data.draw(st.none() | _mixed(words), label="technique")
    approach = data.draw(st.none() | _mixed(words), label="approach")
    kwargs = {k: v for k, v in (("technique", technique), ("approach", approach)) if v is not None}
    try:
        answer = suggest(engine, text, **kwargs)
    except BadInput as exc:
        assert str(exc).strip(), "a refusal must say why"
        return
    assert isinstance(answer, Suggestion)
    shown = answer.to_json()
    assert shown["site"]["iri"] or len(shown["matches"]) >= 2, "a site, or the several sites the words name"


# --- check --------------------------------------------------------------------------------------------------

@LIBRARY
@given(data=st.data())
def test_claim_graph_and_nearest_code_take_any_text(graph, words, data) -> None:
    """The parts of ``check`` that read what the user typed (the pyshacl run after them is tested below)."""
    codes = data.draw(st.lists(_mixed(words), max_size=4), label="codes")
    site = data.draw(st.none() | _mixed(words), label="site")
    claim = claim_graph(codes, site=site, graph=graph)
    assert len(claim) >= 1
    for code in codes:
        nearest = nearest_code(code, graph)
        assert nearest is None or isinstance(nearest, str)


@settings(max_examples=12, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_check_claim_reports_or_refuses_cleanly(graph, words, data) -> None:
    """The whole check (a SHACL run, ~1 s each) on a few arbitrary claims; the graph is left as it was."""
    shapes = _claim_shapes()
    codes = data.draw(st.lists(_mixed(words), min_size=0, max_size=3), label="codes")
    site = data.draw(st.none() | _mixed(words), label="site")
    size = len(graph)
    try:
        report = check_claim(codes, site=site, graph=graph, shapes=shapes)
    except BadInput as exc:
        assert str(exc).strip()
        return
    finally:
        assert len(graph) == size, "check_claim left claim triples in the knowledge graph"
    assert isinstance(report, ClaimReport)
    assert all(f.severity in ("Violation", "Warning", "Info") for f in report.findings)


_SHAPES: list[Graph] = []


def _claim_shapes() -> Graph:
    if not _SHAPES:
        _SHAPES.append(load_shapes([CLAIM_SHAPES]))
    return _SHAPES[0]


# --- query --------------------------------------------------------------------------------------------------

SPARQL_PIECES = ["SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "{", "}", "?s", "?p", "?o", "*", ".", ";",
                 "(", ")", "FILTER", "OPTIONAL", "UNION", "LIMIT 3", "a", "<https://w3id.org/cryokg/id/code/0440T>",
                 '"x"@en', "'", '"', "\\", "#", "\n", "PREFIX cryo: <https://w3id.org/cryokg/def/>", "cryo:method",
                 "REGEX(?o, \"a\")", "BIND(1 AS ?x)", "VALUES ?s { }", "GRAPH ?g", "SERVICE", "INSERT", "LOAD",
                 "\x00", "é", "1e999", "^^", "@en"]
sparql_text = st.lists(st.sampled_from(SPARQL_PIECES) | any_text.map(lambda t: t[:6]), max_size=14).map(" ".join)


@pytest.fixture(scope="module")
def small_sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sources folder of a dozen triples: random queries over it stay cheap whatever joins they make."""
    folder = tmp_path_factory.mktemp("small")
    (folder / "small.ttl").write_text(
        "@prefix cryo: <https://w3id.org/cryokg/def/> .\n@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n"
        "<https://w3id.org/cryokg/id/code/0440T> a cryo:ProcedureCode ; skos:notation \"0440T\" ;\n"
        "  skos:prefLabel \"upper limb nerve\"@en ; cryo:method <https://w3id.org/cryokg/id/technique/x> .\n"
        "<https://w3id.org/cryokg/id/technique/x> skos:prefLabel \"x\"@en .\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def small_engine(small_sources: Path):
    return load_store(release=Path("/nonexistent-release"), sources=small_sources).engine


@LIBRARY
@given(text=sparql_text)
def test_query_text_answers_or_is_a_syntax_error(small_engine, text: str) -> None:
    try:
        result = small_engine.query(text)
    except BadInput as exc:
        assert str(exc).strip()
        return
    assert isinstance(result, QueryResult)


@LIBRARY
@given(header=st.lists(st.sampled_from(["# title: t", "# param: site (iri) = radial nerve — d", "# param: n (integer)",
                                        "# param: x", "# param: (", "# param: b (boolean) = maybe", "# description:"])
                       | any_text.map(lambda t: "# " + t), max_size=4).map("\n".join),
       body=sparql_text)
def test_query_files_parse_or_refuse_cleanly(header: str, body: str) -> None:
    try:
        query = parse_query_file(Path("random.rq"), text=header + "\n" + body, name="random")
    except BadInput as exc:
        assert str(exc).strip()
        return
    assert query.name == "random"


@LIBRARY
@given(data=st.data())
def test_catalogue_parameters_take_any_value(engine, words, data) -> None:
    """Parameter values are bound as terms, never pasted: any value gives an answer or a clean refusal."""
    catalogue = load_catalogue()
    with_params = [q for q in catalogue.values() if q.parameters]
    if not with_params:
        pytest.skip("no catalogue query declares a parameter")
    query = data.draw(st.sampled_from(with_params), label="query")
    values = {p.name: data.draw(_mixed(words) | st.sampled_from(['" } ; DROP ALL #', "> } INSERT {", "1", "true"]),
                                label=p.name)
              for p in query.parameters if data.draw(st.booleans())}
    try:
        result = run_named(engine, query, values)
    except BadInput as exc:
        assert str(exc).strip()
        return
    assert isinstance(result, QueryResult)


# --- the command line ---------------------------------------------------------------------------------------

def _cli(argv: list[str], capsys) -> None:
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse usage errors exit 2 by themselves
        code = exit_.code
    captured = capsys.readouterr()
    assert code in (0, 1, 2), (argv, code)
    if code == 2:  # the message is on stderr (with --json, a JSON error object on stdout)
        assert (captured.out if "--json" in argv else captured.err).strip(), f"exit 2 without a message: {argv!r}"
    assert "Traceback" not in captured.err + captured.out


cli_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)


def _cli_mixed(words: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(cli_text, st.sampled_from(words), st.tuples(st.sampled_from(words), cli_text).map("".join))


@settings(CLI, max_examples=10)
@given(data=st.data())
def test_cli_suggest_never_crashes(words, data, capsys) -> None:
    site = data.draw(_cli_mixed(words), label="site")
    extra = ["--json"] if data.draw(st.booleans()) else []
    _cli(["suggest", "--sources", str(SOURCES), "--release", "/nonexistent-release", *extra, "--", site], capsys)


@settings(max_examples=6, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_cli_check_never_crashes(words, data, capsys) -> None:
    codes = data.draw(st.lists(_cli_mixed(words), min_size=1, max_size=3), label="codes")
    site = data.draw(st.none() | _cli_mixed(words), label="site")
    argv = ["check", *(["--site", site] if site is not None else []), "--", *codes]
    _cli(argv, capsys)


@CLI
@given(text=sparql_text.map(lambda t: t.replace("\x00", "")))
def test_cli_query_never_crashes(small_sources, text: str, capsys) -> None:
    _cli(["query", "--sources", str(small_sources), "--release", "/nonexistent-release", "--sparql", text], capsys)
