"""Tensors: creating them, indexing, broadcasting, shapes, reductions, dtypes, views, NumPy."""

# --8<-- [start:from-data]
import torch

data = [[1, 2], [3, 4]]
x_data = torch.tensor(data)  # copies the data; the dtype is inferred (int64 here)
# --8<-- [end:from-data]

# --8<-- [start:from-numpy]
import numpy as np
import torch

np_array = np.array([[1, 2], [3, 4]])
x_np = torch.from_numpy(np_array)  # shares memory with np_array, keeps its dtype
# --8<-- [end:from-numpy]

# --8<-- [start:from-tensor]
import torch

x_data = torch.tensor([[1, 2], [3, 4]])
x_ones = torch.ones_like(x_data)  # same shape and dtype as x_data
x_rand = torch.rand_like(x_data, dtype=torch.float)  # same shape, dtype overridden
# --8<-- [end:from-tensor]

# --8<-- [start:from-shape]
import torch

torch.manual_seed(0)
shape = (2, 3)
rand_tensor = torch.rand(shape)
ones_tensor = torch.ones(shape)
zeros_tensor = torch.zeros(shape)
# --8<-- [end:from-shape]

# --8<-- [start:attributes]
import torch

tensor = torch.rand(3, 4)
print(f"Shape of tensor: {tensor.shape}")
print(f"Datatype of tensor: {tensor.dtype}")
print(f"Device tensor is stored on: {tensor.device}")
# --8<-- [end:attributes]

# --8<-- [start:dtype-device]
import torch

device = "cuda" if torch.cuda.is_available() else "cpu"
half = torch.zeros(2, 3, dtype=torch.float16, device=device)  # both chosen at creation
print(half.dtype, half.device.type == device)
print(torch.get_default_dtype())  # what rand, ones, zeros and decimal numbers give
print(half.dtype.is_floating_point, half.element_size(), "bytes per element")
print(torch.tensor([True, False]).dtype, torch.tensor([1, 2]).dtype)
# --8<-- [end:dtype-device]

# --8<-- [start:dtypes]
import torch

x = torch.tensor([1, 2, 3])
print(x.dtype)
print(x.to(torch.float64).dtype)  # the general way
print(x.float().dtype)  # shorthand for .to(torch.float32)
print(torch.tensor([1.7, -1.7]).to(torch.int64))  # float to int truncates toward zero
# --8<-- [end:dtypes]

# --8<-- [start:device]
import torch

device = "cuda" if torch.cuda.is_available() else "cpu"
x = torch.ones(2, 2)
x = x.to(device)  # returns a tensor on the device (x itself is not moved)
print(x.device.type == device)
back = x.cpu()  # NumPy needs a CPU tensor: x.cpu().numpy()
print(back.device)
# --8<-- [end:device]

# --8<-- [start:indexing]
import torch

x = torch.arange(12).reshape(3, 4)
print(x)
print(x[0])  # the first row
print(x[:, 1])  # the second column
print(x[1, 2])  # one element: still a tensor, with zero dimensions
print(x[-1])  # the last row
print(x[:, -2:])  # the last two columns
print(x[::2])  # every other row: a step of 2
print(x[[2, 0]])  # rows 2 and 0, in that order, picked with a list of indices
# --8<-- [end:indexing]

# --8<-- [start:ellipsis]
import torch

images = torch.zeros(8, 3, 32, 32)  # a batch of 8 RGB images: (N, C, H, W)
print(images[0].shape)  # the first image
print(images[:, 0].shape)  # the red channel of every image
print(images[..., 0].shape)  # ... stands for every dimension not written
print(images[..., :16, :16].shape)  # the top-left corner of every channel
# --8<-- [end:ellipsis]

# --8<-- [start:slice-assign]
import torch

x = torch.zeros(3, 4)
x[0] = 1  # a whole row
x[:, -1] = torch.tensor([5.0, 6.0, 7.0])  # the last column, from a tensor of matching shape
x[1:, :2] = 9  # a block
print(x)
# --8<-- [end:slice-assign]

# --8<-- [start:masks]
import torch

