"""Deterministic serialisers: the same graph always gives the same bytes.

rdflib's own writers iterate sets whose order depends on the process's hash seed, so two builds of the same
sources would differ. These writers sort subjects, predicates and objects, use one fixed prefix table, and
emit no timestamps. They handle IRIs and literals only: the sources forbid blank nodes.

Formats: canonical Turtle (diff-friendly, prefixes only where used), sorted N-Triples, JSON-LD with an
embedded ``@context`` (compact IRIs), and RDF/XML (one ``rdf:Description`` per subject).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable
from xml.sax.saxutils import escape, quoteattr

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from cryokg.namespaces import PREFIXES

__all__ = ["FORMATS", "serialize", "to_jsonld", "to_ntriples", "to_rdfxml", "to_turtle"]

Term = URIRef | Literal

_LOCAL_NAME = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?$")
_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?\d*\.\d+$")
_GEN_DELIMS = (":", "/", "?", "#", "[", "]", "@")
_SHORTHAND = {str(XSD.integer): _INTEGER, str(XSD.decimal): _DECIMAL}


def _check(graph: Graph) -> None:
    for triple in graph:
        if any(isinstance(term, BNode) for term in triple):
            raise ValueError("blank nodes cannot be serialised deterministically; give the node an IRI")


def _sort_key(term: Term) -> tuple:
    if isinstance(term, URIRef):
        return (0, str(term), "", "")
    return (1, str(term), str(term.datatype or ""), term.language or "")


def _grouped(graph: Graph) -> dict[URIRef, dict[URIRef, list[Term]]]:
    _check(graph)
    table: dict[URIRef, dict[URIRef, list[Term]]] = defaultdict(lambda: defaultdict(list))
    for s, p, o in graph:
        table[s][p].append(o)
    return table


def _predicate_order(p: URIRef) -> tuple:
    return (0, "") if p == RDF.type else (1, str(p))


def _escape_string(value: str) -> str:
    return (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r"))


def _nt_term(term: Term) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    text = f'"{_escape_string(str(term))}"'
    if term.language:
        return f"{text}@{term.language}"
    if term.datatype and term.datatype != XSD.string:
        return f"{text}^^<{term.datatype}>"
    return text


def to_ntriples(graph: Graph) -> str:
    """Sorted N-Triples, one triple a line (RDF 1.1 canonical escapes)."""
    _check(graph)
    lines = sorted(f"{_nt_term(s)} {_nt_term(p)} {_nt_term(o)} .\n" for s, p, o in graph)
    return "".join(lines)


class _Prefixer:
    """Turns IRIs into CURIEs with the fixed prefix table and remembers which prefixes were used."""

    def __init__(self, prefixes: dict[str, str]) -> None:
        self.prefixes = sorted(prefixes.items(), key=lambda kv: -len(kv[1]))
        self.used: set[str] = set()

    def qname(self, iri: str) -> str | None:
        for prefix, ns in self.prefixes:
            if iri.startswith(ns):
                local = iri[len(ns):]
                if _LOCAL_NAME.match(local) or local == "":
                    self.used.add(prefix)
                    return f"{prefix}:{local}"
        return None

    def turtle(self, term: Term, *, predicate: bool = False) -> str:
        if isinstance(term, URIRef):
            if predicate and term == RDF.type:
                return "a"
            return self.qname(str(term)) or f"<{term}>"
        text = f'"{_escape_string(str(term))}"'
        if term.language:
            return f"{text}@{term.language}"
        datatype = str(term.datatype) if term.datatype else ""
        if not datatype or datatype == str(XSD.string):
            return text
        if datatype == str(XSD.boolean) and str(term) in ("true", "false"):
            return str(term)
        pattern = _SHORTHAND.get(datatype)
        if pattern and pattern.match(str(term)):
            return str(term)
        return f"{text}^^{self.turtle(URIRef(datatype))}"


def to_turtle(graph: Graph, *, prefixes: dict[str, str] = PREFIXES, header: str = "") -> str:
    """Canonical Turtle: prefixes sorted, subjects sorted, ``a`` first, then predicates and objects sorted."""
    table = _grouped(graph)
    prefixer = _Prefixer(prefixes)
    blocks = []
    for subject in sorted(table, key=str):
        predicates = table[subject]
        parts = []
        for p in sorted(predicates, key=_predicate_order):
            objects = sorted(predicates[p], key=_sort_key)
            rendered = [prefixer.turtle(o) for o in objects]
            joint = " , ".join(rendered)
            if len(joint) > 100 and len(rendered) > 1:
                joint = (" ,\n" + " " * 8).join(rendered)
            parts.append(f"    {prefixer.turtle(p, predicate=True)} {joint}")
        blocks.append(f"{prefixer.turtle(subject)}\n" + " ;\n".join(parts) + " .\n")
    prefix_lines = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in sorted(prefixes.items()) if p in prefixer.used)
    head = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return head + prefix_lines + "\n" + "\n".join(blocks)


def _jsonld_value(term: Term, prefixer: _Prefixer) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"@id": prefixer.qname(str(term)) or str(term)}
    value: dict[str, str] = {"@value": str(term)}
    if term.language:
        value["@language"] = term.language
    elif term.datatype and term.datatype != XSD.string:
        value["@type"] = prefixer.qname(str(term.datatype)) or str(term.datatype)
    return value


def to_jsonld(graph: Graph, *, prefixes: dict[str, str] = PREFIXES) -> str:
    """JSON-LD 1.1 with an embedded ``@context`` of prefixes; one ``@graph`` node per subject, sorted."""
    table = _grouped(graph)
    # JSON-LD 1.1 only expands a compact IRI whose prefix ends in a gen-delim (e.g. not ".../UBERON_")
    prefixer = _Prefixer({p: ns for p, ns in prefixes.items() if ns.endswith(_GEN_DELIMS)})
    nodes = []
    for subject in sorted(table, key=str):
        node: dict[str, object] = {"@id": prefixer.qname(str(subject)) or str(subject)}
        for p in sorted(table[subject], key=_predicate_order):
            objects = sorted(table[subject][p], key=_sort_key)
            if p == RDF.type and all(isinstance(o, URIRef) for o in objects):
                node["@type"] = [prefixer.qname(str(o)) or str(o) for o in objects]
            else:
                key = prefixer.qname(str(p)) or str(p)
                node[key] = [_jsonld_value(o, prefixer) for o in objects]
        nodes.append(node)
    context = {p: ns for p, ns in sorted(prefixes.items()) if p in prefixer.used}
    return json.dumps({"@context": context, "@graph": nodes}, ensure_ascii=False, indent=1, sort_keys=False) + "\n"


def _split_xml(iri: str, prefixes: dict[str, str]) -> tuple[str, str]:
    """Namespace and XML local name of a predicate IRI (RDF/XML needs predicates as QNames)."""
    candidates = [(ns, iri[len(ns):]) for ns in prefixes.values() if iri.startswith(ns)]
    for ns, local in sorted(candidates, key=lambda c: -len(c[0])):
        if _XML_NAME.match(local):
            return ns, local
    match = re.match(r"^(.*[/#])([A-Za-z_][A-Za-z0-9_.\-]*)$", iri)
    if not match:
        raise ValueError(f"predicate {iri} cannot be written in RDF/XML")
    return match.group(1), match.group(2)


def _xml_text(value: str) -> str:
    """Escape element text; a carriage return becomes a character reference, or XML parsers would
    normalise it to a line feed (XML 1.0, section 2.11)."""
    return escape(value).replace("\r", "&#13;")


def to_rdfxml(graph: Graph, *, prefixes: dict[str, str] = PREFIXES) -> str:
    """RDF/XML with one ``rdf:Description`` per subject, subjects and properties sorted."""
    table = _grouped(graph)
    ns_to_prefix = {ns: p for p, ns in sorted(prefixes.items())}
    used: dict[str, str] = {str(RDF): "rdf"}
    body = []
    for subject in sorted(table, key=str):
        body.append(f"  <rdf:Description rdf:about={quoteattr(str(subject))}>\n")
        for p in sorted(table[subject], key=_predicate_order):
            ns, local = _split_xml(str(p), prefixes)
            prefix = used.get(ns) or ns_to_prefix.get(ns) or f"ns{len(used)}"
            used[ns] = prefix
            tag = f"{prefix}:{local}"
            for o in sorted(table[subject][p], key=_sort_key):
                if isinstance(o, URIRef):
                    body.append(f"    <{tag} rdf:resource={quoteattr(str(o))}/>\n")
                elif o.language:
                    body.append(f"    <{tag} xml:lang={quoteattr(o.language)}>{_xml_text(str(o))}</{tag}>\n")
                elif o.datatype and o.datatype != XSD.string:
                    body.append(f"    <{tag} rdf:datatype={quoteattr(str(o.datatype))}>{_xml_text(str(o))}</{tag}>\n")
                else:
                    body.append(f"    <{tag}>{_xml_text(str(o))}</{tag}>\n")
        body.append("  </rdf:Description>\n")
    xmlns = "".join(f"\n    xmlns:{prefix}={quoteattr(ns)}" for ns, prefix in sorted(used.items(), key=lambda kv: kv[1]))
    return f'<?xml version="1.0" encoding="utf-8"?>\n<rdf:RDF{xmlns}>\n' + "".join(body) + "</rdf:RDF>\n"


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
