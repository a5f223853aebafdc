"""Gallery pages show their figures: every image is loaded and has a size."""

import pytest
from site_server import site_pages

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
