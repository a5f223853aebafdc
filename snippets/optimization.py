"""Optimization: gradient descent by hand, torch.optim, the training step, clipping."""

# --8<-- [start:problem]
import torch

torch.manual_seed(0)
X = torch.randn(100, 3)  # 100 samples, 3 features
true_w = torch.tensor([2.0, -3.4, 1.7])
true_b = 4.2
y = (X @ true_w + true_b + 0.1 * torch.randn(100)).unsqueeze(1)  # shape (100, 1)
print(X.shape, y.shape)
# --8<-- [end:problem]

# --8<-- [start:by-hand]
import torch

w = torch.zeros(3, 1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
lr = 0.1
for step in range(50):
    loss = ((X @ w + b - y) ** 2).mean()
    loss.backward()  # fills w.grad and b.grad
    with torch.no_grad():  # the update itself must not be recorded by autograd
        w -= lr * w.grad
        b -= lr * b.grad
    w.grad.zero_()  # backward() adds to .grad: reset it for the next step
    b.grad.zero_()
    if step % 10 == 0:
        print(f"step {step:2d}: loss {loss.item():.4f}")
print(f"w = {[round(v, 2) for v in w.flatten().tolist()]}, b = {b.item():.2f}")
# --8<-- [end:by-hand]

# --8<-- [start:leaf-in-place]
import torch

p = torch.zeros(3, requires_grad=True)
try:
    p -= 0.1 * torch.ones(3)  # the same update outside torch.no_grad()
except RuntimeError as err:
    print(f"RuntimeError: {err}")
# --8<-- [end:leaf-in-place]

# --8<-- [start:data-silent]
import torch

x = torch.tensor([1.0, 2.0], requires_grad=True)
out = x.exp()  # the backward of exp reuses its output: d/dx exp(x) = exp(x)
out.data.zero_()  # .data changes `out` behind autograd's back ...
out.sum().backward()
print(x.grad)  # ... so the gradient is silently wrong: it should be exp(x)
# --8<-- [end:data-silent]

# --8<-- [start:data-vs-detach]
import torch

# In a plain update, the notes' .data form and the no_grad form give the same numbers ...
p1 = torch.ones(2, requires_grad=True)
p1.grad = torch.full((2,), 0.5)
p2 = torch.ones(2, requires_grad=True)
p2.grad = torch.full((2,), 0.5)
p1.data.sub_(p1.grad.data * 0.1)
with torch.no_grad():
    p2 -= p2.grad * 0.1
print(torch.equal(p1, p2))

# ... and .detach(), unlike .data, shares the version counter: misuse is caught
x = torch.tensor([1.0, 2.0], requires_grad=True)
out = x.exp()
out.detach().zero_()
try:
    out.sum().backward()
except RuntimeError as err:
    print(f"RuntimeError: {str(err).split(';')[0]}")
# --8<-- [end:data-vs-detach]

# --8<-- [start:no-grad-caught]
import torch

x = torch.tensor([1.0, 2.0], requires_grad=True)
out = x.exp()
with torch.no_grad():
    out.zero_()  # the same change, but autograd bumps the tensor's version counter
try:
    out.sum().backward()
except RuntimeError as err:
    print(f"RuntimeError: {err}")
# --8<-- [end:no-grad-caught]

# --8<-- [start:optimizers]
import torch


def train(make_optimizer, steps=50):
    """Fit a fresh, identically initialised linear model to (X, y); return the losses."""
    torch.manual_seed(0)  # the same initial weights for every optimizer
    model = torch.nn.Linear(3, 1)
    optimizer = make_optimizer(model.parameters())
    loss_fn = torch.nn.MSELoss()
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


optimizers = {
    "SGD": lambda params: torch.optim.SGD(params, lr=0.05),
    "SGD momentum": lambda params: torch.optim.SGD(params, lr=0.05, momentum=0.9),
    "Adam": lambda params: torch.optim.Adam(params, lr=0.1),
    "RMSprop": lambda params: torch.optim.RMSprop(params, lr=0.05),
}
shown = [1, 5, 10, 25, 50]  # loss at these steps
print(f"{'step':<14}" + "".join(f"{step:>8}" for step in shown))
for name, make_optimizer in optimizers.items():
    losses = train(make_optimizer)
    print(f"{name:<14}" + "".join(f"{losses[step - 1]:>8.3f}" for step in shown))
# --8<-- [end:optimizers]

# --8<-- [start:wrong-names]
import torch

model = torch.nn.Linear(3, 1)
try:
    torch.optim.SGD(model.parameters(), learning_rate=1e-3)  # as in the notes
except TypeError as err:
    print(f"TypeError: {err}")
optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)  # the argument is `lr`
try:
    optimizer.backward()  # as in the notes: the loss does backward, not the optimizer
except AttributeError as err:
    print(f"AttributeError: {err}")
# --8<-- [end:wrong-names]

# --8<-- [start:accumulate]
import torch
from torch import nn

torch.manual_seed(0)
model = nn.Linear(3, 1)
loss_fn = nn.MSELoss()
for call in range(1, 4):
    loss_fn(model(X), y).backward()  # no zero_grad() in between
    print(f"after backward #{call}: bias grad {model.bias.grad.item():.3f}")
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
optimizer.zero_grad()  # sets every .grad to None (set_to_none=True is the default)
print("after zero_grad():", model.bias.grad)
# --8<-- [end:accumulate]

