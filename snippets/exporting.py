"""Exporting to ONNX: example inputs, batch dimensions, a dynamic batch, ONNX Runtime."""

# --8<-- [start:model]
import tempfile
from pathlib import Path

import torch
from torch import nn

tmp = tempfile.TemporaryDirectory()  # deleted with tmp.cleanup() at the end of the page
tmpdir = Path(tmp.name)


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, 10),
        )

    def forward(self, x):
        return self.linear_relu_stack(self.flatten(x))


torch.manual_seed(0)
model = NeuralNetwork()
model.eval()  # export what inference runs: Dropout and BatchNorm in evaluation mode
# --8<-- [end:model]

# --8<-- [start:flatten]
import torch
from torch import nn

flatten = nn.Flatten()  # flattens every dimension but the first one, the batch
for shape in [(1, 1, 28, 28), (3, 1, 28, 28), (1, 28, 28), (28, 28)]:
    print(f"{shape!s:16} -> {tuple(flatten(torch.zeros(shape)).shape)}")

try:
    model(torch.zeros(28, 28))  # one image without a batch dimension: 28 rows of 28 values
except RuntimeError as err:
    print(err)
# --8<-- [end:flatten]

# --8<-- [start:export]
import torch

onnx_path = tmpdir / "model.onnx"
example_input = torch.zeros(1, 1, 28, 28)  # (batch, channels, height, width)
batch = torch.export.Dim("batch")
onnx_program = torch.onnx.export(
    model,
    (example_input,),  # the arguments of model.forward, as a tuple
    onnx_path,
    input_names=["image"],
    output_names=["logits"],
    dynamic_shapes={"x": {0: batch}},  # forward's argument x: dimension 0 can be any size
    external_data=False,  # one self-contained file (large models need external data)
)
# --8<-- [end:export]

# --8<-- [start:check]
import onnx

model_proto = onnx.load(onnx_path)
onnx.checker.check_model(model_proto)  # raises if the file is not a valid ONNX model


def shape_of(value):
    return [dim.dim_param or dim.dim_value for dim in value.type.tensor_type.shape.dim]


for value in [*model_proto.graph.input, *model_proto.graph.output]:
    print(value.name, shape_of(value))
# --8<-- [end:check]

# --8<-- [start:run]
import numpy as np
import onnxruntime as ort
import torch
from torchvision import datasets
from torchvision.transforms import ToTensor

test_data = datasets.FashionMNIST(root="data", train=False, download=True, transform=ToTensor())
images = torch.stack([test_data[i][0] for i in range(3)])  # a batch of 3: (3, 1, 28, 28)

session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
(onnx_logits,) = session.run(None, {"image": images.numpy()})  # None: every output

with torch.no_grad():
    torch_logits = model(images).numpy()

np.testing.assert_allclose(onnx_logits, torch_logits, rtol=1e-4, atol=1e-5)
print(onnx_logits.shape, "matches PyTorch within rtol=1e-4, atol=1e-5")
# --8<-- [end:run]

# --8<-- [start:legacy]
import warnings

import onnxruntime as ort
import torch

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    torch.onnx.export(
        model,
        (example_input,),
        tmpdir / "legacy.onnx",
        dynamo=False,  # the TorchScript-based exporter
        input_names=["image"],
        output_names=["logits"],
        dynamic_axes={"image": {0: "batch"}},  # its way to declare a dynamic dimension
    )
for warning in caught:
    print(f"{warning.category.__name__}: {warning.message}")

legacy = ort.InferenceSession(tmpdir / "legacy.onnx", providers=["CPUExecutionProvider"])
(legacy_logits,) = legacy.run(None, {"image": images.numpy()})
np.testing.assert_allclose(legacy_logits, torch_logits, rtol=1e-4, atol=1e-5)
# --8<-- [end:legacy]

# --8<-- [start:notes]
import torch

input_image = torch.zeros((1, 28, 28))
onnx_model_location = tmpdir / "notes_model.onnx"
try:
    torch.onnx.export(model, input_image, onnx_model)  # onnx_model: undefined, as in the notes
except NameError as err:
    print(err)
# --8<-- [end:notes]

# --8<-- [start:cleanup]
tmp.cleanup()  # delete the temporary directory and the ONNX file in it
# --8<-- [end:cleanup]
