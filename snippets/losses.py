"""Losses: MSE, cross entropy, binary cross entropy, and a log-softmax written by hand."""

# --8<-- [start:mse]
import torch
from torch import nn

predictions = torch.tensor([2.5, 0.0, 2.0, 8.0])
targets = torch.tensor([3.0, -0.5, 2.0, 7.0])
mse = nn.MSELoss()(predictions, targets)
by_hand = ((predictions - targets) ** 2).mean()  # (0.25 + 0.25 + 0 + 1) / 4
print(mse, by_hand)
print(nn.MSELoss(reduction="sum")(predictions, targets))  # the sum, not the mean
# --8<-- [end:mse]

# --8<-- [start:regression-losses]
import matplotlib.pyplot as plt
import torch
from torch import nn

prediction = torch.linspace(-3, 3, 121)  # predictions for a target of 0: the error itself
target = torch.zeros_like(prediction)
regression_losses = {
    "MSELoss": nn.MSELoss(reduction="none"),  # "none": one loss per element, to plot them
    "L1Loss": nn.L1Loss(reduction="none"),
    "HuberLoss (delta=1)": nn.HuberLoss(delta=1.0, reduction="none"),
}
fig, ax = plt.subplots(figsize=(6, 3))
for name, loss_fn in regression_losses.items():
    ax.plot(prediction, loss_fn(prediction, target), label=name)
ax.set(xlabel="prediction - target", ylabel="loss", ylim=(0, 4.5))
ax.legend()

errors = torch.tensor([0.5, 3.0])
for name, loss_fn in regression_losses.items():
    print(f"{name:20}", loss_fn(errors, torch.zeros(2)).tolist())
# --8<-- [end:regression-losses]

# --8<-- [start:cross-entropy]
import torch
from torch import nn

torch.manual_seed(0)
logits = torch.randn(4, 3)  # 4 samples, 3 classes: raw scores from the last Linear layer
labels = torch.tensor([0, 2, 1, 2])  # one class index per sample (int64), not one-hot
ce = nn.CrossEntropyLoss()(logits, labels)
log_probs = nn.LogSoftmax(dim=1)(logits)
nll_loss = nn.NLLLoss()(log_probs, labels)  # minus the mean log-probability of the right class
print(f"CrossEntropyLoss:      {ce:.4f}")
print(f"LogSoftmax + NLLLoss:  {nll_loss:.4f}")
print(f"by hand:               {-log_probs[torch.arange(4), labels].mean():.4f}")
# --8<-- [end:cross-entropy]

# --8<-- [start:probabilities]
import torch

probs = log_probs.exp()  # back from log-probabilities to probabilities
print(probs.round(decimals=4))
print(probs.sum(dim=1))
print(torch.allclose(probs, torch.softmax(logits, dim=1)))
# --8<-- [end:probabilities]

# --8<-- [start:bce]
import torch
from torch import nn

z = torch.tensor([-1.5, 0.3, 2.0])  # one logit per sample
y = torch.tensor([0.0, 1.0, 1.0])  # float targets: 0.0 or 1.0
bce = nn.BCELoss()(torch.sigmoid(z), y)  # takes probabilities
bce_logits = nn.BCEWithLogitsLoss()(z, y)  # takes logits, applies the sigmoid itself
print(f"{bce:.4f} {bce_logits:.4f}")
# --8<-- [end:bce]

# --8<-- [start:bce-breaks]
import torch
from torch import nn

z = torch.tensor([40.0], requires_grad=True)  # a confident, wrong prediction
y = torch.tensor([0.0])
p = torch.sigmoid(z)
print("sigmoid(40) == 1.0:", p.item() == 1.0)
print(f"1 - sigmoid(40) = {torch.sigmoid(-z).item():.2e}")  # far below float32's steps near 1

loss = nn.BCELoss()(p, y)  # -log(1 - p) = -log(0), clamped to 100
loss.backward()
print(f"BCELoss:           {loss.item():6.2f}  gradient {z.grad.item()}")

z.grad = None
loss = nn.BCEWithLogitsLoss()(z, y)  # computed from z, never rounds to p = 1
loss.backward()
print(f"BCEWithLogitsLoss: {loss.item():6.2f}  gradient {z.grad.item()}")
# --8<-- [end:bce-breaks]