x = torch.tensor([[-2.0, 1.5, 0.0], [3.0, -0.5, 4.0]])
mask = x > 0  # a bool tensor of the same shape
print(mask)
print(x[mask])  # the selected elements, in row order, as a 1-D tensor
print(mask.sum().item(), "positive elements")  # True counts as 1
print(x[(x > -1) & (x < 2)])  # combine conditions with & | ~ (and parentheses)
x[x > 0] = 0  # assignment through a mask changes x in place
print(x)
# --8<-- [end:masks]

# --8<-- [start:where]
import torch

x = torch.tensor([[-2.0, 1.5, 0.0], [3.0, -0.5, 4.0]])
print(torch.where(x > 0, x, 0.0))  # x where the condition holds, 0.0 elsewhere
print(torch.where(x > 0, 1, -1))  # both branches can be numbers
print(x)  # torch.where builds a new tensor: x is unchanged
row_idx, col_idx = torch.where(x > 0)  # with only a condition: where it holds
print(row_idx, col_idx)
# --8<-- [end:where]

# --8<-- [start:elementwise]
import torch

x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
z1 = x * x  # element-wise product, not a matrix product
z2 = x.mul(x)
print(z1)
print(torch.equal(z1, z2))
# --8<-- [end:elementwise]

# --8<-- [start:matmul]
import torch

x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
y1 = x @ x.T  # matrix product with the transpose
y2 = x.matmul(x.T)  # the same, as a method
y3 = torch.empty(2, 2)
torch.matmul(x, x.T, out=y3)  # the same, written into an existing tensor
print(y1)
print(torch.equal(y1, y2), torch.equal(y1, y3))
# --8<-- [end:matmul]

# --8<-- [start:in-place]
import torch

x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
x.add_(5)  # the trailing underscore: x itself is changed
print(x)
x.t_()  # transposed in place
print(x)
# --8<-- [end:in-place]

# --8<-- [start:broadcasting]
import torch

m = torch.ones(2, 3)
print(m + 10)  # a number is used for every element
row = torch.tensor([0.0, 10.0, 20.0])  # shape (3,), read as (1, 3)
print(m + row)  # added to each row
col = torch.tensor([[0.0], [100.0]])  # shape (2, 1)
print(m + col)  # added to each column
print(torch.broadcast_shapes((2, 1), (3,)))  # the result shape, from the shapes alone
# --8<-- [end:broadcasting]

# --8<-- [start:broadcast-figure]
import matplotlib.pyplot as plt
import torch

a = torch.tensor([[0], [10], [20]])  # shape (3, 1): a column
b = torch.tensor([[0, 1, 2, 3]])  # shape (1, 4): a row
c = a + b
print(a.shape, "+", b.shape, "->", c.shape)
print(c)


def draw_grid(ax, labels, colors, title):
    """Draw a grid of cells, row by row: labels[i][j] written on colors[i][j]."""
    for i, row in enumerate(labels):
        for j, label in enumerate(row):
            ax.add_patch(plt.Rectangle((j, -i - 1), 1, 1, facecolor=colors[i][j], edgecolor="k"))
            ax.text(j + 0.5, -i - 0.5, str(label), ha="center", va="center", fontsize=9)
    ax.set_xlim(0, len(labels[0]))
    ax.set_ylim(-len(labels), 0)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=9)


stretched_a, stretched_b = torch.broadcast_tensors(a, b)  # what the addition reads
dark, light = "#8fb3de", "#e8eef7"  # the tensor's own cells, and the repeated ones
fig, axes = plt.subplots(1, 3, figsize=(7, 2.2))
a_colors = [[dark if j == 0 else light for j in range(4)] for i in range(3)]
b_colors = [[dark if i == 0 else light for j in range(4)] for i in range(3)]
draw_grid(axes[0], stretched_a.tolist(), a_colors, "a: (3, 1)\nrepeated along dim 1")
draw_grid(axes[1], stretched_b.tolist(), b_colors, "b: (1, 4)\nrepeated along dim 0")
draw_grid(axes[2], c.tolist(), [[dark] * 4] * 3, "a + b: (3, 4)")
for ax, sign in [(axes[1], "+"), (axes[2], "=")]:
    ax.text(-0.1, 0.5, sign, transform=ax.transAxes, fontsize=16, ha="center", va="center")
