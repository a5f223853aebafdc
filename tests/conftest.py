"""What every test of tests/ shares."""

import pytest

from tools import figures


@pytest.fixture(autouse=True)
def _no_figure_left_open():
    """Code a test runs (a snippets module, a gallery notebook) draws figures: the test reads
    their data; none stays open past the test, where the next test of the same process would
    find it (figures.save saves every open figure). Nor does one drawn while the process
    collected the tests (a test module that imports a snippets module at its top): the first
    test it ran used to find those."""
    figures.close_all()
    yield
    figures.close_all()
