"""What the Distributed page claims, asserted: gradient averaging, DistributedSampler, the
"module." prefix, and a torchrun job of two gloo processes that ends with the weights of a
single-process run on the same global batches."""

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DistributedSampler, TensorDataset

from snippets import distributed
from tools.paths import DOCS, SNIPPETS
from tools.sections import sections

MODULE = SNIPPETS / "distributed.py"
PAGE = DOCS / "distributed.md"
TOLERANCE = 1e-6  # float32: the two ranks sum their half-batch gradients in another order


def script_section() -> tuple[int, str]:
    """The line before the script section of the module, and the section's text."""
    section = sections(MODULE)["script"]
    lines = MODULE.read_text().splitlines(keepends=True)[section.first - 1 : section.last]
    return section.first - 1, "".join(lines)


def write_script(folder: Path) -> Path:
    """The train_ddp.py the page shows, saved as a reader saves it."""
    script = folder / "train_ddp.py"
    script.write_text(script_section()[1])
    return script


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_env(**extra) -> dict:
    """The environment of a worker: CPU only (gloo), whatever the machine has."""
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", **extra}
    env.setdefault("OMP_NUM_THREADS", "1")  # what torchrun sets when it is not set already
    return env


def max_difference(model: nn.Module, state: dict) -> float:
    return max((p - state[n]).abs().max().item() for n, p in model.named_parameters())


def test_averaged_half_batch_gradients_equal_the_full_batch_gradient():
    torch.manual_seed(1)
    model, x, y = nn.Linear(20, 3), torch.randn(32, 20), torch.randint(0, 3, (32,))
    for reduction, factor in (("mean", 1.0), ("sum", 0.5)):
        loss_fn = nn.CrossEntropyLoss(reduction=reduction)
        full = distributed.weight_gradient(model, loss_fn, x, y)
        first = distributed.weight_gradient(model, loss_fn, x[:16], y[:16])
        second = distributed.weight_gradient(model, loss_fn, x[16:], y[16:])
        torch.testing.assert_close((first + second) / 2, factor * full)


def test_the_sampler_splits_the_data_set_between_ranks():
    dataset = TensorDataset(torch.arange(10))
    parts = [list(DistributedSampler(dataset, num_replicas=2, rank=r, seed=0)) for r in (0, 1)]
    assert len(parts[0]) == len(parts[1]) == 5
    assert sorted(parts[0] + parts[1]) == list(range(10))


def test_without_set_epoch_every_epoch_has_the_same_order():
    sampler = DistributedSampler(TensorDataset(torch.arange(10)), num_replicas=2, rank=0, seed=0)
    orders = [list(sampler) for _ in range(3)]
    assert orders[0] == orders[1] == orders[2]
    reshuffled = []
    for epoch in range(3):
        sampler.set_epoch(epoch)
        reshuffled.append(list(sampler))
    assert reshuffled[0] == orders[0]
    assert reshuffled[1] != reshuffled[0] != reshuffled[2]


def test_an_uneven_data_set_is_padded_with_repeated_samples():
    odd = TensorDataset(torch.arange(9))
    parts = [list(DistributedSampler(odd, num_replicas=2, rank=r, seed=0)) for r in (0, 1)]
    together = parts[0] + parts[1]
    assert len(together) == 10
    assert set(together) == set(range(9))  # every sample once, and one of them twice


def test_the_ddp_wrapper_prefixes_state_dict_keys():
    assert distributed.ddp_model.module is distributed.model
    assert list(distributed.ddp_model.state_dict()) == ["module.weight", "module.bias"]
    assert list(distributed.ddp_model.module.state_dict()) == ["weight", "bias"]
    assert not dist.is_initialized()  # the page's one-process group was destroyed


