"""What the from-scratch page's code is for: a hand-written log_softmax and nll equal to
cross_entropy, modules that register their parameters, a loss_batch() that trains only with an
optimizer, an evaluate() that weighs batches by their size, and a fit() that returns its
history."""

import importlib
import itertools

import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


@pytest.fixture(scope="module")
def from_scratch():
    return importlib.import_module("snippets.from_scratch")  # see tests/topics/conftest.py


def test_hand_written_log_softmax_and_nll_equal_cross_entropy(from_scratch):
    torch.manual_seed(0)
    scores = torch.randn(8, 10)
    y = torch.randint(0, 10, (8,))
    assert torch.allclose(from_scratch.log_softmax(scores), F.log_softmax(scores, dim=1), atol=1e-6)
    assert torch.allclose(
        from_scratch.nll(from_scratch.log_softmax(scores), y), F.cross_entropy(scores, y), atol=1e-6
    )


def test_mnist_logistic_registers_its_parameters(from_scratch):
    model = from_scratch.MnistLogistic()
    assert {name for name, _ in model.named_parameters()} == {"weights", "bias"}
    assert model(torch.rand(5, 784)).shape == (5, 10)
    assert from_scratch.MnistLinear()(torch.rand(5, 784)).shape == (5, 10)


def test_get_model_builds_an_sgd_optimizer_over_the_model(from_scratch):
    model, opt = from_scratch.get_model(lr=0.3)
    assert isinstance(opt, torch.optim.SGD)
    assert opt.param_groups[0]["lr"] == 0.3
    assert {id(p) for p in opt.param_groups[0]["params"]} == {id(p) for p in model.parameters()}


def test_loss_batch_trains_only_with_an_optimizer(from_scratch):
    torch.manual_seed(0)
    model = from_scratch.MnistLinear()
    xb, yb = torch.rand(16, 784), torch.randint(0, 10, (16,))
    before = model.lin.weight.clone()
    loss, n = from_scratch.loss_batch(model, F.cross_entropy, xb, yb)
    assert n == 16
    assert loss == pytest.approx(F.cross_entropy(model(xb), yb).item())
    assert torch.equal(model.lin.weight, before)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    from_scratch.loss_batch(model, F.cross_entropy, xb, yb, opt)
    assert not torch.equal(model.lin.weight, before)
    assert model.lin.weight.grad is None or not model.lin.weight.grad.any()  # zeroed


def test_evaluate_weights_batches_by_their_size(from_scratch):
    torch.manual_seed(0)
    model = from_scratch.MnistLinear()
    ds = TensorDataset(torch.rand(10, 784), torch.randint(0, 10, (10,)))
    loss, acc = from_scratch.evaluate(model, F.cross_entropy, DataLoader(ds, batch_size=4))
    x, y = ds.tensors
    with torch.no_grad():
        assert loss == pytest.approx(F.cross_entropy(model(x), y).item())
        assert acc == pytest.approx((model(x).argmax(1) == y).float().mean().item())


def test_fit_returns_a_history_whose_validation_loss_falls(from_scratch, blobs):
    torch.manual_seed(0)
    train_dl, valid_dl = from_scratch.get_data(blobs(seed=1), blobs(n=128, seed=1), bs=32)
    assert valid_dl.batch_size == 64
    model, opt = from_scratch.get_model(lr=0.05)
    history = from_scratch.fit(3, model, F.cross_entropy, opt, train_dl, valid_dl, device="cpu")
    assert [r["epoch"] for r in history] == [1, 2, 3]
    assert set(history[0]) == {"epoch", "train_loss", "val_loss", "val_acc"}
    assert history[-1]["val_loss"] < history[0]["val_loss"]
    assert history[-1]["val_acc"] > 0.9


