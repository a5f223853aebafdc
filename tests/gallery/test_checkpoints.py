"""docs/gallery/checkpoints.py runs in fast mode and checks its results against their bars."""


def test_checkpoints_notebook_checks_its_bars(run_notebook):
    run = run_notebook("checkpoints")["run"]
    assert run.name == "checkpoints"
    assert sorted(run.results) == ["resumed epochs matching the uninterrupted run", "test accuracy"]
    for label, result in run.results.items():
        assert 0 <= result["value"] <= 1, label
        assert 0 < result["bar"] <= 1, label
