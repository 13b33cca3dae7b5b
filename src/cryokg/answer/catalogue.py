"""The catalogue of named competency queries (``ontology/queries/*.rq``): read, bind parameters, run, format.

Each ``.rq`` file starts with a header of ``#`` comment lines, ``key: value`` each::

    # title: What a code describes
    # description: The defining attributes of one code ...     (may repeat; lines are joined)
    # param: code (string) = 0440T — the code notation, e.g. 0440T
    # param: resource (iri, optional) — the mapped resource

A parameter line is ``NAME [(TYPE[, optional])] [= DEFAULT] [— DESCRIPTION]`` (an em dash or `` -- ``).
Types: ``string`` (a plain literal), ``iri`` (an IRI, a CURIE, a code notation or a label, resolved to one
resource of the graph), ``integer``, ``boolean``. A parameter is the query variable of the same name.

Parameters are never pasted into the query text as typed: each value is checked and turned into one SPARQL
term (rdflib's N3 serialisation escapes quotes and newlines), and the terms are bound with an inline ``VALUES``
block (SPARQL 1.1, section 10.2.1) placed first in the ``WHERE`` group, so engines join the bindings early
(rdflib, which does not push a trailing ``VALUES`` down, answers the ``sources`` query about 50 times faster
this way). The inline form is also the portable one: with a trailing ``VALUES`` clause (section 10.2.2)
Virtuoso 7.2.5 gives wrong answers (in ``related-codes`` it paired codes and techniques of different
``UNION`` branches; in ``siblings`` it lost a ``FILTER``, so a code became its own sibling), and it rejects
one on a variable the query does not select (error SQ200). Only where no ``WHERE`` group can be found is a
trailing ``VALUES`` clause used.

The same block is also put first in every ``UNION`` branch of the ``WHERE`` group that uses a parameter (not
in sub-selects). A join
distributes over a union, and joining a one-row block twice is joining it once, so the answer is the same;
but Oxigraph does not push a join into the branches of a union or into a group with a ``FILTER`` or
``OPTIONAL``: it evaluated each branch with the parameter unbound, scanning the whole store. ``sources`` on a
synthetic nerve at 1 M triples took 200 ms that way and takes 0.5 ms with the block in each branch
(``docs/benchmarks.md``, SPARQL section, ``sources`` row). A ``FILTER`` inside a branch now sees the
parameter bound; no catalogue query filters on a parameter inside a branch (and the result of one that
did would be what its author meant).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from cryokg.answer.store import Engine, QueryResult
from cryokg.errors import BadInput
from cryokg.rdf import sparql_text
from cryokg.sources.load import DEFAULT_SOURCES

__all__ = [
    "QUERIES_DIR",
    "CatalogueQuery",
    "Parameter",
    "bind_parameters",
    "load_catalogue",
    "parse_query_file",
    "run_named",
]

QUERIES_DIR = DEFAULT_SOURCES / "queries"
PARAM_TYPES = ("string", "iri", "integer", "boolean")
_HEADER = re.compile(r"^#\s*([A-Za-z_-]+)\s*:\s?(.*)$")
_PARAM = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s*(?:\((?P<type>[a-z]+)(?P<optional>\s*,\s*optional)?\))?\s*"
                    r"(?:=\s*(?P<default>.*?))?\s*(?:(?:—|--)\s*(?P<description>.*))?$")


@dataclass(frozen=True)
class Parameter:
    """One declared parameter of a catalogue query."""

    name: str
    type: str = "string"
    default: str | None = None
    description: str = ""
    optional: bool = False


@dataclass(frozen=True)
class CatalogueQuery:
    """A named query with its header."""

    name: str
    path: Path | None
    title: str
    description: str
    parameters: tuple[Parameter, ...]
    text: str

    @property
    def ordered(self) -> bool:
        """True when the query fixes the order of its solutions (ORDER BY outside comments)."""
        return sparql_text.order_keys(self.text) != []


def _parse_param(value: str, path: Path | str, line: int) -> Parameter:
    match = _PARAM.match(value.strip())
    if not match:
        raise BadInput(f"{path}:{line}: cannot read parameter {value!r}; write "
                       "'# param: NAME (TYPE) = DEFAULT — DESCRIPTION'")
    kind = match.group("type") or "string"
    if kind not in PARAM_TYPES:
        raise BadInput(f"{path}:{line}: parameter type {kind!r} is not one of {', '.join(PARAM_TYPES)}")
    default = match.group("default") or None
    return Parameter(name=match.group("name"), type=kind, default=default,
                     description=(match.group("description") or "").strip(),
                     optional=bool(match.group("optional")))


def parse_query_file(path: Path, *, text: str | None = None, name: str | None = None) -> CatalogueQuery:
    """Read one ``.rq`` file and its header comment."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8") if text is None else text
    except OSError as exc:
        raise BadInput(f"{path}: cannot read: {exc.strerror or exc}") from None
    title, descriptions, params = "", [], []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.startswith("#"):
            if raw.strip():
                break  # the header ends at the first line of query text
            continue
        match = _HEADER.match(raw)
        if not match:
            continue
        key, value = match.group(1).lower(), match.group(2).strip()
        if key == "title":
            title = value
        elif key == "description":
            descriptions.append(value)
        elif key == "param":
            params.append(_parse_param(value, path, number))
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise BadInput(f"{path}: a parameter is declared twice ({', '.join(names)})")
    return CatalogueQuery(name=name or path.stem, path=path, title=title or path.stem,
                          description=" ".join(descriptions), parameters=tuple(params), text=text)


