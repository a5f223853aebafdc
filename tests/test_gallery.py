"""Every gallery notebook, run as a script in fast mode (a few batches, bars not enforced).

The full runs, with their bars enforced, happen in the site build (`nox -s docs`).
"""

import runpy
from pathlib import Path

import matplotlib
import pytest

GALLERY = Path(__file__).resolve().parent.parent / "docs" / "gallery"
NOTEBOOKS = sorted(GALLERY.glob("*.py"))


def test_the_gallery_has_notebooks():
    assert NOTEBOOKS, f"no notebooks found in {GALLERY}"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs_in_fast_mode(notebook, monkeypatch, tmp_path):
    monkeypatch.setenv("GUIDE_GALLERY_FAST", "1")
    monkeypatch.setattr("snippets._gallery.FAST", True)
    matplotlib.use("Agg")
    monkeypatch.setattr("matplotlib.pyplot.show", lambda *args, **kwargs: None)
    namespace = runpy.run_path(str(notebook), run_name="__main__")
    run = namespace["run"]
    assert run.results, f"{notebook.name} checked no result against a bar"
