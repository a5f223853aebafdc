"""Each topic page as a notebook (tools/page_notebooks.py): the cells a page becomes, the key
that decides when it runs again, what a failing cell says, and one real run."""

import textwrap
import time
from pathlib import Path
from typing import ClassVar

import pytest
import torch
from mkdocs.config import load_config
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from nbclient.exceptions import CellExecutionError

from tools import page_notebooks
from tools.offline import build_env
from tools.page_notebooks import SKIP_TAG, Site, dependencies, execute, executed, page_notebook
from tools.paths import MKDOCS_YML, ROOT
from tools.sybil_pages import snippet_options

SITE_URL = "https://example.org/guide/"

MODULE = '''\
"""A snippets module."""

# --8<-- [start:make]
import torch

total = 1 + 2
print(total)
# --8<-- [end:make]

# --8<-- [start:exercise-1]
assert total + 1 == 4
# --8<-- [end:exercise-1]
'''

PAGE = """\
# Demo

Some prose with a [link](tensors.md#x) and ![a figure](figures/demo-1.png).
<!-- a comment -->

```python
--8<-- "demo.py:make"
```

```text title="Output"
3
```

```pycon
>>> total
3
>>> total + 1
4
```

!!! note "Shapes"
    Body of the note, see [above](#demo).

<!-- skip: next if(not torch.cuda.is_available(), reason="needs a CUDA GPU") -->
```python
x = torch.ones(1).to("cuda")
```

## Exercises

1.  Add one.

    ??? success "Solution"

        ```python
        --8<-- "demo.py:exercise-1"
        ```
"""


def write_page(folder: Path, text: str = PAGE, module: str = MODULE) -> Path:
    (folder / "demo.py").write_text(module, encoding="utf-8")
    page = folder / "demo.md"
    page.write_text(text, encoding="utf-8")
    return page


def site(folder: Path) -> Site:
    """The site of the build, with the snippets base path in `folder`."""
    urls = {
        "demo.md": "demo/",
        "tensors.md": "tensors/",
        "figures/demo-1.png": "figures/demo-1.png",
    }
    return Site(SITE_URL, urls, {**snippet_options(), "base_path": [str(folder)]})


def generate(folder: Path) -> page_notebooks.PageNotebook:
    return page_notebook(folder / "demo.md", "demo.md", site(folder))


