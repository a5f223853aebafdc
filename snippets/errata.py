"""Errata: the mistakes of the source notes, each run as written and then corrected."""


# --8<-- [start:run-as-written]
def run_as_written(source, namespace=None):
    """Run code copied from the notes as it is written; print how it ends."""
    namespace = {} if namespace is None else namespace
    try:
        exec(compile(source, "<notes>", "exec"), namespace)
    except Exception as err:
        print(f"{type(err).__name__}: {err}")
    else:
        print("runs without error")
    return namespace


# --8<-- [end:run-as-written]

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
model.to(device)  # a module is moved in place; a tensor's .to() returns a copy instead
inputs, labels = torch.ones(3, 4).to(device), torch.zeros(3).to(device)
print(model(inputs).device.type == device.type)
# --8<-- [end:setup-gpu-string]

# --8<-- [start:setup-magic]
run_as_written("%matplotlib inline")
# --8<-- [end:setup-magic]

# --8<-- [start:setup-seed]
import torch

print(torch.manual_seed.__doc__.split(".")[0].strip())

device = "cuda" if torch.cuda.is_available() else "cpu"
torch.manual_seed(1)  # no torch.cuda.manual_seed() call anywhere
a = torch.randn(3, device=device)
torch.manual_seed(1)
b = torch.randn(3, device=device)
print(torch.equal(a, b))
# --8<-- [end:setup-seed]

# --8<-- [start:setup-names]
run_as_written(
    "from torch.utils.data import DataLoader\n"
    "train_ds = TensorDataset(x_train, y_train)\n"
    "train_dl = DataLoader(train_ds, batch_size=bs)\n"
)
# --8<-- [end:setup-names]

# --8<-- [start:setup-names-fixed]
import torch
from torch.utils.data import DataLoader, TensorDataset

bs = 4
x_train, y_train = torch.rand(10, 784), torch.randint(0, 10, (10,))
train_ds = TensorDataset(x_train, y_train)
train_dl = DataLoader(train_ds, batch_size=bs)
print(len(train_ds), len(train_dl))
# --8<-- [end:setup-names-fixed]

# --8<-- [start:tensors-view]
import torch

