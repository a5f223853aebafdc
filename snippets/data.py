"""Data: Dataset, TensorDataset, DataLoader, torchvision data sets, ImageFolder, transforms."""

# --8<-- [start:xor-dataset]
import torch
from torch.utils import data


class XORDataset(data.Dataset):
    def __init__(self, size, std=0.1):
        super().__init__()
        self.size = size
        self.std = std
        self.generate_continuous_xor()

    def generate_continuous_xor(self):
        # each point starts on a corner of the unit square: coordinates 0 or 1
        corners = torch.randint(low=0, high=2, size=(self.size, 2), dtype=torch.float32)
        # label 1 where exactly one coordinate is 1; float, as BCEWithLogitsLoss expects
        self.labels = (corners.sum(dim=1) == 1).float()
        # then gaussian noise moves the points off the corners
        self.data = corners + self.std * torch.randn(corners.shape)

    def __len__(self):
        return self.size

    def __getitem__(self, idx):
        return self.data[idx], self.labels[idx]


torch.manual_seed(0)
dataset = XORDataset(size=500)
print(len(dataset))
print(dataset[0])
# --8<-- [end:xor-dataset]

# --8<-- [start:tensor-dataset]
import torch
from torch.utils.data import TensorDataset

features = torch.arange(12.0).reshape(6, 2)
targets = torch.tensor([0, 1, 0, 1, 1, 0])
pairs = TensorDataset(features, targets)  # sample i is (features[i], targets[i])
print(len(pairs))
print(pairs[2])
# --8<-- [end:tensor-dataset]

# --8<-- [start:random-split]
import torch
from torch.utils.data import random_split

# 400 samples to train on, 100 held out to validate; the generator fixes which ones
train_part, val_part = random_split(dataset, [400, 100], generator=torch.Generator().manual_seed(0))
print(type(train_part).__name__, len(train_part), len(val_part))
print(train_part.indices[:6], val_part.indices[:6])
again, _ = random_split(dataset, [0.8, 0.2], generator=torch.Generator().manual_seed(0))
print("the same split again:", again.indices == train_part.indices)
print("disjoint:", set(train_part.indices).isdisjoint(val_part.indices))
print("all 500 used:", sorted(train_part.indices + val_part.indices) == list(range(500)))
first = train_part.indices[0]  # a Subset reads through to the data set
print(f"train_part[0] is dataset[{first}]:", torch.equal(train_part[0][0], dataset[first][0]))
# --8<-- [end:random-split]

# --8<-- [start:dataloader]
from torch.utils.data import DataLoader

loader = DataLoader(dataset, batch_size=8, shuffle=True)
inputs, labels = next(iter(loader))  # one batch
print(inputs.shape, labels.shape)
print(f"{len(loader)} batches per epoch, sizes: {[len(x) for x, _ in loader][-3:]} at the end")
print(len(DataLoader(dataset, batch_size=8, drop_last=True)), "batches with drop_last=True")
# --8<-- [end:dataloader]

# --8<-- [start:shuffle]
import torch
from torch.utils.data import DataLoader, TensorDataset

numbers = TensorDataset(torch.arange(10))
in_order = DataLoader(numbers, batch_size=4)
shuffled = DataLoader(
    numbers, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(0)
)
print("no shuffle:", [batch.tolist() for (batch,) in in_order])
for epoch in range(2):
    print(f"epoch {epoch}:   ", [batch.tolist() for (batch,) in shuffled])
# --8<-- [end:shuffle]

# --8<-- [start:collate-error]
import torch
from torch.utils.data import DataLoader, Dataset


class Sequences(Dataset):
    """Sequences of different lengths, each with a label: sentences, audio clips, time series."""

    def __init__(self, lengths):
        self.lengths = lengths

    def __len__(self):
        return len(self.lengths)

    def __getitem__(self, idx):
        n = self.lengths[idx]
        return torch.arange(1.0, n + 1), idx % 2  # the values 1 to n, and a label


