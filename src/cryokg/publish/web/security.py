"""What the public SPARQL endpoint refuses, decided before any evaluation.

The endpoint is read-only and must never reach out to another host. pyoxigraph evaluates ``SERVICE`` by
fetching the remote endpoint, and has no switch to turn that off, so a query is inspected before it is run:

1. a SPARQL lexer (strings, IRIs, comments, prefixed names and variables set aside) refuses any bare keyword
   that only an update or a fetch can use: ``SERVICE``, ``FROM`` (``FROM NAMED`` too), ``LOAD`` and the other
   SPARQL Update operations. It sees every query, even one rdflib cannot parse, and errs on the safe side;
2. where rdflib's SPARQL 1.1 parser reads the query, its parse tree is walked for ``ServiceGraphPattern``
   and ``datasetClause`` nodes, and a text that parses as an update is named as such. This is the check on
   the parsed query the issue asks for; (1) is the belt to its braces. The server runs (1) itself and (2) in
   the query worker, under the time limit, because pyparsing can take seconds on crafted text.

   The parse (~30 ms, the bulk of a typical query's cost) is skipped when the lexer classifies *every* token
   of the text unambiguously (:func:`is_plain`): only SPARQL 1.1 query keywords and function names, plain
   ASCII variables, prefixed names and absolute IRIs, punctuation, strings without ``\\u`` escapes, comments.
   Such a text holds no token a parser could read differently from the lexer (``SERVICE:x`` or
   ``ex:p"x".SERVICE`` are not plain), so the parse tree could not refuse what the lexer let through; any
   text with something else (an unknown word, a keyword-like prefix, an escape, non-ASCII outside strings)
   still gets the full parse.

A refused query is answered 400 with the reason (SPARQL 1.1 Protocol §2.1.4 leaves the refusal to the
service); nothing is evaluated, so no connection is ever opened.

>>> check_query("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
Traceback (most recent call last):
...
cryokg.publish.web.security.Refused: SERVICE (federated query) is not allowed: this endpoint never contacts other hosts
"""

from __future__ import annotations

import re

__all__ = ["FORBIDDEN_KEYWORDS", "Refused", "check_query", "is_plain", "lexer_check", "parse_tree_check"]

FORBIDDEN_KEYWORDS = {
    "service": "SERVICE (federated query) is not allowed: this endpoint never contacts other hosts",
    "from": "FROM and FROM NAMED are not allowed: the dataset is fixed (query the default graph, "
            "or name a graph with GRAPH)",
    "load": "LOAD is a SPARQL Update operation: this endpoint is read-only",
}
UPDATE_KEYWORDS = ("insert", "delete", "clear", "drop", "create", "add", "move", "copy", "with", "using")
_UPDATE_MESSAGE = "SPARQL Update is not accepted: this endpoint is read-only"
RDFLIB_PARSE_LIMIT = 8_000
"""Longer queries skip the rdflib parse (pyparsing is slow on them); the lexer still checks them."""

# Order matters: longer and more specific tokens first.
_TOKENS = re.compile(r"""
    (?P<comment>\#[^\n\r]*)
  | (?P<quote>['"])
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7-\U000EFFFF]+)
  | (?P<bnode>_:[^\s(){}\[\],;.]+)
  | (?P<langtag>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<pname>[A-Za-z\u00C0-\U000EFFFF][\w.\-\u00B7-\U000EFFFF]*:[^\s(){}\[\],;]*|:[^\s(){}\[\],;]*)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<other>\S)
""", re.VERBOSE | re.DOTALL)


class Refused(ValueError):
    """A query this endpoint will not run; the message says why."""


_QUOTES = ("'" * 3, '"' * 3, "'", '"')


def _string_end(text: str, start: int) -> int | None:
    """Index just after the string literal opening at *start* (SPARQL 1.1 §19.8, STRING_LITERAL1/2 and the
    LONG forms), or None when it is never closed. One pass, so the lexer stays linear on hostile input."""
    quote = next(q for q in _QUOTES if text.startswith(q, start))
    i, n, long = start + len(quote), len(text), len(quote) == 3
    while i < n:
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if not long and char in "\n\r":
            return None
        if text.startswith(quote, i):
            return i + len(quote)
        i += 1
    return None


