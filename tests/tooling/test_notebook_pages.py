"""Gallery pages made light (styles purged, figures as files with their alt text) and
notebooks that run outside a checkout: tools/notebook_pages.py."""

import base64
import importlib.util
import io
import subprocess
import sys
from pathlib import Path

import jupytext
import matplotlib.pyplot as plt
import nbformat
import pytest

from tools.notebook_pages import (
    SETUP_TAG,
    FigureAltError,
    colab_url,
    figure_alts,
    lighten,
    purge,
    setup_cell,
    with_setup_cell,
)
from tools.paths import GALLERY
from tools.sybil_pages import mkdocs_settings

REPO = "https://github.com/pytorch-field-guide/pytorch-field-guide"


def test_purge_keeps_the_rules_a_page_can_use():
    css = """
    :root { --jp-cell-padding: var(--jp-base); --jp-base: 5px; --jp-widget-color: red; }
    .jp-Cell { padding: var(--jp-cell-padding); }
    .jp-Cell .jp-InputArea, .jp-Widget .jp-Slider { margin: 0; }
    .jp-Toolbar:not(.jp-Cell) { display: flex; }
    .jp-Cell:not(.jp-mod-active) { opacity: 1; }
    @media print { .jp-Cell { break-inside: avoid; } .jp-Dialog { display: none; } }
    @media print { .jp-Dialog { display: none; } }
    @keyframes spin { to { transform: rotate(1turn); } }
    .jp-Cell :is(h1, h2) .anchor-link, .jp-Dialog a { display: none; }
    .anchor-link:hover { color: red; }
    """
    kept = purge([css], {"jp-Cell", "jp-InputArea", "anchor-link"})
    # Custom properties stay when a kept rule uses them, directly or through another one.
    assert ":root{--jp-cell-padding:var(--jp-base);--jp-base:5px}" in kept
    assert ".jp-Cell{padding:var(--jp-cell-padding)}" in kept
    assert ".jp-Cell .jp-InputArea{margin:0}" in kept  # one selector of the two kept
    assert "jp-Widget" not in kept
    assert "jp-Toolbar" not in kept
    assert ".jp-Cell:not(.jp-mod-active){opacity:1}" in kept
    assert kept.count("@media print") == 1
    assert "jp-Dialog" not in kept
    assert "keyframes" not in kept
    # Commas inside :is() do not split a selector, and the rules after it survive.
    assert ".jp-Cell :is(h1, h2) .anchor-link{display:none}" in kept
    assert ".anchor-link:hover{color:red}" in kept


def figure_png() -> bytes:
    figure, ax = plt.subplots(figsize=(2, 1), dpi=50)
    ax.plot([0, 1], [1, 0])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def test_lighten_writes_figures_beside_the_page_and_purges_its_styles(tmp_path):
    png = figure_png()
    html = (
        '<script src=""> </script><style>.jp-RenderedImage{cursor:normal;margin:0}</style>'
        '<div class="jupyter-wrapper"><style type="text/css">.jp-RenderedImage{box-pack:end}'
        ".jp-Widget{margin:1px}.jp-RenderedImage::-webkit-scrollbar-track:horizontal{border:0}"
        '</style><clipboard-copy ,="" aria-label="Copy to Clipboard" for="cell-1">'
        '<div class="jp-RenderedImage"><img alt="No description" class="" '
        f'src="data:image/png;base64,{base64.b64encode(png).decode()}"/></div></div>'
        "<style>['pre { line-height: 125%; }']</style>"
    )
    page = lighten(html, tmp_path / "xor", ["A falling line"])
    assert "data:image" not in page
    assert "jp-Widget" not in page
    # One style block, first in the notebook, with only the standard rules the page can use.
    assert page.count("<style") == 1
    assert '<div class="jupyter-wrapper"><style>.jp-RenderedImage{margin:0}</style>' in page
    assert "<script" not in page
    assert '<clipboard-copy role="button" aria-label="Copy to Clipboard" for="cell-1">' in page
    [written] = (tmp_path / "xor").glob("figure-*.png")
    assert written.read_bytes() == png
    assert (
        f'<img alt="A falling line" class="" src="{written.name}" width="100" height="50" ' in page
    )
    assert "No description" not in page


def test_lighten_refuses_a_page_whose_figures_and_alt_texts_differ_in_number(tmp_path):
    png = base64.b64encode(figure_png()).decode()
    html = f'<div class="jupyter-wrapper"><img src="data:image/png;base64,{png}"/></div>'
    with pytest.raises(FigureAltError, match=r"xor/index.html: 1 figures, for 2 alt texts"):
        lighten(html, tmp_path / "xor", ["one", "two"])


