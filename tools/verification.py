"""The record of the last test run, per page, and the footer the build prints from it.

The test run (conftest.py) writes `.cache/verification/<device>.json`; the build
(tools/mkdocs_hooks.py) reads it, so what a page says about its verification is what the
tests saw, not what somebody typed.
"""

from __future__ import annotations

import json
import platform
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

from tools.paths import VERIFICATION as RECORDS

DEVICES = {"cpu": "CPU", "cuda": "CUDA"}


def write_record(device: str, device_name: str, outcomes: dict[str, Counter]) -> Path:
    import torch
    import torchvision

    record = {
        "device": device,
        "device_name": device_name,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "pages": {page: dict(counts) for page, counts in sorted(outcomes.items())},
    }
    RECORDS.mkdir(parents=True, exist_ok=True)
    path = RECORDS / f"{device}.json"
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path


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
        counts = defaultdict(int, record["pages"].get(page, {})) if record else None
        if not counts:
            parts.append(f"{label}: not run for this build")
            continue
        summary = f"{counts['passed']} blocks passed"
        if counts["failed"]:
            summary += f", **{counts['failed']} failed**"
        if counts["skipped"]:
            summary += f", {counts['skipped']} skipped"
        parts.append(
            f"{label} ({record['device_name']}): {summary} on {record['date']}, with "
            f"torch {record['torch']}, torchvision {record['torchvision']}, "
            f"Python {record['python']}"
        )
    lines = "<br>\n".join(parts)
    return f'<div class="verified" markdown>\n<small>\n**Verified.** {lines}\n</small>\n</div>\n'
