"""A first classifier, end to end: continuous XOR."""

# --8<-- [start:dataset]
import torch
from torch.utils import data


class XORDataset(data.Dataset):
    """Points near the corners of the unit square, labelled 1 where exactly one coordinate is 1."""

    def __init__(self, size: int, std: float = 0.1, generator: torch.Generator | None = None):
        super().__init__()
        corners = torch.randint(0, 2, (size, 2), generator=generator).float()
        self.labels = (corners.sum(dim=1) == 1).float()  # float: what BCEWithLogitsLoss expects
        self.data = corners + std * torch.randn(size, 2, generator=generator)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, idx: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.data[idx], self.labels[idx]


# --8<-- [end:dataset]


# --8<-- [start:model]
from torch import nn


class SimpleClassifier(nn.Module):
    """One hidden layer with tanh; one output logit (no sigmoid: the loss applies it)."""

    def __init__(self, num_inputs: int = 2, num_hidden: int = 4, num_outputs: int = 1):
        super().__init__()
        self.linear1 = nn.Linear(num_inputs, num_hidden)
        self.act_fn = nn.Tanh()
        self.linear2 = nn.Linear(num_hidden, num_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear2(self.act_fn(self.linear1(x)))


# --8<-- [end:model]


# --8<-- [start:train]
from tqdm.auto import tqdm


def train_model(model, optimizer, loader, loss_module, num_epochs=100, device="cpu"):
    """Train and return the mean loss of each epoch."""
    model.train()
    history = []
    for _ in tqdm(range(num_epochs), desc="epochs", leave=False):
        total, batches = 0.0, 0
        for inputs, labels in loader:
            inputs, labels = inputs.to(device), labels.to(device)
            logits = model(inputs).squeeze(dim=1)  # [batch, 1] -> [batch]
            loss = loss_module(logits, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total, batches = total + loss.detach(), batches + 1  # stays on the device
        history.append((total / batches).item())  # one wait for a GPU per epoch, not per step
    return history


# --8<-- [end:train]


# --8<-- [start:evaluate]
@torch.no_grad()
def accuracy(model, loader, device="cpu"):
    """Fraction of points whose predicted class (logit > 0) equals the label."""
    model.eval()
    correct = total = 0
    for inputs, labels in loader:
        inputs, labels = inputs.to(device), labels.to(device)
        predictions = (model(inputs).squeeze(dim=1) > 0).float()
        correct += (predictions == labels).sum().item()
        total += len(labels)
    return correct / total


# --8<-- [end:evaluate]


# --8<-- [start:plot]
import matplotlib.pyplot as plt


def plot_xor(dataset, model=None, device="cpu"):
    """Scatter the points by label; given a model, shade the plane by its P(class 1)."""
    fig, ax = plt.subplots(figsize=(5, 3.6))
    if model is not None:
        grid = torch.linspace(-0.5, 1.5, 101)
        xx, yy = torch.meshgrid(grid, grid, indexing="xy")
        plane = torch.stack([xx.flatten(), yy.flatten()], dim=1).to(device)
        model.eval()
        with torch.no_grad():
            probability = torch.sigmoid(model(plane)).reshape(xx.shape).cpu()
        shading = ax.contourf(xx, yy, probability, levels=10, cmap="RdBu_r", alpha=0.5)
        fig.colorbar(shading, ax=ax, label="P(class 1)")
        ax.contour(xx, yy, probability, levels=[0.5], colors="black")  # the decision boundary
    for label, color in ((0, "tab:blue"), (1, "tab:red")):
        points = dataset.data[dataset.labels == label]
        ax.scatter(points[:, 0], points[:, 1], s=4, color=color, label=f"class {label}")
    ax.set(xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    ax.legend(loc="center")
    return fig, ax


# --8<-- [end:plot]


# --8<-- [start:exercise-1]
wider = SimpleClassifier(num_hidden=8)
n_params = sum(p.numel() for p in wider.parameters())

assert n_params == 2 * 8 + 8 + 8 * 1 + 1  # linear1: weights and biases, then linear2
assert wider.linear1.weight.shape == (8, 2)
# --8<-- [end:exercise-1]


# --8<-- [start:exercise-2]
import torch


@torch.no_grad()
def predict_proba(model, points):
    """The probability of class 1 for each point: the sigmoid of the logit."""
    model.eval()
    return torch.sigmoid(model(points).squeeze(dim=1))


torch.manual_seed(4)  # a seed whose 50 points fall on both sides of the boundary
probe = torch.rand(50, 2) * 2 - 0.5  # 50 points around the unit square
untrained = SimpleClassifier()
probabilities = predict_proba(untrained, probe)

assert probabilities.shape == (50,)
assert ((probabilities >= 0) & (probabilities <= 1)).all()
with torch.no_grad():
    logits = untrained(probe).squeeze(dim=1)
assert 0 < (logits > 0).sum() < 50  # both classes occur, so the next check means something
assert torch.equal(probabilities > 0.5, logits > 0)  # the same class either way
# --8<-- [end:exercise-2]


# --8<-- [start:exercise-3]
import torch
from torch import nn
from torch.utils import data

torch.manual_seed(0)
xor_generator = torch.Generator().manual_seed(1)
xor_train = XORDataset(size=400, generator=xor_generator)
xor_test = XORDataset(size=200, generator=xor_generator)


def train_and_test(candidate):
    """The same data, loss, optimizer and number of steps (800) for each model."""
    loader = data.DataLoader(xor_train, batch_size=50, shuffle=True, generator=xor_generator)
    optimizer = torch.optim.SGD(candidate.parameters(), lr=0.1)
    history = train_model(candidate, optimizer, loader, nn.BCEWithLogitsLoss(), num_epochs=100)
    return history, accuracy(candidate, data.DataLoader(xor_test, batch_size=200))


linear_model = nn.Linear(2, 1)  # no hidden layer: the decision boundary is a straight line
linear_history, linear_accuracy = train_and_test(linear_model)
hidden_history, hidden_accuracy = train_and_test(SimpleClassifier())

assert hidden_accuracy > 0.95  # a hidden layer bends the boundary around the corners
assert linear_accuracy <= 0.8  # a line gets at most 3 of the 4 corners right
assert linear_history[-1] > 0.5  # and its loss stays near ln 2 = 0.69, a coin flip
# --8<-- [end:exercise-3]
