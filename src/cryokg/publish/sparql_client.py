"""Talk to a SPARQL 1.1 server over HTTP: authentication, clear errors, and safe parsing of its answers.

Why a module of its own: ``cryokg publish`` and the benchmarks both load graphs into real servers and ask
them queries, and both need the same three things done right:

* **authentication** as the server asks for it (Virtuoso wants HTTP Digest on its Graph Store; others Basic),
  sending a password only after a ``401`` challenge;
* **errors that say what, where and why**: unreachable server, refused credentials, or an HTTP error with the
  server's own message (HTML reduced to text), all as :class:`PublishError` (exit status 2);
* **safe parsing**: SPARQL JSON results with :mod:`json` (including Virtuoso's pre-standard
  ``typed-literal``), graphs only as N-Triples or Turtle with pyoxigraph. No JSON-LD (no remote contexts) and
  no XML (no external entities) is ever asked for or parsed.

Queries use the SPARQL 1.1 Protocol, section 2.1.2 (query via URL-encoded POST), so long queries fit.
:class:`EndpointEngine` puts the same client behind the :class:`cryokg.answer.store.Engine` interface for
``cryokg query --endpoint``: one HTTP client and one results parser for every remote SPARQL answer. An answer is
untrusted, so :func:`send` can bound how much of it is read (``max_bytes``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator

import httpx
import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from cryokg.answer.store import Engine, QueryResult, check_syntax
from cryokg.errors import BadInput
from cryokg.rdf.parsing import MAX_BYTES, rdflib_term
from cryokg.rdf.sparql_text import query_form

__all__ = [
    "GRAPH_ACCEPT",
    "SPARQL_JSON",
    "ChallengeAuth",
    "EndpointEngine",
    "HttpStatusError",
    "PublishError",
    "Triple",
    "UnreadableAnswer",
    "connect",
    "get_graph",
    "send",
    "server_message",
    "sparql_query",
]

SPARQL_JSON = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9"
_RDF_FORMATS = {"application/n-triples": ox.RdfFormat.N_TRIPLES, "text/plain": ox.RdfFormat.N_TRIPLES,
                "text/turtle": ox.RdfFormat.TURTLE}

Triple = tuple[Node, Node, Node]
"""A triple of rdflib terms."""


class PublishError(BadInput):
    """The server cannot be reached, refuses us, or rejects the request (exit status 2)."""


class HttpStatusError(PublishError):
    """The server answered with an HTTP error status; the message carries the server's own words."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class UnreadableAnswer(PublishError):
    """The server answered, but not with valid results or RDF (a finding about the server, not bad input)."""


class ChallengeAuth(httpx.Auth):
    """Answer the scheme the server challenges with (Digest preferred, else Basic); send nothing unasked.

    Credentials are only sent after a ``401`` names its scheme, so a password never goes to a server that
    did not ask for one; the 401 already received is reused as the Digest challenge (no extra round trip).
    """

    def __init__(self, user: str, password: str) -> None:
        self._digest = httpx.DigestAuth(user, password)
        self._basic = httpx.BasicAuth(user, password)
        self._chosen: httpx.Auth | None = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._chosen is not None:
            yield from self._chosen.auth_flow(request)
            return
        response = yield request
        if response.status_code != 401:
            return
        offered = {h.split(" ", 1)[0].lower() for h in response.headers.get_list("www-authenticate")}
        if "digest" in offered:
            self._chosen = self._digest
            flow = self._digest.auth_flow(request)
            next(flow)  # the same request without credentials: answer it with the 401 we already have
            try:
                retry = flow.send(response)
            except StopIteration:
                return
            yield retry
        elif "basic" in offered:
            self._chosen = self._basic
            yield from self._basic.auth_flow(request)


