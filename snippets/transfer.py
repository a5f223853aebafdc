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
preprocess = weights.transforms()  # the evaluation preprocessing these weights expect
print(preprocess)
# --8<-- [end:weights-transforms]

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

# --8<-- [start:show-images]
import matplotlib.pyplot as plt
import numpy as np
import torch
from PIL import Image

mean = torch.tensor(preprocess.mean).view(3, 1, 1)
std = torch.tensor(preprocess.std).view(3, 1, 1)
fig, axes = plt.subplots(1, 4, figsize=(8, 2.4))
for column, index in enumerate([0, -1]):  # the ant and the bee above
    path, label = train_data.samples[index]
    photo = Image.open(path)
    seen = train_data[index][0] * std + mean  # undo Normalize, to display the model's input
    axes[2 * column].imshow(np.asarray(photo))
    axes[2 * column].set_title(f"{train_data.classes[label]}: {photo.width}x{photo.height}")
    axes[2 * column + 1].imshow(seen.permute(1, 2, 0).clamp(0, 1).numpy())  # (C, H, W) -> (H, W, C)
    axes[2 * column + 1].set_title(f"model input: {seen.shape[2]}x{seen.shape[1]}")
for ax in axes:
    ax.axis("off")
# --8<-- [end:show-images]

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

in_features = model.classifier.in_features  # 1024, read before the head is replaced
model.classifier = nn.Sequential(
    OrderedDict(
        [
            ("fc1", nn.Linear(in_features, 500)),
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

# --8<-- [start:exercise-1]
import torch
from torch import nn
from torchvision import models

two_class = models.resnet18(weights=None)
for param in two_class.parameters():
    param.requires_grad = False
two_class.fc = nn.Linear(two_class.fc.in_features, 2)  # ants and bees
n_trainable = sum(p.numel() for p in two_class.parameters() if p.requires_grad)
print(f"trainable: {n_trainable:,}")

assert n_trainable == 512 * 2 + 2  # the new head's weights and biases, nothing else
assert [name for name, p in two_class.named_parameters() if p.requires_grad] == [
    "fc.weight",
    "fc.bias",
]
# --8<-- [end:exercise-1]

# --8<-- [start:exercise-2]
import torch

for param in two_class.layer4.parameters():  # the last stage learns too, gently
    param.requires_grad = True
finetune_optimizer = torch.optim.SGD(
    [
        {"params": two_class.fc.parameters(), "lr": 1e-2},
        {"params": two_class.layer4.parameters(), "lr": 1e-3},
    ],
    momentum=0.9,
)
print([group["lr"] for group in finetune_optimizer.param_groups])
n_trainable = sum(p.numel() for p in two_class.parameters() if p.requires_grad)
print(f"trainable: {n_trainable:,}")

in_optimizer = {id(p) for group in finetune_optimizer.param_groups for p in group["params"]}
assert in_optimizer == {id(p) for p in two_class.parameters() if p.requires_grad}
frozen = [p for name, p in two_class.named_parameters() if not name.startswith(("layer4.", "fc."))]
assert not any(p.requires_grad for p in frozen)  # the earlier stages stay frozen
# --8<-- [end:exercise-2]

# --8<-- [start:exercise-3]
import copy

import torch
from torch import nn
from torchvision import models

torch.manual_seed(0)
classifier = models.resnet18(weights=None)
classifier.fc = nn.Linear(classifier.fc.in_features, 2)
classifier.eval()
extractor = copy.deepcopy(classifier)
extractor.fc = nn.Identity()  # everything but the head: image in, 512 features out
with torch.no_grad():
    features = extractor(images)
    logits_from_features = classifier.fc(features)
    logits_full = classifier(images)
print(features.shape)

assert features.shape == (2, 512)
assert torch.allclose(logits_from_features, logits_full, atol=1e-6)
with torch.no_grad():  # in eval mode, an image's features do not depend on its batch
    alone = extractor(images[:1])
assert torch.allclose(alone, features[:1], atol=1e-5)
# --8<-- [end:exercise-3]
