"""Transfer learning: weights enums, freezing, new heads, head-only optimizers, preprocessing."""

# --8<-- [start:weights-meta]
from torchvision import models

weights = models.ResNet18_Weights.DEFAULT  # an enum member: metadata, no download yet
print(weights)
print(weights.meta["categories"][:3], len(weights.meta["categories"]))
print(f"{weights.meta['num_params']:,} parameters")
print(weights.meta["_metrics"])
# --8<-- [end:weights-meta]

# --8<-- [start:weights-transforms]
preprocess = weights.transforms()  # the preprocessing these weights were trained with
print(preprocess)
# --8<-- [end:weights-transforms]

# --8<-- [start:pretrained-deprecated]
import warnings

from torchvision import models

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    try:
        models.resnet18(pretrained=True, num_classes=10)  # the notes' keyword, and 10 classes
    except ValueError as err:
        print(f"ValueError: {err}")
for warning in caught:
    print(f"{warning.category.__name__}: {warning.message}")
# --8<-- [end:pretrained-deprecated]

# --8<-- [start:build-random]
import torch
from torchvision import models

torch.manual_seed(0)
model = models.resnet18(weights=None)  # the architecture only: random weights
n_params = sum(p.numel() for p in model.parameters())
print(f"{n_params:,} parameters, as the pretrained model:", n_params == weights.meta["num_params"])
print(model.fc)
# --8<-- [end:build-random]

# --8<-- [start:freeze]
from torch import nn

for param in model.parameters():
    param.requires_grad = False  # frozen: autograd computes no gradient for it

model.fc = nn.Linear(model.fc.in_features, 10)  # a new head: its parameters require grad


def count(parameters):
    return sum(p.numel() for p in parameters)


trainable = count(p for p in model.parameters() if p.requires_grad)
print(f"trainable: {trainable:,} of {count(model.parameters()):,}")
print([name for name, p in model.named_parameters() if p.requires_grad])
# --8<-- [end:freeze]

# --8<-- [start:preprocess-data]
import torch
from torchvision import datasets

# The ants and bees images of PyTorch's transfer learning tutorial, in ImageFolder layout.
train_data = datasets.ImageFolder("data/hymenoptera_data/train", transform=preprocess)
print(train_data.classes, len(train_data))

images = torch.stack([train_data[0][0], train_data[-1][0]])  # an ant and a bee
labels = torch.tensor([train_data[0][1], train_data[-1][1]])
print(images.shape, images.dtype, labels)
print(f"values from {images.min():.1f} to {images.max():.1f}")  # normalized: not in [0, 1]
# --8<-- [end:preprocess-data]

# --8<-- [start:head-step]
import torch
from torch import nn

optimizer = torch.optim.SGD(model.fc.parameters(), lr=0.01, momentum=0.9)  # the head only
loss_fn = nn.CrossEntropyLoss()

before = {name: p.detach().clone() for name, p in model.named_parameters()}
buffers_before = model.layer1[0].bn1.running_mean.clone()

model.train()
logits = model(images)
print(logits.shape)
loss = loss_fn(logits, labels)
optimizer.zero_grad()
loss.backward()
optimizer.step()

frozen_same = all(
    torch.equal(before[name], p) for name, p in model.named_parameters() if not p.requires_grad
)
print("frozen parameters unchanged:", frozen_same)
print("head changed:", not torch.equal(before["fc.weight"], model.fc.weight))
print("frozen layer got a gradient:", model.conv1.weight.grad is not None)
print(
    "BatchNorm statistics changed:",
    not torch.equal(buffers_before, model.layer1[0].bn1.running_mean),
)
# --8<-- [end:head-step]

# --8<-- [start:frozen-eval]
import torch

model.eval()  # BatchNorm uses (and keeps) its stored statistics
buffers_before = model.layer1[0].bn1.running_mean.clone()
loss = loss_fn(model(images), labels)
optimizer.zero_grad()
loss.backward()
optimizer.step()
print(
    "BatchNorm statistics changed:",
    not torch.equal(buffers_before, model.layer1[0].bn1.running_mean),
)
# --8<-- [end:frozen-eval]

# --8<-- [start:densenet]
from collections import OrderedDict

import torch
from torch import nn
from torchvision import models

torch.manual_seed(0)
model = models.densenet121(weights=None)  # random weights here: see the top of the page
print(model.classifier)

for param in model.parameters():
    param.requires_grad = False

model.classifier = nn.Sequential(
    OrderedDict(
        [
            ("fc1", nn.Linear(1024, 500)),
            ("relu", nn.ReLU()),
            ("fc2", nn.Linear(500, 2)),
            ("output", nn.LogSoftmax(dim=1)),
        ]
    )
)
criterion = nn.NLLLoss()  # LogSoftmax + NLLLoss: together, a cross-entropy loss
optimizer = torch.optim.Adam(model.classifier.parameters(), lr=0.003)
print(f"trainable: {sum(p.numel() for p in model.parameters() if p.requires_grad):,}")
# --8<-- [end:densenet]

# --8<-- [start:densenet-step]
import torch

device = "cuda" if torch.cuda.is_available() else "cpu"
model.to(device)
model.eval()  # a frozen backbone keeps its BatchNorm statistics (see the warning above)

inputs, targets = images.to(device), labels.to(device)
log_probabilities = model(inputs)
loss = criterion(log_probabilities, targets)
optimizer.zero_grad()
loss.backward()
optimizer.step()
print(log_probabilities.shape)
probabilities = log_probabilities.exp()
print(torch.allclose(probabilities.sum(dim=1), torch.ones(2, device=device)))  # rows sum to 1
# --8<-- [end:densenet-step]

# --8<-- [start:gpu-string]
import torch

try:
    torch.device("gpu")  # the notes' model.to('gpu')
except RuntimeError as err:
    print(err)
# --8<-- [end:gpu-string]
