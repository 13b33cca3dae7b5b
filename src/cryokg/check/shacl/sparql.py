"""SHACL-SPARQL query text: what SHACL forbids in it, when one query can serve every focus node, and
pre-binding done by substitution.

SHACL 5.3.1 evaluates a constraint's ``SELECT`` with ``$this`` (and ``$currentShape``, ``$shapesGraph``)
*pre-bound* (https://www.w3.org/TR/shacl/#pre-binding): the value is visible everywhere in the query, inside
nested groups, ``BIND`` and ``FILTER`` included. pyoxigraph's ``substitutions`` bind the variable only at the
top of the evaluation, which is not the same (W3C suite sparql/pre-binding-003..005), so the engine instead
writes the value into the query text where the variable stands (:func:`prebind`), which is the SHACL
definition for the queries SHACL allows. A blank node has no SPARQL syntax, so a blank focus node can only be
pre-bound that way when the query is one pyoxigraph's top-level binding gets right (:func:`batchable`).

SHACL also forbids, in these queries, what makes pre-binding ill-defined (5.3.1.1): ``MINUS``, ``VALUES``,
``SERVICE``, ``AS ?this`` (any pre-bound variable) and sub-selects that do not project ``$this`` (``SELECT *``
included). :func:`forbidden` finds them, so the engine refuses such shapes instead of answering.

The query is read as tokens (strings, IRIs and comments kept whole, so a keyword inside them is not mistaken
for one), and rewritten by replacing token spans, so the rest of the text stays as written.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cryokg.rdf import sparql_text

__all__ = ["PREBOUND", "Token", "batchable", "forbidden", "prebind", "tokens", "uses"]

PREBOUND = ("this", "currentShape", "shapesGraph")
"""The variables SHACL pre-binds in a SPARQL-based constraint (5.3.1); ``$PATH`` is substituted (5.3.1.2)."""

_KINDS = {"string": "string", "iri": "iri", "var": "var", "pname": "pname", "word": "word"}
"""Token kinds of :mod:`cryokg.rdf.sparql_text` this module tells apart; the rest are ``other``."""


@dataclass(frozen=True)
class Token:
    kind: str  # string | iri | var | pname | word | other
    text: str
    start: int
    end: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else self.text

    def is_var(self, name: str) -> bool:
        return self.kind == "var" and self.text[1:] == name


def tokens(query: str) -> list[Token]:
    """The tokens of *query* (the project's one SPARQL lexer, :func:`cryokg.rdf.sparql_text.tokens`), white space
    and comments left out."""
    return [Token(_KINDS.get(t.kind, "other"), t.text, t.start, t.start + len(t.text))
            for t in sparql_text.significant(query)]


def uses(query: str, name: str) -> bool:
    """Whether *query* mentions the variable *name* (as ``$name`` or ``?name``)."""
    return any(t.is_var(name) for t in tokens(query))


def _projection_end(toks: list[Token], i: int) -> int:
    """Index of the token that ends the projection of the ``SELECT`` at *i* (``WHERE``, ``{`` or ``FROM``)."""
    depth = 0
    for j in range(i + 1, len(toks)):
        t = toks[j]
        if t.text == "(":
            depth += 1
        elif t.text == ")":
            depth -= 1
        elif depth == 0 and (t.upper in ("WHERE", "FROM") or t.text == "{"):
            return j
    return len(toks)


def forbidden(query: str) -> str | None:
    """What in *query* SHACL 5.3.1.1 forbids (a short phrase), or ``None``."""
    toks = tokens(query)
    for i, t in enumerate(toks):
        word = t.upper
        if t.kind == "word" and word in ("MINUS", "VALUES", "SERVICE"):
            return word
        if t.kind == "word" and word == "AS" and i + 1 < len(toks) and toks[i + 1].kind == "var" \
                and toks[i + 1].text[1:] in PREBOUND:
            return f"AS {toks[i + 1].text} (a pre-bound variable)"
    selects = [i for i, t in enumerate(toks) if t.kind == "word" and t.upper == "SELECT"]
    for i in selects[1:]:  # sub-selects: the first SELECT is the query's own
        end = _projection_end(toks, i)
        projection = toks[i + 1:end]
        if any(t.text == "*" for t in projection):
            return "a sub-select with SELECT *"
        if not any(t.is_var("this") for t in projection):
            return "a sub-select that does not project $this"
    return None


# --- when one query with $this free serves every focus node -----------------------------------------------------

_NOT_IN_BATCH = frozenset({"UNION", "MINUS", "VALUES", "SERVICE", "GRAPH", "SELECT", "GROUP",
                           "HAVING", "ORDER", "LIMIT", "OFFSET", "COUNT", "SUM", "AVG", "MIN", "MAX", "SAMPLE",
                           "GROUP_CONCAT", "FROM", "LATERAL"})


def batchable(select: str) -> bool:
    """Whether running *select* once with ``$this`` free, then taking each focus node's rows, gives exactly what
    pre-binding ``$this`` per focus node gives (SHACL 5.3.1).

    It does when the query projects ``$this`` (or ``*``) and its WHERE clause is one basic graph pattern (triple
    patterns and property paths) that mentions ``$this`` outside any filter or optional part, *before* the first
    ``OPTIONAL``, plus filters (``EXISTS`` and ``NOT EXISTS`` included) and top-level ``OPTIONAL`` parts (no
    ``OPTIONAL`` nested in another group). SPARQL evaluates a group from the inside out (an ``OPTIONAL`` left-joins what
    precedes it), so then every solution of what precedes each ``OPTIONAL`` binds ``$this``, and a left join on
    a bound ``$this`` keeps exactly the optional solutions that pre-binding keeps; a filter, ``EXISTS`` and
    ``bound(?x)`` see the same solution either way; a ``BIND`` whose expression does not mention ``$this`` gives
    the same value either way. An ``OPTIONAL`` before ``$this`` is bound, or nested in another group, is
    evaluated before ``$this`` joins it and can keep a solution that pre-binding drops (or drop one it keeps),
    so such queries, and anything else (``UNION``, ``MINUS``, ``VALUES``, ``BIND`` of ``$this``,
    ``bound($this)``, sub-selects, grouping, slicing), keep the per-node query.
    pyoxigraph plans a property path followed by ``FILTER NOT EXISTS`` as an uncorrelated anti-join, so the
    per-node query costs time proportional to the whole graph; one query per constraint does not.
    (A zero-length path can match a pre-bound node that is not in the graph at all; the engine keeps the
    per-node query for such focus nodes, see :meth:`cryokg.check.shacl.engine.Engine.sparql_rows`.)
    The same condition makes pyoxigraph's top-level binding (``substitutions``) equal to pre-binding, which is
    how a blank focus node (no SPARQL syntax to substitute) is pre-bound.
    """
    toks = tokens(select)
    upper = [t.upper for t in toks]
    if "WHERE" not in upper:
        return False
    where = upper.index("WHERE")
    head, body = toks[:where], toks[where + 1:]
    if not any(t.is_var("this") or t.text == "*" for t in head):
        return False
    if any(t.kind == "var" and t.text[1:] in ("currentShape", "shapesGraph") for t in toks):
        return False
    groups: list[str] = []  # the kind of each open { }: "where", "EXISTS" or "OPTIONAL"
    parens, this_in_pattern, previous = 0, False, ""
    for i, token in enumerate(body):
        word = token.upper
        if token.kind == "word" and word in _NOT_IN_BATCH:
            return False
        if token.kind == "word" and word in ("BIND", "BOUND") and _mentions_this(body, i + 1):
            return False
        if token.text == "{":
            if not groups:
                groups.append("where")
            elif previous == "EXISTS" or (previous == "OPTIONAL" and len(groups) == 1 and this_in_pattern):
                groups.append(previous)
            else:
                return False
        elif token.text == "}":
            if not groups:
                return False
            groups.pop()
        elif token.text == "(":
            parens += 1
        elif token.text == ")":
            parens -= 1
        elif token.is_var("this") and len(groups) == 1 and parens == 0:
            this_in_pattern = True
        previous = word
    return this_in_pattern and not groups


def _mentions_this(toks: list[Token], i: int) -> bool:
    """Whether the parenthesised group starting at token *i* mentions ``$this``."""
    depth = 0
    for t in toks[i:]:
        if t.text == "(":
            depth += 1
        elif t.text == ")":
            depth -= 1
            if depth == 0:
                return False
        elif t.is_var("this"):
            return True
    return False


# --- pre-binding by substitution ---------------------------------------------------------------------------------


def prebind(query: str, values: dict[str, str]) -> str:
    """*query* with each variable of *values* (name -> SPARQL text of an IRI or literal) pre-bound.

    Where the query projects the variable (``SELECT $this``), it becomes ``(<value> AS ?this)``, so the
    solutions still carry it (pre-binding joins the bindings into the results); a sub-select projects it under
    a fresh name instead, which joins with nothing (the outer query no longer has the variable);
    ``bound($this)`` becomes ``(true)``; in ``GROUP BY`` / ``ORDER BY`` the value is parenthesised; everywhere
    else the value replaces the variable. Where the edits go is worked out once per query text and set of
    names (:func:`_prebind_plan`): a non-batchable constraint is pre-bound once per focus node.
    """
    parts = _prebind_plan(query, frozenset(values))
    out = []
    for text, (name, form) in parts:
        out.append(text)
        if name:
            out.append(form.format(value=values[name]))
    return "".join(out)


@lru_cache(maxsize=256)
def _prebind_plan(query: str, names: frozenset[str]) -> tuple[tuple[str, tuple[str, str]], ...]:
    """*query* cut where :func:`prebind` writes values: (text before, (variable name, form)) pieces, the form a
    format string with ``{value}``; the last piece has no name."""
    toks = tokens(query)
    edits: list[tuple[int, int, str, str]] = []
    projection: dict[int, bool] = {}  # token index -> projected by the query's own SELECT (not a sub-select)
    first = True
    for i, t in enumerate(toks):
        if t.kind == "word" and t.upper == "SELECT":
            depth = 0
            for j in range(i + 1, _projection_end(toks, i)):
                if toks[j].text == "(":
                    depth += 1
                elif toks[j].text == ")":
                    depth -= 1
                elif depth == 0:
                    projection[j] = first
            first = False
    clause = ""
    for i, t in enumerate(toks):
        if t.kind == "word" and t.upper in ("GROUP", "ORDER", "HAVING", "LIMIT", "OFFSET", "SELECT", "WHERE"):
            clause = t.upper
        elif t.text in ("{", "}"):
            clause = ""
        if t.kind != "var" or t.text[1:] not in names:
            continue
        name = t.text[1:]
        if i in projection:
            alias = name if projection[i] else f"cryokg_prebound_{name}_{i}"
            edits.append((t.start, t.end, name, f"({{value}} AS ?{alias})"))
        elif (i >= 2 and toks[i - 2].upper == "BOUND" and toks[i - 1].text == "("
              and i + 1 < len(toks) and toks[i + 1].text == ")"):
            edits.append((toks[i - 2].start, toks[i + 1].end, "", "(true)"))
        elif clause in ("GROUP", "ORDER"):
            edits.append((t.start, t.end, name, "({value})"))
        else:
            edits.append((t.start, t.end, name, "{value}"))
    parts: list[tuple[str, tuple[str, str]]] = []
    done = 0
    for start, end, name, form in sorted(edits):
        if name:
            parts.append((query[done:start], (name, form)))
        else:
            parts.append((query[done:start] + form, ("", "")))
        done = end
    parts.append((query[done:], ("", "")))
    return tuple(parts)
