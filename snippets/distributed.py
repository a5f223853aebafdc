"""Distributed data parallel training: gradient averaging, BatchNorm across ranks,
DistributedSampler, DDP in one process, a torchrun training script, and the single-process run
it must reproduce."""

# --8<-- [start:averaging]
import torch
from torch import nn

torch.manual_seed(0)
model = nn.Linear(20, 3)
x, y = torch.randn(32, 20), torch.randint(0, 3, (32,))


def weight_gradient(model, loss_fn, x, y):
    model.zero_grad()
    loss_fn(model(x), y).backward()
    return model.weight.grad.clone()


def averaged_halves(loss_fn):
    """Two processes with 16 samples each, then DDP's all-reduce: the mean of their gradients."""
    first = weight_gradient(model, loss_fn, x[:16], y[:16])
    second = weight_gradient(model, loss_fn, x[16:], y[16:])
    return (first + second) / 2


mean_loss = nn.CrossEntropyLoss()  # reduction="mean", the default
full = weight_gradient(model, mean_loss, x, y)  # one process, the global batch of 32
print("mean loss, halves equal the full batch:", torch.allclose(averaged_halves(mean_loss), full))

sum_loss = nn.CrossEntropyLoss(reduction="sum")
full = weight_gradient(model, sum_loss, x, y)
print("sum loss, halves equal the full batch:", torch.allclose(averaged_halves(sum_loss), full))
print("sum loss, halves equal half of it:", torch.allclose(averaged_halves(sum_loss), full / 2))
# --8<-- [end:averaging]

# --8<-- [start:batchnorm]
import torch
from torch import nn

bn = nn.BatchNorm1d(20)  # training mode: normalises with the mean and variance of its batch
together = bn(x)  # one process: the statistics of all 32 samples
apart = torch.cat([bn(x[:16]), bn(x[16:])])  # two ranks: each with the statistics of its 16
print("BatchNorm outputs, halves equal the full batch:", torch.allclose(apart, together))
print(f"largest difference: {(apart - together).abs().max():.3f}")

torch.manual_seed(0)
bn_model = nn.Sequential(nn.Linear(20, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))


def first_layer_gradient(x, y):
    bn_model.zero_grad()
    mean_loss(bn_model(x), y).backward()
    return bn_model[0].weight.grad.clone()


bn_full = first_layer_gradient(x, y)
bn_halves = (first_layer_gradient(x[:16], y[:16]) + first_layer_gradient(x[16:], y[16:])) / 2
print("gradients with BatchNorm, halves equal the full batch:", torch.allclose(bn_halves, bn_full))

sync_model = nn.SyncBatchNorm.convert_sync_batchnorm(bn_model)  # before wrapping it in DDP
print(sync_model[1])
# --8<-- [end:batchnorm]

# --8<-- [start:sampler]
import torch
from torch.utils.data import DistributedSampler, TensorDataset

dataset = TensorDataset(torch.arange(10))
for rank in range(2):  # what each of two processes would get, without starting them
    sampler = DistributedSampler(dataset, num_replicas=2, rank=rank, shuffle=True, seed=0)
    print(f"rank {rank}: {list(sampler)}")
# --8<-- [end:sampler]

# --8<-- [start:set-epoch]
import matplotlib.pyplot as plt
import torch
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch
from torch.utils.data import DistributedSampler

samplers = [
    DistributedSampler(dataset, num_replicas=2, rank=rank, shuffle=True, seed=0)
    for rank in range(2)
]
epochs = 3
owner = torch.zeros(epochs, len(dataset), dtype=torch.long)  # [epoch, sample]: which rank
when = torch.zeros(epochs, len(dataset), dtype=torch.long)  # [epoch, sample]: at which step
for epoch in range(epochs):
    for rank, sampler in enumerate(samplers):
        sampler.set_epoch(epoch)  # the shuffle is seeded with seed + epoch, the same on every rank
        order = list(sampler)
        owner[epoch, order] = rank
        when[epoch, order] = torch.arange(len(order))
        print(f"epoch {epoch}, rank {rank}: {order}")