def executed(script: Path, figures: dict[int, int]) -> nbformat.NotebookNode:
    """The script read by jupytext, as if executed: its cell n shows figures[n] figures."""
    notebook = jupytext.read(script)
    for index, count in figures.items():
        notebook.cells[index].outputs = [
            nbformat.v4.new_output("display_data", {"image/png": "iVBOR", "text/plain": "fig"})
        ] * count
    return notebook


SCRIPT = """# %% [markdown]
# # Demo

# %% alt="A line going down"
plt.plot([1, 0])
plt.show()

# %%
plt.plot([0, 1])
plt.show()
"""


def demo(tmp_path) -> Path:
    script = tmp_path / "demo.py"
    script.write_text(SCRIPT, encoding="utf-8")
    return script


def test_each_figure_gets_the_alt_text_of_the_cell_that_draws_it(tmp_path):
    script = demo(tmp_path)
    assert figure_alts(executed(script, {1: 1}), script) == ["A line going down"]


def test_a_figure_without_alt_text_fails_at_its_cell_marker(tmp_path):
    script = demo(tmp_path)
    with pytest.raises(FigureAltError) as failure:
        figure_alts(executed(script, {1: 1, 2: 1}), script)
    assert str(failure.value).startswith(f"{script}:8: this cell shows a figure and has no alt")
    assert script.read_text().splitlines()[8 - 1] == "# %%"


def test_an_alt_text_is_for_one_figure(tmp_path):
    script = demo(tmp_path)
    for count in (0, 2):
        with pytest.raises(FigureAltError, match=rf"demo.py:4: .* and it shows {count}$"):
            figure_alts(executed(script, {1: count}), script)


@pytest.mark.parametrize("script", sorted(GALLERY.glob("*.py")), ids=lambda path: path.name)
def test_every_gallery_figure_has_its_alt_text(script):
    """What the build checks on the executed notebook, checked here on the script: each
    plt.show() is a figure of its cell."""
    cells = jupytext.read(script).cells
    shows = {index: cell.source.count("plt.show()") for index, cell in enumerate(cells)}
    assert len(figure_alts(executed(script, shows), script)) == sum(shows.values()) > 0


def test_the_colab_link_points_at_the_notebook_branch_of_the_repository():
    assert colab_url(REPO, "xor") == (
        "https://colab.research.google.com/github/pytorch-field-guide/pytorch-field-guide/"
        "blob/notebooks/gallery/xor.ipynb"
    )
    with pytest.raises(ValueError, match=r"is not https://github\.com/OWNER/REPO"):
        colab_url("https://gitlab.com/a/b", "xor")


def run_setup_cell(monkeypatch, snippets_found: bool) -> list:
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda args, check: calls.append(args))
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name: real_find_spec(name) if snippets_found else None,
    )
    monkeypatch.setattr(sys, "path", list(sys.path))
    exec(setup_cell(REPO), {})
    return calls


def test_the_setup_cell_fetches_the_guide_outside_a_checkout(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    calls = run_setup_cell(monkeypatch, snippets_found=False)
    assert calls == [
        ["git", "clone", "--depth=1", REPO, "pytorch-field-guide"],
        [sys.executable, "-m", "pip", "install", "--quiet", "-e", "pytorch-field-guide"],
    ]
    assert sys.path[0] == str(tmp_path / "pytorch-field-guide")


def test_the_setup_cell_does_nothing_in_a_checkout(monkeypatch):
    assert run_setup_cell(monkeypatch, snippets_found=True) == []


def test_the_setup_cell_comes_first_among_the_code_cells_tagged_off_the_page():
    original = jupytext.read(GALLERY / "xor.py")
    notebook = with_setup_cell(jupytext.read(GALLERY / "xor.py"), REPO)
    title, setup, *rest = notebook.cells
    assert title.cell_type == "markdown"
    assert title.source.startswith("# Continuous XOR")
    assert setup.cell_type == "code"
    assert setup.source == setup_cell(REPO)
    assert setup.metadata["tags"] == [SETUP_TAG]
    assert [cell.source for cell in [title, *rest]] == [cell.source for cell in original.cells]
    assert any("snippets" in cell.source for cell in rest)
    # The tag is the one mkdocs-jupyter removes (it reads the first tag of the list only).
    plugins = mkdocs_settings()["plugins"]
    (jupyter,) = [entry["mkdocs-jupyter"] for entry in plugins if "mkdocs-jupyter" in entry]
    assert jupyter["remove_tag_config"]["remove_cell_tags"] == [SETUP_TAG]


def test_a_notebook_without_prose_gets_the_setup_cell_first():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    assert [cell.source for cell in with_setup_cell(notebook, REPO).cells] == [
        setup_cell(REPO),
        "x = 1",
    ]
