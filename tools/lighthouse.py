"""Lighthouse on the home page, the heaviest topic page and the heaviest gallery page of
site/, served locally as GitHub Pages serves it (`nox -s lighthouse`): three runs each, and the
median must reach the bars. The JSON and HTML reports go to test-artifacts/lighthouse/.

Lighthouse's defaults: a mobile device on a throttled (simulated slow 4G) connection.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from tools.paths import ARTIFACTS, CHROMIUM, DOCS, GALLERY, NODE_BIN, SITE, page_module
from tools.site_server import serve

BARS = {"performance": 97, "accessibility": 100}
RUNS = 3  # a run's performance score varies by a few points: the median of three is judged
CHROME_FLAGS = "--headless=new --no-sandbox --disable-background-networking --disable-gpu"
LIGHTHOUSE = NODE_BIN / "lighthouse"
REPORTS = ARTIFACTS / "lighthouse"


def weight(folder: Path) -> int:
    """Bytes of a built page and the files beside it (a gallery page's figures)."""
    return sum(path.stat().st_size for path in folder.iterdir() if path.is_file())


def pages() -> dict[str, str]:
    """The home page, and the topic and gallery pages with the most bytes to download."""
    gallery = [SITE / "gallery" / script.stem for script in GALLERY.glob("*.py")]
    topics = [SITE / page.stem for page in DOCS.glob("*.md") if page_module(page).is_file()]
    return {
        "home": "",
        "topic": f"{max(topics, key=weight).name}/",
        "gallery": f"gallery/{max(gallery, key=weight).name}/",
    }


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
        for name, path in pages().items():
            runs = [audit(base_url + path, f"{name}-{run}", options) for run in range(1, RUNS + 1)]
            scores = {
                key: [round(report["categories"][key]["score"] * 100) for report in runs]
                for key in BARS
            }
            median = {key: statistics.median(values) for key, values in scores.items()}
            tbt = [report["audits"]["total-blocking-time"]["numericValue"] for report in runs]
            kilobytes = runs[0]["audits"]["total-byte-weight"]["numericValue"] / 1024
            print(
                f"/{path}: performance {scores['performance']} (median {median['performance']}),"
                f" accessibility {scores['accessibility']}; {kilobytes:.0f} KB transferred, "
                f"TBT {' / '.join(f'{ms:.0f}' for ms in tbt)} ms"
            )
            for key, bar in BARS.items():
                if median[key] < bar:
                    report = runs[scores[key].index(sorted(scores[key])[RUNS // 2])]
                    audits = report["audits"]
                    failing = [
                        audits[ref["id"]]["title"]
                        for ref in report["categories"][key]["auditRefs"]
                        if ref["weight"] and (audits[ref["id"]]["score"] or 0) < 0.9
                    ]
                    failures.append(f"/{path}: {key} {median[key]} < {bar} ({'; '.join(failing)})")
    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))  # extra Lighthouse options, e.g. --preset=desktop
