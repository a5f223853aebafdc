"""Common mistakes and error messages: each mistake run as it is commonly written, then fixed."""


# --8<-- [start:run-code]
def run_code(source, namespace=None):
    """Run code given as a string, as a fresh script would; print how it ends."""
    namespace = {} if namespace is None else namespace
    try:
        exec(compile(source, "<pasted>", "exec"), namespace)
    except Exception as err:
        print(f"{type(err).__name__}: {err}")
    else:
        print("runs without error")
    return namespace


# --8<-- [end:run-code]

# --8<-- [start:setup-is-available]
import torch

try:
    torch.cuda._is_available()
except AttributeError as err:
    print(f"{type(err).__name__}: {err}")

device = "cuda" if torch.cuda.is_available() else "cpu"
original_tensor = torch.ones(2)
gpu_tensor = original_tensor.to(device)  # on the GPU when there is one, else on the CPU
print(gpu_tensor.device.type == device)
# --8<-- [end:setup-is-available]

# --8<-- [start:setup-gpu-string]
import torch
from torch import nn

model = nn.Linear(4, 2)
try:
    model.to("gpu")
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
model.to(device)  # a module is moved in place; a tensor's .to() returns the moved tensor
inputs, labels = torch.ones(3, 4).to(device), torch.zeros(3).to(device)
print(model(inputs).device.type == device.type)
# --8<-- [end:setup-gpu-string]

# --8<-- [start:setup-same-device]
import torch
from torch import nn

model = nn.Linear(4, 2).to("meta")  # stands for .to("cuda"): the model is moved ...
inputs = torch.ones(3, 4)  # ... and the data, created on the CPU, is not
try:
    model(inputs)
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")
# --8<-- [end:setup-same-device]

# --8<-- [start:setup-same-device-fixed]
import torch
from torch import nn

device = "cuda" if torch.cuda.is_available() else "cpu"
model = nn.Linear(4, 2).to(device)
inputs = torch.ones(3, 4).to(device)  # the data goes where the model is
print(model(inputs).device.type == device)

model_device = next(model.parameters()).device  # where a model is, when you did not move it
print(model(torch.ones(3, 4).to(model_device)).shape)
# --8<-- [end:setup-same-device-fixed]

# --8<-- [start:setup-magic]
run_code("%matplotlib inline")
# --8<-- [end:setup-magic]

# --8<-- [start:tensors-view]
import torch

weights = torch.arange(6).view(2, 3).t()  # transposed: no longer contiguous in memory
print(weights.reshape(2, 3).shape)
try:
    weights.view(2, 3)
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")
# --8<-- [end:tensors-view]

# --8<-- [start:tensors-name]
run_code(
    "import torch\nnew_tensor = torch.cat([tensor, tensor], dim=1)  # join along the columns\n"
)
# --8<-- [end:tensors-name]

# --8<-- [start:tensors-name-fixed]
import torch

tensor = torch.ones(4, 4)  # the tensor the example works on, defined first
tensor[:, 1] = 0
new_tensor = torch.cat([tensor, tensor], dim=1)
print(new_tensor.shape)
# --8<-- [end:tensors-name-fixed]

# --8<-- [start:tensors-from-numpy]
import numpy as np
import torch

a = np.random.rand(4, 3)
try:
    b = torch.from_numpy(4)
except TypeError as err:
    print(f"{type(err).__name__}: {err}")

b = torch.from_numpy(a)  # torch tensor, sharing a's memory
c = b.numpy()  # numpy array, the same memory again
print(b.dtype, np.shares_memory(a, c))
print(np.shares_memory(a, torch.tensor(a).numpy()))  # torch.tensor copies
# --8<-- [end:tensors-from-numpy]

# --8<-- [start:tensors-assert]
run_code("assert y1 = y2 = y3")
# --8<-- [end:tensors-assert]

# --8<-- [start:tensors-assert-fixed]
import torch

tensor = torch.ones(4, 4)
tensor[:, 1] = 0
y1 = tensor @ tensor.T
y2 = tensor.matmul(tensor.T)
y3 = torch.rand_like(tensor)
torch.matmul(tensor, tensor.T, out=y3)
assert torch.equal(y1, y2)
assert torch.equal(y1, y3)
try:
    assert y1 == y2
except RuntimeError as err:  # == compares element by element: 16 booleans, not one
    print(f"{type(err).__name__}: {err}")
# --8<-- [end:tensors-assert-fixed]

# --8<-- [start:tensors-item]
import torch

tensor = torch.ones(4, 4)
sum_of_values = tensor.sum()
print(sum_of_values.dtype, type(sum_of_values.item()))
counts = torch.tensor([1, 2, 3]).sum()
print(counts.dtype, type(counts.item()))
print(type(torch.tensor(True).item()))
# --8<-- [end:tensors-item]

# --8<-- [start:tensors-type]
import torch

x = torch.ones(2, device="meta")  # the meta device: shapes and dtypes, but no data
print(x.float().device, x.to(torch.float64).device)  # both keep the device
try:
    x.type(torch.FloatTensor)  # a CPU type: it must copy the data to the CPU
except NotImplementedError as err:
    print(f"{type(err).__name__}: {err}")
# --8<-- [end:tensors-type]

# --8<-- [start:tensors-dtype]
import numpy as np
import torch
from torch import nn

torch.manual_seed(0)
layer = nn.Linear(3, 2)
features = np.random.default_rng(0).random((4, 3))  # NumPy's default dtype: float64
x = torch.from_numpy(features)
print(x.dtype, layer.weight.dtype)
try:
    layer(x)
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")
# --8<-- [end:tensors-dtype]

# --8<-- [start:tensors-dtype-fixed]
import torch

x = torch.from_numpy(features).float()  # or torch.tensor(features, dtype=torch.float32)
output = layer(x)
print(x.dtype, output.dtype, output.shape)
# --8<-- [end:tensors-dtype-fixed]

# --8<-- [start:autograd-zeroes]
import torch

try:
    x = torch.zeroes(1, requires_grad=True)
except AttributeError as err:
    print(f"{type(err).__name__}: {err}")

x = torch.zeros(1, requires_grad=True)
print(x)
# --8<-- [end:autograd-zeroes]

# --8<-- [start:autograd-one-line]
run_code(
    "x = torch.zeroes(1, requires_grad=False)# ORwith torch.no_grad():  # useful when doing "
    "inference to speed up    y = x*2# OR disable globallytorch.set_grad_enabled(False)# If you "
    "want to change after creationx.requires_grad_(True)",
    {"torch": torch},
)
# --8<-- [end:autograd-one-line]

# --8<-- [start:autograd-one-line-fixed]
import torch

x = torch.zeros(1, requires_grad=False)
with torch.no_grad():  # useful when doing inference, to speed it up
    y = x * 2
torch.set_grad_enabled(False)  # off everywhere, until it is switched back on
z = torch.ones(1, requires_grad=True) * 2
print(z.requires_grad)
torch.set_grad_enabled(True)  # switch it back on, or nothing will train
x.requires_grad_(True)  # to change it after creation
print((x * 2).requires_grad)
# --8<-- [end:autograd-one-line-fixed]

# --8<-- [start:autograd-backwards]
import torch

w = torch.ones(2, requires_grad=True)
loss = (3 * w).sum()
try:
    loss.backwards()
except AttributeError as err:
    print(f"{type(err).__name__}: {err}")

loss.backward()
print(w.grad)
# --8<-- [end:autograd-backwards]

# --8<-- [start:autograd-no-grad-vs-frozen]
import torch
from torch import nn

torch.manual_seed(0)
layer = nn.Linear(3, 1)
x = torch.ones(1, 3, requires_grad=True)  # stands for the output of earlier layers

with torch.no_grad():
    out = layer(x)
print("no_grad:", out.requires_grad, layer.weight.requires_grad)

layer.requires_grad_(False)  # freeze the layer: its parameters stop asking for gradients
out = layer(x)
out.sum().backward()
print("frozen: ", out.requires_grad, layer.weight.grad, x.grad)
# --8<-- [end:autograd-no-grad-vs-frozen]

# --8<-- [start:autograd-requires-grad-comments]
import torch

x = torch.ones(5)
w = torch.randn(5, 3, requires_grad=True)
b = torch.randn(3, requires_grad=True)
with torch.no_grad():
    z = torch.matmul(x, w) + b
print(z.requires_grad)  # often said to be True

z = torch.matmul(x, w) + b
z_det = z.detach()
print(z.requires_grad, z_det.requires_grad)  # z_det.requires_grad is often said to be True
# --8<-- [end:autograd-requires-grad-comments]

