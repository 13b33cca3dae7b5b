"""Every catalogue query answers its question: expectations are derived from the graph with rdflib's Python API
(not SPARQL), so a wrong query shape fails here even when both engines agree with each other.

Also: the header format and its parser, safe parameter binding, and the ``queries`` / ``query`` commands.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS

from cryokg.answer.catalogue import bind_parameters, load_catalogue, parse_query_file, run_named
from cryokg.answer.store import load_store, source_graph_iri
from cryokg.cli import main
from cryokg.errors import BadInput
from cryokg.namespaces import CRYO
from cryokg.rdf.sparql_text import where_brace
from cryokg.sources.load import find_data_files, load_files

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "ontology"
CATALOGUE = load_catalogue(SOURCES / "queries")
TECH = "https://w3id.org/cryokg/id/technique/"
ATTRIBUTES = {CRYO.method, CRYO.approach, CRYO.anatomicScope, CRYO.invasiveness, CRYO.includesGuidance,
              CRYO.usesDevice, CRYO.minimumDeviceCount, CRYO.coolant, CRYO.targetStructure, CRYO.intendedEffect,
              CRYO.indication}
MATCHES = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    return load_store(release=tmp_path_factory.mktemp("no-release"), sources=SOURCES)


@pytest.fixture(scope="module")
def g(loaded) -> Graph:
    """The default graph of the store, as an rdflib graph: expectations come from the same data."""
    graph = Graph()
    for row in loaded.engine.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }").rows:
        graph.add(row)
    return graph


def ask(loaded, name, **params):
    return run_named(loaded.engine, CATALOGUE[name], params).dicts()


def family_codes(g: Graph) -> list[URIRef]:
    return sorted(c for f in g.subjects(RDF.type, CRYO.CodeFamily) for c in g.subjects(SKOS.broader, f))


def notation(g: Graph, code) -> str:
    return str(g.value(code, SKOS.notation))


def label(g: Graph, node) -> str:
    return str(g.value(node, SKOS.prefLabel))


def regions_up(g: Graph, region) -> set:
    return {region, *g.transitive_objects(region, CRYO.regionPartOf)}


# --- one answer test per catalogue query -------------------------------------------------------------------

ANSWERED = {"code-attributes", "siblings", "code-coolants", "coolant-usage", "procedure-steps", "bundled-guidance",
            "nerve-codes", "nerves-in-scope", "related-codes", "sources", "mappings", "class-counts",
            "triples-per-file"}


def test_every_catalogue_query_has_an_answer_test():
    missing = {n for n in CATALOGUE if not n.endswith("-violation")} - ANSWERED
    assert not missing, f"write an answer test in tests/test_queries.py for: {sorted(missing)}"


def test_code_attributes(loaded, g):
    for code in family_codes(g):
        rows = ask(loaded, "code-attributes", code=notation(g, code))
        got = {(r["attribute"], r["value"]) for r in rows}
        expected = {(p, o) for p in ATTRIBUTES for o in g.objects(code, p)}
        expected |= {(CRYO.hasPart, part) for d in g.objects(code, CRYO.usesDevice) for part in g.objects(d, CRYO.hasPart)}
        expected |= {(CRYO.scopeRegion, r) for s in g.objects(code, CRYO.anatomicScope)
                     for r in g.objects(s, CRYO.scopeRegion)}
        assert got == expected, notation(g, code)
        assert {CRYO.method, CRYO.approach, CRYO.anatomicScope, CRYO.coolant} <= {a for a, _ in got}
    regions = {label(g, r["value"]) for r in ask(loaded, "code-attributes", code="0440T")
               if r["attribute"] == CRYO.scopeRegion}
    assert regions == {"upper limb"}


def test_siblings(loaded, g):
    for code in family_codes(g):
        rows = ask(loaded, "siblings", code=notation(g, code))
        siblings = {notation(g, s) for f in g.objects(code, SKOS.broader) for s in g.subjects(SKOS.broader, f)} - {
            notation(g, code)}
        assert {str(r["sibling"]) for r in rows} == siblings
        for row in rows:
            sibling = next(s for s in g.subjects(SKOS.notation, row["sibling"]))
            in_code = (code, row["attribute"], row["value"]) in g
            in_sibling = (sibling, row["attribute"], row["value"]) in g
            held = "both" if in_code and in_sibling else "code only" if in_code else "sibling only"
            assert str(row["held"]) == held
        differing = {r["attribute"] for r in rows if str(r["held"]) != "both"}
        assert differing == {CRYO.anatomicScope}, notation(g, code)


def test_code_coolants(loaded, g):
    for code in family_codes(g):
        rows = ask(loaded, "code-coolants", code=notation(g, code))
        assert {r["coolant"] for r in rows} == set(g.objects(code, CRYO.coolant))
        for row in rows:
            if "part" in row:
                assert (row["part"], CRYO.conveys, row["coolant"]) in g


def test_coolant_usage_kept_apart_from_code_coolants(loaded, g):
    rows = ask(loaded, "coolant-usage")
    usages = set(g.subjects(RDF.type, CRYO.CoolantUsage))
    assert usages, "practice data should state how coolants are used"
    assert {r["usage"] for r in rows} == usages
    for row in rows:
        assert (row["usage"], CRYO.usageOf, row["coolant"]) in g
        if "role" in row:
            assert (row["usage"], CRYO.role, row["role"]) in g


def test_procedure_steps(loaded, g):
    for code in family_codes(g):
        rows = ask(loaded, "procedure-steps", code=notation(g, code))
        steps = set(g.objects(code, CRYO.hasStep))
        assert {r["step"] for r in rows} == steps
        orders = [int(r["order"]) for r in rows]
        assert orders == sorted(orders)
        order_of = {r["step"]: int(r["order"]) for r in rows}
        for row in rows:
            if "next" in row:
                assert order_of[row["next"]] == order_of[row["step"]] + 1
        optional = {r["step"] for r in rows if r.get("optional") == Literal(True)}
        assert optional == {s for s in steps if g.value(s, CRYO.optionalStep) == Literal(True)}
        assert optional, "the verification step is optional"


def test_bundled_guidance(loaded, g):
    guidance_codes = set(g.objects(None, CRYO.guidanceCode))
    for code in family_codes(g):
        rows = ask(loaded, "bundled-guidance", code=notation(g, code))
        expected = {b for rule in g.subjects(CRYO.appliesTo, code) if (rule, RDF.type, CRYO.BundlingRule) in g
                    for b in g.objects(rule, CRYO.notReportedWith) if b in guidance_codes}
        assert {r["bundled"] for r in rows} == expected
        assert expected, f"{notation(g, code)} includes imaging guidance, so guidance codes are bundled"


def test_nerve_codes_table(loaded, g):
    rows = ask(loaded, "nerve-codes")
    structures = set(g.subjects(RDF.type, CRYO.Nerve)) | set(g.subjects(RDF.type, CRYO.NervePlexus))
    assert {r["structure"] for r in rows} == structures
    codes = defaultdict(set)
    for r in rows:
        if "code" in r:
            codes[r["structure"]].add(str(r["code"]))
    for s in structures:
        expected = {notation(g, g.value(a, CRYO.assignedCode)) for a in g.subjects(CRYO.structure, s)
                    if g.value(a, CRYO.technique) == URIRef(TECH + "cryoablation")}
        assert codes[s] == expected, s
        ambiguous = g.value(s, CRYO.codingAmbiguous) == Literal(True)
        assert all(r["ambiguous"] == Literal(ambiguous) for r in rows if r["structure"] == s)
        if ambiguous:
            assert len(expected) >= 2, f"{s} is disputed, so it shows every candidate"


def test_nerves_in_scope(loaded, g):
    rows = ask(loaded, "nerves-in-scope")
    got = {(str(r["code"]), r["structure"]) for r in rows}
    expected = set()
    for code in g.subjects(CRYO.anatomicScope, None):
        families = [f for f in g.objects(code, SKOS.broader) if (f, RDF.type, CRYO.CodeFamily) in g]
        for scope in g.objects(code, CRYO.anatomicScope):
            expected |= {(notation(g, code), x) for x in g.objects(scope, CRYO.scopeExample)}
            if not families:
                continue
            siblings = {s for f in families for s in g.subjects(SKOS.broader, f)} - {code}
            regions = set(g.objects(scope, CRYO.scopeRegion))
            for kind in g.objects(scope, CRYO.scopeStructureType):
                alone = not any((sc, CRYO.scopeStructureType, kind) in g
                                for s in siblings for sc in g.objects(s, CRYO.anatomicScope))
                for s in g.subjects(RDF.type, kind):
                    if alone or any(regions & regions_up(g, r) for r in g.objects(s, CRYO.locatedIn)):
                        expected.add((notation(g, code), s))
    assert got == expected
    radial = URIRef("https://w3id.org/cryokg/id/anatomy/radial-nerve")
    if (radial, RDF.type, CRYO.Nerve) in g:
        assert ("0440T", radial) in got
    plexuses = set(g.subjects(RDF.type, CRYO.NervePlexus))
    assert {s for c, s in got if c == "0442T"} >= plexuses


def test_related_codes_for_other_techniques(loaded, g):
    for nerve in [s for s in g.subjects(CRYO.structure, None)]:
        rows = ask(loaded, "related-codes", nerve=str(nerve))
        got = {(str(r["code"]), r["technique"]) for r in rows}
        for row in rows:
            assert row["technique"] != URIRef(TECH + "cryoablation")
            assert g.value(row["technique"], CRYO.destructive) != Literal(False)
        for a in g.subjects(CRYO.structure, nerve):
            technique = g.value(a, CRYO.technique)
            if technique != URIRef(TECH + "cryoablation") and g.value(technique, CRYO.destructive) != Literal(False):
                assert (notation(g, g.value(a, CRYO.assignedCode)), technique) in got, a
    pudendal = [r for r in ask(loaded, "related-codes", nerve="pudendal nerve")]
    by_example = {notation(g, c) for c in g.subjects(CRYO.anatomicScope, None)
                  for s in g.objects(c, CRYO.anatomicScope)
                  if (s, CRYO.scopeExample, URIRef("https://w3id.org/cryokg/id/anatomy/pudendal-nerve")) in g
                  and URIRef(TECH + "cryoablation") not in set(g.objects(c, CRYO.method))}
    assert by_example <= {str(r["code"]) for r in pudendal}


def test_sources_behind_statements(loaded, g):
    code = URIRef("https://w3id.org/cryokg/id/code/0440T")
    rows = ask(loaded, "sources", resource="0440T")
    own = [r for r in rows if r["about"] == code]
    expected = {(p, o) for p, o in g.predicate_objects(code) if p != DCTERMS.source}
    assert {(r["property"], r["value"]) for r in own} == expected
    assert {r["source"] for r in own} == set(g.objects(code, DCTERMS.source))
    fact_classes = {c for c in set(g.objects(None, RDF.type)) if PROV.Entity in set(
        g.transitive_objects(c, RDFS.subClassOf))} - {CRYO.Source}
    pointing = {s for s, _ in g.subject_predicates(code) if set(g.objects(s, RDF.type)) & fact_classes}
    assert {r["about"] for r in rows} - {code} == pointing
    for row in rows:
        if "source" in row:
            assert (row["about"], DCTERMS.source, row["source"]) in g


def test_mappings(loaded, g):
    rows = ask(loaded, "mappings")
    expected = {(s, p, o) for p in MATCHES for s, o in g.subject_objects(p)}
    assert {(r["resource"], r["match"], r["external"]) for r in rows} == expected
    for row in rows:
        if "source" in row:
            record = next(r for r in g.subjects(CRYO.mappingObject, row["external"])
                          if g.value(r, CRYO.mappingSubject) == row["resource"])
            assert (record, DCTERMS.source, row["source"]) in g
    if expected:
        subject = sorted(expected)[0][0]
        one = ask(loaded, "mappings", resource=str(subject))
        assert {r["resource"] for r in one} == {subject}


def test_class_counts(loaded, g):
    rows = ask(loaded, "class-counts")
    expected = Counter(o for s, o in g.subject_objects(RDF.type))
    distinct = {c: len(set(g.subjects(RDF.type, c))) for c in expected}
    assert {r["class"]: int(r["resources"]) for r in rows} == distinct
    counts = [int(r["resources"]) for r in rows]
    assert counts == sorted(counts, reverse=True)


def test_triples_per_file(loaded):
    rows = ask(loaded, "triples-per-file")
    expected = {URIRef(source_graph_iri(p, SOURCES)): len(load_files([p]).graph) for p in loaded.source_files}
    assert {r["graph"]: int(r["triples"]) for r in rows} == expected


# --- header format, parameters -----------------------------------------------------------------------------

def test_every_query_has_a_title_and_description():
    for query in CATALOGUE.values():
        assert query.title and query.title != query.name, query.name
        assert query.description, query.name


def test_header_parser(tmp_path):
    path = tmp_path / "q.rq"
    path.write_text("# title: T\n# description: one\n# description: two\n"
                    "# param: code (string) = 0440T — the code\n# param: n (integer, optional) -- count\n"
                    "SELECT * WHERE { ?s ?p ?o }\n# title: not header\n")
    query = parse_query_file(path)
    assert (query.title, query.description) == ("T", "one two")
    assert [(p.name, p.type, p.default, p.optional) for p in query.parameters] == [
        ("code", "string", "0440T", False), ("n", "integer", None, True)]
    assert query.parameters[0].description == "the code"
    path.write_text("# param: x (float)\nSELECT * {}\n")
    with pytest.raises(BadInput, match="float"):
        parse_query_file(path)


def test_parameters_are_bound_as_terms_not_pasted(loaded):
    query = CATALOGUE["code-attributes"]
    hostile = '0440T" } } SELECT * WHERE { ?s ?p ?o } #'
    text = bind_parameters(query, {"code": hostile}, loaded.engine)
    assert run_named(loaded.engine, query, {"code": hostile}).rows == []
    assert Literal(hostile).n3() in text  # one escaped literal term
    assert run_named(loaded.engine, query, {"code": "0440T"}).rows
    with pytest.raises(BadInput):
        bind_parameters(query, {"nope": "1"}, loaded.engine)
    with pytest.raises(BadInput):
        bind_parameters(CATALOGUE["sources"], {"resource": "<bad iri>"}, loaded.engine)


def test_values_block_goes_first_in_the_where_group():
    assert where_brace('CONSTRUCT { ?s ?p "{" } WHERE { ?s ?p ?o }') == 30
    assert where_brace("SELECT ?x { ?x ?p ?o }") == 10
    assert where_brace("# WHERE {\nASK { }") == 14


def test_values_block_also_goes_first_in_the_union_branches_that_use_it(loaded):
    """Oxigraph does not push a join into UNION branches: with one block only, `sources` scanned the store."""
    block = "VALUES (?nerve) { (<https://w3id.org/cryokg/id/anatomy/pudendal-nerve>) }"
    text = bind_parameters(CATALOGUE["related-codes"], {"nerve": "anat:pudendal-nerve"}, loaded.engine)
    assert text.count(block) == 4  # the WHERE group and its three branches
    assert all(part.lstrip().startswith(block) for part in text.split("UNION {")[1:])
    assert text.count("VALUES (?resource)") == 0
    assert bind_parameters(CATALOGUE["sources"], {}, loaded.engine).count("VALUES (?resource)") == 3
    # code-attributes binds ?code, which no branch mentions (they join on ?codeIri): one block only
    assert bind_parameters(CATALOGUE["code-attributes"], {}, loaded.engine).count("VALUES (?code)") == 1
    nested = parse_query_file(Path("nested.rq"), text="""# title: t
