"""What the Losses page claims: each equality holds, class weights are normalised as the page
says, and the naive log-softmax overflows."""

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import WeightedRandomSampler

from snippets import losses


def close(actual, expected, atol=1e-6):
    return torch.allclose(torch.as_tensor(actual), torch.as_tensor(expected), atol=atol)


def test_mse_is_the_mean_squared_error():
    assert close(losses.mse, 0.375)
    assert close(losses.mse, losses.by_hand)
    pred, target = torch.randn(5, 3), torch.randn(5, 3)
    assert close(nn.MSELoss()(pred, target), ((pred - target) ** 2).mean())


def test_cross_entropy_is_log_softmax_plus_nll():
    assert close(losses.ce, losses.nll_loss)
    logits, labels = torch.randn(8, 5), torch.randint(0, 5, (8,))
    expected = nn.NLLLoss()(nn.LogSoftmax(dim=1)(logits), labels)
    assert close(nn.CrossEntropyLoss()(logits, labels), expected)


def test_l1_and_huber_grow_linearly_and_huber_matches_smooth_l1():
    errors = torch.tensor([0.5, 3.0])
    zeros = torch.zeros(2)
    mse, l1, huber = (fn(errors, zeros) for fn in losses.regression_losses.values())
    assert mse.tolist() == [0.25, 9.0]
    assert l1.tolist() == [0.5, 3.0]
    assert huber.tolist() == [0.125, 2.5]  # 0.5 * e**2 below delta, delta * (|e| - 0.5) above
    e = torch.linspace(-4, 4, 81)
    assert close(
        nn.HuberLoss(reduction="none")(e, torch.zeros(81)),
        nn.SmoothL1Loss(reduction="none")(e, torch.zeros(81)),
    )
    assert close(
        nn.HuberLoss(delta=2.0, reduction="none")(e, torch.zeros(81)),
        2.0 * nn.SmoothL1Loss(beta=2.0, reduction="none")(e, torch.zeros(81)),
    )


def test_the_figures_plot_each_loss_against_the_prediction():
    (ax,) = losses.fig.axes  # the last figure of the module: BCE against the logit
    target_1, target_0 = ax.get_lines()[:2]
    assert close(torch.tensor(target_1.get_ydata()[-1]), F.softplus(torch.tensor(-6.0)))
    assert close(torch.tensor(target_0.get_ydata()[-1]), F.softplus(torch.tensor(6.0)), atol=1e-5)


def test_probabilities_are_exp_of_log_probabilities():
    assert close(losses.probs.sum(dim=1), torch.ones(4))
    assert close(losses.probs, torch.softmax(losses.logits, dim=1))


def test_bce_on_sigmoid_equals_bce_with_logits_on_ordinary_logits():
    assert close(losses.bce, losses.bce_logits)
    z = torch.randn(10)
    y = torch.randint(0, 2, (10,)).float()
    assert close(nn.BCELoss()(torch.sigmoid(z), y), nn.BCEWithLogitsLoss()(z, y), atol=1e-5)


def test_bce_breaks_on_a_confident_wrong_logit():
    z = torch.tensor([40.0], requires_grad=True)
    y = torch.tensor([0.0])
    assert torch.sigmoid(z).item() == 1.0
    clamped = nn.BCELoss()(torch.sigmoid(z), y)
    clamped.backward()
    assert clamped.item() == 100.0
    assert z.grad.item() == 0.0  # no signal reaches the logit
    z.grad = None
    stable = nn.BCEWithLogitsLoss()(z, y)
    stable.backward()
    assert close(stable, 40.0)
    assert close(z.grad, torch.tensor([1.0]))


def test_two_outputs_with_cross_entropy_equal_one_output_with_bce():
    assert close(losses.one_output, losses.two_outputs)
    z = torch.randn(20) * 5
    y = torch.randint(0, 2, (20,))
    two = torch.stack([torch.zeros_like(z), z], dim=1)
    assert close(F.cross_entropy(two, y), F.binary_cross_entropy_with_logits(z, y.float()))
    assert close(torch.softmax(two, dim=1)[:, 1], torch.sigmoid(z))


def test_class_weights_divide_by_the_sum_of_the_weights_of_the_batch():
    torch.manual_seed(1)
    logits, y = torch.randn(7, 3), torch.tensor([0, 0, 0, 0, 1, 1, 2])
    weight = torch.tensor([1.0, 2.0, 6.0])
    per_sample = F.cross_entropy(logits, y, reduction="none")
    w = weight[y]
    weighted = F.cross_entropy(logits, y, weight=weight)
    assert close(weighted, (w * per_sample).sum() / w.sum())
    assert not close(weighted, (w * per_sample).mean(), atol=1e-3)
    assert close(F.cross_entropy(logits, y, weight=torch.full((3,), 5.0)), per_sample.mean())
    # the page's: a weight of 9 for the class with 10 of the 100 samples
    assert losses.weight.tolist() == [1.0, 9.0]
    assert close(losses.weighted, (losses.w * losses.per_sample).sum() / 180)


