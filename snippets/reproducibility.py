"""Reproducibility: seeds, generators, deterministic algorithms, seeded DataLoaders and workers."""

# --8<-- [start:manual-seed]
import torch

torch.manual_seed(0)
first = torch.rand(3)
torch.manual_seed(0)
again = torch.rand(3)  # the same seed: the same numbers
torch.manual_seed(1)
other = torch.rand(3)  # another seed: other numbers
print(first)
print(again)
print(other)
print(torch.equal(first, again), torch.equal(first, other))
# --8<-- [end:manual-seed]

# --8<-- [start:seed-model]
import torch
from torch import nn

torch.manual_seed(0)
layer_a = nn.Linear(4, 2)  # initial weights are random numbers too
torch.manual_seed(0)
layer_b = nn.Linear(4, 2)
print(torch.equal(layer_a.weight, layer_b.weight), torch.equal(layer_a.bias, layer_b.bias))
# --8<-- [end:seed-model]

# --8<-- [start:two-runs]
import matplotlib.pyplot as plt
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

data_generator = torch.Generator().manual_seed(123)  # the data: the same in every run
inputs = torch.randn(256, 8, generator=data_generator)
targets = inputs.sum(dim=1, keepdim=True)
train_loader = DataLoader(TensorDataset(inputs, targets), batch_size=32, shuffle=True)


def training_run(seed=None, epochs=5):
    """The loss of every step. Initial weights, batch order and dropout are all random."""
    if seed is not None:
        torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.02)
    losses = []
    for _ in range(epochs):
        for x, y in train_loader:  # each epoch shuffles with the global generator
            loss = nn.functional.mse_loss(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    return losses


losses_a = training_run(seed=0)
losses_b = training_run(seed=0)  # the same seed
losses_c = training_run()  # no seed: the generator goes on from where run b left it
print(losses_a == losses_b, losses_a == losses_c)

fig, ax = plt.subplots(figsize=(6, 3))
ax.plot(losses_a, label="seed 0", linewidth=3, alpha=0.5)
ax.plot(losses_b, "--", label="seed 0, again")
ax.plot(losses_c, label="not seeded")
ax.set(xlabel="step", ylabel="training loss (MSE)")
ax.legend()
# --8<-- [end:two-runs]

# --8<-- [start:sequence]
import torch

torch.manual_seed(0)
torch.rand(1)  # one extra draw before ...
shifted = torch.rand(3)  # ... shifts everything after it
print(shifted)

state = torch.get_rng_state()  # a snapshot of the CPU generator
before = torch.rand(3)
torch.set_rng_state(state)  # rewind to the snapshot
print(torch.equal(before, torch.rand(3)))
# --8<-- [end:sequence]

# --8<-- [start:other-libraries]
import random

import numpy as np
import torch

torch.manual_seed(0)
a = np.random.rand()
torch.manual_seed(0)
b = np.random.rand()
print(a == b)  # torch's seed does not reach NumPy's generator


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # the CPU and every GPU


seed_everything(0)
draws = (random.random(), np.random.rand(), torch.rand(1).item())
seed_everything(0)
print(draws == (random.random(), np.random.rand(), torch.rand(1).item()))
# --8<-- [end:other-libraries]

# --8<-- [start:cuda-seed]
import torch

torch.manual_seed(0)  # already seeds every CUDA device
torch.cuda.manual_seed(0)  # the current GPU only: redundant after manual_seed
torch.cuda.manual_seed_all(0)  # every GPU: redundant after manual_seed too
print(torch.initial_seed())
# --8<-- [end:cuda-seed]

# --8<-- [start:deterministic]
import torch

torch.use_deterministic_algorithms(True)
print(torch.are_deterministic_algorithms_enabled())

index = torch.tensor([0, 0])  # two writes to the same element
values = torch.tensor([1.0, 2.0])
x = torch.zeros(3)
x[index] = values  # index_put_ has a deterministic version: the last write wins
print(x)
# --8<-- [end:deterministic]

# --8<-- [start:warn-only]
import warnings

import torch

torch.use_deterministic_algorithms(True, warn_only=True)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    torch.zeros(3).put_(torch.tensor([0, 0]), torch.tensor([1.0, 2.0]))  # runs, and warns
print(caught[0].category.__name__, str(caught[0].message).split(",")[0])
torch.use_deterministic_algorithms(True)  # back to errors
# --8<-- [end:warn-only]

# --8<-- [start:cudnn]
import torch

torch.backends.cudnn.benchmark = False  # do not time algorithms and keep the fastest
torch.backends.cudnn.deterministic = True  # only deterministic convolution algorithms
print(torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic)
# --8<-- [end:cudnn]

# --8<-- [start:loader-generator]
import torch
from torch.utils.data import DataLoader


def batch_order(seed: int) -> list[list[int]]:
    generator = torch.Generator().manual_seed(seed)  # the shuffle's own generator
    loader = DataLoader(range(8), batch_size=4, shuffle=True, generator=generator)
    return [batch.tolist() for batch in loader]


print(batch_order(0))
print(batch_order(0))  # a second loader, seeded the same: the same order
print(batch_order(1))
# --8<-- [end:loader-generator]

# --8<-- [start:loader-epochs]
import torch

loader = DataLoader(
    range(8), batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(0)
)
torch.rand(100)  # other code drawing from the global generator ...
epoch_1 = [batch.tolist() for batch in loader]
print(epoch_1 == batch_order(0))  # ... does not touch the loader's order
epoch_2 = [batch.tolist() for batch in loader]
print(epoch_2 == epoch_1)  # each epoch reshuffles, reproducibly
# --8<-- [end:loader-epochs]

# --8<-- [start:workers-global]
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, get_worker_info


class GlobalNoise(Dataset):
    """Four items, each a draw from NumPy's global generator (as random augmentations do)."""

    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int) -> tuple[int, int]:
        return get_worker_info().id, int(np.random.randint(1000))


