"""The Making training fast notebook (docs/gallery/speed.py) runs in fast mode: every variant
it measures is trained, timed and checked against the accuracy bar."""


def test_speed_notebook_checks_every_variant(run_notebook):
    namespace = run_notebook("speed")
    run, rows = namespace["run"], namespace["rows"]
    assert run.name == "speed"
    measured = [row["name"] for row in rows if row["rate"] is not None]
    assert len(measured) >= 6  # the baseline, each technique alone, and the combination
    assert measured[0].startswith("baseline")  # the one every speed-up is compared with
    assert sorted(run.results) == sorted(f"{name}: test accuracy" for name in measured)
    assert all(row["rate"] > 0 and row["seconds"] > 0 for row in rows if row["rate"])
    # Each variant stops on the validation set; its test accuracy is what the bar checks.
    assert all(0 <= row["acc"] <= 1 and 0 <= row["test_acc"] <= 1 for row in rows if row["rate"])
    assert len(namespace["val_images"]) > 0
    assert len(namespace["test_images"]) > 0
