"""Tags in Material's search index (`search/search_index.json` of the built site).

Material's search weighs a tag (boost 1e6) above a heading (1e3) and the text (1), so a query
that matches a tag lists that entry first, and the result shows its tags. Two hooks tag
entries: tools/api_links.py (each API name on the section that teaches it) and
tools/error_search.py (each error message on its entry of the mistakes page).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path


def add_tags(site_dir: Path, tags_of: Callable[[dict], Iterable[str]]) -> set[str]:
    """Add to each entry of the index the tags `tags_of(entry)` gives (each tag once); return
    the locations of the entries."""
    path = site_dir / "search" / "search_index.json"
    index = json.loads(path.read_text(encoding="utf-8"))
    for doc in index["docs"]:
        tags = doc.get("tags", [])
        new = [tag for tag in dict.fromkeys(tags_of(doc)) if tag not in tags]
        if new:
            doc["tags"] = tags + new
    path.write_text(json.dumps(index, separators=(",", ":")), encoding="utf-8")
    return {doc["location"] for doc in index["docs"]}
