"""What the Building models page claims: hooks, registration, buffers, init, shapes, batching."""

import importlib
import inspect
import math

import pytest
import torch
from torch import nn

from snippets import models


def assert_close(actual, expected):
    # torch.allclose: torch.testing's first call costs seconds of imports
    assert actual.shape == expected.shape
    assert torch.allclose(actual, expected, atol=1e-6)


def test_hook_fires_through_call_only():
    model = models.SimpleClassifier(num_inputs=2, num_hidden=4, num_outputs=1)
    fired = []
    model.register_forward_hook(lambda module, inputs, output: fired.append(output))
    x = torch.randn(5, 2)
    out = model(x)
    assert len(fired) == 1
    assert fired[0] is out
    model.forward(x)
    assert len(fired) == 1  # forward alone skipped the hook
    assert models.calls == [(3, 1)]  # the page's hook fired once, then was removed


def test_simple_classifier_has_the_signature_of_the_first_model_page():
    first_model = importlib.import_module("snippets.first_model")  # see tests/topics/conftest.py
    ours = inspect.signature(models.SimpleClassifier.__init__)
    theirs = inspect.signature(first_model.SimpleClassifier.__init__)
    assert ours == theirs
    assert list(ours.parameters) == ["self", "num_inputs", "num_hidden", "num_outputs"]
    names = [name for name, _ in models.SimpleClassifier(3, 5, 2).named_parameters()]
    assert names == [name for name, _ in first_model.SimpleClassifier(3, 5, 2).named_parameters()]


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
    assert isinstance(plain.layers, list)  # an attribute all the same
    assert len(plain.layers) == 3
    assert "layers" in vars(plain)  # stored as a plain attribute, not in _modules
    assert "layers" in registered._modules
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


def test_a_residual_block_adds_its_input_and_passes_gradients_straight_through():
    torch.manual_seed(1)
    block = models.Residual(8)
    x = torch.randn(5, 8, requires_grad=True)
    out = block(x)
    assert_close(out, x + block.layers(x))
    assert not torch.allclose(out, x)  # freshly initialized, the layers add something
    # d(sum(out))/dx = 1 (the skip) + what flows through the layers: with the last layer at
    # zero, the layers pass no gradient back and the skip alone gives ones
    nn.init.zeros_(block.layers[2].weight)
    block(x).sum().backward()
    assert torch.equal(x.grad, torch.ones_like(x))
    assert models.res_block(models.res_input).equal(models.res_input)  # the page's zeroed block


def test_the_functional_model_returns_logits_that_its_module_twins_compute():
    assert models.probs.shape == (3, 10)  # the last `probs` is the step-by-step one
    classifier = models.FunctionalClassifier()
    x = torch.randn(50, 2) * 10
    logits = classifier(x)
    assert_close(logits, classifier.linear2(nn.ReLU()(classifier.linear1(x))))
    assert ((logits < 0) | (logits > 1)).any()  # raw scores, not probabilities


def test_buffers_move_with_the_model_and_persistent_ones_are_saved():
    module = models.Standardize(mean=[1.0, 2.0, 3.0], std=[1.0, 2.0, 4.0])
    assert [name for name, _ in module.named_parameters()] == ["gain"]
    assert [name for name, _ in module.named_buffers()] == ["mean", "std", "eps"]
    assert list(module.state_dict()) == ["gain", "mean", "std"]  # eps is not persistent
    assert not any(b.requires_grad for b in module.buffers())
    module.double()
    assert all(b.dtype == torch.float64 for b in module.buffers())
    x = torch.tensor([[2.0, 4.0, 7.0]], dtype=torch.float64)
    assert torch.allclose(module(x), torch.ones(1, 3, dtype=torch.float64), atol=1e-5)
    # the page's instance was converted too, and standardized its input to ones
    assert models.standardize.mean.dtype == torch.float64
    # a state_dict without eps loads into a fresh module, which has its own eps
    fresh = models.Standardize(mean=[0.0, 0.0, 0.0], std=[1.0, 1.0, 1.0]).double()
    fresh.load_state_dict(module.state_dict())  # strict: no key is missing or unexpected
    assert torch.equal(fresh.std, module.std)
    assert torch.equal(fresh(x), module(x))


