"""Deterministic serialisers: the same graph always gives the same bytes.

rdflib's own writers iterate sets whose order depends on the process's hash seed, so two builds of the same
sources would differ. These writers sort subjects, predicates and objects, use one fixed prefix table, and
emit no timestamps. They handle IRIs and literals only: the sources forbid blank nodes.

Formats: canonical Turtle (diff-friendly, prefixes only where used), sorted N-Triples, JSON-LD with an
embedded ``@context`` (compact IRIs), and RDF/XML (one ``rdf:Description`` per subject).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from json.encoder import encode_basestring as _json_string
from xml.sax.saxutils import escape, quoteattr

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from cryokg.gcpause import collector_paused
from cryokg.namespaces import PREFIXES
from cryokg.rdf.triple_table import subject_table

__all__ = ["FORMATS", "serialize", "to_jsonld", "to_ntriples", "to_rdfxml", "to_turtle"]

Term = URIRef | Literal

_LOCAL_NAME = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?$")
_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_DECIMAL = re.compile(r"^[+-]?\d*\.\d+$")
_GEN_DELIMS = (":", "/", "?", "#", "[", "]", "@")
_SHORTHAND = {str(XSD.integer): _INTEGER, str(XSD.decimal): _DECIMAL}
_RDF_TYPE = str(RDF.type)
_XSD_STRING = str(XSD.string)
_XSD_BOOLEAN = str(XSD.boolean)

# Performance notes (1 M triples): every writer makes one pass over the graph, renders each distinct IRI once
# (memo tables), sorts plain strings or tuples of them, and runs with the cyclic garbage collector paused.
# The writers allocate millions of containers that all stay alive until the text is joined; with the
# collector on, each generation-2 collection walks every object of the process (the release graphs, the
# validation's leftovers), which is what made the writers grow faster than n log n in a full build. The
# writers create no reference cycles, so pausing the collector loses nothing.


def _blank_node_error() -> ValueError:
    return ValueError("blank nodes cannot be serialised deterministically; give the node an IRI")


def _sort_key(term: Term) -> tuple:
    if isinstance(term, URIRef):
        return (0, str(term), "", "")
    return (1, str(term), str(term.datatype or ""), term.language or "")


def _sorted_objects(objects: list[Term]) -> list[Term]:
    if len(objects) == 1:
        return objects
    return sorted(objects, key=_sort_key)


def _grouped(graph: Graph) -> dict[URIRef, dict[URIRef, list[Term]]]:
    """Subject -> predicate -> objects (:func:`cryokg.rdf.triple_table.subject_table`); refuses blank nodes."""
    table = subject_table(graph)
    for s, predicates in table.items():
        if isinstance(s, BNode):
            raise _blank_node_error()
        for p, objects in predicates.items():
            if isinstance(p, BNode) or any(isinstance(o, BNode) for o in objects):
                raise _blank_node_error()
    return table


def _sorted_subjects(table: dict) -> list:
    return sorted(table, key=str)


def _predicate_order(p: URIRef) -> tuple:
    text = str(p)
    return (0, "") if text == _RDF_TYPE else (1, text)


def _escape_string(value: str) -> str:
    return (value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r"))


def _nt_literal(term: Literal) -> str:
    text = f'"{_escape_string(str(term))}"'
    if term.language:
        return f"{text}@{term.language}"
    if term.datatype and str(term.datatype) != _XSD_STRING:
        return f"{text}^^<{term.datatype}>"
    return text


def _nt_term(term: Term) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    return _nt_literal(term)


@collector_paused()
def to_ntriples(graph: Graph) -> str:
    """Sorted N-Triples, one triple a line (RDF 1.1 canonical escapes)."""
    lines = []
    append = lines.append
    for s, p, o in graph:  # one pass; memoising the IRIs was slower (URIRef hashes in Python)
        if isinstance(s, BNode) or isinstance(p, BNode) or isinstance(o, BNode):
            raise _blank_node_error()
        obj = f"<{o}>" if isinstance(o, URIRef) else _nt_literal(o)
        if isinstance(s, URIRef) and isinstance(p, URIRef):
            append(f"<{s}> <{p}> {obj} .\n")
        else:  # a generalised triple (a literal subject): rendered as the old writer did
            append(f"{_nt_term(s)} {_nt_term(p)} {obj} .\n")
    lines.sort()
    return "".join(lines)


class _Prefixer:
    """Turns IRIs into CURIEs with the fixed prefix table and remembers which prefixes were used."""

    def __init__(self, prefixes: dict[str, str]) -> None:
        self.prefixes = sorted(prefixes.items(), key=lambda kv: -len(kv[1]))
        self.used: set[str] = set()
        self._qnames: dict[str, str | None] = {}
        self._turtle: dict[str, str] = {}

    def qname(self, iri: str) -> str | None:
        try:
            return self._qnames[iri]
        except KeyError:
            pass
        result = None
        for prefix, ns in self.prefixes:
            if iri.startswith(ns):
                local = iri[len(ns):]
                if _LOCAL_NAME.match(local) or local == "":
                    self.used.add(prefix)
                    result = f"{prefix}:{local}"
                    break
        self._qnames[iri] = result
        return result

    def iri(self, term: str) -> str:
        """An IRI in Turtle: a CURIE when one fits, else ``<IRI>``; memoised."""
        text = self._turtle.get(term)
        if text is None:
            text = self._turtle[term] = self.qname(str(term)) or f"<{term}>"
        return text

    def turtle(self, term: Term, *, predicate: bool = False) -> str:
        if isinstance(term, URIRef):
            if predicate and str(term) == _RDF_TYPE:
                return "a"
            return self.iri(term)
        text = f'"{_escape_string(str(term))}"'
        if term.language:
            return f"{text}@{term.language}"
        datatype = str(term.datatype) if term.datatype else ""
        if not datatype or datatype == _XSD_STRING:
            return text
        if datatype == _XSD_BOOLEAN and str(term) in ("true", "false"):
            return str(term)
        pattern = _SHORTHAND.get(datatype)
        if pattern and pattern.match(str(term)):
            return str(term)
        return f"{text}^^{self.iri(datatype)}"


def _predicates_in_order(predicates: dict, order: dict) -> list:
    """The predicates of one subject, ``rdf:type`` first, then by IRI; *order* memoises the sort keys."""
    if len(predicates) == 1:
        return list(predicates)
    keys = []
    for p in predicates:
        key = order.get(p)
        if key is None:
            key = order[p] = _predicate_order(p)
        keys.append((key, p))
    keys.sort(key=lambda kp: kp[0])
    return [p for _, p in keys]


@collector_paused()
def to_turtle(graph: Graph, *, prefixes: dict[str, str] = PREFIXES, header: str = "") -> str:
    """Canonical Turtle: prefixes sorted, subjects sorted, ``a`` first, then predicates and objects sorted."""
    table = _grouped(graph)
    prefixer = _Prefixer(prefixes)
    order: dict = {}
    verbs: dict = {}
    blocks = []
    for subject in _sorted_subjects(table):
        predicates = table[subject]
        parts = []
        for p in _predicates_in_order(predicates, order):
            rendered = [prefixer.turtle(o) for o in _sorted_objects(predicates[p])]
            if len(rendered) == 1:
                joint = rendered[0]
            else:
                joint = " , ".join(rendered)
                if len(joint) > 100:
                    joint = (" ,\n" + " " * 8).join(rendered)
            verb = verbs.get(p)
            if verb is None:
                verb = verbs[p] = prefixer.turtle(p, predicate=True)
            parts.append(f"    {verb} {joint}")
        blocks.append(f"{prefixer.turtle(subject)}\n" + " ;\n".join(parts) + " .\n")
    del table
    prefix_lines = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in sorted(prefixes.items()) if p in prefixer.used)
    head = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return head + prefix_lines + "\n" + "\n".join(blocks)


def _jsonld_value(term: Term, prefixer: _Prefixer) -> str:
    """One value object, as JSON text laid out the way ``json.dumps(..., indent=1)`` lays it out 4 deep."""
    if isinstance(term, URIRef):
        return '    {\n     "@id": ' + _json_string(prefixer.qname(str(term)) or str(term)) + "\n    }"
    text = '    {\n     "@value": ' + _json_string(str(term))
    if term.language:
        text += ',\n     "@language": ' + _json_string(term.language)
    elif term.datatype and str(term.datatype) != _XSD_STRING:
        text += ',\n     "@type": ' + _json_string(prefixer.qname(str(term.datatype)) or str(term.datatype))
    return text + "\n    }"


def _json_list(items: list[str], indent: str) -> str:
    """A JSON array of already-encoded items, in ``json.dumps(..., indent=1)`` layout."""
    if not items:
        return "[]"
    return "[\n" + ",\n".join(items) + "\n" + indent + "]"


@collector_paused()
def to_jsonld(graph: Graph, *, prefixes: dict[str, str] = PREFIXES) -> str:
    """JSON-LD 1.1 with an embedded ``@context`` of prefixes; one ``@graph`` node per subject, sorted.

    The text is the one ``json.dumps(document, ensure_ascii=False, indent=1)`` gives, written directly: with
    an indent the standard library falls back to its pure-Python encoder, several times slower.
    """
    table = _grouped(graph)
    # JSON-LD 1.1 only expands a compact IRI whose prefix ends in a gen-delim (e.g. not ".../UBERON_")
    prefixer = _Prefixer({p: ns for p, ns in prefixes.items() if ns.endswith(_GEN_DELIMS)})
    order: dict = {}
    keys: dict = {}
    ids: dict[str, str] = {}  # IRI -> its encoded value object (IRIs repeat as objects)
    nodes = []
    for subject in _sorted_subjects(table):
        predicates = table[subject]
        # member name -> encoded value; a dict, so a later member with the same name replaces the earlier
        # one in place, as it did when the document was a dict handed to json.dumps
        members: dict[str, str] = {"@id": _json_string(prefixer.qname(str(subject)) or str(subject))}
        for p in _predicates_in_order(predicates, order):
            objects = _sorted_objects(predicates[p])
            if str(p) == _RDF_TYPE and all(isinstance(o, URIRef) for o in objects):
                members["@type"] = _json_list(
                    ["    " + _json_string(prefixer.qname(str(o)) or str(o)) for o in objects], "   ")
            else:
                key = keys.get(p)
                if key is None:
                    key = keys[p] = prefixer.qname(str(p)) or str(p)
                values = []
                for o in objects:
                    if isinstance(o, URIRef):
                        value = ids.get(o)
                        if value is None:
                            value = ids[o] = _jsonld_value(o, prefixer)
                        values.append(value)
                    else:
                        values.append(_jsonld_value(o, prefixer))
                members[key] = _json_list(values, "   ")
        nodes.append("  {\n" + ",\n".join(f"   {_json_string(k)}: {v}" for k, v in members.items()) + "\n  }")
    del table
    context = [f"  {_json_string(p)}: {_json_string(ns)}" for p, ns in sorted(prefixes.items()) if p in prefixer.used]
    context_text = "{\n" + ",\n".join(context) + "\n }" if context else "{}"
    return '{\n "@context": ' + context_text + ',\n "@graph": ' + _json_list(nodes, " ") + "\n}\n"


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


@collector_paused()
def to_rdfxml(graph: Graph, *, prefixes: dict[str, str] = PREFIXES) -> str:
    """RDF/XML with one ``rdf:Description`` per subject, subjects and properties sorted."""
    table = _grouped(graph)
    ns_to_prefix = {ns: p for p, ns in sorted(prefixes.items())}
    used: dict[str, str] = {str(RDF): "rdf"}
    order: dict = {}
    tags: dict = {}  # predicate -> its QName; fixed once the predicate is first met
    resources: dict[str, str] = {}  # IRI -> quoted attribute value
    body = []
    append = body.append
    for subject in _sorted_subjects(table):
        predicates = table[subject]
        append(f"  <rdf:Description rdf:about={quoteattr(str(subject))}>\n")
        for p in _predicates_in_order(predicates, order):
            tag = tags.get(p)
            if tag is None:
                ns, local = _split_xml(str(p), prefixes)
                prefix = used.get(ns) or ns_to_prefix.get(ns) or f"ns{len(used)}"
                used[ns] = prefix
                tag = tags[p] = f"{prefix}:{local}"
            for o in _sorted_objects(predicates[p]):
                if isinstance(o, URIRef):
                    attribute = resources.get(o)
                    if attribute is None:
                        attribute = resources[o] = quoteattr(str(o))
                    append(f"    <{tag} rdf:resource={attribute}/>\n")
                elif o.language:
                    append(f"    <{tag} xml:lang={quoteattr(o.language)}>{_xml_text(str(o))}</{tag}>\n")
                elif o.datatype and str(o.datatype) != _XSD_STRING:
                    append(f"    <{tag} rdf:datatype={quoteattr(str(o.datatype))}>{_xml_text(str(o))}</{tag}>\n")
                else:
                    append(f"    <{tag}>{_xml_text(str(o))}</{tag}>\n")
        append("  </rdf:Description>\n")
    del table
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
