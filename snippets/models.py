"""Building models: nn.Module, parameters, buffers, Sequential, layers, initialization, shapes."""

# --8<-- [start:simple-classifier]
import torch
from torch import nn


class SimpleClassifier(nn.Module):
    """One hidden layer with tanh; one output logit (no sigmoid: the loss applies it)."""

    def __init__(self, num_inputs: int = 2, num_hidden: int = 4, num_outputs: int = 1):
        super().__init__()  # sets up the machinery that registers the layers below
        self.linear1 = nn.Linear(num_inputs, num_hidden)
        self.act_fn = nn.Tanh()
        self.linear2 = nn.Linear(num_hidden, num_outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear2(self.act_fn(self.linear1(x)))  # a logit: the loss takes logits


torch.manual_seed(0)
model = SimpleClassifier(num_inputs=2, num_hidden=4, num_outputs=1)
x = torch.tensor([[0.0, 1.0], [1.0, 1.0], [0.5, -0.5]])  # a batch of 3 points with 2 features
out = model(x)
print(out.shape)
# --8<-- [end:simple-classifier]

# --8<-- [start:print-model]
print(model)
# --8<-- [end:print-model]

# --8<-- [start:call-hooks]
calls = []


def record_call(module, inputs, output):
    calls.append(tuple(output.shape))


handle = model.register_forward_hook(record_call)
out = model(x)  # __call__ runs forward, then the forward hooks
print("the hook saw:", calls)
handle.remove()  # hooks stay until removed
model(x)
print("after remove():", calls)
# --8<-- [end:call-hooks]

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
        self.layers = [nn.Linear(4, 4) for _ in range(3)]  # an attribute, but not registered


class Registered(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(4, 4) for _ in range(3))  # registers each layer

    def forward(self, x):
        for layer in self.layers:
            x = torch.relu(layer(x))
        return x


def count(module):
    return sum(p.numel() for p in module.parameters())


plain, registered = PlainList(), Registered()
print("plain.layers:", type(plain.layers).__name__, "of", len(plain.layers), "Linear layers")
print("plain list:", count(plain), "parameters,", len(plain.state_dict()), "tensors saved")
print(
    "ModuleList:", count(registered), "parameters,", len(registered.state_dict()), "tensors saved"
)
plain, registered = plain.double(), registered.double()  # convert to float64
print(plain.layers[0].weight.dtype, registered.layers[0].weight.dtype)
# --8<-- [end:module-list]

# --8<-- [start:buffers]
import torch
from torch import nn


class Standardize(nn.Module):
    """(x - mean) / std with fixed statistics, times a learned gain."""

    def __init__(self, mean, std):
        super().__init__()
        self.gain = nn.Parameter(torch.ones(len(mean)))  # learned: a parameter
        self.register_buffer("mean", torch.tensor(mean))  # state, not learned: saved
        self.register_buffer("std", torch.tensor(std))
        # a constant that __init__ always rebuilds: moves with the model, not saved
        self.register_buffer("eps", torch.tensor(1e-6), persistent=False)

    def forward(self, x):
        return (x - self.mean) / (self.std + self.eps) * self.gain


standardize = Standardize(mean=[5.0, -1.0], std=[2.0, 0.5])
print("parameters():", [name for name, _ in standardize.named_parameters()])
print("buffers():   ", [name for name, _ in standardize.named_buffers()])
print("state_dict():", list(standardize.state_dict()))
print("mean.requires_grad:", standardize.mean.requires_grad)  # buffers get no gradient
standardize.double()  # .to() and friends move and convert buffers too
print(standardize.mean.dtype, standardize.eps.dtype)
with torch.no_grad():
    print(standardize(torch.tensor([[7.0, -0.5]], dtype=torch.float64)).round(decimals=4))
# --8<-- [end:buffers]

# --8<-- [start:batchnorm-buffers]
import torch
from torch import nn

bn = nn.BatchNorm1d(3)  # normalizes each of 3 features over the batch
print("parameters:", [name for name, _ in bn.named_parameters()])
print("buffers:   ", [name for name, _ in bn.named_buffers()])
print("state_dict:", list(bn.state_dict()))

torch.manual_seed(0)
batch = torch.randn(64, 3) * 2 + 5  # features with mean about 5 and std about 2
bn.train()
bn(batch)  # training mode: normalize with this batch's statistics, update the running ones
print("after train():", bn.running_mean.round(decimals=3), bn.num_batches_tracked)
print("running_var:  ", bn.running_var.round(decimals=3))  # 0.9 * 1 + 0.1 * batch variance
stats_after_train = bn.running_mean.clone()

bn.eval()
bn(batch)  # evaluation mode: normalize with the running statistics, update nothing
print("after eval(): ", bn.running_mean.round(decimals=3), bn.num_batches_tracked)
print("unchanged in eval:", torch.equal(bn.running_mean, stats_after_train))
# --8<-- [end:batchnorm-buffers]

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

# --8<-- [start:residual]
import torch
from torch import nn


class Residual(nn.Module):
    """x + f(x): the input skips past the layers and is added to their output."""

    def __init__(self, width):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width))

    def forward(self, x):
        return x + self.layers(x)  # the shapes must match: the block keeps the width


