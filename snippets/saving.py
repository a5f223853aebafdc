"""Saving and loading: state_dict, eval(), strict loading, map_location, checkpoints."""

# --8<-- [start:tempdir]
import tempfile
from pathlib import Path

tmp = tempfile.TemporaryDirectory()  # deleted with tmp.cleanup() at the end of the page
tmpdir = Path(tmp.name)
# --8<-- [end:tempdir]

# --8<-- [start:model]
from itertools import pairwise

import torch
from torch import nn


class Network(nn.Module):
    """A fully connected classifier with any number of hidden layers and dropout."""

    def __init__(self, input_size, output_size, hidden_layers, drop_p=0.5):
        super().__init__()
        sizes = [input_size, *hidden_layers]
        self.hidden_layers = nn.ModuleList(
            nn.Linear(n_in, n_out) for n_in, n_out in pairwise(sizes)
        )
        self.output = nn.Linear(hidden_layers[-1], output_size)
        self.dropout = nn.Dropout(p=drop_p)

    def forward(self, x):
        for layer in self.hidden_layers:
            x = self.dropout(torch.relu(layer(x)))
        return self.output(x)


torch.manual_seed(0)
model = Network(784, 10, [256, 128])
# --8<-- [end:model]

# --8<-- [start:state-dict]
for name, tensor in model.state_dict().items():
    print(f"{name:24} {tuple(tensor.shape)}")
# --8<-- [end:state-dict]

# --8<-- [start:save-load]
import torch

weights_path = tmpdir / "weights.pt"
torch.save(model.state_dict(), weights_path)

loaded = Network(784, 10, [256, 128])  # same class, same arguments: the same architecture
loaded.load_state_dict(torch.load(weights_path))

model.eval()  # inference mode: Dropout off (see the next section)
loaded.eval()
x = torch.rand(3, 784)
with torch.no_grad():
    print(torch.equal(model(x), loaded(x)))
# --8<-- [end:save-load]

# --8<-- [start:eval]
import torch

x = torch.rand(1, 784)
with torch.no_grad():
    loaded.train()  # training mode: Dropout zeroes a random half of the activations
    print("train:", torch.equal(loaded(x), loaded(x)))
    loaded.eval()  # evaluation mode: Dropout passes everything through
    print("eval: ", torch.equal(loaded(x), loaded(x)))
# --8<-- [end:eval]

# --8<-- [start:strict]
import torch

state = model.state_dict()
# A state dict from another model: no "output" layer, and a "classifier" layer instead.
other = {key: value for key, value in state.items() if not key.startswith("output.")}
other["classifier.weight"] = torch.zeros(2, 128)

target = Network(784, 10, [256, 128])
result = target.load_state_dict(other, strict=False)  # load what matches, report the rest
print(result)
print(torch.equal(target.hidden_layers[0].weight, model.hidden_layers[0].weight))
# --8<-- [end:strict]

# --8<-- [start:strict-shapes]
import torch

three_classes = Network(784, 3, [256, 128])  # the same hidden layers, a 3-class head
own = three_classes.state_dict()
compatible = {
    name: tensor
    for name, tensor in model.state_dict().items()
    if name in own and tensor.shape == own[name].shape  # drop the 10-class head's tensors
}
print(three_classes.load_state_dict(compatible, strict=False))
print(torch.equal(three_classes.hidden_layers[1].weight, model.hidden_layers[1].weight))
# --8<-- [end:strict-shapes]

# --8<-- [start:map-location]
import torch

device = "cuda" if torch.cuda.is_available() else "cpu"

# Load to the CPU, whatever device the tensors were saved from: this runs anywhere.
state = torch.load(weights_path, map_location="cpu")
print(state["output.weight"].device)

# Or straight to the device this machine has, then move the model there too.
state = torch.load(weights_path, map_location=device)
on_device = Network(784, 10, [256, 128]).to(device)
on_device.load_state_dict(state)
print(next(on_device.parameters()).device.type == device)
# --8<-- [end:map-location]

# --8<-- [start:whole-model-class]
import importlib
import sys

# A whole-model file stores the class by reference ("module.ClassName"), not its code.
# As in a real project, the class lives in a module: here zoo.py, in the temporary directory.
(tmpdir / "zoo.py").write_text(
    "from torch import nn\n"
    "\n"
    "\n"
    "class TinyNet(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.fc = nn.Linear(4, 2)\n"
    "\n"
    "    def forward(self, x):\n"
    "        return self.fc(x)\n"
)
sys.path.insert(0, str(tmpdir))
zoo = importlib.import_module("zoo")
# --8<-- [end:whole-model-class]

# --8<-- [start:whole-model-save]
import torch

whole_path = tmpdir / "whole_model.pt"
torch.save(zoo.TinyNet(), whole_path)  # pickles the module object, class reference included
# --8<-- [end:whole-model-save]

# --8<-- [start:whole-model-trusted]
import torch
from torch import nn

# Only for a file you trust: allowlist the classes it needs, for this load only ...
with torch.serialization.safe_globals([zoo.TinyNet, nn.Linear]):
    print(torch.load(whole_path))

# ... or turn the safety off entirely, which can run any code the file contains.
print(type(torch.load(whole_path, weights_only=False)).__name__)
# --8<-- [end:whole-model-trusted]

# --8<-- [start:checkpoint-train]
import torch
from torch import nn


