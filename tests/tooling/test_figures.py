"""tools/figures.py: the figures a page's code draws are saved under the key of that code, as
light PNGs that show exactly what matplotlib drew."""

import matplotlib
import numpy as np
import pytest
from PIL import Image

from tools import figures


@pytest.fixture
def drawn(tmp_path, monkeypatch):
    """A page with no includes, its figure folder in tmp_path, and pyplot on the Agg backend."""
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setattr(figures, "FIGURES", tmp_path / "figures")
    page = tmp_path / "page.md"
    page.write_text("# A page\n")
    return page, plt


def test_an_opaque_figure_is_saved_as_rgb_with_the_pixels_matplotlib_drew(drawn, tmp_path):
    page, plt = drawn
    figure, ax = plt.subplots(figsize=(2, 1.5))
    ax.imshow(np.random.default_rng(0).random((8, 8)), cmap="viridis")
    reference = tmp_path / "reference.png"
    figure.savefig(reference, dpi=80, bbox_inches="tight")  # what matplotlib writes: RGBA
    namespace = {}
    figures.save(page, namespace)
    saved = figures.folder(page) / "page-1.png"
    with Image.open(saved) as image, Image.open(reference) as rgba:
        assert rgba.mode == "RGBA"
        assert image.mode == "RGB"
        assert np.array_equal(np.asarray(image), np.asarray(rgba)[..., :3])  # lossless
    assert saved.stat().st_size < reference.stat().st_size
    assert not plt.get_fignums()  # saved, then closed
    assert namespace[figures.COUNT] == 1


def test_a_figure_with_transparent_pixels_keeps_its_alpha_channel(drawn):
    page, plt = drawn
    figure, ax = plt.subplots(figsize=(2, 1.5))
    figure.patch.set_alpha(0.0)
    ax.plot([0, 1], [1, 0])
    figures.save(page, {})
    with Image.open(figures.folder(page) / "page-1.png") as image:
        assert image.mode == "RGBA"
        assert image.getchannel("A").getextrema()[0] < 255


def test_a_figure_the_folder_holds_already_is_kept_and_the_next_one_is_numbered_on(drawn):
    page, plt = drawn
    plt.subplots(figsize=(2, 1.5))[1].plot([0, 1], [0, 1])
    figures.save(page, {})
    first = figures.folder(page) / "page-1.png"
    before = first.read_bytes()
    namespace = {}
    plt.subplots(figsize=(3, 2))[1].plot([0, 1], [1, 0])  # the same page run again...
    plt.subplots(figsize=(2, 1.5))[1].plot([0, 1], [0, 0])  # ...and a figure it had not drawn
    figures.save(page, namespace)
    assert first.read_bytes() == before  # same key, same code: not encoded again
    assert (figures.folder(page) / "page-2.png").is_file()
    assert namespace[figures.COUNT] == 2
    assert not plt.get_fignums()
    assert sorted(p.name for p in figures.folder(page).iterdir()) == ["page-1.png", "page-2.png"]


def test_the_key_changes_with_the_page_and_the_matplotlib_version(drawn, monkeypatch):
    page, _ = drawn
    key = figures.folder(page)
    with monkeypatch.context() as patched:
        patched.setattr(matplotlib, "__version__", "0.0")
        assert figures.folder(page) != key
    assert figures.folder(page) == key
    page.write_text("# A page, edited\n")
    assert figures.folder(page) != key