# --8<-- [start:autograd-backward-twice]
import torch

w = torch.tensor([1.0, 2.0], requires_grad=True)
loss = (w * w).sum()  # the forward pass, run once, before the loop
for step in range(2):
    try:
        loss.backward()  # the second call needs the graph the first one freed
        print(step, w.grad)
    except RuntimeError as err:
        print(f"{type(err).__name__}: {err}")
# --8<-- [end:autograd-backward-twice]

# --8<-- [start:autograd-backward-twice-fixed]
import torch

w = torch.tensor([1.0, 2.0], requires_grad=True)
for step in range(2):
    w.grad = None  # what optimizer.zero_grad() does
    loss = (w * w).sum()  # a new forward pass records a new graph
    loss.backward()
    print(step, w.grad)


def forward(w, square):
    return w * w if square else w.exp()  # ordinary Python control flow


print(forward(w, True).grad_fn.name(), forward(w, False).grad_fn.name())
# --8<-- [end:autograd-backward-twice-fixed]

# --8<-- [start:autograd-scalar]
import torch

x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
z = x * 2
try:
    z.backward()
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")

tns = torch.ones_like(z)  # the starting gradient: one value per element of z
z.backward(tns)
print(x.grad)
# --8<-- [end:autograd-scalar]

# --8<-- [start:autograd-hook-name]
run_code(
    "def fn(grad):\n"
    "    print(grad)\n"
    "    return grad + 2  # if you return nothing, the gradient is left as it is\n"
    "\n"
    "c.register_hook(fn)\n"
)
# --8<-- [end:autograd-hook-name]

# --8<-- [start:autograd-hooks]
import torch

a = torch.tensor(2.0, requires_grad=True)
c = a * 3  # the tensor whose gradient the hooks see
c.register_hook(lambda grad: print("first hook:", grad))  # returns None: grad unchanged
c.register_hook(lambda grad: grad + 2)  # returns a tensor: it replaces the gradient
c.register_hook(lambda grad: print("third hook:", grad))
c.backward()
print(a.grad)  # (1 + 2) * 3
# --8<-- [end:autograd-hooks]

# --8<-- [start:autograd-leaf-in-place]
import torch

w = torch.tensor([1.0, 2.0], requires_grad=True)
(w * w).sum().backward()
try:
    w -= 0.1 * w.grad  # a hand-written update step
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")
# --8<-- [end:autograd-leaf-in-place]

# --8<-- [start:autograd-leaf-in-place-fixed]
import torch

with torch.no_grad():  # an update is not part of the model: do not record it
    w -= 0.1 * w.grad
w.grad = None  # and clear the gradient before the next backward pass
print(w)
# --8<-- [end:autograd-leaf-in-place-fixed]

# --8<-- [start:autograd-data]
import torch

w = torch.tensor([3.0], requires_grad=True)
loss = (w * w).sum()  # d(loss)/dw = 2 * w = 6 for the w of this forward pass
w.data.mul_(10)  # changes w behind autograd's back
loss.backward()
print(w.grad)  # 2 * 30: silently wrong

w = torch.tensor([3.0], requires_grad=True)
loss = (w * w).sum()
with torch.no_grad():
    w.mul_(10)  # the same change, but autograd sees it
try:
    loss.backward()
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")
# --8<-- [end:autograd-data]

# --8<-- [start:autograd-data-fixed]
import torch
from torch import nn

torch.manual_seed(0)
net = nn.Linear(2, 1)
net(torch.ones(4, 2)).pow(2).mean().backward()
before = net.weight.detach().clone()

learning_rate = 0.01
with torch.no_grad():  # an update is not part of the model: do not record it
    for f in net.parameters():
        f.sub_(f.grad * learning_rate)
print(torch.allclose(net.weight, before - learning_rate * net.weight.grad))
# --8<-- [end:autograd-data-fixed]

# --8<-- [start:autograd-numpy]
import torch
from torch import nn

torch.manual_seed(0)
model = nn.Linear(3, 1)
prediction = model(torch.ones(2, 3))
try:
    prediction.numpy()
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")
# --8<-- [end:autograd-numpy]

# --8<-- [start:autograd-numpy-fixed]
import torch

array = prediction.detach().cpu().numpy()  # .cpu() is needed too when it is on a GPU
print(type(array).__name__, array.shape)

with torch.no_grad():  # predictions only: no graph, nothing to detach
    array = model(torch.ones(2, 3)).numpy()
print(array.dtype, array.shape)
# --8<-- [end:autograd-numpy-fixed]

# --8<-- [start:models-shape-mismatch]
import torch
from torch import nn

model = nn.Sequential(
    nn.Linear(20, 64),
    nn.ReLU(),
    nn.Linear(32, 10),  # expects 32 features, but the layer before gives 64
)
x = torch.rand(8, 20)  # a batch of 8 samples of 20 features each
try:
    model(x)
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")
# --8<-- [end:models-shape-mismatch]

# --8<-- [start:models-shape-mismatch-fixed]
import torch
from torch import nn

model[2] = nn.Linear(64, 10)  # in_features = out_features of the layer before
h = x
for layer in model:  # follow the shapes through the layers
    h = layer(h)
    print(f"{type(layer).__name__:6} -> {tuple(h.shape)}")
# --8<-- [end:models-shape-mismatch-fixed]

# --8<-- [start:models-nn-name]
run_code(
    "import torch\n"
    "\n"
    "class Net(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.fc = nn.Linear(512, 10)\n"
)
# --8<-- [end:models-nn-name]

# --8<-- [start:models-nn-name-fixed]
import torch
from torch import nn  # or: import torch.nn as nn

print(type(nn).__name__, nn.__name__)  # a module (a package of layers), not a class


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(512, 10)

    def forward(self, x):
        return self.fc(x)


print(Net()(torch.ones(1, 512)).shape)
# --8<-- [end:models-nn-name-fixed]

# --8<-- [start:models-relu]
import torch
from torch import nn

torch.manual_seed(0)
relu_stack = nn.Sequential(
    nn.Flatten(),
    nn.Linear(28 * 28, 512),
    nn.ReLU(),
    nn.Linear(512, 512),
    nn.ReLU(),
    nn.Linear(512, 10),
    nn.ReLU(),  # the bug: a ReLU after the logits
)
X = torch.rand(8, 28, 28)
logits = relu_stack(X)
print("smallest logit:", logits.min().item())
print("logits clamped to 0:", (logits == 0).sum().item(), "of", logits.numel())
loss = nn.CrossEntropyLoss()(logits, torch.randint(0, 10, (8,)))
loss.backward()
print("output units with no gradient:", (relu_stack[5].bias.grad == 0).sum().item(), "of 10")

fixed_stack = relu_stack[:-1]  # the same layers without the last ReLU
print("smallest logit without it:", round(fixed_stack(X).min().item(), 4))
# --8<-- [end:models-relu]

# --8<-- [start:models-call]
import torch
from torch import nn

model = nn.Linear(784, 10)
run_code("x = torch.rand(1, 784)\nlogits = model(X)", {"torch": torch, "model": model})

calls = []
model.register_forward_hook(lambda module, args, output: calls.append("hook"))
x = torch.rand(1, 784)
logits = model(x)  # __call__: runs the hooks and forward
print(calls)
logits = model.forward(x)  # forward alone: the hook is skipped
print(calls)
print(model.weight.grad)  # nothing called backward
# --8<-- [end:models-call]

# --8<-- [start:models-unbatched]
import torch
from torch import nn

print(nn.Conv2d(3, 6, 5)(torch.rand(3, 32, 32)).shape)  # one image, no batch dimension
print(nn.Linear(4, 2)(torch.rand(4)).shape)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        x = torch.flatten(x, 1)  # flatten all dimensions except batch: assumes a batch
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.fc3(x)


net = Net()
image = torch.rand(3, 32, 32)
try:
    net(image)
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")
print(net(image.unsqueeze(0)).shape)  # a batch of one image
# --8<-- [end:models-unbatched]

# --8<-- [start:models-channels]
import torch
from torch import nn

rgb_conv = nn.Conv2d(3, 6, kernel_size=5)  # written for colour images: 3 channels in
grey_images = torch.rand(8, 1, 32, 32)  # a batch of greyscale images: 1 channel
try:
    rgb_conv(grey_images)
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")
# --8<-- [end:models-channels]

# --8<-- [start:models-channels-fixed]
import torch
from torch import nn

print(nn.Conv2d(1, 6, kernel_size=5)(grey_images).shape)  # a first layer for 1 channel
print(rgb_conv(grey_images.expand(-1, 3, -1, -1)).shape)  # or the grey channel, 3 times
# --8<-- [end:models-channels-fixed]

