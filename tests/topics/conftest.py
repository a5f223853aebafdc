"""Shared data for the topic tests, and the rule for importing a snippets module.

A snippets module runs its page's examples when it is imported: up to 4 s of ONNX export or
training. pytest-xdist has each of its workers import every test file to collect it, so a test
file that imports a heavy module at its top makes every worker run that module before the
first test. Such a test file takes the module from a module-scoped fixture instead:

    @pytest.fixture(scope="module")
    def speed():
        return importlib.import_module("snippets.speed")

and the module runs once, in the worker that runs the file, when a test first asks for it.
"""

import pytest
import torch
from torch.utils.data import TensorDataset


def make_blobs(n=256, seed=0):
    """Three well separated clusters in 784 dimensions: easy to learn in a few steps.

    The same seed gives the same clusters, whatever n: a training and a validation set."""
    g = torch.Generator().manual_seed(seed)
    centres = (torch.rand(3, 784, generator=g) < 0.5).float()  # three binary patterns
    y = torch.randint(0, 3, (n,), generator=g)
    x = centres[y] + 0.3 * torch.rand(n, 784, generator=g)  # pixel-like values in [0, 1.3]
    return TensorDataset(x, y)


@pytest.fixture
def blobs():
    """make_blobs, for tests of the training and from-scratch pages."""
    return make_blobs
