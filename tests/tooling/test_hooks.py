"""The build's hooks: the gallery notebooks are executed by the hooks (again only when the code
they run changes) and rendered by mkdocs-jupyter without their setup cell, with links to files
that exist; each page's verification footer says what the test run recorded."""

import json
import re
import threading
from pathlib import Path

import jupytext
import nbformat
import pytest
import torch
from mkdocs.config import load_config
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

from tools import mkdocs_hooks
from tools.notebook_pages import SETUP_TAG, colab_url, setup_cell
from tools.offline import build_env
from tools.paths import GALLERY, MKDOCS_YML, ROOT
from tools.verification import page_footer

REPO = "https://github.com/pytorch-field-guide/pytorch-field-guide"
HOOKS = "tools/mkdocs_hooks.py"  # as mkdocs.yml names it


def write_script(path: Path, *cells: str) -> Path:
    """A jupytext percent script: a title cell, then the given code cells."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f"\n# %%\n{cell}\n" for cell in cells)
    path.write_text(f"# %% [markdown]\n# # {path.stem.title()}\n{body}", encoding="utf-8")
    return path


def notebook(*cells: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])


def stdout(executed: nbformat.NotebookNode) -> str:
    return "".join(
        output.get("text", "") for cell in executed.cells for output in cell.get("outputs", [])
    )


def test_a_notebook_depends_on_the_snippets_it_imports_transitively(tmp_path, monkeypatch):
    package = tmp_path / "snippets"
    package.mkdir()
    (package / "a.py").write_text("from snippets.b import thing\n")
    (package / "b.py").write_text("thing = 1\n")
    (package / "c.py").write_text("other = 2\n")
    notebook = tmp_path / "nb.py"
    notebook.write_text("import os\nfrom snippets.a import thing\n")
    monkeypatch.setattr(mkdocs_hooks, "ROOT", tmp_path)
    assert mkdocs_hooks.snippet_imports(notebook) == {package / "a.py", package / "b.py"}


def test_the_key_changes_with_the_code_the_notebook_runs_only(tmp_path, monkeypatch):
    package = tmp_path / "snippets"
    package.mkdir()
    (package / "a.py").write_text("from snippets.b import thing\n")
    (package / "b.py").write_text("thing = 1\n")
    (package / "unused.py").write_text("y = 1\n")
    script = write_script(tmp_path / "gallery" / "demo.py", "from snippets.a import thing")
    monkeypatch.setattr(mkdocs_hooks, "ROOT", tmp_path)

    def key(setup: str = setup_cell(REPO)) -> str:
        return mkdocs_hooks.notebook_key(script, setup)

    first = key()
    (package / "unused.py").write_text("y = 2\n")
    assert key() == first
    (package / "b.py").write_text("thing = 2\n")  # imported through snippets.a
    second = key()
    assert second != first
    assert key(setup_cell("https://github.com/someone/fork")) != second
    monkeypatch.setattr(torch, "__version__", "0.0.1")
    assert key() != second


def fake_kernel(hooks, tmp_path, monkeypatch) -> list:
    """The executed notebooks and the gallery records of `hooks` in tmp_path; its kernel
    replaced by a fake that counts its runs, prints from each cell and writes the records a
    run writes."""
    monkeypatch.setattr(hooks, "EXECUTED", tmp_path / "notebooks")
    monkeypatch.setattr(hooks, "GALLERY_RECORDS", tmp_path / "records")
    runs = []

    def fake_execute(notebook, env=None):
        runs.append(notebook)
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.outputs = [nbformat.v4.new_output("stream", text=f"ran: {cell.source}\n")]
        (tmp_path / "records").mkdir(exist_ok=True)
        record, thumbnail = hooks.gallery_records("demo")
        record.write_text('{"headline": "h", "seconds": 1, "device": "cpu", "torch": "t"}')
        thumbnail.write_bytes(b"png")

    monkeypatch.setattr(hooks, "execute", fake_execute)
    return runs


def test_gallery_notebooks_run_two_at_a_time_on_one_thread_and_the_timed_one_alone(
    tmp_path, monkeypatch
):
    both = threading.Barrier(2, timeout=30)  # passes only if a and b run at the same time
    running, runs = [], []

    def fake_executed_notebook(script, repo_url, env=None):
        runs.append((script.stem, env, list(running)))
        running.append(script.stem)
        if script.stem not in mkdocs_hooks.TIMED:
            both.wait()
        running.remove(script.stem)
        return tmp_path / f"{script.stem}.ipynb"

    monkeypatch.setattr(mkdocs_hooks, "executed_notebook", fake_executed_notebook)
    scripts = [tmp_path / f"{stem}.py" for stem in ("speed", "a", "b")]
    executed = mkdocs_hooks.execute_gallery(scripts, REPO)
    assert executed == [script.with_suffix(".ipynb") for script in scripts]
    assert [(stem, env) for stem, env, _ in sorted(runs[:2])] == [
        ("a", {"OMP_NUM_THREADS": "1"}),
        ("b", {"OMP_NUM_THREADS": "1"}),
    ]
    assert runs[2] == ("speed", None, []), "speed was not run alone, with every thread"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    return fake_kernel(mkdocs_hooks, tmp_path, monkeypatch)


def test_a_cache_hit_does_not_execute_and_a_change_does(tmp_path, monkeypatch, cache):
    (tmp_path / "snippets").mkdir()
    module = tmp_path / "snippets" / "demo.py"
    module.write_text("x = 1\n")
    script = write_script(tmp_path / "docs" / "gallery" / "demo.py", "from snippets.demo import x")
    monkeypatch.setattr(mkdocs_hooks, "ROOT", tmp_path)

    first = mkdocs_hooks.executed_notebook(script, REPO)
    assert len(cache) == 1
    assert mkdocs_hooks.executed_notebook(script, REPO) == first
    assert len(cache) == 1, "a cache hit executed the notebook"

    module.write_text("x = 2\n")
    second = mkdocs_hooks.executed_notebook(script, REPO)
    assert len(cache) == 2
    assert second != first
    assert not first.exists(), "the run of the old code was kept"
    assert list((tmp_path / "notebooks").iterdir()) == [second.parent.parent]

    # A hit also needs the records the run wrote for the gallery index.
    mkdocs_hooks.gallery_records("demo")[0].unlink()
    assert mkdocs_hooks.executed_notebook(script, REPO) == second
    assert len(cache) == 3


def test_the_executed_notebook_starts_with_the_tagged_setup_cell(tmp_path, cache):
    script = write_script(tmp_path / "gallery" / "demo.py", "print(1)")
    executed = nbformat.read(mkdocs_hooks.executed_notebook(script, REPO), as_version=4)
    title, setup, code = executed.cells
    assert title.cell_type == "markdown"
    assert setup.source == setup_cell(REPO)
    assert setup.metadata["tags"] == [SETUP_TAG]
    assert code.outputs[0]["text"] == "ran: print(1)\n"


def test_a_failing_notebook_fails_the_build_with_its_name_and_cell(tmp_path, monkeypatch):
    monkeypatch.setattr(mkdocs_hooks, "EXECUTED", tmp_path / "notebooks")
    script = write_script(tmp_path / "gallery" / "broken.py", "x = 1", "print(x / 0)")
    with pytest.raises(PluginError, match=r"gallery/broken\.py failed to execute") as failure:
        mkdocs_hooks.executed_notebook(script, REPO)
    assert "print(x / 0)" in str(failure.value)
    assert "ZeroDivisionError" in str(failure.value)
    assert not list((tmp_path / "notebooks").rglob("*.ipynb")), "a failed run was cached"


def test_the_kernel_runs_offline_in_the_repository_root_and_shows_figures(monkeypatch):
    for name, value in build_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MPLBACKEND", "Agg")  # what the tests use
    executed = notebook(
        "import os\nprint(os.getcwd())",
        "import socket\n"
        "try:\n    socket.getaddrinfo('example.com', 80)\n"
        "except OSError as error:\n    print(type(error).__name__)",
        "import matplotlib\nprint(matplotlib.get_backend())",
    )
    mkdocs_hooks.execute(executed)
    cwd, refused, backend = stdout(executed).splitlines()
    assert cwd == str(ROOT)
    assert refused == "NetworkBlockedError"
    assert backend == mkdocs_hooks.INLINE_FIGURES


def test_mkdocs_jupyter_renders_the_executed_notebook_and_the_links_resolve(tmp_path, monkeypatch):
    """The build's path, event by event, with these hooks and mkdocs-jupyter as mkdocs.yml
    configures them, run in their order (the other hooks of mkdocs.yml left out)."""
    docs, site = tmp_path / "docs", tmp_path / "site"
    write_script(docs / "gallery" / "demo.py", "x = 40 + 2")
    config = load_config(str(MKDOCS_YML), docs_dir=str(docs), site_dir=str(site), hooks=[HOOKS])
    plugins, plugin = config.plugins, config.plugins["mkdocs-jupyter"]
    plugin.config["cache_dir"] = str(tmp_path / "rendered")  # mkdocs.yml caches the render
    plugin.on_pre_build(config)
    hooks = config["hooks"][HOOKS]  # the module mkdocs loaded
    runs = fake_kernel(hooks, tmp_path, monkeypatch)
    script = File("gallery/demo.py", str(docs), str(site), use_directory_urls=True)
    assert not plugin.should_include(script), "mkdocs-jupyter would render the script itself"

    files = plugins.on_files(Files([script]), config=config)
    assert len(runs) == 1
    executed = Path(script.abs_src_path)
    assert executed.parent.parent.parent == hooks.EXECUTED
    assert executed.relative_to(executed.parent.parent).as_posix() == "gallery/demo.ipynb"
    assert plugin.should_include(script), "the executed notebook is not in `include`"

    pages = files.documentation_pages()
    assert len(pages) == 1, "mkdocs-jupyter did not make the notebook a page"
    page = Page("Demo", pages[0], config)
    hooks.on_nav(Navigation([page], [page]), config, files)
    assert page.file.abs_src_path == str(executed)
    plugins.on_pre_page(page, config=config, files=files)
    page.render(config, files)
    assert "ran: x = 40 + 2" in page.content, "the notebook was not rendered with its outputs"
    assert "find_spec" not in page.content, "the setup cell is on the page"

    hooks.on_page_context({}, page=page, config=config, nav=None)
    links = config.theme.get_env().get_template("partials/notebook-links.html").render(page=page)
    hrefs = re.findall(r'href="([^"]+)"', links)
    assert hrefs[0] == colab_url(config["repo_url"], "demo")
    plugins.on_post_page("", page=page, config=config)  # include_source copies the notebook
    hooks.on_post_build(config)
    page_dir = Path(page.file.abs_dest_path).parent
    downloads = [page_dir / href for href in hrefs[1:]]
    assert [path.name for path in downloads] == ["demo.ipynb", "demo.py"]
    assert all(path.is_file() for path in downloads), f"links to missing files: {downloads}"
    assert downloads[0].read_bytes() == executed.read_bytes()
    assert jupytext.read(downloads[1]).cells[1].source == "x = 40 + 2"

    card = hooks.gallery_cards(site)
    (notebook_href,) = re.findall(r'href="([^"]+\.ipynb)"', card)
    published = json.loads((site / "gallery" / notebook_href).read_text())
    code = [cell for cell in published["cells"] if cell["cell_type"] == "code"]
    assert "".join(code[0]["source"]) == setup_cell(config["repo_url"])
    assert code[1]["outputs"], "the published notebook has no outputs"


def test_the_footer_says_what_the_test_run_recorded():
    record = {
        "device_name": "AMD EPYC 9654, 16 logical cores",
        "date": "2026-11-23 18:00 UTC",
        "python": "3.11.7",
        "torch": "2.14.1",
        "torchvision": "0.29.1",
        "pages": {"tensors.md": {"passed": 30, "skipped": 1}},
    }
    footer = page_footer("tensors.md", {"cpu": record})
    assert (
        "CPU (AMD EPYC 9654, 16 logical cores): 30 blocks passed, 1 skipped on 2026-11-23 18:00 UTC"
        in footer
    )
    assert "torch 2.14.1, torchvision 0.29.1" in footer
    assert "CUDA: not run for this build" in footer
    assert "not run for this build" in page_footer("new-page.md", {"cpu": record})


def test_the_repository_gallery_notebook_keys_on_its_snippets():
    imports = mkdocs_hooks.snippet_imports(GALLERY / "xor.py")
    assert {ROOT / "snippets" / "first_model.py", ROOT / "snippets" / "_gallery.py"} <= imports


def test_a_page_is_described_by_its_first_paragraph():
    first = "<h1>Tensors</h1><p>A <em>tensor</em> is PyTorch&#x27;s array.</p><p>More.</p>"
    assert mkdocs_hooks.description(first) == "A tensor is PyTorch's array."
    assert mkdocs_hooks.description("<h1>API</h1><ul><li>torch</li></ul>") is None
    # Whole sentences, when those that fit make three quarters of the length ...
    sentences = ["This sentence has forty-seven characters in all.", "Another one."] * 4
    long = f"<p>{' '.join(sentences)}</p>"
    assert mkdocs_hooks.description(long) == " ".join(sentences[:4])  # 123 characters; five: 172
    # ... else the first words, with an ellipsis.
    words = "<p>" + "word, " * 29 + "and the end of a sentence that is too long to keep.</p>"
    described = mkdocs_hooks.description(words)
    assert described == ("word, " * 26).rstrip(", ") + "\u2026"


def test_front_matter_keeps_its_own_description():
    page_html = "<p>The first paragraph.</p>"
    config = load_config(str(MKDOCS_YML))
    for meta, expected in [({}, "The first paragraph."), ({"description": "Mine."}, "Mine.")]:
        page = Page(None, File("x.md", "docs", "site", False), config)
        page.meta = dict(meta)
        assert mkdocs_hooks.on_page_content(page_html, page, config, None) == page_html
        assert page.meta["description"] == expected