# --8<-- [start:models-init-forward]
import torch
from torch import nn


class NoForward(nn.Module):
    pass


class NoInit(nn.Module):  # nothing to register, so no __init__ is needed
    def forward(self, x):
        return 2 * x


class NoSuper(nn.Module):
    def __init__(self):
        self.linear = nn.Linear(2, 2)  # super().__init__() forgotten


try:
    NoForward()(torch.ones(1))
except NotImplementedError as err:
    print(f"{type(err).__name__}: {err}")
print(NoInit()(torch.ones(1)))
try:
    NoSuper()
except AttributeError as err:
    print(f"{type(err).__name__}: {err}")
# --8<-- [end:models-init-forward]

# --8<-- [start:models-registration]
from torch import nn


class Stack(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = nn.Sequential(nn.Linear(2, 2))  # a submodule: its parameters count
        self.hidden = [nn.Linear(2, 2)]  # a plain list: invisible to the module
        self.layers = nn.ModuleList([nn.Linear(2, 2)])  # a list that registers


print([name for name, _ in Stack().named_parameters()])
# --8<-- [end:models-registration]

# --8<-- [start:models-one-line]
pasted = {
    "a class": (
        "class Network(nn.Module):    def __init__(self):        super().__init__()        "
        "# Inputs to hidden layer linear transformation        self.hidden = nn.Linear(784, 256)"
        "        # Output layer, 10 units - one for each digit        self.output = "
        "nn.Linear(256, 10)        # Define sigmoid activation and softmax output         "
        "self.sigmoid = nn.Sigmoid()        self.softmax = nn.Softmax(dim=1)    def forward(self,"
        " x):        # Pass the input tensor through each of our operations        x = "
        "self.hidden(x)        x = self.sigmoid(x)        x = self.output(x)        x = "
        "self.softmax(x)        return x"
    ),
    "an import and a class": (
        "import torch.nn.functional as Fclass Network(nn.Module):    def __init__(self):        "
        "super().__init__()        # Inputs to hidden layer linear transformation        "
        "self.fc1 = nn.Linear(784, 256)        self.fc2 = ...        # Output layer, 10 units - "
        "one for each digit        self.output = nn.Linear(256, 10)    def forward(self, x):     "
        "   # Hidden layer with sigmoid activation        x = F.sigmoid(self.fc1(x))        x = "
        "F.relu(self.fc2(x))        ...        # Output layer with softmax activation        x = "
        "F.softmax(self.output(x), dim=1)        return x"
    ),
    "assignments": (
        "input_size = 784hidden_sizes = [128, 64]output_size = 10from collections import "
        "OrderedDictmodel = nn.Sequential(OrderedDict([                      ('fc1', "
        "nn.Linear(input_size, hidden_sizes[0])),                      ('relu1', nn.ReLU()),"
        "                      ('fc2', nn.Linear(hidden_sizes[0], hidden_sizes[1])),          "
        "            ('relu2', nn.ReLU()),                      ('output', "
        "nn.Linear(hidden_sizes[1], output_size)),                      ('softmax', "
        "nn.Softmax(dim=1))]))"
    ),
    "a parenthesis in a comment": (
        "nn_seq_modules = nn.Sequential(\n"
        "                    flatten,\n"
        "                    layer1,\n"
        "                    relu_activation,\n"
        "                    layer2,\n"
        "                    relu_activation,\n"
        "                    nn.Linear(512, 10), # the output                )\n"
        "input_image = torch.rand(3, 28, 28)\n"
        "logits =  nn_seq_modules(input_image)\n"
    ),
    "from instead of for": (
        "from name, param in model.named_parameters():\n"
        '    print(f"Layer: {name} | Size: {param.size()}"\n'
    ),
}
for what, source in pasted.items():
    print(what, end=": ")
    run_code(source)
# --8<-- [end:models-one-line]

# --8<-- [start:models-network-fixed]
import warnings

import torch
import torch.nn.functional as F
from torch import nn


class Network(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 256)  # inputs to the first hidden layer
        self.fc2 = nn.Linear(256, 128)
        self.output = nn.Linear(128, 10)  # 10 units, one for each digit

    def forward(self, x):
        x = torch.sigmoid(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.output(x)  # logits: nn.CrossEntropyLoss applies the softmax itself


print(Network()(torch.rand(2, 784)).shape)

t = torch.linspace(-3, 3, 7)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    same = torch.equal(F.sigmoid(t), torch.sigmoid(t))
print(same, len(caught))  # the same function, and no warning on this torch
# --8<-- [end:models-network-fixed]

# --8<-- [start:models-sequential-fixed]
import torch
from torch import nn

flatten = nn.Flatten()
layer1 = nn.Linear(28 * 28, 512)
layer2 = nn.Linear(512, 512)
relu_activation = nn.ReLU()
nn_seq_modules = nn.Sequential(
    flatten,
    layer1,
    relu_activation,
    layer2,
    relu_activation,
    nn.Linear(512, 10),  # the output
)
input_image = torch.rand(3, 28, 28)
logits = nn_seq_modules(input_image)
print(logits.shape)
print([m.out_features for m in nn_seq_modules if isinstance(m, nn.Linear)])

for name, param in nn_seq_modules.named_parameters():
    if name.endswith("weight"):
        print(f"Layer: {name} | Size: {param.size()}")
# --8<-- [end:models-sequential-fixed]

# --8<-- [start:models-f-string]
from torch import nn

layer = nn.Linear(3, 1)
print("Bias stored in the layer: {layer.bias.shape}")  # no f: printed as it is
print(f"Bias stored in the layer: {layer.bias.shape}")
# --8<-- [end:models-f-string]

# --8<-- [start:models-dropout]
import torch
import torch.nn.functional as F
from torch import nn

try:
    torch.ones(3).dropout(p=0.2)
except AttributeError as err:
    print(f"{type(err).__name__}: {err}")

torch.manual_seed(0)
dropout = nn.Dropout(p=0.5)  # a layer: model.train() and model.eval() switch it
x = torch.ones(8)
print(dropout(x))  # training: zeroes about half, scales the rest by 1 / (1 - p)
dropout.eval()
print(dropout(x))  # evaluation: passes everything through
print(F.dropout(x, p=0.5))  # the function: training=True unless you pass training=...
# --8<-- [end:models-dropout]

# --8<-- [start:losses-target-dtype]
import torch
from torch import nn

torch.manual_seed(0)
logits = torch.randn(3, 4)  # 3 samples, 4 classes
target = torch.tensor([0.0, 1.0, 3.0])  # class indices, stored as floats
try:
    nn.CrossEntropyLoss()(logits, target)
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")
# --8<-- [end:losses-target-dtype]

# --8<-- [start:losses-target-dtype-fixed]
import torch
import torch.nn.functional as F
from torch import nn

loss_fn = nn.CrossEntropyLoss()
class_indices = target.long()  # int64: one class index per sample
print(class_indices.dtype, round(loss_fn(logits, class_indices).item(), 4))

probabilities = F.one_hot(class_indices, num_classes=4).float()  # floats, shaped like logits
print(probabilities.shape, round(loss_fn(logits, probabilities).item(), 4))
# --8<-- [end:losses-target-dtype-fixed]

# --8<-- [start:losses-target-shape]
import torch
from torch import nn

torch.manual_seed(0)
batch_logits = torch.randn(4, 3)  # 4 samples, 3 classes
label_column = torch.tensor([[0], [2], [1], [2]])  # one class index per sample, as a column
try:
    nn.CrossEntropyLoss()(batch_logits, label_column)
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")
# --8<-- [end:losses-target-shape]

# --8<-- [start:losses-target-shape-fixed]
import torch
from torch import nn

labels = label_column.squeeze(1)  # (4, 1) -> (4,): one index per sample
print(label_column.shape, "->", labels.shape)
print(round(nn.CrossEntropyLoss()(batch_logits, labels).item(), 4))
# --8<-- [end:losses-target-shape-fixed]

# --8<-- [start:losses-batch-size]
import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
conv_output = torch.rand(8, 16, 4, 4)  # a batch of 8 after the convolutions: 256 values each
head = nn.Linear(128, 10)  # its input size worked out wrong
batch_labels = torch.randint(0, 10, (8,))
flat = conv_output.view(-1, 128)  # -1 hides the mistake: 16 rows of 128, not 8 of 256
print(flat.shape)
try:
    F.cross_entropy(head(flat), batch_labels)
except ValueError as err:
    print(f"{type(err).__name__}: {err}")
# --8<-- [end:losses-batch-size]

# --8<-- [start:losses-batch-size-fixed]
import torch
import torch.nn.functional as F
from torch import nn

flat = torch.flatten(conv_output, start_dim=1)  # keeps dimension 0, the batch: 8 rows of 256
print(flat.shape)
head = nn.Linear(16 * 4 * 4, 10)  # channels x height x width of the last feature map
print(round(F.cross_entropy(head(flat), batch_labels).item(), 4))
# --8<-- [end:losses-batch-size-fixed]

# --8<-- [start:losses-criterion-name]
import torch
from torch import nn

net = nn.Linear(4, 2)
optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
training_step = (
    "optimizer.zero_grad()\n"
    "output = net(input)\n"
    "loss = criterion(output, target)\n"
    "loss.backward()\n"
    "optimizer.step()\n"
)
run_code(training_step, {"net": net, "optimizer": optimizer})
run_code(training_step, {"net": net, "optimizer": optimizer, "input": torch.ones(1, 4)})
# --8<-- [end:losses-criterion-name]

# --8<-- [start:losses-criterion-name-fixed]
import torch
from torch import nn

criterion = nn.MSELoss()  # the loss function, chosen for the task
inputs = torch.ones(1, 4)  # not "input": that name is Python's built-in function
target = torch.zeros(1, 2)

optimizer.zero_grad()
output = net(inputs)
loss = criterion(output, target)
loss.backward()
optimizer.step()
print(loss.item() > criterion(net(inputs), target).item())  # the step lowered the loss
# --8<-- [end:losses-criterion-name-fixed]

# --8<-- [start:losses-two-outputs]
import torch

logits = torch.tensor([[-2.34, 3.61], [0.2, -0.1], [1.0, 1.0]])  # 2 outputs per sample
print(torch.softmax(logits, dim=1)[:, 1])
print(torch.sigmoid(logits[:, 1] - logits[:, 0]))  # the same probabilities
# --8<-- [end:losses-two-outputs]

# --8<-- [start:losses-probabilities]
import torch
from torch import nn

loss_fn = nn.CrossEntropyLoss()
logits = torch.tensor([[4.0, 0.0, -4.0]])  # a confident, correct prediction
target = torch.tensor([0])
print(round(loss_fn(logits, target).item(), 4))
print(round(loss_fn(torch.softmax(logits, dim=1), target).item(), 4))  # softmax applied twice

log_probs = nn.LogSoftmax(dim=1)(logits)
print(torch.allclose(nn.NLLLoss()(log_probs, target), loss_fn(logits, target)))
print(torch.exp(log_probs))  # the probabilities back
# --8<-- [end:losses-probabilities]

# --8<-- [start:losses-log-softmax]
import torch


def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)


print(torch.tensor([88.0, 89.0]).exp())  # float32 overflows just above 88
x = torch.tensor([[1.0, 2.0], [1000.0, 0.0]])
print(log_softmax(x))
print(torch.log_softmax(x, dim=-1))
# --8<-- [end:losses-log-softmax]

# --8<-- [start:losses-bce]
import torch
from torch import nn

logit = torch.tensor([200.0])  # very sure of class 1 ...
target = torch.tensor([0.0])  # ... and wrong
print(nn.BCEWithLogitsLoss()(logit, target).item())
print(nn.BCELoss()(torch.sigmoid(logit), target).item())  # log(0) is clamped to -100
# --8<-- [end:losses-bce]

# --8<-- [start:losses-sum]
import torch
from torch import nn

torch.manual_seed(0)
x, y = torch.randn(16, 3), torch.randn(16, 1)
model = nn.Linear(3, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
for step in range(301):
    loss = (model(x) - y).sum()  # a sum of differences: it can always get lower
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 100 == 0:
        print(step, round(loss.item(), 2))
# --8<-- [end:losses-sum]

# --8<-- [start:losses-sum-fixed]
import torch
from torch import nn

torch.manual_seed(0)
model = nn.Linear(3, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
for step in range(301):
    loss = ((model(x) - y) ** 2).mean()  # squared: never below 0, lowest at model(x) == y
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    if step % 100 == 0:
        print(step, round(loss.item(), 4))
# --8<-- [end:losses-sum-fixed]

# --8<-- [start:optim-sgd-arguments]
import torch
from torch import nn

model = nn.Linear(4, 2)
try:
    model.parameter()
except AttributeError as err:
    print(f"{type(err).__name__}: {err}")
try:
    torch.optim.SGD(model.parameters(), learning_rate=1e-3)
except TypeError as err:
    print(f"{type(err).__name__}: {err}")

optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)  # parameters(), and lr
print(len(optimizer.param_groups[0]["params"]), optimizer.param_groups[0]["lr"])
# --8<-- [end:optim-sgd-arguments]

# --8<-- [start:optim-backward-is-not-the-update]
import torch
from torch import nn

torch.manual_seed(0)
model = nn.Linear(2, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
before = model.weight.detach().clone()

loss = model(torch.ones(1, 2)).pow(2).sum()
loss.backward()  # backpropagation: fills .grad ...
print(model.weight.grad, torch.equal(model.weight, before))  # ... and moves no weight
optimizer.step()  # the update: weight = weight - lr * grad
print(torch.allclose(model.weight, before - 0.1 * model.weight.grad))
# --8<-- [end:optim-backward-is-not-the-update]

# --8<-- [start:optim-rebuilt]
from functools import partial

import torch


def final_w(make_optimizer, rebuild_every_step, steps=10):
    w = torch.zeros(1, requires_grad=True)  # minimise (w - 3)^2, from w = 0
    optimizer = make_optimizer([w])
    for _ in range(steps):
        if rebuild_every_step:
            optimizer = make_optimizer([w])  # a new optimizer starts with no state
        loss = ((w - 3) ** 2).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return round(w.item(), 4)


sgd_momentum = partial(torch.optim.SGD, lr=0.05, momentum=0.9)
adam = partial(torch.optim.Adam, lr=0.1)
print("SGD with momentum, built once:      ", final_w(sgd_momentum, False))
print("SGD with momentum, built every step:", final_w(sgd_momentum, True))
print("plain SGD, no momentum:             ", final_w(partial(torch.optim.SGD, lr=0.05), False))
print("Adam, built once:                   ", final_w(adam, False))
print("Adam, built every step:             ", final_w(adam, True))
# --8<-- [end:optim-rebuilt]

# --8<-- [start:optim-one-line]
import torch
from torch import nn

model = nn.Linear(2, 1)
namespace = run_code(
    "from torch import optim# Optimizers require the parameters to optimize and a learning "
    "rateoptimizer = optim.SGD(model.parameters(), lr=0.01)",
    {"model": model},
)
print("optimizer" in namespace)

optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
model(torch.ones(1, 2)).sum().backward()
run_code(
    "# Clear the gradients of all tensors, otherwise gradients are summed up at each pass !!# "
    "Clear at each pass, not only after declarationoptimizer.zero_grad()",
    {"optimizer": optimizer},
)
print(model.bias.grad)  # still there: zero_grad() was part of the comment
# --8<-- [end:optim-one-line]

# --8<-- [start:optim-clip]
import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
model(torch.randn(8, 3)).pow(2).sum().backward()
before = [p.grad.clone() for p in model.parameters()]
try:
    nn.utils.clip_grad_norm_(model.parameters(), clip_norm=1)
except TypeError as err:
    print(f"{type(err).__name__}: {err}")

total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)  # the norm before clipping
one_vector = torch.cat([g.flatten() for g in before])  # every gradient, end to end
print(torch.allclose(total, one_vector.norm()))
factors = [
    (p.grad.norm() / g.norm()).item() for p, g in zip(model.parameters(), before, strict=True)
]
print([round(f, 4) for f in factors], round(1 / total.item(), 4))  # one factor for all

p = torch.zeros(2, requires_grad=True)
p.grad = torch.tensor([0.5, 3.0])
nn.utils.clip_grad_value_([p], clip_value=1)
print(p.grad)  # each element on its own: the direction changed
# --8<-- [end:optim-clip]

# --8<-- [start:data-lambda]
run_code(
    "the_target_lambda_function = Lambda(lambda y: torch.zeros(10,\n"
    "                                    dtype=dtype=troch.float).scatter_(dim=0,\n"
    "                                                    index=torch.tensor(y), value=1))\n"
)
run_code("target_transform=torch.nn.functional.one_hot(y, num_classes=10)", {"torch": torch})
# --8<-- [end:data-lambda]

# --8<-- [start:data-lambda-fixed]
import torch
import torch.nn.functional as F
from torchvision.transforms import Lambda

the_target_lambda_function = Lambda(
    lambda y: torch.zeros(10, dtype=torch.float).scatter_(dim=0, index=torch.tensor(y), value=1)
)
one_hot = Lambda(lambda y: F.one_hot(torch.tensor(y), num_classes=10).float())  # a function
print(the_target_lambda_function(3))
print(torch.equal(one_hot(3), the_target_lambda_function(3)))
print(F.one_hot(torch.tensor(3), num_classes=10).dtype)  # hence the .float()
# --8<-- [end:data-lambda-fixed]

# --8<-- [start:data-to-tensor]
import numpy as np
from torchvision.transforms import Normalize, ToTensor

pixels = np.array([[[0], [15], [190], [255]]], dtype=np.uint8)  # a 1x4 image, H x W x C
scaled = ToTensor()(pixels)  # C x H x W, divided by 255
print(scaled)
print(Normalize(mean=[0.5], std=[0.5])(scaled))  # (x - mean) / std, per channel
# --8<-- [end:data-to-tensor]

# --8<-- [start:data-dataset-methods]
import torch
from torch.utils.data import DataLoader, Dataset


class Sized(Dataset):  # __len__ without __getitem__
    def __len__(self):
        return 5


try:
    Sized()[3]
except NotImplementedError as err:
    print(f"{type(err).__name__}: {err}")


class Squares(Dataset):  # neither __init__ nor __len__
    def __getitem__(self, idx):
        return torch.tensor(idx**2)


print(Squares()[3])
try:
    next(iter(DataLoader(Squares(), batch_size=2)))
except TypeError as err:
    print(f"{type(err).__name__}: {err}")


class SizedSquares(Squares):
    def __len__(self):
        return 5


print(next(iter(DataLoader(SizedSquares(), batch_size=2))))
# --8<-- [end:data-dataset-methods]

# --8<-- [start:data-fence]
run_code("```python\nimport torch.utils.data as data\n")
# --8<-- [end:data-fence]

# --8<-- [start:data-last-batch]
import torch
import torch.utils.data as data


class XORDataset(data.Dataset):
    def __init__(self, size, std=0.1):
        super().__init__()
        self.size = size
        self.std = std
        self.generate_continuous_xor()

    def generate_continuous_xor(self):
        data = torch.randint(low=0, high=2, size=(self.size, 2), dtype=torch.float32)
        labels = (data.sum(dim=1) == 1).int()
        data += self.std * torch.randn(data.shape)  # add gaussian noise
        self.data = data
        self.labels = labels

    def __len__(self):
        return self.size

    def __getitem__(self, idx):
        return self.data[idx], self.labels[idx]


torch.manual_seed(0)
dataset = XORDataset(500)
data_loader = data.DataLoader(dataset, batch_size=8, shuffle=True)
shapes = [inputs.shape for inputs, labels in data_loader]
print(len(shapes), shapes[0], shapes[-1])
print(len(data.DataLoader(dataset, batch_size=8, shuffle=True, drop_last=True)))
# --8<-- [end:data-last-batch]

# --8<-- [start:data-transforms]
import torch
from PIL import Image
from torchvision import transforms

for make in (transforms.Resize, transforms.CenterCrop, transforms.RandomResizedCrop):
    try:
        make()
    except TypeError as err:
        print(f"{type(err).__name__}: {err}")

transform = transforms.Compose(
    [transforms.Resize(255), transforms.CenterCrop(224), transforms.ToTensor()]
)
print(transform(Image.new("RGB", (400, 300))).shape)  # width 400, height 300
# --8<-- [end:data-transforms]

# --8<-- [start:data-datasets]
from torch.utils.data import Dataset
from torchvision import datasets

print(issubclass(datasets.FashionMNIST, Dataset), issubclass(datasets.ImageFolder, Dataset))
print(datasets.ImageFolder("data/hymenoptera_data/train").classes)  # labels: the folder names
# --8<-- [end:data-datasets]

# --8<-- [start:data-shuffle]
import torch
from torch.utils.data import DataLoader, TensorDataset

labels = torch.arange(3).repeat_interleave(4)  # stored class by class: 0 0 0 0 1 1 1 1 2 ...
train_ds = TensorDataset(torch.randn(12, 2), labels)
train_dl = DataLoader(train_ds, batch_size=4)  # no shuffle=True
for epoch in range(2):
    print(epoch, [yb.tolist() for _, yb in train_dl])
# --8<-- [end:data-shuffle]

# --8<-- [start:data-shuffle-fixed]
import torch
from torch.utils.data import DataLoader

torch.manual_seed(0)
train_dl = DataLoader(train_ds, batch_size=4, shuffle=True)  # a new order every epoch
for epoch in range(2):
    print(epoch, [yb.tolist() for _, yb in train_dl])
valid_dl = DataLoader(train_ds, batch_size=8)  # evaluation: the order changes nothing
# --8<-- [end:data-shuffle-fixed]

# --8<-- [start:training-epoch]
import math

from torch.utils.data import DataLoader

loader = DataLoader(range(60_000), batch_size=64)  # FashionMNIST's training set size
print(len(loader), 60_000 / 64, math.ceil(60_000 / 64))
print(len(list(loader)[-1]))  # the last batch holds what is left: 60000 - 937 * 64
# --8<-- [end:training-epoch]

# --8<-- [start:training-optimizer-backward]
import torch
from torch import nn

model = nn.Linear(4, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
loss = model(torch.ones(3, 4)).pow(2).mean()
optimizer.zero_grad()
try:
    optimizer.backward()
except AttributeError as err:
    print(f"{type(err).__name__}: {err}")
# --8<-- [end:training-optimizer-backward]

# --8<-- [start:training-optimizer-backward-fixed]
before = model.weight.detach().clone()
loss.backward()  # the loss computes the gradients ...
optimizer.step()  # ... and the optimizer uses them to update the parameters
print(torch.allclose(model.weight, before - 0.1 * model.weight.grad))
# --8<-- [end:training-optimizer-backward-fixed]

# --8<-- [start:training-zero-grad]
import torch
from torch import nn

torch.manual_seed(0)
model = nn.Linear(2, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
x, y = torch.ones(4, 2), torch.zeros(4, 1)
for step in range(3):
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()  # no optimizer.zero_grad() before it
    print(step, model.bias.grad)
# --8<-- [end:training-zero-grad]

# --8<-- [start:training-zero-grad-fixed]
import torch
from torch import nn

model.bias.grad = None
for step in range(3):
    loss = nn.functional.mse_loss(model(x), y)
    optimizer.zero_grad()  # every step, before backward
    loss.backward()
    print(step, model.bias.grad)
# --8<-- [end:training-zero-grad-fixed]

# --8<-- [start:training-loops]
import torch


def train_loop(dataloader, model, loss_fn, optimizer):
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        loss = loss_fn(model(X), y)
        optimizer.zero_grad()
        loss.backward()  # the loss computes the gradients, not the optimizer
        optimizer.step()
        if batch % 100 == 0:  # not every batch: 938 lines an epoch on FashionMNIST
            print(f"batch {batch:>4}  loss: {loss.item():.4f}")


def test_loop_per_sample(dataloader, model, loss_fn):  # the mistake, for comparison
    size = len(dataloader.dataset)
    test_loss = 0
    with torch.no_grad():
        for X, y in dataloader:
            test_loss += loss_fn(model(X), y).item()  # the mean loss of one batch
    return test_loss / size  # a sum of batch means, divided by the number of samples


def test_loop(dataloader, model, loss_fn):
    model.eval()
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    test_loss, correct = 0.0, 0
    with torch.no_grad():
        for X, y in dataloader:
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(dim=1) == y).sum().item()
    return test_loss / num_batches, correct / size


# --8<-- [end:training-loops]

# --8<-- [start:training-loops-run]
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
data = TensorDataset(torch.randn(256, 20), torch.randint(0, 3, (256,)))
loader = DataLoader(data, batch_size=64)
model = nn.Linear(20, 3)
loss_fn = nn.CrossEntropyLoss()
train_loop(loader, model, loss_fn, torch.optim.SGD(model.parameters(), lr=0.1))

wrong_loss = test_loop_per_sample(loader, model, loss_fn)
avg_loss, accuracy = test_loop(loader, model, loss_fn)
with torch.no_grad():
    whole = loss_fn(model(data.tensors[0]), data.tensors[1]).item()  # all 256 at once
print(f"divided by samples: {wrong_loss:.4f}  by batches: {avg_loss:.4f}  whole set: {whole:.4f}")
print(f"ratio: {avg_loss / wrong_loss:.1f}")
# --8<-- [end:training-loops-run]

# --8<-- [start:training-accuracy-names]
run_code(
    "top_p, top_class = ps.topk(1, dim=1)\n"
    "equals = top_class == labels.view(*top_class.shape)\n"
    "accuracy = torch.mean(equals.type(torch.FloatTensor))\n"
)
# --8<-- [end:training-accuracy-names]

# --8<-- [start:training-accuracy]
import torch

ps = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])  # class probabilities of 3 samples
labels = torch.tensor([1, 0, 0])  # their true classes
top_p, top_class = ps.topk(1, dim=1)
print((top_class == labels).shape)  # (3, 1) against (3,): broadcast to (3, 3)
equals = top_class == labels.view(*top_class.shape)
print(equals.dtype)
try:
    torch.mean(equals)
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")
accuracy = equals.float().mean()  # .float() keeps the device, .type(torch.FloatTensor) not
print(round(accuracy.item(), 4))
# --8<-- [end:training-accuracy]

# --8<-- [start:training-no-eval]
import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Dropout(p=0.5), nn.Linear(32, 1))
x = torch.ones(1, 4)
with torch.no_grad():  # no_grad alone: the model is still in training mode
    first, second = model(x).item(), model(x).item()