def test_net_keeps_lenet_shapes_on_28x28_greyscale(from_scratch):
    net = from_scratch.Net()
    assert net.fc1.in_features == 16 * 5 * 5
    assert net(torch.rand(2, 1, 28, 28)).shape == (2, 10)
    assert net(torch.rand(2, 784)).shape == (2, 10)  # flat rows work too
    assert sum(p.numel() for p in net.parameters()) == 61706
    wide = from_scratch.Net(c1=16, c2=32, hidden=(64, 64), dropout=0.2)
    assert wide(torch.rand(2, 1, 28, 28)).shape == (2, 10)


def test_fit_steps_a_scheduler_once_per_batch(from_scratch, blobs):
    torch.manual_seed(0)
    train_dl, valid_dl = from_scratch.get_data(blobs(seed=1), blobs(n=128, seed=1), bs=32)
    model, opt = from_scratch.get_model(lr=0.05)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=0.1, epochs=2, steps_per_epoch=len(train_dl)
    )
    from_scratch.fit(2, model, F.cross_entropy, opt, train_dl, valid_dl, scheduler=scheduler)
    assert scheduler.last_epoch == 2 * len(train_dl)  # the whole cycle was run
    assert opt.param_groups[0]["lr"] < 0.1 / 25  # annealed below its starting lr


def test_batch_norm_is_optional_and_adds_only_normalization(from_scratch):
    plain = from_scratch.Net(c1=16, c2=32, hidden=(64, 64))
    normed = from_scratch.Net(c1=16, c2=32, hidden=(64, 64), batch_norm=True)
    extra = sum(p.numel() for p in normed.parameters()) - sum(p.numel() for p in plain.parameters())
    assert extra == 2 * (16 + 32) - (16 + 32)  # a scale and a shift per channel, no conv bias
    assert normed.conv1.bias is None
    assert normed.conv2.bias is None
    assert plain.conv1.bias is not None
    assert isinstance(normed.bn2, torch.nn.BatchNorm2d)
    assert normed(torch.rand(2, 1, 28, 28)).shape == (2, 10)


def test_validation_rows_are_held_out_training_images(from_scratch):
    assert from_scratch.x_train.shape == (1024, 784)
    assert from_scratch.x_valid.shape == (512, 784)
    images = from_scratch.training_data.data
    assert torch.equal(from_scratch.x_valid[0], images[1024].flatten().float() / 255)
    assert torch.equal(from_scratch.y_valid, from_scratch.training_data.targets[1024:1536])


def test_the_plotted_history_has_ten_epochs_of_falling_loss(from_scratch):
    assert from_scratch.epoch_numbers == list(range(1, 11))
    assert len(from_scratch.train_losses) == len(from_scratch.val_losses) == 10
    assert from_scratch.train_losses[-1] < 0.5 * from_scratch.train_losses[0]
    assert from_scratch.val_losses[-1] < from_scratch.val_losses[0]
    assert all(loss > 0 for loss in from_scratch.val_losses)


def test_exercise_1_stable_log_softmax(from_scratch):
    x = torch.tensor([[500.0, -500.0, 0.0]])
    out = from_scratch.stable_log_softmax(x)
    assert torch.isfinite(out).all()
    assert torch.allclose(out.exp().sum(dim=-1), torch.ones(1))
    assert torch.allclose(out, F.log_softmax(x, dim=-1))


def test_exercise_2_mlp_learns_with_fit(from_scratch):
    losses = [record["val_loss"] for record in from_scratch.mlp_history]
    assert len(losses) == 4
    assert losses[-1] < losses[0]
    assert from_scratch.mlp_history[-1]["val_acc"] > 0.7


def test_exercise_3_one_cycle_rates_rise_then_fall(from_scratch):
    rates = from_scratch.rates
    assert len(rates) == 3 * len(from_scratch.train_dl)
    peak = rates.index(max(rates))
    assert all(a <= b for a, b in itertools.pairwise(rates[: peak + 1]))  # rises ...
    assert all(a >= b for a, b in itertools.pairwise(rates[peak:]))  # ... then falls
    assert rates[0] == pytest.approx(0.5 / 25, rel=0.05)
