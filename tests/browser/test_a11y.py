"""axe-core on every page, in the light and the dark scheme: no serious or critical violation.

The colour fixes live in docs/stylesheets/a11y.css, the attribute fixes in
docs/overrides/main.html.
"""

import pytest

from tools.site_server import site_pages

PAGES = site_pages()
BLOCKING = {"serious", "critical"}


def describe(violation: dict) -> str:
    node = violation["nodes"][0]
    summary = " ".join(node.get("failureSummary", "").split())
    return (
        f"{violation['impact']} {violation['id']} on {len(violation['nodes'])} element(s), "
        f"first {node['target']}: {summary[:300]}"
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_accessibility_violation(scheme, new_context, axe_source):
    # Two tabs take turns, so that one tab's renderer runs axe while the other loads the next
    # page: both cores work.
    context = new_context(color_scheme=scheme)
    tabs = [context.new_page() for _ in range(2)]
    running: dict = {}  # tab -> the page axe is checking in it
    found, checked = {}, []

    def collect(tab):
        violations = tab.evaluate("async () => (await window.axeRun).violations")
        checked.append(running[tab])
        blocking = [describe(v) for v in violations if v["impact"] in BLOCKING]
        if blocking:
            found[f"/{running[tab]}"] = blocking

    for index, path in enumerate(PAGES):
        tab = tabs[index % len(tabs)]
        if tab in running:
            collect(tab)
        tab.goto(path)
        tab.add_script_tag(path=str(axe_source))
        tab.evaluate("() => { window.axeRun = axe.run(document, {resultTypes: ['violations']}) }")
        running[tab] = path
    for tab in list(running):
        collect(tab)
    assert sorted(checked) == sorted(PAGES)
    assert not found, "axe-core violations:\n" + "\n".join(
        f"{path}: {message}" for path, messages in found.items() for message in messages
    )
