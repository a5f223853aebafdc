# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Making training fast, measured
#
# The techniques of [Making training fast](../../speed/), applied to one training setup one at
# a time, then together, and measured on the machine that built this page: its device is
# printed below, and every number in the tables comes from this run.
#
# The baseline is the data loading of PyTorch's quickstart: a `DataLoader` over
# `datasets.FashionMNIST` with `transform=ToTensor()` (each image made into a PIL image and
# converted back to a tensor, one by one), batches of 64, float32, here with SGD with
# momentum and the small CNN of the topic page.
#
# **What is measured.** A tenth of the training images, drawn at random with a seeded
# generator, is held out as a validation set. Each variant trains a fresh copy of the same
# model (same seed) on the other nine tenths until its validation accuracy reaches a target,
# checked every 6,400 training images (a first look at 2,000 validation images skips the
# whole set while the model is far below). Four numbers come out of it: the throughput
# (training images per second, after two warm-up steps; for `torch.compile` the first step,
# which compiles, with an empty compilation cache, is timed on its own, while the smaller
# last batch of an epoch, if a run gets there, compiles once more inside the clock), the time
# to the target (every training step from the first, compilation and data loading included,
# evaluations excluded), the validation accuracy where it stopped, and the accuracy of that
# model on the 10,000 test images, measured once, at the end.
#
# **The target and the bar.** The target is 87% validation accuracy, which this small CNN
# reaches in about an epoch; the [CNN notebook](../fashion_cnn/) trains a bigger model over
# several epochs to a test accuracy of at least 91.6% (the bar its build enforces), minutes
# per variant on a CPU. Every variant's test accuracy must
# be at least 85%: a speed-up that trains a worse model is no speed-up.

# %% tags=["colab-setup"]
# Hidden on the site: the build's bookkeeping (seeds, quiet imports, the bar checks below).
from snippets._gallery import FAST, start

run = start("speed", modules=("snippets.speed",))

# %% tags=["parameters"]
TARGET = 0.87  # validation accuracy each variant trains to
EVAL_EVERY = 6_400  # training images between two validation checks
MAX_EPOCHS = 4  # a variant that gets this far without reaching the target has failed
WARMUP = 2  # steps before the throughput clock starts
COMPILE_BACKEND = "inductor"  # torch.compile's default

# %%
import itertools
import os
import tempfile
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, random_split
from torchvision import datasets
from torchvision.transforms import ToTensor

from snippets.speed import make_cnn, tensor_batches

device = "cuda" if torch.cuda.is_available() else "cpu"
on_gpu = device == "cuda"
synchronize = torch.get_device_module(device).synchronize

root = "data"
train_pil = datasets.FashionMNIST(root, train=True, download=True, transform=ToTensor())
test_set = datasets.FashionMNIST(root, train=False, download=True)
train_part, val_part = random_split(
    train_pil, [0.9, 0.1], generator=torch.Generator().manual_seed(0)
)
all_images = train_pil.data.unsqueeze(1).float().div(255)
images = all_images[train_part.indices].to(device)
labels = train_pil.targets[train_part.indices].to(device)
val_images = all_images[val_part.indices].to(device)
val_labels = train_pil.targets[val_part.indices].to(device)
test_images = test_set.data.unsqueeze(1).float().div(255).to(device)
test_labels = test_set.targets.to(device)

# %% tags=["colab-setup"]
if FAST:  # the site's tests run every variant on a few batches
    EVAL_EVERY, WARMUP, COMPILE_BACKEND = 128, 0, "eager"
    MAX_EPOCHS = 256 / len(images)  # 256 images
    val_images, val_labels = val_images[:250], val_labels[:250]
    test_images, test_labels = test_images[:250], test_labels[:250]

# %%
print(f"device: {device}, {torch.get_num_threads()} CPU threads, torch {torch.__version__}")
print(f"{len(images):,} training, {len(val_images):,} validation, {len(test_images):,} test images")
print(f"target: {TARGET:.0%} validation accuracy, checked every {EVAL_EVERY:,} images")

# %% [markdown]
# ## One training function for every variant
#
# `train_to_target` runs SGD steps on the batches it is given and measures the validation
# accuracy every `EVAL_EVERY` images, until the accuracy reaches the target. The options
# switch the techniques on:
#
# - `amp`: mixed precision. On the CPU, `torch.autocast("cpu", dtype=torch.bfloat16)`; on a
#   GPU, float16 with a `torch.amp.GradScaler`, which scales the loss up before `backward()`
#   so that small float16 gradients do not round to zero, and unscales them before the step.
# - `channels_last`: the model and every batch stored as (N, H, W, C).
# - `compile`: `torch.compile` of the model (the optimizer step is left uncompiled).


# %%
def accuracy(model, images, labels):
    """Accuracy of the model on the given images."""
    model.eval()
    with torch.inference_mode():
        correct = sum(
            (model(x).argmax(1) == y).sum().item()
            for x, y in zip(images.split(250), labels.split(250), strict=True)
        )
    model.train()
    return correct / len(labels)


