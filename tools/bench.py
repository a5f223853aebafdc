"""The figures the speed budgets are about, measured here and now (`nox -s bench`).

    python -m tools.bench                 # the suite, a build and a warm rebuild, the gallery
    python -m tools.bench --fresh-clone   # also every stage of `bash .ci/run` in a fresh clone

A benchmark, not a test: it prints, it asserts nothing. Run it on a quiet machine and compare
with the figures in the last closing note.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tools.offline import build_env
from tools.paths import GALLERY_RECORDS, ROOT

SUITE = ["pytest", "--numprocesses=2", "--dist=loadfile", "--no-loadscope-reorder", "-q",
         "--cov=snippets", "--cov-fail-under=100"]  # fmt: skip
SUMMARY = re.compile(r"^=* ?(\d+ passed.*?) ?=*$", re.M)
STAGE = re.compile(r"^== stage ([\w-]+): (\d+) s$", re.M)


def timed(command: list[str], **kwargs) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    seconds = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-3000:]}"
                 f"\n{done.stderr[-3000:]}")  # fmt: skip
    return seconds, done


def suite(repeat: int) -> None:
    for number in range(1, repeat + 1):
        start_cpu = os.times()
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": ""}  # as nox -s docs-test runs it
        seconds, done = timed([sys.executable, "-m", *SUITE], cwd=ROOT, env=env)
        end_cpu = os.times()
        cpu = end_cpu.children_user + end_cpu.children_system
        cpu -= start_cpu.children_user + start_cpu.children_system
        summary = SUMMARY.search(done.stdout)
        print(f"suite, run {number}: {seconds:.1f} s wall, {cpu:.1f} s CPU "
              f"({summary[1] if summary else 'no summary line'})")  # fmt: skip


def builds() -> None:
    command = [sys.executable, "-m", "mkdocs", "build", "--strict"]
    env = {**os.environ, **build_env()}
    first, _ = timed(command, cwd=ROOT, env=env)
    print(f"build (the cache as it was): {first:.1f} s")
    warm, _ = timed(command, cwd=ROOT, env=env)
    print(f"warm rebuild, nothing changed: {warm:.1f} s")


def gallery() -> None:
    records = sorted(GALLERY_RECORDS.glob("*.json"))
    total = 0.0
    for path in records:
        record = json.loads(path.read_text(encoding="utf-8"))
        total += record["seconds"]
        print(f"gallery {record['name']}: {record['seconds']:.1f} s on {record['device']} "
              f"({record['headline']})")  # fmt: skip
    print(f"gallery, sum over notebooks: {total:.1f} s (as last executed; the build runs two at a "
          "time, so its wall time is less)")  # fmt: skip


def fresh_clone() -> None:
    with tempfile.TemporaryDirectory() as folder:
        clone = Path(folder) / "project"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        (Path(folder) / "shared").symlink_to((ROOT.parent / "shared").resolve())
        seconds, done = timed(["bash", ".ci/run"], cwd=clone, env={**os.environ, "CI": "true"})
    for name, stage_seconds in STAGE.findall(done.stdout):
        print(f"ci stage {name}: {stage_seconds} s")
    print(f"ci, fresh clone to green: {seconds:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of the suite")
    parser.add_argument("--fresh-clone", action="store_true", help="also time bash .ci/run")
    options = parser.parse_args()
    suite(options.repeat)
    builds()
    gallery()
    if options.fresh_clone:
        fresh_clone()


if __name__ == "__main__":
    main()
