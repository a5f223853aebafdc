"""Building models: nn.Module, parameters, Sequential, the functional style, layers, shapes."""

# --8<-- [start:simple-classifier]
import torch
from torch import nn


class SimpleClassifier(nn.Module):
    def __init__(self, dim_in, dim_hidden, dim_out):
        super().__init__()  # sets up the machinery that registers the layers below
        self.linear1 = nn.Linear(dim_in, dim_hidden)
        self.activation = nn.Tanh()
        self.linear2 = nn.Linear(dim_hidden, dim_out)

    def forward(self, x):
        x = self.linear1(x)
        x = self.activation(x)
        x = self.linear2(x)
        return x  # a logit: no sigmoid here, the loss takes logits (see Losses)


torch.manual_seed(0)
model = SimpleClassifier(dim_in=2, dim_hidden=4, dim_out=1)
x = torch.tensor([[0.0, 1.0], [1.0, 1.0], [0.5, -0.5]])  # a batch of 3 points with 2 features
out = model(x)
print(out.shape)
# --8<-- [end:simple-classifier]

# --8<-- [start:print-model]
print(model)
# --8<-- [end:print-model]

# --8<-- [start:call-vs-forward]
calls = []


def record_call(module, inputs, output):
    calls.append(output.shape)


handle = model.register_forward_hook(record_call)
via_call = model(x)  # __call__ runs the hooks around forward
print("after model(x):", len(calls))
via_forward = model.forward(x)  # forward alone skips them
print("after model.forward(x):", len(calls))
print("same numbers:", torch.equal(via_call, via_forward))
handle.remove()  # hooks stay until removed
# --8<-- [end:call-vs-forward]

# --8<-- [start:parameters]
for name, param in model.named_parameters():
    print(f"{name:15} {tuple(param.shape)}")
n_params = sum(p.numel() for p in model.parameters())
print("parameters:", n_params)
# --8<-- [end:parameters]

# --8<-- [start:module-list]
import torch
from torch import nn


class PlainList(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = [nn.Linear(4, 4) for _ in range(3)]  # a Python list: invisible to nn


class Registered(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(4, 4) for _ in range(3))

    def forward(self, x):
        for layer in self.layers:
            x = torch.relu(layer(x))
        return x


def count(module):
    return sum(p.numel() for p in module.parameters())


print("plain list:", count(PlainList()), "parameters,", len(PlainList().state_dict()), "saved")
print("ModuleList:", count(Registered()), "parameters,", len(Registered().state_dict()), "saved")
plain, registered = PlainList().double(), Registered().double()  # convert to float64
print(plain.layers[0].weight.dtype, registered.layers[0].weight.dtype)
# --8<-- [end:module-list]

# --8<-- [start:sequential]
import torch
from torch import nn

torch.manual_seed(0)
seq = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))  # SimpleClassifier, in one line
print(seq)
print(seq[0])  # layers are numbered
print(seq(torch.zeros(5, 2)).shape)
# --8<-- [end:sequential]

# --8<-- [start:sequential-names]
from collections import OrderedDict

import torch
from torch import nn

named = nn.Sequential(
    OrderedDict(
        [
            ("hidden", nn.Linear(2, 4)),
            ("activation", nn.Tanh()),
            ("output", nn.Linear(4, 1)),
        ]
    )
)
print(named)
print(named.hidden.weight.shape)  # a layer by name
print(named[0] is named.hidden)  # index access still works
print([name for name, _ in named.named_parameters()])
# --8<-- [end:sequential-names]

# --8<-- [start:functional]
import torch
import torch.nn.functional as F
from torch import nn


class FunctionalClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear1 = nn.Linear(2, 4)  # layers with weights stay modules, so they register
        self.linear2 = nn.Linear(4, 1)

    def forward(self, x):
        x = F.relu(self.linear1(x))  # no weights: a function call is enough
        return torch.sigmoid(self.linear2(x))  # a probability in (0, 1)


