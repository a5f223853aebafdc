"""Tensors: creating them, their attributes, the NumPy bridge, operations, views, dtypes."""

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

# --8<-- [start:cat]
import torch

a = torch.zeros(2, 3)
b = torch.ones(2, 3)
rows = torch.cat([a, b], dim=0)  # stack below: shape (4, 3)
cols = torch.cat([a, b], dim=1)  # stack beside: shape (2, 6)
print(rows.shape, cols.shape)
# --8<-- [end:cat]

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

# --8<-- [start:elementwise]
import torch

x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
z1 = x * x  # element-wise product, not a matrix product
z2 = x.mul(x)
print(z1)
print(torch.equal(z1, z2))
# --8<-- [end:elementwise]

# --8<-- [start:item]
import torch

x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
total = x.sum()  # still a tensor, with zero dimensions
value = total.item()  # a plain Python float
print(total, type(value), value)
# --8<-- [end:item]

# --8<-- [start:in-place]
import torch

x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
x.add_(5)  # the trailing underscore: x itself is changed
print(x)
x.t_()  # transposed in place
print(x)
# --8<-- [end:in-place]

# --8<-- [start:view-reshape]
import torch

x = torch.arange(6)
v = x.view(2, 3)  # same memory, new shape: no copy
v[0, 0] = 100
print(x)  # the change shows through the view

t = torch.arange(6).view(2, 3).t()  # a transpose only swaps strides
print(t.is_contiguous())
try:
    t.view(6)
except RuntimeError as err:
    print(f"view failed: {err}")
flat = t.reshape(6)  # reshape copies when it must
print(flat)
print(t.contiguous().view(6))  # or make it contiguous first
# --8<-- [end:view-reshape]

# --8<-- [start:dtypes]
import torch

x = torch.tensor([1, 2, 3])
print(x.dtype)
print(x.to(torch.float64).dtype)  # the general way
print(x.float().dtype)  # shorthand for .to(torch.float32)
print(x.type(torch.FloatTensor).dtype)  # legacy, from old code: prefer .to()
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
