"""Behaviour of snippets/data.py: what each example is for, not just that it runs."""

import importlib
import math
from collections import Counter

import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from torchvision import datasets, transforms


@pytest.fixture(scope="module")
def data():
    return importlib.import_module("snippets.data")  # see tests/topics/conftest.py


def test_xor_dataset_labels_are_the_xor_of_the_rounded_inputs(data):
    torch.manual_seed(1)
    dataset = data.XORDataset(size=300)
    assert len(dataset) == 300
    inputs = torch.stack([dataset[i][0] for i in range(len(dataset))])
    labels = torch.stack([dataset[i][1] for i in range(len(dataset))])
    corners = inputs.round().long()
    assert set(corners.flatten().tolist()) <= {0, 1}  # noise std 0.1 keeps points near corners
    assert torch.equal(labels, (corners[:, 0] ^ corners[:, 1]).float())
    assert labels.dtype == torch.float32
    assert 0.3 < labels.mean().item() < 0.7  # both classes present


def test_tensor_dataset_pairs_rows_and_checks_sizes(data):
    x, t = data.pairs[4]
    assert torch.equal(x, data.features[4])
    assert t.item() == data.targets[4].item()
    with pytest.raises(AssertionError, match="Size mismatch"):
        data.TensorDataset(torch.zeros(3, 1), torch.zeros(2))


def test_dataloader_batch_shapes_and_count(data):
    loader = DataLoader(data.dataset, batch_size=8, shuffle=True)
    sizes = []
    for inputs, labels in loader:
        assert inputs.shape[1:] == (2,)
        assert labels.shape == inputs.shape[:1]
        sizes.append(len(inputs))
    assert len(loader) == len(sizes) == math.ceil(500 / 8)
    assert sizes[:-1] == [8] * 62
    assert sizes[-1] == 500 - 62 * 8
    assert len(DataLoader(data.dataset, batch_size=8, drop_last=True)) == 500 // 8


def test_shuffle_visits_every_sample_once_in_a_new_order_each_epoch(data):
    epochs = [torch.cat([batch for (batch,) in data.shuffled]) for _ in range(2)]
    for order in epochs:
        assert sorted(order.tolist()) == list(range(10))
    assert not torch.equal(epochs[0], epochs[1])
    in_order = torch.cat([batch for (batch,) in data.in_order])
    assert in_order.tolist() == list(range(10))


def test_the_default_collate_cannot_stack_sequences_of_different_lengths(data):
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        next(iter(DataLoader(data.sequences, batch_size=4)))
    next(iter(DataLoader(data.Sequences([3, 3]), batch_size=2)))  # equal lengths stack


def test_pad_collate_pads_to_the_longest_and_keeps_lengths_and_labels(data):
    lengths = [3, 5, 2, 4]
    padded, got_lengths, labels = next(iter(data.sequence_loader))
    assert padded.shape == (4, max(lengths))
    assert got_lengths.tolist() == lengths
    assert labels.tolist() == [0, 1, 0, 1]
    for row, n in zip(padded, lengths, strict=True):
        assert row[:n].tolist() == list(range(1, n + 1))  # the sequence, unchanged
        assert not row[n:].any()  # then zeros
    # the masked means are the means of the sequences alone, not of the padded rows
    means = (padded * data.real).sum(dim=1) / got_lengths
    torch.testing.assert_close(means, torch.tensor([(n + 1) / 2 for n in lengths]))
    assert not torch.allclose(padded.mean(dim=1), means)
    # a batch of short sequences is padded to its own longest only
    short = next(
        iter(DataLoader(data.Sequences([2, 1]), batch_size=2, collate_fn=data.pad_collate))
    )
    assert short[0].shape == (2, 2)


def test_worker_processes_deliver_the_same_batches(data):
    main = [x for x, _ in DataLoader(data.dataset, batch_size=100)]
    workers = [x for x, _ in DataLoader(data.dataset, batch_size=100, num_workers=2)]
    assert len(main) == len(workers) == 5
    for a, b in zip(main, workers, strict=True):
        assert torch.equal(a, b)


def test_one_hot_lambda_and_f_one_hot_agree(data):
    for y in range(10):
        expected = torch.zeros(10)
        expected[y] = 1
        assert torch.equal(data.one_hot(y), expected)
        assert torch.equal(F.one_hot(torch.tensor(y), num_classes=10).float(), expected)
    _, target = data.test_data[0]
    assert target.sum().item() == 1.0
    assert target.argmax().item() == data.test_data.targets[0].item()


def test_fashion_mnist_test_images_are_scaled_tensors(data):
    image, _ = data.test_data[123]
    assert len(data.test_data) == 10_000
    assert image.shape == (1, 28, 28)
    assert image.dtype == torch.float32
    assert image.min() >= 0.0
    assert image.max() <= 1.0


def test_image_folder_classes_and_counts():
    images = datasets.ImageFolder(root="data/hymenoptera_data/train")
    assert images.classes == ["ants", "bees"]
    assert images.class_to_idx == {"ants": 0, "bees": 1}
    assert len(images) == 244
    assert Counter(images.targets) == {0: 123, 1: 121}  # 124 ants files, one is the .gif
    assert not any(path.endswith(".gif") for path, _ in images.samples)


def test_pipelines_give_model_ready_tensors(data):
    assert data.test_view.shape == (3, 224, 224)
    assert torch.allclose(data.test_view, data.test_transforms_v2(data.image), atol=1e-5)
    torch.manual_seed(3)
    views = [data.train_transforms(data.image) for _ in range(2)]
    assert views[0].shape == views[1].shape == (3, 224, 224)
    assert not torch.equal(views[0], views[1])