print(round(first, 4), round(second, 4))
# --8<-- [end:training-no-eval]

# --8<-- [start:training-no-eval-fixed]
import torch

model.eval()  # evaluation mode: dropout off (and batch norm uses its running statistics)
with torch.no_grad():
    first, second = model(x), model(x)
print(torch.equal(first, second))
model.train()  # back to training mode before the next training step
# --8<-- [end:training-no-eval-fixed]

# --8<-- [start:training-eval-dropout-p]
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(4, 8)
        self.dropout = nn.Dropout(p=0.2)
        self.output = nn.Linear(8, 1)

    def forward(self, x):
        return self.output(self.dropout(torch.relu(self.hidden(x))))


model = Net()
model.eval()
print(model.dropout.p, model.dropout.training)  # p is unchanged: the layer is switched off
h = torch.rand(2, 8)
print(torch.equal(model.dropout(h), h))  # switched off, it returns its input unchanged
model.train()
print(model.dropout.p, model.dropout.training)  # on again, with the same p

run_code(
    "with torch.no_grad():    # eval mode    model.eval()        # validation passes    "
    "# go back to train mode    model.train()"
)
# --8<-- [end:training-eval-dropout-p]

# --8<-- [start:training-random-labels]
import torch
from torch import nn

torch.manual_seed(0)
X = torch.randn(400, 8)
true_labels = (X @ torch.randn(8, 4)).argmax(dim=1)  # 4 classes that depend on the inputs
X_train, y_train, X_test, y_test = X[:200], true_labels[:200], X[200:], true_labels[200:]
random_labels = torch.randint(0, 4, (200,))  # labels that have nothing to do with X