def train_to_target(
    model, step_model, optimizer, batches, amp=False, channels_last=False, scaler=None
):
    """Train until the validation accuracy reaches TARGET. Return the images per second after
    the warm-up steps, the seconds of the first step, the seconds of training to the target
    (the evaluations not counted), the images seen and the validation accuracy reached."""
    amp_dtype = torch.float16 if on_gpu else torch.bfloat16
    max_images = MAX_EPOCHS * len(images)
    seen, timed, first_step, timed_seconds, seconds = 0, 0, 0.0, 0.0, 0.0
    acc, next_eval = 0.0, EVAL_EVERY
    synchronize()
    t0 = time.perf_counter()
    for step, (x, y) in enumerate(batches):  # fetching the batch is timed too
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        if channels_last:
            x = x.to(memory_format=torch.channels_last)
        with torch.autocast(device, dtype=amp_dtype, enabled=amp):
            loss = F.cross_entropy(step_model(x), y)
        optimizer.zero_grad(set_to_none=True)
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()
        synchronize()
        t1 = time.perf_counter()
        seconds += t1 - t0
        if step == 0:
            first_step = t1 - t0
        if step >= WARMUP:
            timed, timed_seconds = timed + len(x), timed_seconds + t1 - t0
        seen += len(x)
        if seen >= next_eval:
            next_eval += EVAL_EVERY
            # A first look at 2,000 validation images skips the whole set while far below.
            first_look = accuracy(model, val_images[:2000], val_labels[:2000])
            if first_look >= TARGET - 0.02 or seen >= max_images:
                acc = accuracy(model, val_images, val_labels)
                if acc >= TARGET or seen >= max_images:
                    break
        t0 = time.perf_counter()  # the evaluation is not timed
    return timed / timed_seconds, first_step, seconds, seen, acc


def epochs_of(make_batches):
    """Batches from epoch after epoch, without end."""
    return itertools.chain.from_iterable(make_batches() for _ in itertools.count())


# %% [markdown]
# ## The variants
#
# Each entry names its batches and options. `batch` and `lr` follow the linear scaling rule
# of the topic page: four times the batch, four times the learning rate.
# `torch.backends.cudnn.benchmark` only affects cuDNN, the GPU convolution library: on the
# CPU its row says so instead of repeating a measurement of something that does not change.

# %%
pil_loader = DataLoader(train_part, batch_size=64, shuffle=True)
worker_loader = DataLoader(
    train_part,
    batch_size=64,
    shuffle=True,
    num_workers=2,
    pin_memory=on_gpu,
)


def tensors(batch_size):
    return lambda: tensor_batches(images, labels, batch_size)


variants = {
    "baseline: DataLoader of PIL images": dict(batches=lambda: iter(pil_loader)),
    "DataLoader, num_workers=2" + (", pin_memory" if on_gpu else ""): dict(
        batches=lambda: iter(worker_loader)
    ),
    "data set as one tensor": dict(batches=tensors(64)),
    "tensor, batch 256, lr x4": dict(batches=tensors(256), batch=256),
    "tensor, torch.compile": dict(batches=tensors(64), compile=True),
    "tensor, autocast " + ("float16 + GradScaler" if on_gpu else "bfloat16"): dict(
        batches=tensors(64), amp=True
    ),
    "tensor, channels_last": dict(batches=tensors(64), channels_last=True),
    "tensor, cudnn.benchmark": dict(batches=tensors(64), cudnn_benchmark=True),
}


def measure(name, v):
    torch.backends.cudnn.benchmark = bool(v.get("cudnn_benchmark")) and on_gpu
    torch.manual_seed(0)
    batch = v.get("batch", 64)
    model = make_cnn().to(device)
    if v.get("channels_last"):
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05 * batch / 64, momentum=0.9)
    step_model = torch.compile(model, backend=COMPILE_BACKEND) if v.get("compile") else model
    scaler = torch.amp.GradScaler("cuda") if v.get("amp") and on_gpu else None
    with tempfile.TemporaryDirectory() as cache:
        # Inductor keeps what it compiles in an on-disk cache, for later processes too: an
        # empty one for each variant, so that the first step times the compilation a fresh
        # machine pays, not a cache hit left by an earlier run.
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = cache
        rate, first_step, seconds, seen, acc = train_to_target(
            model,
            step_model,
            optimizer,
            epochs_of(v["batches"]),
            amp=v.get("amp", False),
            channels_last=v.get("channels_last", False),
            scaler=scaler,
        )
    torch.backends.cudnn.benchmark = False
    compiled = first_step if v.get("compile") else None
    test_acc = accuracy(model, test_images, test_labels)  # once, after training
    print(
        f"{name}: {rate:.0f} images/s; validation {acc:.2%} after {seen:,} images, "
        f"{seconds:.1f} s; test {test_acc:.2%}"
    )
    return dict(
        name=name,
        batch=batch,
        rate=rate,
        seconds=seconds,
        seen=seen,
        acc=acc,
        test_acc=test_acc,
        compiled=compiled,
    )


