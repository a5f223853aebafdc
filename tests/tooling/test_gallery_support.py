"""The gallery's bars and records (snippets/_gallery.py), outside fast mode."""

import json

import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch

from snippets import _gallery


@pytest.fixture
def full_mode(monkeypatch, tmp_path):
    monkeypatch.setattr(_gallery, "FAST", False)
    monkeypatch.setattr(_gallery, "RECORDS", tmp_path)
    return tmp_path


def test_a_result_below_its_bar_fails_the_build(full_mode):
    run = _gallery.Run("demo", torch.device("cpu"))
    with pytest.raises(_gallery.BarNotReachedError, match=r"demo: accuracy is 0\.9000, below"):
        run.check("accuracy", 0.9, bar=0.95)


def test_a_result_at_its_bar_is_recorded_and_printed(full_mode, capsys):
    run = _gallery.Run("demo", torch.device("cpu"))
    run.check("accuracy", 0.95, bar=0.95)
    assert run.results == {"accuracy": {"value": 0.95, "bar": 0.95}}
    assert "accuracy: 0.9500 (bar: 0.95)" in capsys.readouterr().out


def test_finish_writes_the_record_and_thumbnail_the_index_is_built_from(full_mode):
    matplotlib.use("Agg")
    run = _gallery.start("demo", seed=3)
    run.check("accuracy", 1.0, bar=0.5)
    figure, _ = plt.subplots()
    seconds = run.finish(headline="100% accuracy", thumbnail=figure)
    plt.close(figure)
    record = json.loads((full_mode / "demo.json").read_text())
    assert record["headline"] == "100% accuracy"
    assert record["device"] == "cpu"
    assert record["seconds"] == round(seconds, 1)
    assert record["results"]["accuracy"]["bar"] == 0.5
    assert (full_mode / "demo.png").stat().st_size > 0


def test_start_seeds_every_generator(full_mode):
    _gallery.start("demo", seed=7)
    first = torch.rand(3)
    _gallery.start("demo", seed=7)
    assert torch.equal(torch.rand(3), first)


def test_page_imports_run_from_the_root_and_silence_output(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    with _gallery.page_imports():
        print("an example's output")
        assert _gallery.ROOT.samefile(".")
    assert capsys.readouterr().out == ""
