"""Gallery notebooks run as scripts in fast mode (a few batches, bars not enforced): every
code path of a notebook runs in the test suite; the full runs, with their bars enforced, happen
in the site build (`nox -s docs`). Each notebook has its own test file,
tests/gallery/test_<name>.py, which names it and asserts which results it checks."""

import runpy

import matplotlib
import pytest

from tools.paths import GALLERY


@pytest.fixture
def run_notebook(monkeypatch):
    """Run docs/gallery/<name>.py in fast mode; return its namespace."""
    monkeypatch.setenv("GUIDE_GALLERY_FAST", "1")
    monkeypatch.setattr("snippets._gallery.FAST", True)
    matplotlib.use("Agg")
    monkeypatch.setattr("matplotlib.pyplot.show", lambda *args, **kwargs: None)

    def run(name: str) -> dict:
        return runpy.run_path(str(GALLERY / f"{name}.py"), run_name="__main__")

    return run
