"""Every topic page as a Jupyter notebook, run at build (a MkDocs hook module).

For each topic page docs/<name>.md with Python blocks, `page_notebook` writes the notebook a
reader gets from "Download notebook" and "Open in Colab":

* a first Markdown cell: where the notebook comes from, and what to install;
* the page's prose as Markdown cells, without HTML comments, each admonition or content tab
  as a bold title line and its body; relative links and images point at the published site;
* each Python block as a code cell whose include lines are expanded by pymdownx.snippets
  exactly as the tests expand them (`tools.sybil_pages.split_block`); each `>>>` example of a
  `pycon` block as a code cell of its own, without prompts, so that each shows its value;
* a block the tests skip (`<!-- skip: next if(...) -->`, or between `skip: start` and
  `skip: end`: CUDA-only code, a download) as a code cell tagged SKIP_TAG, which nbclient does
  not run, after a note that says why.

The Output fences are left out: the build executes each notebook with nbclient in a kernel
started in the repository root (so `root="data"` finds the data sets) that inherits the
build's environment (`python -m tools.offline`: no network), and publishes the executed
notebook as site/notebooks/<name>.ipynb; the deploy workflow pushes those to the branch Colab
opens. A cell that fails fails the build, naming the page, the cell and the line of its block.
An executed notebook is cached under .cache/page-notebooks/<key>/<name>.ipynb, the key hashing
the generated notebook (the code of every section it includes, then) and the torch version:
a rebuild executes only the notebooks whose code changed.
"""

from __future__ import annotations

import copy
import doctest
import hashlib
import os
import posixpath
import re
import shutil
import tomllib
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import nbclient
import nbformat
import torch
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from sybil import Document
from sybil.evaluators.skip import If
from sybil.parsers.markdown import SkipParser
from sybil.parsers.markdown.lexers import RawFencedCodeBlockLexer

from tools.mkdocs_hooks import INLINE_FIGURES, ONE_THREAD, WORKERS
from tools.notebook_pages import colab_url
from tools.paths import PAGE_NOTEBOOKS, PYPROJECT, ROOT
from tools.sybil_pages import (
    INFO,
    OUTPUT_TITLE,
    PYTHON_LANGUAGES,
    line_of,
    mkdocs_settings,
    relative,
    snippet_options,
)
from tools.sybil_pages import split_block as expand

FOLDER = "notebooks"  # site/notebooks/<name>.ipynb, and the same path on the notebook branch
SKIP_TAG = "skip-execution"  # nbclient.NotebookClient.skip_cells_with_tag's default
# torch and torchvision decide what the code prints, and go together: both pinned.
PINNED = ("torch", "torchvision")
KERNEL_ENV = {
    "MPLBACKEND": INLINE_FIGURES,  # figures as outputs, whatever backend the build uses
    **ONE_THREAD,  # WORKERS kernels at a time, as the gallery's
    # No progress bars: the kernel has no widgets for them, and tqdm would say so and print
    # its bar's updates to stderr.
    "TQDM_DISABLE": "1",
    "PYTHONWARNINGS": "ignore:IProgress not found",
    # The PyTorch profiler's own log (kineto, C++, written to the kernel's stderr): its
    # `USDT ... profiler_start` lines and, on a machine without a GPU driver,
    # `gpuGetDeviceCount failed` speak of the build machine, not of the page's code.
    "KINETO_LOG_LEVEL": "6",
}

COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# `!!! note "Title"`, `??? success "Solution"`, `???+ tip`, and content tabs `=== "Title"`.
HEADING = re.compile(
    r"""^(?P<indent>[ \t]*)"""
    r"""(?:(?:!!!|\?\?\?\+?)[ \t]+(?P<kind>[\w-]+)(?:[ \t]+"(?P<title>[^"]*)")?"""
    r"""|===\+?[ \t]+"(?P<tab>[^"]*)")[ \t]*$"""
)
LINK = re.compile(r"\]\((?P<target>[^)\s]+)")
IMPORT = re.compile(r"^[ \t]*(?:from|import)[ \t]+(?P<name>\w+)", re.MULTILINE)
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # the colours of IPython's tracebacks

