"""``cryokg site``: one file per resource and format, the same documents as the server, and rewrite rules
that really negotiate (nginx is run on a loopback port when it is installed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF
from tests.listener import wait_for_http
from tests.stores import free_port

from cryokg.cli import main
from cryokg.namespaces import CRYO, DEFAULT_BASE
from cryokg.publish.web.negotiation import offers

ROWS = offers("resource")


@pytest.fixture(scope="module")
def site(release_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "public"
    assert main(["site", "--build", str(release_dir), "--out", str(out), "--quiet"]) == 0
    return out


def test_one_file_per_resource_and_format(site: Path, release_graph: Graph) -> None:
    ours = {str(s) for s in release_graph.subjects() if str(s).startswith(DEFAULT_BASE)}
    assert ours
    for iri in ours:
        stem = iri[len(DEFAULT_BASE):]
        stem = stem + "index" if stem.endswith("/") else stem
        for row in ROWS:
            assert (site / f"{stem}.{row.extension}").is_file(), f"{stem}.{row.extension}"


def test_static_documents_equal_the_servers(site: Path, client, release_graph: Graph) -> None:
    nerve = str(sorted(release_graph.subjects(RDF.type, CRYO.Nerve))[0])
    path = nerve[len(DEFAULT_BASE):]
    for row in ROWS:
        served = client.get("/" + path, headers={"Accept": row.media_type})
        assert (site / f"{path}.{row.extension}").read_text(encoding="utf-8") == served.text or row.key == "html"
    turtle = Graph().parse(site / f"{path}.ttl", format="turtle")
    assert set(turtle.triples((URIRef(nerve), None, None))) == set(release_graph.triples((URIRef(nerve), None, None)))


def test_static_pages_have_no_server_forms(site: Path) -> None:
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'action="/sparql"' not in home and 'action="/suggest"' not in home
    assert (site / "404.html").is_file() and (site / "static" / "cryokg.css").is_file()
    assert (site / "release" / "cryokg.nt").is_file()


def test_static_site_has_the_browsing_pages(site: Path, client) -> None:
    """The tree, the class tables and the code pages are static pages too, linked as on the server; the
    search box (which needs the server) is not there, the script for the copy buttons is."""
    tree = (site / "browse" / "index.html").read_text(encoding="utf-8")
    served = client.get("/browse/").text
    assert 'action="/search"' in served and 'action="/search"' not in tree
    for marker in ('id="region-upper-limb"', 'id="groups"', "<details open>", 'class="code disputed"'):
        assert marker in tree and marker in served, marker
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="/browse/"' in home
    nerves = (site / "def" / "Nerve.html").read_text(encoding="utf-8")
    assert '<table class="members">' in nerves and "0440T" in nerves
    code = (site / "id" / "code" / "0440T.html").read_text(encoding="utf-8")
    assert 'id="siblings-h"' in code and "/release/diagrams/code-0440T.svg" in code
    assert (site / "release" / "diagrams" / "code-0440T.svg").is_file()
    assert (site / "static" / "cryokg.js").is_file() and '<script src="/static/cryokg.js" defer>' in code


def test_rules_are_written(site: Path) -> None:
    htaccess = (site / ".htaccess").read_text(encoding="utf-8")
    assert "AddHandler type-map .var" in htaccess and "Vary Accept" in htaccess
    assert (site / "id" / "code" / "0440T.var").read_text().count("Content-Type:") == len(ROWS)
    assert "map $http_accept" in (site / "nginx" / "cryokg-http.conf").read_text(encoding="utf-8")


def test_refuses_a_non_empty_folder(release_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("x")
    assert main(["site", "--build", str(release_dir), "--out", str(tmp_path)]) == 2




@pytest.fixture(scope="module")
def nginx(site: Path, tmp_path_factory: pytest.TempPathFactory):
    binary = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if binary is None:
        pytest.skip("nginx is not installed (Debian: apt-get install nginx-light)")
    prefix = tmp_path_factory.mktemp("nginx")
    port = free_port()
    temp_paths = " ".join(f"{name}_temp_path {prefix}/{name};" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # As root, nginx's workers would drop to "nobody", who cannot read pytest's private temporary folders.
    user = "user root;" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(f"""
{user}
daemon off; worker_processes 1; pid {prefix}/nginx.pid; error_log {prefix}/error.log;
events {{ worker_connections 32; }}
http {{
  access_log off; {temp_paths}
  include {site}/nginx/cryokg-http.conf;
  server {{ listen 127.0.0.1:{port}; root {site}; include {site}/nginx/cryokg-server.conf; }}
}}
""")
    process = subprocess.Popen([binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    wait_for_http(process, url, what="nginx")
    yield url
    process.terminate()
    process.wait(10)


def _get(url: str, accept: str | None = None) -> tuple[int, str, str, str]:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return (response.status, response.headers.get_content_type(), response.headers.get("Vary", ""),
                    response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get_content_type(), exc.headers.get("Vary", ""), exc.read().decode("utf-8")


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.key)
def test_nginx_negotiates_each_media_type(nginx: str, site: Path, row) -> None:
    status, media, vary, body = _get(nginx + "/id/code/0440T", row.media_type)
    assert (status, media) == (200, row.media_type)
    assert "Accept" in vary
    assert body == (site / f"id/code/0440T.{row.extension}").read_text(encoding="utf-8")


@pytest.mark.parametrize(("accept", "expected"), [
    (None, "text/html"),
    ("*/*", "text/html"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
    ("text/turtle;q=0, application/rdf+xml", "application/rdf+xml"),
    ("image/png, application/ld+json;q=0.5", "application/ld+json"),
])
def test_nginx_accept_headers(nginx: str, accept: str | None, expected: str) -> None:
    assert _get(nginx + "/id/code/0440T", accept)[:2] == (200, expected)


def test_nginx_format_override_void_and_404(nginx: str) -> None:
    assert _get(nginx + "/id/code/0440T?format=ttl", "text/html")[1] == "text/turtle"
    status, media, _, body = _get(nginx + "/.well-known/void", "text/turtle")
    assert (status, media) == (200, "text/turtle")
    assert URIRef(DEFAULT_BASE + "id/dataset/cryokg") in set(Graph().parse(data=body, format="turtle").subjects())
    assert _get(nginx + "/def", "text/html")[:2] == (200, "text/html")
    status, media, _, body = _get(nginx + "/browse/", "text/html")
    assert (status, media) == (200, "text/html") and 'id="region-upper-limb"' in body
    assert _get(nginx + "/id/code/no-such-code")[0] == 404
    assert _get(nginx + "/release/cryokg.nt")[:2] == (200, "application/n-triples")


APACHE_MODULES = ("mpm_event", "authz_core", "mime", "negotiation", "rewrite", "headers", "dir")


@pytest.fixture(scope="module")
def apache(site: Path):
    """Apache httpd on a loopback port serving a world-readable copy of the site with its .htaccess."""
    binary = shutil.which("apache2") or ("/usr/sbin/apache2" if Path("/usr/sbin/apache2").exists() else None)
    modules = Path("/usr/lib/apache2/modules")
    if binary is None or not all((modules / f"mod_{m}.so").exists() for m in APACHE_MODULES):
        pytest.skip("Apache httpd is not installed (Debian: apt-get install apache2)")
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="cryokg-apache-"))  # Apache's workers run unprivileged: 0755 copy
    try:
        docroot = root / "site"
        shutil.copytree(site, docroot)
        for path in [root, *root.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        port = free_port()
        loads = "\n".join(f"LoadModule {m}_module {modules}/mod_{m}.so" for m in APACHE_MODULES)
        user = "User nobody\nGroup nogroup" if os.geteuid() == 0 else ""
        (root / "httpd.conf").write_text(f"""ServerRoot {root}
