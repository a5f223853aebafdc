"""MkDocs hooks of the site build.

* The data root is filled from GUIDE_DATA_MIRROR before the gallery executes.
* mkdocs-jupyter's cache is keyed on the notebook's bytes only; a notebook that imports
  `snippets.xor` must re-execute when snippets/xor.py changes, so the key also hashes every
  `snippets` module the notebook imports (followed transitively).
* Each topic page ends with the record of its last verification, read from what the test
  run wrote (`tools/verification.py`), never typed.
"""

from __future__ import annotations

import ast
import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.data import fill_from_mirror  # noqa: E402
from tools.verification import page_footer  # noqa: E402


def snippet_imports(path: Path, seen: set[Path] | None = None) -> set[Path]:
    """The snippets modules a file imports, directly or through other snippets modules."""
    seen = set() if seen is None else seen
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    for name in names:
        if name.split(".")[0] != "snippets":
            continue
        module = ROOT.joinpath(*name.split(".")).with_suffix(".py")
        if module.is_file() and module not in seen:
            seen.add(module)
            snippet_imports(module, seen)
    return seen


def _key_on_imported_code() -> None:
    import mkdocs_jupyter.plugin as plugin

    original = plugin._compute_cache_key
    if getattr(original, "keys_imports", False):
        return

    def compute_cache_key(nb_path, config, exec_nb):
        hasher = hashlib.sha256(original(nb_path, config, exec_nb).encode())
        for module in sorted(snippet_imports(Path(nb_path))):
            hasher.update(module.relative_to(ROOT).as_posix().encode())
            hasher.update(module.read_bytes())
        return hasher.hexdigest()

    compute_cache_key.keys_imports = True
    plugin._compute_cache_key = compute_cache_key


def on_startup(command, dirty):
    _key_on_imported_code()


def on_pre_build(config):
    fill_from_mirror()


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri.startswith("gallery/") or page.file.src_uri == "index.md":
        return markdown
    return markdown + "\n\n" + page_footer(page.file.src_uri)