torch.manual_seed(0)
with torch.no_grad():  # only looking at the outputs: no graph for backward needed
    probs = FunctionalClassifier()(torch.randn(3, 2))
print(probs.round(decimals=4))
h = torch.tensor([-1.0, 0.5])
print(torch.equal(F.relu(h), nn.ReLU()(h)))  # the function and the module compute the same
# --8<-- [end:functional]

# --8<-- [start:f-sigmoid]
import warnings

import torch

scores = torch.tensor([-2.0, 0.0, 2.0])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    old = torch.nn.functional.sigmoid(scores)  # F.sigmoid, as the notes write it
print(torch.equal(old, torch.sigmoid(scores)), "warnings:", len(caught))
# --8<-- [end:f-sigmoid]

# --8<-- [start:shape-layers]
import torch
from torch import nn

images = torch.randn(8, 3, 32, 32)  # (batch, channels, height, width)
print("Linear   ", nn.Linear(20, 5)(torch.randn(8, 20)).shape)  # last dim: 20 -> 5
print("Conv2d   ", nn.Conv2d(3, 6, kernel_size=5)(images).shape)  # 32 - 5 + 1 = 28
print("MaxPool2d", nn.MaxPool2d(2, 2)(images).shape)  # halves height and width
print("Flatten  ", nn.Flatten()(images).shape)  # keeps dim 0: 3 * 32 * 32 = 3072
# --8<-- [end:shape-layers]

# --8<-- [start:activations]
import torch
from torch import nn

z = torch.tensor([[-2.0, 0.0, 2.0]])
print("ReLU      ", nn.ReLU()(z))  # max(0, z)
print("Tanh      ", nn.Tanh()(z).round(decimals=4))  # squashes to (-1, 1)
print("Sigmoid   ", nn.Sigmoid()(z).round(decimals=4))  # squashes to (0, 1)
print("Softmax   ", nn.Softmax(dim=1)(z).round(decimals=4))  # a row that sums to 1
print("LogSoftmax", nn.LogSoftmax(dim=1)(z).round(decimals=4))  # log of the row above
# --8<-- [end:activations]

# --8<-- [start:dropout]
import torch
from torch import nn

torch.manual_seed(0)
dropout = nn.Dropout(p=0.5)
ones = torch.ones(1, 8)
print("train:", dropout(ones))  # zeroes half on average, scales the rest by 1 / (1 - p)
dropout.eval()
print("eval: ", dropout(ones))  # does nothing at inference
dropout.train()  # back to training mode
print(f"mean over 10000 ones: {dropout(torch.ones(10_000)).mean():.2f}")  # about 1
# --8<-- [end:dropout]

# --8<-- [start:forward-steps]
import torch
from torch import nn

torch.manual_seed(0)
images = torch.rand(3, 28, 28)  # 3 grayscale 28x28 images: dim 0 is the batch
layer1 = nn.Linear(in_features=28 * 28, out_features=512)
layer2 = nn.Linear(512, 10)
with torch.no_grad():  # only looking: no graph for backward needed
    flat = nn.Flatten()(images)
    print("flattened:", flat.shape)
    hidden = nn.ReLU()(layer1(flat))
    print("hidden:   ", hidden.shape)
    logits = layer2(hidden)  # no ReLU after the last layer: logits can be negative
    print("logits:   ", logits.shape)
    probs = nn.Softmax(dim=1)(logits)  # over dim 1, the classes: one row per image
    print("row sums: ", probs.sum(dim=1))
    print("predicted:", probs.argmax(dim=1))
# --8<-- [end:forward-steps]

# --8<-- [start:forward-sequential]
import torch
from torch import nn


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),  # the notes add a ReLU here: it would zero every negative logit
        )

    def forward(self, x):
        x = self.flatten(x)
        return self.linear_relu_stack(x)


device = "cuda" if torch.cuda.is_available() else "cpu"
torch.manual_seed(0)
net = NeuralNetwork().to(device)
batch_logits = net(torch.rand(3, 28, 28, device=device))  # model(x): __call__ runs forward
print(batch_logits.shape, "negative logits:", bool((batch_logits < 0).any()))
# --8<-- [end:forward-sequential]

