"""cryokg's SHACL engine (cryokg.check.shacl) against pyshacl, the reference: the same results on the release, on
every shape example, on mutated synthetic graphs, and on shapes that use the Core features the project's own
shapes do not (so the engine is right for users' shapes too). Where the engine cannot evaluate a shapes
graph, validation falls back to pyshacl.

Results are compared as multisets of :class:`cryokg.check.validation.ValidationResult` (severity, focus node, path,
component, message, named shape, value).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH, XSD

from cryokg.check.shacl import Engine, compile_shapes
from cryokg.check.shacl.index import DataIndex, key_of, term_of
from cryokg.check.validation import ValidationOutcome, load_shapes, validate_graph
from cryokg.errors import BadInput, EngineUnsupported
from cryokg.release.synth import generate
from cryokg.sources.load import find_data_files, find_shape_files, load_files

sys.path.insert(0, str(Path(__file__).resolve().parent / "shapes"))
import shapes_manifest as manifest

from strategies import graphs, literals, resources

ROOT = Path(__file__).resolve().parents[1]
ONTOLOGY = ROOT / "ontology"
EXAMPLES = [example for path in sorted(manifest.EXAMPLES.glob("*.trig")) for example in manifest.examples(path)]


def same_results(data: Graph, shapes: Graph) -> ValidationOutcome:
    """Validate with both engines, assert they agree, and return cryokg's outcome."""
    fast = validate_graph(data, shapes, engine="cryokg")
    reference = validate_graph(data, shapes, engine="pyshacl")
    assert Counter(fast.results) == Counter(reference.results)
    return fast


@pytest.fixture(scope="module")
def project_shapes() -> Graph:
    return load_shapes(find_shape_files(ONTOLOGY))


@pytest.mark.slow  # pyshacl's time on the whole release; test_shapes runs every example in --quick
def test_release_same_results(project_shapes):
    data = load_files(find_data_files(ONTOLOGY)).graph
    outcome = same_results(data, project_shapes)
    assert outcome.passes() and not outcome.conforms and outcome.count("Warning") > 0 and outcome.count("Info") > 0


@pytest.mark.slow  # ~1 s each, pyshacl's time; tests/test_shapes.py runs every example on the default engine in --quick
@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_shape_examples_same_results(example):
    graph = manifest.base_graph()
    for triple in example.data:
        graph.add(triple)
    outcome = same_results(graph, manifest.project_shapes(example.shapes))
    assert bool(outcome.results) != example.conforms  # sh:conforms is false on any result, even an Info


@pytest.fixture(scope="module")
def synthetic() -> Graph:
    return generate(triples=1_500, seed=3)


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_synthetic_graphs_same_results(synthetic, project_shapes, data):
    """Delete triples, change objects to random literals or resources, retype nodes: same results."""
    graph = Graph()
    for triple in synthetic:
        graph.add(triple)
    triples = sorted(graph)
    for _ in range(data.draw(st.integers(1, 8))):
        s, p, o = triples[data.draw(st.integers(0, len(triples) - 1))]
        action = data.draw(st.sampled_from(("delete", "literal", "resource", "retype")))
        if action == "delete":
            graph.remove((s, p, o))
        elif action == "literal":
            graph.add((s, p, data.draw(literals)))
        elif action == "resource":
            graph.add((s, p, data.draw(resources)))
        else:
            graph.add((s, RDF.type, data.draw(st.sampled_from(sorted(set(graph.objects(None, RDF.type)))))))
    same_results(graph, project_shapes)


FEATURE_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix ex: <http://example.org/> .
@prefix cryo: <https://w3id.org/cryokg/def/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .

ex:prefixes sh:declare [ sh:prefix "cryo" ; sh:namespace "https://w3id.org/cryokg/def/"^^xsd:anyURI ] ,
    [ sh:prefix "skos" ; sh:namespace "http://www.w3.org/2004/02/skos/core#"^^xsd:anyURI ] .

