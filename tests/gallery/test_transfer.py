"""docs/gallery/transfer.py runs in fast mode and checks its results against their bars."""


def test_transfer_notebook_checks_its_bars(run_notebook):
    run = run_notebook("transfer")["run"]
    assert run.name == "transfer"
    assert sorted(run.results) == ["fine-tuned accuracy", "frozen backbone accuracy"]
    for label, result in run.results.items():
        assert 0 <= result["value"] <= 1, label
        assert 0 < result["bar"] <= 1, label