def _keywords(text: str) -> list[str]:
    """The bare words of a SPARQL text, lower-cased: keywords and function names, nothing quoted.

    An unterminated string makes the rest of the text a string: such a query cannot parse, so it is never
    evaluated, and stopping there keeps the scan linear.
    """
    words: list[str] = []
    position = 0
    while True:
        match = _TOKENS.search(text, position)
        if match is None:
            return words
        if match.lastgroup == "quote":
            end = _string_end(text, match.start())
            if end is None:
                return words
            position = end
            continue
        if match.lastgroup == "word":
            words.append(match.group("word").lower())
        position = match.end()


_CODEPOINT_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


def _unescape(text: str) -> str:
    """SPARQL 1.1 §19.2: ``\\u`` escapes are replaced before parsing, anywhere in the text (even keywords)."""
    def replace(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF else ""
    return _CODEPOINT_ESCAPE.sub(replace, text)


def _lexer_check(text: str) -> None:
    words = set(_keywords(text))
    if _CODEPOINT_ESCAPE.search(text):  # without escapes the unescaped text is the same text
        words |= set(_keywords(_unescape(text)))
    for keyword, message in FORBIDDEN_KEYWORDS.items():
        if keyword in words:
            raise Refused(message)
    if words.intersection(UPDATE_KEYWORDS):
        raise Refused(_UPDATE_MESSAGE)


# Every keyword and built-in function name of a SPARQL 1.1 *query* (§19.8 grammar), lower-cased: a word
# outside this list (SERVICE, FROM, LOAD, update keywords, SPARQL-star, a typo) makes a text not plain.
QUERY_WORDS = frozenset({
    "base", "prefix", "select", "construct", "describe", "ask", "distinct", "reduced", "where", "order", "by",
    "asc", "desc", "limit", "offset", "group", "having", "graph", "optional", "union", "minus", "filter", "bind",
    "as", "values", "undef", "not", "in", "exists", "a", "true", "false", "separator", "str", "lang",
    "langmatches", "datatype", "bound", "iri", "uri", "bnode", "rand", "abs", "ceil", "floor", "round", "concat",
    "strlen", "ucase", "lcase", "encode_for_uri", "contains", "strstarts", "strends", "strbefore", "strafter",
    "year", "month", "day", "hours", "minutes", "seconds", "timezone", "tz", "now", "uuid", "struuid", "md5",
    "sha1", "sha256", "sha384", "sha512", "coalesce", "if", "strlang", "strdt", "sameterm", "isiri", "isuri",
    "isblank", "isliteral", "isnumeric", "regex", "substr", "replace", "count", "sum", "min", "max", "avg",
    "sample", "group_concat",
})  # not NAMED: it only follows FROM, which is refused
_KEYWORD_PREFIXES = QUERY_WORDS | set(FORBIDDEN_KEYWORDS) | set(UPDATE_KEYWORDS) | {
    "named", "silent", "data", "default", "all", "to", "into", "lateral", "triple", "subject", "predicate",
    "object", "istriple", "version", "langdir", "haslang", "haslangdir", "strlangdir", "adjust"}
_QUERY_FORMS = frozenset({"select", "construct", "describe", "ask"})
_PLAIN_VAR = re.compile(r"[?$][A-Za-z0-9_]+")
_PNAME = r"(?:[A-Za-z][A-Za-z0-9_\-]*)?:(?:[A-Za-z0-9_][A-Za-z0-9_\-]*)?"
# A prefixed name, or a property path of them the lexer reads as one token (``cryo:a/cryo:b*``): path
# operators end a name in every parser, and each part must be a prefixed name itself.
_PLAIN_PNAME = re.compile(rf"{_PNAME}(?:[*+?]*[/|]\^?{_PNAME})*[*+?]*")
_PNAME_PREFIX = re.compile(r"([A-Za-z][A-Za-z0-9_\-]*)?:")
_PLAIN_BNODE = re.compile(r"_:[A-Za-z0-9_]+")
_PLAIN_IRI = re.compile(r"<[A-Za-z][A-Za-z0-9+.\-]*:[A-Za-z0-9\-._~:/#%@+=,;&]*>")
_PLAIN_OTHER = frozenset("{}()[],;.*+-/!=<>&|^?0123456789")
_PLAIN_SPACE = re.compile(r"[ \t\r\n]*")
_ANY_ESCAPE = re.compile(r"\\[uU]")


def is_plain(text: str) -> bool:
    """Whether the lexer classifies every token of *text* unambiguously (see the module docstring).

    For a plain text the lexer sees every keyword any SPARQL parser could see, so :func:`lexer_check` alone
    decides; False means "ask the parser too", never "refuse".
    """
    if _ANY_ESCAPE.search(text):
        return False
    position, previous, form = 0, "", False
    while True:
        gap = _PLAIN_SPACE.match(text, position)
        position = gap.end()  # type: ignore[union-attr]
        match = _TOKENS.match(text, position)
        if match is None:  # a text without a query form (only a prologue) parses as an empty update
            return form and position == len(text)
        kind, token = match.lastgroup, match.group()
        if kind == "quote":
            end = _string_end(text, position)
            if end is None:
                return False
            position, previous = end, "string"
            continue
        if kind == "word":
            plain = token.lower() in QUERY_WORDS
            form = form or token.lower() in _QUERY_FORMS
        elif kind == "pname":
            # a parser may split ``service:x`` into a keyword and ``:x``: no keyword-like prefix is plain
            plain = _PLAIN_PNAME.fullmatch(token) is not None and not any(
                prefix.lower() in _KEYWORD_PREFIXES for prefix in _PNAME_PREFIX.findall(token))
        elif kind == "var":
            plain = _PLAIN_VAR.fullmatch(token) is not None
        elif kind == "iri":
            plain = _PLAIN_IRI.fullmatch(token) is not None
        elif kind == "bnode":
            plain = _PLAIN_BNODE.fullmatch(token) is not None
        elif kind == "langtag":
            plain = previous == "string"
        elif kind == "comment":
            plain = True
        else:
            plain = token in _PLAIN_OTHER
        if not plain:
            return False
        position, previous = match.end(), kind or ""


def _walk(node: object, depth: int = 0):
    """Every node of an rdflib parse tree (CompValue and ParseResults nest as dicts and lists)."""
    if depth > 200:
        return
    yield node
    if isinstance(node, dict):
        children = list(node.values())
    elif isinstance(node, list | tuple):
        children = list(node)
    else:
        children = list(node) if hasattr(node, "asList") else []
    for child in children:
        yield from _walk(child, depth + 1)


def _parse_tree_check(text: str) -> None:
    """Refuse SERVICE and dataset clauses found in rdflib's parse tree; say so when the text is an update.

    Skipped for a plain text (the lexer's verdict is complete) and for a very long one (pyparsing is slow).
    """
    if len(text) > RDFLIB_PARSE_LIMIT or is_plain(text):
        return
    _rdflib_check(text)


def _rdflib_check(text: str) -> None:
    """The parse itself: rdflib's SPARQL 1.1 grammar (query, else update), then a walk of the tree."""
    try:
        from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
        from rdflib.plugins.sparql.parserutils import CompValue
    except ImportError:  # pragma: no cover - rdflib is a core dependency
        return
    try:
        tree = parseQuery(text)
    except Exception:
        try:
            parseUpdate(text)
        except Exception:
            return
        raise Refused(_UPDATE_MESSAGE) from None
    for node in _walk(tree):
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                raise Refused(FORBIDDEN_KEYWORDS["service"])
            if node.name == "DatasetClause":
                raise Refused(FORBIDDEN_KEYWORDS["from"])


def lexer_check(text: str) -> None:
    """The lexical check alone (linear time): what the server runs before handing a query to a worker."""
    _lexer_check(text)


def parse_tree_check(text: str) -> None:
    """The parse-tree check alone: the worker runs it, under the query time limit, before evaluating."""
    _parse_tree_check(text)


def check_query(text: str) -> None:
    """Raise :class:`Refused` when *text* asks for an update, a federated query or a dataset of its own."""
    _lexer_check(text)
    _parse_tree_check(text)
