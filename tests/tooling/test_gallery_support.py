"""The gallery's bars, records and quiet imports (snippets/_gallery.py), outside fast mode."""

import importlib
import json
import logging
import os
import sys
import types
import warnings

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


def test_finish_writes_the_record_and_thumbnail_the_index_is_built_from(full_mode, capsys):
    matplotlib.use("Agg")
    run = _gallery.start("demo", seed=3)
    run.check("accuracy", 1.0, bar=0.5)
    figure, _ = plt.subplots()
    assert run.finish(headline="100% accuracy", thumbnail=figure) is None  # no cell output
    plt.close(figure)
    record = json.loads((full_mode / "demo.json").read_text())
    assert record["headline"] == "100% accuracy"
    assert record["device"] == "cpu"
    assert f"Wall time: {record['seconds']:.1f} s" in capsys.readouterr().out
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
        print("an example's warning", file=sys.stderr)
        assert _gallery.ROOT.samefile(".")
    assert capsys.readouterr() == ("", "")


def test_page_imports_silence_what_c_code_writes_and_restore_it(capfd):
    with _gallery.page_imports():
        os.write(1, b"USDT: profiler_start\n")
        os.write(2, b"gpuGetDeviceCount failed with code 35\n")
    os.write(1, b"after\n")
    os.write(2, b"after too\n")
    assert capfd.readouterr() == ("after\n", "after too\n")


def test_page_imports_let_errors_through():
    with pytest.raises(ZeroDivisionError), _gallery.page_imports():
        print(1 / 0)


def test_start_imports_the_pages_modules_quietly(full_mode, capfd, monkeypatch, tmp_path):
    (tmp_path / "noisy_page_module.py").write_text(
        "import os\nprint('an example')\nos.write(2, b'profiler_start')\nvalue = 42\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "noisy_page_module", raising=False)
    _gallery.start("demo", modules=("noisy_page_module",))
    assert capfd.readouterr() == ("", "")
    assert sys.modules["noisy_page_module"].value == 42


def test_build_noise_is_silenced_at_its_source_and_nothing_else():
    cpp_extension = logging.getLogger("torch.utils.cpp_extension")
    level = cpp_extension.level
    try:
        with warnings.catch_warnings(record=True) as caught:
            _gallery.silence_build_noise()
            for message in ["IProgress not found. Please update jupyter", "a real warning"]:
                warnings.warn_explicit(message, UserWarning, "auto.py", 21, module="tqdm.auto")
            warnings.warn_explicit("IProgress not found", UserWarning, "mine.py", 1, module="mine")
        assert [str(w.message) for w in caught] == ["a real warning", "IProgress not found"]
        assert not cpp_extension.isEnabledFor(logging.WARNING)
        assert cpp_extension.isEnabledFor(logging.ERROR)
    finally:
        cpp_extension.setLevel(level)


def test_in_a_notebook_kernel_progress_bars_are_turned_off_before_torch_loads(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    importlib.reload(_gallery)
    assert os.environ["TQDM_DISABLE"] == "1"