sequences = Sequences([3, 5, 2, 4])
try:
    next(iter(DataLoader(sequences, batch_size=4)))
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")
# --8<-- [end:collate-error]

# --8<-- [start:collate-fn]
import torch
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import DataLoader


def pad_collate(samples):
    """A list of (sequence, label) samples -> the padded sequences, their lengths, the labels."""
    values, labels = zip(*samples, strict=True)
    lengths = torch.tensor([len(v) for v in values])
    padded = pad_sequence(values, batch_first=True, padding_value=0.0)  # (batch, longest)
    return padded, lengths, torch.tensor(labels)


sequence_loader = DataLoader(sequences, batch_size=4, collate_fn=pad_collate)
padded, lengths, batch_labels = next(iter(sequence_loader))
print(padded)
print(lengths, batch_labels)
real = torch.arange(padded.shape[1]) < lengths[:, None]  # True where a value is not padding
print((padded * real).sum(dim=1) / lengths)  # the mean of each sequence, padding left out
# --8<-- [end:collate-fn]

# --8<-- [start:num-workers]
import multiprocessing
import os

import torch
from torch.utils.data import DataLoader, Dataset

print(multiprocessing.get_start_method())  # how worker processes start on this machine


class ProcessIds(Dataset):
    """Sample i is the id of the process that loaded it."""

    def __len__(self):
        return 4

    def __getitem__(self, idx):
        return os.getpid()


def loaded_by(loader):
    """The ids of the processes that loaded one epoch of samples."""
    return set(torch.cat(list(loader)).tolist())


in_this_process = loaded_by(DataLoader(ProcessIds(), batch_size=2)) == {os.getpid()}
print("num_workers=0, loaded by this process:", in_this_process)
for persistent in [False, True]:
    # two worker processes load batches in the background while the main process trains
    loader = DataLoader(ProcessIds(), batch_size=2, num_workers=2, persistent_workers=persistent)
    first, second = loaded_by(loader), loaded_by(loader)  # two epochs
    print(f"persistent_workers={persistent}: {len(first)} workers,", end=" ")
    print(f"the same in the second epoch: {first == second}")
# --8<-- [end:num-workers]

# --8<-- [start:pin-memory]
import torch
from torch.utils.data import DataLoader

device = "cuda" if torch.cuda.is_available() else "cpu"
# page-locked batches copy to the GPU faster, and asynchronously with non_blocking=True
loader = DataLoader(dataset, batch_size=64, pin_memory=torch.cuda.is_available())
inputs, labels = next(iter(loader))
print(inputs.is_pinned() == torch.cuda.is_available())
inputs = inputs.to(device, non_blocking=True)
labels = labels.to(device, non_blocking=True)
print(inputs.device.type == device)
# --8<-- [end:pin-memory]

# --8<-- [start:fashion-mnist]
import torch
from torchvision import datasets
from torchvision.transforms import Lambda, ToTensor

# a label y (an int) becomes a vector of 10 zeros with a 1 at index y
one_hot = Lambda(lambda y: torch.zeros(10, dtype=torch.float).scatter_(0, torch.tensor(y), value=1))

test_data = datasets.FashionMNIST(
    root="data",
    train=False,  # the 10,000 test images
    download=True,  # a no-op when the files are already under root
    transform=ToTensor(),  # PIL image -> float tensor (C, H, W) in [0, 1]
    target_transform=one_hot,
)
image, target = test_data[0]
print(len(test_data))
print(image.shape, image.dtype, image.min().item(), image.max().item())
print(target)
print(test_data.classes[target.argmax()])
# --8<-- [end:fashion-mnist]

# --8<-- [start:one-hot]
import torch
import torch.nn.functional as F
from torchvision.transforms import Lambda

agree = all(
    torch.equal(one_hot(y), F.one_hot(torch.tensor(y), num_classes=10).float()) for y in range(10)
)
print("scatter_ and F.one_hot agree on all 10 classes:", agree)
print(F.one_hot(torch.tensor(3), num_classes=10))  # int64, not float
print(F.one_hot(torch.tensor([9, 2, 1]), num_classes=10).shape)  # works on a whole batch
# a target_transform receives a Python int: make it a tensor first
one_hot_float = Lambda(lambda y: F.one_hot(torch.tensor(y), num_classes=10).float())
print(torch.equal(one_hot_float(3), one_hot(3)))
# --8<-- [end:one-hot]

