"""What the A first model page claims, asserted: the XOR data are labelled as XOR, the
classifier learns them, the loss falls."""

import importlib

import pytest
import torch
from torch import nn
from torch.utils import data


@pytest.fixture(scope="module")
def first_model():
    return importlib.import_module("snippets.first_model")  # see tests/topics/conftest.py


def test_labels_are_xor_of_the_corners(first_model):
    points = first_model.XORDataset(size=400, std=0.0, generator=torch.Generator().manual_seed(0))
    corners = points.data.round()
    expected = (corners[:, 0] != corners[:, 1]).float()
    assert torch.equal(points.labels, expected)
    assert points.labels.dtype == torch.float32  # what BCEWithLogitsLoss wants
    assert len(points) == 400
    assert points[3][0].shape == (2,)


def test_the_classifier_outputs_one_logit_per_point(first_model):
    logits = first_model.SimpleClassifier()(torch.zeros(5, 2))
    assert logits.shape == (5, 1)
    assert sum(p.numel() for p in first_model.SimpleClassifier().parameters()) == 2 * 4 + 4 + 4 + 1


def test_training_lowers_the_loss_and_learns_xor(first_model):
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(42)
    train_set = first_model.XORDataset(size=2500, generator=generator)
    test_set = first_model.XORDataset(size=500, generator=generator)
    loader = data.DataLoader(train_set, batch_size=128, shuffle=True, generator=generator)
    model = first_model.SimpleClassifier()
    before = first_model.accuracy(model, data.DataLoader(test_set, batch_size=500))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    history = first_model.train_model(
        model, optimizer, loader, nn.BCEWithLogitsLoss(), num_epochs=100
    )
    assert history[0] > 0.6  # about ln 2: a coin flip
    assert history[-1] < 0.05
    after = first_model.accuracy(model, data.DataLoader(test_set, batch_size=500))
    assert not model.training  # accuracy() puts the model in eval mode
    assert after >= 0.99 > before


def test_plot_xor_scatters_each_class_and_shades_the_model_s_probability(first_model):
    import matplotlib.pyplot as plt

    points = first_model.XORDataset(size=40, std=0.0, generator=torch.Generator().manual_seed(0))
    fig, ax = first_model.plot_xor(points)
    blue, red = ax.collections
    assert torch.equal(torch.tensor(blue.get_offsets()), points.data[points.labels == 0].double())
    assert torch.equal(torch.tensor(red.get_offsets()), points.data[points.labels == 1].double())
    plt.close(fig)

    model = first_model.SimpleClassifier()
    fig, ax = first_model.plot_xor(points, model)
    assert len(fig.axes) == 2  # the plot and its colour bar
    assert not model.training  # predictions are made in evaluation mode
    assert len(ax.collections) > 2  # the shading and the boundary, then the points
    plt.close(fig)


def test_exercise_1_eight_hidden_units_give_33_parameters(first_model):
    assert first_model.n_params == 33
    assert first_model.wider.linear2.weight.shape == (1, 8)


def test_exercise_2_predict_proba_is_the_sigmoid_of_the_logit(first_model):
    model = first_model.SimpleClassifier()
    points = torch.rand(10, 2)
    with torch.no_grad():
        expected = torch.sigmoid(model(points)).squeeze(dim=1)
    assert torch.allclose(first_model.predict_proba(model, points), expected)
    assert first_model.probabilities.shape == (50,)


def test_exercise_3_a_linear_model_cannot_learn_xor(first_model):
    assert first_model.hidden_accuracy > 0.95  # the same budget is enough with a hidden layer
    assert first_model.hidden_history[-1] < 0.4
    assert first_model.linear_accuracy <= 0.8
    assert min(first_model.linear_history) > 0.6
    assert isinstance(first_model.linear_model, nn.Linear)
