"""Test wiring: Sybil over the pages, the device under test, the offline guard, the data root.

It sits at the repository root, outside docs/, so MkDocs never publishes it.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from tools import sybil_pages
from tools.data import prepare
from tools.offline import block
from tools.paths import ROOT
from tools.verification import cpu_name, write_record

pytest_collect_file = sybil_pages.make_sybil().pytest()

_outcomes: dict[str, Counter] = defaultdict(Counter)


def runs_tests(config) -> bool:
    """False in pytest-xdist's controller, which hands every test to its workers."""
    return hasattr(config, "workerinput") or config.getoption("dist", "no") == "no"


def pytest_addoption(parser):
    parser.addoption(
        "--device",
        choices=["cpu", "cuda"],
        default="cpu",
        help="cpu (default) hides any GPU; cuda requires one and requires that it is used.",
    )
    parser.addoption(
        "--record-verification",
        action="store_true",
        help="write what each page's blocks did to .cache/verification/ for the site build.",
    )
    parser.addoption(
        "--update-outputs",
        action="store_true",
        help="write what each code block printed into the Output fence under it (adding or "
        "removing fences) instead of failing; read the diff before committing.",
    )


def pytest_configure(config):
    device = config.getoption("--device")
    if device == "cpu":
        # Hide any GPU before torch initialises CUDA: the CPU run is a CPU run everywhere.
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    # pytest-xdist's controller runs no test: on the CPU it starts its workers without
    # importing torch (2 s before any worker starts).
    if device == "cuda" or runs_tests(config):
        import torch

        if device == "cuda" and not torch.cuda.is_available():
            # Raised before anything below is set: the failed run changes nothing.
            raise pytest.UsageError(
                "--device cuda was given but torch.cuda.is_available() is False on this "
                "machine: run it on a GPU runner, or drop --device cuda to test on the CPU."
            )
        # The pages' examples are tiny: with one thread they run up to 10x faster on a 2-core
        # runner than with threads that spin waiting for each other (measured on
        # first-model.md).
        torch.set_num_threads(1)
    sybil_pages.update_outputs = config.getoption("--update-outputs")
    sybil_pages.same_decimals = device == "cpu"
    os.chdir(ROOT)  # pages use paths relative to the repository root, as `root="data"`
    block()
    if hasattr(config, "workerinput"):
        atexit.register(end_worker)
    else:  # the controller, before any worker starts
        prepare()


def end_worker() -> None:
    """A pytest-xdist worker's first exit handler, once its results and coverage data are with
    the controller, which waits for the process to end: that ends it without the interpreter's
    teardown, 2.5 s of freeing what torch and the tests loaded. Child processes (a
    DataLoader's workers) are ended first, as multiprocessing's own exit handler does."""
    for child in multiprocessing.active_children():
        if child.daemon:
            child.terminate()
        child.join()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A skipped page block is reported at its page and line, with its reason."""
    report = yield
    example = getattr(item, "example", None)
    if report.skipped and example is not None and isinstance(report.longrepr, tuple):
        page = Path(example.path).relative_to(ROOT)
        report.longrepr = (str(page), example.line, report.longrepr[2])
    return report


def pytest_runtest_logreport(report):
    page = report.location[0]
    if not page.startswith("docs/"):
        return
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _outcomes[page.removeprefix("docs/")][report.outcome] += 1


_gpu_bytes: list[int] = []  # the peak CUDA memory of each process that ran tests
_versions: dict[str, str] = {}  # torch's and torchvision's, as the tests imported them


def versions() -> dict[str, str]:
    import torch
    import torchvision

    # str(): torch's version is a str subclass that pytest-xdist cannot send to the controller
    return {"torch": str(torch.__version__), "torchvision": str(torchvision.__version__)}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """pytest-xdist: a worker finished; keep what it allocated on the GPU, and the versions
    it ran (the controller does not import torch)."""
    _gpu_bytes.append(node.workeroutput.get("cuda_max_memory_allocated", 0))
    _versions.update(node.workeroutput.get("versions", {}))


def pytest_sessionfinish(session, exitstatus):
    for page in sybil_pages.write_outputs():
        session.config.get_terminal_writer().line(f"--update-outputs: wrote {page}")
    device = session.config.getoption("--device")
    if device == "cuda":
        import torch

        peak = torch.cuda.max_memory_allocated()
    else:
        peak = 0
    if hasattr(session.config, "workerinput"):
        session.config.workeroutput["cuda_max_memory_allocated"] = peak
        if session.config.getoption("--record-verification"):
            session.config.workeroutput["versions"] = versions()
        return
    if session.config.option.collectonly:
        return
    if device == "cuda":
        if peak + sum(_gpu_bytes) == 0:
            session.config.get_terminal_writer().line(
                "--device cuda: no tensor was ever allocated on the GPU during this run, "
                "so nothing was tested on CUDA.",
                red=True,
            )
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        name = torch.cuda.get_device_name()
    else:
        name = cpu_name()
    if session.config.getoption("--record-verification"):
        write_record(device, name, _outcomes, _versions or versions())