# description: d
# param: x (string) = a — x
SELECT * WHERE { { { ?x ?p ?o } UNION { SELECT ?x WHERE { ?x ?q ?r } } } UNION { ?s ?p ?x } ?x ?p2 ?o2 }""")
    bound = bind_parameters(nested, {}, loaded.engine)
    assert bound.count('VALUES (?x) { ("a") }') == 4  # WHERE, both outer branches, the inner non-select one
    assert '{ VALUES (?x) { ("a") } SELECT' not in bound
    assert loaded.engine.query(bound).kind == "select"  # still a query


def test_optional_parameter_left_unbound(loaded):
    text = bind_parameters(CATALOGUE["mappings"], {}, loaded.engine)
    assert "VALUES (?resource)" not in text


# --- commands ------------------------------------------------------------------------------------------------

def test_queries_command_lists_catalogue(capsys):
    assert main(["queries"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in CATALOGUE)
    assert main(["queries", "--json"]) == 0
    assert {q["name"] for q in json.loads(capsys.readouterr().out)} == set(CATALOGUE)


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "tsv"])
def test_query_command_formats(capsys, fmt):
    assert main(["query", "procedure-steps", "--param", "code=0441T", "--format", fmt]) == 0
    out = capsys.readouterr().out
    if fmt == "json":
        assert json.loads(out)["head"]["vars"][0] == "code"
    elif fmt == "csv":
        table = list(csv.reader(io.StringIO(out)))
        assert table[0][0] == "code" and all(r[0] == "0441T" for r in table[1:])
    elif fmt == "tsv":
        assert out.splitlines()[0].startswith("?code\t")
    else:
        assert "0441T" in out and "row" in out


def test_query_command_file_and_sparql(tmp_path, capsys):
    path = tmp_path / "mine.rq"
    path.write_text("# title: mine\n# param: code = 0442T\nPREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
                    "SELECT ?c WHERE { ?c skos:notation ?code }\n")
    assert main(["query", str(path), "--format", "csv"]) == 0
    assert "0442T" in capsys.readouterr().out
    assert main(["query", "--sparql", "ASK { ?s ?p ?o }"]) == 0
    assert capsys.readouterr().out.strip() == "true"


def test_query_command_bad_input_exits_2(capsys):
    assert main(["query", "--sparql", "SELECT ?x WHERE {\n ?x ?y }"]) == 2
    err = capsys.readouterr().err
    assert "line 2" in err and "column" in err
    assert main(["query", "no-such-query"]) == 2
    assert main(["query", "siblings", "--param", "nope=1"]) == 2
    assert main(["query", "siblings", "--param", "novalue"]) == 2
    assert main(["query"]) == 2
    assert main(["query", "missing.rq"]) == 2


def test_data_files_are_the_store_files(loaded):
    assert loaded.source_files == find_data_files(SOURCES)