def test_normalize_of_a_constant_image_gives_the_expected_channel_values():
    mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    constant = torch.full((3, 8, 8), 0.5)
    out = transforms.Normalize(mean, std)(constant)
    for channel in range(3):
        expected = (0.5 - mean[channel]) / std[channel]
        assert out[channel].mean().item() == pytest.approx(expected, rel=1e-5)
        assert out[channel].std().item() == pytest.approx(0.0, abs=1e-6)
    # a constant image equal to the mean maps to zero
    at_mean = torch.tensor(mean).view(3, 1, 1).expand(3, 4, 4)
    assert torch.allclose(transforms.Normalize(mean, std)(at_mean), torch.zeros(3, 4, 4))


def test_normalize_moves_the_sample_toward_zero_mean(data):
    before = data.batch.mean(dim=(0, 2, 3)).abs()
    after = data.normalized.mean(dim=(0, 2, 3)).abs()
    assert (after < before).all()
    assert data.half.min() >= -1
    assert data.half.max() <= 1


def test_wrapped_loader_reshapes_and_keeps_every_sample(data):
    batches = list(data.wrapped)
    assert len(batches) == len(data.wrapped) == 4
    assert all(xb.shape[1:] == (1, 28, 28) for xb, _ in batches)
    assert sorted(torch.cat([yb.cpu() for _, yb in batches]).tolist()) == sorted(
        data.y_train.tolist()
    )


def test_random_split_with_a_seeded_generator_is_repeatable_and_disjoint(data):
    def split(seed):
        g = torch.Generator().manual_seed(seed)
        return data.random_split(data.dataset, [400, 100], generator=g)

    first, second = split(0), split(0)
    assert [len(part) for part in first] == [400, 100]
    assert first[0].indices == second[0].indices == data.train_part.indices
    assert set(first[0].indices).isdisjoint(first[1].indices)
    assert sorted(first[0].indices + first[1].indices) == list(range(500))
    assert split(1)[0].indices != first[0].indices  # the seed decides the split


def test_workers_restart_each_epoch_unless_persistent(data):
    assert data.multiprocessing.get_start_method() in {"fork", "spawn", "forkserver"}
    loader = DataLoader(data.ProcessIds(), batch_size=2, num_workers=2)
    first, second = data.loaded_by(loader), data.loaded_by(loader)
    assert len(first) == 2
    assert data.os.getpid() not in first
    assert first.isdisjoint(second)  # new processes in the second epoch
    kept = DataLoader(data.ProcessIds(), batch_size=2, num_workers=2, persistent_workers=True)
    assert data.loaded_by(kept) == data.loaded_by(kept)


def test_csv_dataset_reads_the_files_it_lists(data):
    assert len(data.csv_images) == 6
    for i in range(6):
        image, label = data.csv_images[i]
        assert image.shape == (1, 28, 28)
        assert image.dtype == torch.float32
        assert torch.allclose(image, data.raw.data[i].unsqueeze(0) / 255)
        assert label == data.raw.targets[i].item()
    images, labels = next(iter(DataLoader(data.csv_images, batch_size=6)))
    assert images.shape == (6, 1, 28, 28)
    assert labels.tolist() == data.raw.targets[:6].tolist()


def test_csv_dataset_opens_an_image_only_when_asked(data, tmp_path):
    csv_file = tmp_path / "labels.csv"
    data.Image.new("L", (3, 2), color=7).save(tmp_path / "seven.png")
    csv_file.write_text("file,label\nmissing.png,3\nseven.png,1\n")
    images = data.CsvImageDataset(csv_file, tmp_path)  # nothing opened yet
    assert len(images) == 2
    image, label = images[1]  # no transform: the PIL image
    assert image.mode == "L"
    assert image.size == (3, 2)
    assert image.getpixel((2, 1)) == 7
    assert label == 1
    with pytest.raises(FileNotFoundError):
        images[0]


def test_augmentations_give_new_views_of_the_right_size(data):
    torch.manual_seed(0)
    views = [transforms.functional.pil_to_tensor(data.augment(data.image)) for _ in range(3)]
    assert all(view.shape == (3, 224, 224) for view in views)
    assert not torch.equal(views[0], views[1])


def test_exercise_1_squares_dataset(data):
    squares = data.Squares(7)
    assert len(squares) == 7
    x, y = squares[5]
    assert x.item() == 5.0
    assert y.item() == 25.0
    assert [len(x) for x, _ in DataLoader(squares, batch_size=3)] == [3, 3, 1]


def test_exercise_2_statistics_match_the_stacked_images(data):
    assert data.pixel_mean == pytest.approx(data.everything.mean().item(), abs=1e-6)
    # Averaging the four batches' stds instead would be 1.8e-4 off.
    assert data.pixel_std == pytest.approx(data.everything.std().item(), abs=1e-5)
    assert 0.2 < data.pixel_mean < 0.4  # FashionMNIST is mostly dark background


def test_exercise_3_only_the_training_part_is_augmented(data):
    assert sorted(list(data.train_idx) + list(data.val_idx)) == list(range(6))
    for position, i in enumerate(data.train_idx):
        image, _ = data.train_set[position]
        assert torch.allclose(image.flip(-1), data.raw.data[i].unsqueeze(0) / 255)
    for position, i in enumerate(data.val_idx):
        image, _ = data.val_set[position]
        assert torch.allclose(image, data.raw.data[i].unsqueeze(0) / 255)
