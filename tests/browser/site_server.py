"""Serve the built site on 127.0.0.1 as GitHub Pages serves it: text compressed with gzip.

Used by the browser tests (a fixture) and by `nox -s lighthouse`; page weights are measured
on what this server sends, so they are what a reader's browser downloads.
"""

from __future__ import annotations

import functools
import gzip
import http.server
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar

ROOT = Path(__file__).resolve().parents[2]
# The built site: site/, or another build folder named by GUIDE_SITE_DIR.
SITE = Path(os.environ.get("GUIDE_SITE_DIR") or ROOT / "site")
COMPRESSED_TYPES = (
    "text/",
    "application/javascript",
    "application/json",
    "application/xml",
    "image/svg+xml",
)
MISSING_SITE = (
    f"{SITE} has no index.html: build the site first with `nox -s docs`, then run this again "
    "(the browser checks test the built site; they build nothing)."
)


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files of site/, gzip-encoded when the type is text and the client accepts it."""

    _gzipped: ClassVar[dict[Path, bytes]] = {}

    def log_message(self, format, *args):
        pass  # a quiet test run; failures name their URLs

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir() and self.path.split("?")[0].endswith("/"):
            path = path / "index.html"
        content_type = self.guess_type(str(path))
        if (
            not path.is_file()
            or "gzip" not in self.headers.get("Accept-Encoding", "")
            or not content_type.startswith(COMPRESSED_TYPES)
        ):
            return super().do_GET()
        body = self._gzipped.get(path)
        if body is None:
            body = self._gzipped[path] = gzip.compress(path.read_bytes(), mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def serve(site: Path = SITE):
    """Serve `site` on a free port of 127.0.0.1; yield the base URL (ending with '/')."""
    if not (site / "index.html").is_file():
        raise FileNotFoundError(MISSING_SITE)
    SiteHandler._gzipped = {}
    handler = functools.partial(SiteHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def site_pages(site: Path = SITE) -> list[str]:
    """Every page of the built site, as paths relative to its root ("" is the home page),
    read from sitemap.xml (which lists every page, in the navigation or not)."""
    import xml.etree.ElementTree as ET

    namespace = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locations = [
        loc.text.strip()
        for loc in ET.parse(site / "sitemap.xml").getroot().findall("sm:url/sm:loc", namespace)
    ]
    home = min(locations, key=len)  # site_url: the other pages are below it
    return sorted(loc.removeprefix(home) for loc in locations)