# src_uri of a topic page -> its published notebook, from on_files to on_page_context.
_published: dict[str, File] = {}


@dataclass(frozen=True)
class Site:
    """What a notebook's links and code depend on in the build."""

    url: str  # site_url, ending with "/"
    urls: Mapping[str, str]  # src_uri of each file of the build -> its URL in the site
    snippets: dict  # the pymdownx.snippets options


@dataclass
class PageNotebook:
    page: Path
    notebook: nbformat.NotebookNode
    lines: list[int | None]  # for each cell, the page line of its block (None: prose)

    @property
    def stem(self) -> str:
        return self.page.stem

    @property
    def key(self) -> str:
        """What its outputs depend on: the notebook as generated, the kernel's environment and
        the torch version."""
        digest = hashlib.sha256(nbformat.writes(self.notebook).encode())
        digest.update(repr(sorted(KERNEL_ENV.items())).encode())
        digest.update(torch.__version__.encode())
        return digest.hexdigest()


@dataclass
class _Cells:
    """The cells of a notebook being written, Markdown gathered line by line."""

    cells: list = field(default_factory=list)
    lines: list[int | None] = field(default_factory=list)
    prose: list[str] = field(default_factory=list)

    def text(self, line: str) -> None:
        self.prose.append(line)

    def markdown(self, source: str) -> None:
        self.cells.append(nbformat.v4.new_markdown_cell(source))
        self.lines.append(None)

    def flush(self) -> None:
        source = COMMENT.sub("", "\n".join(self.prose)).strip("\n")
        if source.strip():
            self.markdown(outdent_start(source))
        self.prose = []

    def code(self, source: str, line: int, skipped: str | None) -> None:
        self.flush()
        if skipped is not None:
            self.markdown(f"*This cell {skipped}: it was not run for this notebook.*")
        tags = {"tags": [SKIP_TAG]} if skipped is not None else {}
        self.cells.append(nbformat.v4.new_code_cell(source.rstrip("\n"), metadata=tags))
        self.lines.append(line)

    def after_run_code(self) -> bool:
        """Whether an executed code cell comes last, with nothing but blank lines after it:
        the Output fence here shows what the notebook's own output will show."""
        last = self.cells[-1] if self.cells else None
        return (
            last is not None
            and last.cell_type == "code"
            and SKIP_TAG not in last.metadata.get("tags", [])
            and not "".join(self.prose).strip()
        )


def outdent_start(source: str) -> str:
    """Markdown that goes on with a list item after a code cell split it, without the item's
    indentation, which would make it an indented code block at the top of a cell."""
    lines = source.split("\n")
    indent = len(lines[0]) - len(lines[0].lstrip())
    for number, line in enumerate(lines):
        if line.strip() and len(line) - len(line.lstrip()) < indent:
            break
        lines[number] = line[indent:]
    return "\n".join(lines)


def dedent(line: str, depth: int) -> str:
    """The line without up to `depth` leading spaces (the indentation of the admonitions and
    tabs it is inside)."""
    return line[min(depth, len(line) - len(line.lstrip(" "))) :]


def absolute_links(line: str, src_uri: str, site: Site) -> str:
    """Relative link and image targets of a line of `src_uri` made absolute URLs in the site:
    `tensors.md#x` -> `<site_url>tensors/#x`, `#x` -> the page's own URL with `#x`."""

    def absolute(match: re.Match) -> str:
        target = match["target"]
        if urlsplit(target).scheme or target.startswith("/"):
            return match[0]
        path, hash_, fragment = target.partition("#")
        if path:
            path = posixpath.normpath(posixpath.join(posixpath.dirname(src_uri), path))
        else:
            path = src_uri
        return f"]({site.url}{site.urls.get(path, path)}{hash_}{fragment}"

    return LINK.sub(absolute, line)


