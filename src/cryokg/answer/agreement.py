"""Compare the answers two SPARQL engines give to one query, by meaning rather than by spelling.

Why: ``cryokg publish`` proves a triple store serves the release by asking it the catalogue queries and
comparing with the embedded store. Engines spell equal answers differently, so a text comparison would cry
wolf. What we treat as the same (each seen on a real server):

* language tags in any case (Oxigraph and Virtuoso lower-case them; RDF 1.1 says tags compare caselessly);
* a plain literal and an ``xsd:string`` literal (RDF 1.1: the same value);
* typed literals by value for numbers and booleans (``"01"^^xsd:integer`` = ``"1"^^xsd:int``), since stores
  keep values, not lexical forms (Virtuoso's old JSON ``typed-literal`` is parsed into the same thing);
* blank nodes as "some blank node" (labels are local to one answer);
* the order of variables, and the order of rows unless the query has ``ORDER BY``. With ``ORDER BY`` on plain
  variables, rows that tie on every sort key may come in any order (SPARQL 1.1, section 15.1), so only the
  sequence of sort keys is compared, and the rows within a tie as a multiset.

>>> from rdflib import Literal, URIRef
>>> from cryokg.answer.store import QueryResult
>>> a = QueryResult("select", ["x"], [(Literal("Nerve", lang="en-GB"),)])
>>> b = QueryResult("select", ["x"], [(Literal("Nerve", lang="en-gb"),)])
>>> compare(a, b, "SELECT ?x WHERE { ?s ?p ?x }") is None
True
"""

from __future__ import annotations

import heapq
from collections import Counter
from decimal import Decimal, InvalidOperation
from itertools import groupby

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from cryokg.answer.store import QueryResult
from cryokg.rdf.sparql_text import order_keys

__all__ = ["compare", "normal_term", "triple_key"]

XSD = "http://www.w3.org/2001/XMLSchema#"
LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_INTEGERS = {XSD + name for name in (
    "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger", "negativeInteger",
    "nonPositiveInteger", "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}
_FLOATS = {XSD + "float", XSD + "double"}

Key = tuple[str, ...]


def normal_term(term: Node | None) -> Key | None:
    """A hashable key that is equal for two terms exactly when they are the same RDF term by value."""
    if term is None:
        return None
    if isinstance(term, URIRef):
        return ("iri", str(term))
    if isinstance(term, BNode):
        return ("bnode",)
    if isinstance(term, Literal):
        if term.language:
            return ("literal", str(term), LANG_STRING, term.language.lower())
        datatype = str(term.datatype) if term.datatype is not None else XSD + "string"
        return ("literal", *_value(str(term), datatype), "")
    return ("other", str(term))


def _value(lexical: str, datatype: str) -> tuple[str, str]:
    """(canonical lexical form, datatype family) for the datatypes stores are known to rewrite."""
    text = lexical.strip()
    try:
        if datatype in _INTEGERS:
            return str(int(text)), XSD + "integer"
        if datatype == XSD + "decimal":
            number = Decimal(text)
            return (str(number.normalize()) if number else "0"), datatype
        if datatype in _FLOATS:
            return repr(float(text)), XSD + "double"
        if datatype == XSD + "boolean" and text in ("true", "false", "1", "0"):
            return ("true" if text in ("true", "1") else "false"), datatype
    except (ValueError, InvalidOperation):
        pass
    return lexical, datatype


# --- comparing -----------------------------------------------------------------------------------------

def compare(expected: QueryResult, actual: QueryResult, query: str, *, limit: int = 3) -> str | None:
    """None when *actual* gives the same answer as *expected* to *query*; otherwise what differs, briefly."""
    if expected.kind != actual.kind:
        return f"expected a {expected.kind} result, the server gave a {actual.kind} result"
    if expected.kind == "ask":
        return None if expected.boolean == actual.boolean else f"expected {expected.boolean}, got {actual.boolean}"
    if expected.kind == "graph":
        return _diff(Counter(triple_key(t) for t in set(expected.triples)),
                     Counter(triple_key(t) for t in set(actual.triples)), "triple", limit)
    if set(expected.variables) != set(actual.variables):
        return f"variables differ: expected {sorted(expected.variables)}, got {sorted(actual.variables)}"
    names = sorted(expected.variables)
    rows_expected, rows_actual = _rows(expected, names), _rows(actual, names)
    difference = _diff(Counter(rows_expected), Counter(rows_actual), "row", limit)
    keys = order_keys(query)
    if difference or keys == []:  # rows differ, or the query fixes no order
        return difference
    if keys is None or not set(keys) <= set(names):  # sorted by expressions: nothing tells ties apart
        return None if rows_expected == rows_actual else "same rows in a different order"
    index = [names.index(k) for k in keys]
    def runs(rows: list[tuple]) -> list[tuple[tuple, Counter]]:
        return [(key, Counter(group)) for key, group in groupby(rows, key=lambda r: tuple(r[i] for i in index))]
    return None if runs(rows_expected) == runs(rows_actual) else "same rows in a different order (ORDER BY " + \
        " ".join("?" + k for k in keys) + ")"


def _rows(result: QueryResult, names: list[str]) -> list[tuple]:
    position = {name: i for i, name in enumerate(result.variables)}
    return [tuple(normal_term(row[position[n]]) for n in names) for row in result.rows]


def triple_key(triple: tuple[Node, Node, Node]) -> tuple:
    """A hashable key for a triple, equal for triples that are the same by meaning (blank nodes aside)."""
    return tuple(normal_term(t) for t in triple)


def _diff(expected: Counter, actual: Counter, what: str, limit: int) -> str | None:
    missing, extra = expected - actual, actual - expected
    if not missing and not extra:
        return None
    parts = [f"{sum(expected.values())} {what}s expected, {sum(actual.values())} served"]
    for label, rows in (("missing", missing), ("unexpected", extra)):
        if rows:
            shown = "; ".join(_show(r) for r in heapq.nsmallest(limit, rows, key=repr))
            more = f" (+{len(rows) - limit} more)" if len(rows) > limit else ""
            parts.append(f"{label}: {shown}{more}")
    return "; ".join(parts)


def _show(row: tuple, width: int = 60) -> str:
    def one(key: Key | None) -> str:
        if key is None:
            return "-"
        if key[0] == "iri":
            return f"<{key[1]}>"
        if key[0] == "literal":
            text = key[1] if len(key[1]) <= width else key[1][: width - 1] + "…"
            return f'"{text}"@{key[3]}' if key[3] else (f'"{text}"' if key[2] == XSD + "string"
                                                        else f'"{text}"^^<{key[2]}>')
        return "_:b" if key[0] == "bnode" else key[-1]
    return "(" + " ".join(one(k) for k in row) + ")"
