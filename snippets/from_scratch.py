"""From hand-written weights to fit(): logistic regression with bare tensors, refactored one
step at a time with torch.nn, torch.optim and torch.utils.data, then a fit() that also trains a
convolutional network."""

# --8<-- [start:scratch-data]
import torch
from torchvision import datasets

device = "cuda" if torch.cuda.is_available() else "cpu"

training_data = datasets.FashionMNIST(root="data", train=True, download=True)

# The images as plain tensors: rows of 784 pixels in [0, 1], and their labels.
pixels = training_data.data[:1536].float().div(255).view(-1, 28 * 28)
x_train, y_train = pixels[:1024], training_data.targets[:1024]
# the next 512 training images, held out to validate on (the test set stays untouched)
x_valid, y_valid = pixels[1024:1536], training_data.targets[1024:1536]
n, c = x_train.shape
print(n, c, y_train[:8])
# --8<-- [end:scratch-data]

# --8<-- [start:scratch]
import math

import torch

torch.manual_seed(0)
weights = torch.randn(784, 10) / math.sqrt(784)  # std 1 / sqrt(fan_in): LeCun's scaling
weights.requires_grad_()  # after the division, so weights stays a leaf tensor
bias = torch.zeros(10, requires_grad=True)


def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)


def model(xb):
    return log_softmax(xb @ weights + bias)


def nll(input, target):
    return -input[range(target.shape[0]), target].mean()


loss_func = nll
lr = 0.1
epochs = 2
bs = 64