def connect(*, user: str | None = None, password: str | None = None, auth: str = "auto",
            timeout: float = 60.0) -> httpx.Client:
    """An HTTP client with the chosen authentication (``auto``: whatever the server challenges with).

    >>> with connect(user="dba", password="dba", auth="digest") as client:
    ...     type(client.auth).__name__
    'DigestAuth'
    """
    if (user is None) != (password is None):
        raise BadInput("give both --user and --password, or neither")
    schemes: dict[str, Callable[[str, str], httpx.Auth]] = {
        "auto": ChallengeAuth, "digest": httpx.DigestAuth, "basic": httpx.BasicAuth}
    if auth not in schemes:
        raise BadInput(f"--auth must be one of {', '.join(schemes)}; got {auth!r}")
    credentials = schemes[auth](user, password) if user is not None and password is not None else None
    client = httpx.Client(auth=credentials, timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
                          follow_redirects=False, headers={"User-Agent": "cryokg"})
    client.cryokg_user = user  # type: ignore[attr-defined]  # named in the 401 message
    return client


def send(client: httpx.Client, method: str, url: str, what: str, *, check: bool = True,
         max_bytes: int | None = None, **kwargs: object) -> httpx.Response:
    """Send one request; turn every failure into a :class:`PublishError` that says what, where and why.

    With *max_bytes*, at most that many bytes of the answer are read; a longer one is an error.
    """
    try:
        request = client.build_request(method, url, **kwargs)  # type: ignore[arg-type]
        response = client.send(request, stream=True)
        try:
            response = _bounded(response, max_bytes, url)
        finally:
            response.close()
    except httpx.TimeoutException:
        raise PublishError(f"{what}: {url} did not answer in time (try a larger --timeout)") from None
    except (httpx.ConnectError, httpx.RemoteProtocolError) as exc:
        raise PublishError(f"{what}: cannot reach {url}: {exc or type(exc).__name__}") from None
    except httpx.HTTPError as exc:
        raise PublishError(f"{what}: request to {url} failed: {exc or type(exc).__name__}") from None
    if not check or response.status_code < 300:
        return response
    status = response.status_code
    if status == 401:
        user = getattr(client, "cryokg_user", None)
        detail = (f"the server refused the credentials of user {user!r}" if user
                  else "the server asks for credentials: give --user and --password")
        raise HttpStatusError(f"{what}: {url} answered HTTP 401 Unauthorized: {detail}", status)
    message = server_message(response)
    if 300 <= status < 400 and response.headers.get("location"):
        message = f"redirected to {response.headers['location']} (give that URL instead)"
    raise HttpStatusError(f"{what}: {url} answered HTTP {status} {response.reason_phrase}"
                          + (f": {message}" if message else ""), status)


def _bounded(response: httpx.Response, max_bytes: int | None, url: str) -> httpx.Response:
    """*response* with its body read, never more than *max_bytes* of it."""
    if max_bytes is None:
        response.read()
        return response
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise PublishError(f"{url} answered more than {max_bytes} bytes")
    return httpx.Response(response.status_code, headers=response.headers, content=bytes(body),
                          request=response.request)


def server_message(response: httpx.Response, limit: int = 400) -> str:
    """The server's explanation in one line: plain text as is, HTML reduced to its text (no XML parsing).

    Virtuoso echoes the whole query after its error; the echo is cut so the error itself stays visible.
    """
    text = response.text
    if "html" in response.headers.get("content-type", "").lower() or text.lstrip().startswith("<"):
        text = re.sub(r"(?is)<(script|style|title|h1)\b.*?</\1>", " ", text)  # headings repeat the status
        text = re.sub(r"(?s)<[^>]*>", " ", text)
        text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    text = re.split(r"\n\s*SPARQL query:", text, maxsplit=1)[0]
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sparql_query(client: httpx.Client, url: str, query: str, *, default_graph: str | None = None,
                 form: str | None = None, max_bytes: int | None = None) -> QueryResult:
    """Ask *query* at the query endpoint *url*, against *default_graph* when given (``default-graph-uri``)."""
    form = form or query_form(query)
    data = {"query": query}
    if default_graph is not None:
        data["default-graph-uri"] = default_graph
    if form in ("construct", "describe"):
        response = send(client, "POST", url, "querying", data=data, headers={"Accept": GRAPH_ACCEPT},
                        max_bytes=max_bytes)
        return QueryResult("graph", triples=_parse_graph(response, url))
    response = send(client, "POST", url, "querying", data=data, headers={"Accept": SPARQL_JSON}, max_bytes=max_bytes)
    media_type = _media_type(response)
    if media_type not in (SPARQL_JSON, "application/json"):
        raise PublishError(f"{url} answered {media_type or 'no media type'}; expected {SPARQL_JSON}")
    try:
        return _from_json(response.json(), form)
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise UnreadableAnswer(f"{url} sent unreadable SPARQL JSON results: {exc!r:.200}") from None


