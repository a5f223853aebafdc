"""Training and evaluation: train and evaluation loops, a validation split, early stopping,
learning-rate schedulers, accuracy and top-k, a confusion matrix, train/eval modes, progress
bars."""

# --8<-- [start:data]
import torch
from torch.utils.data import DataLoader, Subset, TensorDataset, random_split
from torchvision import datasets
from torchvision.transforms import ToTensor

device = "cuda" if torch.cuda.is_available() else "cpu"

training_data = datasets.FashionMNIST(root="data", train=True, download=True, transform=ToTensor())
test_data = datasets.FashionMNIST(root="data", train=False, download=True, transform=ToTensor())

# 512 training images (the gallery trains on all 60,000): 256 to train on, 256 to validate
train_subset, val_subset = random_split(
    Subset(training_data, range(512)), [256, 256], generator=torch.Generator().manual_seed(0)
)
test_subset = Subset(test_data, range(256))


def in_memory(dataset):
    """Decode every image once, instead of at every epoch: a small data set fits in memory."""
    pairs = list(dataset)  # every (image, label) pair, through ToTensor
    images = torch.stack([image for image, _ in pairs])
    return TensorDataset(images, torch.tensor([label for _, label in pairs]))


train_dataloader = DataLoader(in_memory(train_subset), batch_size=32, shuffle=True)
val_dataloader = DataLoader(in_memory(val_subset), batch_size=64)
test_dataloader = DataLoader(in_memory(test_subset), batch_size=64)
print(len(train_subset), len(val_subset), len(test_subset))
X, y = next(iter(train_dataloader))
print(X.shape, X.dtype, y.shape, y.dtype)
# --8<-- [end:data]

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
    val_loss, val_accuracy = test_loop(val_dataloader, model, loss_fn)
    print(
        f"epoch {epoch + 1}: train loss {train_loss:.1f}, validation loss {val_loss:.1f}, ", end=""
    )
    print(f"validation accuracy {val_accuracy:.0%}")
# --8<-- [end:epochs]

# --8<-- [start:early-stopping]
import copy

import torch


def train_with_early_stopping(model, loss_fn, optimizer, train_dl, val_dl, max_epochs, patience):
    """Train until the validation loss has not improved for `patience` epochs, then load the
    weights of the best epoch; return the history and the best epoch."""
    history, best_loss, best_epoch = [], float("inf"), 0
    for epoch in range(1, max_epochs + 1):
        train_loss = train_loop(train_dl, model, loss_fn, optimizer)
        val_loss, val_accuracy = test_loop(val_dl, model, loss_fn)
        history.append({"train_loss": train_loss, "val_loss": val_loss, "val_acc": val_accuracy})
        if val_loss < best_loss:
            best_loss, best_epoch = val_loss, epoch
            best_state = copy.deepcopy(model.state_dict())  # (1)!
        elif epoch - best_epoch >= patience:
            break  # (2)!
    model.load_state_dict(best_state)
    return history, best_epoch


# --8<-- [end:early-stopping]

# --8<-- [start:early-stopping-run]
import torch
from torch import nn

torch.manual_seed(0)
# a small model, quick to overfit 256 images
small_model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 256), nn.ReLU(), nn.Linear(256, 10))
small_model = small_model.to(device)
optimizer = torch.optim.Adam(small_model.parameters(), lr=1e-2)
history, best_epoch = train_with_early_stopping(
    small_model, loss_fn, optimizer, train_dataloader, val_dataloader, max_epochs=40, patience=10
)
print(f"stopped after epoch {len(history)}, kept epoch {best_epoch}")
for epoch in [1, best_epoch, len(history)]:
    record = history[epoch - 1]
    print(f"epoch {epoch}: train loss {record['train_loss']:.1f}, ", end="")
    print(f"validation loss {record['val_loss']:.1f}")
val_loss, val_accuracy = test_loop(val_dataloader, small_model, loss_fn)  # best_epoch's weights
print(f"the kept model: validation loss {val_loss:.1f}, accuracy {val_accuracy:.0%}")
# --8<-- [end:early-stopping-run]

# --8<-- [start:overfitting-figure]
import matplotlib.pyplot as plt

epochs = range(1, len(history) + 1)
fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(epochs, [record["train_loss"] for record in history], marker=".", label="training")
ax.plot(epochs, [record["val_loss"] for record in history], marker=".", label="validation")
ax.axvline(best_epoch, color="gray", linestyle="--", label=f"kept: epoch {best_epoch}")
ax.set_xlabel("epoch")
ax.set_ylabel("loss")
ax.legend()
# --8<-- [end:overfitting-figure]