weights = torch.arange(6).view(2, 3).t()  # transposed: no longer contiguous in memory
print(weights.reshape(2, 3).shape)
try:
    weights.view(2, 3)
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")
# --8<-- [end:tensors-view]

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
run_as_written("assert y1 = y2 = y3")
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
run_as_written(
    "x = torch.zeroes(1, requires_grad=False)# ORwith torch.no_grad():  # useful when doing inference to speed up    y = x*2# OR disable globallytorch.set_grad_enabled(False)# If you want to change after creationx.requires_grad_(True)",
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
print(z.requires_grad)  # the notes say True

z = torch.matmul(x, w) + b
z_det = z.detach()
print(z.requires_grad, z_det.requires_grad)  # the notes say z_det.requires_grad == True
# --8<-- [end:autograd-requires-grad-comments]

# --8<-- [start:autograd-graph]
import torch

w = torch.tensor([1.0, 2.0], requires_grad=True)
loss = (w * w).sum()  # the forward pass records the graph as it runs
print(loss.grad_fn.name())
loss.backward()  # uses the graph, then frees the tensors it saved
try:
    loss.backward()
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")


def forward(w, square):
    return w * w if square else w.exp()  # ordinary Python control flow


print(forward(w, True).grad_fn.name(), forward(w, False).grad_fn.name())
# --8<-- [end:autograd-graph]

# --8<-- [start:autograd-accumulate]
import torch

w = torch.tensor([1.0, 2.0], requires_grad=True)
for step in range(2):
    loss = (w * w).sum()
    loss.backward()
    print(step, w.grad)  # added to what was there, not replaced
w.grad = None  # what optimizer.zero_grad() does: before every backward, not every epoch
# --8<-- [end:autograd-accumulate]

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

# --8<-- [start:autograd-hooks]
import torch

a = torch.tensor(2.0, requires_grad=True)
c = a * 3
c.register_hook(lambda grad: print("first hook:", grad))  # returns None: grad unchanged
c.register_hook(lambda grad: grad + 2)  # returns a tensor: it replaces the gradient
c.register_hook(lambda grad: print("third hook:", grad))
c.backward()
print(a.grad)  # (1 + 2) * 3
# --8<-- [end:autograd-hooks]

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

# --8<-- [start:models-relu]
import torch
from torch import nn

torch.manual_seed(0)
notes_stack = nn.Sequential(
    nn.Flatten(),
    nn.Linear(28 * 28, 512),
    nn.ReLU(),
    nn.Linear(512, 512),
    nn.ReLU(),
    nn.Linear(512, 10),
    nn.ReLU(),  # the bug: a ReLU after the logits
)
X = torch.rand(8, 28, 28)
logits = notes_stack(X)
print("smallest logit:", logits.min().item())
print("logits clamped to 0:", (logits == 0).sum().item(), "of", logits.numel())
loss = nn.CrossEntropyLoss()(logits, torch.randint(0, 10, (8,)))
loss.backward()
print("output units with no gradient:", (notes_stack[5].bias.grad == 0).sum().item(), "of 10")

fixed_stack = notes_stack[:-1]  # the same layers without the last ReLU
print("smallest logit without it:", round(fixed_stack(X).min().item(), 4))
# --8<-- [end:models-relu]

# --8<-- [start:models-call]
import torch
from torch import nn

model = nn.Linear(784, 10)
run_as_written("x = torch.rand(1, 784)\nlogits = model(X)", {"torch": torch, "model": model})

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
        x = self.pool(torch.relu(self.conv1(x)))  # F.relu in the notes: the same function
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

# --8<-- [start:models-signature]
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
# --8<-- [end:models-signature]

# --8<-- [start:models-one-line]
for where, source in [
    (
        "004, line 46",
        "class Network(nn.Module):    def __init__(self):        super().__init__()        # Inputs to hidden layer linear transformation        self.hidden = nn.Linear(784, 256)        # Output layer, 10 units - one for each digit        self.output = nn.Linear(256, 10)        # Define sigmoid activation and softmax output         self.sigmoid = nn.Sigmoid()        self.softmax = nn.Softmax(dim=1)    def forward(self, x):        # Pass the input tensor through each of our operations        x = self.hidden(x)        x = self.sigmoid(x)        x = self.output(x)        x = self.softmax(x)        return x",
    ),
    (
        "004, line 52",
        "import torch.nn.functional as Fclass Network(nn.Module):    def __init__(self):        super().__init__()        # Inputs to hidden layer linear transformation        self.fc1 = nn.Linear(784, 256)        self.fc2 = ...        # Output layer, 10 units - one for each digit        self.output = nn.Linear(256, 10)    def forward(self, x):        # Hidden layer with sigmoid activation        x = F.sigmoid(self.fc1(x))        x = F.relu(self.fc2(x))        ...        # Output layer with softmax activation        x = F.softmax(self.output(x), dim=1)        return x",
    ),
    (
        "004, line 58",
        "input_size = 784hidden_sizes = [128, 64]output_size = 10from collections import OrderedDictmodel = nn.Sequential(OrderedDict([                      ('fc1', nn.Linear(input_size, hidden_sizes[0])),                      ('relu1', nn.ReLU()),                      ('fc2', nn.Linear(hidden_sizes[0], hidden_sizes[1])),                      ('relu2', nn.ReLU()),                      ('output', nn.Linear(hidden_sizes[1], output_size)),                      ('softmax', nn.Softmax(dim=1))]))",
    ),
    (
        "003, lines 337-345",
        "nn_seq_modules = nn.Sequential(\n"
        "                    flatten,\n"
        "                    layer1,\n"
        "                    relu_activation,\n"
        "                    layer2,\n"
        "                    relu_activation,\n"
        "                    nn.Linear(512, 10), # the output                )\n"
        "input_image = torch.rand(3, 28, 28)\n"
        "logits =  nn_seq_modules(input_image)\n",
    ),
    (
        "003, lines 368-369",
        "from name, param in model.named_parameters():\n"
        '    print(f"Layer: {name} | Size: {param.size()}"\n',
    ),
]:
    print(where, end=": ")
    run_as_written(source)
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
print("Bias stored in the layer: {layer.bias.shape}")  # the notes' missing f
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

optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
try:
    optimizer.backward()
except AttributeError as err:
    print(f"{type(err).__name__}: {err}")
# --8<-- [end:optim-sgd-arguments]

# --8<-- [start:optim-epoch]
import math

from torch.utils.data import DataLoader

loader = DataLoader(range(60_000), batch_size=64)  # FashionMNIST's training set size
print(len(loader), 60_000 / 64, math.ceil(60_000 / 64))
print(len(list(loader)[-1]))  # the last batch holds what is left: 60000 - 937 * 64
# --8<-- [end:optim-epoch]

# --8<-- [start:optim-loops]
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


def test_loop_notes(dataloader, model, loss_fn):
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


# --8<-- [end:optim-loops]

# --8<-- [start:optim-loops-run]
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
data = TensorDataset(torch.randn(256, 20), torch.randint(0, 3, (256,)))
loader = DataLoader(data, batch_size=64)
model = nn.Linear(20, 3)
loss_fn = nn.CrossEntropyLoss()
train_loop(loader, model, loss_fn, torch.optim.SGD(model.parameters(), lr=0.1))

notes_loss = test_loop_notes(loader, model, loss_fn)
avg_loss, accuracy = test_loop(loader, model, loss_fn)
with torch.no_grad():
    whole = loss_fn(model(data.tensors[0]), data.tensors[1]).item()  # all 256 at once
print(f"notes: {notes_loss:.4f}  fixed: {avg_loss:.4f}  whole set: {whole:.4f}")
print(f"ratio: {avg_loss / notes_loss:.1f}")
# --8<-- [end:optim-loops-run]

# --8<-- [start:optim-one-line]
import torch
from torch import nn

model = nn.Linear(2, 1)
namespace = run_as_written(
    "from torch import optim# Optimizers require the parameters to optimize and a learning rateoptimizer = optim.SGD(model.parameters(), lr=0.01)",
    {"model": model},
)
print("optimizer" in namespace)

optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
model(torch.ones(1, 2)).sum().backward()
run_as_written(
    "# Clear the gradients of all tensors, otherwise gradients are summed up at each pass !!# Clear at each pass, not only after declarationoptimizer.zero_grad()",
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

# --8<-- [start:optim-accuracy]
import torch

ps = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])  # probabilities of 3 samples
labels = torch.tensor([1, 0, 0])
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
# --8<-- [end:optim-accuracy]

