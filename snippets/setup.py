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
try:
    torch.device("gpu")  # what the notes write: not a device type
except RuntimeError as err:
    gpu_error = str(err)
    print(gpu_error)
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
batch = torch.ones(4, 3).to(device)  # inputs on the same device
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
