"""What the Autograd page claims, asserted on the code it shows."""

import pytest
import torch
import torch.nn.functional as F

from snippets import autograd as ag


def test_bce_gradients_equal_the_analytic_ones():
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


def test_graph_has_leaves_for_parameters_only():
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
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert h.grad is None
    assert ag.first_sentences.startswith("The .grad attribute of a Tensor that is not a leaf")


def test_retain_grad_keeps_the_intermediate_gradient():
    assert torch.equal(ag.h.grad, 2 * ag.h.detach())
    assert torch.equal(ag.p.grad, 3 * ag.h.grad)


def test_accumulation_doubles_the_grad_and_zero_grad_clears_it():
    assert torch.equal(ag.second, 2 * ag.first)
    assert ag.q.grad is None  # optimizer.zero_grad() set it to None


def test_second_backward_raises_without_retain_graph():
    assert "backward through the graph a second time" in ag.second_backward_error
    assert torch.allclose(ag.r.grad, 2 * ag.once)
    r = torch.tensor([0.5], requires_grad=True)
    s = (r.exp() * r).sum()
    s.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        s.backward()


def test_non_scalar_backward_needs_a_gradient():
    u = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        (u**2).backward()
    assert torch.equal(ag.u.grad, 2 * ag.u.detach() * torch.tensor([1.0, 0.0, 0.5]))


def test_graph_follows_the_control_flow():
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
    assert torch.is_grad_enabled()  # the page's global set_grad_enabled(False) was undone


def test_set_grad_enabled_context_restores_after_an_error():
    with pytest.raises(ValueError, match="boom"), torch.set_grad_enabled(False):
        raise ValueError("boom")
    assert torch.is_grad_enabled()


def test_frozen_weight_does_not_move():
    assert torch.equal(ag.layer.weight, ag.frozen_before)
    assert ag.layer.weight.grad is None
    assert ag.layer.bias.grad is not None


def test_hook_doubles_the_gradient_until_removed():
    assert torch.equal(ag.with_hook, 2 * ag.without_hook)
    k = torch.tensor([1.0, -3.0], requires_grad=True)
    seen = []
    k.register_hook(lambda grad: seen.append(grad.clone()))  # observes only
    k.register_hook(lambda grad: grad * 2)
    (k * k).sum().backward()
    assert torch.equal(seen[0], 2 * k.detach())
    assert torch.equal(k.grad, 4 * k.detach())


def test_custom_softplus_is_stable_and_its_backward_is_right():
    assert torch.isinf(ag.naive[2])
    assert ag.stable[2].item() == 100.0
    x = torch.tensor([-50.0, -1.0, 0.0, 1.0, 50.0], requires_grad=True)
    y = ag.softplus(x)
    y.sum().backward()
    assert torch.allclose(y, F.softplus(x))
    assert torch.allclose(x.grad, torch.sigmoid(x.detach()))
    inputs = torch.randn(5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(ag.softplus, (inputs,), eps=1e-6, atol=1e-4)


def test_gradcheck_catches_a_wrong_backward():
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
    assert ag.passed32 is False  # float32 is too coarse for finite differences
