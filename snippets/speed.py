"""Making training fast: measuring throughput, data already in a tensor, DataLoader workers,
larger batches, torch.compile, mixed precision, channels_last, and GPU memory: what uses it,
and what to do when it runs out (gradient accumulation, activation checkpointing)."""

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

# --8<-- [start:quickstart-loader]
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
# --8<-- [end:quickstart-loader]

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

# --8<-- [start:float-ranges]
import torch

values = torch.tensor([1e-8, 1e-3, 7e4])  # a tiny gradient, a usual one, a large activation
print("float16: ", values.to(torch.float16).tolist())  # smallest ~6e-8, largest 65504
print("bfloat16:", values.to(torch.bfloat16).tolist())  # float32's range, fewer digits
# --8<-- [end:float-ranges]

# --8<-- [start:grad-scaler]
import itertools

import torch

torch.manual_seed(0)
model = make_cnn().to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
scaler = torch.amp.GradScaler(device)
for x, y in itertools.islice(tensor_batches(images, labels, 16), 3):
    with torch.autocast(device_type=device, dtype=torch.float16):
        loss = F.cross_entropy(model(x), y)
    optimizer.zero_grad()
    scaler.scale(loss).backward()  # backward of the scaled loss: every .grad is scaled too
    scaler.unscale_(optimizer)  # divide the gradients by the scale, before anything reads them
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)  # true gradients
    scaler.step(optimizer)  # skips the step if a gradient overflowed to inf or nan
    scaler.update()  # adjusts the scale factor for the next step
    print(f"loss {loss.item():.2f}, gradient norm {norm:.2f}, scale {scaler.get_scale():.0f}")
# --8<-- [end:grad-scaler]

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

# --8<-- [start:memory-parts]
import torch
import torch.nn.functional as F


def tensor_bytes(tensors):
    """Memory of the tensors' elements: numel() elements of element_size() bytes each."""
    return sum(t.numel() * t.element_size() for t in tensors)


torch.manual_seed(0)
model = make_cnn()  # on the CPU: the sizes are the same on any device
optimizer = torch.optim.Adam(model.parameters())
x, y = images[:64].cpu(), labels[:64].cpu()
F.cross_entropy(model(x), y).backward()
optimizer.step()  # Adam creates its state at the first step

params = list(model.parameters())
states = [optimizer.state[p] for p in params]
for p, state in zip(params, states, strict=True):
    assert sorted(state) == ["exp_avg", "exp_avg_sq", "step"]  # two tensors per parameter
    assert state["exp_avg"].shape == state["exp_avg_sq"].shape == p.shape
parameter_bytes = tensor_bytes(params)
gradient_bytes = tensor_bytes(p.grad for p in params)
state_bytes = tensor_bytes(s[k] for s in states for k in ("exp_avg", "exp_avg_sq"))
assert gradient_bytes == parameter_bytes
assert state_bytes == 2 * parameter_bytes
print(f"{sum(p.numel() for p in params):,} parameters, float32 ({params[0].element_size()} bytes)")
print(f"parameters {parameter_bytes / 2**10:.0f} KiB, gradients {gradient_bytes / 2**10:.0f} KiB")
print(f"Adam state {state_bytes / 2**10:.0f} KiB")
# --8<-- [end:memory-parts]

# --8<-- [start:activations]
import torch
import torch.nn.functional as F


def saved_bytes(forward, x, y, parameters):
    """Bytes of the tensors that autograd keeps for the backward pass of one loss."""
    parameter_addresses = {p.data_ptr() for p in parameters}
    saved = {}  # address -> bytes: a tensor saved by two operations counts once

    def pack(tensor):  # called for every tensor autograd saves for backward
        if tensor.data_ptr() not in parameter_addresses:  # parameters are counted already
            saved[tensor.data_ptr()] = tensor.numel() * tensor.element_size()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        F.cross_entropy(forward(x), y)
    return sum(saved.values())