# --8<-- [start:optim-image-shape]
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
    model(xb.view(-1, 1, 28, 28))  # what the notes' preprocess() feeds it
except RuntimeError as err:
    print(f"{type(err).__name__}: {err}")
print(model(xb).shape)
# --8<-- [end:optim-image-shape]

# --8<-- [start:data-lambda]
run_as_written(
    "the_target_lambda_function = Lambda(lambda y: torch.zeros(10,\n"
    "                                    dtype=dtype=troch.float).scatter_(dim=0,\n"
    "                                                    index=torch.tensor(y), value=1))\n"
)
run_as_written("target_transform=torch.nn.functional.one_hot(y, num_classes=10)", {"torch": torch})
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
run_as_written("```python\nimport torch.utils.data as data\n")
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

# --8<-- [start:saving-one-line]
import torch
from torch import nn

model = nn.Linear(2, 1)
namespace = run_as_written(
    "# Save state dictionarytorch.save(model.state_dict(), 'checkpoint.pth')# reload the state dictionarystate_dict = torch.load('checkpoint.pth')# load state dictionary if it has similar architecturemodel.load_state_dict(state_dict)",
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

# --8<-- [start:export-name]
import torch
import torch.onnx as onnx
from torch import nn

model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))
input_image = torch.zeros((1, 28, 28))
onnx_model_location = "data/model.onnx"
run_as_written(
    "onnx.export(model, input_image, onnx_model)",
    {"onnx": onnx, "model": model, "input_image": input_image},
)
print(onnx.__name__)  # not the onnx package: torch's exporter, under a confusing name
# --8<-- [end:export-name]
