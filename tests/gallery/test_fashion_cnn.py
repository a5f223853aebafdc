"""docs/gallery/fashion_cnn.py runs in fast mode and checks its results against their bars."""


def test_fashion_cnn_notebook_checks_its_bars(run_notebook):
    run = run_notebook("fashion_cnn")["run"]
    assert run.name == "fashion_cnn"
    assert sorted(run.results) == ["parameters under 100k", "test accuracy"]
    for label, result in run.results.items():
        assert 0 <= result["value"] <= 1, label
        assert 0 < result["bar"] <= 1, label