# --8<-- [start:bce-curve]
import matplotlib.pyplot as plt
import torch
from torch import nn

z = torch.linspace(-6, 6, 121)  # the logit
bce_each = nn.BCEWithLogitsLoss(reduction="none")  # one loss per logit
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(z, bce_each(z, torch.ones_like(z)), label="target 1")
ax.plot(z, bce_each(z, torch.zeros_like(z)), label="target 0")
ax.axvline(0, color="grey", linewidth=0.5)  # logit 0: probability 0.5
ax.set(xlabel="logit z", ylabel="BCEWithLogitsLoss")
ax.legend()
print([round(bce_each(torch.tensor(v), torch.tensor(1.0)).item(), 4) for v in (-6.0, 0.0, 6.0)])
# --8<-- [end:bce-curve]

# --8<-- [start:binary-two-ways]
import torch
from torch import nn

z = torch.tensor([-1.5, 0.3, 2.0])  # one output per sample: BCE
y = torch.tensor([0, 1, 1])
two = torch.stack([torch.zeros_like(z), z], dim=1)  # two outputs per sample: [0, z]
print(two)
one_output = nn.BCEWithLogitsLoss()(z, y.float())
two_outputs = nn.CrossEntropyLoss()(two, y)
print(f"BCEWithLogits over z: {one_output:.4f}  CrossEntropy over [0, z]: {two_outputs:.4f}")
print(torch.softmax(two, dim=1)[:, 1])  # the probability of class 1...
print(torch.sigmoid(z))  # ...is the sigmoid of the difference of the two logits
print(torch.allclose(torch.softmax(two + 5.0, dim=1), torch.softmax(two, dim=1)))  # shift: same
# --8<-- [end:binary-two-ways]

# --8<-- [start:class-weights]
import torch
from torch import nn

# 90 samples of class 0 and 10 of class 1: always answering 0 would be 90% accurate
y = torch.cat([torch.zeros(90, dtype=torch.long), torch.ones(10, dtype=torch.long)])
counts = torch.bincount(y)
weight = counts.max() / counts  # inverse frequency: a sample of the rare class weighs 9 times more
print(counts, weight)

torch.manual_seed(0)
logits = torch.randn(100, 2)
per_sample = nn.CrossEntropyLoss(reduction="none")(logits, y)  # one loss per sample
w = weight[y]  # each sample's class weight
plain = nn.CrossEntropyLoss()(logits, y)
weighted = nn.CrossEntropyLoss(weight=weight)(logits, y)
print(f"plain:    {plain:.4f} = mean of the per-sample losses {per_sample.mean():.4f}")
print(f"weighted: {weighted:.4f} = sum(w * loss) / sum(w) {(w * per_sample).sum() / w.sum():.4f}")
print(f"          not mean(w * loss) {(w * per_sample).mean():.4f}")
# --8<-- [end:class-weights]

# --8<-- [start:pos-weight]
import torch
import torch.nn.functional as F
from torch import nn

z = logits[:, 1] - logits[:, 0]  # the same samples, one logit each (see "One output or two")
target = y.float()
pos_weight = torch.tensor([90 / 10])  # negatives / positives
balanced = nn.BCEWithLogitsLoss(pos_weight=pos_weight)(z, target)
terms = pos_weight * target * F.logsigmoid(z) + (1 - target) * F.logsigmoid(-z)
print(f"{balanced:.4f} = -mean(terms) {-terms.mean():.4f}")  # a mean over all 100 samples
# --8<-- [end:pos-weight]

# --8<-- [start:weighted-sampler]
import torch
from torch.utils.data import DataLoader, TensorDataset, WeightedRandomSampler

sample_weights = weight[y]  # the probability of drawing a sample is proportional to it
seeded = torch.Generator().manual_seed(0)  # the same draws at every run
sampler = WeightedRandomSampler(sample_weights, num_samples=len(y), generator=seeded)
loader = DataLoader(TensorDataset(logits, y), batch_size=100, sampler=sampler)  # no shuffle=
_, drawn = next(iter(loader))
print(torch.bincount(drawn))  # about 50 of each: the 10 rare samples, drawn again and again
# --8<-- [end:weighted-sampler]

