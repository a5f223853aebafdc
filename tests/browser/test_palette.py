"""The light/dark toggle switches the scheme, and the choice survives a reload."""


def scheme_and_background(page):
    return tuple(
        page.evaluate(
            """() => [document.body.dataset.mdColorScheme,
                  getComputedStyle(document.body).backgroundColor]"""
        )
    )


def toggle(page):
    page.locator("form[data-md-component=palette] label:visible").click()


def test_toggle_switches_and_persists(page):
    page.goto("tensors/")
    light, light_background = scheme_and_background(page)
    assert light == "default"

    toggle(page)
    dark, dark_background = scheme_and_background(page)
    assert dark == "slate"
    assert dark_background != light_background, "the dark scheme left the background as it was"

    page.reload()
    assert scheme_and_background(page) == ("slate", dark_background), "dark was not kept"
    page.goto("autograd/")
    assert scheme_and_background(page)[0] == "slate", "dark was not kept on the next page"

    toggle(page)
    page.reload()
    assert scheme_and_background(page) == ("default", light_background), "light was not kept"
