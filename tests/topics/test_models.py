"""What the Building models page claims: hooks, registration, shapes, softmax, batching."""

import pytest
import torch
from torch import nn

from snippets import models


def assert_close(actual, expected):
    # torch.allclose: torch.testing's first call costs seconds of imports
    assert actual.shape == expected.shape
    assert torch.allclose(actual, expected, atol=1e-6)


def test_hook_fires_through_call_only():
    model = models.SimpleClassifier(2, 4, 1)
    fired = []
    model.register_forward_hook(lambda module, inputs, output: fired.append(output))
    x = torch.randn(5, 2)
    out = model(x)
    assert len(fired) == 1
    assert fired[0] is out
    model.forward(x)
    assert len(fired) == 1  # forward alone skipped the hook
    assert models.calls == [torch.Size([3, 1])]  # the page's hook fired once, then was removed


def test_simple_classifier_parameters():
    shapes = {name: tuple(p.shape) for name, p in models.model.named_parameters()}
    assert shapes == {
        "linear1.weight": (4, 2),
        "linear1.bias": (4,),
        "linear2.weight": (1, 4),
        "linear2.bias": (1,),
    }
    assert models.n_params == 17


def test_plain_list_registers_nothing_module_list_does():
    plain, registered = models.PlainList(), models.Registered()
    assert models.count(plain) == 0
    assert plain.state_dict() == {}
    assert models.count(registered) == 3 * (4 * 4 + 4)
    assert len(registered.state_dict()) == 6
    # what is not registered is not moved either
    registered.to(torch.float64)
    plain.to(torch.float64)
    assert all(layer.weight.dtype == torch.float64 for layer in registered.layers)
    assert all(layer.weight.dtype == torch.float32 for layer in plain.layers)
    assert registered(torch.randn(2, 4, dtype=torch.float64)).shape == (2, 4)


def test_sequential_matches_the_class_and_names_layers():
    assert [type(m) for m in models.seq] == [nn.Linear, nn.Tanh, nn.Linear]
    assert models.named.hidden is models.named[0]
    assert models.named.output.out_features == 1
    x = torch.randn(6, 2)
    manual = models.named.output(torch.tanh(models.named.hidden(x)))
    assert_close(models.named(x), manual)


def test_functional_outputs_are_probabilities_and_f_sigmoid_is_an_alias():
    assert models.probs.shape == (3, 10)  # the last `probs` is the step-by-step one
    classifier = models.FunctionalClassifier()
    p = classifier(torch.randn(50, 2) * 10)
    assert ((p > 0) & (p < 1)).all()
    assert models.caught == []
    assert torch.equal(models.old, torch.sigmoid(models.scores))


def test_softmax_rows_sum_to_one():
    assert_close(models.probs.sum(dim=1), torch.ones(3))
    assert (models.probs >= 0).all()
    assert torch.equal(models.probs.argmax(dim=1), models.logits.argmax(dim=1))
    log_probs = nn.LogSoftmax(dim=1)(models.logits)
    assert_close(log_probs.exp(), models.probs)


def test_dropout_scales_in_training_and_is_identity_in_eval():
    dropout = nn.Dropout(p=0.5)
    out = dropout(torch.ones(1000))
    assert set(out.unique().tolist()) == {0.0, 2.0}
    dropout.eval()
    assert torch.equal(dropout(torch.ones(1000)), torch.ones(1000))


def test_linear_computes_x_w_transpose_plus_b():
    layer = models.layer
    assert layer.weight.shape == (512, 784)
    assert layer.weight.requires_grad
    assert layer.bias.requires_grad
    x = torch.randn(2, 784)
    assert_close(layer(x), x @ layer.weight.T + layer.bias)


def test_net_shapes_and_parameter_count():
    net = models.Net()
    assert net(torch.randn(5, 3, 32, 32)).shape == (5, 10)
    assert sum(p.numel() for p in net.parameters()) == 62006
    assert tuple(models.x.shape) == (1, 10)  # the trace ended at fc3


def test_layers_accept_unbatched_input_but_net_needs_a_batch():
    conv = nn.Conv2d(3, 6, 5)
    image = torch.randn(3, 32, 32)
    assert_close(conv(image), conv(image.unsqueeze(0)).squeeze(0))
    with pytest.raises(RuntimeError, match="Expected 3D"):
        conv(torch.randn(32, 32))
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        models.Net()(image)
    linear = nn.Linear(2, 1)
    sample = torch.randn(2)
    assert_close(linear(sample), linear(sample.unsqueeze(0)).squeeze(0))


def test_neural_network_logits_are_not_clamped():
    net = models.NeuralNetwork()
    assert not isinstance(net.linear_relu_stack[-1], nn.ReLU)
    logits = net(torch.rand(4, 28, 28))
    assert logits.shape == (4, 10)
    assert (logits < 0).any()
