"""What the Tensors page claims, asserted."""

import numpy as np
import pytest
import torch

from snippets import tensors


def test_torch_tensor_infers_int64_and_copies():
    source = [[1, 2], [3, 4]]
    t = torch.tensor(source)
    source[0][0] = 99
    assert tensors.x_data.dtype == torch.int64
    assert t[0, 0] == 1


def test_from_numpy_shares_memory_both_ways():
    array = np.zeros(3)
    t = torch.from_numpy(array)
    array[0] = 5
    t[1] = 7
    assert t.tolist() == [5, 7, 0]
    assert array.tolist() == [5, 7, 0]
    assert t.dtype == torch.float64  # NumPy's dtype is kept


def test_the_bridge_breaks_on_copies_and_out_of_place_ops():
    assert tensors.copied.tolist() == [1, 1, 1]
    assert tensors.shared.tolist() == [7, 1, 1]
    t = torch.ones(3)
    n = t.numpy()
    t = t + 1
    assert n.tolist() == [1, 1, 1]
    assert t.tolist() == [2, 2, 2]


def test_like_functions_keep_shape_and_dtype_unless_overridden():
    assert tensors.x_ones.dtype == torch.int64
    assert tensors.x_rand.dtype == torch.float32
    assert tensors.x_rand.shape == tensors.x_data.shape
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        torch.rand_like(tensors.x_data)


def test_cat_along_each_dim():
    assert tensors.rows.shape == (4, 3)
    assert tensors.cols.shape == (2, 6)
    assert torch.equal(tensors.rows[2:], torch.ones(2, 3))


def test_matmul_forms_agree_and_differ_from_elementwise():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert torch.equal(tensors.y1, torch.tensor([[5.0, 11.0], [11.0, 25.0]]))
    assert torch.equal(tensors.y1, tensors.y3)
    assert not torch.equal(x @ x, x * x)
    assert torch.equal(tensors.z1, x**2)


def test_item_returns_a_python_float():
    assert isinstance(tensors.value, float)
    assert tensors.value == 10.0


def test_in_place_ops_change_the_tensor_itself():
    x = torch.ones(2, 3)
    same = x.t_()
    assert same is x
    assert x.shape == (3, 2)


def test_view_shares_memory_and_fails_on_non_contiguous():
    x = torch.arange(6)
    x.view(2, 3)[0, 0] = 100
    assert x[0] == 100  # written through the view
    t = torch.arange(6).view(2, 3).t()
    assert not t.is_contiguous()
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        t.view(6)
    flat = t.reshape(6)
    assert flat.tolist() == [0, 3, 1, 4, 2, 5]
    assert flat.data_ptr() != t.data_ptr()  # reshape had to copy


def test_dtype_conversions():
    x = torch.tensor([1, 2, 3])
    assert x.float().dtype == torch.float32
    assert x.type(torch.FloatTensor).dtype == torch.float32
    assert torch.tensor([1.7, -1.7]).to(torch.int64).tolist() == [1, -1]


def test_to_returns_a_new_tensor_on_another_device_only():
    x = torch.ones(2)
    assert x.to("cpu") is x  # already there: the same object
    assert tensors.back.device.type == "cpu"
