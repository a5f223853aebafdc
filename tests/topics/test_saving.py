"""What the saving page's code is for: files that round-trip, checkpoints that resume."""

import importlib
import pickle
import sys

import pytest
import torch

from snippets import saving
from snippets.saving import Network, load_checkpoint, train_step


def make(seed=0, **kwargs):
    torch.manual_seed(seed)
    arguments = {"input_size": 20, "output_size": 3, "hidden_layers": [16, 8]} | kwargs
    return Network(**arguments)


def test_state_dict_has_one_entry_per_parameter_and_no_dropout():
    state = saving.model.state_dict()
    assert list(state) == [
        "hidden_layers.0.weight",
        "hidden_layers.0.bias",
        "hidden_layers.1.weight",
        "hidden_layers.1.bias",
        "output.weight",
        "output.bias",
    ]
    assert state["hidden_layers.1.weight"].shape == (128, 256)


def test_state_dict_round_trip_gives_the_same_outputs(tmp_path):
    original, fresh = make(seed=1).eval(), make(seed=2).eval()
    x = torch.rand(4, 20)
    assert not torch.equal(original(x), fresh(x))
    torch.save(original.state_dict(), tmp_path / "w.pt")
    fresh.load_state_dict(torch.load(tmp_path / "w.pt"))
    assert torch.equal(original(x), fresh(x))


def test_dropout_makes_training_mode_outputs_random_and_eval_mode_deterministic():
    net = make()
    x = torch.rand(2, 20)
    with torch.no_grad():
        net.train()
        assert not torch.equal(net(x), net(x))
        net.eval()
        assert torch.equal(net(x), net(x))


def test_strict_loading_rejects_other_keys_and_non_strict_reports_them():
    source = make(seed=1).state_dict()
    partial = {k: v for k, v in source.items() if not k.startswith("output.")}
    partial["head.weight"] = torch.zeros(1)
    target = make(seed=2)
    before = target.output.weight.clone()
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "output.weight"'):
        target.load_state_dict(partial)
    result = target.load_state_dict(partial, strict=False)
    assert result.missing_keys == ["output.weight", "output.bias"]
    assert result.unexpected_keys == ["head.weight"]
    assert torch.equal(target.hidden_layers[0].weight, source["hidden_layers.0.weight"])
    assert torch.equal(target.output.weight, before)


def test_non_strict_loading_still_rejects_shape_mismatches():
    with pytest.raises(RuntimeError, match=r"size mismatch for output\.weight"):
        make(output_size=5).load_state_dict(make().state_dict(), strict=False)


def test_the_page_warm_starts_a_three_class_model_from_matching_tensors():
    assert saving.result.missing_keys == ["output.weight", "output.bias"]
    assert saving.result.unexpected_keys == ["classifier.weight"]
    assert sorted(saving.compatible) == [
        f"hidden_layers.{i}.{k}" for i in (0, 1) for k in ("bias", "weight")
    ]
    assert saving.three_classes.output.weight.shape == (3, 128)
    for name in saving.compatible:
        assert torch.equal(saving.three_classes.state_dict()[name], saving.model.state_dict()[name])


def test_map_location_cpu_puts_every_tensor_on_the_cpu(tmp_path):
    torch.save(make().state_dict(), tmp_path / "w.pt")
    state = torch.load(tmp_path / "w.pt", map_location="cpu")
    assert {t.device.type for t in state.values()} == {"cpu"}


def test_whole_model_needs_weights_only_false_or_an_allowlist(tmp_path):
    net = make().eval()
    torch.save(net, tmp_path / "whole.pt")
    with pytest.raises(
        pickle.UnpicklingError, match=r"Unsupported global: GLOBAL snippets\.saving"
    ):
        torch.load(tmp_path / "whole.pt")
    loaded = torch.load(tmp_path / "whole.pt", weights_only=False)
    x = torch.rand(2, 20)
    assert torch.equal(loaded(x), net(x))
    allowed = [Network, torch.nn.Linear, torch.nn.ModuleList, torch.nn.Dropout]
    with torch.serialization.safe_globals(allowed):
        assert torch.equal(torch.load(tmp_path / "whole.pt")(x), net(x))