# --8<-- [end:broadcast-figure]

# --8<-- [start:broadcast-fails]
import torch

m = torch.ones(2, 3)
v = torch.ones(2)  # one value per ROW: shape (2,)
try:
    m + v  # trailing dimensions 3 and 2: neither is 1
except RuntimeError as err:
    print(f"RuntimeError: {err}")
print((m + v.unsqueeze(1)).shape)  # (2, 3) + (2, 1): now each pair fits
# --8<-- [end:broadcast-fails]

# --8<-- [start:unsqueeze-squeeze]
import torch

x = torch.tensor([1.0, 2.0, 3.0])
print(x.shape, "->", x.unsqueeze(0).shape)  # a new dimension of size 1 in front
print(x.shape, "->", x.unsqueeze(1).shape)  # or at the end
print(x.shape, "->", x[None, :].shape, x[:, None].shape)  # the same, by indexing with None

y = torch.zeros(1, 3, 1)
print(y.shape, "->", y.squeeze().shape)  # every dimension of size 1 removed
print(y.shape, "->", y.squeeze(0).shape)  # only dimension 0
# --8<-- [end:unsqueeze-squeeze]

# --8<-- [start:permute]
import torch

x = torch.zeros(2, 3, 4)
print(x.shape, "->", x.permute(2, 0, 1).shape)  # new order: old dims 2, 0, 1
print(x.shape, "->", x.transpose(0, 1).shape)  # swap two dimensions
m = torch.zeros(3, 5)
print(m.shape, "->", m.T.shape)  # .T transposes a matrix
# --8<-- [end:permute]

# --8<-- [start:cat]
import torch

a = torch.zeros(2, 3)
b = torch.ones(2, 3)
rows = torch.cat([a, b], dim=0)  # stack below: shape (4, 3)
cols = torch.cat([a, b], dim=1)  # stack beside: shape (2, 6)
print(rows.shape, cols.shape)
# --8<-- [end:cat]

# --8<-- [start:stack]
import torch

a = torch.zeros(2, 3)
b = torch.ones(2, 3)
print(torch.stack([a, b]).shape)  # a new dimension 0: two (2, 3) tensors -> (2, 2, 3)
print(torch.stack([a, b], dim=2).shape)  # the new dimension can go anywhere
samples = [torch.rand(3) for _ in range(5)]  # five samples of 3 features
batch = torch.stack(samples)  # what a DataLoader does to make a batch
print(batch.shape)
# --8<-- [end:stack]

# --8<-- [start:flatten]
import torch

x = torch.zeros(8, 1, 28, 28)  # a batch of 8 grey 28x28 images
print(x.shape, "->", x.flatten().shape)  # everything in one dimension
print(x.shape, "->", x.flatten(start_dim=1).shape)  # one vector per image, batch kept
# --8<-- [end:flatten]

# --8<-- [start:reshape-view]
import torch

x = torch.arange(6)
print(x.shape, "->", x.view(2, 3).shape)
print(x.shape, "->", x.reshape(3, 2).shape)
print(x.shape, "->", x.view(-1, 2).shape)  # -1: the size that makes the count fit
v = x.view(2, 3)  # same memory, new shape: no copy
v[0, 0] = 100
print(x)  # the change shows through the view
# --8<-- [end:reshape-view]

# --8<-- [start:reductions]
import torch

x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
print(x.sum())  # every element: a tensor with zero dimensions
print(x.sum(dim=0))  # dim 0 disappears: one sum per column, shape (3,)
print(x.sum(dim=1))  # dim 1 disappears: one sum per row, shape (2,)
print(x.sum(dim=1, keepdim=True))  # dim 1 kept with size 1: shape (2, 1)
print(x.mean(dim=0), x.amax(dim=1))  # mean, std, amax, amin, prod... take dim too
# --8<-- [end:reductions]

# --8<-- [start:keepdim]
import torch

x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
row_sums = x.sum(dim=1, keepdim=True)  # (2, 1) broadcasts against (2, 3)
shares = x / row_sums  # each element divided by the sum of its row
print(shares)
print(shares.sum(dim=1))
# --8<-- [end:keepdim]