def train(labels, steps=100):
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(steps):
        loss = loss_fn(model(X_train), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        accuracy = (model(X_test).argmax(dim=1) == y_test).float().mean().item()
    return loss.item(), accuracy


loss, accuracy = train(random_labels)
print(f"random labels: training loss {loss:.3f}, test accuracy {accuracy:.2f}")
# --8<-- [end:training-random-labels]

# --8<-- [start:training-random-labels-fixed]
loss, accuracy = train(y_train)
print(f"true labels:   training loss {loss:.3f}, test accuracy {accuracy:.2f}")
# --8<-- [end:training-random-labels-fixed]

# --8<-- [start:training-zero-loss]
import torch
from torch import nn

torch.manual_seed(0)
x_train = torch.linspace(-1, 1, 10).unsqueeze(1)
y_train = 2 * x_train + 0.3 * torch.randn_like(x_train)  # a line, plus noise
x_valid = torch.linspace(-0.95, 0.95, 40).unsqueeze(1)
y_valid = 2 * x_valid + 0.3 * torch.randn_like(x_valid)  # new samples of the same kind


def fit(model, steps, lr):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.MSELoss()
    for _ in range(steps):
        loss = loss_fn(model(x_train), y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        return loss_fn(model(x_train), y_train).item(), loss_fn(model(x_valid), y_valid).item()


torch.manual_seed(0)
big = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
train_loss, valid_loss = fit(big, steps=300, lr=0.05)
print(f"training loss {train_loss:.4f}, validation loss {valid_loss:.4f}")
# --8<-- [end:training-zero-loss]

# --8<-- [start:training-zero-loss-fixed]
import matplotlib.pyplot as plt
import torch
from torch import nn

torch.manual_seed(0)
line = nn.Linear(1, 1)
line_train_loss, line_valid_loss = fit(line, steps=150, lr=0.1)
print(f"training loss {line_train_loss:.4f}, validation loss {line_valid_loss:.4f}")

grid = torch.linspace(-1, 1, 200).unsqueeze(1)
fig, ax = plt.subplots(figsize=(6, 3))
ax.scatter(x_train, y_train, color="black", label="training samples", zorder=3)
ax.scatter(x_valid, y_valid, color="grey", s=10, label="validation samples")
with torch.no_grad():
    ax.plot(grid, big(grid), label="training loss near 0")
    ax.plot(grid, line(grid), label="a straight line")
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.legend(fontsize="small")
fig.tight_layout()
# --8<-- [end:training-zero-loss-fixed]

# --8<-- [start:fit-names]
run_code(
    "from torch.utils.data import DataLoader\n"
    "train_ds = TensorDataset(x_train, y_train)\n"
    "train_dl = DataLoader(train_ds, batch_size=bs)\n"
)
# --8<-- [end:fit-names]

# --8<-- [start:fit-names-fixed]
import torch
from torch.utils.data import DataLoader, TensorDataset

bs = 4
x_train, y_train = torch.rand(10, 784), torch.randint(0, 10, (10,))
train_ds = TensorDataset(x_train, y_train)
train_dl = DataLoader(train_ds, batch_size=bs, shuffle=True)
print(len(train_ds), len(train_dl))
# --8<-- [end:fit-names-fixed]

# --8<-- [start:fit-valid-ds]
from torch.utils.data import DataLoader

run_code(
    "def get_data(train_ds, valid_ds, bs):\n"
    "    return (\n"
    "        DataLoader(train_ds, batch_size=bs, shuffle=True),\n"
    "        DataLoader(valid_ds, batch_size=bs * 2),\n"
    "    )\n"
    "\n"
    "train_dl, valid_dl = get_data(train_ds, valid_ds, bs)\n",
    {"DataLoader": DataLoader, "train_ds": train_ds, "bs": bs},
)
# --8<-- [end:fit-valid-ds]

# --8<-- [start:fit-valid-ds-fixed]
import torch
from torch.utils.data import DataLoader, TensorDataset


def get_data(train_ds, valid_ds, bs):
    return (
        DataLoader(train_ds, batch_size=bs, shuffle=True),
        DataLoader(valid_ds, batch_size=bs * 2),  # nothing saved for backward: larger batches fit
    )


x_valid, y_valid = torch.rand(6, 784), torch.randint(0, 10, (6,))  # samples not trained on
valid_ds = TensorDataset(x_valid, y_valid)
train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
print(len(train_dl), len(valid_dl))
# --8<-- [end:fit-valid-ds-fixed]

# --8<-- [start:fit-image-shape]
import math

import torch
from torch import nn


class Mnist_Logistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = nn.Parameter(torch.randn(784, 10) / math.sqrt(784))
        self.bias = nn.Parameter(torch.zeros(10))

    def forward(self, xb):
        return xb @ self.weights + self.bias


model = Mnist_Logistic()
xb = torch.rand(2, 784)
try:
    model(xb.view(-1, 1, 28, 28))  # batches reshaped into images, for a CNN
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")
print(model(xb).shape)
# --8<-- [end:fit-image-shape]

# --8<-- [start:saving-tar]
import tarfile
import tempfile
import zipfile
from pathlib import Path

import torch
from torch import nn

model = nn.Linear(2, 1)
with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "model.tar"
    torch.save(model.state_dict(), path)
    print(tarfile.is_tarfile(path), zipfile.is_zipfile(path))
# --8<-- [end:saving-tar]

# --8<-- [start:saving-strict]
from torch import nn

old = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
new = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3), nn.ReLU(), nn.Linear(3, 2))
print(new.load_state_dict(old.state_dict(), strict=False))  # missing keys
print(old.load_state_dict(new.state_dict(), strict=False))  # unexpected keys

