"""The one way cryokg parses RDF: through pyoxigraph, strictly, with limits, and without fetching anything.

Why not rdflib's parsers: rdflib's JSON-LD parser fetches remote ``@context`` URLs (a door for server-side
request forgery when the input is untrusted), its RDF/XML parser expands internal entities, and its Turtle
parser accepts IRIs with spaces with only a warning. pyoxigraph refuses remote contexts (no document loader
is set), refuses external entities, reports line and column, and is an order of magnitude faster.
The triples are handed over as rdflib terms, which the rest of the pipeline (owlrl, pyshacl) works on.

pyoxigraph still needs two guards in front of it, both measured: it expands *internal* XML entities (a
"billion laughs" document of 1 KiB became a 1 GB literal after 100 s), and its RDF/XML parser slows down
quadratically with element nesting (50 000 levels: 43 s). So RDF/XML is first read by expat, which
refuses any ``<!DOCTYPE`` (no DTD, hence no entity of any kind) and any nesting deeper than
:data:`MAX_XML_DEPTH`; JSON-LD nesting is bounded by :data:`MAX_JSON_DEPTH`. Turtle, TriG, N-Triples and
N-Quads are parsed by a non-recursive parser in linear time, so only their size is bounded.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import cast, overload
from xml.parsers import expat

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from cryokg.errors import SourceError

__all__ = ["FORMATS", "MAX_BYTES", "MAX_JSON_DEPTH", "MAX_XML_DEPTH", "oxigraph_term", "oxigraph_triple", "parse_quads",
           "parse_rdf", "rdflib_term", "read_limited"]

FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
}
_FORMAT_NAMES = {"turtle": "Turtle", "ntriples": "N-Triples", "jsonld": "JSON-LD", "rdfxml": "RDF/XML",
                 "trig": "TriG", "nquads": "N-Quads"}
MAX_BYTES = 50 * 1024 * 1024
"""Largest input accepted (50 MiB); the real release is well under 2 MiB."""
MAX_JSON_DEPTH = 64
"""Deepest JSON nesting accepted in JSON-LD input; deeper documents are refused before parsing."""
MAX_XML_DEPTH = 64
"""Deepest element nesting accepted in RDF/XML input (the release's own RDF/XML is 4 levels deep)."""



class _NoLiteralTraceback(logging.Filter):
    """rdflib logs a warning *with a traceback* for every ill-typed literal it creates (``"abc"^^xsd:integer``).
    cryokg reports such literals itself, with file and line (:func:`cryokg.sources.load.check_graph`, SHACL
    datatype checks), so the record is dropped: no Python traceback reaches stderr for bad input."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Failed to convert Literal lexical form")


logging.getLogger("rdflib.term").addFilter(_NoLiteralTraceback())


def read_limited(path: Path | str, *, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of *path*, refused with :class:`SourceError` *before* reading when over *max_bytes*.

    The size is taken from the open file (``fstat``), and at most ``max_bytes + 1`` bytes are read whatever
    it says (a pipe, ``/dev/zero``, a file still growing), so a 4 GB file costs neither memory nor time.
    """
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                raise SourceError(path, f"file is {size} bytes, over the limit of {max_bytes}")
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise SourceError(path, f"cannot read: {exc.strerror or exc}") from exc
    if len(data) > max_bytes:
        raise SourceError(path, f"file is more than {max_bytes} bytes, over the limit")
    return data


_POSITION = re.compile(r"line (\d+) between columns (\d+)")

Term = URIRef | Literal | BNode


@overload
def rdflib_term(term: None, *, normalize: bool = True) -> None: ...


@overload
def rdflib_term(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple, *, normalize: bool = True) -> Term: ...


@overload
def rdflib_term(term: object, *, normalize: bool = True) -> Term | None: ...


def rdflib_term(term: object, *, normalize: bool = True) -> Term | None:
    """A pyoxigraph term as the rdflib term the rest of cryokg uses (the one converter, used by the parser,
    the embedded store, the web server and publish): ``xsd:string`` literals become plain literals, as in the
    sources; an RDF-star quoted triple is shown as text; ``None`` (an unbound variable) stays ``None``.
    With *normalize* false a typed literal keeps its lexical form (``"1"^^xsd:boolean`` stays ``"1"``, which
    rdflib would write ``"true"``): SHACL tells the two apart (``sh:uniqueLang`` is activated by ``true`` only)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        if term.datatype.value == str(XSD.string):
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(term.datatype.value), normalize=normalize)
    if isinstance(term, ox.Triple):
        return Literal(str(term))
    raise TypeError(f"unexpected pyoxigraph term {term!r}")


@overload
def oxigraph_term(term: URIRef) -> ox.NamedNode: ...


@overload
def oxigraph_term(term: BNode) -> ox.BlankNode: ...


@overload
def oxigraph_term(term: Literal) -> ox.Literal: ...


@overload
def oxigraph_term(term: Term) -> ox.NamedNode | ox.BlankNode | ox.Literal: ...


def oxigraph_term(term: Term) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An rdflib term as a pyoxigraph term: the converse of :func:`rdflib_term`."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unexpected rdflib term {term!r}")


def oxigraph_triple(s: object, p: object, o: object) -> ox.Triple:
    """An rdflib triple as a pyoxigraph triple (terms by :func:`oxigraph_term`; a literal subject or a predicate
    that is not an IRI is refused by pyoxigraph with TypeError)."""
    subject, predicate = oxigraph_term(cast(Term, s)), oxigraph_term(cast(Term, p))
    return ox.Triple(subject, predicate, oxigraph_term(cast(Term, o)))  # type: ignore[arg-type]


def _json_depth(data: bytes) -> int:
    """Maximum nesting of brackets outside strings: cheap, and safe on hostile input (no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x7B, 0x5B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x7D, 0x5D):
            depth -= 1
    return deepest


class _Refused(Exception):
    """Raised from an expat handler to stop reading at the first refused construct."""


def _check_xml(data: bytes, name: str) -> None:
    """Refuse a DTD (so no entity, internal or external, is ever declared) and over-deep nesting.

    expat reads the document once, in linear time, without expanding anything: the handlers stop it at the
    ``<!DOCTYPE`` itself, before any entity declaration is read.
    """
    parser = expat.ParserCreate()
    depth = 0

    def start(*_args: object) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_XML_DEPTH:
            raise _Refused(f"RDF/XML nested deeper than {MAX_XML_DEPTH} elements")

    def end(*_args: object) -> None:
        nonlocal depth
        depth -= 1

    def doctype(*_args: object) -> None:
        raise _Refused("RDF/XML with a document type declaration (<!DOCTYPE ...>) is refused: its entities "
                       "could expand without bound or read other files; write the IRIs out in full")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = doctype
    try:
        parser.Parse(data, True)
    except _Refused as exc:
        raise SourceError(name, str(exc), parser.CurrentLineNumber, parser.CurrentColumnNumber + 1) from None
    except expat.ExpatError as exc:
        raise SourceError(name, f"RDF/XML syntax error: {expat.ErrorString(exc.code)}", exc.lineno,
                          exc.offset + 1) from None


def parse_rdf(data: bytes, *, fmt: str = "turtle", name: str = "<input>", base_iri: str | None = None,
              max_bytes: int = MAX_BYTES, normalize: bool = True,
              prefixes: dict[str, str] | None = None) -> Iterator[tuple[Term, URIRef, Term]]:
    """Parse *data* strictly and yield rdflib triples (quads' graph names are dropped); *normalize*: see
    :func:`rdflib_term`; *prefixes*: see :func:`parse_quads`.

    Raises :class:`SourceError` naming *name*, line and column on bad input, on input over *max_bytes*,
    on JSON-LD nested deeper than :data:`MAX_JSON_DEPTH`, on RDF/XML with a DTD or nested deeper than
    :data:`MAX_XML_DEPTH`, and on JSON-LD that names a remote ``@context``. Never opens a network connection.

    >>> list(parse_rdf(b"<http://e/s> <http://e/p> 1 .", fmt="turtle"))[0][2].toPython()
    1
    """
    for quad in parse_quads(data, fmt=fmt, name=name, base_iri=base_iri, max_bytes=max_bytes, prefixes=prefixes):
        yield (rdflib_term(quad.subject), URIRef(quad.predicate.value),
               rdflib_term(quad.object, normalize=normalize))


def parse_quads(data: bytes, *, fmt: str = "turtle", name: str = "<input>", base_iri: str | None = None,
                max_bytes: int = MAX_BYTES, prefixes: dict[str, str] | None = None) -> list[ox.Quad]:
    """Parse *data* strictly into pyoxigraph quads, with the checks and errors of :func:`parse_rdf`.

    *prefixes*, when given, receives the prefixes the document declares, as the parser read them (the last
    declaration of a name wins), so nothing else reads a document's prologue with a pattern of its own.

    >>> found = {}
    >>> len(parse_quads(b"@prefix ex: <http://e/> . PREFIX b: <http://b/> ex:s ex:p b:o .", prefixes=found))
    1
    >>> found
    {'b': 'http://b/', 'ex': 'http://e/'}
    """
    if fmt not in FORMATS:
        raise SourceError(name, f"unknown RDF format {fmt!r} (one of {', '.join(FORMATS)})")
    if len(data) > max_bytes:
        raise SourceError(name, f"input is {len(data)} bytes, over the limit of {max_bytes}")
    if fmt == "jsonld" and _json_depth(data) > MAX_JSON_DEPTH:
        raise SourceError(name, f"JSON-LD nested deeper than {MAX_JSON_DEPTH} levels")
    if fmt == "rdfxml":
        _check_xml(data, name)
    try:
        parser = ox.parse(data, format=FORMATS[fmt], base_iri=base_iri)
        quads = list(parser)
        if prefixes is not None:
            prefixes.update(parser.prefixes)
    except SyntaxError as exc:
        message = str(exc)
        match = _POSITION.search(message)
        line, column = (int(match.group(1)), int(match.group(2))) if match else (exc.lineno, exc.offset)
        detail = re.sub(r"^Parser error at line \d+ between columns \d+ and \d+: ", "", message)
        detail = re.sub(r" \(line \d+\)$", "", detail)
        if "LoadDocumentCallback" in detail:
            detail = "remote @context documents are never fetched: put the context inline"
        raise SourceError(name, f"{_FORMAT_NAMES.get(fmt, fmt)} syntax error: {detail}", line, column) from None
    except (ValueError, OSError) as exc:
        raise SourceError(name, f"cannot parse {fmt}: {exc}") from None
    return quads
