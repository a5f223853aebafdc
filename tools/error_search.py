"""A build hook that makes each error message of the mistakes page find its entry.

Each entry of the mistakes page (`mistakes/#...` in Material's search index) is tagged with
the error messages its Output blocks show (their dotted names elided), so that pasting a
message into the search box lists its entry first (tools/search_index.py).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from tools.search_index import add_tags

MISTAKES_URL = "mistakes/"
# The last line of a traceback: `RuntimeError: mat1 and mat2 shapes cannot be multiplied ...`.
MESSAGE = re.compile(r"^(\w+(?:Error|Warning|Exception)): (\S.*)$", re.MULTILINE)
TAG = re.compile(r"<[^>]+>")


def messages(page_html: str) -> list[str]:
    """The error messages shown in the code and outputs of a piece of a page, in order. A
    message that ends with a colon goes on in the next line (`Error(s) in loading state_dict
    for Linear:` and what was missing), which it keeps."""
    lines = html.unescape(TAG.sub("\n", page_html)).splitlines()
    found = []
    for number, line in enumerate(lines):
        if MESSAGE.match(line):
            more = lines[number + 1].strip() if number + 1 < len(lines) else ""
            found.append(f"{line} {more}" if line.endswith(":") and more else line)
    return list(dict.fromkeys(found))


def tag(message: str) -> str:
    """The message as a tag, its dotted names (`torch.nn.modules.linear.Linear`, `2.weight`)
    elided: they name the reader's code or PyTorch's internals, and as tags they would draw
    the searches for an API name to the mistakes page."""
    return " ".join("…" if "." in word.rstrip(".,:;!?") else word for word in message.split())


def on_post_build(config):
    def tags_of(doc: dict) -> list[str]:
        if not doc["location"].startswith(f"{MISTAKES_URL}#"):
            return []
        return [tag(message) for message in messages(doc["text"])]

    add_tags(Path(config["site_dir"]), tags_of)