resized = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 5))
try:
    resized.load_state_dict(old.state_dict(), strict=False)
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")
# --8<-- [end:saving-strict]

# --8<-- [start:saving-whole-model]
import pickle
import tempfile
from pathlib import Path

import torch
from torch import nn

model = nn.Linear(2, 1)
with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "whole_model.pt"
    torch.save(model, path)  # pickles the class (by its import path) and the weights
    try:
        torch.load(path)
    except pickle.UnpicklingError as err:
        reason = next(line for line in str(err).splitlines() if "Unsupported global" in line)
        print(f"{type(err).__name__}: {reason.split('. ')[0].strip()}")
    loaded = torch.load(path, weights_only=False)  # only for files you trust
print(type(loaded).__name__, torch.equal(loaded.weight, model.weight))
# --8<-- [end:saving-whole-model]

# --8<-- [start:saving-optimizer-state]
import io

import torch
from torch import nn

torch.manual_seed(0)
x_data, y_data = torch.randn(16, 3), torch.randn(16, 1)


def make():
    torch.manual_seed(1)
    model = nn.Linear(3, 1)
    return model, torch.optim.Adam(model.parameters(), lr=0.1)


def train_for(model, optimizer, steps):
    for _ in range(steps):
        loss = nn.functional.mse_loss(model(x_data), y_data)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


