"""Hypothesis strategies for random graphs in the cryokg vocabulary (shared by the property-based tests)."""

from __future__ import annotations

from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from cryokg.namespaces import CRYO, DEFAULT_BASE

KINDS = ("code", "anatomy", "technique", "device", "agent", "step", "effect")
CLASSES = (CRYO.ProcedureCode, CRYO.Nerve, CRYO.NervePlexus, CRYO.Technique, CRYO.Device, CRYO.Coolant,
           CRYO.ProcedureStep, CRYO.Effect, CRYO.BodyRegion)
OBJECT_PROPERTIES = (CRYO.method, CRYO.approach, CRYO.anatomicScope, CRYO.usesDevice, CRYO.coolant, CRYO.hasStep,
                     CRYO.locatedIn, CRYO.branchOf, CRYO.relatedCode, SKOS.broader, CRYO.hasPart)

slugs = st.from_regex(r"[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,5}){0,2}", fullmatch=True)
resources = st.builds(lambda kind, slug: URIRef(f"{DEFAULT_BASE}id/{kind}/{slug}"), st.sampled_from(KINDS), slugs)
# Text with quotes, backslashes, newlines, XML specials and non-ASCII; no surrogates or other unencodable code points.
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x00")
                | st.sampled_from(['"', "\\", "\n", "\r", "\t", "<", "&", ">", "'", "é", "–"]), max_size=40)
literals = st.one_of(
    st.builds(lambda t: Literal(t, lang="en"), texts),
    st.builds(Literal, texts),
    st.builds(lambda n: Literal(n, datatype=XSD.integer), st.integers(-10**6, 10**6)),
    st.builds(lambda b: Literal(b), st.booleans()),
    st.builds(lambda d: Literal(f"{d:.2f}", datatype=XSD.decimal), st.floats(-1e4, 1e4, allow_nan=False)),
    st.builds(lambda d: Literal(d.isoformat(), datatype=XSD.date), st.dates()),
)


@st.composite
def graphs(draw: st.DrawFn, max_nodes: int = 12) -> Graph:
    """A random graph: typed resources, labels, literal attributes and object-property edges."""
    nodes = draw(st.lists(resources, min_size=1, max_size=max_nodes, unique=True))
    graph = Graph()
    for node in nodes:
        graph.add((node, RDF.type, draw(st.sampled_from(CLASSES))))
        graph.add((node, SKOS.prefLabel, Literal(draw(texts), lang="en")))
        for value in draw(st.lists(literals, max_size=3)):
            graph.add((node, draw(st.sampled_from((SKOS.altLabel, SKOS.definition, CRYO.stepOrder, CRYO.reason))), value))
        for target in draw(st.lists(st.sampled_from(nodes), max_size=3)):
            graph.add((node, draw(st.sampled_from(OBJECT_PROPERTIES)), target))
        if draw(st.booleans()):  # vocabulary IRIs as objects, rdf:type among them (not written as "a" there)
            graph.add((node, RDFS.seeAlso, draw(st.sampled_from((RDF.type, RDF.Property, CRYO.method)))))
    return graph