def load_catalogue(folder: Path = QUERIES_DIR) -> dict[str, CatalogueQuery]:
    """Every named query under *folder*, by name (the file name without ``.rq``), sorted.

    >>> "siblings" in load_catalogue()
    True
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise BadInput(f"{folder}: query catalogue folder not found")
    return {path.stem: parse_query_file(path) for path in sorted(folder.glob("*.rq"))}


def _term(param: Parameter, value: str, engine: Engine) -> str:
    """The one SPARQL term for *value*, checked against the parameter's type."""
    if param.type == "iri":
        from cryokg.answer.matching import resolve_resource

        return URIRef(resolve_resource(engine, value, what=f"resource for parameter {param.name!r}")).n3()
    if param.type == "integer":
        if not re.fullmatch(r"[+-]?\d+", value.strip()):
            raise BadInput(f"parameter {param.name!r} must be an integer, got {value!r}")
        return Literal(int(value), datatype=XSD.integer).n3()
    if param.type == "boolean":
        if value.strip().lower() not in ("true", "false"):
            raise BadInput(f"parameter {param.name!r} must be true or false, got {value!r}")
        return Literal(value.strip().lower() == "true").n3()
    return Literal(value).n3()


def bind_parameters(query: CatalogueQuery, values: dict[str, str], engine: Engine) -> str:
    """The query text with its parameters bound by a ``VALUES`` block first in its ``WHERE`` group, and again
    first in each of that group's ``UNION`` branches that use a parameter (see the module docstring).

    Unknown parameters and missing required ones are bad input; a parameter left out falls back to its
    default, and an optional one without a default is left unbound.
    """
    declared = {p.name: p for p in query.parameters}
    unknown = sorted(set(values) - set(declared))
    if unknown:
        known = ", ".join(declared) or "none"
        raise BadInput(f"query {query.name!r} has no parameter {', '.join(unknown)} (parameters: {known})")
    names, terms = [], []
    for param in query.parameters:
        value = values.get(param.name, param.default)
        if value is None:
            if param.optional:
                continue
            raise BadInput(f"query {query.name!r} needs --param {param.name}=VALUE ({param.description})")
        names.append(f"?{param.name}")
        terms.append(_term(param, value, engine))
    if not names:
        return query.text
    block = f"VALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }}"
    at = sparql_text.where_brace(query.text)
    if at is None:
        return f"{query.text.rstrip()}\n{block}\n"
    text = query.text
    for brace in sorted([at, *sparql_text.union_branches(text, at, [n[1:] for n in names])], reverse=True):
        text = f"{text[:brace + 1]}{chr(10) + '  ' if brace == at else ' '}{block}{text[brace + 1:]}"
    return text


def run_named(engine: Engine, query: CatalogueQuery, values: dict[str, str] | None = None) -> QueryResult:
    """Bind *values* into *query* and run it on *engine*."""
    return engine.query(bind_parameters(query, values or {}, engine))
