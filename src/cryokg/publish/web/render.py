"""Rendering shared by the server and the static export: HTML pages (Jinja2) and RDF documents.

One :class:`Renderer` holds the release data and the template environment; ``cryokg serve`` calls it per
request and ``cryokg site`` once per resource and format, so both publish the same bytes.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
from jinja2 import Environment, PackageLoader, select_autoescape
from rdflib.namespace import SKOS

from cryokg.namespaces import prefixes_for
from cryokg.publish.web.browse import Browse
from cryokg.publish.web.data import ReleaseData
from cryokg.publish.web.negotiation import MediaType, offers
from cryokg.publish.web.pages import build_page, jsonld_script, link_href, local_href, schema_jsonld
from cryokg.publish.web.search import FILTERS, MAX_QUERY, Hit, SearchIndex
from cryokg.release.void import dataset_iri
from cryokg.release.writers import serialize
from cryokg.version import __version__

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
HOME_CODES = 200
"""Codes the home page lists in each of its two lists (the family's, the related ones), in notation order: the
real release has a handful; a synthetic 10 M-triple one has 41 k, a page nobody reads. Past it the page says how
many there are and links to the class page, which lists them all."""
HOME_FOLDER_FILES = 50
"""A release folder with more files than this is one line of the home page's downloads (its count and size):
a 10 M-triple release has 41 k FHIR value sets under ``exports/fhir/``."""

__all__ = ["DEFAULT_QUERY", "Example", "Renderer", "release_files"]

DEFAULT_QUERY = """PREFIX cryo: <https://w3id.org/cryokg/def/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>

# Every procedure code with its notation and label
SELECT ?code ?notation ?label WHERE {
  ?code a cryo:ProcedureCode ; skos:notation ?notation .
  OPTIONAL { ?code skos:prefLabel ?label }
}
ORDER BY ?notation
"""


@dataclass
class Example:
    """A catalogue query shown on the query page."""

    name: str
    title: str
    description: str
    text: str


@dataclass
class Renderer:
    """Pages and documents of one release."""

    data: ReleaseData
    build_dir: Path
    static: bool = False  # True for the static export: no search, suggest or SPARQL forms
    examples: list[Example] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.env = Environment(loader=PackageLoader("cryokg.publish", "templates"),
                               autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
        self.env.globals.update(version=__version__, static=self.static, base=self.data.base,
                                browse_href="/browse/")
        self.prefixes = prefixes_for(self.data.base)
        self.browse = Browse(self.data)

    @functools.cached_property
    def index(self) -> SearchIndex:
        """The search index: ``cryokg serve`` builds it at start-up (its lifespan); the static export, which has
        no search, never does."""
        return SearchIndex(self.data)

    # --- RDF ------------------------------------------------------------------------------------------
    def rdf(self, iri: str, row: MediaType) -> str:
        """The RDF document of *iri* in the format of *row* (see :mod:`cryokg.publish.web.data` for what it holds)."""
        return serialize(self.data.description(iri), row.rdf_format or "", prefixes=self.prefixes)

    # --- HTML -----------------------------------------------------------------------------------------
    def _render(self, template: str, **context: object) -> str:
        return self.env.get_template(template).render(**context)

    def resource(self, iri: str) -> str:
        diagrams = self.build_dir / "diagrams"
        page = build_page(self.data, iri, diagrams=diagrams)
        structure = self.browse.structures.get(iri)
        table = self.browse.class_table(iri) if "http://www.w3.org/2002/07/owl#Class" in self.data.types(iri) else None
        if table is not None:  # the members table replaces the flat list of "type" links
            page.incoming = [r for r in page.incoming if r.predicate.iri != RDF_TYPE]
        tree_anchor = None
        if structure is not None:
            sections = {section.key for section in self.browse.tree}
            tops = [t for t in self.browse.top_order if t in structure.tops]
            keys = [f"region-{self.browse.slug(t)}" for t in tops]
            keys += [f"kind-{self.browse.slug(structure.kind)}"] if structure.kind else []
            keys += ["groups"] if structure.group else []
            tree_anchor = next((k for k in keys if k in sections), None)
        return self._render("resource.html", page=page, title=page.label, structure=structure,
                            tree_anchor=tree_anchor, comparison=self.browse.comparison(iri), table=table,
                            techniques=sorted(self.data.label(t) or t for t in self.browse.techniques))

    def tree(self) -> str:
        """The browse page: the hierarchy of structures with their codes."""
        return self._render("browse.html", title="Browse the structures and their codes", sections=self.browse.tree,
                            family=self.browse.family, techniques=sorted(self.data.label(t) or t
                                                                         for t in self.browse.techniques),
                            notation=self.browse.notation, label=self.browse.label, href=self.browse.href)

    def home(self) -> str:
        """The home page: the code family, the related codes, the classes with their sizes, the downloads.

        Read in a few whole-store queries, and labels only for what is listed: the first version asked the store
        per code and per class and took 78 s on a 10 M-triple release (41 k codes, 1.2 M typed resources), on
        the server's event loop. Each list of codes stops at :data:`HOME_CODES` (the class page lists them all).
        """
        dataset = str(dataset_iri(self.data.base))
        ds: dict[str, object] = schema_jsonld(self.data, dataset) if self.data.exists(dataset) else {"name": "cryokg"}
        code_class = self.data.base + "def/ProcedureCode"
        notations: dict[str, list[str]] = {}
        family: set[str] = set()
        for code, notation, broader in self.data.rows(f"""SELECT ?code ?notation ?broader WHERE {{
                ?code a <{code_class}> FILTER(isIRI(?code))
                OPTIONAL {{ ?code <{SKOS.notation}> ?notation }} OPTIONAL {{ ?code <{SKOS.broader}> ?broader }} }}"""):
            assert code is not None  # bound by the pattern
            notations.setdefault(code, []).extend([notation] if notation is not None else [])
            if broader is not None:
                family.add(code)
        ordered = sorted(((code not in family, min(values, default=""), code) for code, values in notations.items()))
        lists: dict[bool, list[dict[str, object]]] = {True: [], False: []}
        counts = {True: 0, False: 0}
        for outside, notation, code in ordered:
            counts[not outside] += 1
            if len(lists[not outside]) < HOME_CODES:
                lists[not outside].append({"href": local_href(code, self.data.base), "notation": notation,
                                           "label": self.data.label(code) or code, "family": not outside})
        sizes = {row[0]: int(row[1] or 0) for row in self.data.rows(
            "SELECT ?class (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?class FILTER(isIRI(?s)) } GROUP BY ?class")}
        classes: list[dict[str, str | int | None]] = []
        for iri in self.data.instances("http://www.w3.org/2002/07/owl#Class"):
            count = sizes.get(iri, 0)
            if count and iri.startswith(self.data.base):
                classes.append({"href": local_href(iri, self.data.base), "label": self.data.label(iri) or iri,
                                "count": count})
        classes.sort(key=lambda c: str(c["label"]).lower())
        return self._render("home.html", title=str(ds.get("name", "cryokg")), dataset=ds,
                            dataset_href=local_href(dataset, self.data.base), codes=lists[True] + lists[False],
                            family_count=counts[True], related_count=counts[False],
                            code_class_href=local_href(code_class, self.data.base), classes=classes,
                            files=release_files(self.build_dir), jsonld=jsonld_script(ds) if "@type" in ds else None,
                            formats=offers("resource"))

    def hits(self, text: str, kind: str = "", limit: int = 50) -> list[Hit]:
        """Ranked search hits with their links and, for structures, their codes (KeyError: unknown *kind*)."""
        hits = self.index.search(text, kind=kind, limit=limit) if text.strip() else []
        for hit in hits:
            hit.href = link_href(hit.iri, self.data.base)
            structure = self.browse.structures.get(hit.iri)
            hit.code = structure.answer.text if structure else (self.data.notation(hit.iri) or "")
        return hits

    def search(self, text: str, kind: str = "", *, error: str | None = None) -> str:
        hits = self.hits(text, kind) if error is None else []
        return self._render("search.html", title=f"Search: {text}" if text else "Search", q=text, kind=kind,
                            hits=hits, filters=FILTERS, error=error, max_query=MAX_QUERY)

    def suggest(self, site: str, technique: str, approach: str, answer: dict | None, error: dict | None) -> str:
        return self._render("suggest.html", title="Which code?", site=site, technique=technique, approach=approach,
                            answer=answer, error=error, code_href=self._code_href,
                            external_href=lambda iri: link_href(str(iri), self.data.base),
                            source_title=lambda answers, url: next(
                                (a["source_titles"][url] for a in answers if url in a.get("source_titles", {})), None))

    def claim(self, form: dict, answer: dict | None, error: str | None) -> str:
        """The claim page: the form (filled in again), and the lines and findings of *answer* with their sources."""
        urls: list[str] = []
        if answer is not None:
            urls = sorted(set(answer["source_titles"]) | {s for line in answer["lines"] for s in line["sources"]}
                          | {s for f in answer["findings"] for s in f["sources"]})
        return self._render("claim.html", title="Claim lines for a note", form=form, answer=answer, error=error,
                            urls=urls, number={u: i for i, u in enumerate(urls, start=1)}, code_href=self._code_href,
                            external_href=lambda iri: link_href(str(iri), self.data.base),
                            local_href=lambda iri: local_href(str(iri), self.data.base))

    def _code_href(self, notation: str) -> str | None:
        for iri in self.data.instances(self.data.base + "def/ProcedureCode"):
            if any(p == SKOS.notation and str(o) == notation for p, o in self.data.outgoing(iri)):
                return local_href(iri, self.data.base)
        return None

    def sparql(self, query: str, *, result: ox.QuerySolutions | ox.QueryBoolean | None = None,
               triples: list | None = None, error: str | None = None, status: int = 200) -> str:
        """The query page; *result* is a SELECT or ASK answer as pyoxigraph reads the worker's JSON results
        (``ox.parse_query_results``): the page never reads the results format itself."""
        table = None
        if isinstance(result, ox.QuerySolutions):
            variables = [v.value for v in result.variables]
            table = {"vars": variables, "rows": [[self._cell(row[v]) for v in variables] for row in result]}
        boolean = bool(result) if isinstance(result, ox.QueryBoolean) else None
        return self._render("sparql.html", title="SPARQL query", query=query, default_query=DEFAULT_QUERY,
                            table=table, boolean=boolean,
                            triples=triples, error=error, examples=self.examples, status=status)

    def _cell(self, term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> dict | None:
        if term is None:
            return None
        if isinstance(term, ox.NamedNode):
            local = local_href(term.value, self.data.base)
            return {"href": local or link_href(term.value, self.data.base),
                    "text": self.data.label(term.value) if local else term.value, "iri": term.value}
        if isinstance(term, ox.Triple):
            return {"text": str(term)}
        if isinstance(term, ox.Literal):
            return {"text": term.value, "lang": term.language}
        return {"text": term.value}

    def error(self, status: int, message: str) -> str:
        return self._render("error.html", title=f"{status}", status=status, message=message)


def release_files(build_dir: Path) -> list[dict[str, object]]:
    """The downloadable files of the release (relative names, sizes), as listed in ``manifest.json``; a folder
    of more than :data:`HOME_FOLDER_FILES` files is one entry (``name`` ends in ``/``, ``files`` counts them)."""
    manifest = build_dir / "manifest.json"
    names: list[str] = []
    if manifest.is_file():
        try:
            names = sorted(json.loads(manifest.read_text(encoding="utf-8")).get("files", {}))
        except (ValueError, OSError):
            names = []
        names.append("manifest.json")
    if not names:
        names = sorted(p.relative_to(build_dir).as_posix() for p in build_dir.rglob("*") if p.is_file())
    by_folder: dict[str, list[str]] = {}
    for name in sorted(set(names)):
        by_folder.setdefault(name.rsplit("/", 1)[0] + "/" if "/" in name else "", []).append(name)
    entries: list[dict[str, object]] = []
    for folder, members in by_folder.items():
        if folder and len(members) > HOME_FOLDER_FILES:
            sizes = [path.stat().st_size for n in members if (path := build_dir / n).is_file()]
            entries.append({"name": folder, "bytes": sum(sizes), "files": len(sizes)})
        else:
            entries += [{"name": n, "bytes": (build_dir / n).stat().st_size} for n in members
                        if (build_dir / n).is_file()]
    return sorted(entries, key=lambda e: str(e["name"]))
