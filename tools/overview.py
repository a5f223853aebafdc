"""Build hook: the pages say what this build recorded.

Markers in the pages are replaced, never typed over: `<!-- gallery:headlines -->` by each gallery
notebook's headline result, read from the record its execution in this build wrote
(`.cache/gallery/<name>.json`); `<!-- verification:summary -->` and `<!-- verification:pages -->`
by what the test runs recorded (`tools/verification.py`). A block that needs a CUDA GPU (a
`<!-- skip: ... cuda.is_available() ... -->` line before it) gets a label saying so, and whether
a GPU run of this build ran it.

What these say changes with every run (dates, seconds), so it stays out of the search index
(`data-search-exclude`): the index, and what lunr makes of its words, depends on the pages'
content only (tests/browser/test_search.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tools.paths import GALLERY_RECORDS, NOT_TOPICS
from tools.verification import pages_table, read_records, summary

HEADLINES = "<!-- gallery:headlines -->"
SUMMARY = "<!-- verification:summary -->"
PAGES = "<!-- verification:pages -->"
GPU_SKIP = re.compile(
    r"^(?P<indent>[ \t]*)<!-- skip: (?:next|start) if\(not torch\.cuda\.is_available\(\).*-->$",
    re.M,
)

_gallery: list[tuple[str, str]] = []  # (title, src_uri) of each notebook, in nav order
_topics: list[str] = []  # src_uri of each topic page, in nav order


def on_nav(nav, config, files):
    _gallery.clear()
    _topics.clear()
    for page in nav.pages:
        uri = page.file.src_uri
        if uri.startswith("gallery/") and uri.endswith(".py"):
            _gallery.append((page.title, uri))
        elif "/" not in uri and uri.endswith(".md") and uri not in NOT_TOPICS:
            _topics.append(uri)


def gallery_headlines(notebooks: list[tuple[str, str]], records: Path = GALLERY_RECORDS) -> str:
    lines = []
    for title, uri in notebooks:
        record_path = records / f"{Path(uri).stem}.json"
        if not record_path.is_file():
            raise FileNotFoundError(f"{uri} was not executed for this build: no {record_path}")
        record = json.loads(record_path.read_text(encoding="utf-8"))
        lines.append(
            f"- [{title}]({uri}): {record['headline']} "
            f"({record['seconds']:.0f} s on {record['device'].upper()})"
        )
    return "\n".join(lines) + "\n"


def gpu_label(page: str, records: dict[str, dict]) -> str:
    cuda = records.get("cuda")
    if cuda and page in cuda["pages"]:
        status = f"Run on {cuda['device_name']} on {cuda['date']}, with torch {cuda['torch']}."
    else:
        status = "Not run on a GPU for this build, so no output is shown."
    return f"**Needs a CUDA GPU.** {status}"


def label_gpu_blocks(markdown: str, page: str, records: dict[str, dict]) -> str:
    """Put a visible label before each CUDA-only block of a page."""
    label = gpu_label(page, records)

    def add(match: re.Match) -> str:
        indent = match["indent"]
        return f'{match[0]}\n{indent}<p class="gpu-only" markdown data-search-exclude>{label}</p>\n'

    return GPU_SKIP.sub(add, markdown)


def unindexed(markdown: str) -> str:
    return f"<div markdown data-search-exclude>\n\n{markdown}\n</div>\n"


def on_page_markdown(markdown, page, config, files):
    markdown = label_gpu_blocks(markdown, page.file.src_uri, read_records())
    if HEADLINES in markdown:
        markdown = markdown.replace(HEADLINES, unindexed(gallery_headlines(_gallery)))
    if SUMMARY in markdown:
        markdown = markdown.replace(SUMMARY, unindexed(summary()))
    if PAGES in markdown:
        markdown = markdown.replace(PAGES, pages_table(_topics))
    return markdown
