"""What the Setup and devices page claims, asserted."""

import pytest
import torch
import torchvision
from torch import nn

from snippets import setup as devices


def test_pinned_versions_are_installed():
    assert torch.__version__.split("+")[0] == "2.14.1"
    assert torchvision.__version__.split("+")[0] == "0.29.1"


def test_device_choice_follows_cuda_availability():
    assert devices.device == ("cuda" if torch.cuda.is_available() else "cpu")
    assert devices.any_device.type == devices.device


def test_device_strings_and_indices():
    assert (torch.device("cuda:1").type, torch.device("cuda:1").index) == ("cuda", 1)
    assert torch.device("cuda", 1) == torch.device("cuda:1")
    assert torch.device("cuda").index is None
    assert torch.device("cuda:1").type == "cuda"


def test_tensor_to_returns_a_new_tensor_and_leaves_the_original():
    assert devices.x.device.type == "cpu"
    assert devices.y.device.type == "meta"
    assert devices.y.shape == devices.x.shape


def test_tensor_to_its_own_device_is_a_no_op_unless_copy_is_asked():
    x = torch.arange(4.0)
    assert x.to("cpu") is x
    assert x.to(torch.device("cpu"), torch.float32) is x
    copy = x.to("cpu", copy=True)
    assert copy is not x
    assert copy.data_ptr() != x.data_ptr()
    copy[0] = 9
    assert x[0] == 0  # a real copy: the original does not change


def test_model_to_moves_in_place_and_returns_the_model():
    assert devices.returned.weight.device.type == "meta"  # the page's model, moved
    model = nn.Linear(3, 1)
    assert model.to("meta") is model
    assert all(p.device.type == "meta" for p in model.parameters())
    model = nn.Linear(3, 1)
    model.to(torch.float64)  # the result is not assigned: the model changed anyway
    assert model.weight.dtype == torch.float64


def test_device_agnostic_forward_lands_on_the_device():
    assert devices.out.device.type == devices.device
    assert devices.out.shape == (4, 1)
    torch.manual_seed(0)
    layer = nn.Linear(3, 1)
    expected = (layer.weight.sum() + layer.bias).item()  # every input is 1
    assert devices.mean == pytest.approx(expected, abs=1e-5)


def test_the_loader_loop_sees_every_value_once():
    assert devices.total == sum(range(12))
    assert devices.loader.pin_memory == torch.cuda.is_available()


def test_exercise_1_a_tensor_made_on_the_device_needs_no_copy():
    assert devices.t.device.type == devices.new_device.type == devices.device
    assert devices.t.to(devices.new_device) is devices.t
    assert torch.equal(devices.t.cpu(), torch.zeros(2, 3))


def test_exercise_2_moving_a_model_moves_its_buffers_too():
    assert {t.device.type for t in devices.net.buffers()} == {"meta"}
    assert {t.device.type for t in devices.net.parameters()} == {"meta"}
    assert len(list(devices.net.buffers())) == 3  # running mean, running var, batch count


def test_exercise_3_to_device_moves_nested_tensors_and_keeps_the_rest():
    batch = [torch.ones(2), {"a": (torch.zeros(1), 3, "s")}]
    moved = devices.to_device(batch, "meta")
    assert isinstance(moved, list)
    assert isinstance(moved[1]["a"], tuple)
    assert moved[0].device.type == "meta"
    assert moved[1]["a"][0].device.type == "meta"
    assert moved[1]["a"][1:] == (3, "s")
    assert batch[0].device.type == "cpu"
    assert devices.moved["extra"][0].device.type == "meta"
