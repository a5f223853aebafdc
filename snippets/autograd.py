"""Autograd: tracking, the graph, backward, leaves, accumulation, no_grad, hooks, Functions."""

# --8<-- [start:requires-grad]
import torch

a = torch.tensor([2.0, 3.0], requires_grad=True)  # tracked from creation
b = torch.tensor([1.0, 4.0])
print(a.requires_grad, b.requires_grad)
b.requires_grad_()  # in place, after creation (the trailing underscore)
print(b.requires_grad)
print(torch.nn.Linear(2, 1).weight.requires_grad)  # parameters ask for it already
# --8<-- [end:requires-grad]

# --8<-- [start:grad-fn]
import torch

a = torch.tensor([2.0, 3.0], requires_grad=True)
c = a * a + 1
print(c.grad_fn.name())  # the last operation that made c
print(a.grad_fn)  # a was created by you, not by an operation
print(torch.tensor([1.0]).add(1).grad_fn)  # no tracked input: nothing recorded
# --8<-- [end:grad-fn]

# --8<-- [start:graph]
import torch
import torch.nn.functional as F

torch.manual_seed(0)
x = torch.randn(4, 5)  # a batch of 4 inputs with 5 features: data, not learned
y = torch.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]])
w = torch.randn(5, 3, requires_grad=True)  # parameters: learned, so tracked
bias = torch.randn(3, requires_grad=True)
z = x @ w + bias  # logits, shape (4, 3)
loss = F.binary_cross_entropy_with_logits(z, y)  # mean over all 12 elements


def show_graph(fn, depth=0):
    """Print the backward graph, from the loss down to the leaves."""
    leaf = getattr(fn, "variable", None)  # AccumulateGrad nodes hold their leaf
    shape = f" -> leaf of shape {list(leaf.shape)}" if leaf is not None else ""
    print("    " * depth + fn.name() + shape)
    for parent, _ in fn.next_functions:
        if parent is not None:  # None: an input that needs no gradient (x, y)
            show_graph(parent, depth + 1)


show_graph(loss.grad_fn)
# --8<-- [end:graph]

# --8<-- [start:analytic]
import torch

loss.backward()  # fills w.grad and bias.grad

n = z.numel()  # the loss is a mean over all 12 logits
dz = (torch.sigmoid(z.detach()) - y) / n  # dL/dz for BCE on logits
dw = x.T @ dz  # dL/dw, shape (5, 3) like w
db = dz.sum(dim=0)  # dL/dbias: bias was broadcast over the 4 rows
print(w.grad.shape, bias.grad.shape)
print("dL/dw matches:", torch.allclose(w.grad, dw, atol=1e-6))
print("dL/db matches:", torch.allclose(bias.grad, db, atol=1e-6))
print("autograd:", bias.grad.numpy().round(4))
print("by hand: ", db.numpy().round(4))
# --8<-- [end:analytic]

# --8<-- [start:leaves]
import warnings

import torch

p = torch.tensor([1.0, 2.0], requires_grad=True)
h = p * 3  # intermediate: made by an operation
out = (h * h).sum()
print(p.is_leaf, h.is_leaf, out.is_leaf)
out.backward()
print(p.grad)  # leaves that require grad get .grad
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    print(h.grad)  # an intermediate's .grad is not kept ...
first_sentences = str(caught[0].message).split(" If you")[0]
print(f"{caught[0].category.__name__}: {first_sentences}")  # ... and PyTorch warns
# --8<-- [end:leaves]

# --8<-- [start:retain-grad]
import torch

p = torch.tensor([1.0, 2.0], requires_grad=True)
h = p * 3
h.retain_grad()  # ask autograd to keep this intermediate's gradient
out = (h * h).sum()
out.backward()
print(h.grad)  # d(out)/dh = 2h
print(p.grad)  # d(out)/dp = 2h * 3
# --8<-- [end:retain-grad]

# --8<-- [start:accumulate]
import torch

q = torch.tensor([1.0, 2.0], requires_grad=True)
(q * q).sum().backward()
first = q.grad.clone()
(q * q).sum().backward()  # a second forward and backward: gradients are added
second = q.grad.clone()
print(first, second)

q.grad.zero_()  # reset in place ...
print(q.grad)
q.grad = None  # ... or drop it
print(q.grad)

optimizer = torch.optim.SGD([q], lr=0.1)
(q * q).sum().backward()
optimizer.zero_grad()  # in a training loop: the optimizer drops them (set_to_none=True)
print(q.grad)
# --8<-- [end:accumulate]

# --8<-- [start:retain-graph]
import torch

r = torch.tensor([1.0, 2.0], requires_grad=True)
s = (r.exp() * r).sum()
s.backward()
try:
    s.backward()  # the graph's saved tensors were freed by the first backward
except RuntimeError as err:
    second_backward_error = str(err)
    print(f"RuntimeError: {err}")

r.grad = None
s = (r.exp() * r).sum()
s.backward(retain_graph=True)  # keep the saved tensors ...
once = r.grad.clone()
s.backward()  # ... so a second backward works (and accumulates)
print(torch.allclose(r.grad, 2 * once))
# --8<-- [end:retain-graph]

# --8<-- [start:non-scalar]
import torch

u = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
v = u**2  # a vector: one gradient per element of v, for each element of u
try:
    v.backward()
except RuntimeError as err:
    print(f"RuntimeError: {err}")