def skip_reason(condition: str | None) -> str | None:
    """Why the tests skip the block under a skip directive with this condition, evaluated as
    Sybil evaluates it, here (`if(not torch.cuda.is_available(), reason="needs a CUDA GPU")`
    gives "needs a CUDA GPU" on a machine without one); None: they run it."""
    if condition is None:
        return "is skipped when the page is tested"
    expression, namespace = condition.strip(), {"torch": torch}
    if expression.startswith("if"):
        namespace["if_"] = If(expression[2:])
        expression = "if_" + expression[2:]
    return eval(expression, namespace) or None


@cache
def dependencies() -> dict[str, str]:
    """The project's dependencies (pyproject.toml), name -> pinned version."""
    listed = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    return dict(requirement.partition("==")[::2] for requirement in listed)


def install_line(notebook: nbformat.NotebookNode) -> str:
    """pip install of torch and torchvision at their pins, and of the project's other
    dependencies that the notebook imports (their import names are their names)."""
    imported = {
        match["name"]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for match in IMPORT.finditer(cell.source)
    }
    pinned = [f"{name}=={dependencies()[name]}" for name in PINNED]
    others = [name for name in dependencies() if name in imported and name not in PINNED]
    return "pip install " + " ".join(pinned + others)


def header(title: str, page_url: str, notebook: nbformat.NotebookNode) -> str:
    return (
        f"This notebook was generated from the page [{title}]({page_url}) of the PyTorch Field "
        "Guide and run top to bottom when the site was built: the outputs are what the code "
        "printed then.\n\n"
        "To run it yourself, first install what it imports, in a terminal or (with a `%` in "
        "front) in a notebook cell:\n\n"
        f"```\n{install_line(notebook)}\n```"
    )


def page_notebook(page: Path, src_uri: str, site: Site) -> PageNotebook:
    """The notebook of a page (`src_uri` is its path in the docs folder)."""
    text = page.read_text(encoding="utf-8")
    lines = text.split("\n")
    document = Document(text, str(page))
    lexer = RawFencedCodeBlockLexer(
        info_pattern=INFO,
        mapping={"language": "language", "attributes": "attributes", "source": "source"},
    )
    fences, end = {}, -1
    for region in sorted(lexer(document), key=lambda region: region.start):
        if region.start > end:  # a fence inside another is the outer one's text
            fences[line_of(text, region.start) - 1] = region
            end = region.end
    skips = {line_of(text, region.start) - 1: region.parsed for region in SkipParser()(document)}
    cells = _Cells()
    open_headings: list[int] = []  # indents of the admonitions and tabs the line is inside
    skip_next = skip_block = None
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.strip():
            indent = len(line) - len(line.lstrip())
            while open_headings and indent <= open_headings[-1]:
                open_headings.pop()
        depth = 4 * len(open_headings)
        if index in skips:
            action, condition = skips[index]
            if action == "next":
                skip_next = skip_reason(condition)
            elif action == "start":
                skip_block = skip_reason(condition)
            elif action == "end":
                skip_block = None
        if index in fences:
            region = fences[index]
            last = line_of(text, region.end) - 1
            language, source = region.lexemes["language"], str(region.lexemes["source"])
            first = index + 2  # the 1-based page line of the block's first line of code
            if OUTPUT_TITLE.search(region.lexemes["attributes"]) and cells.after_run_code():
                pass  # the executed cell shows its own output
            elif language in PYTHON_LANGUAGES:
                skipped, skip_next = skip_next or skip_block, None
                if source.lstrip().startswith(">>>"):
                    for example in doctest.DocTestParser().get_examples(source):
                        cells.code(example.source, first + example.lineno, skipped)
                else:
                    chunks = expand(source, first, page, site.snippets)
                    cells.code("".join(chunk.source for chunk in chunks), first, skipped)
            else:
                for fence_line in lines[index : last + 1]:
                    cells.text(dedent(fence_line, depth))
            index = last + 1
            continue
        heading = HEADING.match(dedent(line, depth))
        if heading:
            title = heading["tab"] or heading["title"] or heading["kind"].capitalize()
            cells.text(f"{heading['indent']}**{title}**")
            cells.text("")
            open_headings.append(len(heading["indent"]) + depth)
        else:
            cells.text(absolute_links(dedent(line, depth), src_uri, site))
        index += 1
    cells.flush()
    title = next((line[2:].strip() for line in lines if line.startswith("# ")), page.stem)
    notebook = nbformat.v4.new_notebook(
        cells=cells.cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
    )
    page_url = site.url + site.urls.get(src_uri, src_uri)
    notebook.cells.insert(0, nbformat.v4.new_markdown_cell(header(title, page_url, notebook)))
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number}"  # nbformat's are random: the key would change every build
    return PageNotebook(page, notebook, [None, *cells.lines])