def test_whole_model_file_breaks_when_its_class_moves(tmp_path, monkeypatch):
    (tmp_path / "moving_zoo.py").write_text("from torch import nn\n\nclass M(nn.Linear): pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("moving_zoo")
    torch.save(module.M(2, 2), tmp_path / "m.pt")
    (tmp_path / "moving_zoo.py").rename(tmp_path / "moved_zoo.py")
    monkeypatch.delitem(sys.modules, "moving_zoo")
    with pytest.raises(ModuleNotFoundError, match="moving_zoo"):
        torch.load(tmp_path / "m.pt", weights_only=False)


def test_the_page_leaves_no_import_path_or_module_behind():
    assert str(saving.tmpdir) not in sys.path
    assert "zoo" not in sys.modules
    assert not saving.tmpdir.exists()


def run_and_checkpoint(path):
    torch.manual_seed(0)
    X, y = torch.rand(16, 20), torch.randint(0, 3, (16,))
    net = make()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
    losses = [train_step(net, optimizer, X, y) for _ in range(3)]
    torch.save(
        {
            "model": net.state_dict(),
            "optimizer": optimizer.state_dict(),
            "rng_state": torch.get_rng_state(),
        },
        path,
    )
    return net, optimizer, X, y, losses


def test_training_steps_lower_the_loss(tmp_path):
    net, _, X, y, _ = run_and_checkpoint(tmp_path / "c.pt")
    untrained = make()  # the same initial weights as the trained net
    with torch.no_grad():
        before = torch.nn.functional.cross_entropy(untrained.eval()(X), y)
        after = torch.nn.functional.cross_entropy(net.eval()(X), y)
    assert after < before


def test_resuming_from_a_checkpoint_takes_the_uninterrupted_step(tmp_path):
    net, optimizer, X, y, _ = run_and_checkpoint(tmp_path / "c.pt")
    expected_loss = train_step(net, optimizer, X, y)

    checkpoint = torch.load(tmp_path / "c.pt")
    resumed = make(seed=123)
    resumed_optimizer = torch.optim.Adam(resumed.parameters(), lr=1e-2)
    resumed.load_state_dict(checkpoint["model"])
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    torch.set_rng_state(checkpoint["rng_state"])
    assert train_step(resumed, resumed_optimizer, X, y) == expected_loss
    for a, b in zip(net.parameters(), resumed.parameters(), strict=True):
        assert torch.equal(a, b)

    restarted = make(seed=123)
    restarted.load_state_dict(checkpoint["model"])
    torch.set_rng_state(checkpoint["rng_state"])
    train_step(restarted, torch.optim.Adam(restarted.parameters(), lr=1e-2), X, y)
    assert not torch.equal(restarted.output.weight, net.output.weight)


def test_the_page_resumed_run_matches_the_uninterrupted_one():
    assert saving.loss_resumed == saving.loss_uninterrupted
    assert saving.checkpoint_path.suffix == ".pt"
    assert saving.start_epoch == 3


def test_the_page_loaded_its_whole_model_file_from_an_allowlist():
    assert str(saving.whole_path).endswith("whole_model.pt")
    assert saving.zoo.TinyNet.__module__ == "zoo"


def test_load_checkpoint_rebuilds_the_architecture_from_the_file(tmp_path):
    net = make(hidden_layers=[12, 6, 4], drop_p=0.2).eval()
    torch.save(
        {
            "input_size": 20,
            "output_size": 3,
            "hidden_layers": [layer.out_features for layer in net.hidden_layers],
            "drop_p": net.dropout.p,
            "state_dict": net.state_dict(),
        },
        tmp_path / "c.pt",
    )
    rebuilt = load_checkpoint(tmp_path / "c.pt").eval()
    assert [layer.out_features for layer in rebuilt.hidden_layers] == [12, 6, 4]
    assert rebuilt.dropout.p == 0.2
    x = torch.rand(2, 20)
    assert torch.equal(rebuilt(x), net(x))


def test_exercise_1_a_state_dict_round_trips_through_memory():
    assert saving.same
    assert saving.from_memory.training is False
    for name, tensor in saving.model.state_dict().items():
        assert torch.equal(saving.from_memory.state_dict()[name], tensor)


def test_exercise_2_momentum_buffers_are_saved_and_restored():
    assert len(saving.sgd_again.state) == 4
    for p, q in zip(saving.small.parameters(), saving.small_again.parameters(), strict=True):
        assert torch.equal(
            saving.sgd.state[p]["momentum_buffer"], saving.sgd_again.state[q]["momentum_buffer"]
        )
    assert saving.sgd_again.param_groups[0]["momentum"] == 0.9


def test_exercise_3_renamed_keys_load_strictly_into_the_new_class():
    assert "head.weight" in saving.new_state
    assert not any(name.startswith("output.") for name in saving.new_state)
    assert not hasattr(saving.upgraded, "output")
    x = torch.rand(3, 784)
    with torch.no_grad():
        assert torch.equal(saving.upgraded.eval()(x), saving.model.eval()(x))
    with pytest.raises(RuntimeError, match="Missing key"):
        saving.RenamedNetwork(784, 10, [256, 128]).load_state_dict(saving.model.state_dict())
