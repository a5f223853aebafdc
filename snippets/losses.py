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

# --8<-- [start:softmax-twice]
import torch
from torch import nn

probabilities = torch.softmax(logits, dim=1)
wrong = nn.CrossEntropyLoss()(probabilities, labels)  # runs, and softmaxes a second time
print(f"on logits: {ce:.4f}  on probabilities: {wrong:.4f}")
# --8<-- [end:softmax-twice]

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

# --8<-- [start:by-hand]
import torch
import torch.nn.functional as F


def log_softmax(x):  # as in the notes
    return x - x.exp().sum(-1).log().unsqueeze(-1)


def nll(input, target):  # as in the notes
    return -input[range(target.shape[0]), target].mean()


torch.manual_seed(0)
logits = torch.randn(4, 3)
labels = torch.tensor([0, 2, 1, 2])
print(f"by hand: {nll(log_softmax(logits), labels):.4f}")
print(f"F.cross_entropy: {F.cross_entropy(logits, labels):.4f}")
# --8<-- [end:by-hand]

# --8<-- [start:overflow]
import torch

big = torch.tensor([[100.0, 0.0, -3.0], [1.0, 2.0, 3.0]], requires_grad=True)
labels = torch.tensor([0, 2])
print(torch.tensor([88.0, 89.0, 100.0]).exp())  # float32 tops out at 3.4e38
print(log_softmax(big).detach())  # x - log(inf): every entry of the row is -inf
loss = nll(log_softmax(big), labels)
loss.backward()
print(loss.item())
print(big.grad.round(decimals=4))
# --8<-- [end:overflow]

# --8<-- [start:stable]
import torch
import torch.nn.functional as F


def stable_log_softmax(x):
    # logsumexp(x) = m + log(sum(exp(x - m))) with m = max(x): no exp of a large number
    return x - x.logsumexp(dim=-1, keepdim=True)


big = torch.tensor([[100.0, 0.0, -3.0], [1.0, 2.0, 3.0]], requires_grad=True)
labels = torch.tensor([0, 2])
log_probs = stable_log_softmax(big)
print(log_probs.detach().round(decimals=4))
print(torch.allclose(log_probs, F.log_softmax(big, dim=-1)))
loss = nll(log_probs, labels)
loss.backward()
print(f"{loss.item():.4f} {F.cross_entropy(big, labels).item():.4f}")
print(big.grad.round(decimals=4))
# --8<-- [end:stable]
