"""Support for the gallery notebooks, used by their hidden cells only (cells tagged off the
rendered page; see CONTRIBUTING.md): the seed of a run, the bars a result must clear, the
record the gallery index is built from, and the quiet import of the topic pages' modules.

`GUIDE_GALLERY_FAST=1` (set by the tests) asks notebooks for a few batches instead of a
whole training: the code paths run, the bars are not enforced.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import logging
import os
import random
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

if "ipykernel" in sys.modules:
    # In a notebook kernel (the site build, Jupyter, Colab) a tqdm progress bar is a stream of
    # carriage returns that a built page shows as lines of build-machine timings. tqdm reads
    # TQDM_DISABLE when it is imported, which torch does: set it before importing torch.
    os.environ.setdefault("TQDM_DISABLE", "1")

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
RECORDS = ROOT / ".cache" / "gallery"
FAST = os.environ.get("GUIDE_GALLERY_FAST") == "1"


class BarNotReachedError(AssertionError):
    """A gallery result below the bar its page promises: the build fails."""


def pick_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # seeds the CPU and every CUDA device


@dataclass
class Run:
    """One execution of a gallery notebook."""

    name: str
    device: torch.device
    started: float = field(default_factory=time.perf_counter)
    results: dict = field(default_factory=dict)

    def check(self, label: str, value: float, bar: float) -> None:
        """Record a result and fail the build if it is below its bar."""
        self.results[label] = {"value": value, "bar": bar}
        if value < bar and not FAST:
            raise BarNotReachedError(f"{self.name}: {label} is {value:.4f}, below the bar {bar}")
        print(f"{label}: {value:.4f} (bar: {bar})")

    def finish(self, headline: str, thumbnail) -> None:
        """Save the headline and a thumbnail figure for the gallery index; print wall time.
        (Nothing returned: the last line of a notebook cell would show it.)"""
        seconds = time.perf_counter() - self.started
        RECORDS.mkdir(parents=True, exist_ok=True)
        if not FAST:
            thumbnail.savefig(RECORDS / f"{self.name}.png", dpi=48, bbox_inches="tight")
            record = {
                "name": self.name,
                "headline": headline,
                "seconds": round(seconds, 1),
                "device": self.device.type,
                "torch": torch.__version__,
                "results": self.results,
            }
            (RECORDS / f"{self.name}.json").write_text(json.dumps(record, indent=2))
        print(f"Wall time: {seconds:.1f} s")


@contextlib.contextmanager
def _quiet_file_descriptors():
    """Send what C and C++ code writes to the process's stdout and stderr (file descriptors 1
    and 2: the PyTorch profiler's `USDT ... profiler_start` lines, a CUDA build's
    `gpuGetDeviceCount failed` on a machine without a driver) to /dev/null, then restore them.
    A notebook kernel shows those descriptors in the cell's output."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)


@contextlib.contextmanager
def page_imports():
    """Import topic modules as the tests run them: from the repository root (their examples
    read data/), with the output of those examples silenced, Python's and that of C++ code
    alike (it belongs to their pages), and the figures they draw closed (they belong to their
    pages too). Exceptions are not silenced."""
    with (
        contextlib.chdir(ROOT),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
        _quiet_file_descriptors(),
    ):
        yield
    import matplotlib.pyplot as plt

    plt.close("all")


def silence_build_noise() -> None:
    """Silence, each at its source, what libraries print about the build machine rather than
    about the code a notebook runs."""
    # tqdm.auto, imported by the first-model page's module, warns (with the path of its own
    # file) that ipywidgets is missing when it runs in a kernel: progress bars are off anyway.
    warnings.filterwarnings("ignore", message="IProgress not found", module="tqdm")
    # torch.compile's C++ toolchain looks for a CUDA toolkit, and on a machine that has one
    # but no GPU logs "No CUDA runtime is found, using CUDA_HOME=..." with a timestamp and a
    # process id: a fact about the build machine, not about the code compiled.
    logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)


def start(name: str, seed: int = 0, modules: tuple[str, ...] = ()) -> Run:
    """Seed every generator, silence build noise, and import the topic pages' `modules` (whose
    examples run on import) quietly, so that the notebook's own import of them prints
    nothing."""
    seed_everything(seed)
    silence_build_noise()
    with page_imports():
        for module in modules:
            importlib.import_module(module)
    if FAST:
        print("Fast mode: a few batches only, bars not enforced")
    return Run(name, pick_device())
