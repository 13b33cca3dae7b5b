"""The ASGI application of ``cryokg serve``: linked-data pages, RDF documents and a SPARQL endpoint.

Dereferencing follows the W3C "Cool URIs for the Semantic Web" recipe for slash IRIs, served directly
(§4.2 without the 303): the IRI path itself (``/id/code/0440T``) answers with the description in the
negotiated format, ``Vary: Accept``, and a ``Content-Location`` naming the format-specific document
(``/id/code/0440T.ttl``), which is itself served (it is also the file name in the static export). We do not
303-redirect: our IRIs name concepts, but every client that can follow a redirect can also read the
description directly, and one round trip is saved; the ``Content-Location`` tells the two apart for those who
care. ``?format=`` overrides Accept; an unknown IRI gets a 404 page.

The release is immutable while served, so each page or document is rendered once and then answered from a
bounded cache of whole responses (:class:`~cryokg.publish.web.middleware.ResponseCache`, keyed by path, query string
and negotiated format), with a strong ``ETag``; ``If-None-Match`` gets 304 Not Modified.

>>> # app = create_app(Settings(build_dir=Path("build")))  # then: uvicorn.run(app)
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import json
import logging
import urllib.parse
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from cryokg.errors import BadInput
from cryokg.publish.web.claim_form import ClaimRequest, RequestError, parse_claim_request
from cryokg.publish.web.data import ReleaseData, load_release_store, release_base, void_graph_iri
from cryokg.publish.web.fhir import fhir_routes
from cryokg.publish.web.middleware import CACHE_FLAG, BodyLimit, CorsGetOnly, RejectMalformed, ResponseCache, SecurityHeaders
from cryokg.publish.web.negotiation import MEDIA_TYPES, MediaType, by_extension, by_key, negotiate
from cryokg.publish.web.pages import local_href
from cryokg.publish.web.render import Example, Renderer
from cryokg.publish.web.search import FILTERS, MAX_QUERY
from cryokg.publish.web.sparql import ASK, GRAPH, SELECT, ProtocolError, choose_format, parse_sparql_request, service_description
from cryokg.publish.web.workers import DEFAULT_WORKER_MEMORY_MIB, QueryPool
from cryokg.release.void import dataset_iri

__all__ = ["Settings", "create_app"]

_log = logging.getLogger("cryokg.publish.web")
FILTER_KEYS = {"", "all", *(f.key for f in FILTERS)}
SUGGESTIONS = 10  # hits per suggestion request
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"


@dataclass
class Settings:
    """Configuration of the server; every limit has a safe default."""

    build_dir: Path = Path("build")
    base: str | None = None  # default: the release's own base IRI (manifest.json), else DEFAULT_BASE
    query_timeout: float = 10.0
    max_rows: int = 10_000
    max_body: int = 1_000_000
    workers: int = 2
    worker_memory: int = DEFAULT_WORKER_MEMORY_MIB  # MiB of address space per SPARQL worker (RLIMIT_AS)
    cache_entries: int = 4096  # pages and documents kept as sent (0: no response cache)
    cache_bytes: int = 64_000_000
    queries_dir: Path | None = None  # default: the project's ontology/queries when present


@functools.lru_cache(maxsize=512)
def _resource_format(accept: str | None) -> str | None:
    """The resource format an Accept value negotiates to (the response cache's key); memoised per value."""
    row = negotiate(accept, "resource")
    return row.key if row is not None else None


def _examples(folder: Path | None) -> list[Example]:
    """The catalogue's queries as the query page's examples; a catalogue folder that cannot be read leaves the
    page without examples (logged), not the server without a query page."""
    from cryokg.answer.catalogue import QUERIES_DIR, load_catalogue

    try:
        catalogue = load_catalogue(folder or QUERIES_DIR)
    except (BadInput, OSError) as exc:
        _log.warning("no catalogue queries for the query page: %s", exc)
        return []
    return [Example(q.name, q.title, q.description, q.text) for q in catalogue.values()]


def create_app(settings: Settings) -> Starlette:
    """The application for the release in ``settings.build_dir``; raises BadInput when there is none."""
    build_dir = Path(settings.build_dir)
    base = settings.base or release_base(build_dir)
    store = load_release_store(build_dir, base)
    data = ReleaseData(store, base=base)
    renderer = Renderer(data, build_dir, examples=_examples(settings.queries_dir))
    pool = QueryPool(build_dir, base, size=settings.workers, timeout=settings.query_timeout,
                     max_rows=settings.max_rows, memory_mib=settings.worker_memory)
    triples = len(store) - sum(1 for _ in store.quads_for_pattern(None, None, None, data.void_graph))

    def html(text: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
        return HTMLResponse(text, status_code=status, headers=headers)

    def error_page(status: int, message: str, headers: dict[str, str] | None = None) -> HTMLResponse:
        return html(renderer.error(status, message), status, headers)

    # --- resources --------------------------------------------------------------------------------------
    def describe(request: Request, iri: str, path: str, fixed: str | None = None) -> Response:
        vary = {"Vary": "Accept"}
        override = request.query_params.get("format") or fixed
        if override:
            row = by_key(override, "resource")
            if row is None:
                return error_page(400, f"Unknown format '{override[:40]}'. Use one of: "
                                  + ", ".join(r.key for r in MEDIA_TYPES if "resource" in r.kinds), vary)
        else:
            row = negotiate(request.headers.get("accept"), "resource")
            if row is None:
                return PlainTextResponse("406 Not Acceptable: this resource is available as "
                                         + ", ".join(r.media_type for r in MEDIA_TYPES if "resource" in r.kinds),
                                         status_code=406, headers=vary)
        headers = {**vary, "Content-Location": f"{path}.{row.extension}" if not path.endswith("/") else path,
                   "Link": ", ".join(f'<{path}.{r.extension}>; rel="alternate"; type="{r.media_type}"'
                                     for r in MEDIA_TYPES if "resource" in r.kinds)}
        request.scope[CACHE_FLAG] = True  # the bytes depend on path, query string and format only
        if row.key == "html":
            return html(rendered(iri, row.key), headers=headers)
        return Response(rendered(iri, row.key), media_type=row.content_type, headers=headers)

    @functools.lru_cache(maxsize=4096)
    def rendered(iri: str, key: str) -> str:
        """The page or document of *iri*: the release never changes while served, so render each once."""
        if key == "html":
            return renderer.resource(iri)
        return renderer.rdf(iri, next(r for r in MEDIA_TYPES if r.key == key))

    async def resource(request: Request) -> Response:
        raw = request.scope.get("raw_path") or request.url.path.encode()
        path = urllib.parse.unquote(raw.decode("latin-1").split("?", 1)[0])
        iri = base + path.lstrip("/")
        if data.exists(iri):
            return describe(request, iri, path)
        stem, dot, extension = path.rpartition(".")
        by_suffix = by_extension(extension) if dot else None
        if by_suffix is not None and data.exists(base + stem.lstrip("/")):
            return describe(request, base + stem.lstrip("/"), stem, fixed=by_suffix.key)
        return error_page(404, f"Nothing is described at {iri} in this release.", {"Vary": "Accept"})

    async def void(request: Request) -> Response:
        iri = str(dataset_iri(base))
        path = local_href(iri, base)
        return describe(request, iri, path) if path is not None else error_page(404, "no dataset")

    # --- pages --------------------------------------------------------------------------------------------
    async def home(request: Request) -> Response:
        return html(home_page())

    @functools.lru_cache(maxsize=1)
    def home_page() -> str:
        return renderer.home()

    async def search(request: Request) -> Response:
        text = request.query_params.get("q", "")[:MAX_QUERY]
        kind = request.query_params.get("type", "")[:40]
        if kind not in FILTER_KEYS:
            return html(renderer.search(text, kind, error=f"Unknown kind of thing '{kind}'. Use one of: "
                                        + ", ".join(sorted(FILTER_KEYS - {""}))), 400)
        return html(renderer.search(text, kind))

    async def suggestions(request: Request) -> Response:
        """Suggestions as you type: the best few hits as JSON (what cryokg.js shows under a search box)."""
        text = request.query_params.get("q", "")[:MAX_QUERY]
        kind = request.query_params.get("type", "")[:40]
        if kind not in FILTER_KEYS:
            return JSONResponse({"error": f"unknown type '{kind}'", "types": sorted(FILTER_KEYS - {""})}, 400)
        hits = renderer.hits(text, kind, limit=SUGGESTIONS)
        return JSONResponse({"query": text, "type": kind, "results": [
            {"label": h.label, "iri": h.iri, "href": h.href, "kind": h.kind, "type": h.type_label or h.kind_label,
             "code": h.code, "matched": h.matched, "how": h.how} for h in hits]})

    async def tree(request: Request) -> Response:
        request.scope[CACHE_FLAG] = True
        return html(tree_page())

    @functools.lru_cache(maxsize=1)
    def tree_page() -> str:
        return renderer.tree()

    async def suggest(request: Request) -> Response:
        params = request.query_params
        # A sentence of a note is read as the CLI reads it; the text is cut at 1000 characters (reading is
        # linear in its length), technique and approach are optional overrides as with --technique/--approach.
        site = params.get("site", "")[:1000].strip()
        technique = params.get("technique", "")[:100].strip()
        approach = params.get("approach", "")[:100].strip()
        answer, error, status = None, None, 200
        if site:
            try:
                from cryokg.answer.code_selection import SiteError
                from cryokg.answer.code_selection import suggest as run_suggest
                from cryokg.answer.store import OxigraphEngine

                result = await asyncio.to_thread(run_suggest, OxigraphEngine(store), site,
                                                 technique=technique or None, approach=approach or None)
                answer = result.to_json()
            except SiteError as exc:
                error, status = exc.to_json(), 422
            except BadInput as exc:
                error, status = {"message": str(exc), "did_you_mean": []}, 422
        if "application/json" in request.headers.get("accept", "") and "text/html" not in request.headers.get("accept", ""):
            return Response(json.dumps(answer or error or {}, ensure_ascii=False), status_code=status,
                            media_type="application/json")
        return html(renderer.suggest(site, technique, approach, answer, error), status)

    claim_slots = asyncio.Semaphore(max(1, settings.workers))

    @functools.lru_cache(maxsize=1)
    def claim_graph() -> Graph:
        """The validated release as an rdflib graph, for the claim check's SHACL shapes (loaded on first use)."""
        from cryokg.answer.claims import load_knowledge_graph

        return load_knowledge_graph(build_dir / "cryokg.ttl")

    def _claim_run(request_fields: ClaimRequest) -> dict:
        from cryokg.answer.claim import claim as run_claim

        return run_claim(request_fields.note, graph=claim_graph(), payer=request_fields.payer or None,
                         setting=request_fields.setting or None, dx=request_fields.dx).to_json()

    async def claim(request: Request) -> Response:
        # GET: the form. POST (a form or a JSON body, already capped by BodyLimit): the note's fields are checked
        # and bounded (claim_form) before the claim is computed in a thread, at most `workers` at once (else 503);
        # bad input is a 4xx with the reason. JSON is answered to a JSON body or an Accept that prefers it.
        accept = request.headers.get("accept", "")
        content_type = request.headers.get("content-type", "")
        wants_json = content_type.split(";")[0].strip().lower() == "application/json" or (
            "application/json" in accept and "text/html" not in accept)
        fields, answer, status = ClaimRequest(), None, 200
        error: str | None = None
        if request.method == "POST":
            try:
                fields = parse_claim_request(content_type, await request.body())
                if claim_slots.locked():
                    raise RequestError(503, "the server is busy with other claims; try again in a moment")
                async with claim_slots:
                    answer = await asyncio.to_thread(_claim_run, fields)
            except RequestError as exc:
                error, status = exc.message, exc.status
            except BadInput as exc:
                error, status = str(exc), 422
        headers = {"Retry-After": "2"} if status == 503 else None
        if wants_json:
            body = answer if answer is not None else {"error": error or "POST a note", "status": status}
            return Response(json.dumps(body, ensure_ascii=False), status_code=status if answer or error else 405,
                            media_type="application/json", headers=headers)
        return html(renderer.claim(fields.form(), answer, error), status, headers)

    async def release_file(request: Request) -> Response:
        name = request.path_params["name"]
        root = build_dir.resolve()
        target = (root / name).resolve()
        if root not in target.parents or not target.is_file():
            return error_page(404, f"No release file named {name[:100]}.")
        media = next((r.media_type for r in MEDIA_TYPES if target.suffix == "." + r.extension), None)
        from cryokg.release.void import MEDIA_TYPES as FILE_TYPES

        media = FILE_TYPES.get(target.suffix, media or "application/octet-stream")
        return FileResponse(target, media_type=media, content_disposition_type="inline")

    # --- SPARQL -------------------------------------------------------------------------------------------
    async def sparql(request: Request) -> Response:
        vary = {"Vary": "Accept"}
        try:
            body = await request.body() if request.method == "POST" else b""
            req = parse_sparql_request(request.method, request.url.query, request.headers.get("content-type"), body)
            accept = request.headers.get("accept")
            if req.query is None:
                return _no_query(request, accept, req.format)
            # The format for each kind of result, negotiated here (cheap); the worker finds the query's kind,
            # checks the text (linear lexer, then the parse) and evaluates: nothing here scans the query.
            rows: dict[str, MediaType] = {}
            refusals: dict[str, ProtocolError] = {}
            for kind in (SELECT, ASK, GRAPH):
                try:
                    rows[kind] = choose_format(accept, req.format, kind)
                except ProtocolError as exc:
                    refusals[kind] = exc
            if not rows:
                raise refusals[SELECT]
            formats: dict[str, str | None] = {kind: None for kind in (SELECT, ASK, GRAPH)}
            for kind, row in rows.items():
                formats[kind] = ("ntriples" if kind == GRAPH else "json") if row.key == "html" else row.key
            answer = await pool.run(req.query, formats)
            if answer.status == "unsupported":
                raise refusals.get(answer.kind) or ProtocolError(406, f"no acceptable format for a {answer.kind} result")
        except ProtocolError as exc:
            return _sparql_error(request, exc.status, exc.message, req_query(request))
        row = rows.get(answer.kind) or rows.get(SELECT) or next(iter(rows.values()))
        statuses = {"syntax": 400, "refused": 400, "too-many": 400, "crashed": 400, "too-expensive": 503,
                    "timeout": 504, "busy": 503, "error": 400}
        if answer.status != "ok":
            prefix = "SPARQL syntax error: " if answer.status == "syntax" else ""
            return _sparql_error(request, statuses.get(answer.status, 503), prefix + answer.message, req.query,
                                 row.key == "html")
        if row.key == "html":
            if answer.kind == GRAPH:
                from cryokg.rdf.parsing import parse_rdf

                triples = sorted({(str(s), str(p), str(o))
                                  for s, p, o in parse_rdf(answer.body, fmt="ntriples", name="CONSTRUCT result")})
                return html(renderer.sparql(req.query, triples=triples), headers=vary)
            result = ox.parse_query_results(answer.body, format=ox.QueryResultsFormat.JSON)
            return html(renderer.sparql(req.query, result=result), headers=vary)
        return Response(answer.body, media_type=row.content_type, headers=vary)

    def req_query(request: Request) -> str:
        return request.query_params.get("query", "")[:10_000]

    def _sparql_error(request: Request, status: int, message: str, query: str, as_html: bool | None = None) -> Response:
        wants_html = as_html if as_html is not None else (negotiate(request.headers.get("accept"), "select") or
                                                          MEDIA_TYPES[1]).key == "html"
        if wants_html and request.method == "GET":
            return html(renderer.sparql(query, error=message, status=status), status, {"Vary": "Accept"})
        return PlainTextResponse(message, status_code=status, headers={"Vary": "Accept"})

    def _no_query(request: Request, accept: str | None, override: str | None) -> Response:
        row = by_key(override, "resource") if override else negotiate(accept, "resource")
        if row is None:
            raise ProtocolError(406, "the service description is available as HTML or RDF")
        if row.key == "html":
            return html(renderer.sparql(""), headers={"Vary": "Accept"})
        endpoint = base + "sparql"  # as in void.ttl; never built from the Host header, which the client chooses
        graph = service_description(endpoint, triples=triples, named_graphs=[void_graph_iri(base)])
        from cryokg.release.writers import serialize

        prefixes = {**renderer.prefixes, "sd": "http://www.w3.org/ns/sparql-service-description#"}
        text = serialize(graph, row.rdf_format or "turtle", prefixes=prefixes)
        return Response(text, media_type=row.content_type, headers={"Vary": "Accept"})

    # --- errors and lifecycle ----------------------------------------------------------------------------
    async def http_error(request: Request, exc: Exception) -> Response:
        status = getattr(exc, "status_code", 500)
        detail = {404: "No such page.", 405: "This method is not allowed here."}.get(status, str(getattr(exc, "detail", "")))
        return error_page(status, detail, dict(getattr(exc, "headers", None) or {}))

    async def server_error(request: Request, exc: Exception) -> Response:
        _log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return PlainTextResponse("500 Internal Server Error: the error has been logged.", status_code=500)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await pool.start()
        # The browse model (every structure with its code, and the tree) is read by every resource page: made
        # here, before the first request, not by the first visitor (at 10 M triples it takes minutes).
        renderer.browse.tree  # noqa: B018 - a cached property, computed for its effect
        # Likewise the search index (every name, normalised, with its resource's kind): searches and suggestions
        # never build it, so the first visitor never waits for it and no request blocks the others meanwhile.
        renderer.index  # noqa: B018 - a cached property, computed for its effect
        home_page()  # and the home page (it counts every class's members: 2 s at 10 M triples)
        # Everything loaded so far (store, templates, rdflib) lives as long as the server: move it out of the
        # collector's reach, so full collections stay short and do not show up as latency spikes.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await pool.close()

    routes = [
        Route("/", home, methods=["GET"]),
        Route("/search", search, methods=["GET"]),
        Route("/search/suggestions", suggestions, methods=["GET"]),
        Route("/browse/", tree, methods=["GET"]),
        Route("/browse", lambda request: RedirectResponse("/browse/", status_code=301), methods=["GET"]),
        Route("/suggest", suggest, methods=["GET"]),
        Route("/claim", claim, methods=["GET", "POST"]),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Route("/.well-known/void", void, methods=["GET"]),
        Route("/release/", lambda request: RedirectResponse("/#downloads"), methods=["GET"]),
        Route("/release/{name:path}", release_file, methods=["GET"]),
        *fhir_routes(build_dir),  # /fhir: the FHIR R4 terminology API (cryokg.publish.web.fhir)
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
        Route("/{path:path}", resource, methods=["GET"]),
    ]
    middleware = [Middleware(CorsGetOnly), Middleware(SecurityHeaders), Middleware(BodyLimit, max_bytes=settings.max_body)]
    if settings.cache_entries > 0:  # what it keeps carries the inner middleware's headers, CORS's included (its
        # key tells requests with an Origin header from those without, the one thing CORS's answer depends on)
        middleware.insert(0, Middleware(ResponseCache, negotiate=_resource_format, max_entries=settings.cache_entries,
                                        max_bytes=settings.cache_bytes))
    middleware.insert(0, Middleware(RejectMalformed))  # outermost: nothing else sees such a request
    app = Starlette(routes=routes, lifespan=lifespan, middleware=middleware,
                    exception_handlers={HTTPException: http_error, Exception: server_error})
    app.state.settings, app.state.data, app.state.pool, app.state.base = settings, data, pool, base
    app.state.renderer = renderer
    return app
