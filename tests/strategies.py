"""Hypothesis strategies for random graphs in the cryokg vocabulary (shared by the property-based tests)."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from cryokg.namespaces import CRYO, DEFAULT_BASE

QUICK_PROFILE = "quick"
"""The Hypothesis profile of ``scripts/run test --quick`` (registered in tests/conftest.py)."""


def examples(full: int) -> int:
    """How many examples a property test draws: *full* in the full run (CI), a tenth (at least 5) under the quick
    profile - the edit loop samples each property, the full run searches it."""
    return max(5, full // 10) if settings.get_current_profile_name() == QUICK_PROFILE else full


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


# --- every literal RDF 1.1 allows (tests/test_writers.py) -------------------------------------------------------
# Lexical forms: any Unicode string without surrogates (UTF-8 cannot carry them): C0 and C1 controls, NUL, DEL,
# quotes, backslashes, line and paragraph separators, non-characters, non-BMP, the empty string.
any_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60) | st.sampled_from(
    ["", "\x00", "\x01\x02\x1f\x7f", "\r", "\r\n", "\u2028\u0085", "\ufffe\uffff", "\U0001f600\U0010fffd",
     '"""', "'''", "\\", '\\"', "\\u0041", "a\tb", "<b>&amp;</b>", "]]>", "@en", "^^"])
# Well-formed BCP 47 tags (RDF 1.1 Concepts, 3.3), in any letter case: language, extlang, script, region,
# variant, extension and private-use subtags.
language_tags = st.sampled_from(["en", "EN", "en-GB", "en-gb", "de-CH-1901", "zh-Hant-TW", "sr-Latn-RS", "es-419",
                                 "x-private", "en-a-bbb-x-ccc", "zh-yue-HK", "sl-rozaj-biske", "i-klingon"]) | \
    st.from_regex(r"[a-zA-Z]{2,3}(-[A-Z][a-z]{3})?(-[A-Z]{2}|-[0-9]{3})?(-[a-z0-9]{5,8})?", fullmatch=True)
_XSD_VALUES = {
    XSD.integer: st.integers(-10**30, 10**30).map(str),
    XSD.decimal: st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
    XSD.double: st.floats(allow_nan=False).map(repr) | st.sampled_from(["INF", "-INF", "NaN", "1e0", "-0.0E-5"]),
    XSD.boolean: st.sampled_from(["true", "false", "1", "0"]),
    XSD.date: st.dates().map(lambda d: d.isoformat()),
    XSD.dateTime: st.datetimes().map(lambda d: d.isoformat()),
}
datatypes = st.sampled_from([XSD.string, XSD.anyURI, XSD.token, XSD.integer, XSD.date, RDF.PlainLiteral,
                             URIRef("https://w3id.org/cryokg/def/dt"), URIRef("urn:example:datatype"),
                             URIRef("http://example.org/dt#with%20escape")])
all_literals = st.one_of(
    st.builds(Literal, any_text),
    st.builds(lambda text, tag: Literal(text, lang=tag), any_text, language_tags),
    st.builds(lambda text, dt: Literal(text, datatype=dt), any_text, datatypes),  # ill-typed forms included
    st.sampled_from(sorted(_XSD_VALUES, key=str)).flatmap(
        lambda dt: _XSD_VALUES[dt].map(lambda lexical: Literal(lexical, datatype=dt))),
)
