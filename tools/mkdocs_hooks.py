"""MkDocs hooks of the site build.

* The data root is filled from GUIDE_DATA_MIRROR before the gallery executes.
* The gallery notebooks are executed here, not by mkdocs-jupyter: each is read with jupytext,
  given the setup cell (`tools/notebook_pages.py`) as its first code cell, run with nbclient
  (two at a time on one thread each; one that measures speed, TIMED, alone after them) and
  written to `.cache/notebooks/<key>/gallery/<stem>.ipynb`, where the key hashes the script,
  every `snippets` module it imports (followed transitively), the setup cell and the torch
  version: a notebook re-executes when the code it runs changes, and only then. Its File is
  pointed at that notebook, which mkdocs-jupyter (`include: gallery/*.ipynb`,
  `execute: false`) renders without the setup cell (`remove_tag_config`) and copies beside
  the page (`include_source`): the notebook readers download, outputs included.
* Each topic page ends with the record of its last verification, read from what the test
  run wrote (`tools/verification.py`), never typed.
* The gallery index lists each notebook with its thumbnail, headline result and time, read
  from the records the executed notebooks wrote (`snippets/_gallery.py`), put in at
  `on_post_page`.
* Gallery pages are made light (styles purged, figures as files) and link their notebook
  (page.meta["notebook"], shown by docs/overrides/partials/notebook-links.html): Colab, the
  executed .ipynb and the jupytext script.
* Each executed notebook is also published as gallery/<stem>.ipynb, the file the deploy
  workflow pushes to the branch Colab opens.
* Each page's description, for search engines and link previews, is its first paragraph
  (`description`), unless its front matter gives one.
"""

from __future__ import annotations

import ast
import hashlib
import html
import json
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath

import jupytext
import nbclient
import nbformat
import torch
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

from tools import figures
from tools.data import prepare
from tools.notebook_pages import (
    FigureAltError,
    colab_url,
    figure_alts,
    lighten,
    setup_cell,
    with_setup_cell,
)
from tools.paths import CACHE, GALLERY_RECORDS, NOT_TOPICS, ROOT
from tools.site_checks import text_of
from tools.sybil_pages import run_page
from tools.verification import page_footer

EXECUTED = CACHE / "notebooks"
INLINE_FIGURES = "module://matplotlib_inline.backend_inline"  # ipykernel's default
GALLERY_MARKER = "<!-- gallery:index -->"
# Notebooks (the gallery's and the topic pages') are executed WORKERS at a time, one thread
# each (as conftest.py sets for the tests): on two cores that trains a small CNN 1.3x faster
# than one kernel at a time on two threads.
WORKERS = 2
ONE_THREAD = {"OMP_NUM_THREADS": "1"}
TIMED = {"speed"}  # gallery/<stem>.py that measure speed: each runs alone, on every core
_figures: list[Path] = []
_executed: dict[str, Path] = {}  # src_uri of a gallery script -> its executed notebook
_gallery_pages = []


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


def notebook_key(source: Path, setup: str) -> str:
    """What an executed gallery notebook depends on: its script, the snippets modules it
    imports, the setup cell and the torch version."""
    digest = hashlib.sha256(source.read_bytes())
    for module in sorted(snippet_imports(source)):
        digest.update(module.relative_to(ROOT).as_posix().encode() + b"\0" + module.read_bytes())
    digest.update(setup.encode())
    digest.update(torch.__version__.encode())
    return digest.hexdigest()


def gallery_records(stem: str) -> list[Path]:
    """What a full run of gallery/<stem>.py writes for the gallery index."""
    return [GALLERY_RECORDS / f"{stem}.json", GALLERY_RECORDS / f"{stem}.png"]


def execute(notebook: nbformat.NotebookNode, env: dict[str, str] | None = None) -> None:
    """Run every cell in a new python3 kernel started in the repository root. The kernel
    inherits this process's environment (in the offline build, tools.offline.build_env, it
    cannot reach the network either) and `env`, except that it shows figures inline whatever
    backend MPLBACKEND names here (the tests' Agg would leave the pages without figures)."""
    nbclient.NotebookClient(
        notebook,
        timeout=None,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(ROOT)}},
    ).execute(env={**os.environ, **(env or {}), "MPLBACKEND": INLINE_FIGURES})


def executed_notebook(source: Path, repo_url: str, env: dict[str, str] | None = None) -> Path:
    """gallery/<stem>.py with the setup cell, executed (in a kernel with `env`): from the
    cache when the code it runs has not changed since a run that wrote its records, else run
    now. Older runs of the same notebook are removed."""
    setup = setup_cell(repo_url)
    target = EXECUTED / notebook_key(source, setup) / "gallery" / f"{source.stem}.ipynb"
    if not all(path.is_file() for path in [target, *gallery_records(source.stem)]):
        notebook = with_setup_cell(jupytext.read(source), repo_url)
        try:
            execute(notebook, env)
        except Exception as error:
            raise PluginError(f"gallery/{source.name} failed to execute:\n{error}") from error
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        nbformat.write(notebook, partial)
        partial.replace(target)
    for stale in EXECUTED.glob(f"*/gallery/{source.stem}.ipynb"):
        if stale != target:
            shutil.rmtree(stale.parent.parent)
    return target


def on_pre_build(config):
    prepare()
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


