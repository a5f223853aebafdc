"""Gallery pages show their figures (every image is loaded, has a size and the alt text of the
cell that draws it), not their setup cell, and link their notebook: Colab, and downloads of
the executed notebook, whose first code cell makes it run outside a checkout, and of its
script. The gallery index links each notebook."""

from pathlib import Path
from urllib.parse import urljoin

import jupytext
import pytest
import yaml

from tools.notebook_pages import colab_url, setup_cell
from tools.paths import GALLERY as GALLERY_SOURCES
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
        figures = page.locator(".md-content .jp-RenderedImage img")
        assert figures.count() > 0, f"/{path}: the notebook shows no figure"
        # Each figure says what it shows, in the words of the cell that draws it.
        script = GALLERY_SOURCES / f"{path.strip('/').rsplit('/', 1)[-1]}.py"
        cells = jupytext.read(script).cells
        written = [cell.metadata["alt"] for cell in cells if "alt" in cell.metadata]
        shown = [figures.nth(i).get_attribute("alt") for i in range(figures.count())]
        assert shown == written, f"/{path}: figures' alt texts {shown}, {script} gives {written}"
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


def first_code_cell(response) -> str:
    cells = response.json()["cells"]
    return "".join(next(cell for cell in cells if cell["cell_type"] == "code")["source"])


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_notebook_pages_link_colab_and_a_notebook_that_runs_anywhere(path, page, base_url):
    stem = path.strip("/").rsplit("/", 1)[-1]
    page.goto(path)
    links = page.locator(".gallery-links a")
    hrefs = [links.nth(index).get_attribute("href") for index in range(links.count())]
    repo = yaml.safe_load(MKDOCS_YML.read_text())["repo_url"]
    colab = colab_url(repo, stem)
    assert colab in hrefs, f"/{path}: no Colab link in {hrefs}"
    downloads = {
        href.rsplit("/", 1)[-1]: urljoin(page.url, href) for href in hrefs if href != colab
    }
    assert set(downloads) == {f"{stem}.ipynb", f"{stem}.py"}, f"/{path}: downloads {hrefs}"
    notebook = page.request.get(downloads[f"{stem}.ipynb"])
    assert notebook.ok, f"{downloads[f'{stem}.ipynb']}: HTTP {notebook.status}"
    assert first_code_cell(notebook) == setup_cell(repo), (
        f"{downloads[f'{stem}.ipynb']}: the first code cell is not the setup cell"
    )
    code = [cell for cell in notebook.json()["cells"] if cell["cell_type"] == "code"]
    assert any(cell["outputs"] for cell in code), f"/{path}: the notebook has no outputs"
    script = page.request.get(downloads[f"{stem}.py"])
    assert script.ok, f"{downloads[f'{stem}.py']}: HTTP {script.status}"
    assert script.text() == (GALLERY_SOURCES / f"{stem}.py").read_text(encoding="utf-8")
    # The setup cell is for readers who run the notebook, not for the page.
    assert "find_spec" not in page.locator(".md-content").text_content()
    # What Colab opens: the deploy workflow publishes site/gallery/*.ipynb.
    published = page.request.get(f"{base_url}gallery/{stem}.ipynb")
    assert published.ok, f"/gallery/{stem}.ipynb: HTTP {published.status}"
    assert first_code_cell(published) == setup_cell(repo), (
        f"/gallery/{stem}.ipynb: the first code cell is not the setup cell"
    )


def test_the_gallery_index_links_each_notebook_in_the_order_of_the_navigation(page):
    page.goto("gallery/")
    links = page.locator(".gallery-card a[download]")
    hrefs = [links.nth(index).get_attribute("href") for index in range(links.count())]
    assert len(hrefs) == len(NOTEBOOKS), f"/gallery/: {hrefs} for {len(NOTEBOOKS)} notebooks"
    settings = yaml.safe_load(MKDOCS_YML.read_text())
    (gallery,) = [entry["Gallery"] for entry in settings["nav"] if "Gallery" in entry]
    nav = [Path(next(iter(item.values()))).stem for item in gallery if isinstance(item, dict)]
    assert [Path(href).stem for href in hrefs] == nav, f"/gallery/: {hrefs}, mkdocs.yml: {nav}"
    repo = settings["repo_url"]
    for href in hrefs:
        notebook = page.request.get(urljoin(page.url, href))
        assert notebook.ok, f"/gallery/: {href}: HTTP {notebook.status}"
        assert first_code_cell(notebook) == setup_cell(repo), f"/gallery/: {href}"


WIDTHS = """() => {
    const wrapper = document.querySelector('.jupyter-wrapper').getBoundingClientRect().width;
    const share = selector => Math.min(...[...document.querySelectorAll(selector)].map(
        e => e.getBoundingClientRect().width / wrapper));
    const prose = [...document.querySelectorAll('.jp-MarkdownCell .jp-InputArea')].map(
        e => e.getBoundingClientRect().width);
    return {notebook: share('.jp-Notebook'), first_prose: prose[0] / Math.max(...prose),
            code: share('.jp-CodeCell .jp-InputArea-editor'),
            outputs: share('.jp-OutputArea-output')};
}"""


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_notebook_cells_use_the_width_of_the_page(new_context, width):
    """docs/stylesheets/extra.css: the notebook, and its first cell (the title's, beside the
    edit button), do not make room for the floating button all the way down, and on a phone
    the prompt column ("In [3]:") goes above its cell instead of taking a third of the width
    from the code and the figures."""
    page = new_context().new_page()
    page.set_viewport_size({"width": width, "height": 844})
    page.goto(NOTEBOOKS[0])
    shares = page.evaluate(WIDTHS)
    assert min(shares["notebook"], shares["first_prose"]) > 0.99, (
        f"/{NOTEBOOKS[0]} at {width}px: {shares}"
    )
    if width < 720:  # Material's phone layout (44.9375em)
        assert min(shares.values()) > 0.95, f"/{NOTEBOOKS[0]} at {width}px: {shares}"
