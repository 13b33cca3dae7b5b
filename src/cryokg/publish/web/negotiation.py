"""Content negotiation from one media-type table (RFC 9110 §12.5.1 ``Accept``, §15.5.7 406).

Every response format the server (and the static site) can produce is one row of :data:`MEDIA_TYPES`: the
``?format=`` key, the media type, the file extension of the static export, and which kinds of answer it
applies to (a resource description, SPARQL solutions, a SPARQL boolean, SPARQL triples). The Accept parser
honours q-values, wildcards and specificity: the most specific media range that matches an offer gives that
offer its quality (``text/turtle;q=0`` refuses Turtle even under ``*/*``); among offers of equal quality
the server's order (the table's order) wins. Parameters other than ``q`` make a range more specific but do
not stop it from matching (``application/ld+json;profile=...`` still matches our JSON-LD).

>>> negotiate("text/turtle;q=0.9, application/ld+json", "resource").key
'jsonld'
>>> negotiate("image/png", "resource") is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "MEDIA_TYPES",
    "AcceptItem",
    "MediaType",
    "by_extension",
    "by_key",
    "negotiate",
    "offers",
    "parse_accept",
    "quality",
]

RESOURCE, SELECT, ASK, GRAPH = "resource", "select", "ask", "graph"


@dataclass(frozen=True)
class MediaType:
    """One row of the table: a format the server can write, and where it applies."""

    key: str
    media_type: str
    extension: str
    kinds: frozenset[str]
    rdf_format: str | None = None  # key of cryokg.release.writers.FORMATS for RDF documents
    aliases: tuple[str, ...] = ()

    @property
    def content_type(self) -> str:
        """The Content-Type header value (text types get an explicit charset)."""
        textual = self.media_type.startswith("text/") or self.media_type.endswith(("+json", "+xml", "/json"))
        return f"{self.media_type}; charset=utf-8" if textual else self.media_type


def _row(key: str, media_type: str, extension: str, kinds: str, rdf_format: str | None = None,
         aliases: tuple[str, ...] = ()) -> MediaType:
    return MediaType(key, media_type, extension, frozenset(kinds.split()), rdf_format, aliases)


MEDIA_TYPES: tuple[MediaType, ...] = (
    _row("html", "text/html", "html", "resource select ask graph", aliases=("htm",)),
    _row("turtle", "text/turtle", "ttl", "resource graph", "turtle", ("ttl",)),
    _row("jsonld", "application/ld+json", "jsonld", "resource graph", "jsonld", ("json-ld",)),
    _row("ntriples", "application/n-triples", "nt", "resource graph", "ntriples", ("nt", "n-triples")),
    _row("rdfxml", "application/rdf+xml", "rdf", "resource graph", "rdfxml", ("rdf", "xml-rdf")),
    _row("json", "application/sparql-results+json", "srj", "select ask", aliases=("srj",)),
    _row("xml", "application/sparql-results+xml", "srx", "select ask", aliases=("srx",)),
    _row("csv", "text/csv", "csv", "select"),
    _row("tsv", "text/tab-separated-values", "tsv", "select"),
    # Plain JSON for clients that only know application/json (SPARQL results, same body as "json").
    _row("plainjson", "application/json", "json", "select ask"),
)
"""The one table. Order is the server's preference when the client's q-values tie."""


def offers(kind: str) -> list[MediaType]:
    """The rows usable for one kind of answer, in preference order."""
    return [row for row in MEDIA_TYPES if kind in row.kinds]


def by_key(key: str, kind: str) -> MediaType | None:
    """The row that a ``?format=`` value names (key, alias, extension or media type), if usable for *kind*."""
    wanted = key.strip().lower()
    for row in offers(kind):
        if wanted in (row.key, row.extension, row.media_type, *row.aliases):
            return row
    return None


def by_extension(extension: str, kind: str = RESOURCE) -> MediaType | None:
    """The row whose static-export file extension is *extension* (without dot)."""
    return next((row for row in offers(kind) if row.extension == extension), None)


@dataclass(frozen=True)
class AcceptItem:
    """One media range of an Accept header."""

    type: str
    subtype: str
    q: float
    params: int  # number of parameters besides q: a tie-breaker for specificity

    @property
    def specificity(self) -> tuple[int, int]:
        if self.type == "*":
            return (0, 0)
        if self.subtype == "*":
            return (1, 0)
        return (2, self.params)

    def matches(self, media_type: str) -> bool:
        kind, _, sub = media_type.partition("/")
        return (self.type in ("*", kind)) and (self.subtype in ("*", sub)) and not (self.type == "*" and self.subtype != "*")


_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_RANGE = re.compile(rf"^\s*({_TOKEN})/({_TOKEN})\s*$")
_QVALUE = re.compile(r"^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$")


def _split_outside_quotes(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def parse_accept(header: str | None) -> list[AcceptItem]:
    """The media ranges of an Accept header; malformed ranges and q-values are skipped, not fatal.

    A missing or empty header means ``*/*`` (RFC 9110: no Accept = anything is acceptable).

    >>> [(i.type, i.subtype, i.q) for i in parse_accept("text/*;q=0.5, text/turtle")]
    [('text', '*', 0.5), ('text', 'turtle', 1.0)]
    """
    if header is None or not header.strip():
        return [AcceptItem("*", "*", 1.0, 0)]
    items = []
    for piece in _split_outside_quotes(header[:4096], ","):
        if not piece.strip():
            continue
        fields = _split_outside_quotes(piece, ";")
        match = _RANGE.match(fields[0])
        if not match:
            continue
        q, params, valid = 1.0, 0, True
        for field in fields[1:]:
            name, eq, value = field.partition("=")
            name = name.strip().lower()
            if not name:
                continue
            if name == "q":
                value = value.strip()
                if not eq or not _QVALUE.match(value):
                    valid = False
                    break
                q = float(value)
            else:
                params += 1
        kind, sub = match.group(1).lower(), match.group(2).lower()
        if valid and not (kind == "*" and sub != "*"):
            items.append(AcceptItem(kind, sub, q, params))
    return items


def quality(items: list[AcceptItem], media_type: str) -> float:
    """The quality the client gives *media_type*: the q of the most specific matching range (0 if none)."""
    matching = [item for item in items if item.matches(media_type)]
    if not matching:
        return 0.0
    top = max(item.specificity for item in matching)
    # Several equally specific ranges (e.g. text/turtle and text/turtle;q=0.2): take the highest q.
    return max(item.q for item in matching if item.specificity == top)


def negotiate(accept: str | None, kind: str, *, available: list[MediaType] | None = None) -> MediaType | None:
    """The best row for *kind* under the Accept header, or None (the caller answers 406)."""
    candidates = available if available is not None else offers(kind)
    items = parse_accept(accept)
    if not items:  # a header that held only garbage: treat as no preference rather than refuse everything
        items = [AcceptItem("*", "*", 1.0, 0)]
    best, best_q = None, 0.0
    for row in candidates:
        q = quality(items, row.media_type)
        if q > best_q:
            best, best_q = row, q
    return best
