"""The record of the last test run, per page, and the footer the build prints from it.

The test run (conftest.py) writes `.cache/verification/<device>.json`; the build
(tools/mkdocs_hooks.py) reads it, so what a page says about its verification is what the
tests saw, not what somebody typed.
"""

from __future__ import annotations

import json
import os
import platform
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

from tools.paths import VERIFICATION as RECORDS

DEVICES = {"cpu": "CPU", "cuda": "CUDA"}


def write_record(
    device: str, device_name: str, outcomes: dict[str, Counter], versions: dict[str, str]
) -> Path:
    """`versions`: torch's and torchvision's, as the tests ran them."""
    record = {
        "device": device,
        "device_name": device_name,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "torch": versions["torch"],
        "torchvision": versions["torchvision"],
        "pages": {page: dict(counts) for page, counts in sorted(outcomes.items())},
    }
    RECORDS.mkdir(parents=True, exist_ok=True)
    path = RECORDS / f"{device}.json"
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path


def cpu_name(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The processor the tests ran on, as the page names it: its model (Linux's cpuinfo, else
    what Python knows) and how many logical cores the machine has."""
    found = None
    if cpuinfo.is_file():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
    model = found[1].strip() if found else platform.processor() or platform.machine()
    return f"{model}, {plural(os.cpu_count() or 1, 'logical core')}"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def read_records() -> dict[str, dict]:
    records = {}
    for device in DEVICES:
        path = RECORDS / f"{device}.json"
        if path.is_file():
            records[device] = json.loads(path.read_text(encoding="utf-8"))
    return records


def page_footer(page: str, records: dict[str, dict] | None = None) -> str:
    records = read_records() if records is None else records
    parts = []
    for device, label in DEVICES.items():
        record = records.get(device)
        counts = record["pages"].get(page) if record else None
        if not counts:
            parts.append(f"{label}: not run for this build")
            continue
        parts.append(
            f"{label} ({record['device_name']}): {counts_text(counts)} on {record['date']}, "
            f"with torch {record['torch']}, torchvision {record['torchvision']}, "
            f"Python {record['python']}"
        )
    lines = "<br>\n".join(parts)
    # Out of the search index: its run date would make the index, and the search, differ from
    # build to build (Material's lunr can fail on some sets of tokens with digits).
    return (
        f'<div class="verified" markdown data-search-exclude>\n<small>\n**Verified.** {lines}\n'
        "</small>\n</div>\n"
    )


def counts_text(counts: dict) -> str:
    counts = defaultdict(int, counts)
    text = f"{plural(counts['passed'], 'block')} passed"
    if counts["failed"]:
        text += f", **{counts['failed']} failed**"
    if counts["skipped"]:
        text += f", {counts['skipped']} skipped"
    return text


def summary(records: dict[str, dict] | None = None) -> str:
    """One line per device: what the test run of this build recorded, for the home page and
    the verification page."""
    records = read_records() if records is None else records
    lines = []
    for device, label in DEVICES.items():
        record = records.get(device)
        if record is None:
            lines.append(f"- **{label}**: not run for this build.")
            continue
        total: Counter = Counter()
        for counts in record["pages"].values():
            total.update(counts)
        lines.append(
            f"- **{label}** ({record['device_name']}), {record['date']}: "
            f"{counts_text(total)} on {plural(len(record['pages']), 'page')}, with torch "
            f"{record['torch']}, torchvision {record['torchvision']}, Python {record['python']}."
        )
    return "\n".join(lines) + "\n"


def pages_table(pages: list[str], records: dict[str, dict] | None = None) -> str:
    """Per topic page (its path in docs/) and device, what the run recorded."""
    records = read_records() if records is None else records
    header = "| Page | " + " | ".join(DEVICES.values()) + " |\n"
    header += "| --- |" + " --- |" * len(DEVICES) + "\n"
    rows = []
    for page in pages:
        cells = []
        for device in DEVICES:
            counts = records.get(device, {}).get("pages", {}).get(page)
            cells.append(counts_text(counts) if counts else "not run for this build")
        rows.append(f"| [{page.removesuffix('.md')}]({page}) | " + " | ".join(cells) + " |")
    return header + "\n".join(rows) + "\n"