def train_step(model, optimizer, X, y):
    model.train()
    loss = nn.functional.cross_entropy(model(X), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


torch.manual_seed(0)
X, y = torch.rand(32, 784), torch.randint(0, 10, (32,))
net = Network(784, 10, [256, 128])
optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
for epoch in range(3):
    loss = train_step(net, optimizer, X, y)
    print(f"epoch {epoch}: loss {loss:.4f}")

checkpoint_path = tmpdir / "checkpoint.pt"
torch.save(
    {
        "epoch": epoch,
        "model_state_dict": net.state_dict(),
        "optimizer_state_dict": optimizer.state_dict(),
        "loss": loss,
        "rng_state": torch.get_rng_state(),  # the CPU's generator: Dropout draws from it
        "cuda_rng_state": torch.cuda.get_rng_state_all(),  # every GPU's ([] without CUDA)
    },
    checkpoint_path,
)
print(f"saved after epoch {epoch}")

# The run goes on without interruption, to compare with a resumed run below.
loss_uninterrupted = train_step(net, optimizer, X, y)
# --8<-- [end:checkpoint-train]

# --8<-- [start:checkpoint-resume]
import torch

checkpoint = torch.load(checkpoint_path)
resumed = Network(784, 10, [256, 128])
resumed_optimizer = torch.optim.Adam(resumed.parameters(), lr=1e-3)
resumed.load_state_dict(checkpoint["model_state_dict"])
resumed_optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
torch.set_rng_state(checkpoint["rng_state"])
torch.cuda.set_rng_state_all(checkpoint["cuda_rng_state"])
start_epoch = checkpoint["epoch"] + 1
print(f"resuming at epoch {start_epoch}, last loss {checkpoint['loss']:.4f}")

loss_resumed = train_step(resumed, resumed_optimizer, X, y)
print(loss_resumed == loss_uninterrupted)
print(all(torch.equal(a, b) for a, b in zip(net.parameters(), resumed.parameters(), strict=True)))
# --8<-- [end:checkpoint-resume]

# --8<-- [start:hyperparameters]
import torch

checkpoint = {
    "input_size": 784,
    "output_size": 10,
    "hidden_layers": [each.out_features for each in model.hidden_layers],
    "drop_p": model.dropout.p,  # not in the state_dict: Dropout has no weights
    "state_dict": model.state_dict(),
}
torch.save(checkpoint, tmpdir / "rebuildable.pt")


def load_checkpoint(filepath):
    checkpoint = torch.load(filepath, map_location="cpu")
    model = Network(
        checkpoint["input_size"],
        checkpoint["output_size"],
        checkpoint["hidden_layers"],
        drop_p=checkpoint["drop_p"],
    )
    model.load_state_dict(checkpoint["state_dict"])
    return model


rebuilt = load_checkpoint(tmpdir / "rebuildable.pt")
print(rebuilt)
# --8<-- [end:hyperparameters]

# --8<-- [start:cleanup]
import sys

sys.path.remove(str(tmpdir))  # forget the temporary module zoo ...
del sys.modules["zoo"]
tmp.cleanup()  # ... and delete the temporary directory and every file saved in it
# --8<-- [end:cleanup]

# --8<-- [start:exercise-1]
import io

import torch

buffer = io.BytesIO()  # an in-memory file: torch.save and torch.load take file objects too
torch.save(model.state_dict(), buffer)
buffer.seek(0)  # back to the start before reading
from_memory = Network(784, 10, [256, 128])
from_memory.load_state_dict(torch.load(buffer))

from_memory.eval()
model.eval()
x = torch.rand(5, 784)
with torch.no_grad():
    same = torch.equal(from_memory(x), model(x))
print(f"{buffer.getbuffer().nbytes:,} bytes, same outputs: {same}")

assert same
# --8<-- [end:exercise-1]

# --8<-- [start:exercise-2]
import io

import torch

torch.manual_seed(0)
small = Network(20, 3, [16])
sgd = torch.optim.SGD(small.parameters(), lr=0.1, momentum=0.9)
X_small, y_small = torch.rand(8, 20), torch.randint(0, 3, (8,))
for _ in range(2):
    train_step(small, sgd, X_small, y_small)

buffer = io.BytesIO()
torch.save({"model": small.state_dict(), "optimizer": sgd.state_dict()}, buffer)
buffer.seek(0)
saved = torch.load(buffer)
small_again = Network(20, 3, [16])
sgd_again = torch.optim.SGD(small_again.parameters(), lr=0.1, momentum=0.9)
small_again.load_state_dict(saved["model"])
sgd_again.load_state_dict(saved["optimizer"])

velocities = [sgd.state[p]["momentum_buffer"] for p in small.parameters()]
velocities_again = [sgd_again.state[p]["momentum_buffer"] for p in small_again.parameters()]
print(len(velocities_again), all(map(torch.equal, velocities, velocities_again)))

assert len(velocities_again) == 4  # one velocity per parameter tensor
assert all(map(torch.equal, velocities, velocities_again))
# --8<-- [end:exercise-2]

# --8<-- [start:exercise-3]
import torch


class RenamedNetwork(Network):
    """A new version of Network whose output layer is called `head`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.head = self.output
        del self.output

    def forward(self, x):
        for layer in self.hidden_layers:
            x = self.dropout(torch.relu(layer(x)))
        return self.head(x)


old_state = model.state_dict()
new_state = {
    ("head." + name.removeprefix("output.") if name.startswith("output.") else name): tensor
    for name, tensor in old_state.items()
}
upgraded = RenamedNetwork(784, 10, [256, 128])
print(upgraded.load_state_dict(new_state))  # strict: every name matches

upgraded.eval()
x = torch.rand(2, 784)
with torch.no_grad():
    assert torch.equal(upgraded(x), model.eval()(x))
assert sorted(new_state) == sorted(upgraded.state_dict())
# --8<-- [end:exercise-3]
