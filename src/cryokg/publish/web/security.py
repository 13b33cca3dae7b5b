"""What the public SPARQL endpoint refuses, decided before any evaluation, failing closed.

The endpoint is read-only and must never reach out to another host. pyoxigraph evaluates ``SERVICE`` by
fetching the remote endpoint and has no switch to turn that off, so the *last* barrier is the operating
system: the worker processes that evaluate queries cannot open sockets (:mod:`cryokg.sandbox`). In front of
it, every query is checked as text, in the worker, under the time limit, before evaluation:

1. :func:`lexer_check`: the linear-time lexer of :mod:`cryokg.rdf.sparql_text` reads the text (and, when it holds
   ``\\u`` escapes, the text with them replaced, SPARQL 1.1 §19.2). A character SPARQL does not allow or an
   unterminated string is a syntax error. A bare keyword that only an update or a fetch can use is refused:
   ``SERVICE``, ``FROM`` (``FROM NAMED`` too), ``LOAD`` and the SPARQL Update operations. So is any other
   bare word that *contains* ``service`` (``trueSERVICE``: pyoxigraph reads a keyword glued to the next one,
   ``true`` then ``SERVICE``, where a lexer sees one unknown word).
2. :func:`depth_check`: more than :data:`MAX_NESTING` levels of brackets is refused ("query nests too
   deeply"): pyoxigraph's parser and evaluator recurse, and 3 000 levels overflow a worker's stack.
3. :func:`parse_tree_check`: unless the text is *plain* (below), rdflib's SPARQL 1.1 parser reads it and its
   parse tree is walked for ``ServiceGraphPattern`` and ``DatasetClause`` nodes; a text that parses as an
   update is named as such. **A text rdflib cannot parse is refused** ("the query could not be checked"):
   the check fails closed, whatever its length (the old check skipped texts over 8 000 characters and let
   through what rdflib failed on, which is how ``SERVICE:x`` and ``trueSERVICE`` reached a listener).

   The parse (~30 ms, the bulk of a typical query's cost) is skipped when the lexer classifies *every* token
   of the text unambiguously (:func:`is_plain`): only SPARQL 1.1 query keywords and function names, plain
   ASCII variables, prefixed names and absolute IRIs, punctuation, strings without ``\\u`` escapes, comments.
   Such a text holds no token a parser could read differently from the lexer (``SERVICE:x`` or
   ``ex:p"x".SERVICE`` are not plain), so the parse tree could not refuse what the lexer let through.

A refused query is answered 400 with the reason (SPARQL 1.1 Protocol §2.1.4 leaves the refusal to the
service); nothing is evaluated.

>>> check_query("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
Traceback (most recent call last):
...
cryokg.publish.web.security.Refused: SERVICE (federated query) is not allowed: this endpoint never contacts other hosts
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from cryokg.rdf.sparql_text import (
    CLOSERS,
    OPENERS,
    QUERY_FORMS,
    Token,
    codepoint_unescape,
    has_codepoint_escape,
    has_escape_marker,
    plain_spelling,
    position,
    tokens,
)

__all__ = ["FORBIDDEN_KEYWORDS", "MAX_NESTING", "Refused", "check_query", "depth_check", "is_plain", "lexer_check",
           "parse_tree_check", "service_check"]

FORBIDDEN_KEYWORDS = {
    "service": "SERVICE (federated query) is not allowed: this endpoint never contacts other hosts",
    "from": "FROM and FROM NAMED are not allowed: the dataset is fixed (query the default graph, "
            "or name a graph with GRAPH)",
    "load": "LOAD is a SPARQL Update operation: this endpoint is read-only",
}
UPDATE_KEYWORDS = ("insert", "delete", "clear", "drop", "create", "add", "move", "copy", "with", "using")
_UPDATE_MESSAGE = "SPARQL Update is not accepted: this endpoint is read-only"
MAX_NESTING = 128
"""Deepest nesting of ``{ ( [`` accepted. The catalogue's deepest query nests 6 levels; pyoxigraph's parser
overflowed an 8 MiB stack (the worker died of SIGSEGV) between 1 000 and 3 000 levels."""


class Refused(ValueError):
    """A query this endpoint will not run; the message says why."""


def _syntax_error(text: str, token: Token) -> Refused:
    line, column = position(text, token.start)
    what = "unterminated string" if token.text[:1] in "'\"" else f"unexpected character {token.text[:1]!r}"
    return Refused(f"SPARQL syntax error at line {line}, column {column}: {what}")


@dataclass
class _Scan:
    """What one pass of the lexer over a text tells the checks."""

    words: set[str] = field(default_factory=set)  # bare words, lower-cased
    error: Token | None = None  # the first lexical error
    depth: int = 0  # deepest nesting of brackets
    plain: bool = True  # every token classified unambiguously (see is_plain)


def _scan(text: str) -> _Scan:
    """One linear pass over the tokens of *text*, generated and dropped one at a time (a 1 MB text is a
    million tokens: kept in a list they cost the worker 150 MB and, measured, the server's pages their p99)."""
    scan = _Scan(plain=not has_escape_marker(text))
    depth, previous, form = 0, "", False
    for token in tokens(text):
        kind = token.kind
        if kind in ("space", "comment"):
            continue
        if kind == "word":
            word = token.text.lower()
            scan.words.add(word)
            form = form or word in QUERY_FORMS
            plain = word in QUERY_WORDS and (word != "a" or token.text == "a")
        elif kind == "punct":
            if token.text in OPENERS:
                depth += 1
                scan.depth = max(scan.depth, depth)
            elif token.text in CLOSERS:
                depth -= 1
            plain = token.text in _PLAIN_PUNCT
        elif kind == "pname":
            plain = plain_spelling(token) and token.text.split(":", 1)[0].lower() not in _KEYWORD_PREFIXES
        elif kind in ("var", "bnode", "iri", "number"):
            plain = plain_spelling(token)
        elif kind == "string":
            plain = True
        elif kind == "langtag":
            plain = previous == "string"
        else:  # error
            scan.error = scan.error or token
            plain = False
        scan.plain = scan.plain and plain
        previous = kind
    scan.plain = scan.plain and form  # a text without a query form (only a prologue) parses as an empty update
    return scan


def _escaped_words(text: str) -> set[str]:
    """The words of *text* with its ``\\u`` escapes replaced, as far as that text lexes (a belt: such a text
    is never plain, so the parse decides as well)."""
    return {t.text.lower() for t in tokens(codepoint_unescape(text)) if t.kind == "word"}


def _refuse_words(words: set[str]) -> None:
    for keyword, message in FORBIDDEN_KEYWORDS.items():
        if keyword in words:
            raise Refused(message)
    if any("service" in word for word in words):
        raise Refused(FORBIDDEN_KEYWORDS["service"])
    if words.intersection(UPDATE_KEYWORDS):
        raise Refused(_UPDATE_MESSAGE)


def lexer_check(text: str, scan: _Scan | None = None) -> None:
    """The lexical check (linear time): syntax errors, forbidden and glued keywords (see the module doc)."""
    scan = scan or _scan(text)
    words = scan.words | _escaped_words(text) if has_codepoint_escape(text) else scan.words
    _refuse_words(words)  # first: "SERVICE is not allowed" says more than the syntax error \\u0053ERVICE also is
    if scan.error is not None:
        raise _syntax_error(text, scan.error)


def depth_check(text: str, scan: _Scan | None = None) -> None:
    """Refuse a text that nests brackets deeper than :data:`MAX_NESTING` (linear time)."""
    depth = (scan or _scan(text)).depth
    if depth > MAX_NESTING:
        raise Refused(f"query nests too deeply: {depth} levels of brackets, the limit is {MAX_NESTING}")


def service_check(text: str) -> None:
    """Refuse any text in which a SPARQL parser could read ``SERVICE`` (``cryokg query`` without
    ``--allow-service``): a bare word containing it, or a prefixed name whose prefix does (pyoxigraph reads
    ``SERVICE:x`` as the keyword and ``:x``), in the text or in its ``\\u``-unescaped form. Linear time;
    strict on purpose (a prefix named ``service:`` is refused too), since the words of a valid query hold
    ``service`` nowhere else.

    >>> service_check("PREFIX s: <http://e/> SELECT ?service WHERE { ?service s:p 'SERVICE' }")
    >>> service_check("SELECT * { ?s ?p trueService <http://e/> {} }")
    Traceback (most recent call last):
    ...
    cryokg.publish.web.security.Refused: SERVICE (federated query) is not allowed: this endpoint never contacts other hosts
    """
    texts = [text, codepoint_unescape(text)] if has_codepoint_escape(text) else [text]
    for candidate in texts:
        for token in tokens(candidate):
            word = token.text.lower() if token.kind == "word" else \
                token.text.split(":", 1)[0].lower() if token.kind == "pname" else ""
            if "service" in word:
                raise Refused(FORBIDDEN_KEYWORDS["service"])


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
_PLAIN_PUNCT = frozenset({*"{}()[],;.*+-/!=<>|^?", "&&", "||", "^^", "!=", "<=", ">="})


def is_plain(text: str) -> bool:
    """Whether the lexer classifies every token of *text* unambiguously (see the module docstring).

    For a plain text the lexer sees every keyword any SPARQL parser could see, so :func:`lexer_check` alone
    decides; False means "ask the parser too", never "refuse".
    """
    return _scan(text).plain


def _walk(tree: object) -> Iterator[object]:
    """Every node of an rdflib parse tree (CompValue and ParseResults nest as dicts and lists), without
    recursion and without a depth cut-off: a SERVICE at any depth is found."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
        elif hasattr(node, "asList"):
            stack.extend(list(node))  # type: ignore[call-overload]


def parse_tree_check(text: str, scan: _Scan | None = None) -> None:
    """Unless *text* is plain: parse it with rdflib and refuse SERVICE, dataset clauses and updates found in
    the tree; refuse it as well when rdflib cannot parse it (fail closed). Run under the time limit."""
    if (scan or _scan(text)).plain:
        return
    _rdflib_check(text)


def _rdflib_check(text: str) -> None:
    """The parse itself: rdflib's SPARQL 1.1 grammar (query, else update), then a walk of the tree."""
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate
    from rdflib.plugins.sparql.parserutils import CompValue

    try:
        tree = parseQuery(text)
    except RecursionError:
        raise Refused("the query could not be checked: it nests too deeply for the checking parser") from None
    except Exception as exc:
        try:
            parseUpdate(text)
        except Exception:
            line, column = getattr(exc, "lineno", None), getattr(exc, "col", None)
            where = f" (line {line}, column {column})" if line is not None else ""
            raise Refused("the query could not be checked: the SPARQL 1.1 parser that checks every query "
                          f"before it runs cannot read it{where}, so it is not run") from None
        raise Refused(_UPDATE_MESSAGE) from None
    for node in _walk(tree):
        if isinstance(node, CompValue):
            if node.name == "ServiceGraphPattern":
                raise Refused(FORBIDDEN_KEYWORDS["service"])
            if node.name == "DatasetClause":
                raise Refused(FORBIDDEN_KEYWORDS["from"])


def check_query(text: str) -> None:
    """Raise :class:`Refused` for anything this endpoint does not run: a syntax error the lexer sees, an
    update, a federated query, a dataset of its own, too deep a nesting, a text the checking parser cannot
    read. Linear-time steps first; the parse last, and only for a text that is not plain."""
    scan = _scan(text)  # one pass of the lexer for the three steps
    lexer_check(text, scan)
    depth_check(text, scan)
    parse_tree_check(text, scan)
