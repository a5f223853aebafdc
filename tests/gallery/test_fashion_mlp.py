"""docs/gallery/fashion_mlp.py runs in fast mode and checks its results against their bars."""


def test_fashion_mlp_notebook_checks_its_bars(run_notebook):
    run = run_notebook("fashion_mlp")["run"]
    assert run.name == "fashion_mlp"
    assert sorted(run.results) == ["tuned MLP test accuracy"]
    for label, result in run.results.items():
        assert 0 <= result["value"] <= 1, label
        assert 0 < result["bar"] <= 1, label
