"""Deterministic serialisers: the same graph gives the same bytes in every process, written by libraries.

rdflib iterates its store in an order that depends on the process's hash seed, so its own writers, fed the
graph directly, give different bytes from run to run. Here the libraries get sorted input instead:

1. rdflib's N-Triples serialiser turns the graph into text, one line per triple, in whatever order;
2. pyoxigraph parses that text (strictly: a malformed IRI or language tag stops here with a ValueError) and
   writes it back as canonical N-Triples (https://www.w3.org/TR/n-triples/#canonical-ntriples: fixed escapes,
   no ``^^xsd:string``), one line per triple;
3. the lines are sorted by code point (the order of ``LC_ALL=C sort``): that is ``cryokg.nt``;
4. the same triples, subject by subject (``rdf:type`` first, then by line), go to pyoxigraph's Turtle,
   JSON-LD and RDF/XML serialisers, which write triples in the order given and group consecutive triples of
   one subject (and predicate): sorted input, sorted and grouped output.

What is added to the libraries' output, and why (nothing else is touched):

* Turtle gets an optional header comment, and only the prefixes whose namespace starts an IRI of the graph
  (pyoxigraph declares every prefix it is given, longest namespace first);
* JSON-LD and RDF/XML end with a newline;
* RDF/XML: XML parsers turn a raw carriage return into a line feed (XML 1.0, section 2.11) and pyoxigraph
  writes it raw, so it becomes the character reference ``&#13;``. XML 1.0 cannot hold the other C0 control
  characters (U+0000-U+0008, U+000B, U+000C, U+000E-U+001F) nor U+FFFE and U+FFFF at all, not even as
  references, so a graph with such a literal is refused for RDF/XML with a ValueError naming the character,
  instead of writing a file no XML parser reads. Every other format carries them (escaped).

JSON-LD is pyoxigraph's: expanded form (full IRIs, no ``@context``), one node object per subject.
Blank nodes are refused (ValueError): their labels are not stable, so no writer could give the same bytes
twice; the sources have none.

Measured with ``scripts/bench_build.py`` at 100 k triples (synthetic sources, seed 0): the canonical order of
the asserted graph takes 0.73 s (half of it rdflib's N-Triples pass), then Turtle 0.15 s, N-Triples 0.01 s,
JSON-LD 0.09 s, RDF/XML 0.17 s -- 1.15 s for the four, against 1.24 s for the hand-written writers they
replace; the inferred Turtle (125 k triples, its own canonical order) takes 1.15 s against 0.42 s, so writing
as a whole went from 1.66 s to 2.30 s. The hand-written writers were faster because they read rdflib's
private store dictionaries instead of iterating the graph.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Graph

from cryokg.gcpause import collector_paused
from cryokg.namespaces import PREFIXES

__all__ = ["FORMATS", "Canonical", "canonical", "merged", "serialize", "to_jsonld", "to_ntriples", "to_rdfxml",
           "to_turtle"]

_RDF_TYPE = " <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> "
# A blank node in canonical N-Triples: a line that starts with one, or whose object (after two IRIs) is one.
_BLANK_NODE = re.compile(r"^(?:_:|<[^>]*> <[^>]*> _:)", re.MULTILINE)
# Characters XML 1.0 has no way to write (section 2.2, production Char); surrogates cannot occur in UTF-8.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _blank_node_error() -> ValueError:
    return ValueError("blank nodes cannot be serialised deterministically; give the node an IRI")


def _turtle_order(line: str) -> tuple[str, bool, str]:
    """Sort key of a canonical N-Triples line for Turtle: subject, then ``rdf:type`` first, then the line."""
    end = line.index(" ")  # the subject is an IRI: no space inside
    return (line[:end], not line.startswith(_RDF_TYPE, end), line)


@dataclass(frozen=True)
class Canonical:
    """A graph's triples in canonical order, ready for every serialiser (computed once per graph)."""

    lines: list[str]
    """Canonical N-Triples lines (each ends with ``\\n``), sorted by code point, no duplicates."""
    triples: list[ox.Triple]
    """The same triples in Turtle order: by subject, ``rdf:type`` first, then by line."""

    def ntriples(self) -> str:
        return "".join(self.lines)

    def used_prefixes(self, prefixes: dict[str, str]) -> dict[str, str]:
        """The prefixes whose namespace starts an IRI of the graph, in the table's order."""
        text = self.ntriples()
        return {prefix: ns for prefix, ns in prefixes.items() if "<" + ns in text}

    def turtle(self, prefixes: dict[str, str] = PREFIXES, header: str = "") -> str:
        body = ox.serialize(self.triples, format=ox.RdfFormat.TURTLE, prefixes=self.used_prefixes(prefixes))
        head = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
        return head + body.decode("utf-8")

    def jsonld(self) -> str:
        return ox.serialize(self.triples, format=ox.RdfFormat.JSON_LD).decode("utf-8") + "\n"

    def rdfxml(self, prefixes: dict[str, str] = PREFIXES) -> str:
        try:
            text = ox.serialize(self.triples, format=ox.RdfFormat.RDF_XML,
                                prefixes=self.used_prefixes(prefixes)).decode("utf-8")
        except ValueError as exc:  # e.g. a predicate IRI that cannot be split into an XML QName
            raise ValueError(f"cannot write RDF/XML: {exc}") from None
        bad = _NOT_XML.search(text)
        if bad:
            line = text.count("\n", 0, bad.start()) + 1
            raise ValueError(f"a literal holds U+{ord(bad.group()):04X}, which XML 1.0 (so RDF/XML) cannot represent "
                             f"(line {line} of the RDF/XML); use Turtle, N-Triples or JSON-LD for such data")
        return text.replace("\r", "&#13;") + "\n"