model, optimizer = make()
train_for(model, optimizer, steps=6)  # six steps in one go
uninterrupted = model.weight.detach().clone()

model, optimizer = make()
train_for(model, optimizer, steps=3)
buffer = io.BytesIO()  # stands for a file
torch.save(model.state_dict(), buffer)  # the weights only

model, optimizer = make()  # a new run: a new model, and a new optimizer
buffer.seek(0)
model.load_state_dict(torch.load(buffer))
train_for(model, optimizer, steps=3)
print(torch.allclose(model.weight, uninterrupted))
# --8<-- [end:saving-optimizer-state]

# --8<-- [start:saving-optimizer-state-fixed]
import io

import torch

model, optimizer = make()
train_for(model, optimizer, steps=3)
buffer = io.BytesIO()
torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, buffer)

model, optimizer = make()
buffer.seek(0)
checkpoint = torch.load(buffer)
model.load_state_dict(checkpoint["model"])
optimizer.load_state_dict(checkpoint["optimizer"])  # Adam's running averages and step count
train_for(model, optimizer, steps=3)
print(torch.allclose(model.weight, uninterrupted))
# --8<-- [end:saving-optimizer-state-fixed]

# --8<-- [start:saving-one-line]
import torch
from torch import nn

model = nn.Linear(2, 1)
namespace = run_code(
    "# Save state dictionarytorch.save(model.state_dict(), 'checkpoint.pth')# reload the state "
    "dictionarystate_dict = torch.load('checkpoint.pth')# load state dictionary if it has "
    "similar architecturemodel.load_state_dict(state_dict)",
    {"torch": torch, "model": model},
)
print(sorted(set(namespace) - {"torch", "model", "__builtins__"}))  # nothing was defined
# --8<-- [end:saving-one-line]

# --8<-- [start:saving-checkpoint-fixed]
import tempfile
from itertools import pairwise
from pathlib import Path

import torch
from torch import nn


class Network(nn.Module):
    def __init__(self, input_size, output_size, hidden_layers):
        super().__init__()
        sizes = [input_size, *hidden_layers]
        self.hidden_layers = nn.ModuleList(
            nn.Linear(n_in, n_out) for n_in, n_out in pairwise(sizes)
        )
        self.output = nn.Linear(sizes[-1], output_size)

    def forward(self, x):
        for layer in self.hidden_layers:
            x = torch.relu(layer(x))
        return self.output(x)


def load_checkpoint(filepath):
    checkpoint = torch.load(filepath)  # ints, lists and tensors: weights_only=True is fine
    model = Network(
        checkpoint["input_size"], checkpoint["output_size"], checkpoint["hidden_layers"]
    )
    model.load_state_dict(checkpoint["state_dict"])
    return model


model = Network(784, 10, [256, 128])
checkpoint = {
    "input_size": 784,
    "output_size": 10,
    "hidden_layers": [each.out_features for each in model.hidden_layers],
    "state_dict": model.state_dict(),
}
with tempfile.TemporaryDirectory() as tmp:
    torch.save(checkpoint, Path(tmp) / "checkpoint.pth")
    restored = load_checkpoint(Path(tmp) / "checkpoint.pth")
x = torch.rand(1, 784)
print(checkpoint["hidden_layers"], torch.equal(restored(x), model(x)))  # the same model
# --8<-- [end:saving-checkpoint-fixed]

# --8<-- [start:saving-signature]
from torch import nn


class SimpleClassifier(nn.Module):
    def __init__(self, dim_in, dim_hidden, dim_out):
        super().__init__()
        self.linear1 = nn.Linear(dim_in, dim_hidden)
        self.activation = nn.Tanh()
        self.linear2 = nn.Linear(dim_hidden, dim_out)

    def forward(self, x):
        x = self.linear1(x)
        x = self.activation(x)
        x = self.linear2(x)
        return x


try:
    model = SimpleClassifier(num_inputs=2, num_hidden=4, num_outputs=1)
except TypeError as err:
    print(f"{type(err).__name__}: {err}")
model = SimpleClassifier(dim_in=2, dim_hidden=4, dim_out=1)
print(model)
# --8<-- [end:saving-signature]

# --8<-- [start:transfer-pretrained]
import warnings

from torchvision import models

with warnings.catch_warnings():
    warnings.simplefilter("error")  # the warning becomes an error: nothing is downloaded
    try:
        models.resnet18(pretrained=True)
    except UserWarning as warning:
        print(f"{type(warning).__name__}: {warning}")

weights = models.ResNet18_Weights.DEFAULT  # the best weights torchvision has for it
print(weights)
print(weights.transforms())  # the preprocessing those weights were trained with
# --8<-- [end:transfer-pretrained]

# --8<-- [start:transfer-freeze]
import torch
from torch import nn
from torchvision import models

model = models.resnet18(weights=None)  # weights=weights downloads the ImageNet weights
for param in model.parameters():
    param.requires_grad = False  # freeze all the parameters in the network
model.fc = nn.Linear(512, 10)  # a new layer is created trainable
print([name for name, p in model.named_parameters() if p.requires_grad])
optimizer = torch.optim.SGD(model.fc.parameters(), lr=1e-3)  # only the classifier
# --8<-- [end:transfer-freeze]

# --8<-- [start:transfer-densenet]
import torch
from torchvision import models

with torch.device("meta"):  # shapes only: nothing is allocated, initialised or downloaded
    model = models.densenet121(weights=None)


def count(module):
    return sum(p.numel() for p in module.parameters())


print(model.classifier)
print(f"classifier: {count(model.classifier):>9,} parameters")
print(f"features:   {count(model.features):>9,} parameters")
print(f"classifier share: {count(model.classifier) / count(model):.1%}")
# --8<-- [end:transfer-densenet]

# --8<-- [start:transfer-densenet-head]
from collections import OrderedDict

from torch import nn

classifier = nn.Sequential(
    OrderedDict(
        [
            ("fc1", nn.Linear(1024, 500)),
            ("relu", nn.ReLU()),
            ("fc2", nn.Linear(500, 2)),
            ("output", nn.LogSoftmax(dim=1)),  # log-probabilities: train it with nn.NLLLoss
        ]
    )
)
model.classifier = classifier
print(f"new classifier: {count(model.classifier):,} parameters")
# --8<-- [end:transfer-densenet-head]

# --8<-- [start:export-name]
import torch
import torch.onnx as onnx
from torch import nn

model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))
input_image = torch.zeros((1, 28, 28))
onnx_model_location = "data/model.onnx"
run_code(
    "onnx.export(model, input_image, onnx_model)",
    {"onnx": onnx, "model": model, "input_image": input_image},
)
print(onnx.__name__)  # not the onnx package: torch's exporter, under a confusing name
# --8<-- [end:export-name]

# --8<-- [start:export-3d-input]
import torch
from torch import nn


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, kernel_size=3)  # 1 channel in, 4 out: 28x28 -> 26x26
        self.flatten = nn.Flatten()  # keeps dimension 0: the batch
        self.fc = nn.Linear(4 * 26 * 26, 10)

    def forward(self, x):
        return self.fc(self.flatten(torch.relu(self.conv(x))))


model = SmallCNN().eval()
input_image = torch.zeros((1, 28, 28))  # one image: channels, height, width
try:
    model(input_image)  # the shapes torch.onnx.export(model, (input_image,), path) traces
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")
# --8<-- [end:export-3d-input]