colors = ["tab:blue", "tab:orange"]
fig, ax = plt.subplots(figsize=(6, 2))
ax.imshow(owner.numpy(), cmap=ListedColormap(colors))
for epoch in range(epochs):
    for index in range(len(dataset)):
        ax.text(index, epoch, when[epoch, index].item(), ha="center", va="center", color="white")
ax.set(xticks=range(len(dataset)), xlabel="sample index")
ax.set_title("in each cell: the step at which its rank gets that sample", fontsize=9)
ax.set(yticks=range(epochs), yticklabels=[f"epoch {epoch}" for epoch in range(epochs)])
ax.legend(
    handles=[Patch(color=color, label=f"rank {rank}") for rank, color in enumerate(colors)],
    loc="center left",
    bbox_to_anchor=(1, 0.5),
)
# --8<-- [end:set-epoch]

# --8<-- [start:padding]
import torch
from torch.utils.data import DistributedSampler, TensorDataset

odd = TensorDataset(torch.arange(9))
for rank in range(2):
    print(f"rank {rank}: {list(DistributedSampler(odd, num_replicas=2, rank=rank, seed=0))}")
# --8<-- [end:padding]

# --8<-- [start:one-process]
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

# A process group of one process, in this Python session: a HashStore in memory replaces
# the rendezvous that torchrun sets up, so nothing needs launching.
dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
print(dist.get_backend(), dist.get_rank(), dist.get_world_size())

model = nn.Linear(4, 2)
ddp_model = DDP(model)  # CPU module: no device_ids
print(ddp_model.module is model)
print(list(ddp_model.state_dict()))  # the wrapper's keys have a "module." prefix
print(list(ddp_model.module.state_dict()))  # the model's own keys: save these

dist.destroy_process_group()
print(dist.is_initialized())
# --8<-- [end:one-process]

# --8<-- [start:script]
"""train_ddp.py: data-parallel training, one process per GPU (or per CPU process).

Launch it with torchrun, for example: torchrun --nproc_per_node=2 train_ddp.py checkpoint.pt
"""

import gc
import os
import sys

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset

EPOCHS = 3
BATCH_SIZE = 16  # per process: the global batch is BATCH_SIZE * world size
LR = 0.1


def make_data():
    generator = torch.Generator().manual_seed(0)  # the same data set in every process
    x = torch.randn(512, 20, generator=generator)
    y = (x @ torch.randn(20, 3, generator=generator)).argmax(dim=1)
    return TensorDataset(x, y)


def make_model():
    torch.manual_seed(0)  # the single-process run's weights (DDP copies rank 0's to every rank)
    return nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 3))


def main(checkpoint):
    # torchrun gives every process RANK, LOCAL_RANK (its index on this machine), WORLD_SIZE,
    # MASTER_ADDR and MASTER_PORT; init_process_group reads them (init_method="env://").
    local_rank = int(os.environ["LOCAL_RANK"])
    on_gpu = torch.cuda.is_available()
    device = torch.device("cuda", local_rank) if on_gpu else torch.device("cpu")
    backend = dist.get_default_backend_for_device(device)  # "nccl" for cuda, "gloo" for cpu
    dist.init_process_group(backend, device_id=device if on_gpu else None)
    rank, world_size = dist.get_rank(), dist.get_world_size()

    dataset = make_data()
    sampler = DistributedSampler(dataset, shuffle=True, seed=0)  # rank, world size: the group's
    loader = DataLoader(dataset, batch_size=BATCH_SIZE, sampler=sampler)  # no shuffle= here
    model = DDP(make_model().to(device), device_ids=[local_rank] if on_gpu else None)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)

    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)  # a new shuffle each epoch, the same one on every rank
        total = torch.zeros((), device=device)
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()  # DDP averages the gradients over all ranks during backward
            optimizer.step()  # same gradients, same weights: every rank takes the same step
            total += loss.detach()
        dist.all_reduce(total)  # the sum over ranks of each rank's summed batch losses
        if rank == 0:  # print once, not once per process
            print(f"epoch {epoch + 1}: loss {total.item() / (len(loader) * world_size):.4f}")

    if rank == 0:  # one writer: the weights are the same on every rank
        torch.save(model.module.state_dict(), checkpoint)  # .module: no "module." prefix
    dist.barrier()  # every rank waits here until rank 0 has written the file
    state = torch.load(checkpoint, map_location=device, weights_only=True)
    diff = torch.stack([(p - state[n]).abs().max() for n, p in model.module.named_parameters()])
    diff = diff.max()
    dist.all_reduce(diff, op=dist.ReduceOp.MAX)  # the largest difference on any rank
    if rank == 0:
        print(f"{world_size} processes, largest difference from the checkpoint: {diff.item()}")
    dist.destroy_process_group()
    gc.collect()  # torch 2.14 with gloo: avoids an abort at exit (see below)


