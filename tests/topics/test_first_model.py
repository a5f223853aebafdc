"""What the A first model page claims, asserted: the XOR data are labelled as XOR, the
classifier learns them, the loss falls."""

import torch
from torch import nn
from torch.utils import data

from snippets.first_model import SimpleClassifier, XORDataset, accuracy, train_model


def test_labels_are_xor_of_the_corners():
    points = XORDataset(size=400, std=0.0, generator=torch.Generator().manual_seed(0))
    corners = points.data.round()
    expected = (corners[:, 0] != corners[:, 1]).float()
    assert torch.equal(points.labels, expected)
    assert points.labels.dtype == torch.float32  # what BCEWithLogitsLoss wants
    assert len(points) == 400
    assert points[3][0].shape == (2,)


def test_the_classifier_outputs_one_logit_per_point():
    logits = SimpleClassifier()(torch.zeros(5, 2))
    assert logits.shape == (5, 1)
    assert sum(p.numel() for p in SimpleClassifier().parameters()) == 2 * 4 + 4 + 4 + 1


def test_training_lowers_the_loss_and_learns_xor():
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(42)
    train_set = XORDataset(size=2500, generator=generator)
    test_set = XORDataset(size=500, generator=generator)
    loader = data.DataLoader(train_set, batch_size=128, shuffle=True, generator=generator)
    model = SimpleClassifier()
    before = accuracy(model, data.DataLoader(test_set, batch_size=500))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    history = train_model(model, optimizer, loader, nn.BCEWithLogitsLoss(), num_epochs=100)
    assert history[0] > 0.6  # about ln 2: a coin flip
    assert history[-1] < 0.05
    after = accuracy(model, data.DataLoader(test_set, batch_size=500))
    assert not model.training  # accuracy() puts the model in eval mode
    assert after >= 0.99 > before
