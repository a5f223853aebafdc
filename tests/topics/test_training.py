"""What the training page's code is for: loops that learn, a validation split that does not
leak, early stopping that keeps the best weights, schedulers stepped where they should be,
accuracy that does not broadcast, and modes that change behaviour."""

import importlib

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, RandomSampler, SequentialSampler, TensorDataset


@pytest.fixture(scope="module")
def training():
    return importlib.import_module("snippets.training")  # see tests/topics/conftest.py


def test_train_loop_lowers_the_loss_and_sets_training_mode(training, blobs):
    torch.manual_seed(0)
    model = training.NeuralNetwork(dropout=0.1)
    model.eval()
    loader = DataLoader(blobs(n=96), batch_size=32, shuffle=True)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    losses = [training.train_loop(loader, model, nn.CrossEntropyLoss(), opt) for _ in range(3)]
    assert model.training
    assert losses[-1] < 0.5 * losses[0]


def test_test_loop_averages_over_batches_and_counts_over_samples(training, blobs):
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
    assert loss != pytest.approx(sum(means) / 10)  # not divided by the number of samples
    assert acc == correct / 10
    assert not model.training
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert all(p.grad is None for p in model.parameters())


def test_accuracy_and_topk_accuracy(training):
    logits = torch.tensor([[0.1, 2.0, 0.3], [1.5, 0.2, 0.9], [0.2, 0.1, 0.4], [3.0, 0.5, 1.0]])
    y = torch.tensor([1, 2, 2, 1])
    assert training.accuracy(logits, y) == 0.5
    assert training.topk_accuracy(logits, y, k=1) == 0.5
    assert training.topk_accuracy(logits, y, k=2) == 0.75
    assert training.topk_accuracy(logits, y, k=3) == 1.0


def test_comparing_n1_with_n_broadcasts_to_a_wrong_accuracy(training):
    logits = torch.eye(4)  # predicts 0, 1, 2, 3
    y = torch.tensor([0, 1, 2, 3])  # all right
    top_class = logits.topk(1, dim=1).indices
    assert (top_class == y).shape == (4, 4)
    assert (top_class == y).float().mean().item() == 0.25
    assert training.topk_accuracy(logits, y, k=1) == 1.0


def test_relu_logits_network_clamps_logits_and_the_model_does_not(training):
    torch.manual_seed(0)
    x = torch.rand(32, 1, 28, 28)
    assert (training.ReluLogitsNetwork()(x) >= 0).all()
    assert (training.NeuralNetwork()(x) < 0).any()
    # the same layers as NeuralNetwork: the same seed gives the same weights
    torch.manual_seed(0)
    clamped = training.ReluLogitsNetwork()
    torch.manual_seed(0)
    plain = training.NeuralNetwork()
    assert torch.equal(clamped(x), torch.relu(plain(x)))


def test_relu_on_logits_blocks_the_gradient_of_a_negative_true_class():
    scores = torch.tensor([[-1.0, 2.0, 0.5]], requires_grad=True)
    F.cross_entropy(torch.relu(scores), torch.tensor([0])).backward()
    assert scores.grad[0, 0] == 0
    plain = scores.detach().clone().requires_grad_()
    F.cross_entropy(plain, torch.tensor([0])).backward()
    assert plain.grad[0, 0] < 0  # without the ReLU, descent raises the true class's score


def test_dropout_is_random_in_training_and_the_identity_in_eval(training):
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


def test_validation_split_is_seeded_and_disjoint(training):
    assert len(training.train_subset) == len(training.val_subset) == 256
    train_idx, val_idx = set(training.train_subset.indices), set(training.val_subset.indices)
    assert train_idx.isdisjoint(val_idx)
    assert train_idx | val_idx == set(range(512))
    again, _ = torch.utils.data.random_split(
        range(512), [256, 256], generator=torch.Generator().manual_seed(0)
    )
    assert list(again) == training.train_subset.indices
    assert isinstance(training.train_dataloader.sampler, RandomSampler)  # shuffled
    assert isinstance(training.val_dataloader.sampler, SequentialSampler)
    assert isinstance(training.test_dataloader.sampler, SequentialSampler)


def test_in_memory_keeps_every_image_and_label(training):
    sample = torch.utils.data.Subset(training.training_data, range(5))
    tensors = training.in_memory(sample)
    assert len(tensors) == 5
    for i in range(5):
        image, label = training.training_data[i]
        assert torch.equal(tensors[i][0], image)
        assert tensors[i][1].item() == label


def test_early_stopping_keeps_the_best_epoch_and_stops_after_patience(training):
    history, best = training.history, training.best_epoch
    val_losses = [record["val_loss"] for record in history]
    assert best == 1 + val_losses.index(min(val_losses))
    assert len(history) - best == 10  # patience=10 epochs without improvement, then stop
    assert len(history) < 40
    assert history[-1]["train_loss"] < history[best - 1]["train_loss"]  # still learning ...
    assert val_losses[-1] > val_losses[best - 1]  # ... but overfitting
    loss, _ = training.test_loop(training.val_dataloader, training.small_model, training.loss_fn)
    assert loss == pytest.approx(min(val_losses), abs=1e-6)  # the kept weights are the best


