"""Behaviour of snippets/optimization.py: what each example is for, not just that it runs."""

import importlib
import itertools
import math

import pytest
import torch
from torch import nn

OPTIMIZERS = ["SGD", "SGD, momentum 0.9", "Adam", "AdamW"]  # the page's, in its order


@pytest.fixture(scope="module")
def opt():
    return importlib.import_module("snippets.optimization")  # see tests/topics/conftest.py


def test_gradient_descent_by_hand_recovers_the_true_parameters(opt):
    assert torch.allclose(opt.w.detach().flatten(), opt.true_w, atol=0.05)
    assert opt.b.item() == pytest.approx(opt.true_b, abs=0.05)
    final_loss = ((opt.X @ opt.w + opt.b - opt.y) ** 2).mean()
    assert final_loss < 0.05  # near the noise floor (0.1 ** 2)


def test_in_place_update_of_a_leaf_outside_no_grad_raises():
    p = torch.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        p -= 1.0


def test_the_page_compares_sgd_momentum_adam_and_adamw(opt):
    assert list(opt.optimizers) == OPTIMIZERS
    assert isinstance(opt.optimizers["AdamW"](nn.Linear(1, 1).parameters()), torch.optim.AdamW)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_lowers_the_loss(opt, name):
    losses = opt.train(opt.optimizers[name])
    assert losses[-1] < 0.05 * losses[0]


def test_every_optimizer_starts_from_the_same_weights(opt):
    firsts = {opt.train(make, steps=1)[0] for make in opt.optimizers.values()}
    assert len(firsts) == 1


def test_momentum_overshoots_and_its_loss_goes_back_up(opt):
    losses = opt.train(opt.optimizers["SGD, momentum 0.9"])
    assert any(later > earlier for earlier, later in itertools.pairwise(losses))
    plain = opt.train(opt.optimizers["SGD"])
    assert all(later <= earlier for earlier, later in itertools.pairwise(plain))


def test_the_page_checked_sgd_momentum_against_the_formula(opt):
    assert torch.allclose(opt.buffer, opt.decaying_sum)
    assert torch.allclose(opt.buffer, opt.velocity[0])


def test_sgd_momentum_is_buf_times_momentum_plus_grad_on_a_deeper_net(opt):
    torch.manual_seed(3)
    net = nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1))
    lr, m = 0.02, 0.8
    optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=m)
    copy = [p.detach().clone() for p in net.parameters()]
    bufs = [torch.zeros_like(p) for p in copy]
    for _ in range(4):
        optimizer.zero_grad()
        nn.functional.mse_loss(net(opt.X), opt.y).backward()
        grads = [p.grad.clone() for p in net.parameters()]  # at the weights before the step
        for p, q in zip(net.parameters(), copy, strict=True):
            torch.testing.assert_close(p.detach(), q)  # so the copy's gradient is the same
        optimizer.step()
        for q, g, buf in zip(copy, grads, bufs, strict=True):
            buf.mul_(m).add_(g)
            q -= lr * buf
    for p, q in zip(net.parameters(), copy, strict=True):
        torch.testing.assert_close(p.detach(), q)


def test_adam_weight_decay_is_l2_in_the_loss_and_adamw_is_decoupled(opt):
    assert torch.allclose(opt.adam_l2, opt.l2_loss)
    assert torch.allclose(opt.adamw, opt.by_hand)
    assert (opt.adam_l2 - opt.adamw).abs().max() > 0.1  # the printed weights differ


def test_with_a_zero_gradient_adamw_shrinks_by_lr_wd_and_adam_l2_moves_by_lr():
    lr, wd = 0.1, 0.1
    for cls, expected in ((torch.optim.AdamW, 2.0 * (1 - lr * wd)), (torch.optim.Adam, 2.0 - lr)):
        p = torch.full((1,), 2.0, requires_grad=True)
        optimizer = cls([p], lr=lr, weight_decay=wd)
        p.grad = torch.zeros(1)
        optimizer.step()
        assert p.item() == pytest.approx(expected, abs=1e-5)


def test_param_groups_split_decay_and_learning_rates(opt):
    groups = opt.grouped.param_groups
    assert [(g["lr"], g["weight_decay"]) for g in groups] == [
        (1e-4, 0.01),
        (1e-4, 0.0),
        (1e-3, 0.01),
        (1e-3, 0.0),
    ]
    no_decay = groups[1]["param_names"] + groups[3]["param_names"]
    assert no_decay == ["backbone.0.bias", "backbone.1.weight", "backbone.1.bias", "head.bias"]
    ids = sorted(id(p) for g in groups for p in g["params"])
    assert ids == sorted(id(p) for p in opt.finetuned.parameters())


def test_a_step_with_zero_gradients_decays_only_the_decay_groups(opt):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.Linear(4, 1))
    decay, no_decay = opt.decay_and_no_decay(model, "")
    optimizer = torch.optim.AdamW(
        [{"params": decay}, {"params": no_decay, "weight_decay": 0.0}], lr=0.1, weight_decay=0.5
    )
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    optimizer.step()
    for n, p in model.named_parameters():
        factor = 1 - 0.1 * 0.5 if p.ndim > 1 else 1.0
        torch.testing.assert_close(p.detach(), before[n] * factor)


