"""The data root: where torchvision data sets live for the pages, tests and gallery.

It is `data/` at the repository root: pages use `root="data"` as a reader would, and tests and
builds run from the repository root. `GUIDE_DATA_MIRROR`
names a read-only mirror laid out as torchvision expects (CI: ../shared/data) from which
missing files are copied, so `download=True` finds archives with the right MD5s, extracts
them and downloads nothing. With no mirror, torchvision downloads the real files.
"""

import os
import shutil
from pathlib import Path

from tools.paths import DATA_ROOT


def data_root() -> Path:
    return DATA_ROOT


def fill_from_mirror() -> Path | None:
    """Copy into the data root what the mirror has and the root lacks; return the mirror."""
    mirror = os.environ.get("GUIDE_DATA_MIRROR")
    if not mirror:
        return None
    source = Path(mirror).resolve()
    if not source.is_dir():
        raise FileNotFoundError(f"GUIDE_DATA_MIRROR={mirror!r} is not a directory")
    target = data_root()
    for path in sorted(source.rglob("*")):
        if not path.is_file() or path.parent == source:
            continue  # the mirror's own README and checksums stay behind
        dest = target / path.relative_to(source)
        if not dest.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)  # copyfile: the copy is writable, the mirror is not
    return source


def prepare() -> None:
    """Fill the data root from the mirror and extract the MNIST-family archives it holds, once,
    before anything runs in parallel: two processes extracting the same archive at once read
    each other's half-written files (seen with two pytest-xdist workers on a fresh clone)."""
    fill_from_mirror()
    names = [name for name in ("MNIST", "FashionMNIST") if not extracted(name)]
    if not names:
        return  # without importing torchvision (2 s), which pytest-xdist's controller spares
    from torchvision import datasets

    for name in names:
        for train in (True, False):
            getattr(datasets, name)(data_root(), train=train, download=True)  # extracts only


def extracted(name: str) -> bool:
    """Whether every archive in `<name>/raw` (if any) lies extracted beside it."""
    raw = data_root() / name / "raw"
    return all(archive.with_suffix("").is_file() for archive in raw.glob("*.gz"))