def is_gallery_script(file: File) -> bool:
    path = PurePosixPath(file.src_uri)
    return path.parent == PurePosixPath("gallery") and path.suffix == ".py"


def execute_gallery(scripts: list[Path], repo_url: str) -> list[Path]:
    """The executed notebooks of `scripts`: WORKERS at a time, one thread each; a notebook
    that measures speed (TIMED) runs after them, alone, with every thread."""
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        running = {
            script: pool.submit(executed_notebook, script, repo_url, ONE_THREAD)
            for script in scripts
            if script.stem not in TIMED
        }
    done = {script: future.result() for script, future in running.items()}
    return [done.get(script) or executed_notebook(script, repo_url) for script in scripts]


@event_priority(100)  # before mkdocs-jupyter's, which includes the files it finds pointed here
def on_files(files, config):
    for figure in _figures:
        files.append(File.generated(config, f"figures/{figure.name}", abs_src_path=str(figure)))
    gallery = [f for f in files if is_gallery_script(f) and not f.inclusion.is_excluded()]
    notebooks = execute_gallery([Path(file.abs_src_path) for file in gallery], config["repo_url"])
    _executed.clear()
    for file, notebook in zip(gallery, notebooks, strict=True):
        _executed[file.src_uri] = notebook
        file.abs_src_path = str(notebook)
    return files


def on_nav(nav, config, files):
    # mkdocs-jupyter wraps each file it includes in a NotebookFile, which derives
    # abs_src_path from the docs folder again: point the wrapper at the notebook too.
    _gallery_pages.clear()
    for file in files:
        if file.src_uri in _executed:
            file.abs_src_path = str(_executed[file.src_uri])
            _gallery_pages.append(file.page)
    # The gallery index lists the notebooks in the navigation's order, as the home page does.
    order = {page.file.src_uri: index for index, page in enumerate(nav.pages)}
    _gallery_pages.sort(key=lambda page: order.get(page.file.src_uri, len(order)))


def gallery_cards(site_dir: Path) -> str:
    thumbs = site_dir / "gallery" / "thumbs"
    thumbs.mkdir(parents=True, exist_ok=True)
    cards = []
    for page in _gallery_pages:
        stem = Path(page.file.src_uri).stem
        record_path, thumbnail = gallery_records(stem)
        if not record_path.is_file():
            raise FileNotFoundError(f"gallery/{stem}.py ran but wrote no record {record_path}")
        record = json.loads(record_path.read_text(encoding="utf-8"))
        shutil.copyfile(thumbnail, thumbs / f"{stem}.png")
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


def on_page_context(context, page, config, nav):
    if page in _gallery_pages:
        stem = Path(page.file.src_uri).stem
        # Beside the page: the notebook mkdocs-jupyter copies there, the script on_post_build does.
        page.meta["notebook"] = {
            "colab": colab_url(config["repo_url"], stem),
            "ipynb": f"{stem}.ipynb",
            "py": f"{stem}.py",
        }
    return context


def on_post_page(output, page, config):
    if page.file.src_uri == "gallery/index.md":
        output = output.replace(GALLERY_MARKER, gallery_cards(Path(config["site_dir"])))
    elif page in _gallery_pages:
        script = Path(config["docs_dir"]) / page.file.src_uri
        try:
            alts = figure_alts(nbformat.read(_executed[page.file.src_uri], as_version=4), script)
            output = lighten(output, Path(page.file.abs_dest_path).parent, alts)
        except FigureAltError as error:
            raise PluginError(str(error)) from error
    return output


def on_post_build(config):
    for page in _gallery_pages:
        stem = Path(page.file.src_uri).stem
        shutil.copyfile(
            Path(config["docs_dir"]) / page.file.src_uri,
            Path(page.file.abs_dest_path).parent / f"{stem}.py",
        )
        # The published notebook: the gallery index links it, the deploy workflow pushes it to
        # the branch Colab opens.
        shutil.copyfile(
            _executed[page.file.src_uri], Path(config["site_dir"]) / "gallery" / f"{stem}.ipynb"
        )


DESCRIPTION_LENGTH = 160  # about what a search engine shows of a page's description
PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
SENTENCE = re.compile(r".+?[.!?](?=\s|$)")


def description(page_html: str) -> str | None:
    """The first paragraph of a page as text, in at most DESCRIPTION_LENGTH characters: its
    whole sentences that fit, if they make three quarters of that, else its first words."""
    first = PARAGRAPH.search(page_html)
    if first is None:
        return None
    text = " ".join(text_of(first[1]).split())
    if len(text) <= DESCRIPTION_LENGTH:
        return text
    kept = ""
    for sentence in SENTENCE.findall(text):
        if len(kept) + len(sentence) > DESCRIPTION_LENGTH:
            break
        kept += sentence
    if len(kept) >= DESCRIPTION_LENGTH * 3 // 4:
        return kept.strip()
    return text[: DESCRIPTION_LENGTH - 1].rsplit(" ", 1)[0].rstrip(",;:") + "\u2026"


def on_page_content(page_html, page, config, files):
    if "description" not in page.meta and (text := description(page_html)):
        page.meta["description"] = text
    return page_html


def on_page_markdown(markdown, page, config, files):
    if page.file.src_uri.startswith("gallery/") or page.file.src_uri in NOT_TOPICS:
        return markdown
    return markdown + "\n\n" + page_footer(page.file.src_uri)
