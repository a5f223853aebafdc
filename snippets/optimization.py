"""Optimization: gradient descent by hand, torch.optim (momentum, Adam, AdamW, parameter
groups), the training step, learning rates, batches and epochs, gradient clipping."""

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

# --8<-- [start:optimizers]
import matplotlib.pyplot as plt
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
    "SGD, momentum 0.9": lambda params: torch.optim.SGD(params, lr=0.05, momentum=0.9),
    "Adam": lambda params: torch.optim.Adam(params, lr=0.1),
    "AdamW": lambda params: torch.optim.AdamW(params, lr=0.1),  # weight_decay=0.01
}
fig, ax = plt.subplots(figsize=(6, 3))
for (name, make_optimizer), style in zip(optimizers.items(), ["-", "-", "-", "--"], strict=True):
    losses = train(make_optimizer)
    ax.plot(range(1, len(losses) + 1), losses, style, label=name)
    print(f"{name:<18} loss at step 50: {losses[-1]:.3f}")
ax.set(xlabel="step", ylabel="MSE loss (log scale)", yscale="log")
ax.legend()
# --8<-- [end:optimizers]

# --8<-- [start:momentum]
import torch
from torch import nn

torch.manual_seed(0)
model = nn.Linear(3, 1)
lr, momentum = 0.05, 0.9
optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)

# The same model, updated by hand with the formula
mine = [p.detach().clone().requires_grad_() for p in model.parameters()]  # weight, bias
velocity = [torch.zeros_like(p) for p in mine]
history = []  # every gradient so far, of the weight
for step in range(5):
    optimizer.zero_grad()
    nn.functional.mse_loss(model(X), y).backward()
    optimizer.step()

    grads = torch.autograd.grad(nn.functional.mse_loss(X @ mine[0].T + mine[1], y), mine)
    history.append(grads[0])
    with torch.no_grad():
        for p, grad, buf in zip(mine, grads, velocity, strict=True):
            buf.mul_(momentum).add_(grad)  # buf = momentum * buf + grad
            p -= lr * buf  # p = p - lr * buf
    same = all(torch.allclose(p, q) for p, q in zip(model.parameters(), mine, strict=True))
    print(f"step {step + 1}: torch.optim.SGD and the formula give the same weights: {same}")

buffer = optimizer.state[model.weight]["momentum_buffer"]  # the velocity PyTorch keeps
decaying_sum = sum(momentum**age * g for age, g in enumerate(reversed(history)))
print("SGD's buffer equals ours:", torch.allclose(buffer, velocity[0]))
print("buffer = g5 + 0.9 g4 + 0.81 g3 + ...:", torch.allclose(buffer, decaying_sum))
# --8<-- [end:momentum]

# --8<-- [start:adamw]
import torch
from torch import nn


def fit(make_optimizer, l2_in_loss=0.0, decay_by_hand=0.0, steps=200):
    """Train a fresh linear model on (X, y); return its weights and bias as one tensor."""
    torch.manual_seed(0)
    model = nn.Linear(3, 1)
    optimizer = make_optimizer(model.parameters())
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(X), y)
        loss = loss + l2_in_loss / 2 * sum((p**2).sum() for p in model.parameters())
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= decay_by_hand * p  # shrink the weights directly, outside the gradient
        optimizer.step()
    return torch.cat([model.weight.detach().flatten(), model.bias.detach()])


lr, wd = 0.1, 0.1
adam_l2 = fit(lambda params: torch.optim.Adam(params, lr=lr, weight_decay=wd))
l2_loss = fit(lambda params: torch.optim.Adam(params, lr=lr), l2_in_loss=wd)
adamw = fit(lambda params: torch.optim.AdamW(params, lr=lr, weight_decay=wd))
by_hand = fit(lambda params: torch.optim.Adam(params, lr=lr), decay_by_hand=lr * wd)
print("Adam(weight_decay=0.1): ", [round(v, 2) for v in adam_l2.tolist()])
print("AdamW(weight_decay=0.1):", [round(v, 2) for v in adamw.tolist()])
print("Adam's weight_decay is an L2 term in the loss:", torch.allclose(adam_l2, l2_loss))
print("AdamW is Adam plus p -= lr * wd * p:", torch.allclose(adamw, by_hand))
# --8<-- [end:adamw]

# --8<-- [start:param-groups]
import torch
from torch import nn

torch.manual_seed(0)
finetuned = nn.Sequential(
    nn.Linear(3, 16),  # finetuned[0:3] stands for a pretrained backbone ...
    nn.LayerNorm(16),
    nn.ReLU(),
    nn.Linear(16, 1),  # ... and finetuned[3] for the new head on top of it
)


def decay_and_no_decay(module, prefix):
    """(name, parameter) pairs: matrices get weight decay; biases and norm weights (1-D) none."""
    named = [(prefix + name, p) for name, p in module.named_parameters()]
    return [(n, p) for n, p in named if p.ndim > 1], [(n, p) for n, p in named if p.ndim == 1]


backbone_decay, backbone_no_decay = decay_and_no_decay(finetuned[0:3], "backbone.")
head_decay, head_no_decay = decay_and_no_decay(finetuned[3], "head.")
grouped = torch.optim.AdamW(
    [
        {"params": backbone_decay, "lr": 1e-4},  # a smaller lr: the backbone is already trained
        {"params": backbone_no_decay, "lr": 1e-4, "weight_decay": 0.0},
        {"params": head_decay},  # the defaults below
        {"params": head_no_decay, "weight_decay": 0.0},
    ],
    lr=1e-3,
    weight_decay=0.01,
)
for group in grouped.param_groups:
    print(f"lr {group['lr']:g}, weight_decay {group['weight_decay']:g}: {group['param_names']}")