@pytest.fixture
def cpu(monkeypatch):
    """A machine without a GPU, where the tests skip the CUDA-only blocks."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


def test_a_page_becomes_prose_and_code_cells(tmp_path, cpu):
    write_page(tmp_path)
    generated = generate(tmp_path)
    cells = [
        (cell.cell_type, cell.source, cell.metadata.get("tags", []))
        for cell in generated.notebook.cells
    ]
    header, *rest = cells
    assert header[0] == "markdown"
    assert f"[Demo]({SITE_URL}demo/)" in header[1]
    pins = dependencies()
    assert f"pip install torch=={pins['torch']} torchvision=={pins['torchvision']}\n" in header[1]
    assert rest == [
        (
            "markdown",
            f"# Demo\n\nSome prose with a [link]({SITE_URL}tensors/#x) and "
            f"![a figure]({SITE_URL}figures/demo-1.png).",
            [],
        ),
        # The include expanded as the build expands it; the Output fence left out.
        ("code", "import torch\n\ntotal = 1 + 2\nprint(total)", []),
        # Each >>> example a cell of its own, without prompts, so that each shows its value.
        ("code", "total", []),
        ("code", "total + 1", []),
        ("markdown", f"**Shapes**\n\nBody of the note, see [above]({SITE_URL}demo/#demo).", []),
        ("markdown", "*This cell needs a CUDA GPU: it was not run for this notebook.*", []),
        ("code", 'x = torch.ones(1).to("cuda")', [SKIP_TAG]),
        # The solution's admonition: a bold title, not indented as a code block.
        ("markdown", "## Exercises\n\n1.  Add one.\n\n    **Solution**", []),
        ("code", "assert total + 1 == 4", []),
    ]
    # Each code cell knows the page line of its block (the line of its first line of code).
    assert [line for line in generated.lines if line is not None] == [7, 15, 17, 26, 36]
    assert len({cell.id for cell in generated.notebook.cells}) == len(cells)


def test_the_pages_own_skip_conditions_decide_what_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    write_page(tmp_path)
    code = [cell for cell in generate(tmp_path).notebook.cells if cell.cell_type == "code"]
    assert not any(cell.metadata.get("tags") for cell in code), "on a GPU the CUDA block runs"

    text = PAGE.replace("<!-- skip: next", "<!-- skip: start").replace(
        "## Exercises", "<!-- skip: end -->\n\n## Exercises"
    )
    text = text.replace('if(not torch.cuda.is_available(), reason="needs a CUDA GPU")', "")
    write_page(tmp_path, text)
    tagged = [
        cell.source for cell in generate(tmp_path).notebook.cells if cell.metadata.get("tags")
    ]
    assert tagged == ['x = torch.ones(1).to("cuda")'], "an unconditional skip: start ... end"


def test_the_key_follows_the_included_code_only(tmp_path, cpu, monkeypatch):
    write_page(tmp_path)
    first = generate(tmp_path).key
    assert generate(tmp_path).key == first
    write_page(tmp_path, module=MODULE.replace('"""A snippets module."""', '"""Reworded."""'))
    assert generate(tmp_path).key == first, "a line no cell shows changed the key"
    write_page(tmp_path, module=MODULE.replace("1 + 2", "2 + 1"))
    second = generate(tmp_path).key
    assert second != first
    monkeypatch.setattr(torch, "__version__", "0.0.1")
    assert generate(tmp_path).key != second


class FakeClient:
    """nbclient.NotebookClient without a kernel: it runs no code, and fails at a cell whose
    source contains "fail" with nbclient's own error (ANSI colours included)."""

    runs: ClassVar[list] = []

    def __init__(self, notebook, **options):
        self.notebook, self.options = notebook, options

    def execute(self, env):
        FakeClient.runs.append((self.options, env))
        for index, cell in enumerate(self.notebook.cells):
            self.options["on_cell_start"](cell=cell, cell_index=index)
            if "fail" in cell.source and cell.cell_type == "code":
                raise CellExecutionError(
                    "\x1b[0;31mZeroDivisionError\x1b[0m: division by zero", "ZeroDivisionError", ""
                )


@pytest.fixture
def fake_client(monkeypatch, tmp_path):
    FakeClient.runs = []
    monkeypatch.setattr(page_notebooks.nbclient, "NotebookClient", FakeClient)
    monkeypatch.setattr(page_notebooks, "PAGE_NOTEBOOKS", tmp_path / "cache")
    return FakeClient.runs


def test_a_failing_cell_names_the_page_the_cell_and_the_line(tmp_path, cpu, fake_client):
    write_page(tmp_path, PAGE.replace(">>> total + 1\n4", ">>> fail\n4"))
    with pytest.raises(PluginError) as failure:
        executed(generate(tmp_path))
    message = str(failure.value)
    assert message.startswith(f"{tmp_path / 'demo.md'}: cell 5 of its notebook, the code block ")
    assert "at line 17, failed:\nZeroDivisionError: division by zero" in message
    assert not list((tmp_path / "cache").rglob("*.ipynb")), "a failed run was cached"


def test_the_kernel_starts_in_the_root_and_skips_the_tagged_cells(tmp_path, cpu, fake_client):
    write_page(tmp_path)
    execute(generate(tmp_path))
    ((options, env),) = fake_client
    assert options["resources"] == {"metadata": {"path": str(ROOT)}}
    assert options["kernel_name"] == "python3"
    assert not options["allow_errors"]
    assert "skip_cells_with_tag" not in options, f"nbclient skips cells tagged {SKIP_TAG}"
    assert env["MPLBACKEND"] == page_notebooks.INLINE_FIGURES