torch.manual_seed(0)
res_block = Residual(4)
res_input = torch.randn(2, 4)
print(res_block(res_input).shape)
nn.init.zeros_(res_block.layers[2].weight)  # with the last layer at zero ...
nn.init.zeros_(res_block.layers[2].bias)
print(torch.equal(res_block(res_input), res_input))  # ... the block passes its input through
# --8<-- [end:residual]

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
        return self.linear2(x)  # a logit, as the loss expects


torch.manual_seed(0)
with torch.no_grad():  # only looking at the outputs: no graph for backward needed
    logits = FunctionalClassifier()(torch.randn(3, 2))
probs = torch.sigmoid(logits)  # probabilities in (0, 1), to read them
print(probs.round(decimals=4))
h = torch.tensor([-1.0, 0.5])
print(torch.equal(F.relu(h), nn.ReLU()(h)))  # the function and the module compute the same
# --8<-- [end:functional]

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
            nn.Linear(512, 10),  # the logits: no activation after the last layer
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

# --8<-- [start:init-default]
import math

import torch
from torch import nn

torch.manual_seed(0)
fc = nn.Linear(400, 120)  # fan_in 400, fan_out 120
fan_in = fc.weight.shape[1]
bound = 1 / math.sqrt(fan_in)
print(f"weights in [{fc.weight.min():.4f}, {fc.weight.max():.4f}], bound {bound:.4f}")
print(f"std {fc.weight.std():.4f}, 1 / sqrt(3 * fan_in) = {1 / math.sqrt(3 * fan_in):.4f}")
# --8<-- [end:init-default]

# --8<-- [start:init-apply]
import math

import torch
from torch import nn


def init_fn(module):
    if isinstance(module, nn.Conv2d):  # followed by ReLU: Kaiming (He)
        nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
        nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Linear):  # Xavier (Glorot)
        nn.init.xavier_uniform_(module.weight)
        nn.init.zeros_(module.bias)


def fans(weight):
    """fan_in and fan_out of a Linear (out, in) or Conv2d (out, in, kh, kw) weight."""
    receptive_field = weight[0][0].numel()  # kh * kw for a convolution, 1 for a Linear
    return weight.shape[1] * receptive_field, weight.shape[0] * receptive_field


torch.manual_seed(0)
net.apply(init_fn)  # calls init_fn on every submodule, then on net itself
for name, module in net.named_children():
    if isinstance(module, (nn.Conv2d, nn.Linear)):
        fan_in, fan_out = fans(module.weight)
        if isinstance(module, nn.Conv2d):
            expected = math.sqrt(2 / fan_in)  # kaiming_normal_: N(0, 2 / fan_in)
        else:
            expected = math.sqrt(2 / (fan_in + fan_out))  # xavier_uniform_, as a std
        measured = module.weight.std().item()
        print(f"{name:6} fan_in {fan_in:4}  std {measured:.4f}  formula {expected:.4f}")
        assert abs(measured - expected) < 0.1 * expected  # within 10%
        assert torch.all(module.bias == 0)  # zeros_

nn.init.normal_(net.fc3.weight, mean=0.0, std=0.01)  # one tensor by hand: small outputs
print(f"fc3 after normal_(std=0.01): std {net.fc3.weight.std():.4f}")
# --8<-- [end:init-apply]

# --8<-- [start:init-histograms]
import matplotlib.pyplot as plt
import torch
from torch import nn

schemes = {
    "default": lambda w: None,  # keep what nn.Linear drew
    "xavier_uniform_": nn.init.xavier_uniform_,
    "kaiming_normal_": lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"),
}
fig, ax = plt.subplots(figsize=(6, 3))
for name, scheme in schemes.items():
    torch.manual_seed(0)
    weight = nn.Linear(256, 256).weight  # fan_in = fan_out = 256
    with torch.no_grad():
        scheme(weight)
    ax.hist(
        weight.detach().flatten(),
        bins=80,
        histtype="step",
        density=True,
        label=f"{name} (std {weight.std():.3f})",
    )
ax.set_xlabel("weight value")
ax.set_ylabel("density")
ax.set_title("weights of one Linear(256, 256)", fontsize=10)
ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))  # beside the plot
# --8<-- [end:init-histograms]

# --8<-- [start:init-depth]
import matplotlib.pyplot as plt
import torch
from torch import nn

