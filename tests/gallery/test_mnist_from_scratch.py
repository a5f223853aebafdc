"""docs/gallery/mnist_from_scratch.py runs in fast mode and checks its results against their
bars."""


def test_mnist_from_scratch_notebook_checks_its_bars(run_notebook):
    run = run_notebook("mnist_from_scratch")["run"]
    assert run.name == "mnist_from_scratch"
    assert sorted(run.results) == ["CNN test accuracy", "logistic regression test accuracy"]
    for label, result in run.results.items():
        assert 0 <= result["value"] <= 1, label
        assert 0 < result["bar"] <= 1, label