def test_backward_accumulates_and_zero_grad_clears(opt):
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    nn.functional.mse_loss(model(opt.X), opt.y).backward()
    once = [p.grad.clone() for p in model.parameters()]
    nn.functional.mse_loss(model(opt.X), opt.y).backward()
    for first, p in zip(once, model.parameters(), strict=True):
        torch.testing.assert_close(p.grad, 2 * first)
    torch.optim.SGD(model.parameters(), lr=0.1).zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_optimizer_over_a_subset_leaves_the_other_parameters_bit_identical(opt):
    assert torch.equal(opt.net[0].weight, opt.first_before)
    assert not torch.equal(opt.net[2].weight, opt.last_before)
    assert opt.net[0].weight.grad is not None  # computed, yet not applied


def test_learning_rates_too_small_good_too_large(opt):
    small, good, large = (
        opt.train(lambda params, lr=lr: torch.optim.SGD(params, lr=lr)) for lr in (0.001, 0.05, 1.0)
    )
    assert small[-1] > 0.5 * small[0]  # barely moved
    assert good[-1] < 0.05
    assert large[-1] > 1000 * large[0]  # diverged
    # the figure: one curve per learning rate, the last one ending where the run ended
    lines = opt.ax.get_lines()
    assert [line.get_label() for line in lines] == [
        "lr=0.001 (too small)",
        "lr=0.05 (good)",
        "lr=1.0 (too large)",
    ]
    assert lines[-1].get_ydata()[-1] == pytest.approx(large[-1])


def test_steps_per_epoch_is_the_ceiling_of_n_over_batch_size(opt):
    assert opt.steps_per_epoch == math.ceil(100 / 16) == len(opt.loader) == 7
    assert [len(xb) for xb, _ in opt.loader][-1] == 100 - 6 * 16
    assert len(opt.dropped) == 100 // 16
    assert opt.steps == opt.epochs * opt.steps_per_epoch


def test_clip_grad_value_bounds_every_entry(opt):
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    nn.functional.mse_loss(model(opt.X), opt.y).backward()
    before = [p.grad.clone() for p in model.parameters()]
    torch.nn.utils.clip_grad_value_(model.parameters(), clip_value=1.0)
    for old, p in zip(before, model.parameters(), strict=True):
        torch.testing.assert_close(p.grad, old.clamp(-1.0, 1.0))


def test_clip_grad_norm_uses_the_global_norm_of_all_parameters(opt):
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
    assert after == pytest.approx(max_norm, rel=1e-4)  # scaled down to max_norm, not below
    scale = max_norm / manual
    for g, p in zip(grads, params, strict=True):  # one common factor for every parameter
        torch.testing.assert_close(p.grad, g * scale)
    # and the page's own numbers
    torch.testing.assert_close(opt.total_norm, opt.global_norm)
    assert opt.after.item() == pytest.approx(1.0, rel=1e-4)


def test_clipped_training_still_lowers_the_loss_with_bounded_steps(opt):
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


def test_the_page_s_scaler_skipped_the_overflowing_steps_then_clipped_true_gradients(opt):
    assert opt.scaler.get_scale() == 4096.0  # halved four times from 65536
    assert opt.norm.item() == pytest.approx(12.45, abs=0.05)  # the true norm, not the scaled one
    assert opt.scaled.item() == pytest.approx(4096 * opt.norm.item(), rel=1e-2)


def clipped_gradients(opt, unscale_first):
    """Float32 gradients, a GradScaler, and clipping before or after unscale_."""
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0)
    scaler.scale(nn.functional.mse_loss(model(opt.X), opt.y)).backward()
    if unscale_first:
        scaler.unscale_(optimizer)
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    else:
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        scaler.unscale_(optimizer)
    return torch.cat([p.grad.flatten() for p in model.parameters()])


def test_unscale_then_clip_gives_the_clipped_true_gradient(opt):
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    nn.functional.mse_loss(model(opt.X), opt.y).backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    plain = torch.cat([p.grad.flatten() for p in model.parameters()])
    torch.testing.assert_close(clipped_gradients(opt, unscale_first=True), plain)
    # clipping the scaled gradients clips at max_norm * scale: the result is 1024 times smaller
    wrong = clipped_gradients(opt, unscale_first=False)
    assert wrong.norm().item() == pytest.approx(1.0 / 1024, rel=1e-4)


def test_exercise_1_sgd_weight_decay_adds_wd_times_p_to_the_gradient(opt):
    assert torch.allclose(opt.param.detach(), opt.expected)
    no_decay = opt.start - 0.1 * 3 * opt.start**2
    assert not torch.allclose(opt.expected, no_decay)


def test_exercise_2_groups_partition_the_parameters_by_dimension(opt):
    decay_ids = {id(p) for p in opt.decay["params"]}
    for p in opt.bn_net.parameters():
        in_decay = id(p) in decay_ids
        assert in_decay == (p.ndim > 1)
    assert opt.no_decay["weight_decay"] == 0.0


def test_exercise_3_momentum_velocity_tends_to_grad_over_one_minus_momentum(opt):
    assert opt.final_velocity == pytest.approx(30.0, abs=1e-3)
    assert opt.step_size == pytest.approx(0.3, abs=1e-4)


def test_exercise_4_adam_first_step_is_lr_whatever_the_gradient_scale(opt):
    torch.testing.assert_close(opt.moved, torch.full((3,), 0.1), atol=1e-5, rtol=0)
