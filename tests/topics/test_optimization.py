"""Behaviour of snippets/optimization.py: what each example is for, not just that it runs."""

import itertools
import math

import pytest
import torch
from torch import nn

from snippets import optimization as opt


def test_gradient_descent_by_hand_recovers_the_true_parameters():
    assert torch.allclose(opt.w.detach().flatten(), opt.true_w, atol=0.05)
    assert opt.b.item() == pytest.approx(opt.true_b, abs=0.05)
    final_loss = ((opt.X @ opt.w + opt.b - opt.y) ** 2).mean()
    assert final_loss < 0.05  # near the noise floor (0.1 ** 2)


def test_in_place_update_of_a_leaf_outside_no_grad_raises():
    p = torch.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        p -= 1.0


def test_data_and_no_grad_updates_agree():
    assert torch.equal(opt.p1, opt.p2)
    assert torch.allclose(opt.p1, torch.full((2,), 0.95))


def test_data_hides_the_modification_and_detach_does_not():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    out = x.exp()
    out.data.zero_()
    out.sum().backward()
    assert torch.equal(x.grad, torch.zeros(2))  # silently wrong: should be exp(x)

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    out = x.exp()
    out.detach().zero_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


@pytest.mark.parametrize("name", list(opt.optimizers))
def test_every_optimizer_lowers_the_loss(name):
    losses = opt.train(opt.optimizers[name])
    assert losses[-1] < 0.05 * losses[0]


def test_every_optimizer_starts_from_the_same_weights():
    firsts = {opt.train(make, steps=1)[0] for make in opt.optimizers.values()}
    assert len(firsts) == 1


def test_too_large_a_learning_rate_diverges():
    losses = opt.train(lambda params: torch.optim.SGD(params, lr=1.0))
    assert losses[-1] > 1000 * losses[0]


def test_without_zero_grad_two_backward_calls_give_twice_the_gradient():
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    nn.functional.mse_loss(model(opt.X), opt.y).backward()
    once = [p.grad.clone() for p in model.parameters()]
    nn.functional.mse_loss(model(opt.X), opt.y).backward()
    for first, p in zip(once, model.parameters(), strict=True):
        torch.testing.assert_close(p.grad, 2 * first)


def test_forgetting_zero_grad_spoils_training():
    with_zero = opt.losses_with(zero_grad=True)
    without = opt.losses_with(zero_grad=False)
    assert with_zero == sorted(with_zero, reverse=True)  # falls at every shown step
    assert without[-1] > 10 * with_zero[-1]
    assert any(b > a for a, b in itertools.pairwise(without))  # goes back up


def test_optimizer_over_a_subset_leaves_the_other_parameters_bit_identical():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
    frozen = {k: v.clone() for k, v in net[0].state_dict().items()}
    trained = {k: v.clone() for k, v in net[2].state_dict().items()}
    optimizer = torch.optim.SGD(net[2].parameters(), lr=0.05)
    for _ in range(5):
        optimizer.zero_grad()
        nn.functional.mse_loss(net(opt.X), opt.y).backward()
        optimizer.step()
    for k, v in net[0].state_dict().items():
        assert torch.equal(v, frozen[k])
    assert net[0].weight.grad is not None  # computed, yet not applied
    assert not torch.equal(net[2].weight, trained["weight"])
    # and the page's own run
    assert torch.equal(opt.net[0].weight, opt.first_before)
    assert not torch.equal(opt.net[2].weight, opt.last_before)


def test_steps_per_epoch_is_the_ceiling_of_n_over_batch_size():
    assert opt.steps_per_epoch == math.ceil(100 / 16) == len(opt.loader) == 7
    assert [len(xb) for xb, _ in opt.loader][-1] == 100 - 6 * 16
    assert len(opt.dropped) == 100 // 16
    assert opt.steps == opt.epochs * opt.steps_per_epoch


def test_clip_grad_value_bounds_every_entry():
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    nn.functional.mse_loss(model(opt.X), opt.y).backward()
    before = [p.grad.clone() for p in model.parameters()]
    torch.nn.utils.clip_grad_value_(model.parameters(), clip_value=1.0)
    for old, p in zip(before, model.parameters(), strict=True):
        torch.testing.assert_close(p.grad, old.clamp(-1.0, 1.0))


def test_clip_grad_norm_has_no_clip_norm_argument():
    with pytest.raises(TypeError, match="clip_norm"):
        torch.nn.utils.clip_grad_norm_(nn.Linear(1, 1).parameters(), clip_norm=1)


def test_clip_grad_norm_uses_the_global_norm_of_all_parameters():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1))
    nn.functional.mse_loss(model(opt.X), opt.y).backward()
    params = list(model.parameters())
    grads = [p.grad.clone() for p in params]
    manual = torch.cat([g.flatten() for g in grads]).norm()
    max_norm = 0.5
    total = torch.nn.utils.clip_grad_norm_(params, max_norm=max_norm)
    torch.testing.assert_close(total, manual)
    after = torch.cat([p.grad.flatten() for p in params]).norm()
    assert after <= max_norm + 1e-5
    assert after == pytest.approx(max_norm, rel=1e-4)  # scaled down to max_norm, not below
    scale = max_norm / manual
    for g, p in zip(grads, params, strict=True):  # one common factor for every parameter
        torch.testing.assert_close(p.grad, g * scale)
    # and the page's own numbers
    torch.testing.assert_close(opt.total_norm, opt.global_norm)
    assert opt.after.item() == pytest.approx(1.0, rel=1e-4)


def test_clipped_training_still_lowers_the_loss_with_bounded_steps():
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(10):
        before = torch.cat([p.detach().flatten().clone() for p in model.parameters()])
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(opt.X), opt.y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        moved = torch.cat([p.detach().flatten() for p in model.parameters()]) - before
        assert moved.norm() <= 0.1 + 1e-5
        losses.append(loss.item())
    assert losses == sorted(losses, reverse=True)