print(f"before: loss {loss_func(model(x_valid), y_valid):.2f}")
for _ in range(epochs):
    for i in range((n - 1) // bs + 1):
        xb = x_train[i * bs : i * bs + bs]
        yb = y_train[i * bs : i * bs + bs]
        loss = loss_func(model(xb), yb)
        loss.backward()
        with torch.no_grad():  # the update itself must not be recorded
            weights -= weights.grad * lr
            bias -= bias.grad * lr
            weights.grad.zero_()
            bias.grad.zero_()
predictions = model(x_valid).argmax(dim=1)  # the class with the highest score
print(f"after:  loss {loss_func(model(x_valid), y_valid):.2f}, ", end="")
print(f"accuracy {(predictions == y_valid).float().mean():.2f}")
# --8<-- [end:scratch]

# --8<-- [start:cross-entropy]
import torch
import torch.nn.functional as F

scores = x_valid @ weights + bias
print(torch.allclose(F.cross_entropy(scores, y_valid), nll(log_softmax(scores), y_valid)))
loss_func = F.cross_entropy


def model(xb):
    return xb @ weights + bias  # logits: cross_entropy applies log_softmax itself


print(f"loss {loss_func(model(x_valid), y_valid):.2f}")
# --8<-- [end:cross-entropy]

# --8<-- [start:module]
import math

import torch
from torch import nn


class MnistLogistic(nn.Module):
    """Logistic regression with its parameters declared by hand."""

    def __init__(self):
        super().__init__()
        self.weights = nn.Parameter(torch.randn(784, 10) / math.sqrt(784))
        self.bias = nn.Parameter(torch.zeros(10))

    def forward(self, xb):
        return xb @ self.weights + self.bias


torch.manual_seed(0)
model = MnistLogistic()
print([name for name, _ in model.named_parameters()])
for _ in range(epochs):
    for i in range((n - 1) // bs + 1):
        xb = x_train[i * bs : i * bs + bs]
        yb = y_train[i * bs : i * bs + bs]
        loss = loss_func(model(xb), yb)
        loss.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= p.grad * lr
            model.zero_grad()
print(f"loss {loss_func(model(x_valid), y_valid):.2f}")
# --8<-- [end:module]

# --8<-- [start:linear]
import torch
from torch import nn


class MnistLinear(nn.Module):
    """The same model with nn.Linear, which creates and initialises the parameters."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(784, 10)

    def forward(self, xb):
        return self.lin(xb)


# --8<-- [end:linear]

# --8<-- [start:optim]
import torch
from torch import optim


def get_model(lr=0.1):
    model = MnistLinear()
    return model, optim.SGD(model.parameters(), lr=lr)


torch.manual_seed(0)
model, opt = get_model()
for _ in range(epochs):
    for i in range((n - 1) // bs + 1):
        xb = x_train[i * bs : i * bs + bs]
        yb = y_train[i * bs : i * bs + bs]
        loss = loss_func(model(xb), yb)
        loss.backward()
        opt.step()  # p -= p.grad * lr, for every parameter
        opt.zero_grad()
print(f"loss {loss_func(model(x_valid), y_valid):.2f}")
# --8<-- [end:optim]

# --8<-- [start:dataloader]
import torch
from torch.utils.data import DataLoader, TensorDataset

train_ds = TensorDataset(x_train, y_train)
valid_ds = TensorDataset(x_valid, y_valid)
train_dl = DataLoader(train_ds, batch_size=bs, shuffle=True)

torch.manual_seed(0)
model, opt = get_model()
for _ in range(epochs):
    for xb, yb in train_dl:
        loss = loss_func(model(xb), yb)
        loss.backward()
        opt.step()
        opt.zero_grad()
print(f"loss {loss_func(model(x_valid), y_valid):.2f}")
# --8<-- [end:dataloader]

# --8<-- [start:fit]
import torch
from torch.utils.data import DataLoader


def loss_batch(model, loss_func, xb, yb, opt=None):
    """The loss of one batch; with an optimizer, also a training step."""
    loss = loss_func(model(xb), yb)
    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()
    return loss.item(), len(xb)


def evaluate(model, loss_func, dl, device=None):
    """Loss per sample (batches weighted by their size) and accuracy over a data loader."""
    device = device or next(model.parameters()).device
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for xb, yb in dl:
            xb, yb = xb.to(device), yb.to(device)
            out = model(xb)
            total_loss += loss_func(out, yb).item() * len(xb)
            correct += (out.argmax(dim=1) == yb).sum().item()
            count += len(xb)
    return total_loss / count, correct / count


def fit(epochs, model, loss_func, opt, train_dl, valid_dl, device=None, scheduler=None):
    """Train for some epochs; return one record per epoch instead of only printing it.
    A learning-rate scheduler, if given, steps after every batch (as OneCycleLR expects)."""
    device = device or next(model.parameters()).device
    history = []
    for epoch in range(epochs):
        model.train()
        losses, nums = [], []
        for xb, yb in train_dl:
            loss, num = loss_batch(model, loss_func, xb.to(device), yb.to(device), opt)
            losses.append(loss * num)
            nums.append(num)
            if scheduler is not None:
                scheduler.step()
        val_loss, val_acc = evaluate(model, loss_func, valid_dl, device)
        history.append(
            {
                "epoch": epoch + 1,
                "train_loss": sum(losses) / sum(nums),
                "val_loss": val_loss,
                "val_acc": val_acc,
            }
        )
    return history


def get_data(train_ds, valid_ds, bs):
    """Shuffle the training set; validate with bigger batches (no gradients to keep)."""
    return (
        DataLoader(train_ds, batch_size=bs, shuffle=True),
        DataLoader(valid_ds, batch_size=bs * 2),
    )


torch.manual_seed(0)
train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
model, opt = get_model()
history = fit(epochs, model.to(device), loss_func, opt, train_dl, valid_dl)
for record in history:
    print(f"epoch {record['epoch']}: validation loss {record['val_loss']:.2f}, ", end="")
    print(f"accuracy {record['val_acc']:.2f}")
# --8<-- [end:fit]

# --8<-- [start:history-figure]
import matplotlib.pyplot as plt
import torch

torch.manual_seed(0)
model, opt = get_model()
history = fit(10, model.to(device), loss_func, opt, train_dl, valid_dl)
epoch_numbers = [record["epoch"] for record in history]
train_losses = [record["train_loss"] for record in history]
val_losses = [record["val_loss"] for record in history]
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(epoch_numbers, train_losses, marker=".", label="training")
ax.plot(epoch_numbers, val_losses, marker=".", label="validation")
ax.set_xlabel("epoch")
ax.set_ylabel("loss (cross-entropy)")
ax.legend()
print(f"validation accuracy after {len(history)} epochs: {history[-1]['val_acc']:.2f}")
# --8<-- [end:history-figure]

# --8<-- [start:cnn]
import torch
import torch.nn.functional as F
from torch import nn


class Net(nn.Module):
    """A LeNet-style network for 28x28 greyscale images.

    padding=2 on the first convolution keeps 28x28 (as LeNet-5 did with its 32x32 inputs), so
    after two convolutions and two poolings fc1 takes 16 * 5 * 5 features.
    """

    def __init__(self, c1=6, c2=16, hidden=(120, 84), dropout=0.0, batch_norm=False):
        super().__init__()
        # No bias when batch normalization follows: it subtracts the mean, bias included.
        self.conv1 = nn.Conv2d(1, c1, 5, padding=2, bias=not batch_norm)  # -> (N, c1, 28, 28)
        self.pool = nn.MaxPool2d(2, 2)  # halves height and width
        self.conv2 = nn.Conv2d(c1, c2, 5, bias=not batch_norm)  # (N, c1, 14, 14) -> (N, c2, 10, 10)
        # Optional batch normalization after each convolution: faster, steadier training.
        self.bn1 = nn.BatchNorm2d(c1) if batch_norm else nn.Identity()
        self.bn2 = nn.BatchNorm2d(c2) if batch_norm else nn.Identity()
        self.fc1 = nn.Linear(c2 * 5 * 5, hidden[0])
        self.fc2 = nn.Linear(hidden[0], hidden[1])
        self.fc3 = nn.Linear(hidden[1], 10)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        x = x.view(-1, 1, 28, 28)  # accepts flat rows of 784 pixels as well as images
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = self.pool(F.relu(self.bn2(self.conv2(x))))
        x = torch.flatten(x, 1)  # flatten all dimensions except the batch
        x = self.dropout(F.relu(self.fc1(x)))
        x = self.dropout(F.relu(self.fc2(x)))
        return self.fc3(x)


torch.manual_seed(0)
model = Net().to(device)
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
history = fit(2, model, loss_func, opt, train_dl, valid_dl)
print(f"{sum(p.numel() for p in model.parameters())} parameters")
print(f"validation loss fell: {history[-1]['val_loss'] < history[0]['val_loss']}")
# --8<-- [end:cnn]

# --8<-- [start:exercise-1]
import torch
import torch.nn.functional as F


def stable_log_softmax(x):
    return x - x.logsumexp(dim=-1, keepdim=True)  # logsumexp subtracts the max first


big = torch.tensor([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])  # exp(1000) is inf in float32
print(stable_log_softmax(big))
assert torch.isfinite(stable_log_softmax(big)).all()
assert torch.allclose(stable_log_softmax(big), F.log_softmax(big, dim=-1))
scores = torch.randn(64, 10)
assert torch.allclose(stable_log_softmax(scores), log_softmax(scores), atol=1e-6)
# --8<-- [end:exercise-1]

# --8<-- [start:exercise-2]
import torch
from torch import nn

torch.manual_seed(0)
mlp = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)).to(device)
opt = torch.optim.Adam(mlp.parameters(), lr=2e-3)
mlp_history = fit(4, mlp, loss_func, opt, train_dl, valid_dl)
print([round(record["val_loss"], 2) for record in mlp_history])
assert mlp_history[-1]["val_loss"] < mlp_history[0]["val_loss"]
assert mlp_history[-1]["val_acc"] > 0.7
# --8<-- [end:exercise-2]

# --8<-- [start:exercise-3]
import torch

torch.manual_seed(0)
model, opt = get_model(lr=0.1)
steps = 3 * len(train_dl)
# OneCycleLR also gives this SGD momentum, cycled from 0.95 to 0.85 and back.
scheduler = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=steps)
rates = []
opt.register_step_post_hook(lambda optimizer, *_: rates.append(optimizer.param_groups[0]["lr"]))
one_cycle_history = fit(3, model, loss_func, opt, train_dl, valid_dl, scheduler=scheduler)
print(f"{len(rates)} steps, peak lr {max(rates):.2f} at step {rates.index(max(rates)) + 1}")
assert len(rates) == steps  # the scheduler stepped once per batch
assert 0.45 < max(rates) <= 0.5  # it rose to max_lr
assert rates.index(max(rates)) < steps / 2  # in the first part of the run
assert rates[-1] < 0.5 / 25  # annealed at the end
assert one_cycle_history[-1]["val_loss"] < one_cycle_history[0]["val_loss"]
# --8<-- [end:exercise-3]
