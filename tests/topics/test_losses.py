"""What the Losses page claims: each equality holds, and the naive log-softmax overflows."""

import torch
import torch.nn.functional as F
from torch import nn

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
    # softmaxing first gives another, wrong, number
    assert not close(losses.wrong, losses.ce, atol=1e-3)


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


def test_hand_written_loss_matches_on_ordinary_logits():
    logits, labels = torch.randn(6, 4), torch.randint(0, 4, (6,))
    assert close(losses.log_softmax(logits), F.log_softmax(logits, dim=-1), atol=1e-5)
    by_hand = losses.nll(losses.log_softmax(logits), labels)
    assert close(by_hand, F.cross_entropy(logits, labels), atol=1e-5)


def test_naive_log_softmax_overflows():
    big = torch.tensor([[100.0, 0.0, -3.0]], requires_grad=True)
    log_probs = losses.log_softmax(big)
    assert torch.isneginf(log_probs).all()
    loss = losses.nll(log_probs, torch.tensor([0]))
    assert torch.isinf(loss)
    loss.backward()
    assert torch.isnan(big.grad).any()
    assert torch.isfinite(F.cross_entropy(big, torch.tensor([0])))  # the library's is stable


def test_logsumexp_version_is_stable_and_correct():
    big = torch.tensor([[100.0, 0.0, -3.0], [1.0, 2.0, 3.0]], requires_grad=True)
    labels = torch.tensor([0, 2])
    log_probs = losses.stable_log_softmax(big)
    assert torch.isfinite(log_probs).all()
    assert close(log_probs, F.log_softmax(big, dim=-1), atol=1e-5)
    loss = losses.nll(log_probs, labels)
    assert close(loss, F.cross_entropy(big, labels), atol=1e-5)
    loss.backward()
    assert torch.isfinite(big.grad).all()
    # the page's run: finite gradient, equal to softmax - one_hot, over the batch size
    expected = (torch.softmax(big, dim=1) - F.one_hot(labels, 3)) / 2
    assert close(losses.big.grad, expected.detach(), atol=1e-6)
