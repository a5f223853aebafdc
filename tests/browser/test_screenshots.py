"""Screenshots of the home page, a topic page and a gallery page, light and dark, for review
(test-artifacts/screenshots/, uploaded by CI)."""

import pytest

SHOTS = {"home": "", "topic": "tensors/", "gallery": "gallery/xor/"}


@pytest.mark.parametrize("name", SHOTS)
def test_screenshots_light_and_dark(name, new_context, artifacts):
    shots = {}
    for scheme in ("light", "dark"):
        page = new_context(color_scheme=scheme).new_page()
        page.goto(SHOTS[name])
        page.wait_for_load_state("networkidle")
        if name == "gallery":  # the first figure, not only the notebook's title
            figure = page.locator(".jp-RenderedImage img").first
            figure.scroll_into_view_if_needed()
            figure.evaluate("img => img.decode()")  # lazy: loaded once in view, drawn when decoded
        expected = "slate" if scheme == "dark" else "default"
        assert page.evaluate("document.body.dataset.mdColorScheme") == expected
        target = artifacts / f"{name}-{scheme}.png"
        page.screenshot(path=target)
        shots[scheme] = target.read_bytes()
    assert shots["light"] != shots["dark"]