# --8<-- [start:grid]
import matplotlib.pyplot as plt
import torch

generator = torch.Generator().manual_seed(0)
fig, axes = plt.subplots(3, 3, figsize=(5, 5.5))
for ax in axes.flat:
    index = torch.randint(len(test_data), size=(1,), generator=generator).item()
    image, target = test_data[index]
    ax.set_title(test_data.classes[target.argmax()], fontsize=9)
    ax.axis("off")
    ax.imshow(image.squeeze().numpy(), cmap="gray")  # (1, 28, 28) -> (28, 28)
# --8<-- [end:grid]

# --8<-- [start:csv-files]
import csv
import tempfile
from pathlib import Path

from torchvision import datasets

workdir = tempfile.TemporaryDirectory()  # deleted when Python exits
folder = Path(workdir.name)
raw = datasets.FashionMNIST(root="data", train=False, download=True)  # no transform: PIL images
with open(folder / "labels.csv", "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(["file", "label"])
    for i in range(6):
        picture, label = raw[i]
        name = f"image_{i}.png"
        picture.save(folder / name)  # PIL writes the PNG file
        writer.writerow([name, label])
print(sorted(path.name for path in folder.iterdir()))
print((folder / "labels.csv").read_text().splitlines()[:3])
# --8<-- [end:csv-files]

# --8<-- [start:csv-dataset]
import csv
from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision.transforms import v2


class CsvImageDataset(Dataset):
    """Images listed in a CSV file of (file, label) rows, read from disk one at a time."""

    def __init__(self, csv_file, image_dir, transform=None):
        with open(csv_file, newline="") as f:
            self.rows = [(row["file"], int(row["label"])) for row in csv.DictReader(f)]
        self.image_dir = Path(image_dir)
        self.transform = transform

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, idx):
        name, label = self.rows[idx]
        with Image.open(self.image_dir / name) as file:  # opened only when asked for
            image = file.convert("L")  # greyscale; "RGB" for colour photos
        if self.transform is not None:
            image = self.transform(image)
        return image, label


# PIL image -> uint8 tensor (C, H, W) -> float32 in [0, 1]
to_tensor = v2.Compose([v2.ToImage(), v2.ToDtype(torch.float32, scale=True)])
csv_images = CsvImageDataset(folder / "labels.csv", folder, transform=to_tensor)
image, label = csv_images[0]
print(len(csv_images), image.shape, image.dtype, label)
images, labels = next(iter(DataLoader(csv_images, batch_size=4, shuffle=True)))
print(images.shape, labels.shape, labels.dtype)
# --8<-- [end:csv-dataset]

# --8<-- [start:image-folder]
from collections import Counter
from pathlib import Path

from torchvision import datasets

root = "data/hymenoptera_data/train"
images = datasets.ImageFolder(root=root)
print(images.classes)
print(images.class_to_idx)
print(len(images), Counter(images.classes[label] for label in images.targets))
on_disk = [path for path in sorted(Path(root).rglob("*")) if path.is_file()]
kept = {Path(path) for path, _ in images.samples}
print(len(on_disk), "files, skipped:", [path.name for path in on_disk if path not in kept])
image, label = images[0]
print(type(image).__name__, image.mode, image.size, label)
# --8<-- [end:image-folder]

# --8<-- [start:step-by-step]
from torchvision import transforms

resized = transforms.Resize(256)(image)  # shorter side to 256, aspect ratio kept
cropped = transforms.CenterCrop(224)(resized)  # the central 224 x 224
tensor = transforms.ToTensor()(cropped)  # (C, H, W) float in [0, 1]
print(image.size, "->", resized.size, "->", cropped.size, "->", tuple(tensor.shape))
print(tensor.dtype, f"{tensor.min().item():.2f}", f"{tensor.max().item():.2f}")
print(transforms.Resize((256, 256))(image).size)  # a (height, width) pair: squashed to a square
# --8<-- [end:step-by-step]

