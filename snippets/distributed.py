"""Distributed data parallel training: gradient averaging, DistributedSampler, DDP in one
process, a torchrun training script, and the single-process run it must reproduce."""

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

# --8<-- [start:sampler]
import torch
from torch.utils.data import DistributedSampler, TensorDataset

dataset = TensorDataset(torch.arange(10))
for rank in range(2):  # what each of two processes would get, without starting them
    sampler = DistributedSampler(dataset, num_replicas=2, rank=rank, shuffle=True, seed=0)
    print(f"rank {rank}: {list(sampler)}")
# --8<-- [end:sampler]

# --8<-- [start:set-epoch]
import torch
from torch.utils.data import DistributedSampler

sampler = DistributedSampler(dataset, num_replicas=2, rank=0, shuffle=True, seed=0)
for epoch in range(3):
    print(f"without set_epoch, epoch {epoch}: {list(sampler)}")
for epoch in range(3):
    sampler.set_epoch(epoch)  # the shuffle is seeded with seed + epoch
    print(f"with set_epoch,    epoch {epoch}: {list(sampler)}")
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
try:
    nn.Linear(4, 2).load_state_dict(ddp_model.state_dict())
except RuntimeError as err:
    print(str(err).splitlines()[0], str(err).splitlines()[1].strip())

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
    torch.manual_seed(0)  # the same initial weights in every process
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