if __name__ == "__main__" and "LOCAL_RANK" in os.environ:  # started by torchrun
    main(sys.argv[1])
# --8<-- [end:script]

# --8<-- [start:reference]
import torch
from torch import nn
from torch.utils.data import DistributedSampler


def train_single_process(world_size=2):
    """One process and one model that, at each step, trains on every rank's batch at once."""
    dataset = make_data()
    model = make_model()
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LR)
    samplers = [
        DistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=True, seed=0)
        for rank in range(world_size)
    ]
    steps = len(samplers[0]) // BATCH_SIZE
    for epoch in range(EPOCHS):
        total = 0.0
        for sampler in samplers:
            sampler.set_epoch(epoch)
        indices = [list(sampler) for sampler in samplers]  # each rank's share of this epoch
        for step in range(steps):
            start = step * BATCH_SIZE  # the global batch: this step's samples of every rank
            batch = [i for share in indices for i in share[start : start + BATCH_SIZE]]
            x, y = dataset[batch]
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        print(f"epoch {epoch + 1}: loss {total / steps:.4f}")
    return model


reference = train_single_process(world_size=2)
# --8<-- [end:reference]

# --8<-- [start:exercise-1]
import torch
from torch.utils.data import DistributedSampler, TensorDataset

ten = TensorDataset(torch.arange(10))
shares = [list(DistributedSampler(ten, num_replicas=4, rank=r, shuffle=False)) for r in range(4)]
everything = [i for share in shares for i in share]
assert all(len(share) == 3 for share in shares)  # ceil(10 / 4) samples on every rank
assert sorted(set(everything)) == list(range(10))  # every sample is seen ...
assert len(everything) - len(set(everything)) == 2  # ... and two of them twice
print(shares)
# --8<-- [end:exercise-1]

# --8<-- [start:exercise-2]
import torch
from torch import nn

torch.manual_seed(0)
linear = nn.Linear(20, 3)
batch = weight_gradient(linear, mean_loss, x, y)  # one process, the batch of 32
per_rank = [weight_gradient(linear, mean_loss, x[i : i + 8], y[i : i + 8]) for i in range(0, 32, 8)]
averaged = torch.stack(per_rank).mean(dim=0)  # what DDP's all-reduce gives every rank
assert torch.allclose(averaged, batch, atol=1e-6)
print("4 ranks of 8 samples, averaged, equal the batch of 32:", torch.allclose(averaged, batch))
# --8<-- [end:exercise-2]

# --8<-- [start:exercise-3]
import torch
from torch import nn

world_size = 2
sum_loss = nn.CrossEntropyLoss(reduction="sum")


def scaled_sum_loss(logits, targets):
    return world_size * sum_loss(logits, targets)  # undoes DDP's division by the world size


summed = weight_gradient(linear, sum_loss, x, y)  # the gradient of the summed global batch
ddp_like = (
    weight_gradient(linear, scaled_sum_loss, x[:16], y[:16])
    + weight_gradient(linear, scaled_sum_loss, x[16:], y[16:])
) / world_size  # DDP's average
same_sum = torch.allclose(ddp_like, summed, atol=1e-5)
assert same_sum
print("world_size * summed loss, averaged over ranks, gives the summed gradient:", same_sum)
# --8<-- [end:exercise-3]
