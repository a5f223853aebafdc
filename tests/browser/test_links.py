"""No broken internal link or #anchor anywhere in site/ (linkinator, offline: external URLs
are skipped here and checked by `nox -s linkcheck-external`)."""

from tools.links import EXTERNAL, linkinator, pages_linking_to
from tools.paths import SITE


def test_no_broken_internal_link_or_anchor():
    links = linkinator("--skip", EXTERNAL)
    checked = [link for link in links if link["state"] != "SKIPPED"]
    assert len(checked) > 20, f"linkinator checked only {len(checked)} links"
    assert all(link["state"] == "SKIPPED" for link in links if link["url"].startswith("http")), (
        "an external URL was fetched"
    )
    broken = [
        f"{link['url'].removeprefix(str(SITE))} "
        f"({'no such anchor' if link['status'] == 200 else 'HTTP ' + str(link['status'])}), "
        f"linked from {pages_linking_to(link['url'])}"
        for link in links
        if link["state"] == "BROKEN"
    ]
    assert not broken, "broken links or anchors:\n" + "\n".join(broken)
