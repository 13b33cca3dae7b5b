"""SPARQL as text: one linear-time lexer, and what cryokg reads from a query without parsing it.

Everything that looks at a SPARQL text before (or instead of) an engine goes through :func:`tokens`: the
endpoint's safety check (:mod:`cryokg.publish.web.security`), its query-form guess (:mod:`cryokg.publish.web.sparql`), the
nesting limit, the prefixes of a query. The tokens are the terminals of the SPARQL 1.1 grammar (§19.8):
IRIs, prefixed names, blank node labels, variables, the four string forms, numbers, language tags,
keywords (``word``), punctuation, comments and white space. What is none of these is an ``error`` token.

**Linear time, whatever the text.** The text may come from anyone (the public endpoint takes 1 MB bodies),
so the lexer never scans a stretch of text twice per token it emits:

* the kind of token is chosen from its first character, and each kind has one anchored regular expression
  whose match is the token itself (no alternative is tried after a long failed scan);
* a string literal that is never closed ends the lexing (an ``error`` token to the end): nothing after an
  unterminated quote can be read as SPARQL, and stopping is what keeps ``'\\'\\'\\'...`` linear;
* an IRI that is never closed fails at the next ``<``, space or other character IRIs cannot hold, so every
  character is scanned by at most one failed IRI attempt; ``<`` is then the less-than operator;
* a run of name characters that does not end in ``:`` is remembered, so the prefixed-name attempt is not
  repeated at every later position of the same run (``a.a.a.a...`` and ``ééé...`` were quadratic in the
  regular-expression lexers this module replaces: 2 s per 20 KB, over a minute per MB).

``tests/test_sparql_text.py`` times 1 MB of each pathological text and checks that doubling the size at most
about doubles the time.

**Why our own lexer.** Libraries first, so these were looked at: rdflib's SPARQL grammar is a pyparsing
parser (a parser, not a lexer, and super-linear: seconds on crafted texts of a few KB, which is why the
endpoint runs it only in a killable worker); pyoxigraph parses SPARQL in Rust but exposes neither tokens nor
a syntax tree; Pygments' ``SparqlLexer`` is a regular-expression highlighter that retries its patterns at
every position, tolerates what SPARQL does not (so its tokens are not the grammar's) and has the same failed
-scan behaviour on unterminated strings; tree-sitter-sparql is an error-recovering parser for editors, with
a grammar of its own, a compiled dependency, and no guarantee that its token boundaries match an engine's.
A lexer of the grammar's terminals is small, and owning it is what lets us state and test its time bound.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass

__all__ = [
    "CLOSERS",
    "OPENERS",
    "QUERY_FORMS",
    "Token",
    "codepoint_unescape",
    "first_error",
    "has_codepoint_escape",
    "has_escape_marker",
    "has_zero_length_path",
    "keywords",
    "nesting_depth",
    "order_keys",
    "plain_spelling",
    "position",
    "prefixes",
    "query_form",
    "significant",
    "tokens",
    "union_branches",
    "where_brace",
]

QUERY_FORMS = ("select", "construct", "describe", "ask")
OPENERS = frozenset({"{", "(", "[", "<<"})
"""Punctuation that opens a nesting level (what :func:`nesting_depth` counts); :data:`CLOSERS` closes one."""
CLOSERS = frozenset({"}", ")", "]", ">>"})

# Character classes of the SPARQL 1.1 grammar (§19.8), as regular-expression class bodies.
_PN_CHARS_BASE = ("A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D"
                  "\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\U00010000-\U000EFFFF")
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + r"\-0-9\u00B7\u0300-\u036F\u203F-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"

_SPACE = re.compile(r"[ \t\r\n]+")
_COMMENT = re.compile(r"#[^\r\n]*")
_IRI = re.compile(r"<[^<>\"{}|^`\\\x00-\x20]*>")
_VAR = re.compile(rf"[?$][{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00B7\u0300-\u036F\u203F-\u2040]*")
_NAME_RUN = re.compile(rf"[{_PN_CHARS}.]*")
# Possessive (*+): a long name is one match without a backtracking stack; trailing dots are given back in code.
_PN_LOCAL = re.compile(rf"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:[{_PN_CHARS}.:]|{_PLX})*+")
_BNODE = re.compile(rf"_:[{_PN_CHARS_U}0-9][{_PN_CHARS}.]*+")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*[eE][+-]?[0-9]+|\.[0-9]+(?:[eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)?"
                     r"|\.[0-9]+(?:[eE][+-]?[0-9]+)?")
_LANGTAG = re.compile(r"@[a-zA-Z]+(?:-[a-zA-Z0-9]+)*")
_STRINGS = {
    '"""': re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*+"""', re.DOTALL),
    "'''": re.compile(r"'''(?:[^'\\]|\\.|'(?!''))*+'''", re.DOTALL),
    '"': re.compile(r'"(?:[^"\\\r\n]|\\.)*+"'),
    "'": re.compile(r"'(?:[^'\\\r\n]|\\.)*+'"),
}
_PUNCT2 = frozenset({"^^", "&&", "||", "!=", "<=", ">=", "<<", ">>"})
_PUNCT1 = frozenset("{}()[],;.*+-/|^!=<>?")
_NAME_START = re.compile(f"[{_PN_CHARS_BASE}]")
_CODEPOINT_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