def draws(dataset: Dataset, seed: int, **options) -> list[tuple[int, int]]:
    """(worker id, number) for each item, loaded by two worker processes."""
    loader = DataLoader(
        dataset,
        batch_size=2,
        num_workers=2,
        generator=torch.Generator().manual_seed(seed),  # also seeds the workers
        **options,
    )
    return [pair for w, n in loader for pair in zip(w.tolist(), n.tolist(), strict=True)]


run_1 = draws(GlobalNoise(), seed=0)
run_2 = draws(GlobalNoise(), seed=0)  # a second run, seeded the same
print(run_1)
print(run_2)
# --8<-- [end:workers-global]

# --8<-- [start:worker-init-fn]
import random

import numpy as np
import torch


class OwnNoise(Dataset):
    """The same, from a generator the data set owns: every worker gets a copy of it."""

    def __init__(self) -> None:
        self.rng = np.random.default_rng(0)

    def __len__(self) -> int:
        return 4

    def __getitem__(self, index: int) -> tuple[int, int]:
        return get_worker_info().id, int(self.rng.integers(1000))


def seed_worker(worker_id: int) -> None:
    seed = torch.initial_seed() % 2**32  # this worker's seed, derived from the generator
    random.seed(seed)
    np.random.seed(seed)
    get_worker_info().dataset.rng = np.random.default_rng(seed)  # this worker's copy


seeded_1 = draws(OwnNoise(), seed=0, worker_init_fn=seed_worker)
seeded_2 = draws(OwnNoise(), seed=0, worker_init_fn=seed_worker)
reseeded = draws(OwnNoise(), seed=1, worker_init_fn=seed_worker)
print(seeded_1)
print(seeded_2)
print(reseeded)
# --8<-- [end:worker-init-fn]

# --8<-- [start:reset]
import torch

torch.use_deterministic_algorithms(False)  # the defaults again
torch.backends.cudnn.deterministic = False
torch.backends.cudnn.benchmark = False
print(torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.deterministic)
# --8<-- [end:reset]

# --8<-- [start:exercise-1]
losses_seed_1 = training_run(seed=1)
print(losses_seed_1 == training_run(seed=1), losses_seed_1 == losses_a)

assert losses_seed_1 == training_run(seed=1)  # seed 1 twice: the same run
assert losses_seed_1 != losses_a  # seed 1 is not seed 0
# --8<-- [end:exercise-1]

# --8<-- [start:exercise-2]
import torch

torch.manual_seed(0)
with torch.random.fork_rng():  # saves the generator's state, restores it on leaving
    torch.manual_seed(42)
    inside = torch.rand(1000)  # draws as many numbers as you like in here ...
after = torch.rand(3)  # ... the sequence outside goes on as if they never happened
print(after)

torch.manual_seed(0)
assert torch.equal(after, torch.rand(3))
torch.manual_seed(42)
assert torch.equal(inside, torch.rand(1000))
# --8<-- [end:exercise-2]

# --8<-- [start:exercise-3]
import torch
from torch.utils.data import DataLoader, Dataset


class NoisyItems(Dataset):
    """Item i gets noise from a generator seeded with (base seed, i): same noise in any worker."""

    def __init__(self, base_seed: int) -> None:
        self.base_seed = base_seed

    def __len__(self) -> int:
        return 6

    def __getitem__(self, index: int) -> int:
        generator = torch.Generator().manual_seed(self.base_seed * 1_000_003 + index)
        return int(torch.randint(1000, (1,), generator=generator))


def noise(num_workers: int) -> list[int]:
    loader = DataLoader(NoisyItems(base_seed=7), batch_size=2, num_workers=num_workers)
    return torch.cat(list(loader)).tolist()


in_main_process, with_workers = noise(num_workers=0), noise(num_workers=2)
print(in_main_process)

assert in_main_process == with_workers  # the noise does not depend on the workers
assert len(set(in_main_process)) > 1  # each item its own noise
assert [NoisyItems(base_seed=8)[i] for i in range(6)] != in_main_process  # another seed
# --8<-- [end:exercise-3]