torch.manual_seed(0)
inputs = torch.randn(512, 256)  # 512 samples with 256 features of std 1
depth_stds = {}
for name, scheme in schemes.items():
    torch.manual_seed(0)
    stack = nn.Sequential(*[nn.Sequential(nn.Linear(256, 256), nn.ReLU()) for _ in range(20)])
    h, stds = inputs, []
    with torch.no_grad():
        for block in stack:
            scheme(block[0].weight)
            if name != "default":
                nn.init.zeros_(block[0].bias)
            h = block(h)
            stds.append(h.std().item())
    depth_stds[name] = stds
    spread = h.std(dim=0).mean()  # how much the last layer's output differs between inputs
    print(
        f"{name:16} std after layer 1: {stds[0]:.3f}, after 20: {stds[-1]:.2g}, "
        f"across inputs: {spread:.1g}"
    )

fig, ax = plt.subplots(figsize=(6, 3))
for name, stds in depth_stds.items():
    ax.plot(range(1, 21), stds, marker="o", markersize=3, label=name)
ax.set_yscale("log")
ax.set_xticks([1, 5, 10, 15, 20])
ax.set_xlabel("layer (Linear + ReLU)")
ax.set_ylabel("std of the activations")
ax.set_title("activations through 20 layers of width 256", fontsize=10)
ax.legend(fontsize=8)
# --8<-- [end:init-depth]

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
# --8<-- [end:unbatched-conv]

# --8<-- [start:unbatched-net]
image = torch.randn(3, 32, 32)  # one image, no batch dimension
batch_of_one = image.unsqueeze(0)  # (1, 3, 32, 32)
image_logits = net(batch_of_one)
print(batch_of_one.shape, image_logits.shape)
print(image_logits[0].shape)  # the row of the one image
# --8<-- [end:unbatched-net]

# --8<-- [start:exercise-1]
import torch
from torch import nn

mlp = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
by_hand = (784 * 128 + 128) + (128 * 10 + 10)  # weight (out x in) plus bias (out), per Linear
counted = sum(p.numel() for p in mlp.parameters())
print(by_hand, counted)
assert counted == by_hand
# --8<-- [end:exercise-1]

# --8<-- [start:exercise-2]
import torch
from torch import nn


class Tower(nn.Module):
    def __init__(self, width, depth):
        super().__init__()
        self.blocks = nn.ModuleList(nn.Linear(width, width) for _ in range(depth))

    def forward(self, x):
        for block in self.blocks:
            x = torch.relu(block(x))
        return x


torch.manual_seed(0)
tower = Tower(width=8, depth=3)
before = [block.weight.clone() for block in tower.blocks]
optimizer = torch.optim.SGD(tower.parameters(), lr=0.1)
tower(torch.randn(16, 8)).sum().backward()
optimizer.step()
moved = [
    not torch.equal(block.weight, old) for block, old in zip(tower.blocks, before, strict=True)
]
print(len(list(tower.parameters())), moved)
assert len(list(tower.parameters())) == 6  # a weight and a bias per block
assert all(moved)  # the optimizer updated every block
# --8<-- [end:exercise-2]

# --8<-- [start:exercise-3]
import math

import torch
from torch import nn


def kaiming_init(module):
    if isinstance(module, nn.Linear):
        nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
        nn.init.zeros_(module.bias)


torch.manual_seed(0)
deep = nn.Sequential(*[nn.Sequential(nn.Linear(128, 128), nn.ReLU()) for _ in range(10)])
deep.apply(kaiming_init)
for block in deep:
    expected = math.sqrt(2 / block[0].in_features)
    assert abs(block[0].weight.std().item() - expected) < 0.05 * expected
    assert torch.all(block[0].bias == 0)
with torch.no_grad():
    out = deep(torch.randn(256, 128))
print(f"std after 10 layers: {out.std():.3f}")
assert 0.3 < out.std() < 3  # neither vanished nor exploded
# --8<-- [end:exercise-3]

# --8<-- [start:exercise-4]
import torch
from torch import nn

torch.manual_seed(0)
trained = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1))
trained.train()
for _ in range(5):
    trained(torch.randn(32, 4) + 3)  # five training batches update the running statistics
trained.eval()

fresh = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1))
fresh.load_state_dict(trained.state_dict())  # parameters AND buffers
fresh.eval()
print(
    fresh[1].num_batches_tracked.item(), torch.equal(fresh[1].running_var, trained[1].running_var)
)
assert fresh[1].num_batches_tracked.item() == 5
assert torch.equal(fresh[1].running_mean, trained[1].running_mean)
torch.manual_seed(1)
probe = torch.randn(3, 4)
with torch.no_grad():
    assert torch.equal(fresh(probe), trained(probe))
# --8<-- [end:exercise-4]