def get_graph(client: httpx.Client, store_url: str, graph: str, *, graph_param: str = "graph") -> list[Triple]:
    """The triples of *graph*, by a Graph Store Protocol GET (section 5.2)."""
    response = send(client, "GET", store_url, "reading the graph back", params={graph_param: graph},
                    headers={"Accept": GRAPH_ACCEPT})
    return _parse_graph(response, store_url)


def _media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip().lower()


def _parse_graph(response: httpx.Response, url: str) -> list[Triple]:
    media_type = _media_type(response)
    if media_type not in _RDF_FORMATS:
        raise PublishError(f"{url} answered {media_type or 'no media type'}; expected N-Triples or Turtle")
    try:
        parsed = ox.parse(response.content, format=_RDF_FORMATS[media_type])
        return [(rdflib_term(t.subject), rdflib_term(t.predicate), rdflib_term(t.object)) for t in parsed]
    except SyntaxError as exc:
        raise UnreadableAnswer(f"{url} sent a graph that does not parse: {exc}") from None


def _from_json(payload: dict, form: str) -> QueryResult:
    """SPARQL 1.1 Query Results JSON, including Virtuoso's ``typed-literal`` and its ASK-as-SELECT answer."""
    if "boolean" in payload:
        return QueryResult("ask", boolean=bool(payload["boolean"]))
    variables = list(payload["head"].get("vars", []))
    bindings = payload["results"]["bindings"]
    if form == "ask" and variables == ["__ASK_RETVAL"]:  # Virtuoso, when given default-graph-uri
        value = bindings[0]["__ASK_RETVAL"]["value"] if bindings else "0"
        return QueryResult("ask", boolean=value in ("1", "true"))
    rows = [tuple(_json_term(b[v]) if v in b else None for v in variables) for b in bindings]
    return QueryResult("select", variables=variables, rows=rows)


def _json_term(value: dict[str, str]) -> Node:
    kind = value["type"]
    if kind == "uri":
        return URIRef(value["value"])
    if kind == "bnode":
        return BNode(value["value"])
    if kind not in ("literal", "typed-literal"):
        raise ValueError(f"unknown term type {kind!r}")
    if value.get("xml:lang"):
        return Literal(value["value"], lang=value["xml:lang"])
    datatype = value.get("datatype")
    return Literal(value["value"], datatype=URIRef(datatype) if datatype else None)


class EndpointEngine(Engine):
    """Any SPARQL 1.1 endpoint behind the :class:`~cryokg.answer.store.Engine` interface (``query --endpoint``).

    The query is first parsed locally (pyoxigraph), so a malformed query gets the same line-and-column message
    as on the embedded store instead of whatever the server says. The answer is read through :func:`send` with
    :data:`cryokg.rdf.parsing.MAX_BYTES` as the bound.
    """

    name = "endpoint"

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise BadInput(f"--endpoint must be an http(s) URL, got {url!r}")
        self.url, self.timeout = url, timeout

    def query(self, sparql: str) -> QueryResult:
        check_syntax(sparql)
        with connect(timeout=self.timeout) as client:
            return sparql_query(client, self.url, sparql, max_bytes=MAX_BYTES)
