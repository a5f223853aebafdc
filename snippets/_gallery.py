"""Support for the gallery notebooks: the opening and closing lines every run prints, the
bars a result must clear, and the record the gallery index is built from.

`GUIDE_GALLERY_FAST=1` (set by the tests) asks notebooks for a few batches instead of a
whole training: the code paths run, the bars are not enforced.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torchvision

ROOT = Path(__file__).resolve().parent.parent
DATA_ROOT = ROOT / "data"
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

    def finish(self, headline: str, thumbnail) -> float:
        """Save the headline and a thumbnail figure for the gallery index; print wall time."""
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
        return seconds


@contextlib.contextmanager
def page_imports():
    """Import topic modules as the tests run them: from the repository root (their examples
    read data/), with the output of those examples silenced (it belongs to their pages)."""
    with contextlib.chdir(ROOT), contextlib.redirect_stdout(io.StringIO()):
        yield


def start(name: str, seed: int = 0) -> Run:
    """Seed, pick the device and print what this run used."""
    seed_everything(seed)
    device = pick_device()
    name_of_device = torch.cuda.get_device_name() if device.type == "cuda" else "CPU"
    print(f"Device: {device} ({name_of_device})")
    print(f"torch {torch.__version__}, torchvision {torchvision.__version__}")
    if FAST:
        print("Fast mode: a few batches only, bars not enforced")
    return Run(name, device)
