"""The data root: filled from the mirror, loaded by torchvision with the network blocked."""

import os
import shutil
import sys
from pathlib import Path

import pytest
from torchvision import datasets

from tools import data
from tools.offline import is_blocked

MIRROR = os.environ.get("GUIDE_DATA_MIRROR")
needs_mirror = pytest.mark.skipif(not MIRROR, reason="GUIDE_DATA_MIRROR is not set")


@needs_mirror
def test_fashion_mnist_downloads_from_the_mirror_with_the_network_blocked(tmp_path):
    assert is_blocked()
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for archive in (Path(MIRROR) / "FashionMNIST" / "raw").glob("*.gz"):
        shutil.copyfile(archive, raw / archive.name)
    test_set = datasets.FashionMNIST(tmp_path, train=False, download=True)
    image, label = test_set[0]
    assert len(test_set) == 10_000
    assert image.size == (28, 28)
    assert test_set.classes[label] == "Ankle boot"
    assert (raw / "t10k-images-idx3-ubyte").is_file()  # extracted here, not downloaded


def test_fill_from_mirror_copies_what_is_missing_and_leaves_the_mirror_alone(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    (mirror / "Set" / "raw").mkdir(parents=True)
    (mirror / "README.md").write_text("mirror notes")
    (mirror / "Set" / "raw" / "a.gz").write_bytes(b"archive")
    (mirror / "Set" / "raw" / "a.gz").chmod(0o444)
    root = tmp_path / "root"
    (root / "Set" / "raw").mkdir(parents=True)
    (root / "Set" / "raw" / "kept.gz").write_bytes(b"local")
    monkeypatch.setenv("GUIDE_DATA_MIRROR", str(mirror))
    monkeypatch.setattr(data, "data_root", lambda: root)

    assert data.fill_from_mirror() == mirror
    copied = root / "Set" / "raw" / "a.gz"
    assert copied.read_bytes() == b"archive"
    assert os.access(copied, os.W_OK)  # torchvision extracts next to it
    assert (root / "Set" / "raw" / "kept.gz").read_bytes() == b"local"
    assert not (root / "README.md").exists()


def test_a_mirror_that_is_not_a_folder_is_named_in_the_error(tmp_path, monkeypatch):
    monkeypatch.setenv("GUIDE_DATA_MIRROR", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="nowhere"):
        data.fill_from_mirror()


def test_without_a_mirror_nothing_is_copied(monkeypatch):
    monkeypatch.delenv("GUIDE_DATA_MIRROR", raising=False)
    assert data.fill_from_mirror() is None


@needs_mirror
def test_prepare_extracts_the_archives_once_before_the_workers_start(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    (mirror / "FashionMNIST").mkdir(parents=True)
    shutil.copytree(Path(MIRROR) / "FashionMNIST" / "raw", mirror / "FashionMNIST" / "raw")
    monkeypatch.setenv("GUIDE_DATA_MIRROR", str(mirror))
    monkeypatch.setattr(data, "data_root", lambda: tmp_path / "root")
    data.prepare()
    raw = tmp_path / "root" / "FashionMNIST" / "raw"
    assert (raw / "train-images-idx3-ubyte").stat().st_size == 47_040_016  # 60,000 28x28 + header
    assert (raw / "t10k-labels-idx1-ubyte").is_file()
    assert not (tmp_path / "root" / "MNIST").exists()  # not in this mirror: left alone


def test_prepare_leaves_extracted_archives_alone_without_torchvision(tmp_path, monkeypatch):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "train-images-idx3-ubyte.gz").write_bytes(b"archive")
    monkeypatch.delenv("GUIDE_DATA_MIRROR", raising=False)
    monkeypatch.setattr(data, "data_root", lambda: tmp_path)
    assert not data.extracted("MNIST")
    (raw / "train-images-idx3-ubyte").write_bytes(b"extracted")
    assert data.extracted("MNIST")
    assert data.extracted("FashionMNIST")  # no archive of it at all
    monkeypatch.setitem(sys.modules, "torchvision", None)  # importing it would now fail
    data.prepare()