# --8<-- [start:max-argmax]
import torch

scores = torch.tensor([[0.1, 2.0, -1.0, 0.5], [1.5, 0.2, 0.3, 3.1], [0.0, -0.3, 0.9, 0.8]])
values, indices = scores.max(dim=1)  # per row: the largest value and its column
print(values)
print(indices)
print(scores.argmax(dim=1))  # only the indices: the predicted class of each row
print(scores.max(), scores.argmax())  # no dim: over all elements (index into the flat tensor)
# --8<-- [end:max-argmax]

# --8<-- [start:item]
import torch

x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
total = x.sum()  # still a tensor, with zero dimensions
value = total.item()  # a plain Python float
print(total, type(value), value)
# --8<-- [end:item]

# --8<-- [start:promotion]
import torch

i = torch.tensor([1, 2, 3])  # int64
f = torch.tensor([0.5, 0.5, 0.5])  # float32
d = torch.tensor([0.5, 0.5, 0.5], dtype=torch.float64)
print((i + f).dtype)  # int and float: float
print((f + d).dtype)  # two floats: the wider one
print((i + 0.5).dtype)  # int tensor and Python float: the default float dtype
print((i * 2).dtype, (i / 2).dtype, (i // 2).dtype)  # / always divides as floats
print((f + torch.tensor(0.5, dtype=torch.float64)).dtype)  # a 0-dim float64 leaves float32
print(torch.result_type(i, 0.5), torch.result_type(f, d))  # the dtype an operation will give
# --8<-- [end:promotion]

# --8<-- [start:views]
import torch


def same_memory(a, b):
    """True when two tensors read the same block of memory (the same storage)."""
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


x = torch.arange(6).view(2, 3)
results = {
    "x[0]": x[0],
    "x[:, 1:]": x[:, 1:],
    "x.view(3, 2)": x.view(3, 2),
    "x.t()": x.t(),
    "x[0].expand(4, 3)": x[0].expand(4, 3),
    "x[[0, 1]]": x[[0, 1]],
    "x[x > 2]": x[x > 2],
    "x.clone()": x.clone(),
}
for name, y in results.items():
    print(f"{name:<18} shares memory: {same_memory(x, y)!s:<5}  contiguous: {y.is_contiguous()}")

row = x[1]
row[0] = 100  # writing through a view writes x
print(x)
print(row.data_ptr() - x.data_ptr(), "bytes: where row 1 starts in x's memory")
# --8<-- [end:views]

# --8<-- [start:strides-figure]
import matplotlib.pyplot as plt
import torch

x = torch.tensor([[10, 11, 12], [20, 21, 22]])
t = x.t()  # no data moves: only the strides are swapped
print(x.shape, x.stride(), x.is_contiguous())
print(t.shape, t.stride(), t.is_contiguous())
print(x[0].expand(4, 3).stride())  # expand repeats with a stride of 0


def offset(tensor, i, j):
    """Where element [i, j] is in memory: i steps of stride(0) and j steps of stride(1)."""
    return i * tensor.stride(0) + j * tensor.stride(1)


print(offset(x, 1, 2), offset(t, 2, 1))  # x[1, 2] and t[2, 1] are the same cell

memory = x.view(-1)  # x is contiguous: its memory, in order
cell_colors = plt.cm.Pastel1(range(6))  # one color per memory cell
fig, axes = plt.subplot_mosaic(
    [["memory", "memory"], ["x", "t"]], figsize=(6, 3.4), height_ratios=[1, 2.2]
)
draw_grid(axes["memory"], [memory.tolist()], [cell_colors], "memory: 6 cells, one after another")
for k in range(6):
    axes["memory"].text(k + 0.5, -0.85, f"offset {k}", ha="center", va="center", fontsize=7)
for key, name, tensor in [("x", "x", x), ("t", "x.t()", t)]:
    n_rows, n_cols = tensor.shape
    colors = [[cell_colors[offset(tensor, i, j)] for j in range(n_cols)] for i in range(n_rows)]
    title = f"{name}: shape {tuple(tensor.shape)}, stride {tensor.stride()}"
    draw_grid(axes[key], tensor.tolist(), colors, title)
# --8<-- [end:strides-figure]

# --8<-- [start:contiguous]
import torch

x = torch.tensor([[10, 11, 12], [20, 21, 22]])
t = x.t()
flat = t.reshape(6)  # t's elements in t's order are not in memory order: reshape copies
print(flat, same_memory(flat, x))
t_copy = t.contiguous()  # an explicit copy, laid out in t's order
print(t_copy.stride(), t_copy.is_contiguous(), same_memory(t_copy, x))
print(t_copy.view(6))  # a contiguous tensor can be viewed with any shape of the same size
print(x.contiguous() is x)  # already contiguous: no copy, the same tensor
# --8<-- [end:contiguous]

# --8<-- [start:numpy-bridge]
import numpy as np
import torch

t = torch.ones(5)
n = t.numpy()  # a view of the same memory, not a copy
t.add_(1)  # change the tensor in place ...
print(f"t: {t}")
print(f"n: {n}")  # ... and the array changed too

n = np.ones(5)
t = torch.from_numpy(n)
np.add(n, 1, out=n)  # change the array in place ...
print(f"t: {t}")  # ... and the tensor changed too
# --8<-- [end:numpy-bridge]

# --8<-- [start:numpy-copies]
import numpy as np
import torch

n = np.ones(3)
copied = torch.tensor(n)  # torch.tensor always copies
shared = torch.as_tensor(n)  # as_tensor shares when it can, like from_numpy
n[0] = 7
print(f"copied: {copied}")
print(f"shared: {shared}")

t = torch.ones(3)
n = t.numpy()
t = t + 1  # not in place: a new tensor, so n keeps the old values
print(f"t: {t}, n: {n}")
# --8<-- [end:numpy-copies]

# --8<-- [start:exercise-1]
import torch

torch.manual_seed(0)
m = torch.randint(0, 10, (4, 5)).float()
above = m[m > m.mean()]
print(f"mean {m.mean().item():.2f}: {len(above)} elements above it")
print(above)

mean = m.mean().item()
assert above.tolist() == [v for v in m.flatten().tolist() if v > mean]  # the same, by a loop
# --8<-- [end:exercise-1]

# --8<-- [start:exercise-2]
import torch

torch.manual_seed(0)
data = torch.rand(4, 6) * 10
mean = data.mean(dim=1, keepdim=True)  # (4, 1)
std = data.std(dim=1, keepdim=True)  # (4, 1)
normed = (data - mean) / std  # (4, 6) with (4, 1): each row uses its own mean and std
print(mean.shape, normed.shape)
print(normed.mean(dim=1).abs().max().item() < 1e-6, normed.std(dim=1).round(decimals=4))

assert normed.shape == data.shape
assert torch.allclose(normed.mean(dim=1), torch.zeros(4), atol=1e-6)
assert torch.allclose(normed.std(dim=1), torch.ones(4))
# --8<-- [end:exercise-2]

# --8<-- [start:exercise-3]
import torch

nhwc = torch.rand(2, 4, 5, 3)  # (N, H, W, C), as image libraries store them
nchw = nhwc.permute(0, 3, 1, 2)  # (N, C, H, W), as nn.Conv2d wants them
restored = nchw.permute(0, 2, 3, 1)  # and back to (N, H, W, C)
print(nhwc.shape, "->", nchw.shape, "->", restored.shape)

assert nchw.shape == (2, 3, 4, 5)
assert nchw[1, 2, 3, 4] == nhwc[1, 3, 4, 2]  # pixel (3, 4), channel 2, of image 1
assert torch.equal(restored, nhwc)
# --8<-- [end:exercise-3]

# --8<-- [start:exercise-4]
import torch

torch.manual_seed(0)
logits = torch.randn(5, 4)
fast = logits.argmax(dim=1)

slow = []
for row in logits.tolist():
    best = 0
    for j, score in enumerate(row):
        if score > row[best]:
            best = j
    slow.append(best)
print(fast, slow)

assert fast.tolist() == slow
# --8<-- [end:exercise-4]