@dataclass(frozen=True, slots=True)
class Token:
    """One terminal of a SPARQL text.

    ``kind`` is one of ``space``, ``comment``, ``iri``, ``pname`` (a prefixed name, ``ex:a`` or ``ex:``),
    ``bnode``, ``var``, ``string``, ``number``, ``langtag``, ``word`` (a keyword or function name, or any other
    bare ASCII word), ``punct`` and ``error`` (a character SPARQL does not allow here, or an unterminated
    string, which then runs to the end of the text). ``start`` is the offset of ``text`` in the query.
    """

    kind: str
    text: str
    start: int

    @property
    def keyword(self) -> str:
        """A ``word`` lower-cased (SPARQL keywords are case-insensitive); empty for other kinds."""
        return self.text.lower() if self.kind == "word" else ""


def tokens(text: str) -> Iterator[Token]:
    """The tokens of *text*, white space and comments included, in order; linear time (see the module doc).

    >>> [(t.kind, t.text) for t in tokens("SELECT ?x WHERE { ?x ex:p 'a' }") if t.kind != "space"]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('word', 'SELECT'), ('var', '?x'), ('word', 'WHERE'), ('punct', '{'), ('var', '?x'), ('pname', 'ex:p'),
     ('string', "'a'"), ('punct', '}')]
    """
    n = len(text)
    pos = 0
    no_prefix_before = 0  # end of the last run of name characters that was not followed by ':'
    while pos < n:
        char = text[pos]
        match: re.Match[str] | None
        if char in " \t\r\n":
            match = _SPACE.match(text, pos)
            kind = "space"
        elif char == "#":
            match = _COMMENT.match(text, pos)
            kind = "comment"
        elif char in "'\"":
            quote = text[pos:pos + 3] if text.startswith(char * 3, pos) else char
            match = _STRINGS[quote].match(text, pos)
            if match is None:
                yield Token("error", text[pos:], pos)  # unterminated: nothing after it is SPARQL
                return
            kind = "string"
        elif char == "<":
            match = _IRI.match(text, pos)
            kind = "iri"
            if match is None:
                kind, match = "punct", None
        elif char in "?$":
            match = _VAR.match(text, pos)
            kind = "var"
        elif char == "_":
            match = _BNODE.match(text, pos)
            if match is not None:
                end = _without_trailing_dots(text, pos + 2, match.end())
                yield Token("bnode", text[pos:end], pos)
                pos = end
                continue
            kind = "bnode"
        elif char == "@":
            match = _LANGTAG.match(text, pos)
            kind = "langtag"
        elif char.isdigit() or (char == "." and pos + 1 < n and text[pos + 1].isdigit()):
            match = _NUMBER.match(text, pos)
            kind = "number"
        elif char == ":":
            local = _PN_LOCAL.match(text, pos + 1)
            end = _without_trailing_dots(text, pos + 1, local.end()) if local else pos + 1
            yield Token("pname", text[pos:end], pos)
            pos = end
            continue
        elif pos >= no_prefix_before and _NAME_START.match(char):
            # "[...]*" matches (maybe nothing) at every position; re's stubs return Match | None for any pattern.
            run_end = _NAME_RUN.match(text, pos + 1).end()  # type: ignore[union-attr]
            prefix_end = run_end
            while text[prefix_end - 1] == ".":  # PN_PREFIX does not end with a dot
                prefix_end -= 1
            if prefix_end == run_end and run_end < n and text[run_end] == ":":
                local = _PN_LOCAL.match(text, run_end + 1)
                end = _without_trailing_dots(text, run_end + 1, local.end()) if local else run_end + 1
                yield Token("pname", text[pos:end], pos)
                pos = end
                continue
            no_prefix_before = run_end
            match = _WORD.match(text, pos)
            kind = "word"
        elif char.isascii() and char.isalpha():
            match = _WORD.match(text, pos)
            kind = "word"
        else:
            match = None
            kind = "punct"
        if match is not None:
            yield Token(kind, match.group(), pos)
            pos = match.end()
            continue
        pair = text[pos:pos + 2]
        if pair in _PUNCT2:
            yield Token("punct", pair, pos)
            pos += 2
        elif char in _PUNCT1:
            yield Token("punct", char, pos)
            pos += 1
        else:
            yield Token("error", char, pos)
            pos += 1


