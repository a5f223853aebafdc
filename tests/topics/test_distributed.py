"""What the Distributed page claims, asserted: gradient averaging, BatchNorm across ranks,
DistributedSampler, the "module." prefix, and a torchrun job of two gloo processes that ends
with the weights of a single-process run on the same global batches."""

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
    return section.first - 1, section.code()


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


def test_batchnorm_on_two_halves_differs_from_batchnorm_on_the_whole_batch():
    assert not torch.allclose(distributed.apart, distributed.together)
    assert not torch.allclose(distributed.bn_halves, distributed.bn_full)
    # each half is normalised with its own statistics: mean 0 and variance 1 within each half
    half = distributed.apart[:16]
    torch.testing.assert_close(half.mean(dim=0), torch.zeros(20), atol=1e-5, rtol=0)
    assert not torch.allclose(distributed.together[:16].mean(dim=0), torch.zeros(20), atol=1e-2)


def test_without_batchnorm_the_same_model_gives_equal_gradients():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 16), nn.LayerNorm(16), nn.ReLU(), nn.Linear(16, 3))
    x, y = distributed.x, distributed.y

    def grad(xb, yb):
        model.zero_grad()
        distributed.mean_loss(model(xb), yb).backward()
        return model[0].weight.grad.clone()

    torch.testing.assert_close((grad(x[:16], y[:16]) + grad(x[16:], y[16:])) / 2, grad(x, y))


def test_batchnorm_in_eval_mode_gives_the_same_outputs_on_halves():
    bn = nn.BatchNorm1d(20).eval()
    x = distributed.x
    torch.testing.assert_close(torch.cat([bn(x[:16]), bn(x[16:])]), bn(x))


def test_convert_sync_batchnorm_replaces_the_batchnorm_layers():
    assert isinstance(distributed.sync_model[1], nn.SyncBatchNorm)
    assert not any(type(m) is nn.BatchNorm1d for m in distributed.sync_model.modules())


def test_the_sampler_splits_the_data_set_between_ranks():
    dataset = TensorDataset(torch.arange(10))
    parts = [list(DistributedSampler(dataset, num_replicas=2, rank=r, seed=0)) for r in (0, 1)]
    assert len(parts[0]) == len(parts[1]) == 5
    assert sorted(parts[0] + parts[1]) == list(range(10))


def test_set_epoch_reshuffles_and_every_epoch_splits_the_data_disjointly():
    owner, when = distributed.owner, distributed.when
    for epoch in range(distributed.epochs):
        assert (owner[epoch] == 0).sum() == (owner[epoch] == 1).sum() == 5
        for rank in (0, 1):  # each rank's steps are 0 to 4, once each
            assert sorted(when[epoch][owner[epoch] == rank].tolist()) == list(range(5))
    assert not torch.equal(owner[0], owner[1])
    assert not torch.equal(owner[1], owner[2])
    # the figure shows that table: one cell per sample and epoch, a number in each
    assert len(distributed.ax.texts) == 3 * 10
    image = distributed.ax.images[0].get_array()
    assert image.tolist() == owner.tolist()


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
    with pytest.raises(RuntimeError, match="Missing key"):
        nn.Linear(4, 2).load_state_dict(distributed.ddp_model.state_dict())
    nn.Linear(4, 2).load_state_dict(distributed.ddp_model.module.state_dict())
    assert not dist.is_initialized()  # the page's one-process group was destroyed


def test_exercise_1_four_ranks_over_ten_samples_pad_with_two_repeats():
    shares = distributed.shares
    assert [len(s) for s in shares] == [3, 3, 3, 3]
    assert sorted(distributed.everything) == sorted([*range(10), 0, 1])


def test_exercise_2_four_ranks_average_to_the_global_batch_gradient():
    torch.testing.assert_close(distributed.averaged, distributed.batch, atol=1e-6, rtol=1e-5)
    assert len(distributed.per_rank) == 4
    assert not torch.allclose(distributed.per_rank[0], distributed.batch)  # one rank alone differs


def test_exercise_3_scaling_a_summed_loss_by_the_world_size_restores_the_sum():
    assert distributed.same_sum
    torch.testing.assert_close(distributed.ddp_like, distributed.summed, atol=1e-5, rtol=1e-5)


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
