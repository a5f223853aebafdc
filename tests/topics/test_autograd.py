"""What the Autograd page claims, asserted on the code it shows."""

import importlib
import warnings

import pytest
import torch
import torch.nn.functional as F


@pytest.fixture(scope="module")
def ag():
    return importlib.import_module("snippets.autograd")  # see tests/topics/conftest.py


def test_bce_gradients_equal_the_analytic_ones(ag):
    assert torch.allclose(ag.w.grad, ag.dw, atol=1e-6)
    assert torch.allclose(ag.bias.grad, ag.db, atol=1e-6)
    assert ag.w.grad.shape == ag.w.shape
    assert ag.bias.grad.shape == ag.bias.shape


def test_analytic_formula_on_a_fresh_batch():
    torch.manual_seed(1)
    x = torch.randn(6, 4)
    y = torch.randint(0, 2, (6, 2)).float()
    w = torch.randn(4, 2, requires_grad=True)
    b = torch.randn(2, requires_grad=True)
    z = x @ w + b
    F.binary_cross_entropy_with_logits(z, y).backward()
    dz = (torch.sigmoid(z.detach()) - y) / z.numel()
    assert torch.allclose(w.grad, x.T @ dz, atol=1e-6)
    assert torch.allclose(b.grad, dz.sum(dim=0), atol=1e-6)


def test_graph_has_leaves_for_parameters_only(ag):
    names = []

    def walk(fn):
        names.append(fn.name())
        for parent, _ in fn.next_functions:
            if parent is not None:
                walk(parent)

    walk(ag.loss.grad_fn)
    assert names[0] == "BinaryCrossEntropyWithLogitsBackward0"
    assert names.count("torch::autograd::AccumulateGrad") == 2  # w and bias, not x or y


def test_intermediate_has_no_grad_and_warns():
    p = torch.tensor([1.0, 2.0], requires_grad=True)
    h = p * 3
    (h * h).sum().backward()
    assert not h.retains_grad
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert h.grad is None


def test_retain_grad_keeps_the_intermediate_gradient(ag):
    assert torch.equal(ag.h.grad, 2 * ag.h.detach())
    assert torch.equal(ag.p.grad, 3 * ag.h.grad)


def test_accumulation_doubles_the_grad_and_zero_grad_clears_it(ag):
    assert torch.equal(ag.second, 2 * ag.first)
    assert ag.q.grad is None  # optimizer.zero_grad() set it to None


def test_second_backward_raises_without_retain_graph(ag):
    assert torch.allclose(ag.r.grad, 2 * ag.once)
    r = torch.tensor([0.5], requires_grad=True)
    s = (r.exp() * r).sum()
    s.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        s.backward()


def test_non_scalar_backward_needs_a_gradient(ag):
    u = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        (u**2).backward()
    assert torch.equal(ag.u.grad, 2 * ag.u.detach() * torch.tensor([1.0, 0.0, 0.5]))


def test_graph_follows_the_control_flow(ag):
    grads = []
    for start in ([1.0, 2.0], [3.0, 4.0], [20.0, 0.0]):
        t = torch.tensor(start, requires_grad=True)
        total, steps = ag.double_until_big(t)
        total.backward()
        assert torch.equal(t.grad, torch.full_like(t, 2.0**steps))
        grads.append(t.grad[0].item())
    assert grads == [8.0, 2.0, 1.0]


def test_tracking_off():
    w = torch.randn(2, requires_grad=True)
    with torch.no_grad():
        assert not (w * 2).requires_grad
    assert not (w * 2).detach().requires_grad
    with torch.set_grad_enabled(False):
        assert not (w * 2).requires_grad
    with torch.inference_mode():
        assert (w * 2).is_inference()
    assert torch.is_grad_enabled()


def test_set_grad_enabled_context_restores_after_an_error():
    with pytest.raises(ValueError, match="boom"), torch.set_grad_enabled(False):
        raise ValueError("boom")
    assert torch.is_grad_enabled()


def test_frozen_weight_does_not_move(ag):
    assert torch.equal(ag.layer.weight, ag.frozen_before)
    assert ag.layer.weight.grad is None
    assert ag.layer.bias.grad is not None


def test_hook_doubles_the_gradient_until_removed(ag):
    assert torch.equal(ag.with_hook, 2 * ag.without_hook)
    k = torch.tensor([1.0, -3.0], requires_grad=True)
    seen = []
    k.register_hook(lambda grad: seen.append(grad.clone()))  # observes only
    k.register_hook(lambda grad: grad * 2)
    (k * k).sum().backward()
    assert torch.equal(seen[0], 2 * k.detach())
    assert torch.equal(k.grad, 4 * k.detach())