activation_bytes = saved_bytes(model, x, y, model.parameters())
print(f"saved for backward, batch of {len(x)}: {activation_bytes / 2**20:.1f} MiB")
print(f"per image: {activation_bytes / len(x) / 2**10:.0f} KiB")
# --8<-- [end:activations]

# --8<-- [start:memory-figure]
import matplotlib.pyplot as plt
import torch

batch_sizes = [1, 4, 16, 64, 256]
parts = {  # bytes, for each batch size
    "parameters": [parameter_bytes] * len(batch_sizes),
    "gradients": [gradient_bytes] * len(batch_sizes),
    "Adam state": [state_bytes] * len(batch_sizes),
    "activations": [
        saved_bytes(model, images[:n].cpu(), labels[:n].cpu(), params) for n in batch_sizes
    ],
}
sizes = torch.tensor(list(parts.values()), dtype=torch.float64)  # (4 parts, 5 batch sizes)
totals = sizes.sum(dim=0)
shares = 100 * sizes / totals

fig, ax = plt.subplots(figsize=(6, 3))
columns = [str(n) for n in batch_sizes]
bottom = torch.zeros(len(batch_sizes), dtype=torch.float64)
for name, share in zip(parts, shares, strict=True):
    ax.bar(columns, share, bottom=bottom, label=name)  # one colour per part, stacked
    bottom += share
for column, total in enumerate(totals):
    ax.text(column, 101, f"{total / 2**20:.1f} MiB", ha="center", va="bottom", fontsize=8)
ax.set(xlabel="batch size", ylabel="share of the memory (%)", ylim=(0, 112))
ax.legend(loc="center left", bbox_to_anchor=(1, 0.5))
for n, total, share in zip(batch_sizes, totals, shares[-1], strict=True):
    print(f"batch {n:3}: {total / 2**20:5.1f} MiB, {share:.0f}% activations")
# --8<-- [end:memory-figure]

# --8<-- [start:accumulation]
import torch
import torch.nn.functional as F

torch.manual_seed(0)
model = make_cnn()
x, y = images[:64].cpu(), labels[:64].cpu()


def gradients_of(loss_fn):
    """The gradients that loss_fn's backward() calls leave in the model's .grad."""
    model.zero_grad()
    loss_fn()
    return [p.grad.clone() for p in model.parameters()]


def large_batch():
    F.cross_entropy(model(x), y).backward()  # one batch of 64


def accumulated(accumulation_steps=4):
    for x_part, y_part in zip(
        x.chunk(accumulation_steps), y.chunk(accumulation_steps), strict=True
    ):
        loss = F.cross_entropy(model(x_part), y_part)  # the mean over 16 images
        (loss / accumulation_steps).backward()  # .grad adds up: the mean over 64 in the end


same = all(
    torch.allclose(a, b, atol=1e-6)
    for a, b in zip(gradients_of(large_batch), gradients_of(accumulated), strict=True)
)
print("4 micro-batches of 16 give the gradient of the batch of 64:", same)
# --8<-- [end:accumulation]

# --8<-- [start:accumulation-loop]
import torch
import torch.nn.functional as F

accumulation_steps = 4  # 4 micro-batches of 16 for each step: the steps of batches of 64
torch.manual_seed(0)
model = make_cnn().to(device)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
optimizer.zero_grad()
optimizer_steps = 0
for i, (x, y) in enumerate(tensor_batches(images[:1024], labels[:1024], 16), start=1):
    loss = F.cross_entropy(model(x), y) / accumulation_steps
    loss.backward()
    if i % accumulation_steps == 0:  # every 4th micro-batch: one step, then a fresh start
        optimizer.step()
        optimizer.zero_grad()
        optimizer_steps += 1
print(f"{i} micro-batches of 16, {optimizer_steps} optimizer steps")
# --8<-- [end:accumulation-loop]

# --8<-- [start:autocast-memory]
import torch

torch.manual_seed(0)
model = make_cnn()
x, y = images[:64].cpu(), labels[:64].cpu()
float32_bytes = saved_bytes(model, x, y, model.parameters())
with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
    bfloat16_bytes = saved_bytes(model, x, y, model.parameters())