ex:Codes a sh:NodeShape ;
    sh:targetClass cryo:ProcedureCode , cryo:Nerve ;
    sh:property [ sh:path skos:prefLabel ; sh:languageIn ( "de" "en-GB" ) ; sh:message "language"@en ] ,
        [ sh:path skos:prefLabel ; sh:minLength 3 ; sh:maxLength 12 ; sh:message "length"@en ] ,
        [ sh:path skos:prefLabel ; sh:pattern "^[a-z]" ; sh:flags "i" ; sh:message "pattern"@en ] ,
        [ sh:path [ sh:alternativePath ( cryo:method cryo:usesDevice ) ] ; sh:maxCount 1 ; sh:message "alt"@en ] ,
        [ sh:path ( cryo:locatedIn [ sh:zeroOrMorePath cryo:regionPartOf ] ) ; sh:nodeKind sh:IRI ;
          sh:message "sequence"@en ] ,
        [ sh:path [ sh:oneOrMorePath skos:broader ] ; sh:class cryo:ProcedureCode ; sh:message "plus"@en ] ,
        [ sh:path [ sh:zeroOrOnePath cryo:branchOf ] ; sh:nodeKind sh:BlankNodeOrIRI ; sh:message "opt"@en ] ,
        [ sh:path [ sh:inversePath cryo:relatedCode ] ; sh:maxCount 0 ; sh:severity sh:Info ;
          sh:message "inverse"@en ] ,
        [ sh:path cryo:relatedCode ; sh:equals cryo:method ; sh:message "equals"@en ] ,
        [ sh:path skos:prefLabel ; sh:uniqueLang true ; sh:message "unique"@en ] ,
        [ sh:path cryo:hasPart ; sh:and ( [ sh:nodeKind sh:IRI ] [ sh:class cryo:Device ] ) ; sh:message "and"@en ] ,
        [ sh:path cryo:usesDevice ; sh:not [ sh:class cryo:Nerve ] ; sh:message "not"@en ] ,
        [ sh:path cryo:coolant ;
          sh:qualifiedValueShape [ sh:nodeKind sh:IRI ] ; sh:qualifiedMaxCount 1 ;
          sh:qualifiedValueShapesDisjoint true ; sh:message "qualified"@en ] ,
        [ sh:path cryo:coolant ;
          sh:qualifiedValueShape [ sh:nodeKind sh:Literal ] ; sh:qualifiedMinCount 1 ;
          sh:qualifiedValueShapesDisjoint true ; sh:message "qualified-literal"@en ] .

ex:Numbers a sh:NodeShape ;
    sh:targetSubjectsOf cryo:stepOrder , cryo:temperatureCelsius ;
    sh:property [ sh:path cryo:stepOrder ; sh:maxInclusive 5 ; sh:minExclusive 0 ; sh:message "range"@en ] ,
        [ sh:path cryo:temperatureCelsius ; sh:maxExclusive 0.0 ; sh:datatype xsd:decimal ; sh:message "cold"@en ] .

ex:Closed a sh:NodeShape ;
    sh:targetClass cryo:Device ;
    sh:closed true ; sh:ignoredProperties ( rdf:type skos:prefLabel ) ;
    sh:property [ sh:path cryo:hasPart ] ;
    sh:message "closed"@en .

ex:Objects a sh:NodeShape ;
    sh:targetObjectsOf cryo:locatedIn ;
    sh:nodeKind sh:IRI ;
    sh:class cryo:BodyRegion ;
    sh:message "object of locatedIn"@en .

ex:Implicit a rdfs:Class , sh:NodeShape ;
    sh:property [ sh:path skos:notation ; sh:minCount 1 ; sh:message "implicit"@en ] .

ex:Off a sh:NodeShape ;
    sh:targetClass cryo:ProcedureCode ;
    sh:deactivated true ;
    sh:property [ sh:path skos:notation ; sh:minCount 5 ] .

ex:Sparql a sh:NodeShape ;
    sh:targetClass cryo:ProcedureCode ;
    sh:sparql [
        sh:message "{$this} shares label {?label} with {?value} via {?path}"@en ;
        sh:prefixes ex:prefixes ;
        sh:select \"\"\"SELECT $this ?value ?label ?path WHERE {
            $this skos:prefLabel ?label . ?value skos:prefLabel ?label .
            FILTER ($this != ?value) BIND (skos:prefLabel AS ?path) }\"\"\" ] .

