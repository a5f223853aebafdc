"""Every page of the site loads as a reader gets it: HTTP 200, no console error, no request to
another host, no failed request, and a page weight within budget. Each page describes itself
to search engines with its own first paragraph."""

import html
import re

import pytest

from tools.paths import SITE
from tools.site_checks import text_of
from tools.site_server import site_pages

PAGES = site_pages()
KB = 1024
# Transferred on a cold load (nothing cached), gzip as GitHub Pages sends it, lazy figures
# included.
BUDGETS = {"topic": 400 * KB, "gallery": 1536 * KB}


def budget(path: str) -> int:
    return BUDGETS["gallery" if path.startswith("gallery/") else "topic"]


def test_the_sitemap_lists_the_pages():
    assert "" in PAGES, "the home page is not in site/sitemap.xml"
    assert "tensors/" in PAGES, "the Tensors page is not in site/sitemap.xml"


@pytest.mark.parametrize("path", PAGES, ids=lambda path: path or "home")
def test_page_loads_cleanly_offline_and_light(path, new_context):
    context = new_context()
    page = context.new_page()
    recorder = context.recorder
    response = page.goto(path)
    # A reader who reads to the end loads every lazy figure: count them all. Then wait until
    # nothing has been requested for 500 ms: the figures, and the search index that the
    # theme fetches after the load event.
    page.evaluate(
        "document.querySelectorAll('img[loading=lazy]').forEach(i => i.loading = 'eager')"
    )
    page.wait_for_load_state("networkidle")

    assert response.status == 200, f"/{path}: HTTP {response.status}"
    assert not recorder.foreign, f"/{path} requested other hosts: {recorder.foreign}"
    assert not recorder.failed_responses(), (
        f"/{path}: failed requests: {recorder.failed_responses()}"
    )
    errors = recorder.console_errors + recorder.page_errors
    assert not errors, f"/{path}: console errors: {errors}"
    weight = recorder.transferred()
    print(f"/{path}: {weight / KB:.0f} KB in {len(recorder.requests)} requests")
    assert weight <= budget(path), (
        f"/{path} transfers {weight / KB:.0f} KB, over its {budget(path) / KB:.0f} KB budget: "
        + ", ".join(
            f"{request.url} {request.sizes()['responseBodySize'] / KB:.0f} KB"
            for request in recorder.requests
            if request.response() is not None and not request.url.startswith("data:")
        )
    )


def test_a_request_for_another_host_is_refused_and_recorded(new_context):
    """The guard that test_page_loads_cleanly_offline_and_light relies on."""
    context = new_context()
    page = context.new_page()
    page.goto("")
    urls = ["https://example.com/beacon.js", "http://93.184.215.14/pixel.png"]
    for url in urls:
        outcome = page.evaluate(
            "url => fetch(url, {mode: 'no-cors'}).then(() => 'loaded', e => 'refused: ' + e)",
            url,
        )
        assert outcome.startswith("refused"), f"{url}: {outcome}"
    assert context.recorder.foreign == urls
    failures = {r.url: r.failure for r in context.recorder.requests if r.url in urls}
    # refused by the browser's dead-end proxy, not by a missing network
    assert failures == dict.fromkeys(urls, "net::ERR_PROXY_CONNECTION_FAILED")


def test_a_missing_page_gets_the_sites_404_page(new_context):
    """GitHub Pages answers a missing path with 404.html: it must look like the site (its
    assets load from site_url's path) and lead back into it."""
    context = new_context()
    page = context.new_page()
    response = page.goto("no-such-page/")
    page.wait_for_load_state("networkidle")
    assert response.status == 404
    assert page.locator("h1").inner_text() == "404 - Not found"
    recorder = context.recorder
    failed = [f for f in recorder.failed_responses() if "/no-such-page/" not in f]
    assert not failed, f"the 404 page: failed requests: {failed}"
    errors = [e for e in recorder.console_errors if "/no-such-page/" not in e]
    assert not errors + recorder.page_errors, f"the 404 page: console errors: {errors}"
    page.get_by_role("link", name="Tensors", exact=True).first.click()
    page.wait_for_url("**/tensors/")
    assert page.locator("h1").first.inner_text().startswith("Tensors")


def test_each_page_has_its_own_description_from_its_first_paragraph():
    """What a search engine shows under the page's title, and a shared link's preview: the
    start of the paragraph after the page's heading (tools/mkdocs_hooks.py, description), not
    one line for the whole site."""
    described = {}
    for path in PAGES:
        page = (SITE / path / "index.html").read_text(encoding="utf-8")
        meta = re.search(r'<meta name="description" content="([^"]*)"', page)
        assert meta, f"/{path}: no description"
        after_heading = page[page.index("<h1") :]
        first = re.search(r"<p>(.*?)</p>", after_heading, re.DOTALL)
        text = " ".join(text_of(first[1]).split())
        description = html.unescape(meta[1])
        assert text.startswith(description.removesuffix("\u2026")), (
            f"/{path}: description {description!r} is not the start of {text[:200]!r}"
        )
        assert 40 <= len(description) <= 160, f"/{path}: description {description!r}"
        # A shared link previews as the page (docs/overrides/main.html): its title and this.
        title = html.unescape(re.search(r"<title>(.*?)</title>", page)[1])
        preview = {
            name: html.unescape(value)
            for name, value in re.findall(r'<meta property="og:(\w+)" content="([^"]*)"', page)
        }
        assert (preview.get("title"), preview.get("description")) == (title, description), (
            f"/{path}: link preview {preview}"
        )
        described.setdefault(description, []).append(path)
    shared = {text: paths for text, paths in described.items() if len(paths) > 1}
    assert not shared, f"pages that share a description: {shared}"