def _without_trailing_dots(text: str, start: int, end: int) -> int:
    """*end* moved back over the dots a name may not end with (PN_LOCAL, BLANK_NODE_LABEL); never before
    *start* + 1. A dot escaped as ``\\.`` stays."""
    while end > start + 1 and text[end - 1] == "." and text[end - 2] != "\\":
        end -= 1
    return end


def significant(text: str) -> list[Token]:
    """The tokens of *text* without white space and comments."""
    return [t for t in tokens(text) if t.kind not in ("space", "comment")]


def keywords(text: str) -> list[str]:
    """The bare words of *text*, lower-cased, in order: keywords and function names, nothing quoted."""
    return [t.text.lower() for t in tokens(text) if t.kind == "word"]


def query_form(text: str) -> str:
    """``select``, ``construct``, ``describe`` or ``ask``: the first query-form keyword of *text*.

    A text without one (malformed, or an update) counts as ``select``; the parser will say what is wrong.

    >>> query_form("PREFIX ask: <http://e/> # SELECT\\nCONSTRUCT WHERE { ?s ask:p 'ASK' }")
    'construct'
    """
    for token in tokens(text):
        if token.kind == "word" and token.keyword in QUERY_FORMS:
            return token.keyword
    return "select"


def where_brace(text: str) -> int | None:
    """Offset of the ``{`` that opens the query's ``WHERE`` group, or None when there is none.

    The group is the first top-level ``{`` after the keyword ``WHERE``, or, for SELECT and ASK, which may
    leave ``WHERE`` out, the first top-level ``{`` after the query form (a CONSTRUCT template is skipped).

    >>> where_brace('CONSTRUCT { ?s ?p "{" } WHERE { ?s ?p ?o }')
    30
    """
    depth, ready = 0, False
    for token in tokens(text):
        if token.text == "{" and token.kind == "punct":
            if depth == 0 and ready:
                return token.start
            depth += 1
        elif token.text == "}" and token.kind == "punct":
            depth = max(depth - 1, 0)
        elif depth == 0 and token.keyword in ("where", "select", "ask"):
            ready = True
        elif depth == 0 and token.keyword in ("construct", "describe"):
            ready = False
    return None


