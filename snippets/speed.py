"""Making training fast: measuring throughput, data already in a tensor, DataLoader workers,
larger batches, torch.compile, mixed precision, channels_last."""

# --8<-- [start:model]
import torch
from torch import nn

device = "cuda" if torch.cuda.is_available() else "cpu"


def make_cnn():
    """A small CNN for 28x28 greyscale images."""
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1),  # (N, 16, 28, 28)
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, 16, 14, 14)
        nn.Conv2d(16, 32, kernel_size=3, padding=1),  # (N, 32, 14, 14)
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, 32, 7, 7)
        nn.Flatten(),
        nn.Linear(32 * 7 * 7, 10),
    )


# --8<-- [end:model]

# --8<-- [start:throughput]
import time

import torch
import torch.nn.functional as F


def make_train_step(model, optimizer):
    def train_step(x, y):
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    return train_step


def images_per_second(train_step, batches, warmup=2):
    """Run train_step on every batch and time all but the first `warmup` batches."""
    synchronize = torch.get_device_module(device).synchronize  # GPU work runs asynchronously
    for i, (x, y) in enumerate(batches):
        if i == warmup:  # the first steps allocate memory, pick kernels, compile...
            synchronize()
            start, images = time.perf_counter(), 0
        train_step(x.to(device), y.to(device))
        if i >= warmup:
            images += len(x)
    synchronize()  # wait for the last step to really finish before reading the clock
    return images / (time.perf_counter() - start)


# --8<-- [end:throughput]

# --8<-- [start:notes-loader]
import itertools

import torch
from torch.utils.data import DataLoader
from torchvision import datasets
from torchvision.transforms import ToTensor

training_data = datasets.FashionMNIST(root="data", train=True, download=True, transform=ToTensor())
train_dataloader = DataLoader(training_data, batch_size=64, shuffle=True)

torch.manual_seed(0)
model = make_cnn().to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
rate = images_per_second(make_train_step(model, optimizer), itertools.islice(train_dataloader, 8))
print(f"DataLoader of PIL images: {rate:.0f} images/s")
# --8<-- [end:notes-loader]

# --8<-- [start:preload]
import torch

# .data holds the 60,000 images as one uint8 tensor: convert them all at once, as ToTensor
# converts each image (to float32, divided by 255), and add the channel dimension.
images = training_data.data.unsqueeze(1).float().div(255).to(device)
labels = training_data.targets.to(device)
print(images.shape, images.dtype, f"{images.nbytes / 2**20:.0f} MiB")
print(torch.equal(images[0].cpu(), training_data[0][0]))  # the same pixels as ToTensor()


def tensor_batches(images, labels, batch_size):
    """One shuffled epoch of batches, made by indexing: no Dataset, no DataLoader."""
    order = torch.randperm(len(images), device=images.device)
    for indices in order.split(batch_size):
        yield images[indices], labels[indices]


x, y = next(tensor_batches(images, labels, 64))
print(x.shape, y.shape)
# --8<-- [end:preload]

# --8<-- [start:preload-speed]
import itertools


def seconds_for(batches, count=20):
    """Time taken to produce `count` batches, without training on them."""
    start = time.perf_counter()
    for _ in itertools.islice(batches, count):
        pass
    return time.perf_counter() - start


decoding = seconds_for(iter(train_dataloader))
indexing = seconds_for(tensor_batches(images, labels, 64))
print(f"20 batches of 64: decoding {decoding * 1000:.1f} ms, indexing {indexing * 1000:.1f} ms")
# --8<-- [end:preload-speed]

# --8<-- [start:workers]
import torch
from torch.utils.data import DataLoader

on_gpu = device == "cuda"
fast_loader = DataLoader(
    training_data,
    batch_size=64,
    num_workers=2,  # two processes decode batches while the main process trains
    pin_memory=on_gpu,  # page-locked memory: faster, asynchronous copies to the GPU
    persistent_workers=True,  # keep the workers between epochs instead of restarting them
)
plain_loader = DataLoader(training_data, batch_size=64)  # no shuffling: comparable batches
x_fast, y_fast = next(iter(fast_loader))
x_plain, y_plain = next(iter(plain_loader))
print(torch.equal(x_fast, x_plain), torch.equal(y_fast, y_plain))
# --8<-- [end:workers]

# --8<-- [start:pin-memory-cpu]
import warnings

from torch.utils.data import DataLoader

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    x_pinned, _ = next(iter(DataLoader(training_data, batch_size=64, pin_memory=True)))
print(x_pinned.is_pinned(), [str(w.message) for w in caught])
# --8<-- [end:pin-memory-cpu]

# --8<-- [start:batch-size]
base_batch_size, base_lr = 64, 0.05
for batch_size in (64, 256, 1024):
    lr = base_lr * batch_size / base_batch_size  # the linear scaling rule
    steps = -(-len(training_data) // batch_size)  # steps per epoch, rounded up
    print(f"batch {batch_size:4}: {steps:4} steps per epoch, lr {lr:.2f}")
# --8<-- [end:batch-size]

# --8<-- [start:compile]
import torch

model = make_cnn()
compiled = torch.compile(model)  # returns at once: compilation happens at the first call
print(type(compiled).__name__, compiled._orig_mod is model)
print(list(compiled.state_dict())[:2])  # the wrapper's keys: "_orig_mod." in front
print(list(model.state_dict())[:2])  # save these: the same tensors, plain names
# --8<-- [end:compile]

# --8<-- [start:autocast]
import torch

torch.manual_seed(0)
model = make_cnn()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
x, y = next(tensor_batches(images.cpu(), labels.cpu(), 64))
with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
    logits = model(x)  # convolutions and matrix products run in bfloat16
    loss = torch.nn.functional.cross_entropy(logits, y)  # autocast computes this one in float32
print(logits.dtype, loss.dtype)
loss.backward()  # outside autocast: gradients come back in the parameters' dtype
optimizer.step()
print(model[0].weight.dtype, model[0].weight.grad.dtype)
# --8<-- [end:autocast]

# --8<-- [start:channels-last]
import torch

torch.manual_seed(0)
model = make_cnn()
x = images[:64].cpu()
x_cl = x.to(memory_format=torch.channels_last)  # same shape, pixels stored (N, H, W, C)
print(x_cl.shape, x.stride(), x_cl.stride())
model_cl = make_cnn().to(memory_format=torch.channels_last)  # the convolution weights too
model_cl.load_state_dict(model.state_dict())
print(torch.allclose(model(x), model_cl(x_cl), atol=1e-5))  # same results, other layout
# --8<-- [end:channels-last]

# --8<-- [start:cudnn-benchmark]
import torch
from torch.profiler import ProfilerActivity, profile

torch.backends.cudnn.benchmark = True  # only read by cuDNN, the GPU convolution library
with profile(activities=[ProfilerActivity.CPU]) as prof:
    make_cnn()(images[:64].cpu())
print(sorted({e.key for e in prof.key_averages() if "convolution" in e.key}))
torch.backends.cudnn.benchmark = False
# --8<-- [end:cudnn-benchmark]