class _Scripted(nn.Module):
    """A model whose output is its one weight, which a scripted optimizer sets."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return self.w.expand(len(x), 1)


def test_early_stopping_restores_a_deep_copy_of_the_best_weights(training):
    model = _Scripted()
    values = iter([3.0, 2.0, 1.0, 4.0, 5.0, 6.0, 7.0])  # the weight after each epoch

    def loss_fn(out, y):  # the validation loss is the weight itself
        return out.mean()

    class Steps:
        def zero_grad(self):
            pass

        def step(self):
            with torch.no_grad():
                model.w.fill_(next(values))

    loader = DataLoader(TensorDataset(torch.zeros(2, 1), torch.zeros(2)), batch_size=2)
    history, best = training.train_with_early_stopping(
        model, loss_fn, Steps(), loader, loader, max_epochs=7, patience=2
    )
    assert [round(r["val_loss"]) for r in history] == [3, 2, 1, 4, 5]
    assert best == 3
    assert model.w.item() == 1.0  # restored, although the optimizer later set it to 5

    values = iter([3.0, 2.0, 1.0])  # still improving when max_epochs runs out
    history, best = training.train_with_early_stopping(
        model, loss_fn, Steps(), loader, loader, max_epochs=3, patience=2
    )
    assert len(history) == best == 3


def test_step_lr_steps_per_epoch_and_one_cycle_per_batch(training):
    step, cosine, one_cycle = training.schedules.values()
    assert len(step) == len(cosine) == len(one_cycle) == 200
    assert step[0] == 0.1
    assert step[59] == 0.1
    assert step[60] == pytest.approx(0.05)  # halved after 3 epochs of 20 steps
    assert len(set(cosine[:20])) == 1  # constant within an epoch
    assert cosine[-1] < 0.005
    assert one_cycle[0] == pytest.approx(0.1 / 25)
    peak = max(range(200), key=one_cycle.__getitem__)
    assert peak == pytest.approx(0.3 * 200, abs=1)
    assert one_cycle[-1] < 1e-4


def test_schedulers_of_the_page_ended_where_expected(training):
    assert training.scheduler.get_last_lr()[0] == pytest.approx(0.1 * 0.5**2)  # exercise 1
    assert training.learning_rate == pytest.approx(0.05)  # StepLR's fourth epoch


class Says(nn.Module):
    """A "model" whose prediction for a sample is the sample's value: its logits are one-hot."""

    def __init__(self, num_classes):
        super().__init__()
        self.num_classes = num_classes
        self.unused = nn.Parameter(torch.zeros(1))  # confusion_matrix finds the device here

    def forward(self, x):
        return F.one_hot(x.long(), self.num_classes).float()


def test_the_confusion_matrix_has_true_classes_in_rows_and_predictions_in_columns(training):
    predicted = torch.tensor([0, 2, 2, 1, 0, 2, 2])
    true = torch.tensor([0, 2, 1, 1, 2, 2, 0])
    loader = DataLoader(TensorDataset(predicted, true), batch_size=3)  # 3, 3 and 1 samples
    counts = training.confusion_matrix(Says(3), loader, num_classes=3)
    expected = torch.tensor([[1, 0, 1], [0, 1, 1], [1, 0, 2]])  # [true, predicted]
    assert torch.equal(counts, expected)


def test_the_page_s_confusion_matrix_counts_every_validation_image_once(training):
    counts, loader = training.counts, training.val_dataloader
    labels = torch.cat([y for _, y in loader])
    assert torch.equal(counts.sum(dim=1), torch.bincount(labels, minlength=10))  # rows: truth
    _, val_accuracy = training.test_loop(loader, training.small_model, training.loss_fn)
    assert counts.diag().sum().item() / counts.sum().item() == val_accuracy


def test_the_confusion_figure_shows_the_counts_with_the_class_names(training):
    ax = training.ax
    assert (ax.get_ylabel(), ax.get_xlabel()) == ("true class", "predicted class")
    assert (ax.images[0].get_array() == training.counts.numpy()).all()
    assert [label.get_text() for label in ax.get_yticklabels()] == training.classes
    assert [label.get_text() for label in ax.get_xticklabels()] == training.classes
    written = {(round(t.get_position()[1]), round(t.get_position()[0])): int(t.get_text())
               for t in ax.texts}  # fmt: skip
    nonzero = {(i, j): n for i, row in enumerate(training.counts.tolist())
               for j, n in enumerate(row) if n > 0}  # fmt: skip
    assert written == nonzero  # every count but the zeros, in its cell


def test_the_test_set_is_measured_once_at_the_end(training):
    assert 0.5 < training.test_accuracy <= 1.0


def test_exercise_1_step_lr_rates(training):
    assert training.used == pytest.approx([0.1] * 3 + [0.05] * 3 + [0.025] * 2)


def test_exercise_2_mean_loss_weighs_every_sample_equally(training, blobs):
    torch.manual_seed(0)
    model = training.NeuralNetwork()
    ds = blobs(n=10)
    x, y = ds.tensors
    exact = training.mean_loss(model, DataLoader(ds, batch_size=4))  # 4, 4 and 2 samples
    with torch.no_grad():
        assert exact == pytest.approx(F.cross_entropy(model(x), y).item(), rel=1e-5)
    mean_of_means, _ = training.test_loop(
        DataLoader(ds, batch_size=4), model, nn.CrossEntropyLoss()
    )
    assert exact != pytest.approx(mean_of_means, rel=1e-6)


def test_exercise_3_gradients(training):
    assert training.scores.grad[0, 0] == 0
    assert training.plain.grad[0, 0] < 0
    assert training.plain.grad.sum().item() == pytest.approx(0.0, abs=1e-6)  # softmax - one-hot


def test_exercise_4_precision_is_the_diagonal_over_each_column(training):
    counts, precision = training.counts, training.precision
    called = counts.sum(dim=0)
    for j in range(10):
        if called[j]:
            assert precision[j].item() == pytest.approx(counts[j, j].item() / called[j].item())
    assert training.worst == precision.argmin()
    assert torch.equal(training.labels, torch.cat([y for _, y in training.val_dataloader]))
