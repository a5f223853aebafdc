"""A first classifier, end to end: the continuous XOR problem of the notes."""

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
            total, batches = total + loss.item(), batches + 1
        history.append(total / batches)
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