# --8<-- [start:pipelines-v1]
from torchvision import transforms

mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]  # ImageNet's, per channel

train_transforms = transforms.Compose(
    [
        transforms.RandomRotation(30),
        transforms.RandomResizedCrop(224),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize(mean, std),
    ]
)
test_transforms = transforms.Compose(
    [
        transforms.Resize(256),
        transforms.CenterCrop(224),
        transforms.ToTensor(),
        transforms.Normalize(mean, std),
    ]
)
# --8<-- [end:pipelines-v1]

# --8<-- [start:pipelines-v2]
import torch
from torchvision.transforms import v2

mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]  # ImageNet's, per channel

train_transforms_v2 = v2.Compose(
    [
        v2.RandomRotation(30),
        v2.RandomResizedCrop(224),
        v2.RandomHorizontalFlip(),
        v2.ToImage(),  # v2 splits ToTensor in two: to a tensor image ...
        v2.ToDtype(torch.float32, scale=True),  # ... then to float in [0, 1]
        v2.Normalize(mean, std),
    ]
)
test_transforms_v2 = v2.Compose(
    [
        v2.Resize(256),
        v2.CenterCrop(224),
        v2.ToImage(),
        v2.ToDtype(torch.float32, scale=True),
        v2.Normalize(mean, std),
    ]
)
# --8<-- [end:pipelines-v2]

# --8<-- [start:apply-pipelines]
import torch

test_view = test_transforms(image)
print(test_view.shape, torch.allclose(test_view, test_transforms_v2(image), atol=1e-5))
print(torch.equal(test_view, test_transforms(image)))  # deterministic
torch.manual_seed(0)
first, second = train_transforms(image), train_transforms(image)
print(first.shape, torch.equal(first, second))  # random: a new view at every call
# --8<-- [end:apply-pipelines]

# --8<-- [start:augmentations]
import matplotlib.pyplot as plt
import torch
from torchvision.transforms import v2

augment = v2.Compose([v2.RandomRotation(30), v2.RandomResizedCrop(224), v2.RandomHorizontalFlip()])
torch.manual_seed(0)
fig, axes = plt.subplots(2, 4, figsize=(6, 3.2))
axes[0, 0].imshow(image)
axes[0, 0].set_title("original", fontsize=9)
for i, ax in enumerate(axes.flat[1:], start=1):
    ax.imshow(augment(image))  # a new random view at every call
    ax.set_title(f"augmented {i}", fontsize=9)
for ax in axes.flat:
    ax.axis("off")
# --8<-- [end:augmentations]

# --8<-- [start:normalize]
import torch
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms

unnormalized = transforms.Compose(
    [transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor()]
)
sample = Subset(datasets.ImageFolder(root, transform=unnormalized), range(0, 244, 31))
batch, _ = next(iter(DataLoader(sample, batch_size=len(sample))))
normalized = transforms.Normalize(mean, std)(batch)
for name, x in [("after ToTensor", batch), ("after Normalize", normalized)]:
    means = x.mean(dim=(0, 2, 3)).tolist()  # one mean per channel (R, G, B)
    stds = x.std(dim=(0, 2, 3)).tolist()
    print(f"{name:<16} mean {[round(m, 2) for m in means]}, std {[round(s, 2) for s in stds]}")
half = transforms.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5])(batch)  # [0, 1] -> [-1, 1]
print(f"[{batch.min():.2f}, {batch.max():.2f}] -> [{half.min():.2f}, {half.max():.2f}]")
# --8<-- [end:normalize]

# --8<-- [start:wrapped-loader]
import torch
from torch.utils.data import DataLoader, TensorDataset

device = "cuda" if torch.cuda.is_available() else "cpu"
x_train = torch.rand(256, 784)  # flat rows of 28 x 28 pixels
y_train = torch.randint(0, 10, (256,))
train_dl = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True)