PidFile {root}/httpd.pid
ErrorLog {root}/error.log
Listen 127.0.0.1:{port}
ServerName localhost
{user}
{loads}
TypesConfig /etc/mime.types
DocumentRoot {docroot}
<Directory {docroot}>
  AllowOverride All
  Require all granted
</Directory>
""")
        process = subprocess.Popen([binary, "-f", str(root / "httpd.conf"), "-DFOREGROUND"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        url = f"http://127.0.0.1:{port}"
        wait_for_http(process, url, what="apache2")
        yield url
        process.terminate()
        process.wait(10)
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize(("accept", "expected"), [
    *[(row.media_type, row.media_type) for row in ROWS],
    (None, "text/html"),
    ("*/*", "text/html"),
    ("text/turtle;q=0.5, application/rdf+xml", "application/rdf+xml"),  # real q-values with type maps
    ("application/ld+json;q=0.2, text/turtle;q=0.9", "text/turtle"),
])
def test_apache_negotiates(apache: str, accept: str | None, expected: str) -> None:
    status, media, vary, _ = _get(apache + "/id/code/0440T", accept)
    assert (status, media) == (200, expected)
    assert "accept" in vary.lower()


def test_apache_406_format_void_and_folders(apache: str) -> None:
    assert _get(apache + "/id/code/0440T", "image/png")[0] == 406
    assert _get(apache + "/id/code/0440T?format=nt", "text/html")[1] == "application/n-triples"
    assert _get(apache + "/.well-known/void", "text/turtle")[:2] == (200, "text/turtle")
    assert _get(apache + "/id/dataset/cryokg", "text/turtle")[:2] == (200, "text/turtle")  # also a folder
    assert _get(apache + "/def", "application/rdf+xml")[:2] == (200, "application/rdf+xml")
    status, media, _, body = _get(apache + "/browse/", "text/html")
    assert (status, media) == (200, "text/html") and 'id="region-upper-limb"' in body
    assert _get(apache + "/id/code/no-such-code")[0] == 404


def test_every_static_document_parses_back(site: Path) -> None:
    """Every RDF document of the export (all resources, four syntaxes) parses back."""
    import pyoxigraph as ox

    formats = {"ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD,
               "rdf": ox.RdfFormat.RDF_XML}
    failures = []
    for extension, fmt in formats.items():
        for path in sorted(site.glob(f"id/**/*.{extension}")) + sorted(site.glob(f"def*.{extension}")):
            try:
                list(ox.parse(path=str(path), format=fmt))
            except SyntaxError as exc:
                failures.append(f"{path.relative_to(site)}: {exc}")
    assert not failures, "documents that do not parse:\n" + "\n".join(failures[:20])