def test_batchnorm_updates_running_stats_in_train_only():
    assert list(models.bn.state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert models.bn.num_batches_tracked.item() == 1  # the eval() pass did not count
    assert torch.equal(models.bn.running_mean, models.stats_after_train)
    expected_mean = 0.1 * models.batch.mean(dim=0)  # momentum 0.1, from 0
    assert torch.allclose(models.bn.running_mean, expected_mean, atol=1e-6)
    expected_var = 0.9 + 0.1 * models.batch.var(dim=0)  # unbiased batch variance, from 1
    assert torch.allclose(models.bn.running_var, expected_var, atol=1e-5)
    bn = nn.BatchNorm1d(2)
    bn.eval()
    bn(torch.randn(8, 2) + 10)
    assert torch.equal(bn.running_mean, torch.zeros(2))
    bn.train()
    bn(torch.randn(8, 2) + 10)
    assert (bn.running_mean > 0.5).all()


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


def test_default_init_is_uniform_with_lecun_bound():
    assert models.fc.weight.abs().max() <= models.bound
    assert models.bound == pytest.approx(1 / math.sqrt(400))
    assert models.fc.weight.std().item() == pytest.approx(1 / math.sqrt(3 * 400), rel=0.05)


def test_init_fn_gives_kaiming_to_convs_xavier_to_linears_and_zero_biases():
    net = models.Net()
    torch.manual_seed(1)
    net.apply(models.init_fn)
    for module in (net.conv1, net.conv2):
        fan_in, _ = models.fans(module.weight)
        assert module.weight.std().item() == pytest.approx(math.sqrt(2 / fan_in), rel=0.1)
        assert torch.all(module.bias == 0)
    for module in (net.fc1, net.fc2, net.fc3):
        fan_in, fan_out = models.fans(module.weight)
        bound = math.sqrt(6 / (fan_in + fan_out))  # xavier_uniform_'s range
        assert module.weight.abs().max().item() <= bound
        assert torch.all(module.bias == 0)
    assert models.fans(nn.Conv2d(6, 16, 5).weight) == (6 * 25, 16 * 25)
    assert models.fans(nn.Linear(400, 120).weight) == (400, 120)
    assert models.net.fc3.weight.std().item() == pytest.approx(0.01, rel=0.1)  # normal_


def test_only_kaiming_keeps_the_activations_through_depth():
    stds = models.depth_stds
    assert set(stds) == {"default", "xavier_uniform_", "kaiming_normal_"}
    assert all(len(values) == 20 for values in stds.values())
    assert 0.3 < stds["kaiming_normal_"][-1] < 1.5
    assert stds["xavier_uniform_"][-1] < 0.01
    assert stds["default"][-1] < 0.05
    assert len(models.ax.get_lines()) == 3  # one curve per scheme in the figure


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


def test_unsqueeze_gives_net_a_batch_of_one():
    assert models.batch_of_one.shape == (1, 3, 32, 32)
    assert models.image_logits.shape == (1, 10)
    assert torch.equal(models.net(models.image.unsqueeze(0)), models.image_logits)


def test_exercise_1_parameter_count():
    assert models.counted == models.by_hand == 101770
    for sizes in ((10, 5, 2), (3, 7, 1)):
        mlp = nn.Sequential(nn.Linear(sizes[0], sizes[1]), nn.ReLU(), nn.Linear(*sizes[1:]))
        expected = sizes[0] * sizes[1] + sizes[1] + sizes[1] * sizes[2] + sizes[2]
        assert sum(p.numel() for p in mlp.parameters()) == expected


def test_exercise_2_tower_registers_and_trains_every_block():
    assert all(models.moved)
    tower = models.Tower(width=4, depth=5)
    assert len(list(tower.parameters())) == 10
    assert len(tower.state_dict()) == 10
    assert tower(torch.randn(3, 4)).shape == (3, 4)
    tower.double()
    assert all(block.weight.dtype == torch.float64 for block in tower.blocks)


def test_exercise_3_kaiming_init_keeps_the_scale():
    deep = nn.Sequential(*[nn.Sequential(nn.Linear(64, 64), nn.ReLU()) for _ in range(5)])
    deep.apply(models.kaiming_init)
    for block in deep:
        assert torch.all(block[0].bias == 0)
        assert block[0].weight.std().item() == pytest.approx(math.sqrt(2 / 64), rel=0.1)
    assert 0.3 < models.out.std().item() < 3


def test_exercise_4_state_dict_carries_the_running_statistics():
    assert models.fresh[1].num_batches_tracked.item() == 5
    assert torch.equal(models.fresh[1].running_mean, models.trained[1].running_mean)
    untouched = nn.BatchNorm1d(8)
    assert not torch.equal(models.trained[1].running_mean, untouched.running_mean)