def execute(page: PageNotebook) -> nbformat.NotebookNode:
    """The notebook run top to bottom in a new python3 kernel started in the repository root,
    with this process's environment (figures inline, as in Jupyter)."""
    notebook = copy.deepcopy(page.notebook)
    started: list[int] = []
    client = nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        allow_errors=False,
        resources={"metadata": {"path": str(ROOT)}},
        coalesce_streams=True,  # a progress bar's updates: its last state
        on_cell_start=lambda cell, cell_index: started.append(cell_index),
    )
    try:
        client.execute(env={**os.environ, **KERNEL_ENV})
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
        number = started[-1]
        raise PluginError(
            f"{relative(page.page)}: cell {number + 1} of its notebook, the code block at line "
            f"{page.lines[number]}, failed:\n{ANSI.sub('', str(error))}"
        ) from None
    return notebook


def executed(page: PageNotebook) -> Path:
    """The executed notebook: from the cache if this notebook has run with this torch, else
    run now. The page's notebooks of other keys are removed."""
    target = PAGE_NOTEBOOKS / page.key / f"{page.stem}.ipynb"
    if not target.is_file():
        notebook = execute(page)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        nbformat.write(notebook, partial)
        partial.replace(target)
    for stale in PAGE_NOTEBOOKS.glob(f"*/{page.stem}.*"):
        if stale.parent != target.parent:
            shutil.rmtree(stale.parent)
    return target


def is_topic_page(file: File) -> bool:
    path = PurePosixPath(file.src_uri)
    return path.parent == PurePosixPath(".") and path.suffix == ".md" and path.stem != "index"


@event_priority(-100)  # last: every file of the build is known, with its URL
def on_files(files, config):
    config_file = Path(config.config_file_path)
    site = Site(
        # site_url as mkdocs.yml gives it (`mkdocs serve` replaces it with its own address).
        mkdocs_settings(config_file)["site_url"],
        {file.src_uri: file.url for file in files},
        snippet_options(config_file),
    )
    notebooks = {
        file.src_uri: notebook
        for file in files.documentation_pages()
        if is_topic_page(file)
        for notebook in [page_notebook(Path(file.abs_src_path), file.src_uri, site)]
        if any(cell.cell_type == "code" for cell in notebook.notebook.cells)
    }
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        paths = list(pool.map(executed, notebooks.values()))
    _published.clear()
    for (src_uri, notebook), path in zip(notebooks.items(), paths, strict=True):
        name = f"{FOLDER}/{notebook.stem}.ipynb"
        _published[src_uri] = File.generated(config, name, abs_src_path=str(path))
        files.append(_published[src_uri])
    return files


def on_page_context(context, page, config, nav):
    published = _published.get(page.file.src_uri)
    if published is not None:
        # Shown by docs/overrides/partials/page-notebook-links.html.
        page.meta["page_notebook"] = {
            "colab": colab_url(config["repo_url"], Path(page.file.src_uri).stem, FOLDER),
            "ipynb": published.url_relative_to(page.file),
        }
    return context