# --8<-- [end:param-groups]

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
import matplotlib.pyplot as plt
import torch

fig, ax = plt.subplots(figsize=(6, 3))
for lr, label in [(0.001, "too small"), (0.05, "good"), (1.0, "too large")]:
    losses = train(lambda params, lr=lr: torch.optim.SGD(params, lr=lr))
    ax.plot(range(1, len(losses) + 1), losses, label=f"lr={lr} ({label})")
    shown = ", ".join(f"{losses[step - 1]:.3g}" for step in [1, 25, 50])
    print(f"lr={lr:<6} loss at steps 1, 25, 50: {shown}")
ax.set(xlabel="step", ylabel="MSE loss (log scale)", yscale="log")
ax.legend()
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

# --8<-- [start:clip-scaler]
import torch
from torch import nn

device = "cuda" if torch.cuda.is_available() else "cpu"
torch.manual_seed(0)
model = nn.Linear(3, 1).to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scaler = torch.amp.GradScaler(device)  # starts with a scale of 2 ** 16 = 65536
inputs, targets = X.to(device), y.to(device)
for _ in range(6):
    optimizer.zero_grad()
    with torch.autocast(device_type=device, dtype=torch.float16):
        loss = nn.functional.mse_loss(model(inputs), targets)
    scale = scaler.get_scale()
    scaler.scale(loss).backward()  # 1. the gradients of loss * scale
    scaled = torch.cat([p.grad.flatten() for p in model.parameters()]).norm()
    scaler.unscale_(optimizer)  # 2. divide the gradients by the scale, in place
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)  # 3. clip
    scaler.step(optimizer)  # 4. step (skipped if a gradient is inf or nan) ...
    scaler.update()  # ... then halve the scale after an overflow
    print(f"scale {scale:>5.0f}: loss {loss.item():.2f}, gradient norm", end=" ")
    print(f"{scaled:.3g} scaled, {norm:.2f} unscaled")
# --8<-- [end:clip-scaler]

# --8<-- [start:exercise-1]
import torch

torch.manual_seed(0)
param = torch.randn(4, requires_grad=True)
start = param.detach().clone()
optimizer = torch.optim.SGD([param], lr=0.1, weight_decay=0.01)
(param**3).sum().backward()
optimizer.step()

grad = 3 * start**2  # d/dp of sum(p ** 3)
expected = start - 0.1 * (grad + 0.01 * start)  # weight decay: wd * p added to the gradient
assert torch.allclose(param.detach(), expected)
print("one SGD step with weight_decay:", [round(v, 4) for v in param.tolist()])
# --8<-- [end:exercise-1]

# --8<-- [start:exercise-2]
import torch
from torch import nn

bn_net = nn.Sequential(nn.Linear(10, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 2))
named = list(bn_net.named_parameters())
optimizer = torch.optim.AdamW(
    [
        {"params": [(n, p) for n, p in named if p.ndim > 1]},
        {"params": [(n, p) for n, p in named if p.ndim == 1], "weight_decay": 0.0},
    ],
    lr=1e-3,
    weight_decay=0.05,
)
decay, no_decay = optimizer.param_groups
assert decay["param_names"] == ["0.weight", "3.weight"]
assert decay["weight_decay"] == 0.05
assert no_decay["param_names"] == ["0.bias", "1.weight", "1.bias", "3.bias"]
assert no_decay["weight_decay"] == 0.0
in_groups = [id(p) for group in optimizer.param_groups for p in group["params"]]
assert sorted(in_groups) == sorted(id(p) for p in bn_net.parameters())  # each exactly once
print(decay["param_names"], no_decay["param_names"])
# --8<-- [end:exercise-2]

# --8<-- [start:exercise-3]
import torch

coord = torch.zeros(1, requires_grad=True)
optimizer = torch.optim.SGD([coord], lr=0.01, momentum=0.9)
for _ in range(200):
    optimizer.zero_grad()
    (3 * coord).sum().backward()  # the gradient is 3 at every step
    before = coord.item()
    optimizer.step()
step_size = before - coord.item()
final_velocity = optimizer.state[coord]["momentum_buffer"].item()
assert abs(final_velocity - 3 / (1 - 0.9)) < 1e-3  # 3 + 0.9 * 3 + 0.81 * 3 + ... = 30
assert abs(step_size - 0.01 * 30) < 1e-4  # ten times the step of plain SGD, 0.01 * 3
print(f"velocity {final_velocity:.3f}, step {step_size:.4f}")
# --8<-- [end:exercise-3]

# --8<-- [start:exercise-4]
import torch

three = torch.tensor([1.0, 1.0, 1.0], requires_grad=True)
optimizer = torch.optim.Adam([three], lr=0.1)
scales = torch.tensor([1e-3, 1.0, 1e3])  # gradients a million times apart
(scales * three).sum().backward()
optimizer.step()
moved = 1.0 - three.detach()
assert torch.allclose(moved, torch.full((3,), 0.1), atol=1e-5)  # lr for each one
print("first Adam step of each parameter:", [round(v, 4) for v in moved.tolist()])
# --8<-- [end:exercise-4]
