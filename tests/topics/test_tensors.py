"""What the Tensors page claims, asserted."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from snippets import tensors

# Importing the module drew the page's two figures (tests/conftest.py closes them before the
# first test, and a page closes them before its first block).
assert len(plt.get_fignums()) >= 2


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
    assert tensors.v.shape == (2, 3)
    assert tensors.v[0, 0] == 100  # the view that wrote into x
    x = torch.arange(6)
    x.view(2, 3)[0, 0] = 100
    assert x[0] == 100  # written through the view
    t = torch.arange(6).view(2, 3).t()
    assert not t.is_contiguous()
    with pytest.raises(RuntimeError, match=r"Use \.reshape"):
        t.view(6)  # the error the page describes in words
    flat = t.reshape(6)
    assert flat.tolist() == [0, 3, 1, 4, 2, 5]
    assert flat.data_ptr() != t.data_ptr()  # reshape had to copy


def test_dtype_conversions():
    x = torch.tensor([1, 2, 3])
    assert x.float().dtype == torch.float32
    assert torch.tensor([1.7, -1.7]).to(torch.int64).tolist() == [1, -1]
    assert tensors.half.dtype == torch.float16
    assert tensors.half.element_size() == 2


def test_to_returns_a_new_tensor_on_another_device_only():
    x = torch.ones(2)
    assert x.to("cpu") is x  # already there: the same object
    assert tensors.back.device.type == "cpu"


def test_indexing_rows_columns_negative_and_steps():
    x = torch.arange(12).reshape(3, 4)
    assert x[0].tolist() == [0, 1, 2, 3]
    assert x[:, 1].tolist() == [1, 5, 9]
    assert x[-1].tolist() == [8, 9, 10, 11]
    assert x[:, -2:].shape == (3, 2)
    assert x[::2].tolist() == [[0, 1, 2, 3], [8, 9, 10, 11]]
    assert x[[2, 0]].tolist() == [[8, 9, 10, 11], [0, 1, 2, 3]]
    assert x[1, 2].dim() == 0
    assert x[0:1].shape == (1, 4)  # a slice keeps its dimension
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]  # why the page says steps must be positive
    assert x.flip(0)[0].tolist() == [8, 9, 10, 11]


def test_ellipsis_stands_for_the_leading_dimensions():
    images = tensors.images
    assert images.shape == (8, 3, 32, 32)
    assert torch.equal(images[..., 0], images[:, :, :, 0])
    assert images[..., :16, :16].shape == (8, 3, 16, 16)


def test_slice_assignment_writes_in_place():
    x = torch.zeros(3, 4)
    x[1:, :2] = 9
    x[:, -1] = torch.tensor([5.0, 6.0, 7.0])
    assert x.tolist() == [[0, 0, 0, 5], [9, 9, 0, 6], [9, 9, 0, 7]]


def test_mask_selects_and_assigns_and_where_does_not_change_x():
    x = torch.tensor([[-2.0, 1.5, 0.0], [3.0, -0.5, 4.0]])
    assert x[x > 0].tolist() == [1.5, 3.0, 4.0]
    y = x.clone()
    y[y > 0] = 0
    assert (y <= 0).all()
    kept = torch.where(x > 0, x, 0.0)
    assert kept.tolist() == [[0.0, 1.5, 0.0], [3.0, 0.0, 4.0]]
    assert x[0, 1] == 1.5  # where returned a new tensor
    assert tensors.row_idx.tolist() == [0, 1, 1]
    assert tensors.col_idx.tolist() == [1, 0, 2]
    assert tensors.mask.dtype == torch.bool


def test_broadcasting_follows_the_rule():
    assert torch.broadcast_shapes((2, 1), (3,)) == (2, 3)
    assert torch.broadcast_shapes((3, 1), (1, 4)) == (3, 4)
    assert tensors.c.tolist() == [[10 * i + j for j in range(4)] for i in range(3)]
    column, row = tensors.stretched_a[:, 0], tensors.stretched_b[0]
    assert column.tolist() == [0, 10, 20]
    assert row.tolist() == [0, 1, 2, 3]
    for i in range(3):
        for j in range(4):
            assert tensors.c[i, j] == column[i] + row[j]
    with pytest.raises(RuntimeError, match="must match the size of tensor b"):
        torch.ones(2, 3) + torch.ones(2)
    assert torch.equal(torch.ones(2, 3) + torch.ones(2).unsqueeze(1), torch.full((2, 3), 2.0))


def test_broadcasting_figure_shows_the_stretched_operands():
    assert tensors.stretched_a.shape == tensors.stretched_b.shape == (3, 4)
    assert tensors.stretched_a.stride() == (1, 0)  # repeated, not copied
    assert tensors.stretched_b.stride() == (0, 1)


def test_shape_changes():
    x = torch.zeros(3)
    assert x.unsqueeze(0).shape == (1, 3)
    assert x[:, None].shape == (3, 1)
    assert torch.zeros(1, 3, 1).squeeze().shape == (3,)
    assert torch.zeros(1, 3, 1).squeeze(0).shape == (3, 1)
    y = torch.arange(24).reshape(2, 3, 4)
    p = y.permute(2, 0, 1)
    assert p.shape == (4, 2, 3)
    assert p[3, 1, 2] == y[1, 2, 3]
    assert tensors.batch.shape == (5, 3)
    assert torch.equal(tensors.batch[2], tensors.samples[2])
    assert torch.zeros(8, 1, 28, 28).flatten(start_dim=1).shape == (8, 784)


def test_stack_adds_a_dimension_and_cat_does_not():
    a, b = torch.zeros(2, 3), torch.ones(2, 3)
    assert torch.stack([a, b]).shape == (2, 2, 3)
    assert torch.cat([a, b]).shape == (4, 3)
    assert torch.equal(torch.stack([a, b])[1], b)


def test_reductions_with_dim_and_keepdim():
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert x.sum(dim=0).tolist() == [5.0, 7.0, 9.0]
    assert x.sum(dim=1).tolist() == [6.0, 15.0]
    assert x.sum(dim=1, keepdim=True).shape == (2, 1)
    assert torch.allclose(tensors.shares.sum(dim=1), torch.ones(2))
    assert torch.allclose(tensors.shares * tensors.row_sums, x)


def test_max_per_row_gives_values_and_indices():
    assert tensors.values.tolist() == pytest.approx([2.0, 3.1, 0.9])
    assert tensors.indices.tolist() == [1, 3, 2]
    scores = tensors.scores
    for row, index in enumerate(tensors.indices.tolist()):
        assert scores[row, index] == scores[row].max()
    assert scores.flatten()[scores.argmax()] == scores.max()


def test_type_promotion():
    i = torch.tensor([1, 2])
    f = torch.tensor([0.5, 0.5])
    d = f.double()
    assert (i + f).dtype == torch.float32
    assert (f + d).dtype == torch.float64
    assert (i + 0.5).dtype == torch.get_default_dtype()
    assert (i / 2).dtype == torch.float32
    assert (i // 2).dtype == torch.int64
    assert (f + torch.tensor(0.5, dtype=torch.float64)).dtype == torch.float32
    assert torch.result_type(i, 0.5) == torch.float32
    assert torch.result_type(f, d) == torch.float64


def test_which_operations_share_memory():
    row_0 = tensors.results["x[0]"]  # a view of the page's x
    sharing = {name for name, y in tensors.results.items() if tensors.same_memory(row_0, y)}
    assert sharing == {"x[0]", "x[:, 1:]", "x.view(3, 2)", "x.t()", "x[0].expand(4, 3)"}
    assert tensors.results["x.view(3, 2)"][1, 1] == 100  # the write through row 1 shows
    assert tensors.results["x.clone()"][1, 0] == 3  # the copy kept the old value
    x = torch.arange(6).view(2, 3)
    for view in (x[0], x[:, 1:], x.view(3, 2), x.t(), x[0].expand(4, 3), x.unsqueeze(0)):
        assert tensors.same_memory(x, view)
    for copy in (x[[0, 1]], x[x > 2], x.clone(), x + 0):
        assert not tensors.same_memory(x, copy)
    assert x[1].data_ptr() - x.data_ptr() == 3 * x.element_size()


def test_strides_and_offsets():
    x = torch.tensor([[10, 11, 12], [20, 21, 22]])
    t = x.t()
    assert x.stride() == (3, 1)
    assert t.stride() == (1, 3)
    flat = x.view(-1)
    for i in range(3):
        for j in range(2):
            assert flat[tensors.offset(t, i, j)] == t[i, j]
    assert x[0].expand(4, 3).stride() == (0, 1)


def test_contiguous_copies_only_when_needed():
    x = torch.tensor([[10, 11, 12], [20, 21, 22]])
    t = x.t()
    c = t.contiguous()
    assert c.is_contiguous()
    assert not tensors.same_memory(c, x)
    assert torch.equal(c, t)
    assert x.contiguous() is x
    assert tensors.flat.tolist() == [10, 20, 11, 21, 12, 22]


def test_exercise_1_selects_the_elements_above_the_mean():
    m = tensors.m
    assert (tensors.above > m.mean()).all()
    assert len(tensors.above) == (m > m.mean()).sum()
    assert len(tensors.above) == 11


def test_exercise_2_normalises_each_row():
    normed = tensors.normed
    assert normed.shape == (4, 6)
    assert torch.allclose(normed.mean(dim=1), torch.zeros(4), atol=1e-6)
    assert torch.allclose(normed.std(dim=1), torch.ones(4))
    first = tensors.data[0]
    assert torch.allclose(normed[0], (first - first.mean()) / first.std())


def test_exercise_3_permutes_channels_and_back():
    nhwc, nchw = tensors.nhwc, tensors.nchw
    assert nhwc.shape == (2, 4, 5, 3)
    assert nchw.shape == (2, 3, 4, 5)
    assert torch.equal(nchw[:, 0], nhwc[..., 0])  # channel 0 of every image
    assert torch.equal(tensors.restored, nhwc)


def test_exercise_4_argmax_equals_the_loop():
    logits = tensors.logits
    assert tensors.fast.tolist() == tensors.slow
    assert tensors.slow == [max(range(4), key=lambda j: row[j]) for row in logits.tolist()]