# --8<-- [start:export-3d-input-fixed]
import torch

example_input = torch.zeros((1, 1, 28, 28))  # batch, channels, height, width
print(model(example_input).shape)
print(torch.nn.Conv2d(1, 4, kernel_size=3)(input_image).shape)  # the 3-D input, read unbatched
# --8<-- [end:export-3d-input-fixed]

# --8<-- [start:reproducibility-seed]
import torch

print(torch.manual_seed.__doc__.split(".")[0].strip())

device = "cuda" if torch.cuda.is_available() else "cpu"
torch.manual_seed(1)  # no torch.cuda.manual_seed() call anywhere
draw_1 = torch.randn(3, device=device)
torch.manual_seed(1)
draw_2 = torch.randn(3, device=device)
print(torch.equal(draw_1, draw_2))
# --8<-- [end:reproducibility-seed]

# --8<-- [start:reproducibility-workers]
import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, get_worker_info


class Noisy(Dataset):
    """Four items, each a random number from a generator the data set owns."""

    def __init__(self):
        self.rng = np.random.default_rng(0)

    def __len__(self):
        return 4

    def __getitem__(self, index):
        return get_worker_info().id, int(self.rng.integers(1000))


def draws(loader):
    """(worker id, number) for each item."""
    return [pair for w, n in loader for pair in zip(w.tolist(), n.tolist(), strict=True)]


loader = DataLoader(Noisy(), batch_size=2, num_workers=2)
print(draws(loader))  # each worker has its own copy of the generator: the same numbers
# --8<-- [end:reproducibility-workers]

# --8<-- [start:reproducibility-workers-fixed]
import numpy as np
import torch
from torch.utils.data import DataLoader


def seed_worker(worker_id):
    seed = torch.initial_seed() % 2**32  # this worker's seed: distinct, set by the generator
    get_worker_info().dataset.rng = np.random.default_rng(seed)  # reseed this worker's copy


def seeded_loader(seed):
    return DataLoader(
        Noisy(),
        batch_size=2,
        num_workers=2,
        worker_init_fn=seed_worker,
        generator=torch.Generator().manual_seed(seed),  # sets the workers' seeds
    )


first_run = draws(seeded_loader(0))
print(first_run)  # the workers draw different numbers ...
print(first_run == draws(seeded_loader(0)))  # ... and the same ones on every run
# --8<-- [end:reproducibility-workers-fixed]

# --8<-- [start:speed-loss-history]
import torch
from torch import nn

torch.manual_seed(0)
model = nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
x, y = torch.randn(8, 4), torch.randn(8, 1)
total_loss = 0
for _ in range(100):
    loss = nn.functional.mse_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    total_loss += loss  # a tensor with its graph: the sum keeps every step's graph alive


def graph_size(tensor):
    """Count the nodes of the autograd graph behind a tensor."""
    seen, stack = set(), [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node is not None and node not in seen:
            seen.add(node)
            stack.extend(next_node for next_node, _ in node.next_functions)
    return len(seen)


print(total_loss.requires_grad, graph_size(loss), graph_size(total_loss))
# --8<-- [end:speed-loss-history]

# --8<-- [start:speed-loss-history-fixed]
import torch
from torch import nn

total_loss = 0.0
for _ in range(100):
    loss = nn.functional.mse_loss(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    total_loss += loss.item()  # a Python float: the graph is freed after each step
print(type(total_loss).__name__, round(total_loss / 100, 4))
# --8<-- [end:speed-loss-history-fixed]

# --8<-- [start:speed-no-grad]
import torch
from torch import nn

model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
model.eval()  # evaluation mode changes dropout and batch norm, not autograd
predictions = model(torch.randn(32, 4))
print(predictions.requires_grad, predictions.grad_fn.name())
# --8<-- [end:speed-no-grad]

# --8<-- [start:speed-no-grad-fixed]
import torch

with torch.inference_mode():  # or torch.no_grad(): nothing recorded, nothing kept
    predictions = model(torch.randn(32, 4))
print(predictions.requires_grad, predictions.grad_fn)
# --8<-- [end:speed-no-grad-fixed]

# --8<-- [start:speed-pin-memory]
import warnings

import torch
from torch.utils.data import DataLoader

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    batch = next(iter(DataLoader(torch.ones(4, 2), batch_size=2, pin_memory=True)))
print(batch.is_pinned())
print([str(warning.message) for warning in caught])
# --8<-- [end:speed-pin-memory]

# --8<-- [start:speed-pin-memory-fixed]
import warnings

import torch
from torch.utils.data import DataLoader

pin = torch.cuda.is_available()  # pinned memory speeds up copies to a GPU, and only those
loader = DataLoader(torch.ones(4, 2), batch_size=2, pin_memory=pin)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    batch = next(iter(loader))
print(batch.is_pinned() == pin, len(caught))
# --8<-- [end:speed-pin-memory-fixed]

# --8<-- [start:ddp-not-initialized]
import torch.distributed as dist

try:
    rank = dist.get_rank()  # before dist.init_process_group(), with python or torchrun alike
except ValueError as err:
    print(f"{type(err).__name__}: {err}")
# --8<-- [end:ddp-not-initialized]

# --8<-- [start:ddp-not-initialized-fixed]
import torch.distributed as dist

dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
print(dist.get_rank(), dist.get_world_size())
dist.destroy_process_group()
# --8<-- [end:ddp-not-initialized-fixed]

# --8<-- [start:ddp-set-epoch]
from torch.utils.data import DistributedSampler

sampler = DistributedSampler(range(10), num_replicas=2, rank=0, shuffle=True, seed=0)
for epoch in range(3):
    print(epoch, list(sampler))  # no sampler.set_epoch(epoch)
# --8<-- [end:ddp-set-epoch]

# --8<-- [start:ddp-set-epoch-fixed]
for epoch in range(3):
    sampler.set_epoch(epoch)  # at the start of every epoch, on every rank
    print(epoch, list(sampler))
# --8<-- [end:ddp-set-epoch-fixed]

# --8<-- [start:ddp-state-dict]
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
ddp_model = DDP(nn.Linear(2, 1))
ddp_state = ddp_model.state_dict()  # the wrapper's: every key starts with "module."
dist.destroy_process_group()
print(list(ddp_state))
try:
    nn.Linear(2, 1).load_state_dict(ddp_state)  # a plain model, to use without DDP
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")
# --8<-- [end:ddp-state-dict]

# --8<-- [start:ddp-state-dict-fixed]
import torch
from torch import nn

state = ddp_model.module.state_dict()  # the model inside the wrapper: the plain keys
plain_model = nn.Linear(2, 1)
plain_model.load_state_dict(state)
print(list(state), torch.equal(plain_model.weight, ddp_model.module.weight))
# --8<-- [end:ddp-state-dict-fixed]

# --8<-- [start:exercise-1-bug]
import numpy as np
import torch
from torch import nn

torch.manual_seed(0)
layer = nn.Linear(4, 2)
batch = np.random.default_rng(0).random((5, 3))  # 5 samples of 3 features
try:
    layer(torch.from_numpy(batch))
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")
# --8<-- [end:exercise-1-bug]

# --8<-- [start:exercise-1]
import torch
from torch import nn

layer = nn.Linear(3, 2)  # bug 2: in_features must be the 3 features of each sample
inputs = torch.from_numpy(batch).float()  # bug 1: float64 from NumPy, float32 for the layer
outputs = layer(inputs)
print(outputs.shape, outputs.dtype)
assert outputs.shape == (5, 2)
assert outputs.dtype == layer.weight.dtype == torch.float32
# --8<-- [end:exercise-1]

# --8<-- [start:exercise-2-bug]
import torch
from torch import nn

torch.manual_seed(0)
x = torch.randn(64, 3)
y = x @ torch.tensor([[1.0], [-2.0], [0.5]])
torch.manual_seed(1)
model = nn.Linear(3, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
loss_fn = nn.MSELoss()
for step in range(51):
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()
    if step % 25 == 0:
        print(step, round(loss.item(), 4))
# --8<-- [end:exercise-2-bug]

# --8<-- [start:exercise-2]
import torch
from torch import nn

torch.manual_seed(1)  # the same starting weights as above
model = nn.Linear(3, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
losses = []
for _ in range(51):
    loss = loss_fn(model(x), y)
    optimizer.zero_grad()  # before backward: it clears the old gradients, not the new ones
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
print(round(losses[0], 4), round(losses[-1], 4))
assert losses[-1] < losses[0] / 100  # it learns now
# --8<-- [end:exercise-2]
