"""Training and evaluation: train and test loops, accuracy and top-k, train/eval modes,
progress bars."""

# --8<-- [start:data]
import torch
from torch.utils.data import DataLoader, Subset
from torchvision import datasets
from torchvision.transforms import ToTensor

device = "cuda" if torch.cuda.is_available() else "cpu"

training_data = datasets.FashionMNIST(root="data", train=True, download=True, transform=ToTensor())
test_data = datasets.FashionMNIST(root="data", train=False, download=True, transform=ToTensor())

# A small subset keeps this page fast; the gallery trains on all 60,000 images.
train_dataloader = DataLoader(Subset(training_data, range(512)), batch_size=64, shuffle=True)
test_dataloader = DataLoader(Subset(test_data, range(256)), batch_size=64)
X, y = next(iter(test_dataloader))
print(X.shape, X.dtype, y.shape, y.dtype)
# --8<-- [end:data]

# --8<-- [start:notes-model]
import torch
from torch import nn


class NotesNeuralNetwork(nn.Module):
    """The notes' version, kept only to show its bug: a ReLU after the last layer."""

    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
            nn.ReLU(),  # the bug: every negative logit becomes 0
        )

    def forward(self, x):
        x = self.flatten(x)
        return self.linear_relu_stack(x)


torch.manual_seed(0)
notes_model = NotesNeuralNetwork()
logits = notes_model(X)
print(f"logits clamped to 0: {(logits == 0).float().mean():.0%}")

# One image whose true class (0) has a negative score: after the ReLU it gets no gradient.
scores = torch.tensor([[-1.0, 2.0, 0.5]], requires_grad=True)
loss = nn.functional.cross_entropy(torch.relu(scores), torch.tensor([0]))
loss.backward()
print(scores.grad)
# --8<-- [end:notes-model]

# --8<-- [start:model]
import torch
from torch import nn


class NeuralNetwork(nn.Module):
    """The quickstart's multilayer perceptron: it returns logits, one score per class."""

    def __init__(self, dropout: float = 0.0):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512),
            nn.ReLU(),
            nn.Dropout(dropout),  # p=0 (the default) lets everything through
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(512, 10),  # no activation: logits may be negative
        )

    def forward(self, x):
        x = self.flatten(x)
        return self.linear_relu_stack(x)


# --8<-- [end:model]


# --8<-- [start:train-loop]
import torch


def train_loop(dataloader, model, loss_fn, optimizer, device=None):
    """One epoch of training; returns the mean of the batch losses."""
    device = device or next(model.parameters()).device
    model.train()  # (1)!
    total = 0.0
    for X, y in dataloader:
        X, y = X.to(device), y.to(device)
        loss = loss_fn(model(X), y)
        optimizer.zero_grad()  # (2)!
        loss.backward()  # (3)!
        optimizer.step()
        total += loss.item()  # (4)!
    return total / len(dataloader)


# --8<-- [end:train-loop]

# --8<-- [start:optimizer-backward]
import torch

optimizer = torch.optim.SGD(NeuralNetwork().parameters(), lr=0.1)
try:
    optimizer.backward()  # as in the notes' train_loop
except AttributeError as err:
    print(f"AttributeError: {err}")
# --8<-- [end:optimizer-backward]

# --8<-- [start:test-loop]
import torch


def test_loop(dataloader, model, loss_fn, device=None):
    """Mean loss over the batches and accuracy over the samples, without training."""
    device = device or next(model.parameters()).device
    model.eval()  # (1)!
    num_batches = len(dataloader)
    size = len(dataloader.dataset)
    test_loss, correct = 0.0, 0
    with torch.no_grad():  # (2)!
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            test_loss += loss_fn(pred, y).item()  # a mean over the batch
            correct += (pred.argmax(dim=1) == y).sum().item()
    return test_loss / num_batches, correct / size


# --8<-- [end:test-loop]

# --8<-- [start:epochs]
import torch
from torch import nn

torch.manual_seed(0)
model = NeuralNetwork().to(device)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

