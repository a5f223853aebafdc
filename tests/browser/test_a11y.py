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
    page = new_context(color_scheme=scheme).new_page()
    found = {}
    for path in PAGES:
        page.goto(path)
        page.add_script_tag(path=str(axe_source))
        violations = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        )
        blocking = [describe(v) for v in violations if v["impact"] in BLOCKING]
        if blocking:
            found[f"/{path}"] = blocking
    assert not found, "axe-core violations:\n" + "\n".join(
        f"{path}: {message}" for path, messages in found.items() for message in messages
    )