ex:SparqlBatch a sh:NodeShape ;
    sh:targetClass cryo:ProcedureCode ;
    sh:sparql [
        sh:message "{$this} is narrower than {?value}, which is not a code"@en ;
        sh:prefixes ex:prefixes ;
        sh:select \"\"\"SELECT $this ?value WHERE { $this skos:broader ?value .
            FILTER NOT EXISTS { ?value a cryo:ProcedureCode } }\"\"\" ] .

ex:Failure a sh:PropertyShape ;
    sh:targetClass cryo:Nerve ;
    sh:path cryo:branchOf ;
    sh:sparql [
        sh:message "failure row for {$this}"@en ;
        sh:prefixes ex:prefixes ;
        sh:select \"\"\"SELECT $this ?failure WHERE { $this cryo:branchOf $this . BIND (true AS ?failure) }\"\"\" ] .
"""

EX = "http://example.org/"
CRYO = "https://w3id.org/cryokg/def/"
SKOS = "http://www.w3.org/2004/02/skos/core#"


def feature_data() -> Graph:
    """A graph that breaks each feature shape at least once, and passes each at least once."""
    data = Graph()
    code, other, nerve, device, region = (URIRef(EX + n) for n in ("code", "other", "nerve", "device", "region"))
    c = lambda name: URIRef(CRYO + name)  # noqa: E731
    s = lambda name: URIRef(SKOS + name)  # noqa: E731
    for triple in [
        (code, RDF.type, c("ProcedureCode")), (other, RDF.type, c("ProcedureCode")), (nerve, RDF.type, c("Nerve")),
        (device, RDF.type, c("Device")), (region, RDF.type, c("BodyRegion")),
        (code, s("prefLabel"), Literal("Cryo", lang="de")), (code, s("prefLabel"), Literal("1x", lang="en")),
        (code, s("prefLabel"), Literal("far too long a label", lang="en-GB")),
        (other, s("prefLabel"), Literal("Cryo", lang="de")), (other, s("prefLabel"), BNode("label")),
        (code, c("method"), c("x")), (code, c("usesDevice"), device), (code, c("usesDevice"), nerve),
        (code, s("broader"), other), (other, s("broader"), device), (code, s("notation"), Literal("0440T")),
        (nerve, c("locatedIn"), region), (region, c("regionPartOf"), BNode("up")), (nerve, c("branchOf"), nerve),
        (code, c("relatedCode"), other), (other, c("relatedCode"), code), (other, c("method"), code),
        (code, c("hasPart"), device), (code, c("hasPart"), Literal("part")), (code, c("coolant"), c("argon")),
        (code, c("coolant"), c("helium")), (other, c("coolant"), Literal("nitrogen")),
        (code, c("stepOrder"), Literal(0)), (other, c("stepOrder"), Literal(3)), (nerve, c("stepOrder"), Literal(9)),
        (code, s("prefLabel"), Literal("Kryo", lang="DE")),
        (device, c("temperatureCelsius"), Literal("-185.7", datatype=XSD.decimal)),
        (nerve, c("temperatureCelsius"), Literal("12", datatype=XSD.integer)),
        (device, c("hasPart"), c("tip")), (device, c("madeBy"), Literal("acme")),
        (URIRef(EX + "thing"), RDF.type, URIRef(EX + "Implicit")),
        (BNode("anon"), RDF.type, c("ProcedureCode")), (BNode("anon"), s("prefLabel"), Literal("Cryo", lang="de")),
        (BNode("anon"), s("broader"), BNode("up")),
    ]:
        data.add(triple)
    return data


def test_feature_shapes_same_results():
    shapes = Graph().parse(data=FEATURE_SHAPES, format="turtle")
    outcome = same_results(feature_data(), shapes)
    found = {r.component for r in outcome.results}
    expected = {"LanguageInConstraintComponent", "MinLengthConstraintComponent", "MaxLengthConstraintComponent",
                "PatternConstraintComponent", "MaxCountConstraintComponent", "NodeKindConstraintComponent",
                "ClassConstraintComponent", "EqualsConstraintComponent", "AndConstraintComponent",
                "NotConstraintComponent", "QualifiedMaxCountConstraintComponent",
                "QualifiedMinCountConstraintComponent", "MaxInclusiveConstraintComponent",
                "MinExclusiveConstraintComponent", "MaxExclusiveConstraintComponent",
                "DatatypeConstraintComponent", "ClosedConstraintComponent", "MinCountConstraintComponent",
                "SPARQLConstraintComponent", "UniqueLangConstraintComponent"}
    assert expected <= found, expected - found
    assert not any(r.shape == "ex:Off" or "Off" in (r.shape or "") for r in outcome.results)
    messages = {r.message for r in outcome.results}
    assert f"{EX}code shares label Cryo with {EX}other via skos:prefLabel" in messages
    assert f"failure row for {EX}nerve" in messages
    blank = {r.message for r in outcome.results if r.focus == "_:anon" and r.component == "SPARQLConstraintComponent"}
    assert {"anon is narrower than up, which is not a code", f"anon shares label Cryo with {EX}code via skos:prefLabel"} \
        <= blank, blank


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(graphs(max_nodes=10))
def test_random_graphs_same_results(graph):
    shapes = Graph().parse(data=FEATURE_SHAPES, format="turtle")
    same_results(graph, shapes)


UNSUPPORTED = [
    ("lessThan", "ex:S a sh:NodeShape ; sh:targetClass cryo:ProcedureCode ; "
                 "sh:property [ sh:path cryo:stepOrder ; sh:lessThan cryo:minimumDeviceCount ] ."),
    ("recursive", "ex:S a sh:NodeShape ; sh:targetClass cryo:ProcedureCode ; "
                  "sh:property [ sh:path skos:broader ; sh:node ex:S ] ."),
]


@pytest.mark.parametrize(("name", "text"), UNSUPPORTED, ids=[u[0] for u in UNSUPPORTED])
def test_unsupported_shapes_fall_back_to_pyshacl(name, text):
    shapes = Graph().parse(data=FEATURE_SHAPES.split("ex:Codes")[0] + text, format="turtle")
    data = feature_data()
    auto = validate_graph(data, shapes)
    assert Counter(auto.results) == Counter(validate_graph(data, shapes, engine="pyshacl").results)
    with pytest.raises(BadInput, match="--engine pyshacl"):
        validate_graph(data, shapes, engine="cryokg")


def test_unknown_engine_is_bad_input(project_shapes):
    with pytest.raises(BadInput, match="unknown SHACL engine"):
        validate_graph(Graph(), project_shapes, engine="jena")


def test_report_graph_describes_each_result(project_shapes):
    graph = manifest.base_graph()
    nerve = URIRef("https://w3id.org/cryokg/id/anatomy/unassigned-test-nerve")
    graph.add((nerve, RDF.type, URIRef(CRYO + "Nerve")))
    outcome = validate_graph(graph, project_shapes, engine="cryokg")
    report = outcome.report
    assert len(list(report.objects(None, SH.result))) == len(outcome.results) > 0
    assert report.value(next(report.subjects(RDF.type, SH.ValidationReport)), SH.conforms) == Literal(False)
    assert {str(report.value(r, SH.focusNode)) for r in report.objects(None, SH.result)} >= {str(nerve)}


def test_data_graph_is_not_changed(project_shapes):
    data = load_files(find_data_files(ONTOLOGY)).graph
    before = set(data)
    validate_graph(data, project_shapes, engine="cryokg")
    assert set(data) == before


def test_index_of_a_graph_sharing_its_store_holds_only_its_triples():
    """A named graph of a dataset shares rdflib's store with others: the index must not see their triples."""
    dataset = Dataset()
    mine, theirs = dataset.graph(URIRef(EX + "mine")), dataset.graph(URIRef(EX + "theirs"))
    mine.add((URIRef(EX + "a"), URIRef(EX + "p"), Literal("1")))
    theirs.add((URIRef(EX + "b"), URIRef(EX + "p"), Literal("2")))
    index = DataIndex(mine)
    assert {(term_of(s), URIRef(p), term_of(o)) for s, by in index.out.items() for p, os in by.items() for o in os} \
        == set(mine)


def test_index_read_from_the_store_equals_the_graph(synthetic):
    """The index read from rdflib's store dictionaries (the fast path) holds exactly the graph's triples, after
    removals too (the store keeps emptied entries), with blank nodes and typed literals."""
    from cryokg.check.shacl.index import _from_memory_store

    graph = Graph()
    for triple in synthetic:
        graph.add(triple)
    graph.add((BNode("x"), URIRef(EX + "p"), Literal("1", datatype=XSD.integer)))
    graph.add((URIRef(EX + "a"), URIRef(EX + "p"), BNode("x")))
    for s in sorted(set(graph.subjects()), key=str)[:20]:
        graph.remove((s, None, None))
    out = _from_memory_store(graph)
    assert out is not None and DataIndex(graph).out == out
    expected: dict = {}
    for s, p, o in graph:
        expected.setdefault(key_of(s), {}).setdefault(str(p), set()).add(key_of(o))
    assert {s: {p: set(os) for p, os in by.items()} for s, by in out.items()} == expected
    keys = [k for s, by in out.items() for k in (s, *(o for os in by.values() for o in os))]
    assert {type(k) for k in keys} == {str, Literal}  # plain strings, not rdflib IRIs (slow to hash)


def test_engine_compiles_the_project_shapes(project_shapes):
    model = compile_shapes(project_shapes)
    assert len(model.targeted) >= 40
    engine = Engine(model, load_files(find_data_files(ONTOLOGY)).graph)
    assert len(engine.focus_nodes(model.shapes[URIRef("https://w3id.org/cryokg/shapes/NerveShape")])) >= 70


def test_batched_sparql_constraints_equal_per_node_queries(project_shapes, synthetic):
    """One query per SHACL-SPARQL constraint gives the same results as one query per focus node."""
    from cryokg.check.shacl.model import batchable

    model = compile_shapes(project_shapes)
    batched = [c for shape in model.shapes.values() for c in shape.sparql if c.batch]
    assert len(batched) >= 5 and not batchable("SELECT $this ?v WHERE { ?x <p> ?v OPTIONAL { ?v <q> $this } }")
    graph = Graph()
    for triple in synthetic:
        graph.add(triple)
    for rule in sorted(graph.subjects(RDF.type, URIRef(CRYO + "BundlingRule")))[:3]:
        graph.remove((rule, URIRef(CRYO + "notReportedWith"), None))
    fast = Engine(model, graph).validate()
    slow = Engine(model, graph, batch_sparql=False).validate()
    key = lambda r: (str(r.focus), str(r.value), str(r.component), tuple(map(str, r.messages)))  # noqa: E731
    assert sorted(map(key, fast)) == sorted(map(key, slow))
    assert any(r.component == SH.SPARQLConstraintComponent for r in fast)


BATCH_ORDER_SHAPES = FEATURE_SHAPES.split("ex:Codes")[0] + """
ex:OptionalFirst a sh:NodeShape ;
    sh:targetClass cryo:Nerve ;
    sh:sparql [ sh:prefixes ex:prefixes ; sh:message "optional before $this" ;
        sh:select \"\"\"SELECT $this ?region ?other WHERE { ?region skos:prefLabel ?label
            OPTIONAL { ?region cryo:hasPart $this . ?region skos:notation ?other }
            $this cryo:locatedIn ?region }\"\"\" ] .
ex:NestedOptional a sh:NodeShape ;
    sh:targetClass cryo:Nerve ;
    sh:sparql [ sh:prefixes ex:prefixes ; sh:message "nested optional" ;
        sh:select \"\"\"SELECT $this ?value WHERE { $this cryo:locatedIn ?region
            OPTIONAL { ?region skos:prefLabel ?value OPTIONAL { ?region cryo:hasPart ?part . ?part cryo:hasPart $this } }
            }\"\"\" ] .
ex:BoundAfter a sh:NodeShape ;
    sh:targetClass cryo:Nerve ;
    sh:sparql [ sh:prefixes ex:prefixes ; sh:message "no part" ;
        sh:select \"\"\"SELECT $this ?region WHERE { $this cryo:locatedIn ?region
            OPTIONAL { ?region cryo:hasPart $this } FILTER (!BOUND(?region) || !BOUND(?x)) }\"\"\" ] .
"""


def test_batched_queries_are_only_those_that_equal_pre_binding():
    """One query for all focus nodes only where SPARQL's inside-out evaluation equals pre-binding: an OPTIONAL that
    comes before $this is bound, or one nested in another group, is evaluated without $this and can keep a
    solution that pre-binding drops (and the other way round); bound() of another variable is fine."""
    from cryokg.check.shacl.sparql import batchable

    model = compile_shapes(Graph().parse(data=BATCH_ORDER_SHAPES, format="turtle"))
    batch = {str(shape.node).rsplit("/", 1)[-1]: shape.sparql[0].batch for shape in model.targeted}
    assert batch == {"OptionalFirst": False, "NestedOptional": False, "BoundAfter": True}
    assert not batchable("SELECT $this WHERE { $this <p> ?x FILTER (bound($this)) }")
    ex = "http://example.org/"
    data = Graph()
    nerve, other, region = URIRef(ex + "nerve"), URIRef(ex + "other"), URIRef(ex + "region")
    for node in (nerve, other):
        data.add((node, RDF.type, URIRef(CRYO + "Nerve")))
        data.add((node, URIRef(CRYO + "locatedIn"), region))
    data.add((region, URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"), Literal("r")))
    data.add((region, URIRef("http://www.w3.org/2004/02/skos/core#notation"), Literal("n")))
    data.add((region, URIRef(CRYO + "hasPart"), other))
    data.add((other, URIRef(CRYO + "hasPart"), URIRef(ex + "elsewhere")))
    key = lambda r: (str(r.shape.node), str(r.focus), str(r.value))  # noqa: E731
    for shape in model.targeted:
        shape.sparql[0].batch = True  # what the old rule said: the answers differ from pre-binding
    forced = sorted(map(key, Engine(model, data).validate()))
    per_node = sorted(map(key, Engine(model, data, batch_sparql=False).validate()))
    assert forced != per_node
    model = compile_shapes(Graph().parse(data=BATCH_ORDER_SHAPES, format="turtle"))
    assert sorted(map(key, Engine(model, data).validate())) == per_node
    same_results(data, Graph().parse(data=BATCH_ORDER_SHAPES, format="turtle"))  # and pyshacl agrees


def test_prebind_substitutes_everywhere_sparql_allows():
    """Pre-binding (SHACL 5.3.1) by substitution: nested groups, BIND, bound(), sub-select projections, GROUP BY."""
    from cryokg.check.shacl.sparql import prebind

    query = ("SELECT $this (COUNT(?x) AS ?n) WHERE { { FILTER bound($this) } BIND ($this AS ?that) "
             "{ SELECT $this ?x WHERE { $this <urn:p> ?x } } } GROUP BY $this")
    out = prebind(query, {"this": '"a\\"b"@en'})
    assert "$this" not in out and "?this " not in out.split("WHERE", 1)[1]
    assert out.startswith('SELECT ("a\\"b"@en AS ?this)') and "FILTER (true)" in out
    assert 'BIND ("a\\"b"@en AS ?that)' in out and 'GROUP BY ("a\\"b"@en)' in out
    import pyoxigraph as ox

    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:a"), ox.NamedNode("urn:p"), ox.Literal("1")))
    store.add(ox.Quad(ox.NamedNode("urn:b"), ox.NamedNode("urn:p"), ox.Literal("2")))
    rows = list(store.query(prebind(query, {"this": "<urn:a>"})))
    assert len(rows) == 1 and rows[0]["this"] == ox.NamedNode("urn:a") and rows[0]["n"].value == "1"


BLANK_FOCUS_SHAPES = FEATURE_SHAPES.split("ex:Codes")[0] + """
ex:Union a sh:NodeShape ;
    sh:targetClass cryo:ProcedureCode ;
    sh:sparql [ sh:prefixes ex:prefixes ; sh:message "union" ;
        sh:select \"\"\"SELECT $this WHERE { { $this skos:broader ?x } UNION { FILTER ($this = $this) } }\"\"\" ] .
"""


def test_blank_focus_node_in_a_query_that_needs_substitution_is_declared_unsupported():
    """A blank node has no SPARQL syntax, and pyoxigraph's top-level binding is not pre-binding for this query:
    --engine cryokg says so, auto gives pyshacl's answer."""
    shapes = Graph().parse(data=BLANK_FOCUS_SHAPES, format="turtle")
    data = feature_data()
    with pytest.raises(EngineUnsupported, match="blank node"):
        validate_graph(data, shapes, engine="cryokg")
    assert Counter(validate_graph(data, shapes).results) == Counter(validate_graph(data, shapes, engine="pyshacl").results)
    data.remove((BNode("anon"), None, None))
    same_results(data, shapes)


def test_path_in_a_property_shape_sparql_constraint():
    """$PATH is replaced by the property shape's path in SPARQL syntax (SHACL 5.3.1.2)."""
    shapes = Graph().parse(data=FEATURE_SHAPES.split("ex:Codes")[0] + """
ex:Path a sh:PropertyShape ; sh:targetClass cryo:ProcedureCode ;
    sh:path ( skos:broader [ sh:zeroOrMorePath skos:broader ] ) ;
    sh:sparql [ sh:prefixes ex:prefixes ; sh:message "not a code: {?value}" ;
        sh:select \"\"\"SELECT $this ?value WHERE { $this $PATH ?value .
            FILTER NOT EXISTS { ?value a cryo:ProcedureCode } }\"\"\" ] .
""", format="turtle")
    outcome = validate_graph(feature_data(), shapes, engine="cryokg")
    assert {(r.focus, r.value) for r in outcome.results} >= {(EX + "code", EX + "device"), (EX + "other", EX + "device")}


LOCATED_SHAPES = FEATURE_SHAPES.split("ex:Codes")[0] + """
ex:Located a sh:NodeShape ;
    sh:targetClass cryo:Nerve ;
    sh:sparql [ sh:prefixes ex:prefixes ; sh:message "located in {?value}" ;
        sh:select \"\"\"SELECT $this ?value WHERE { $this cryo:locatedIn ?value }\"\"\" ] .
"""


def test_iris_n_triples_cannot_write_as_they_are_reach_the_sparql_store_unchanged():
    """rdflib keeps IRIs with a space, a '>' or a line break (a Turtle file can spell them with \\u escapes).
    Written into the N-Triples text the SHACL-SPARQL store is loaded from, they must neither break the load
    nor end early and add triples of their own: the engine's answer equals pyshacl's, on the threaded load
    (no blank nodes) and on the one that keeps blank node labels."""
    shapes = Graph().parse(data=LOCATED_SHAPES, format="turtle")
    located = URIRef(CRYO + "locatedIn")
    data = Graph()
    nerve = URIRef(EX + "nerve")
    data.add((nerve, RDF.type, URIRef(CRYO + "Nerve")))
    data.add((nerve, located, URIRef(EX + "a region")))
    data.add((nerve, located, URIRef(f"{EX}x> <{located}> <{EX}injected> .\n<{EX}y")))
    data.add((nerve, located, URIRef(f"{EX}z>.\n<{nerve}><{located}><{EX}injected")))  # valid N-Triples as it is
    data.add((nerve, located, Literal("1", datatype=URIRef(EX + "odd type>"))))
    for extra in (None, (BNode("b"), located, nerve)):
        if extra is not None:
            data.add(extra)
        outcome = same_results(data, shapes)
        assert {r.value for r in outcome.results} == {str(o) if isinstance(o, URIRef) else o.n3()
                                                      for o in data.objects(nerve, located)}


def test_blank_node_label_n_triples_cannot_write_is_declared_unsupported():
    """A blank node label (rdflib takes any string) that N-Triples cannot write under the same label: the engine
    says so, and auto gives pyshacl's answer."""
    shapes = Graph().parse(data=LOCATED_SHAPES, format="turtle")
    data = Graph()
    data.add((BNode("a b"), RDF.type, URIRef(CRYO + "Nerve")))
    data.add((BNode("a b"), URIRef(CRYO + "locatedIn"), URIRef(EX + "region")))
    with pytest.raises(EngineUnsupported, match="blank node labelled 'a b'"):
        validate_graph(data, shapes, engine="cryokg")
    assert Counter(validate_graph(data, shapes).results) == \
        Counter(validate_graph(data, shapes, engine="pyshacl").results)


def test_sparql_answers_after_validation_and_without_it(project_shapes, synthetic):
    """The SHACL-SPARQL queries run in a thread during validate(); asked afterwards (the thread has ended) or on
    an engine that never validated, a constraint gives the same rows."""
    model = compile_shapes(project_shapes)
    graph = Graph()
    for triple in synthetic:
        graph.add(triple)
    for rule in sorted(graph.subjects(RDF.type, URIRef(CRYO + "BundlingRule")))[:2]:
        graph.remove((rule, URIRef(CRYO + "notReportedWith"), None))
    engine, per_node = Engine(model, graph), Engine(model, graph, batch_sparql=False)
    results = [r for r in engine.validate() if r.component == SH.SPARQLConstraintComponent]
    assert results and per_node.validate()
    again = {c.node: c for shape in compile_shapes(project_shapes).shapes.values() for c in shape.sparql}
    for result in results:
        constraint = next(c for c in result.shape.sparql if c.node == result.source_constraint)
        focus = key_of(result.focus)
        fresh = Engine(model, graph, batch_sparql=False)
        assert engine.sparql_rows(constraint, focus) == fresh.sparql_rows(constraint, focus) != []
        # the same query, never asked during validation: it runs in the caller's thread, the worker has ended
        assert per_node.sparql_rows(again[constraint.node], focus) == fresh.sparql_rows(constraint, focus)


def test_per_node_queries_wait_a_bounded_number_at_a_time(project_shapes, synthetic, monkeypatch):
    """Per-node SHACL-SPARQL queries are handed to the worker at most _AHEAD at a time (a shape with a million
    focus nodes must not queue a million queries); with a small bound the answers are the same."""
    from cryokg.check.shacl import engine as engine_module

    model = compile_shapes(project_shapes)
    graph = Graph()
    for triple in synthetic:
        graph.add(triple)
    for rule in sorted(graph.subjects(RDF.type, URIRef(CRYO + "BundlingRule")))[:3]:
        graph.remove((rule, URIRef(CRYO + "notReportedWith"), None))
    key = lambda r: (str(r.shape.node), str(r.focus), str(r.value), tuple(map(str, r.messages)))  # noqa: E731
    expected = sorted(map(key, Engine(model, graph).validate()))
    monkeypatch.setattr(engine_module, "_AHEAD", 1)
    most = []
    submit = engine_module._Worker.submit

    def counting(self, key, query, substitutions=None):
        most.append(len(per_node._pending))
        return submit(self, key, query, substitutions)

    monkeypatch.setattr(engine_module._Worker, "submit", counting)
    per_node = Engine(model, graph, batch_sparql=False)
    assert sorted(map(key, per_node.validate())) == expected
    assert len(most) >= 5 and max(most) == 0  # never a second query handed over before the first is read


def test_index_read_from_a_pyoxigraph_store_equals_the_graph():
    """The index of a graph held in a pyoxigraph store (large sources) holds the same keys as the rdflib graph's:
    string literals without rdflib's second copy of their text, yet equal, with the same hash and value."""
    import pyoxigraph as ox

    from cryokg.rdf.parsing import oxigraph_triple
    from cryokg.rdf.store_graph import store_graph

    graph = Graph()
    a, b, p, q = (URIRef(EX + name) for name in ("a", "b", "p", "q"))
    for triple in [(a, p, Literal("same text", lang="en")), (b, p, Literal("same text", lang="en")),
                   (a, p, Literal("same text")), (a, p, Literal("same text", lang="fr")),
                   (a, q, Literal("2", datatype=XSD.integer)), (a, q, b), (b, RDF.type, a),
                   (b, q, Literal("x" * 1000))]:
        graph.add(triple)
    store = ox.Store()
    store.extend(ox.Quad(*oxigraph_triple(s, pp, o)) for s, pp, o in graph)
    expected = DataIndex(graph).out
    found = DataIndex(store_graph(store)).out
    assert {s: {pp: set(os) for pp, os in by.items()} for s, by in found.items()} \
        == {s: {pp: set(os) for pp, os in by.items()} for s, by in expected.items()}
    literals = {o for by in found.values() for os in by.values() for o in os if isinstance(o, Literal)}
    originals = {o: o for by in expected.values() for os in by.values() for o in os if isinstance(o, Literal)}
    for mine in literals:
        theirs = originals[mine]
        assert (hash(mine), repr(mine), mine.n3(), mine.value) == (hash(theirs), repr(theirs), theirs.n3(), theirs.value)
        assert type(mine.value) is type(theirs.value)
    shared = [o for o in found[EX + "a"][EX + "p"] if o.language == "en"] + list(found[EX + "b"][EX + "p"])
    assert shared[0] is shared[1]  # one object per distinct literal
