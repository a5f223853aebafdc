"""Browser tests of the built site: Debian's Chromium, driven by Playwright, on site/ served
on 127.0.0.1 (`nox -s browser-test`; the suite builds nothing, `nox -s docs` builds site/).

Every request a page makes is recorded; a request to any host other than the local server
is refused before it leaves the machine and fails the test that made it.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

from tools.paths import ARTIFACTS, CHROMIUM, ROOT, SITE
from tools.site_server import HOST, MISSING_SITE, serve

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VIEWPORT = {"width": 1280, "height": 800}


def pytest_configure(config):
    if not (SITE / "index.html").is_file():
        raise pytest.UsageError(MISSING_SITE)
    if not CHROMIUM.is_file():
        raise pytest.UsageError(
            f"no Chromium at {CHROMIUM}: install Debian's (apt-get install -y chromium) or "
            "point GUIDE_CHROMIUM at one. Never `playwright install`: it downloads a browser."
        )


@pytest.fixture(scope="session")
def base_url():
    with serve() as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    # Chromium sends every request for another host to this proxy: a port that is bound and
    # never listened on, so the connection is refused on this machine. Requests to the site's
    # host go direct. Routing each request through Playwright would do the same at 0.2 s a
    # page, and with the browser cache off.
    with socket.socket() as refusing, sync_playwright() as playwright:
        refusing.bind((HOST, 0))
        proxy = f"http://{HOST}:{refusing.getsockname()[1]}"
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            proxy={"server": proxy, "bypass": HOST},
        )
        yield browser
        browser.close()


@dataclass
class Recorder:
    """What the pages of one browser context requested, printed and threw."""

    base_url: str
    requests: list = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    @property
    def foreign(self) -> list[str]:
        """The requests for another host (each one refused by the browser's proxy)."""
        local = urlsplit(self.base_url).netloc
        return [
            request.url
            for request in self.requests
            if not request.url.startswith(("data:", "blob:"))
            and urlsplit(request.url).netloc != local
        ]

    def failed_responses(self) -> list[str]:
        failed = []
        for request in self.requests:
            response = request.response()
            if response is None:
                failed.append(f"{request.url} (no response: {request.failure})")
            elif response.status >= 400:
                failed.append(f"{request.url} (HTTP {response.status})")
        return failed

    def transferred(self) -> int:
        """Bytes received for every request so far: headers and (encoded) bodies."""
        total = 0
        for request in self.requests:
            if request.url.startswith("data:") or request.response() is None:
                continue
            sizes = request.sizes()
            total += sizes["responseHeadersSize"] + sizes["responseBodySize"]
        return total


@pytest.fixture
def new_context(browser, base_url):
    """Make a browser context whose every request is recorded."""
    contexts = []

    def make(color_scheme: str = "light", **options):
        context = browser.new_context(
            base_url=base_url, color_scheme=color_scheme, viewport=VIEWPORT, **options
        )
        recorder = Recorder(base_url)
        context.on("request", lambda request: recorder.requests.append(request))
        context.on(
            "console",
            lambda message: (
                recorder.console_errors.append(f"{message.text} ({message.location})")
                if message.type == "error"
                else None
            ),
        )
        context.on("weberror", lambda error: recorder.page_errors.append(str(error.error)))
        context.recorder = recorder
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


@pytest.fixture(scope="session")
def axe_source() -> Path:
    if not AXE.is_file():
        pytest.fail(
            f"{AXE.relative_to(ROOT)} is missing: run `npm ci` at the repository root "
            "(nox -s browser-test does)."
        )
    return AXE


@pytest.fixture(scope="session")
def artifacts() -> Path:
    path = ARTIFACTS / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
