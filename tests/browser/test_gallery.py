"""Gallery pages show their figures (every image is loaded and has a size) and link their
notebook: Colab and a download whose first code cell makes it run outside a checkout."""

import pytest
import yaml

from tools.notebook_pages import colab_url, setup_cell
from tools.paths import MKDOCS_YML
from tools.site_server import site_pages

GALLERY = [path for path in site_pages() if path.startswith("gallery/")]
NOTEBOOKS = [path for path in GALLERY if path != "gallery/"]


def test_the_gallery_has_notebooks():
    assert NOTEBOOKS, "no gallery notebook page in site/sitemap.xml"


@pytest.mark.parametrize("path", GALLERY)
def test_gallery_images_are_rendered(path, page):
    page.goto(path)
    images = page.locator(".md-content img")
    count = images.count()
    if path in NOTEBOOKS:
        figures = page.locator(".md-content .jp-RenderedImage img").count()
        assert figures > 0, f"/{path}: the notebook shows no figure"
    else:
        assert count >= len(NOTEBOOKS), (
            f"/{path}: {count} thumbnails for {len(NOTEBOOKS)} notebooks"
        )
    broken = []
    for index in range(count):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        loaded = image.evaluate("img => img.decode().then(() => img.naturalWidth > 0, () => false)")
        if not loaded:
            broken.append(image.get_attribute("src")[:80])
    assert not broken, f"/{path}: images not rendered: {broken}"


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_notebook_pages_link_colab_and_a_notebook_that_runs_anywhere(path, page, base_url):
    stem = path.strip("/").rsplit("/", 1)[-1]
    page.goto(path)
    links = page.locator(".gallery-links a")
    hrefs = [links.nth(index).get_attribute("href") for index in range(links.count())]
    repo = yaml.safe_load(MKDOCS_YML.read_text())["repo_url"]
    assert colab_url(repo, stem) in hrefs, f"/{path}: no Colab link in {hrefs}"
    download = page.request.get(f"{base_url}gallery/{stem}.ipynb")
    assert download.ok, f"/gallery/{stem}.ipynb: HTTP {download.status}"
    cells = download.json()["cells"]
    code = [cell for cell in cells if cell["cell_type"] == "code"]
    assert "".join(code[0]["source"]) == setup_cell(repo), (
        f"/gallery/{stem}.ipynb: the first code cell is not the setup cell"
    )