# --8<-- [start:forgot-zero-grad]
import torch
from torch import nn


def losses_with(zero_grad, steps=30):
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    losses = []
    for _ in range(steps):
        if zero_grad:
            optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses[::5]  # every fifth step


print("with zero_grad:   ", " ".join(f"{v:6.2f}" for v in losses_with(zero_grad=True)))
print("without zero_grad:", " ".join(f"{v:6.2f}" for v in losses_with(zero_grad=False)))
# --8<-- [end:forgot-zero-grad]

# --8<-- [start:subset]
import torch
from torch import nn

torch.manual_seed(0)
net = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 1))
optimizer = torch.optim.SGD(net[2].parameters(), lr=0.05)  # only the last layer
first_before = net[0].weight.clone()
last_before = net[2].weight.clone()
for _ in range(20):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(net(X), y)
    loss.backward()
    optimizer.step()
print("first layer unchanged:", torch.equal(net[0].weight, first_before))
print("last layer unchanged: ", torch.equal(net[2].weight, last_before))
print("first layer still got a gradient:", net[0].weight.grad is not None)
# --8<-- [end:subset]

# --8<-- [start:learning-rates]
import torch

for lr in [0.001, 0.05, 1.0]:
    losses = train(lambda params, lr=lr: torch.optim.SGD(params, lr=lr))
    shown = ", ".join(f"{losses[step - 1]:.3g}" for step in [1, 25, 50])
    print(f"lr={lr:<6} loss after 1, 25, 50 steps: {shown}")
# --8<-- [end:learning-rates]

# --8<-- [start:hyperparameters]
import math

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

epochs = 3
batch_size = 16
learning_rate = 0.05

loader = DataLoader(
    TensorDataset(X, y),
    batch_size=batch_size,
    shuffle=True,
    generator=torch.Generator().manual_seed(0),
)
steps_per_epoch = math.ceil(len(X) / batch_size)  # the last batch is smaller
print(f"N = {len(X)}, batch_size = {batch_size}: {steps_per_epoch} steps per epoch")
print(f"len(loader) = {len(loader)}, batch sizes: {[len(xb) for xb, _ in loader]}")
dropped = DataLoader(TensorDataset(X, y), batch_size=batch_size, drop_last=True)
print(f"with drop_last=True: {len(dropped)} steps, {len(dropped) * batch_size} samples used")

torch.manual_seed(0)
model = nn.Linear(3, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)
steps = 0
for epoch in range(epochs):
    for xb, yb in loader:
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(xb), yb)
        loss.backward()
        optimizer.step()
        steps += 1
    with torch.no_grad():
        full_loss = nn.functional.mse_loss(model(X), y).item()
    print(f"epoch {epoch + 1}: {steps} steps so far, loss on all data {full_loss:.3f}")
# --8<-- [end:hyperparameters]

# --8<-- [start:clip-value]
import torch
from torch import nn

torch.manual_seed(0)
model = nn.Linear(3, 1)
nn.functional.mse_loss(model(X), y).backward()
print(
    "gradients before:",
    [[round(g, 3) for g in p.grad.flatten().tolist()] for p in model.parameters()],
)
torch.nn.utils.clip_grad_value_(model.parameters(), clip_value=1.0)  # each entry into [-1, 1]
print("gradients after:", [p.grad.flatten().tolist() for p in model.parameters()])
# --8<-- [end:clip-value]

# --8<-- [start:clip-norm-typo]
import torch

try:
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm=1)  # as in the notes
except TypeError as err:
    print(f"TypeError: {err}")
# --8<-- [end:clip-norm-typo]

# --8<-- [start:clip-norm]
import torch
from torch import nn

torch.manual_seed(0)
model = nn.Linear(3, 1)
nn.functional.mse_loss(model(X), y).backward()
params = list(model.parameters())
print("norm of each gradient:", [f"{p.grad.norm().item():.3f}" for p in params])
global_norm = torch.cat([p.grad.flatten() for p in params]).norm()  # one vector of all grads

total_norm = torch.nn.utils.clip_grad_norm_(params, max_norm=1.0)  # returns the norm before
print(f"returned total norm: {total_norm.item():.3f}")
print(f"norm of all gradients together: {global_norm.item():.3f}")

after = torch.cat([p.grad.flatten() for p in params]).norm()
print(f"global norm after clipping: {after.item():.3f}")
print("norm of each gradient after:", [f"{p.grad.norm().item():.3f}" for p in params])
# --8<-- [end:clip-norm]

# --8<-- [start:clip-in-loop]
import torch
from torch import nn

torch.manual_seed(0)
model = nn.Linear(3, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(30):
    optimizer.zero_grad()
    loss = nn.functional.mse_loss(model(X), y)
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)  # after backward
    optimizer.step()  # ... and before step
    if step % 10 == 0:
        print(f"step {step:2d}: loss {loss.item():6.3f}, gradient norm before clipping {norm:.2f}")
# --8<-- [end:clip-in-loop]