def union_branches(text: str, group: int, variables: Collection[str]) -> list[int]:
    """Offsets of the ``{`` that opens each ``UNION`` branch inside the group opened at offset *group* (and,
    recursively, inside those branches) in which one of *variables* (names without ``?``) occurs. A branch
    that is a sub-select (``{ SELECT ...``) is left out: its variables are its own.

    >>> q = "SELECT * WHERE { { ?s ?p ?o } UNION { { ?o ?p ?s } UNION { SELECT ?s {} } } ?s ?q ?x }"
    >>> [q[at:at + 5] for at in union_branches(q, where_brace(q), ["s"])]
    ['{ ?s ', '{ { ?', '{ ?o ']
    >>> [q[at:at + 5] for at in union_branches(q, where_brace(q), ["x"])]
    []
    """
    toks = significant(text[group:])
    closing: dict[int, int] = {}  # index of each "{" -> index of its "}"
    stack: list[int] = []
    for i, token in enumerate(toks):
        if token.kind == "punct" and token.text == "{":
            stack.append(i)
        elif token.kind == "punct" and token.text == "}" and stack:
            closing[stack.pop()] = i
            if not stack:
                break
    wanted = set(variables)
    found: list[int] = []

    def walk(open_at: int) -> None:
        i, end = open_at + 1, closing.get(open_at, len(toks))
        while i < end:
            if toks[i].text == "{" and toks[i].kind == "punct" and i in closing:
                after = closing[i]
                in_union = ((i > open_at + 1 and toks[i - 1].keyword == "union")
                            or (after + 1 < end and toks[after + 1].keyword == "union"))
                mentions = any(t.kind == "var" and t.text[1:] in wanted for t in toks[i + 1:after])
                if in_union and mentions and toks[i + 1].keyword != "select":
                    found.append(group + toks[i].start)
                    walk(i)
                i = after + 1
            else:
                i += 1

    if toks and toks[0].text == "{":
        walk(0)
    return found


def order_keys(text: str) -> list[str] | None:
    """The variables of the last ``ORDER BY`` of *text* (``[]`` when it has none), or None when it sorts by
    an expression other than a variable or ``ASC(?v)``/``DESC(?v)`` (then only the whole order can be compared).

    >>> order_keys("SELECT * { ?s ?p ?o } ORDER BY DESC(?o) ?s LIMIT 5")
    ['o', 's']
    >>> order_keys("SELECT * { ?s ?p ?o } ORDER BY STR(?o)") is None
    True
    """
    toks = significant(text)
    starts = [i + 2 for i in range(len(toks) - 1) if toks[i].keyword == "order" and toks[i + 1].keyword == "by"]
    if not starts:
        return []
    clause = toks[starts[-1]:]
    keys: list[str] = []
    i = 0
    while i < len(clause) and clause[i].keyword not in ("limit", "offset", "values"):
        token = clause[i]
        if token.kind == "var":
            keys.append(token.text[1:])
            i += 1
        elif (token.keyword in ("asc", "desc") and i + 3 < len(clause) and clause[i + 1].text == "("
              and clause[i + 2].kind == "var" and clause[i + 3].text == ")"):
            keys.append(clause[i + 2].text[1:])
            i += 4
        elif token.text == "}":  # the end of a sub-select's group: the outer query goes on
            break
        else:
            return None
    return keys


def nesting_depth(text: str) -> int:
    """The deepest nesting of ``{``, ``(`` and ``[`` (and ``<<``) outside strings, IRIs and comments.

    >>> nesting_depth("SELECT * WHERE { { ?s ?p ?o FILTER(?o > (1 + 2)) } }")
    4
    """
    depth = deepest = 0
    for token in tokens(text):
        if token.kind != "punct":
            continue
        if token.text in OPENERS:
            depth += 1
            deepest = max(deepest, depth)
        elif token.text in CLOSERS:
            depth -= 1
    return deepest


def prefixes(text: str) -> dict[str, str]:
    """The ``PREFIX`` declarations of *text* (prefix without the colon -> namespace IRI), in order.

    >>> prefixes("PREFIX ex: <http://example.org/>\\nprefix : <http://e/> SELECT * {}")
    {'ex': 'http://example.org/', '': 'http://e/'}
    """
    found: dict[str, str] = {}
    significant = [t for t in tokens(text) if t.kind not in ("space", "comment")]
    for index, token in enumerate(significant[:-2]):
        name, iri = significant[index + 1], significant[index + 2]
        if token.keyword == "prefix" and name.kind == "pname" and name.text.endswith(":") and iri.kind == "iri":
            found[name.text[:-1]] = iri.text[1:-1]
    return found


