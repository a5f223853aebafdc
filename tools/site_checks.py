"""A build hook that fails the build when the built site shows the machine that built it.

Every HTML page, the search index (`search/search_index.json`) and the outputs of the
published notebooks (the gallery's and the topic pages') are read as text (tags stripped, entities
decoded) and searched for:

* paths of the build machine: the repository root's absolute path, `/.nox/`,
  `site-packages/`, `/tmp/`, as warnings and tracebacks print them;
* known noise lines that libraries print on their own: the PyTorch profiler's
  `USDT ... profiler_start`, `gpuGetDeviceCount failed with code 35` (a CUDA build of torch
  on a machine without a GPU driver), glog-style log lines with a timestamp and a process id,
  ipykernel's and tqdm's warnings.

A page or output that shows one fails the build with the file and the line found: silence the
noise where it comes from (a specific warnings filter, a library's logger, its stderr), never
by hiding a real result.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

from mkdocs.exceptions import PluginError

from tools.paths import ROOT

PATHS = ("/.nox/", "site-packages/", "/tmp/")
NOISE = {
    "profiler line": re.compile(r"USDT\b.*\bprofiler_(start|stop)"),
    "CUDA driver probe": re.compile(r"gpuGetDeviceCount failed"),
    # glog / torch._logging: "W1202 10:16:20.858000 2868 torch/utils/cpp_extension.py:183]"
    "log line with a timestamp": re.compile(r"\b[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ \S+:\d+\]"),
    # kineto: "ERROR:2026-12-02 10:11:03 32193:32193 DeviceProperties.cpp:56]"
    "log line with a date": re.compile(r"\b[A-Z]+:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \d+:\d+ "),
    "kernel warning": re.compile(r"\[IPKernelApp\] WARNING"),
    "tqdm warning": re.compile(r"IProgress not found"),
    "CUDA toolkit probe": re.compile(r"No CUDA runtime is found"),
}
TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Finding:
    where: str  # the file, relative to the site folder, and a place inside it
    what: str
    line: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}: {self.line.strip()[:200]}"


def root_path_pattern(root: Path) -> re.Pattern:
    """The repository root as a path, not as the end of a longer path or of an address."""
    return re.compile(r"(?<![\w./-])" + re.escape(str(root)) + r"(?![\w-])")


def text_of(markup: str) -> str:
    """What a reader can read: the markup without its tags, entities decoded."""
    return html.unescape(TAG.sub("", markup))


def findings_in(text: str, where: str, root: Path = ROOT) -> list[Finding]:
    """Every line of `text` that shows a build-machine path or a known noise line."""
    root_pattern = root_path_pattern(root)
    found = []
    for line in text.splitlines():
        if root_pattern.search(line):
            found.append(Finding(where, f"build-machine path {str(root)!r}", line))
        for path in PATHS:
            if path in line:
                found.append(Finding(where, f"build-machine path {path!r}", line))
        for what, pattern in NOISE.items():
            if pattern.search(line):
                found.append(Finding(where, what, line))
    return found


def notebook_outputs(notebook: dict) -> list[tuple[int, str]]:
    """(cell number, text) of each text output of a notebook: streams, errors, plain text and
    HTML."""
    texts = []
    for number, cell in enumerate(notebook.get("cells", []), start=1):
        for output in cell.get("outputs", []):
            if "text" in output:
                texts.append((number, "".join(output["text"])))
            for key in ("text/plain", "text/html", "text/markdown"):
                if key in output.get("data", {}):
                    texts.append((number, text_of("".join(output["data"][key]))))
            if output.get("traceback"):
                texts.append((number, "\n".join(output["traceback"])))
    return texts


def scan_site(site: Path, root: Path = ROOT) -> list[Finding]:
    """Every finding in the built site at `site`."""
    found = []
    for page in sorted(site.rglob("*.html")):
        text = text_of(page.read_text(encoding="utf-8", errors="replace"))
        found += findings_in(text, page.relative_to(site).as_posix(), root)
    index = site / "search" / "search_index.json"
    if index.is_file():
        for doc in json.loads(index.read_text(encoding="utf-8")).get("docs", []):
            where = f"search/search_index.json ({doc.get('location') or 'home'})"
            found += findings_in(
                text_of(f"{doc.get('title', '')}\n{doc.get('text', '')}"), where, root
            )
    for published in sorted(site.rglob("*.ipynb")):
        notebook = json.loads(published.read_text(encoding="utf-8"))
        for number, text in notebook_outputs(notebook):
            where = f"{published.relative_to(site).as_posix()} (output of cell {number})"
            found += findings_in(text, where, root)
    return found


def check_site(site: Path, root: Path = ROOT) -> None:
    found = scan_site(site, root)
    if found:
        lines = "\n".join(f"  {finding}" for finding in found[:50])
        more = f"\n  ... and {len(found) - 50} more" if len(found) > 50 else ""
        raise PluginError(
            f"The built site shows the machine that built it ({len(found)} lines):\n{lines}{more}"
        )


def on_post_build(config):
    check_site(Path(config["site_dir"]))
