"""Lighthouse on the home page, a topic page and a gallery page of site/, served locally as
GitHub Pages serves it (`nox -s lighthouse`). Fails below the bars; the JSON and HTML reports
go to test-artifacts/lighthouse/.

Lighthouse's defaults: a mobile device on a throttled (simulated slow 4G) connection.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tools.paths import ARTIFACTS, CHROMIUM, NODE_BIN
from tools.site_server import serve

# The gallery page with the most figures (photos included).
PAGES = {"home": "", "topic": "tensors/", "gallery": "gallery/transfer/"}
BARS = {"performance": 95, "accessibility": 95}
CHROME_FLAGS = "--headless=new --no-sandbox --disable-background-networking --disable-gpu"
LIGHTHOUSE = NODE_BIN / "lighthouse"
REPORTS = ARTIFACTS / "lighthouse"


def audit(url: str, name: str, options: list[str]) -> dict:
    REPORTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--quiet",
            f"--chrome-flags={CHROME_FLAGS}",
            f"--only-categories={','.join(BARS)}",
            "--output=json",
            "--output=html",
            f"--output-path={REPORTS / name}",
            *options,
        ],
        check=True,
        env={**os.environ, "CHROME_PATH": str(CHROMIUM)},
        timeout=180,
    )
    return json.loads((REPORTS / f"{name}.report.json").read_text())


def main(options: list[str]) -> int:
    if not LIGHTHOUSE.is_file():
        print("node_modules/.bin/lighthouse is missing: run `npm ci` at the repository root.")
        return 2
    failures = []
    with serve() as base_url:
        for name, path in PAGES.items():
            report = audit(base_url + path, name, options)
            scores = {key: round(report["categories"][key]["score"] * 100) for key in BARS}
            audits = report["audits"]
            weight = audits["total-byte-weight"]["numericValue"] / 1024
            lcp = audits["largest-contentful-paint"]["numericValue"] / 1000
            tbt = audits["total-blocking-time"]["numericValue"]
            cls = audits["cumulative-layout-shift"]["numericValue"]
            print(
                f"/{path}: performance {scores['performance']}, accessibility "
                f"{scores['accessibility']}; {weight:.0f} KB transferred, LCP {lcp:.1f} s, "
                f"TBT {tbt:.0f} ms, CLS {cls:.3f}"
            )
            for key, bar in BARS.items():
                if scores[key] < bar:
                    failing = [
                        audits[ref["id"]]["title"]
                        for ref in report["categories"][key]["auditRefs"]
                        if ref["weight"] and (audits[ref["id"]]["score"] or 0) < 0.9
                    ]
                    failures.append(f"/{path}: {key} {scores[key]} < {bar} ({'; '.join(failing)})")
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))  # extra Lighthouse options, e.g. --preset=desktop
