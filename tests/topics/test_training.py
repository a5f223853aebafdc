"""What the training page's code is for: loops that learn, honest averages, accuracy that
does not broadcast, and modes that change behaviour."""

import contextlib
import io

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

with contextlib.redirect_stdout(io.StringIO()):
    from snippets import training


def blobs(n=256, seed=0):
    """Three well separated clusters in 784 dimensions: easy to learn in a few steps.

    The same seed gives the same clusters, whatever n: a training and a validation set."""
    g = torch.Generator().manual_seed(seed)
    centres = (torch.rand(3, 784, generator=g) < 0.5).float()  # three binary patterns
    y = torch.randint(0, 3, (n,), generator=g)
    x = centres[y] + 0.3 * torch.rand(n, 784, generator=g)  # pixel-like values in [0, 1.3]
    return TensorDataset(x, y)


def test_train_loop_lowers_the_loss_and_sets_training_mode():
    torch.manual_seed(0)
    model = training.NeuralNetwork(dropout=0.1)
    model.eval()
    loader = DataLoader(blobs(n=96), batch_size=32, shuffle=True)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    losses = [training.train_loop(loader, model, nn.CrossEntropyLoss(), opt) for _ in range(3)]
    assert model.training
    assert losses[-1] < 0.5 * losses[0]


def test_test_loop_averages_over_batches_and_counts_over_samples():
    ds = blobs(n=10)  # batches of 4, 4 and 2
    loader = DataLoader(ds, batch_size=4)
    torch.manual_seed(0)
    model = training.NeuralNetwork(dropout=0.5)
    before = [p.clone() for p in model.parameters()]
    loss, acc = training.test_loop(loader, model, nn.CrossEntropyLoss())
    with torch.no_grad():
        model.eval()
        means = [F.cross_entropy(model(x), y).item() for x, y in loader]
        correct = sum((model(x).argmax(1) == y).sum().item() for x, y in loader)
    assert loss == pytest.approx(sum(means) / 3)
    assert loss != pytest.approx(sum(means) / 10)  # the notes' division by the data set size
    assert acc == correct / 10
    assert not model.training
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert all(p.grad is None for p in model.parameters())


def test_accuracy_and_topk_accuracy():
    logits = torch.tensor([[0.1, 2.0, 0.3], [1.5, 0.2, 0.9], [0.2, 0.1, 0.4], [3.0, 0.5, 1.0]])
    y = torch.tensor([1, 2, 2, 1])
    assert training.accuracy(logits, y) == 0.5
    assert training.topk_accuracy(logits, y, k=1) == 0.5
    assert training.topk_accuracy(logits, y, k=2) == 0.75
    assert training.topk_accuracy(logits, y, k=3) == 1.0


def test_comparing_n1_with_n_broadcasts_to_a_wrong_accuracy():
    logits = torch.eye(4)  # predicts 0, 1, 2, 3
    y = torch.tensor([0, 1, 2, 3])  # all right
    top_class = logits.topk(1, dim=1).indices
    assert (top_class == y).shape == (4, 4)
    assert (top_class == y).float().mean().item() == 0.25
    assert training.topk_accuracy(logits, y, k=1) == 1.0


def test_notes_model_clamps_logits_and_fixed_model_does_not():
    torch.manual_seed(0)
    x = torch.rand(32, 1, 28, 28)
    assert (training.NotesNeuralNetwork()(x) >= 0).all()
    assert (training.NeuralNetwork()(x) < 0).any()


def test_relu_on_logits_blocks_the_gradient_of_a_negative_true_class():
    scores = torch.tensor([[-1.0, 2.0, 0.5]], requires_grad=True)
    F.cross_entropy(torch.relu(scores), torch.tensor([0])).backward()
    assert scores.grad[0, 0] == 0
    plain = scores.detach().clone().requires_grad_()
    F.cross_entropy(plain, torch.tensor([0])).backward()
    assert plain.grad[0, 0] < 0  # without the ReLU, descent raises the true class's score


def test_dropout_is_random_in_training_and_the_identity_in_eval():
    torch.manual_seed(0)
    model = training.NeuralNetwork(dropout=0.5)
    x = torch.rand(4, 1, 28, 28)
    assert not torch.equal(model(x), model(x))
    model.eval()
    assert torch.equal(model(x), model(x))


def test_batchnorm_running_statistics_move_only_in_training():
    bn = nn.BatchNorm1d(1)
    batch = torch.tensor([[1.0], [2.0], [3.0], [6.0]])
    bn(batch)
    assert bn.running_mean.item() == pytest.approx(0.1 * 3.0)
    bn.eval()
    out = bn(batch)
    assert bn.running_mean.item() == pytest.approx(0.3)
    expected = (batch - bn.running_mean) / torch.sqrt(bn.running_var + bn.eps)
    assert torch.allclose(out, expected)
