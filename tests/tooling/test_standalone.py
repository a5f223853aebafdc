"""The site stands on its own: readers never saw the study notes it grew from, and gallery
pages show tutorials, not the build's harness."""

import re

import jupytext
import pytest

from tools.paths import DOCS, GALLERY

NOTES = re.compile(r"\bthe notes\b|\bnotes'|\bnote \d{3}\b|\d{3}_[0-9a-f]{16}\.txt", re.I)
HARNESS = re.compile(r"\bFAST\b|page_imports|DATA_ROOT|snippets\._gallery|\brun\.(check|finish)\b")
HIDDEN_TAG = "colab-setup"  # mkdocs-jupyter's remove_tag_config hides these cells on the site


@pytest.mark.parametrize(
    "page",
    [*sorted(DOCS.glob("*.md")), *sorted(GALLERY.glob("*"))],
    ids=lambda path: path.relative_to(DOCS).as_posix(),
)
def test_only_the_mistakes_page_speaks_of_the_notes(page):
    if page.name == "mistakes.md":
        pytest.skip("the one page that says where its mistakes were collected")
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        assert not NOTES.search(line), f"{page}:{number} speaks of the notes: {line.strip()}"


@pytest.mark.parametrize("notebook", sorted(GALLERY.glob("*.py")), ids=lambda path: path.stem)
def test_gallery_cells_a_reader_sees_have_no_harness_names(notebook):
    for number, cell in enumerate(jupytext.read(notebook).cells, start=1):
        if HIDDEN_TAG in cell.metadata.get("tags", []):
            continue
        found = HARNESS.search(cell.source)
        assert not found, f"{notebook.name}, cell {number} shows {found[0]!r} to readers"
