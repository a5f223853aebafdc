"""linkinator (npm, pinned in package-lock.json) over site/: every href, src, srcset and CSS
url() of every page, and every #anchor against the ids of its target page."""

from __future__ import annotations

import json
import re
import subprocess
from html import unescape
from pathlib import Path
from urllib.parse import urljoin

from tools.paths import NODE_BIN, ROOT, SITE

LINKINATOR = NODE_BIN / "linkinator"
# linkinator serves site/ itself on localhost: anything else is another host.
EXTERNAL = r"^https?://(?!(localhost|127\.0\.0\.1)[:/])"
LINK = re.compile(r"""(?:href|src)=["']([^"']*)["']""")


def linkinator(*options: str, site: Path = SITE) -> list[dict]:
    """Crawl `site` from its home page; return every link linkinator checked."""
    if not LINKINATOR.is_file():
        raise FileNotFoundError(
            f"{LINKINATOR.relative_to(ROOT)} is missing: run `npm ci` at the repository root."
        )
    run = subprocess.run(
        [
            str(LINKINATOR),
            str(site),
            "--recurse",
            "--check-fragments",
            "--check-css",
            "--format",
            "json",
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    try:
        return json.loads(run.stdout)["links"]
    except (json.JSONDecodeError, KeyError):
        raise RuntimeError(f"linkinator failed:\n{run.stdout}\n{run.stderr}") from None


def pages_linking_to(url: str, site: Path = SITE) -> list[str]:
    """The pages whose HTML links to `url` (linkinator names one parent per URL, and not
    always the right one for an #anchor)."""
    target = urljoin("http://site/", url.removeprefix(str(site)).lstrip("/"))
    pages = []
    for page in sorted(site.rglob("*.html")):
        folder = page.relative_to(site).parent.as_posix().removeprefix(".")
        base = "http://site/" + (folder + "/" if folder else "")
        html = page.read_text(encoding="utf-8")
        resolved = (
            urljoin(base, unescape(ref)).replace("/index.html", "/") for ref in LINK.findall(html)
        )
        if target in resolved:
            pages.append(base.removeprefix("http://site"))
    return pages