def first_error(text: str) -> Token | None:
    """The first ``error`` token of *text* (a character SPARQL does not allow, an unterminated string)."""
    return next((t for t in tokens(text) if t.kind == "error"), None)


def position(text: str, offset: int) -> tuple[int, int]:
    """``(line, column)``, both from 1, of *offset* in *text*."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def has_codepoint_escape(text: str) -> bool:
    """Whether *text* holds a ``\\u``/``\\U`` escape (SPARQL 1.1 §19.2 replaces them before parsing)."""
    return _CODEPOINT_ESCAPE.search(text) is not None


def has_escape_marker(text: str) -> bool:
    """Whether *text* holds ``\\u`` or ``\\U`` at all, well-formed or not: parsers differ on what a malformed
    escape means, so a checker that must agree with every parser treats any of them as an escape."""
    return _ESCAPE_MARKER.search(text) is not None


_ESCAPE_MARKER = re.compile(r"\\[uU]")
_PLAIN_SPELLINGS = {
    "var": re.compile(r"[?$][A-Za-z0-9_]+"),
    "pname": re.compile(r"(?:[A-Za-z][A-Za-z0-9_\-]*)?:(?:[A-Za-z0-9_][A-Za-z0-9_\-]*)?"),
    "bnode": re.compile(r"_:[A-Za-z0-9_]+"),
    "iri": re.compile(r"<[A-Za-z][A-Za-z0-9+.\-]*:[A-Za-z0-9\-._~:/#%@+=,;&]*>"),
    "number": re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+"),
}


def plain_spelling(token: Token) -> bool:
    """Whether a variable, prefixed name, blank node, IRI or number token is spelled in plain ASCII (no escapes,
    no non-ASCII or dotted names, no exponents): the part of the grammar where this lexer and any SPARQL parser
    cannot cut the text differently. False for other kinds (their plainness is the caller's rule).

    >>> [plain_spelling(t) for t in significant("?x ex:a.b <http://e/x> 1e3 ?é")]
    [True, False, True, False, False]
    """
    pattern = _PLAIN_SPELLINGS.get(token.kind)
    return pattern is not None and pattern.fullmatch(token.text) is not None


_PATH_ELEMENT_KINDS = frozenset({"iri", "pname"})


def has_zero_length_path(text: str) -> bool:
    """Whether *text* may hold a ``*`` or ``?`` property-path modifier (a path that matches in zero steps too):
    such a token right after an IRI, a prefixed name, ``a`` or a ``)``. Arithmetic after a ``)``
    (``(?a + ?b) * 2``) counts as well: callers take the answer as "use the general path", never the reverse.

    >>> has_zero_length_path("SELECT * WHERE { ?s ex:p* ?o }"), has_zero_length_path("SELECT * { ?s ex:p ?o }")
    (True, False)
    >>> has_zero_length_path("SELECT ?s { ?s (ex:p/ex:q)? ?o }"), has_zero_length_path("SELECT (COUNT(*) AS ?n) {}")
    (True, False)
    """
    previous: Token | None = None
    for token in tokens(text):
        if token.kind in ("space", "comment"):
            continue
        if token.kind == "punct" and token.text in ("*", "?") and previous is not None and (
                previous.kind in _PATH_ELEMENT_KINDS or previous.text == ")" or previous.keyword == "a"):
            return True
        previous = token
    return False


def codepoint_unescape(text: str) -> str:
    """*text* with its ``\\uXXXX`` and ``\\UXXXXXXXX`` escapes replaced, as §19.2 says a parser may do first.

    >>> codepoint_unescape("\\\\u0053ERVICE")
    'SERVICE'
    """
    def replace(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
    return _CODEPOINT_ESCAPE.sub(replace, text)