# --8<-- [start:test-once]
test_loss, test_accuracy = test_loop(test_dataloader, small_model, loss_fn)
print(f"test accuracy {test_accuracy:.0%}")
# --8<-- [end:test-once]

# --8<-- [start:step-lr]
import torch

torch.manual_seed(0)
model = NeuralNetwork().to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
for epoch in range(4):
    learning_rate = scheduler.get_last_lr()[0]  # the rate this epoch trains with
    train_loss = train_loop(train_dataloader, model, loss_fn, optimizer)  # one step per batch
    scheduler.step()  # once per epoch, after the epoch's optimizer steps
    print(f"epoch {epoch + 1}: lr {learning_rate:.3f}, train loss {train_loss:.1f}")
# --8<-- [end:step-lr]

# --8<-- [start:one-cycle]
import torch

torch.manual_seed(0)
model = NeuralNetwork().to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
epochs = 3
# It replaces the optimizer's lr, and gives this SGD momentum, cycled from 0.95 to 0.85 and back.
scheduler = torch.optim.lr_scheduler.OneCycleLR(
    optimizer, max_lr=0.2, epochs=epochs, steps_per_epoch=len(train_dataloader)
)
print(f"starts at lr {scheduler.get_last_lr()[0]:.3f}")
model.train()
for epoch in range(epochs):
    for X, y in train_dataloader:
        X, y = X.to(device), y.to(device)
        loss = loss_fn(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()  # once per batch, after optimizer.step()
    print(f"after epoch {epoch + 1}: lr {scheduler.get_last_lr()[0]:.4f}")
print(f"validation accuracy {test_loop(val_dataloader, model, loss_fn)[1]:.0%}")
# --8<-- [end:one-cycle]

# --8<-- [start:schedules-figure]
import matplotlib.pyplot as plt
import torch
from torch.optim import lr_scheduler


def learning_rates(make_scheduler, per_batch, epochs=10, batches=20):
    """The learning rate of every optimizer step of a run of `epochs` x `batches` steps."""
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    scheduler = make_scheduler(optimizer)
    rates = []
    for _ in range(epochs):
        for _ in range(batches):
            rates.append(optimizer.param_groups[0]["lr"])
            optimizer.step()  # a real loop computes a loss and its gradients first
            if per_batch:
                scheduler.step()
        if not per_batch:
            scheduler.step()
    return rates


schedules = {
    "StepLR(step_size=3, gamma=0.5)\nper epoch": learning_rates(
        lambda opt: lr_scheduler.StepLR(opt, step_size=3, gamma=0.5), per_batch=False
    ),
    "CosineAnnealingLR(T_max=10)\nper epoch": learning_rates(
        lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=10), per_batch=False
    ),
    "OneCycleLR(max_lr=0.1, total_steps=200)\nper batch": learning_rates(
        lambda opt: lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=200), per_batch=True
    ),
}
fig, axes = plt.subplots(1, 3, figsize=(9, 2.8), sharey=True)
for ax, (title, rates) in zip(axes, schedules.items(), strict=True):
    ax.plot(rates)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("optimizer step (20 per epoch)")
axes[0].set_ylabel("learning rate")
# --8<-- [end:schedules-figure]

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

# --8<-- [start:confusion-matrix]
import torch


@torch.no_grad()
def confusion_matrix(model, dataloader, num_classes):
    """counts[i, j]: how many samples of true class i the model predicted as class j."""
    device = next(model.parameters()).device
    model.eval()
    counts = torch.zeros(num_classes, num_classes, dtype=torch.long)
    for X, y in dataloader:
        predicted = model(X.to(device)).argmax(dim=1).cpu()
        pairs = y * num_classes + predicted  # each (true, predicted) pair as one number
        counts += torch.bincount(pairs, minlength=num_classes**2).view(num_classes, num_classes)
    return counts


classes = training_data.classes  # the 10 names, in label order: "T-shirt/top", "Trouser", ...
counts = confusion_matrix(small_model, val_dataloader, num_classes=len(classes))
print(counts)
print(f"accuracy {counts.diag().sum() / counts.sum():.0%}")  # the diagonal: the right answers
recall = counts.diag() / counts.sum(dim=1)  # per true class (a row): the fraction found
for i in recall.argsort()[:3].tolist():  # the three classes the model misses most often
    wrong = counts[i].clone()
    wrong[i] = -1  # leave out the right answers
    print(f"{classes[i]}: {recall[i]:.0%} right, most often taken for {classes[wrong.argmax()]}")