def test_pos_weight_scales_the_positive_samples_and_keeps_the_mean_over_all():
    z = torch.tensor([-2.0, 0.5, 1.0, 3.0])
    target = torch.tensor([0.0, 1.0, 0.0, 1.0])
    plain = F.binary_cross_entropy_with_logits(z, target, reduction="none")
    weighted = F.binary_cross_entropy_with_logits(z, target, pos_weight=torch.tensor([4.0]))
    assert close(weighted, (plain * torch.tensor([1.0, 4.0, 1.0, 4.0])).mean())
    # the page's: BCE with pos_weight 9 is mean(w * loss) of the weighted cross entropy
    assert close(losses.balanced, (losses.w * losses.per_sample).mean(), atol=1e-5)


def test_the_weighted_sampler_draws_the_classes_about_equally():
    sampler = WeightedRandomSampler(
        losses.sample_weights, num_samples=20_000, generator=torch.Generator().manual_seed(0)
    )
    rare = (losses.y[list(sampler)] == 1).float().mean().item()
    assert abs(rare - 0.5) < 0.02  # 10 samples of weight 9 against 90 of weight 1
    assert abs(losses.drawn.float().mean().item() - 0.5) < 0.15  # the page's 100 draws
    assert len(losses.drawn) == 100


def test_bce_with_logits_is_log_2_at_a_logit_of_zero_and_about_the_distance_when_wrong():
    bce = nn.BCEWithLogitsLoss(reduction="none")
    assert close(bce(torch.tensor(0.0), torch.tensor(1.0)), torch.log(torch.tensor(2.0)))
    far = bce(torch.tensor(-30.0), torch.tensor(1.0))
    assert close(far, 30.0, atol=1e-5)


def test_hand_written_loss_matches_on_ordinary_logits():
    logits, labels = torch.randn(6, 4), torch.randint(0, 4, (6,))
    assert close(losses.log_softmax(logits), F.log_softmax(logits, dim=-1), atol=1e-5)
    by_hand = losses.nll(losses.log_softmax(logits), labels)
    assert close(by_hand, F.cross_entropy(logits, labels), atol=1e-5)


def test_the_naive_formula_overflows_where_logsumexp_does_not():
    big = torch.tensor([[100.0, 0.0, -3.0]])
    naive = big - big.exp().sum(-1).log().unsqueeze(-1)
    assert torch.isneginf(naive).all()
    assert torch.isfinite(losses.log_softmax(big)).all()


def test_logsumexp_version_is_stable_and_correct():
    big = torch.tensor([[100.0, 0.0, -3.0], [1.0, 2.0, 3.0]], requires_grad=True)
    labels = torch.tensor([0, 2])
    log_probs = losses.log_softmax(big)
    assert torch.isfinite(log_probs).all()
    assert close(log_probs, F.log_softmax(big, dim=-1), atol=1e-5)
    loss = losses.nll(log_probs, labels)
    assert close(loss, F.cross_entropy(big, labels), atol=1e-5)
    loss.backward()
    assert torch.isfinite(big.grad).all()
    # the page's run: finite gradient, equal to softmax - one_hot, over the batch size
    expected = (torch.softmax(big, dim=1) - F.one_hot(labels, 3)) / 2
    assert close(losses.big.grad, expected.detach(), atol=1e-6)


def test_exercise_1_l1_is_the_mean_absolute_error():
    assert close(losses.l1, 0.5)
    pred, target = torch.randn(7), torch.randn(7)
    assert close(nn.L1Loss()(pred, target), (pred - target).abs().mean())


def test_exercise_2_label_smoothing_is_cross_entropy_with_soft_targets():
    assert close(losses.smoothed, losses.smoothed_by_hand, atol=1e-6)
    plain = F.cross_entropy(losses.scores, losses.targets)
    assert not close(losses.smoothed, plain, atol=1e-3)  # smoothing changes the loss
    assert close(losses.soft_targets.max(dim=1).values, torch.full((4,), 0.9 + 0.1 / 3))


def test_exercise_3_bce_gradient_is_sigmoid_minus_target_over_n():
    expected = (torch.sigmoid(losses.logit) - losses.target) / 5
    assert close(losses.logit.grad, expected.detach(), atol=1e-7)