# %% [markdown]
# ## Each technique alone

# %%
rows = []
for name, v in variants.items():
    if v.get("cudnn_benchmark") and not on_gpu:
        rows.append(dict(name=name, batch=64, rate=None))
        print(f"{name}: not measured, cuDNN is not used on the CPU")
        continue
    rows.append(measure(name, v))

# %% [markdown]
# ## Together
#
# The combined variant keeps the data set as one tensor and adds each technique that
# reached the target sooner than the plain tensor variant in the run above: on this device,
# and measured, not assumed. One run each, though: a lead of a few percent is within the noise
# described at the end, so a technique picked here on a small margin may not help on the
# next run. Sooner, not more images per second: a larger batch may process more images per
# second and still need more images to get there. A technique that did not help here is
# left out, and named.

# %%
plain = next(row for row in rows if row["name"] == "data set as one tensor")
options = {
    "tensor, batch 256, lr x4": dict(batches=tensors(256), batch=256),
    "tensor, torch.compile": dict(compile=True),
    "tensor, autocast " + ("float16 + GradScaler" if on_gpu else "bfloat16"): dict(amp=True),
    "tensor, channels_last": dict(channels_last=True),
    "tensor, cudnn.benchmark": dict(cudnn_benchmark=True),
}
together, helped = dict(batches=tensors(64)), []
for row in rows:
    if row["name"] in options and row["rate"] is not None and row["seconds"] < plain["seconds"]:
        together.update(options[row["name"]])
        helped.append(row["name"].removeprefix("tensor, "))
left_out = [
    name.removeprefix("tensor, ") for name in options if name.removeprefix("tensor, ") not in helped
]
print(f"Together: one tensor + {', '.join(helped) or 'nothing else'}")
print(f"Left out (not sooner here, or not measured): {', '.join(left_out)}")
rows.append(measure("together: " + (" + ".join(["tensor", *helped])), together))

# %%
baseline = rows[0]["rate"]
width = max(len(row["name"]) for row in rows)
print(f"Device: {device}, {torch.get_num_threads()} CPU threads, torch {torch.__version__}")
print(
    f"{'variant':{width}} {'batch':>5} {'images/s':>9} {'speed-up':>8} "
    f"{'to ' + format(TARGET, '.0%'):>8} {'images':>7} {'val acc':>8} {'test acc':>8} "
    f"{'compile':>8}"
)
for row in rows:
    if row["rate"] is None:
        print(f"{row['name']:{width}} {row['batch']:>5} {'n/a on CPU':>9}")
        continue
    compiled = f"{row['compiled']:.1f} s" if row["compiled"] is not None else ""
    print(
        f"{row['name']:{width}} {row['batch']:>5} {row['rate']:>9.0f} "
        f"{row['rate'] / baseline:>7.2f}x {row['seconds']:>7.1f}s {row['seen']:>7,} "
        f"{row['acc']:>8.2%} {row['test_acc']:>8.2%} {compiled:>8}"
    )

# %% tags=["colab-setup"]
# The site's build fails if a variant's test accuracy is below 85%.
for row in rows:
    if row["rate"] is not None:
        run.check(f"{row['name']}: test accuracy", row["test_acc"], bar=0.85)

# %% alt="Bar charts, one bar per variant: images per second, and seconds to the target"
measured = [row for row in rows if row["rate"] is not None][::-1]
figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
names = [row["name"] for row in measured]
left.barh(names, [row["rate"] for row in measured], color="tab:orange")
left.set(xlabel="training images per second", title=f"Throughput on {device}")
right.barh(names, [row["seconds"] for row in measured], color="tab:blue")
right.set(xlabel="seconds", title=f"Time to {TARGET:.0%} validation accuracy")
figure.tight_layout()
plt.show()

# %% [markdown]
# Where a technique does not help on this device, the table shows it: the numbers are what
# this run measured, not what a GPU would give. On a CPU, the data set as one tensor removes
# the per-image PIL round trip and collation; a batch of 256 with four times the learning
# rate needs more images to reach the target (the images column says how many), and on a
# CPU it need not process more images per second (the images/s column says whether it did);
# `torch.compile` is compared on its throughput, which leaves out its first step, the one
# that compiles: for a network this small, on a CPU, its generated code need not beat eager
# mode's kernels, and where its throughput is the lower one a longer run would not win it
# back; bfloat16 is fast only on processors with hardware support for it; and two
# DataLoader workers compete with training for the same CPU cores. The throughput of one
# variant also moves from run to run on a shared machine, at times by tens of percent: small
# differences are noise.

# %% tags=["colab-setup"]
fastest = min((row for row in rows if row["rate"] is not None), key=lambda row: row["seconds"])
run.finish(
    headline=f"{TARGET:.0%} validation accuracy in {rows[0]['seconds']:.0f} s with a DataLoader "
    f"of PIL images; {fastest['seconds']:.0f} s with {fastest['name'].removeprefix('together: ')} "
    f"({device})",
    thumbnail=figure,
)
