"""MkDocs hooks of the site build.

* The data root is filled from GUIDE_DATA_MIRROR before the gallery executes.
* mkdocs-jupyter's cache is keyed on the notebook's bytes only; a notebook that imports
  `snippets.first_model` must re-execute when snippets/first_model.py changes, so the key also hashes every
  `snippets` module the notebook imports (followed transitively).
* Each topic page ends with the record of its last verification, read from what the test
  run wrote (`tools/verification.py`), never typed.
* The gallery index lists each notebook with its thumbnail, headline result and time, read
  from the records the executed notebooks wrote (`snippets/_gallery.py`). The notebooks
  execute after the index page is rendered, so the list is put in at `on_post_page`.
* Gallery pages are made light (styles purged, figures as files) and link their notebook:
  a download and an "Open in Colab" link (`tools/notebook_pages.py`).
* Each gallery notebook is also published as a `.ipynb`, with a first cell that makes it run
  outside a checkout.
"""

from __future__ import annotations

import ast
import hashlib
import html
import json
import re
import shutil
import sys
from pathlib import Path

import jupytext
import nbformat
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.data import fill_from_mirror  # noqa: E402
from tools.notebook_pages import colab_url, lighten, setup_cell  # noqa: E402
from tools import figures  # noqa: E402
from tools.sybil_pages import run_page  # noqa: E402
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


GALLERY_RECORDS = ROOT / ".cache" / "gallery"
GALLERY_MARKER = "<!-- gallery:index -->"
_gallery_pages = []


def on_startup(command, dirty):
    _key_on_imported_code()


def on_pre_build(config):
    fill_from_mirror()
    draw_figures(Path(config["docs_dir"]))


def draw_figures(docs: Path) -> None:
    """A page shows the figures its code draws: draw them with the code being built, unless
    a run of that same code (the tests) has drawn them already."""
    _figures.clear()
    for page in sorted(docs.rglob("*.md")):
        names = figures.linked(page)
        if not names:
            continue
        folder = figures.folder(page)
        if any(not (folder / name).is_file() for name in names):
            run_page(page)
        missing = [name for name in names if not (folder / name).is_file()]
        if missing:
            raise FileNotFoundError(f"{page}: its code drew no figure named {missing}")
        _figures.extend(folder / name for name in names)


_figures: list[Path] = []


def on_files(files, config):
    for figure in _figures:
        files.append(File.generated(config, f"figures/{figure.name}", abs_src_path=str(figure)))
    return files


def on_nav(nav, config, files):
    _gallery_pages.clear()
    _gallery_pages.extend(
        f.page
        for f in files.documentation_pages()
        if f.src_uri.startswith("gallery/") and f.src_uri.endswith(".py")
    )


def gallery_cards(site_dir: Path) -> str:
    thumbs = site_dir / "gallery" / "thumbs"
    thumbs.mkdir(parents=True, exist_ok=True)
    cards = []
    for page in _gallery_pages:
        stem = Path(page.file.src_uri).stem
        record_path = GALLERY_RECORDS / f"{stem}.json"
        if not record_path.is_file():
            raise FileNotFoundError(f"gallery/{stem}.py ran but wrote no record {record_path}")
        record = json.loads(record_path.read_text(encoding="utf-8"))
        shutil.copyfile(GALLERY_RECORDS / f"{stem}.png", thumbs / f"{stem}.png")
        title = html.escape(page.title or stem)
        cards.append(
            f'<div class="gallery-card"><a href="{page.url.removeprefix("gallery/")}">'
            f'<img src="thumbs/{stem}.png" alt="Figure from {title}" loading="lazy"></a>'
            f'<p><a href="{page.url.removeprefix("gallery/")}"><strong>{title}</strong></a>'
            f"<br>{html.escape(record['headline'])}<br>"
            f"<small>{record['seconds']:.0f} s on {record['device'].upper()}, "
            f"torch {html.escape(record['torch'])} · "
            f'<a href="{stem}.ipynb" download>notebook</a></small></p></div>'
        )
    return '<div class="gallery-grid">\n' + "\n".join(cards) + "\n</div>"


def on_post_page(output, page, config):
    if page.file.src_uri == "gallery/index.md":
        output = output.replace(GALLERY_MARKER, gallery_cards(Path(config["site_dir"])))
    elif page in _gallery_pages:
        stem = Path(page.file.src_uri).stem
        links = (
            f'<p class="gallery-links">Run it yourself: '
            f'<a href="{colab_url(config["repo_url"], stem)}">open in Colab</a>, or download '
            f'<a href="../{stem}.ipynb" download>{stem}.ipynb</a> (Jupyter) or '
            f'<a href="{stem}.py" download>{stem}.py</a> (jupytext script). Outside a checkout '
            f"of this guide, the notebook's first cell fetches the guide's <code>snippets</code> "
            f"package, which it imports.</p>"
        )
        output = output.replace("</h1>", "</h1>" + links, 1)
        output = lighten(output, Path(config["site_dir"]) / page.file.dest_uri.rsplit("/", 1)[0])
    return output


def on_post_build(config):
    for page in _gallery_pages:
        source = ROOT / config["docs_dir"] / page.file.src_uri
        notebook = jupytext.read(source)
        # After the title cell: the setup cell comes first among the code cells.
        notebook.cells.insert(1, nbformat.v4.new_code_cell(setup_cell(config["repo_url"])))
        jupytext.write(notebook, Path(config["site_dir"]) / "gallery" / (source.stem + ".ipynb"))


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri.startswith("gallery/") or page.file.src_uri == "index.md":
        return markdown
    return markdown + "\n\n" + page_footer(page.file.src_uri)