def test_custom_softplus_is_stable_and_its_backward_is_right(ag):
    big = torch.tensor([100.0], requires_grad=True)
    naive = torch.log(1 + torch.exp(big))  # what the page says the literal formula does
    naive.backward()
    assert torch.isinf(naive).all()
    assert torch.isnan(big.grad).all()
    assert ag.stable[2].item() == 100.0
    assert torch.allclose(ag.big.grad, torch.sigmoid(ag.big.detach()))
    x = torch.tensor([-50.0, -1.0, 0.0, 1.0, 50.0], requires_grad=True)
    y = ag.softplus(x)
    y.sum().backward()
    assert torch.allclose(y, F.softplus(x))
    assert torch.allclose(x.grad, torch.sigmoid(x.detach()))
    inputs = torch.randn(5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(ag.softplus, (inputs,), eps=1e-6, atol=1e-4)


def test_gradcheck_catches_a_wrong_backward(ag):
    class WrongSoftplus(ag.StableSoftplus):
        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return torch.sigmoid(x)  # forgets grad_output

    inputs = torch.randn(5, dtype=torch.float64, requires_grad=True)
    weights = torch.linspace(0.5, 2.0, 5, dtype=torch.float64)

    def weighted(t):
        return WrongSoftplus.apply(t) * weights

    assert not torch.autograd.gradcheck(weighted, (inputs,), raise_exception=False)


def test_gradcheck_passes_in_float64_but_not_in_float32(ag):
    inputs = ag.inputs.detach()
    assert torch.autograd.gradcheck(ag.softplus, (inputs.clone().requires_grad_(),), atol=1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # gradcheck warns about float32 inputs
        passed32 = torch.autograd.gradcheck(
            ag.softplus,
            (inputs.float().requires_grad_(),),
            eps=1e-6,
            atol=1e-4,
            raise_exception=False,
        )
    assert passed32 is False  # float32 is too coarse for finite differences


def test_the_drawn_graph_has_the_edges_of_the_expression(ag):
    edges = sorted((ag.label(src), ag.label(dst)) for src, dst in ag.edges)
    assert edges == sorted(
        [
            ("SumBackward0", "AddBackward0"),
            ("AddBackward0", "MulBackward0"),
            ("AddBackward0", "AccumulateGrad\n(c)"),
            ("MulBackward0", "AccumulateGrad\n(a)"),
            ("MulBackward0", "AccumulateGrad\n(b)"),
        ]
    )
    roots = [ag.label(fn) for fn, level in ag.depth.items() if level == 0]
    assert roots == ["SumBackward0"]  # y's grad_fn, on top
    assert max(ag.depth.values()) == 3  # a and b sit three steps below y
    # every node is drawn, as a box with its label, above the nodes it points to
    labels = sorted(text.get_text() for text in ag.ax.texts if text.get_text())  # not arrows
    assert labels == sorted(ag.label(fn) for fn in ag.position)
    for src, dst in ag.edges:
        assert ag.position[src][1] > ag.position[dst][1]
    leaves = {id(fn.variable) for fn in ag.position if hasattr(fn, "variable")}
    assert leaves == {id(ag.a), id(ag.b), id(ag.c)}


def test_autograd_grad_returns_the_gradient_and_accumulates_nothing(ag):
    assert torch.equal(ag.dcube, 3 * torch.tensor([1.0, 2.0, 3.0]) ** 2)
    w = torch.tensor([0.5, -1.0], requires_grad=True)
    (gw,) = torch.autograd.grad((w * w).sum(), w)
    assert torch.equal(gw, 2 * w.detach())
    assert w.grad is None


def test_second_derivative_of_the_cube_is_six_x(ag):
    assert torch.allclose(ag.d1, 3 * ag.g.detach() ** 2)
    assert torch.allclose(ag.d2, 6 * ag.g.detach())
    t = torch.linspace(-2, 2, 9, requires_grad=True)
    (first,) = torch.autograd.grad((t**3).sum(), t, create_graph=True)
    (second,) = torch.autograd.grad(first.sum(), t)
    assert torch.allclose(second, 6 * t.detach())
    (plain,) = torch.autograd.grad((t**3).sum(), t)  # no create_graph: no graph to follow
    with pytest.raises(RuntimeError, match="does not require grad"):
        torch.autograd.grad(plain.sum(), t)


def test_per_sample_gradients_match_a_loop_and_average_to_the_batch_gradient(ag):
    grads = ag.per_sample_grads
    assert grads["weight"].shape == (8, *ag.model.weight.shape)
    assert grads["bias"].shape == (8, *ag.model.bias.shape)
    assert torch.allclose(grads["weight"], ag.loop_grads, atol=1e-6)
    assert ag.mean_matches
    # the bias gradient of one sample's MSE is 2 * (prediction - target)
    with torch.no_grad():
        residual = ag.model(ag.samples) - ag.targets
    assert torch.allclose(grads["bias"], 2 * residual, atol=1e-6)
    # and the samples do differ: the per-sample gradients are not all the mean
    assert not torch.allclose(grads["weight"][0], grads["weight"][1])


def test_exercise_1_gradient_equals_the_product_rule(ag):
    x = torch.tensor([0.3, 1.7, -2.2], requires_grad=True)
    ag.f(x).sum().backward()
    expected = 2 * x.detach() * torch.sin(x.detach()) + x.detach() ** 2 * torch.cos(x.detach())
    assert torch.allclose(x.grad, expected, atol=1e-6)
    assert torch.allclose(ag.x.grad, ag.analytic, atol=1e-5)


def test_exercise_2_backward_accumulates_and_zero_grad_resets(ag):
    assert torch.allclose(ag.two_passes, 2 * ag.one_pass)
    assert torch.allclose(ag.weight.grad, ag.one_pass)
    # the analytic gradient of mean((X w)^2) is 2 X^T (X w) / n
    w = ag.weight.detach()
    expected = 2 * ag.batch.T @ (ag.batch @ w) / len(ag.batch)
    assert torch.allclose(ag.one_pass, expected)


def test_exercise_3_hvp_equals_the_hessian_times_v(ag):
    from torch.autograd.functional import hessian

    def quartic(x):
        return (x**4).sum() + x[0] * x[1] * x[2]

    x = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    v = torch.tensor([0.3, 0.1, -1.0], dtype=torch.float64)
    assert torch.allclose(ag.hvp(quartic, x, v), hessian(quartic, x) @ v)
    assert torch.allclose(ag.product, ag.full @ ag.direction, atol=1e-5)
    e0 = torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)
    assert torch.allclose(ag.hvp(quartic, x, e0), hessian(quartic, x)[:, 0])