def test_torchrun_with_two_processes_matches_one_process_on_the_global_batch(tmp_path, capsys):
    script = write_script(tmp_path)
    checkpoint = tmp_path / "checkpoint.pt"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    command += ["--nproc_per_node=2", str(script), str(checkpoint)]
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    env.pop("OMP_NUM_THREADS", None)  # torchrun sets it, and says so
    done = subprocess.run(
        command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "OMP_NUM_THREADS" in done.stderr  # torchrun's warning, as the page says

    # The ranks end equal: each compared its weights with rank 0's checkpoint.
    assert done.stdout.splitlines()[-1] == (
        "2 processes, largest difference from the checkpoint: 0.0"
    )
    # ... and equal to one process that trained on both ranks' batches at each step.
    capsys.readouterr()
    reference = distributed.train_single_process(world_size=2)
    reference_losses = capsys.readouterr().out.splitlines()
    state = torch.load(checkpoint, weights_only=True)
    assert max_difference(reference, state) < TOLERANCE
    assert done.stdout.splitlines()[:3] == reference_losses

    # What the page shows is what this run printed.
    fence = re.search(r'```text title="Output of torchrun[^"]*"\n(.*?)```', PAGE.read_text(), re.S)
    assert fence, "the page has no torchrun Output block"
    assert fence.group(1) == done.stdout


@pytest.fixture
def rank_env(monkeypatch, tmp_path):
    """Run the script in this process (so that coverage sees it), on the CPU."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.chdir(tmp_path)

    def run(rank, world_size, port, checkpoint):
        env = {"RANK": rank, "LOCAL_RANK": rank, "WORLD_SIZE": world_size}
        env |= {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": port}
        for name, value in env.items():
            monkeypatch.setenv(name, str(value))
        monkeypatch.setattr(sys, "argv", ["train_ddp.py", str(checkpoint)])
        offset, body = script_section()
        # compiled under the module's name and line numbers: coverage counts these lines
        exec(compile("\n" * offset + body, str(MODULE), "exec"), {"__name__": "__main__"})

    return run


def test_the_script_as_a_job_of_one_process_is_plain_training(rank_env, tmp_path, capsys):
    rank_env(0, 1, free_port(), tmp_path / "one.pt")
    printed = capsys.readouterr().out
    assert "1 processes, largest difference from the checkpoint: 0.0" in printed
    reference = distributed.train_single_process(world_size=1)
    state = torch.load(tmp_path / "one.pt", weights_only=True)
    assert max_difference(reference, state) < TOLERANCE
    assert not dist.is_initialized()


def test_only_rank_0_prints_and_writes(rank_env, tmp_path, capsys):
    script = write_script(tmp_path)
    checkpoint = tmp_path / "two.pt"
    port = free_port()
    rank_0 = subprocess.Popen(
        [sys.executable, str(script), str(checkpoint)],
        env=cpu_env(
            RANK="0", LOCAL_RANK="0", WORLD_SIZE="2", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port)
        ),
        stdout=subprocess.PIPE,
        text=True,
    )
    capsys.readouterr()
    rank_env(1, 2, port, checkpoint)  # rank 1 runs here, rank 0 in the subprocess
    rank_1_printed = capsys.readouterr().out
    rank_0_printed, _ = rank_0.communicate(timeout=60)
    assert rank_0.returncode == 0
    assert "epoch" not in rank_1_printed
    assert "processes" not in rank_1_printed
    assert rank_0_printed.splitlines()[-1] == (
        "2 processes, largest difference from the checkpoint: 0.0"
    )
    assert checkpoint.exists()


@pytest.mark.skipif(
    not torch.cuda.is_available(),
    reason="needs a CUDA GPU: the page's NCCL launch line runs on the GPU runner (--device cuda)",
)
def test_the_nccl_launch_line_of_the_page_on_every_gpu(tmp_path):
    """`torchrun --standalone --nproc_per_node=gpu train_ddp.py checkpoint.pt`, as the page
    shows it: one process per GPU, nccl, every rank ending with the single-process weights."""
    line = "torchrun --standalone --nproc_per_node=gpu train_ddp.py checkpoint.pt"
    assert f"```bash\n{line}\n```" in PAGE.read_text(), "the page no longer shows this line"
    write_script(tmp_path)
    command = [sys.executable, "-m", "torch.distributed.run", *line.split()[1:]]
    done = subprocess.run(
        command, env=dict(os.environ), cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    gpus = torch.cuda.device_count()
    assert done.stdout.splitlines()[-1] == (
        f"{gpus} processes, largest difference from the checkpoint: 0.0"
    )
    reference = distributed.train_single_process(world_size=gpus)  # on the CPU
    state = torch.load(tmp_path / "checkpoint.pt", map_location="cpu", weights_only=True)
    assert max_difference(reference, state) < 1e-5  # CPU and GPU kernels round differently
