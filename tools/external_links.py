"""List and check every external link of site/ (`nox -s linkcheck-external`: it uses the
network, so CI does not run it). The list goes to test-artifacts/external-links.json."""

from __future__ import annotations

import json
import sys

from tools.links import linkinator
from tools.paths import ARTIFACTS, ROOT

OUTPUT = ARTIFACTS / "external-links.json"


def main() -> int:
    # The crawl goes through every page (internal links are test_links.py's): keep the rest.
    found = [link for link in linkinator() if link["url"].startswith(("http://", "https://"))]
    links = list({link["url"]: link for link in found}.values())  # once per URL
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(links, indent=2))
    broken = [link for link in links if link["state"] == "BROKEN"]
    for link in sorted(links, key=lambda link: link["url"]):
        print(f"{link['state']:8} {link['status'] or '-':>4} {link['url']}")
    print(f"{len(links)} external links, {len(broken)} broken; list: {OUTPUT.relative_to(ROOT)}")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