# --8<-- [start:by-hand]
import torch
import torch.nn.functional as F


def log_softmax(x):
    # log(softmax(x)) = x - log(sum(exp(x))), with logsumexp computing the last term stably
    return x - x.logsumexp(dim=-1, keepdim=True)


def nll(log_probs, target):
    """Minus the mean log-probability of the right class."""
    return -log_probs[range(target.shape[0]), target].mean()


torch.manual_seed(0)
logits = torch.randn(4, 3)
labels = torch.tensor([0, 2, 1, 2])
print(f"by hand: {nll(log_softmax(logits), labels):.4f}")
print(f"F.cross_entropy: {F.cross_entropy(logits, labels):.4f}")
# --8<-- [end:by-hand]

# --8<-- [start:stable]
import torch
import torch.nn.functional as F

print(torch.tensor([88.0, 89.0, 100.0]).exp())  # float32 tops out at 3.4e38
big = torch.tensor([[100.0, 0.0, -3.0], [1.0, 2.0, 3.0]], requires_grad=True)
labels = torch.tensor([0, 2])
log_probs = log_softmax(big)  # no exp of 100 anywhere: logsumexp subtracts the maximum
print(log_probs.detach().round(decimals=4))
print(torch.allclose(log_probs, F.log_softmax(big, dim=-1)))
loss = nll(log_probs, labels)
loss.backward()
print(f"{loss.item():.4f} {F.cross_entropy(big, labels).item():.4f}")
print(big.grad.round(decimals=4))  # finite: softmax minus one-hot, over the batch size
# --8<-- [end:stable]

# --8<-- [start:exercise-1]
import torch
from torch import nn

predictions = torch.tensor([2.5, 0.0, 2.0, 8.0])
targets = torch.tensor([3.0, -0.5, 2.0, 7.0])
l1 = nn.L1Loss()(predictions, targets)
l1_by_hand = (predictions - targets).abs().mean()  # (0.5 + 0.5 + 0 + 1) / 4
print(f"L1Loss {l1:.4f}  by hand {l1_by_hand:.4f}")

assert torch.isclose(l1, l1_by_hand)
assert torch.isclose(l1, torch.tensor(0.5))
# --8<-- [end:exercise-1]

# --8<-- [start:exercise-2]
import torch
from torch import nn

torch.manual_seed(0)
scores = torch.randn(4, 3)
targets = torch.tensor([0, 2, 1, 2])
eps = 0.1
smoothed = nn.CrossEntropyLoss(label_smoothing=eps)(scores, targets)

log_p = torch.log_softmax(scores, dim=1)
soft_targets = torch.full((4, 3), eps / 3)  # eps spread evenly over the 3 classes ...
soft_targets[torch.arange(4), targets] += 1 - eps  # ... and the rest on the right class
smoothed_by_hand = -(soft_targets * log_p).sum(dim=1).mean()
print(f"label_smoothing=0.1: {smoothed:.4f}  by hand: {smoothed_by_hand:.4f}")

assert torch.isclose(smoothed, smoothed_by_hand)
assert torch.allclose(soft_targets.sum(dim=1), torch.ones(4))
# The same loss from the probabilities themselves, given as float targets of shape (N, C):
assert torch.isclose(nn.CrossEntropyLoss()(scores, soft_targets), smoothed)
# --8<-- [end:exercise-2]

# --8<-- [start:exercise-3]
import torch
from torch import nn

torch.manual_seed(0)
logit = torch.randn(5, requires_grad=True)
target = torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0])
nn.BCEWithLogitsLoss()(logit, target).backward()
analytic = (torch.sigmoid(logit) - target).detach() / len(target)  # mean over 5 samples
print(logit.grad.round(decimals=4))
print(analytic.round(decimals=4))

assert torch.allclose(logit.grad, analytic, atol=1e-7)
assert (logit.grad.abs() <= 1 / len(target)).all()  # never larger than 1 per sample
# --8<-- [end:exercise-3]