v.backward(gradient=torch.ones_like(v))  # weights for v's elements: the same as v.sum()
print(u.grad)  # 2u
u.grad = None
v = u**2
v.backward(gradient=torch.tensor([1.0, 0.0, 0.5]))  # a weighted sum of the rows of dv/du
print(u.grad)
# --8<-- [end:non-scalar]

# --8<-- [start:dynamic]
import torch


def double_until_big(t):
    # Plain Python control flow: how many operations run depends on the data.
    steps = 0
    while t.norm() < 10:
        t = t * 2
        steps += 1
    return t.sum(), steps


for start in ([1.0, 2.0], [3.0, 4.0]):
    t = torch.tensor(start, requires_grad=True)
    total, steps = double_until_big(t)  # this forward pass records a new graph
    total.backward()
    print(f"{start}: doubled {steps} time(s), grad {t.grad}")  # grad = 2**steps
# --8<-- [end:dynamic]

# --8<-- [start:no-grad]
import torch

w2 = torch.randn(3, 2, requires_grad=True)
x2 = torch.ones(1, 3)
print("tracked:", (x2 @ w2).requires_grad)

with torch.no_grad():
    z2 = x2 @ w2
print("no_grad:", z2.requires_grad)

z2 = (x2 @ w2).detach()  # same data, cut from the graph
print("detach:", z2.requires_grad)

with torch.set_grad_enabled(False):  # like no_grad, but takes a flag
    z2 = x2 @ w2
print("set_grad_enabled(False):", z2.requires_grad)

with torch.inference_mode():  # for code that will never need gradients
    z2 = x2 @ w2
print("inference_mode:", z2.requires_grad, z2.is_inference())
# --8<-- [end:no-grad]

# --8<-- [start:set-grad-enabled]
import torch

w3 = torch.randn(3, requires_grad=True)
torch.set_grad_enabled(False)  # as the notes do: off for everything that follows
# ... inference code; then, later, the training code runs in the same session:
loss3 = (w3 * 2).sum()
try:
    loss3.backward()
except RuntimeError as err:
    print(f"RuntimeError: {err}")
torch.set_grad_enabled(True)  # undo it by hand

for training in (True, False):
    with torch.set_grad_enabled(training):  # restored when the block ends, even on error
        loss3 = (w3 * 2).sum()
    print(f"training={training}: requires_grad={loss3.requires_grad}")
print("enabled afterwards:", torch.is_grad_enabled())
# --8<-- [end:set-grad-enabled]

# --8<-- [start:inference-tensors]
import torch

w4 = torch.randn(3, requires_grad=True)
with torch.inference_mode():
    features = torch.ones(3) * 2
try:
    (features * w4).sum().backward()
except RuntimeError as err:
    print(f"RuntimeError: {err}")
(features.clone() * w4).sum().backward()  # a clone outside the block is a normal tensor
print(w4.grad)
# --8<-- [end:inference-tensors]

# --8<-- [start:freeze]
import torch
from torch import nn

layer = nn.Linear(3, 1)
layer.weight.requires_grad_(False)  # frozen: no gradient, so no update
frozen_before = layer.weight.clone()
optimizer = torch.optim.SGD([p for p in layer.parameters() if p.requires_grad], lr=0.1)
layer(torch.ones(2, 3)).sum().backward()
optimizer.step()
print(layer.weight.grad, layer.bias.grad)
print("weight unchanged:", torch.equal(layer.weight, frozen_before))
# --8<-- [end:freeze]

# --8<-- [start:hooks]
import torch

k = torch.tensor([1.0, 2.0], requires_grad=True)
m = k * 3
m.register_hook(lambda grad: print("grad reaching m:", grad))  # returns None: only looks
handle = k.register_hook(lambda grad: grad * 2)  # returns a tensor: replaces the gradient
(m * m).sum().backward()
print("k.grad with the doubling hook:", k.grad)
with_hook = k.grad.clone()

handle.remove()  # hooks stay until removed
k.grad = None
((k * 3) * (k * 3)).sum().backward()
print("k.grad without it:           ", k.grad)
without_hook = k.grad.clone()
# --8<-- [end:hooks]

# --8<-- [start:function]
import torch


class StableSoftplus(torch.autograd.Function):
    """softplus(x) = log(1 + exp(x)), computed without overflow."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)  # what backward will need
        # log(1 + e^x) = max(x, 0) + log(1 + e^-|x|): e^-|x| never overflows
        return x.clamp(min=0) + torch.log1p(torch.exp(-x.abs()))

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.sigmoid(x)  # chain rule: d softplus/dx = sigmoid(x)


softplus = StableSoftplus.apply  # call .apply, never forward() directly

big = torch.tensor([-5.0, 0.0, 100.0], requires_grad=True)
naive = torch.log(1 + torch.exp(big))  # exp(100) overflows float32
naive.sum().backward()
print("naive: ", naive.detach(), big.grad)

big.grad = None
stable = softplus(big)
stable.sum().backward()
print("stable:", stable.detach(), big.grad)
# --8<-- [end:function]

# --8<-- [start:gradcheck]
import warnings

import torch

torch.manual_seed(0)
inputs = torch.randn(8, dtype=torch.float64, requires_grad=True)
print(torch.autograd.gradcheck(softplus, (inputs,), eps=1e-6, atol=1e-4))
print(torch.allclose(softplus(inputs), torch.nn.functional.softplus(inputs)))

inputs32 = inputs.detach().float().requires_grad_()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # gradcheck warns that float32 will likely fail
    passed32 = torch.autograd.gradcheck(
        softplus, (inputs32,), eps=1e-6, atol=1e-4, raise_exception=False
    )
print(passed32)
# --8<-- [end:gradcheck]