def test_a_warm_build_executes_nothing_and_stale_runs_go(tmp_path, cpu, fake_client):
    write_page(tmp_path)
    first = executed(generate(tmp_path))
    assert executed(generate(tmp_path)) == first
    assert len(fake_client) == 1, "an unchanged notebook ran again"
    write_page(tmp_path, module=MODULE.replace("1 + 2", "2 + 1"))
    second = executed(generate(tmp_path))
    assert len(fake_client) == 2
    assert list((tmp_path / "cache").iterdir()) == [second.parent], "the old run was kept"


def test_a_topic_page_links_its_published_notebook(tmp_path, cpu, fake_client, monkeypatch):
    """The build's events, through the plugins and hooks mkdocs.yml configures."""
    docs, site_dir = tmp_path / "docs", tmp_path / "site"
    docs.mkdir()
    for name in ("demo.md", "index.md", "prose.md"):
        code = "" if name == "prose.md" else "```python\nprint(1)\n```\n"
        (docs / name).write_text(f"# {name}\n\n{code}", encoding="utf-8")
    config = load_config(str(MKDOCS_YML), docs_dir=str(docs), site_dir=str(site_dir))
    files = Files(
        [File(name, str(docs), str(site_dir), True) for name in ("demo.md", "index.md", "prose.md")]
    )
    hooks = config["hooks"]["tools/page_notebooks.py"]  # the module mkdocs loaded
    monkeypatch.setattr(hooks, "PAGE_NOTEBOOKS", tmp_path / "cache")
    files = config.plugins.on_files(files, config=config)
    published = [file.src_uri for file in files if file.src_uri.startswith("notebooks/")]
    assert published == ["notebooks/demo.ipynb"], "only topic pages with code get a notebook"

    page = Page("Demo", files.get_file_from_path("demo.md"), config)
    hooks.on_page_context({}, page=page, config=config, nav=None)
    links = page.meta["page_notebook"]
    owner_repo = config["repo_url"].removeprefix("https://github.com/")
    assert links == {
        "colab": f"https://colab.research.google.com/github/{owner_repo}/blob/notebooks/"
        "notebooks/demo.ipynb",
        "ipynb": "../notebooks/demo.ipynb",  # from demo/, the page's folder
    }
    partial = config.theme.get_env().get_template("partials/page-notebook-links.html")
    html = partial.render(page=page)
    assert f'<a href="{links["colab"]}">Open in Colab</a>' in html
    assert '<a href="../notebooks/demo.ipynb" download>Download notebook</a>' in html
    assert not partial.render(
        page=Page("Prose", files.get_file_from_path("prose.md"), config)
    ).strip()


def test_a_generated_notebook_runs_offline_in_the_repository_root(tmp_path, cpu, monkeypatch):
    """One real kernel (about 3 s), with the build's environment, which it inherits."""
    for name, value in build_env().items():
        monkeypatch.setenv(name, value)
    code = """\
    import os
    import socket

    print(os.getcwd())
    try:
        socket.getaddrinfo("example.com", 80)
    except OSError as error:
        print(type(error).__name__)
    """
    gpu_only = PAGE[PAGE.index("<!-- skip") : PAGE.index("## Exercises")]
    write_page(tmp_path, f"# Demo\n\n```python\n{textwrap.dedent(code)}```\n\n{gpu_only}")
    start = time.perf_counter()
    run = execute(generate(tmp_path))
    assert time.perf_counter() - start < 5
    ran, skipped = (cell for cell in run.cells if cell.cell_type == "code")
    assert ran.outputs[0]["text"] == f"{ROOT}\nNetworkBlockedError\n"
    assert skipped.metadata["tags"] == [SKIP_TAG]
    assert skipped.execution_count is None, "the CUDA cell ran"
    assert not skipped.outputs
