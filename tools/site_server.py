"""Serve the built site on 127.0.0.1 as GitHub Pages serves it: below the path of site_url,
text compressed with gzip, 404.html for a missing page.

Used by the browser tests (a fixture) and by `nox -s lighthouse`; page weights are measured
on what this server sends, so they are what a reader's browser downloads.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from tools.paths import SITE

COMPRESSED_TYPES = (
    "text/",
    "application/javascript",
    "application/json",
    "application/xml",
    "image/svg+xml",
)
HOST = "127.0.0.1"
MISSING_SITE = (
    f"{SITE} has no index.html: build the site first with `nox -s docs`, then run this again "
    "(the browser checks test the built site; they build nothing)."
)


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files of site/ below the path of site_url (as GitHub Pages serves a project
    site), gzip-encoded when the type is text and the client accepts it; 404.html, with status
    404, for anything else."""

    _gzipped: ClassVar[dict[Path, bytes]] = {}
    prefix: ClassVar[str] = "/"

    def log_message(self, format, *args):
        pass  # a quiet test run; failures name their URLs

    def do_GET(self):
        url_path, _, query = self.path.partition("?")
        if not url_path.startswith(self.prefix):
            return self.send_file(Path(self.directory) / "404.html", status=404)
        path = Path(self.translate_path("/" + url_path.removeprefix(self.prefix)))
        if path.is_dir() and not url_path.endswith("/"):
            self.send_response(301)
            self.send_header("Location", url_path + "/" + ("?" + query if query else ""))
            self.end_headers()
            return None
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            return self.send_file(Path(self.directory) / "404.html", status=404)
        return self.send_file(path)

    def send_file(self, path: Path, status: int = 200) -> None:
        content_type = self.guess_type(str(path))
        compress = "gzip" in self.headers.get("Accept-Encoding", "") and content_type.startswith(
            COMPRESSED_TYPES
        )
        if compress:
            body = self._gzipped.get(path)
            if body is None:
                body = self._gzipped[path] = gzip.compress(path.read_bytes(), mtime=0)
        else:
            body = path.read_bytes()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if compress:
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def serve(site: Path = SITE):
    """Serve `site` on a free port of HOST; yield the base URL of its home page."""
    if not (site / "index.html").is_file():
        raise FileNotFoundError(MISSING_SITE)
    SiteHandler._gzipped = {}
    SiteHandler.prefix = urlsplit(site_home(site)).path  # site_url's path, e.g. /project/
    handler = functools.partial(SiteHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer((HOST, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_port}{SiteHandler.prefix}"
    finally:
        server.shutdown()
        server.server_close()


def sitemap(site: Path = SITE) -> list[str]:
    import xml.etree.ElementTree as ET

    namespace = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    return [
        loc.text.strip()
        for loc in ET.parse(site / "sitemap.xml").getroot().findall("sm:url/sm:loc", namespace)
    ]


def site_home(site: Path = SITE) -> str:
    """The site_url the site was built for: its home page, above every other page."""
    return min(sitemap(site), key=len)


def site_pages(site: Path = SITE) -> list[str]:
    """Every page of the built site, as paths relative to its root ("" is the home page),
    read from sitemap.xml (which lists every page, in the navigation or not)."""
    home = site_home(site)
    return sorted(loc.removeprefix(home) for loc in sitemap(site))
