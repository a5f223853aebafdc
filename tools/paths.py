"""Where things are: the one module that knows the project's paths.

Everything else imports its paths from here, so a folder moves in one place.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
GALLERY = DOCS / "gallery"
# The API index page: a marker that tools/api_links.py replaces at build.
API_INDEX = DOCS / "api.md"
SNIPPETS = ROOT / "snippets"
# The pages of docs/ that are not topics: no code of their own, so no verification footer and
# no row in the verification page's table. A new page of that kind is added here.
NOT_TOPICS = {"index.md", "verification.md", "api.md"}
TESTS = ROOT / "tests"
MKDOCS_YML = ROOT / "mkdocs.yml"
PYPROJECT = ROOT / "pyproject.toml"
# Pages read data sets from `data/` (root="data"), as a reader's script would.
DATA_ROOT = ROOT / "data"
CACHE = ROOT / ".cache"
FIGURES = CACHE / "figures"
VERIFICATION = CACHE / "verification"
GALLERY_RECORDS = CACHE / "gallery"
# The executed notebooks of the topic pages (tools/page_notebooks.py).
PAGE_NOTEBOOKS = CACHE / "page-notebooks"
ARTIFACTS = ROOT / "test-artifacts"
NODE_BIN = ROOT / "node_modules" / ".bin"
# The built site: site/, or another build folder named by GUIDE_SITE_DIR.
SITE = Path(os.environ.get("GUIDE_SITE_DIR") or ROOT / "site")
# Debian's Chromium, never a downloaded one.
CHROMIUM = Path(os.environ.get("GUIDE_CHROMIUM", "/usr/bin/chromium"))


def page_module(page: Path) -> Path:
    """The topic module named after a page: docs/first-model.md -> snippets/first_model.py."""
    return SNIPPETS / (page.stem.replace("-", "_") + ".py")


def page_test(page: Path) -> Path:
    """The test file named after a page: docs/first-model.md -> tests/topics/test_first_model.py."""
    return TESTS / "topics" / f"test_{page.stem.replace('-', '_')}.py"