def preprocess(x, y):
    return x.view(-1, 1, 28, 28).to(device), y.to(device)


class WrappedDataLoader:
    def __init__(self, dl, func):
        self.dl = dl
        self.func = func

    def __len__(self):
        return len(self.dl)

    def __iter__(self):
        for batch in self.dl:
            yield self.func(*batch)


wrapped = WrappedDataLoader(train_dl, preprocess)
xb, yb = next(iter(wrapped))
print(len(wrapped), xb.shape, xb.device.type == device)
# --8<-- [end:wrapped-loader]

# --8<-- [start:move-in-loop]
import torch

for xb, yb in train_dl:
    xb, yb = xb.to(device).view(-1, 1, 28, 28), yb.to(device)
    ...  # forward, loss, backward, step
print(xb.shape, xb.device.type == device)
# --8<-- [end:move-in-loop]

# --8<-- [start:exercise-1]
import torch
from torch.utils.data import DataLoader, Dataset


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, idx):
        x = torch.tensor([float(idx)])
        return x, x**2


squares = Squares(10)
batches = list(DataLoader(squares, batch_size=4))
print(len(squares), [len(x) for x, _ in batches])
assert len(squares) == 10
assert [len(x) for x, _ in batches] == [4, 4, 2]  # the last batch holds the rest
xs, ys = batches[1]
assert xs.shape == ys.shape == (4, 1)
assert torch.equal(ys, xs**2)
assert xs[0].item() == 4.0  # the second batch starts at sample 4
# --8<-- [end:exercise-1]

# --8<-- [start:exercise-2]
import torch
from torch.utils.data import DataLoader, Subset
from torchvision import datasets, transforms

train_images = datasets.FashionMNIST(
    root="data", train=True, download=True, transform=transforms.ToTensor()
)
first_1000 = Subset(train_images, range(1000))
total, total_sq, count = 0.0, 0.0, 0
for x, _ in DataLoader(first_1000, batch_size=250):
    total += x.sum().item()
    total_sq += (x**2).sum().item()
    count += x.numel()
pixel_mean = total / count
pixel_std = (total_sq / count - pixel_mean**2) ** 0.5
print(f"mean {pixel_mean:.4f}, std {pixel_std:.4f}")

everything = torch.stack([x for x, _ in first_1000])  # small enough to check in one go
assert abs(pixel_mean - everything.mean().item()) < 1e-6
assert abs(pixel_std - everything.std().item()) < 1e-5  # the mean of batch stds is 2e-4 off
standardized = transforms.Normalize([pixel_mean], [pixel_std])(everything)
assert abs(standardized.mean().item()) < 1e-3
assert abs(standardized.std().item() - 1) < 1e-4
# --8<-- [end:exercise-2]

# --8<-- [start:exercise-3]
import torch
from torch.utils.data import Subset, random_split
from torchvision.transforms import v2

flip = v2.Compose([v2.RandomHorizontalFlip(p=1.0), to_tensor])  # always flips: easy to check
train_view = CsvImageDataset(folder / "labels.csv", folder, transform=flip)
val_view = CsvImageDataset(folder / "labels.csv", folder, transform=to_tensor)
train_idx, val_idx = random_split(
    range(len(val_view)), [4, 2], generator=torch.Generator().manual_seed(0)
)
train_set, val_set = Subset(train_view, list(train_idx)), Subset(val_view, list(val_idx))
print(list(train_idx), list(val_idx))

assert set(train_idx).isdisjoint(val_idx)
assert len(train_set) + len(val_set) == 6
for i, (picture, label) in zip(val_idx, val_set, strict=True):  # validation: the file as it is
    assert torch.allclose(picture, raw.data[i].unsqueeze(0) / 255)
    assert label == raw.targets[i]
for i, (picture, _) in zip(train_idx, train_set, strict=True):  # training: the file, flipped
    assert torch.allclose(picture, raw.data[i].unsqueeze(0).flip(-1) / 255)
# --8<-- [end:exercise-3]