# --8<-- [end:confusion-matrix]

# --8<-- [start:confusion-figure]
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6, 5))
image = ax.imshow(counts.numpy(), cmap="Blues")
ax.set_xticks(range(len(classes)), classes, rotation=45, ha="right")
ax.set_yticks(range(len(classes)), classes)
ax.set_xlabel("predicted class")
ax.set_ylabel("true class")
for i in range(len(classes)):
    for j in range(len(classes)):
        if counts[i, j] > 0:  # write each count in its cell, white on the dark ones
            color = "white" if counts[i, j] > counts.max() / 2 else "black"
            ax.text(j, i, counts[i, j].item(), ha="center", va="center", color=color, fontsize=8)
fig.colorbar(image, ax=ax, label="validation images")
fig.tight_layout()
# --8<-- [end:confusion-figure]

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

# --8<-- [start:exercise-1]
import torch

optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
used = []
for _ in range(8):
    used.append(scheduler.get_last_lr()[0])  # the rate this epoch trains with
    optimizer.step()  # (the epoch's batches)
    scheduler.step()
print([round(lr, 4) for lr in used])
assert abs(used[7] - 0.1 * 0.5**2) < 1e-12  # halved after epochs 3 and 6 (counting from 1)
for epoch, lr in enumerate(used):
    assert abs(lr - 0.1 * 0.5 ** (epoch // 3)) < 1e-12
# --8<-- [end:exercise-1]

# --8<-- [start:exercise-2]
import torch
from torch import nn
from torch.utils.data import DataLoader


def mean_loss(model, dataloader):
    """The mean loss over the samples, whatever the size of the last batch."""
    sum_loss = nn.CrossEntropyLoss(reduction="sum")  # adds up the losses of a batch's samples
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            total += sum_loss(model(X), y).item()
            count += len(X)
    return total / count


uneven = DataLoader(val_subset, batch_size=50)  # 5 batches of 50 images, 1 of 6
exact = mean_loss(model, uneven)
with torch.no_grad():  # the reference: one batch of all 256 images
    X_all = torch.stack([image for image, _ in val_subset]).to(device)
    y_all = torch.tensor([label for _, label in val_subset]).to(device)
    reference = loss_fn(model(X_all), y_all).item()
print(f"{exact:.2f} {reference:.2f}")
assert abs(exact - reference) < 1e-4
# --8<-- [end:exercise-2]

# --8<-- [start:exercise-3]
import torch
from torch import nn


class ReluLogitsNetwork(nn.Module):
    """NeuralNetwork with a ReLU after its last layer, as in PyTorch's quickstart for a few
    months in 2021."""

    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
            nn.ReLU(),  # every negative logit becomes 0
        )

    def forward(self, x):
        x = self.flatten(x)
        return self.linear_relu_stack(x)


torch.manual_seed(0)
with torch.no_grad():
    clamped = ReluLogitsNetwork()(X.cpu())
print(f"logits that are exactly 0: {(clamped == 0).float().mean():.0%}")
assert (clamped >= 0).all()
assert (clamped == 0).any()

scores = torch.tensor([[-1.0, 2.0, 0.5]], requires_grad=True)  # the true class, 0, scores -1
nn.functional.cross_entropy(torch.relu(scores), torch.tensor([0])).backward()
plain = scores.detach().clone().requires_grad_()  # the same scores, without the ReLU
nn.functional.cross_entropy(plain, torch.tensor([0])).backward()
print(scores.grad, plain.grad, sep="\n")
assert scores.grad[0, 0] == 0  # through the ReLU: no signal to raise the true class
assert plain.grad[0, 0] < 0  # without it, gradient descent raises the true class's score
# --8<-- [end:exercise-3]

# --8<-- [start:exercise-4]
import torch

precision = counts.diag() / counts.sum(dim=0).clamp(min=1)  # per predicted class (a column)

# the same, from the predictions themselves
small_model.eval()
with torch.no_grad():
    batches = [(small_model(X.to(device)).argmax(dim=1).cpu(), y) for X, y in val_dataloader]
predictions = torch.cat([predicted for predicted, _ in batches])
labels = torch.cat([y for _, y in batches])
called = predictions == torch.arange(len(classes)).unsqueeze(1)  # [j, image]: called class j?
right = called & (labels == predictions)  # ... and rightly so
assert torch.allclose(precision, right.sum(dim=1) / called.sum(dim=1).clamp(min=1))
worst = precision.argmin()
print(f"lowest precision: {classes[worst]}, {precision[worst]:.0%} of the images called that")
# --8<-- [end:exercise-4]
