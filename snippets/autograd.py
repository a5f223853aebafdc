"""Autograd: tracking, the graph, backward, autograd.grad, no_grad, hooks, Functions, torch.func."""

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

# --8<-- [start:graph-figure]
import itertools

import matplotlib.pyplot as plt
import torch

a = torch.tensor([1.0, 2.0], requires_grad=True)
b = torch.tensor([3.0, 4.0], requires_grad=True)
c = torch.tensor([5.0, 6.0], requires_grad=True)
y = (a * b + c).sum()
leaf_names = {id(a): "a", id(b): "b", id(c): "c"}


def label(fn):
    leaf = getattr(fn, "variable", None)  # AccumulateGrad nodes hold their leaf tensor
    name = type(fn).__name__
    return f"{name}\n({leaf_names[id(leaf)]})" if leaf is not None else name


depth, edges = {}, []


def walk(fn, level=0):
    """Record the depth of node fn and its edges, then walk the nodes of its inputs."""
    depth[fn] = level
    for parent in [node for node, _ in fn.next_functions if node is not None]:  # None: no grad
        edges.append((fn, parent))
        walk(parent, level + 1)


walk(y.grad_fn)
for src, dst in edges:
    print(label(src), "->", label(dst).replace("\n", " "))

children = {}
for src, dst in edges:
    children.setdefault(src, []).append(dst)
position, leaf_slots = {}, itertools.count()


def place(fn):
    """Leaves side by side, left to right; each node centred above its children."""
    kids = children.get(fn, [])
    for kid in kids:
        place(kid)
    if not kids:  # a leaf: the next free slot
        position[fn] = (2.2 * next(leaf_slots), -depth[fn])
    else:  # one row per depth, the output on top
        position[fn] = (sum(position[kid][0] for kid in kids) / len(kids), -depth[fn])


place(y.grad_fn)
fig, ax = plt.subplots(figsize=(6, 3.6))
for src, dst in edges:  # arrows in the direction backward() travels
    (x0, y0), (x1, y1) = position[src], position[dst]
    ax.annotate(
        "",
        xy=(x1, y1 + 0.28),
        xytext=(x0, y0 - 0.28),
        arrowprops={"arrowstyle": "->", "color": "0.3"},
    )
for fn, (px, py) in position.items():
    leaf = hasattr(fn, "variable")
    ax.text(
        px,
        py,
        label(fn),
        ha="center",
        va="center",
        fontsize=9,
        bbox={"boxstyle": "round", "fc": "#d9ead3" if leaf else "#dae8fc", "ec": "0.4"},
    )
xs = [px for px, _ in position.values()]
ax.set_xlim(min(xs) - 1.2, max(xs) + 1.2)
ax.set_ylim(-max(depth.values()) - 0.6, 0.6)
ax.set_title("backward graph of y = (a * b + c).sum()", fontsize=10)
ax.axis("off")
# --8<-- [end:graph-figure]

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
import torch

p = torch.tensor([1.0, 2.0], requires_grad=True)
h = p * 3  # intermediate: made by an operation
out = (h * h).sum()
print(p.is_leaf, h.is_leaf, out.is_leaf)
out.backward()
print(p.grad)  # leaves that require grad get .grad
print(h.retains_grad)  # False: h.grad stays None
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
s.backward(retain_graph=True)  # keep the saved tensors ...
once = r.grad.clone()
s.backward()  # ... so a second backward works (and accumulates)
print(torch.allclose(r.grad, 2 * once))
# --8<-- [end:retain-graph]

# --8<-- [start:non-scalar]
import torch

u = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
v = u**2  # a vector: one gradient per element of v, for each element of u
v.backward(gradient=torch.ones_like(v))  # weights for v's elements: the same as v.sum()
print(u.grad)  # 2u
u.grad = None
v = u**2
v.backward(gradient=torch.tensor([1.0, 0.0, 0.5]))  # a weighted sum of the rows of dv/du
print(u.grad)
# --8<-- [end:non-scalar]

# --8<-- [start:autograd-grad]
import torch

g = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
cube = (g**3).sum()
(dcube,) = torch.autograd.grad(cube, g)  # one gradient per input, returned as a tuple
print(dcube)  # 3 g**2
print(g.grad)  # nothing was accumulated into .grad
# --8<-- [end:autograd-grad]

# --8<-- [start:second-derivative]
import torch

g = torch.tensor([-1.0, 0.5, 2.0], requires_grad=True)
(d1,) = torch.autograd.grad((g**3).sum(), g, create_graph=True)  # 3 g**2, and its graph
print(d1.grad_fn is not None)  # the gradient is itself a tracked tensor
(d2,) = torch.autograd.grad(d1.sum(), g)  # differentiate the gradient: 6 g
print(d1.detach(), d2)
assert torch.allclose(d1, 3 * g**2)
assert torch.allclose(d2, 6 * g.detach())
# --8<-- [end:second-derivative]

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
print(features.is_inference())
features = features.clone()  # a clone made outside the block is a normal tensor
print(features.is_inference())
(features * w4).sum().backward()
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
stable = softplus(big)
stable.sum().backward()
print("value:", stable.detach())
print("grad: ", big.grad)
# --8<-- [end:function]