for epoch in range(3):
    train_loss = train_loop(train_dataloader, model, loss_fn, optimizer)
    test_loss, correct = test_loop(test_dataloader, model, loss_fn)
    print(f"epoch {epoch + 1}: train loss {train_loss:.1f}, test loss {test_loss:.1f}, ", end="")
    print(f"test accuracy {correct:.0%}")
# --8<-- [end:epochs]

# --8<-- [start:wrong-average]
import torch

summed = 0.0
with torch.no_grad():
    for X, y in test_dataloader:
        summed += loss_fn(model(X.to(device)), y.to(device)).item()
print(f"{len(test_dataloader)} batches, {len(test_dataloader.dataset)} images")
print(f"divided by the number of batches: {summed / len(test_dataloader):.2f}")
print(f"divided by the number of images:  {summed / len(test_dataloader.dataset):.4f}")
# --8<-- [end:wrong-average]

# --8<-- [start:accuracy]
import torch


def accuracy(logits, y):
    """The fraction of rows whose highest score is at the true class."""
    return (logits.argmax(dim=1) == y).float().mean().item()


def topk_accuracy(logits, y, k=5):
    """The fraction of rows whose true class is among the k highest scores."""
    top_class = logits.topk(k, dim=1).indices  # shape (N, k)
    return (top_class == y.unsqueeze(1)).any(dim=1).float().mean().item()


logits = torch.tensor([[0.1, 2.0, 0.3], [1.5, 0.2, 0.9], [0.2, 0.1, 0.4], [3.0, 0.5, 1.0]])
y = torch.tensor([1, 2, 2, 1])
print(logits.topk(2, dim=1))
print(f"accuracy {accuracy(logits, y):.2f}, top-2 accuracy {topk_accuracy(logits, y, k=2):.2f}")
# --8<-- [end:accuracy]

# --8<-- [start:broadcast]
import torch

ps = torch.softmax(logits, dim=1)
top_p, top_class = ps.topk(1, dim=1)
print(top_class.shape, y.shape)
wrong = top_class == y  # (4, 1) against (4,): broadcast to (4, 4), no error
print(wrong.shape, f"{wrong.float().mean():.4f}")
equals = top_class == y.view(*top_class.shape)  # (4, 1) against (4, 1)
print(equals.shape, f"{equals.float().mean():.4f}")
try:
    equals.mean()
except RuntimeError as err:
    print(f"RuntimeError: {err}")
# --8<-- [end:broadcast]

# --8<-- [start:dropout]
import torch
from torch import nn

torch.manual_seed(0)
dropout = nn.Dropout(p=0.5)
x = torch.ones(8)
print(dropout.training, dropout(x))  # modules start in training mode
dropout.eval()
print(dropout.training, dropout(x))
# --8<-- [end:dropout]

# --8<-- [start:batchnorm]
import torch
from torch import nn

torch.manual_seed(0)
bn = nn.BatchNorm1d(1)
batch = torch.tensor([[1.0], [2.0], [3.0], [6.0]])
print(bn(batch).flatten())  # training: normalised with this batch's mean and variance
print(bn.running_mean, bn.running_var)  # ... and the running statistics move
bn.eval()
print(bn(batch).flatten())  # eval: normalised with the running statistics
print(bn.running_mean, bn.running_var)  # ... which stay put
# --8<-- [end:batchnorm]

# --8<-- [start:eval-vs-no-grad]
import torch

model.eval()
print(model(X.to(device)).requires_grad)  # eval() does not turn autograd off
with torch.no_grad():
    print(model(X.to(device)).requires_grad)  # no_grad() does
model.train()  # back to training mode before training again
print(model.training)
# --8<-- [end:eval-vs-no-grad]

# --8<-- [start:tqdm]
import torch
from tqdm import tqdm

torch.manual_seed(0)
model = NeuralNetwork().to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
# disable=None: no bar when the output is not a terminal (a log file, a CI job)
with tqdm(range(3), desc="epochs", disable=None) as bar:
    for _ in bar:
        train_loss = train_loop(train_dataloader, model, loss_fn, optimizer)
        bar.set_postfix(loss=f"{train_loss:.3f}")
print("done")
# --8<-- [end:tqdm]
