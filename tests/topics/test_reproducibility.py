"""What the Reproducibility page claims, asserted."""

import importlib
import random
from types import SimpleNamespace

import numpy as np
import pytest
import torch


@pytest.fixture(scope="module")
def rep():
    return importlib.import_module("snippets.reproducibility")  # see tests/topics/conftest.py


def test_same_seed_same_numbers_other_seed_other_numbers(rep):
    assert torch.equal(rep.first, rep.again)
    assert not torch.equal(rep.first, rep.other)
    torch.manual_seed(0)
    assert torch.equal(torch.rand(3), rep.first)


def test_seeded_layers_start_from_the_same_weights(rep):
    assert torch.equal(rep.layer_a.weight, rep.layer_b.weight)
    assert torch.equal(rep.layer_a.bias, rep.layer_b.bias)


def test_a_seeded_training_run_repeats_exactly_and_an_unseeded_one_does_not(rep):
    assert rep.losses_a == rep.losses_b
    assert len(rep.losses_a) == 5 * 256 // 32
    assert all(a != c for a, c in zip(rep.losses_a, rep.losses_c, strict=True))
    assert rep.training_run(seed=0) == rep.losses_a
    assert rep.losses_a[-1] < rep.losses_a[0] / 2  # it does train


def test_the_figure_draws_the_three_runs(rep):
    lines = rep.fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["seed 0", "seed 0, again", "not seeded"]
    assert list(lines[0].get_ydata()) == list(lines[1].get_ydata()) == rep.losses_a


def test_the_cpu_rng_state_does_not_hold_a_gpu_generator():
    state = torch.get_rng_state()
    torch.cuda.manual_seed_all(123)  # no effect on the CPU's generator
    assert torch.equal(torch.get_rng_state(), state)


def test_an_extra_draw_shifts_the_sequence_by_one(rep):
    torch.manual_seed(0)
    five = torch.rand(5)
    assert torch.equal(rep.shifted, five[1:4])
    assert not torch.equal(rep.shifted, rep.first)


def test_rng_state_rewinds_the_generator():
    state = torch.get_rng_state()
    a = torch.rand(4)
    torch.set_rng_state(state)
    assert torch.equal(a, torch.rand(4))


def test_torch_seed_does_not_seed_numpy(rep):
    assert rep.a != rep.b


def test_seed_everything_seeds_random_numpy_and_torch(rep):
    rep.seed_everything(3)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    rep.seed_everything(3)
    assert first == (random.random(), np.random.rand(), torch.rand(1).item())
    rep.seed_everything(4)
    other = (random.random(), np.random.rand(), torch.rand(1).item())
    assert all(x != y for x, y in zip(first, other, strict=True))


def test_cuda_seeding_is_safe_without_cuda_and_manual_seed_sets_the_seed():
    torch.cuda.manual_seed(5)
    torch.cuda.manual_seed_all(5)
    torch.manual_seed(7)
    assert torch.initial_seed() == 7


def test_put_has_no_deterministic_version_and_index_put_does(rep):
    assert rep.x.tolist() == [2.0, 0.0, 0.0]
    torch.use_deterministic_algorithms(True)
    try:
        with pytest.raises(RuntimeError, match="put_ does not have a deterministic"):
            torch.zeros(3).put_(torch.tensor([0, 0]), torch.tensor([1.0, 2.0]))
    finally:
        torch.use_deterministic_algorithms(False)
    torch.zeros(3).put_(torch.tensor([0, 0]), torch.tensor([1.0, 2.0]))  # default mode: runs


def test_warn_only_turns_the_error_into_a_warning(rep):
    assert rep.caught[0].category is UserWarning
    assert "put_ does not have a deterministic implementation" in str(rep.caught[0].message)


def test_the_page_leaves_global_state_at_the_defaults():
    assert not torch.are_deterministic_algorithms_enabled()
    assert not torch.backends.cudnn.deterministic
    assert not torch.backends.cudnn.benchmark


def test_equally_seeded_loaders_give_the_same_order_and_other_seeds_another(rep):
    order = rep.batch_order(0)
    assert order == rep.batch_order(0)
    assert order != rep.batch_order(1)
    assert sorted(i for batch in order for i in batch) == list(range(8))  # a permutation
    assert order != [[0, 1, 2, 3], [4, 5, 6, 7]]  # and really shuffled


def test_loader_order_ignores_global_draws_and_epochs_differ(rep):
    assert rep.epoch_1 == rep.batch_order(0)
    assert rep.epoch_2 != rep.epoch_1


def by_worker(run):
    return [n for w, n in run if w == 0], [n for w, n in run if w == 1]


def test_workers_draw_distinct_reproducible_numbers_from_numpys_global_generator(rep):
    assert [w for w, _ in rep.run_1] == [0, 0, 1, 1]  # two items per worker
    assert rep.run_1 == rep.run_2
    worker_0, worker_1 = by_worker(rep.run_1)
    assert worker_0 != worker_1


def test_a_dataset_owned_generator_repeats_across_workers_without_worker_init_fn(rep):
    worker_0, worker_1 = by_worker(rep.draws(rep.OwnNoise(), seed=0))
    assert worker_0 == worker_1


def test_worker_init_fn_gives_distinct_reproducible_draws_per_worker(rep):
    worker_0, worker_1 = by_worker(rep.seeded_1)
    assert worker_0 != worker_1
    assert rep.seeded_1 == rep.seeded_2
    assert rep.seeded_1 != rep.reseeded


def test_seed_worker_seeds_every_generator_from_torch_initial_seed(rep, monkeypatch):
    dataset = rep.OwnNoise()
    monkeypatch.setattr(rep, "get_worker_info", lambda: SimpleNamespace(id=1, dataset=dataset))
    torch.manual_seed(2**32 + 5)  # seed_worker reduces it modulo 2**32
    rep.seed_worker(1)
    assert random.random() == random.Random(5).random()
    assert dataset[0] == (1, int(np.random.default_rng(5).integers(1000)))
    assert rep.GlobalNoise()[0] == (1, int(np.random.RandomState(5).randint(1000)))


def test_exercise_1_seed_1_repeats_and_differs_from_seed_0(rep):
    assert rep.losses_seed_1 == rep.training_run(seed=1)
    assert rep.losses_seed_1 != rep.losses_a


def test_exercise_2_fork_rng_leaves_the_outer_sequence_alone(rep):
    torch.manual_seed(0)
    assert torch.equal(rep.after, torch.rand(3))
    torch.manual_seed(0)
    with torch.random.fork_rng():
        torch.rand(10)
    assert torch.equal(torch.rand(3), rep.after)


def test_exercise_3_per_item_generators_ignore_the_number_of_workers(rep):
    assert rep.in_main_process == rep.with_workers
    assert rep.noise(num_workers=0) == rep.in_main_process
    items = rep.NoisyItems(base_seed=7)
    assert [items[i] for i in (5, 0)] == [rep.in_main_process[5], rep.in_main_process[0]]
