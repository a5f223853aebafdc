"""docs/gallery/xor.py runs in fast mode and checks its results against their bars."""


def test_xor_notebook_checks_its_bars(run_notebook):
    run = run_notebook("xor")["run"]
    assert run.name == "xor"
    assert sorted(run.results) == ["held-out accuracy"]
    for label, result in run.results.items():
        assert 0 <= result["value"] <= 1, label
        assert 0 < result["bar"] <= 1, label