# --8<-- [start:inspect-layer]
import torch
from torch import nn

layer = nn.Linear(in_features=28 * 28, out_features=512)
print(type(layer.weight).__name__, layer.weight.shape, layer.weight.requires_grad)
print(type(layer.bias).__name__, layer.bias.shape, layer.bias.requires_grad)
x = torch.rand(3, 28 * 28)
print(torch.allclose(layer(x), x @ layer.weight.T + layer.bias))  # y = x W^T + b
# --8<-- [end:inspect-layer]

# --8<-- [start:conv-net]
import torch
import torch.nn.functional as F
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)  # no weights: one instance serves both pooling steps
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)  # flatten all dimensions except the batch
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


torch.manual_seed(0)
net = Net()
print(net(torch.randn(1, 3, 32, 32)).shape)
# --8<-- [end:conv-net]

# --8<-- [start:conv-trace]
x = torch.randn(1, 3, 32, 32)
print(f"{'input':11}", tuple(x.shape))
steps = [
    ("conv1", net.conv1),
    ("relu+pool", lambda t: net.pool(F.relu(t))),
    ("conv2", net.conv2),
    ("relu+pool", lambda t: net.pool(F.relu(t))),
    ("flatten", lambda t: torch.flatten(t, 1)),
    ("fc1+relu", lambda t: F.relu(net.fc1(t))),
    ("fc2+relu", lambda t: F.relu(net.fc2(t))),
    ("fc3", net.fc3),
]
for name, step in steps:
    x = step(x)
    print(f"{name:11}", tuple(x.shape))
# --8<-- [end:conv-trace]

# --8<-- [start:conv-params]
for name, module in net.named_children():
    n = sum(p.numel() for p in module.parameters())
    print(f"{name:6} {n:6}")
print("total ", sum(p.numel() for p in net.parameters()))
# --8<-- [end:conv-params]

# --8<-- [start:unbatched-linear]
import torch
from torch import nn

torch.manual_seed(0)
linear = nn.Linear(2, 1)
sample = torch.tensor([0.5, -0.5])  # one sample, no batch dimension
print(linear(sample).shape)  # works: every dimension but the last is treated as batch
print(linear(sample.unsqueeze(0)).shape)  # a batch of one: shape (1, 2) -> (1, 1)
print(linear(torch.randn(4, 7, 2)).shape)  # any leading dimensions pass through
# --8<-- [end:unbatched-linear]

# --8<-- [start:unbatched-conv]
import torch
from torch import nn

conv = nn.Conv2d(3, 6, 5)
image = torch.randn(3, 32, 32)  # one image: (channels, height, width)
print("unbatched:", conv(image).shape)  # accepted: a 3-D input is one sample
print("batched:  ", conv(image.unsqueeze(0)).shape)
try:
    conv(torch.randn(32, 32))  # a bare (height, width) image has no channel dimension
except RuntimeError as err:
    print(f"RuntimeError: {err}")
# --8<-- [end:unbatched-conv]

# --8<-- [start:unbatched-flatten]
import torch
from torch import nn

flatten = nn.Flatten()  # flattens from dimension 1: dimension 0 is taken as the batch
print(flatten(torch.rand(1, 28, 28)).shape)  # one image, right by luck: 1 channel
print(flatten(torch.rand(28, 28)).shape)  # one image without channel: 28 "samples"
print(flatten(torch.rand(1, 28, 28).unsqueeze(0)).shape)  # (1, 1, 28, 28): a batch of one
# --8<-- [end:unbatched-flatten]

# --8<-- [start:unbatched-net]
image = torch.randn(3, 32, 32)
try:
    net(image)  # the convolutions accept it, but flatten(x, 1) then keeps 16 rows
except RuntimeError as err:
    print(f"RuntimeError: {err}")
print(net(image.unsqueeze(0)).shape)  # a batch of one works
# --8<-- [end:unbatched-net]