# --8<-- [start:gradcheck]
import torch

torch.manual_seed(0)
inputs = torch.randn(8, dtype=torch.float64, requires_grad=True)  # float64: precise enough
print(torch.autograd.gradcheck(softplus, (inputs,), eps=1e-6, atol=1e-4))
print(torch.allclose(softplus(inputs), torch.nn.functional.softplus(inputs)))
# --8<-- [end:gradcheck]

# --8<-- [start:per-sample]
import torch
from torch import nn
from torch.func import functional_call, grad, vmap

torch.manual_seed(0)
model = nn.Linear(3, 1)
samples, targets = torch.randn(8, 3), torch.randn(8, 1)  # a batch of 8 samples
params = {name: p.detach() for name, p in model.named_parameters()}


def sample_loss(params, sample, target):
    # The loss of ONE sample, as a function of the parameters: functional_call runs the
    # model with the given tensors in place of its own parameters.
    prediction = functional_call(model, params, (sample.unsqueeze(0),))  # a batch of 1
    return nn.functional.mse_loss(prediction, target.unsqueeze(0))


# grad(sample_loss) returns the gradients with respect to params (its first argument);
# vmap maps it over dimension 0 of samples and targets, sharing params (in_dims None).
per_sample_grads = vmap(grad(sample_loss), in_dims=(None, 0, 0))(params, samples, targets)
print({name: tuple(g.shape) for name, g in per_sample_grads.items()})

loop_grads = []  # the same with one backward pass per sample
for sample, target in zip(samples, targets, strict=True):
    model.zero_grad()
    nn.functional.mse_loss(model(sample.unsqueeze(0)), target.unsqueeze(0)).backward()
    loop_grads.append(model.weight.grad.clone())
loop_grads = torch.stack(loop_grads)
assert torch.allclose(per_sample_grads["weight"], loop_grads, atol=1e-6)
print("vmap matches the loop:", torch.allclose(per_sample_grads["weight"], loop_grads, atol=1e-6))

batch_loss = nn.functional.mse_loss(model(samples), targets)  # the usual mean over the batch
(batch_grad,) = torch.autograd.grad(batch_loss, model.weight)
mean_matches = torch.allclose(per_sample_grads["weight"].mean(dim=0), batch_grad, atol=1e-6)
print("their mean is the batch gradient:", mean_matches)
# --8<-- [end:per-sample]

# --8<-- [start:exercise-1]
import torch


def f(x):
    return x**2 * torch.sin(x)


x = torch.linspace(-3, 3, 7, requires_grad=True)
f(x).sum().backward()  # the sum's gradient holds df/dx at each point
analytic = 2 * x.detach() * torch.sin(x.detach()) + x.detach() ** 2 * torch.cos(x.detach())
print(x.grad.round(decimals=4))
assert torch.allclose(x.grad, analytic, atol=1e-5)
# --8<-- [end:exercise-1]

# --8<-- [start:exercise-2]
import torch

weight = torch.tensor([1.0, -2.0], requires_grad=True)
batch = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
opt = torch.optim.SGD([weight], lr=0.1)


def batch_loss():
    return ((batch @ weight) ** 2).mean()


batch_loss().backward()
one_pass = weight.grad.clone()
batch_loss().backward()  # a second backward ADDS to .grad
two_passes = weight.grad.clone()
opt.zero_grad()  # what a training loop does before each backward
batch_loss().backward()
print(one_pass, two_passes, weight.grad)
assert torch.allclose(two_passes, 2 * one_pass)
assert torch.allclose(weight.grad, one_pass)
# --8<-- [end:exercise-2]

# --8<-- [start:exercise-3]
import torch
from torch.autograd.functional import hessian


def hvp(fn, x, v):
    """The Hessian of fn at x times v, without building the Hessian."""
    x = x.detach().requires_grad_()
    (gradient,) = torch.autograd.grad(fn(x), x, create_graph=True)  # keep its graph
    (product,) = torch.autograd.grad(gradient @ v, x)  # d/dx (grad . v) = H v
    return product


def fn(x):
    return (x.exp() * x.roll(1)).sum() + (x**3).sum()  # couples neighbouring elements


torch.manual_seed(0)
point, direction = torch.randn(5), torch.randn(5)
product = hvp(fn, point, direction)
full = hessian(fn, point)  # the whole 5x5 matrix, for the check
print(product.round(decimals=4))
assert torch.allclose(product, full @ direction, atol=1e-5)
# --8<-- [end:exercise-3]