print(f"saved for backward: {float32_bytes / 2**20:.1f} MiB in float32, ", end="")
print(f"{bfloat16_bytes / 2**20:.1f} MiB under bfloat16 autocast")
# --8<-- [end:autocast-memory]

# --8<-- [start:checkpointing]
import torch
from torch.utils.checkpoint import checkpoint


def checkpointed(x):
    """The model's forward, keeping only the input of each block for backward."""
    x = checkpoint(model[0:3], x, use_reentrant=False)  # conv, ReLU, pool: rerun in backward
    x = checkpoint(model[3:6], x, use_reentrant=False)
    return model[6:](x)


def plain():
    F.cross_entropy(model(x), y).backward()


def recomputed():
    F.cross_entropy(checkpointed(x), y).backward()


same = all(
    torch.allclose(a, b) for a, b in zip(gradients_of(plain), gradients_of(recomputed), strict=True)
)
print("same gradients with checkpointing:", same)
checkpointed_bytes = saved_bytes(checkpointed, x, y, model.parameters())
print(f"saved for backward: {float32_bytes / 2**20:.1f} MiB, ", end="")
print(f"{checkpointed_bytes / 2**20:.1f} MiB with checkpointing")
# --8<-- [end:checkpointing]

# --8<-- [start:exercise-1]
import torch
import torch.nn.functional as F

torch.manual_seed(0)
cnn = make_cnn()
sgd = torch.optim.SGD(cnn.parameters(), lr=0.05, momentum=0.9)
F.cross_entropy(cnn(images[:8].cpu()), labels[:8].cpu()).backward()
sgd.step()
for p in cnn.parameters():
    assert list(sgd.state[p]) == ["momentum_buffer"]  # one tensor per parameter
    assert sgd.state[p]["momentum_buffer"].shape == p.shape
cnn_params = tensor_bytes(cnn.parameters())
cnn_grads = tensor_bytes(p.grad for p in cnn.parameters())
cnn_state = tensor_bytes(sgd.state[p]["momentum_buffer"] for p in cnn.parameters())
assert cnn_params + cnn_grads + cnn_state == 3 * cnn_params  # Adam's would be 4 times
print(f"parameters, gradients, momentum: {(cnn_params + cnn_grads + cnn_state) / 2**10:.0f} KiB")
# --8<-- [end:exercise-1]

# --8<-- [start:exercise-2]
import torch
import torch.nn.functional as F

torch.manual_seed(0)
model = make_cnn()
x, y = images[:60].cpu(), labels[:60].cpu()


def uneven():
    for x_part, y_part in zip(x.split(16), y.split(16), strict=True):  # 16, 16, 16 and 12
        loss = F.cross_entropy(model(x_part), y_part)
        (loss * len(x_part) / len(x)).backward()  # weight each mean by its share of images


uneven_same = all(
    torch.allclose(a, b, atol=1e-6)
    for a, b in zip(gradients_of(large_batch), gradients_of(uneven), strict=True)
)
assert uneven_same
print([len(part) for part in x.split(16)], "give the gradient of the batch of 60:", uneven_same)
# --8<-- [end:exercise-2]

# --8<-- [start:exercise-3]
import torch

torch.manual_seed(0)
model = make_cnn()
x, y = images[:64].cpu(), labels[:64].cpu()


def second_block_checkpointed(x):
    x = model[0:3](x)
    x = checkpoint(model[3:6], x, use_reentrant=False)
    return model[6:](x)


def half_recomputed():
    F.cross_entropy(second_block_checkpointed(x), y).backward()


half_same = all(
    torch.allclose(a, b)
    for a, b in zip(gradients_of(plain), gradients_of(half_recomputed), strict=True)
)
half_bytes = saved_bytes(second_block_checkpointed, x, y, model.parameters())
assert half_same
assert checkpointed_bytes < half_bytes < float32_bytes
print(f"second block only: {half_bytes / 2**20:.1f} MiB saved for backward, same gradients")
# --8<-- [end:exercise-3]
