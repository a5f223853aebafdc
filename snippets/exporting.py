"""Exporting to ONNX: example inputs, batch dimensions, a dynamic batch, ONNX Runtime."""

# --8<-- [start:model]
import tempfile
from pathlib import Path

import torch
from torch import nn

tmp = tempfile.TemporaryDirectory()  # deleted with tmp.cleanup() at the end of the page
tmpdir = Path(tmp.name)


class ConvNet(nn.Module):
    """A small CNN for 28x28 greyscale images: two convolution blocks, then a linear layer."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=3, padding=1),  # (N, 1, 28, 28) -> (N, 8, 28, 28)
            nn.ReLU(),
            nn.MaxPool2d(2),  # -> (N, 8, 14, 14)
            nn.Conv2d(8, 16, kernel_size=3, padding=1),  # -> (N, 16, 14, 14)
            nn.ReLU(),
            nn.MaxPool2d(2),  # -> (N, 16, 7, 7)
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16 * 7 * 7, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


torch.manual_seed(0)
model = ConvNet()
model.eval()  # export what inference runs: Dropout and BatchNorm in evaluation mode
# --8<-- [end:model]

# --8<-- [start:example-input]
import torch

example_input = torch.zeros(1, 1, 28, 28)  # one image: (batch, channels, height, width)
with torch.no_grad():
    print(tuple(model(example_input).shape))  # one row of 10 logits
    print(tuple(model(torch.zeros(64, 1, 28, 28)).shape))  # a DataLoader's batch of 64
# --8<-- [end:example-input]

# --8<-- [start:export]
import torch

onnx_path = tmpdir / "model.onnx"
batch = torch.export.Dim("batch")
onnx_program = torch.onnx.export(
    model,
    (example_input,),  # the arguments of model.forward, as a tuple
    input_names=["image"],
    output_names=["logits"],
    dynamic_shapes={"x": {0: batch}},  # forward's argument x: dimension 0 can be any size
)
onnx_program.save(onnx_path)  # one file; a model over 2 GB gets its weights in a second one
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

# --8<-- [start:cleanup]
tmp.cleanup()  # delete the temporary directory and the ONNX file in it
# --8<-- [end:cleanup]

# --8<-- [start:exercise-1]
import numpy as np
import torch

torch.manual_seed(1)
five = torch.rand(5, 1, 28, 28)  # a batch size the export never saw
(five_logits,) = session.run(["logits"], {"image": five.numpy()})
with torch.no_grad():
    expected = model(five).numpy()
print(five_logits.shape)

assert five_logits.shape == (5, 10)
np.testing.assert_allclose(five_logits, expected, rtol=1e-4, atol=1e-5)
# --8<-- [end:exercise-1]

# --8<-- [start:exercise-2]
op_types = [node.op_type for node in model_proto.graph.node]
print(op_types)

assert op_types.count("Conv") == 2  # one per nn.Conv2d
assert op_types.count("MaxPool") == 2
assert "Gemm" in op_types  # the nn.Linear: a general matrix multiplication
# --8<-- [end:exercise-2]

# --8<-- [start:exercise-3]
import numpy as np
import onnxruntime as ort
import torch
from torch import nn

with_softmax = nn.Sequential(model, nn.Softmax(dim=1)).eval()
program = torch.onnx.export(
    with_softmax,
    (example_input,),  # never saved: the program stays in memory
    input_names=["image"],
    output_names=["probabilities"],
    dynamic_shapes={"input": {0: torch.export.Dim("batch")}},  # Sequential's argument: input
    verbose=False,
)
in_memory = ort.InferenceSession(
    program.model_proto.SerializeToString(), providers=["CPUExecutionProvider"]
)
(onnx_probabilities,) = in_memory.run(None, {"image": images.numpy()})
print(onnx_probabilities.sum(axis=1).round(4))

np.testing.assert_allclose(onnx_probabilities.sum(axis=1), 1.0, rtol=1e-5)
np.testing.assert_allclose(
    onnx_probabilities, torch.softmax(torch.from_numpy(torch_logits), dim=1), atol=1e-6
)
# --8<-- [end:exercise-3]