@collector_paused()
def canonical(graph: Graph) -> Canonical:
    """The triples of *graph* in canonical order (see the module docstring); ValueError on blank nodes or on
    a term pyoxigraph refuses."""
    loose = graph.serialize(format="nt", encoding="utf-8")
    blank_label_possible = b"_:" in loose  # a plain substring scan; the exact check runs only then
    try:
        triples = list(ox.parse(loose, format=ox.RdfFormat.N_TRIPLES))
    except SyntaxError as exc:
        raise ValueError(f"the graph holds a term that is not valid RDF 1.1: {exc}") from None
    del loose
    # canonical N-Triples has one line per triple, ended by "\n" (no other raw line break: \n and \r are escaped;
    # str.splitlines would also split at U+2028 or U+0085, which a literal may hold raw)
    lines = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8").split("\n")[:-1]
    by_line = {line + "\n": triple for line, triple in zip(lines, triples, strict=True)}
    del lines, triples
    ordered = sorted(by_line)
    if blank_label_possible and _BLANK_NODE.search("".join(ordered)):
        raise _blank_node_error()
    return Canonical(lines=ordered, triples=[by_line[line] for line in sorted(ordered, key=_turtle_order)])


def to_ntriples(graph: Graph) -> str:
    """Sorted canonical N-Triples, one triple a line."""
    return canonical(graph).ntriples()


def to_turtle(graph: Graph, *, prefixes: dict[str, str] = PREFIXES, header: str = "") -> str:
    """Turtle, subjects sorted, ``a`` first, then predicates and objects sorted; *header* as a comment."""
    return canonical(graph).turtle(prefixes, header)


def to_jsonld(graph: Graph) -> str:
    """Expanded JSON-LD, one node object per subject, in the order of :func:`to_turtle`."""
    return canonical(graph).jsonld()


def to_rdfxml(graph: Graph, *, prefixes: dict[str, str] = PREFIXES) -> str:
    """RDF/XML, one element per subject in the order of :func:`to_turtle` (ValueError on text XML cannot hold)."""
    return canonical(graph).rdfxml(prefixes)


FORMATS = {
    "turtle": to_turtle,
    "ntriples": to_ntriples,
    "jsonld": to_jsonld,
    "rdfxml": to_rdfxml,
}


def serialize(graph: Graph, fmt: str) -> str:
    """Serialise with one of :data:`FORMATS`."""
    return FORMATS[fmt](graph)


def merged(*graphs: Iterable) -> Graph:
    """One graph holding the triples of all *graphs*."""
    result = Graph()
    for graph in graphs:
        for triple in graph:
            result.add(triple)
    return result
