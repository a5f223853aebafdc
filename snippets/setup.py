"""Setup and devices: versions, CUDA, torch.device, moving tensors and models, copies."""

# --8<-- [start:versions]
import torch
import torchvision

print(torch.__version__)  # a suffix names the build: +cpu, +cu130, ...
print(torchvision.__version__)
# --8<-- [end:versions]

# --8<-- [start:is-available]
import torch

device = "cuda" if torch.cuda.is_available() else "cpu"
print(f"CUDA available: {torch.cuda.is_available()}, GPUs: {torch.cuda.device_count()}")
print(f"Using {device}")
# --8<-- [end:is-available]

# --8<-- [start:accelerator]
import torch

# Any accelerator PyTorch supports (CUDA, Apple's MPS, Intel's XPU...), else the CPU
accelerator = torch.accelerator.current_accelerator(check_available=True)
any_device = accelerator if accelerator is not None else torch.device("cpu")
print(any_device.type == device)  # on a CPU or CUDA machine, the same choice
# --8<-- [end:accelerator]

# --8<-- [start:device-names]
import torch

print(torch.device("cpu"), torch.device("cuda"), torch.device("cuda:1"), torch.device("cuda", 1))
print(torch.device("cuda:1").type, torch.device("cuda:1").index)
# --8<-- [end:device-names]

# --8<-- [start:tensor-to]
import torch

x = torch.ones(2, 3)
y = x.to("meta")  # a new tensor on another device ...
print(x.device, y.device)  # ... and x has not moved
same = x.to("cpu")  # already there: no copy, x itself comes back
print(same is x)
copied = x.to("cpu", copy=True)  # a copy only when you ask for one
print(copied is x, copied.data_ptr() == x.data_ptr())
# --8<-- [end:tensor-to]

# --8<-- [start:model-to]
import torch
from torch import nn

model = nn.Linear(3, 1)
returned = model.to("meta")  # moves the parameters in place ...
print(returned is model)  # ... and returns the model itself
print(model.weight.device)
# --8<-- [end:model-to]

# --8<-- [start:device-agnostic]
import torch
from torch import nn

device = "cuda" if torch.cuda.is_available() else "cpu"
torch.manual_seed(0)
model = nn.Linear(3, 1).to(device)  # parameters on the device
batch = torch.ones(4, 3, device=device)  # inputs created on the same device
out = model(batch)
print(out.device.type == device, out.shape)
mean = out.mean().item()  # .item() copies one number back to the CPU
print(round(mean, 4))
# --8<-- [end:device-agnostic]

# --8<-- [start:pinned-loader]
import torch
from torch.utils.data import DataLoader, TensorDataset

data = TensorDataset(torch.arange(12.0).reshape(6, 2), torch.arange(6))
loader = DataLoader(data, batch_size=3, pin_memory=torch.cuda.is_available())
total = 0.0
for inputs, labels in loader:
    inputs = inputs.to(device, non_blocking=True)  # from pinned memory: asynchronous
    labels = labels.to(device, non_blocking=True)
    total += inputs.sum().item()  # .item() waits for the copy to finish
print(total)
# --8<-- [end:pinned-loader]

# --8<-- [start:exercise-1]
import torch

new_device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
t = torch.zeros(2, 3, device=new_device)  # created where it is used: no copy needed
print(t.device.type == new_device.type, t.to(new_device) is t)

assert t.device.type == new_device.type
assert t.to(new_device) is t  # already there: .to() returns the tensor itself
# --8<-- [end:exercise-1]

# --8<-- [start:exercise-2]
import torch
from torch import nn

net = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.Linear(8, 2))
net.to("meta")
places = {t.device.type for t in [*net.parameters(), *net.buffers()]}
print(places)

assert places == {"meta"}  # every parameter and every buffer (BatchNorm's statistics) moved
assert net(torch.ones(4, 3, device="meta")).device.type == "meta"
# --8<-- [end:exercise-2]

# --8<-- [start:exercise-3]
from collections import namedtuple

import torch


def to_device(batch, device):
    """Move a tensor, or a tuple, named tuple, list or dict of them (nested), to `device`."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, dict):
        return {key: to_device(value, device) for key, value in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):  # a named tuple
        return type(batch)(*(to_device(value, device) for value in batch))
    if isinstance(batch, (list, tuple)):
        return type(batch)(to_device(value, device) for value in batch)
    return batch  # anything else (a string, a number) stays as it is


batch = {"image": torch.ones(2, 3), "extra": [torch.zeros(2), (torch.arange(2), "id-7")]}
moved = to_device(batch, "meta")
print(moved["image"].device, moved["extra"][0].device, moved["extra"][1][0].device)
print(moved["extra"][1][1], type(moved["extra"][1]).__name__)

assert moved["image"].device.type == "meta"
assert moved["extra"][1][0].device.type == "meta"
assert moved["extra"][1][1] == "id-7"
assert isinstance(moved["extra"][1], tuple)
assert batch["image"].device.type == "cpu"  # the original batch has not moved

Sample = namedtuple("Sample", ["image", "label"])  # a named tuple keeps its type and fields
sample = to_device(Sample(torch.ones(2, 3), torch.tensor(1)), "meta")
assert type(sample) is Sample
assert sample.label.device.type == "meta"
# --8<-- [end:exercise-3]
