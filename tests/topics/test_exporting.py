"""What the exporting page's code is for: an ONNX file that computes what PyTorch computes."""

import importlib

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch


@pytest.fixture(scope="module")
def exporting():
    return importlib.import_module("snippets.exporting")  # see tests/topics/conftest.py


TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}


@pytest.fixture(scope="module")
def onnx_file(exporting, tmp_path_factory):
    """The page's exported model, saved again (the page deletes its own copy)."""
    path = tmp_path_factory.mktemp("onnx") / "model.onnx"
    exporting.onnx_program.save(path, external_data=False)
    return path


@pytest.fixture(scope="module")
def session(onnx_file):
    return ort.InferenceSession(onnx_file, providers=["CPUExecutionProvider"])


def test_the_file_is_a_valid_onnx_model_with_a_dynamic_batch(onnx_file):
    model_proto = onnx.load(onnx_file)
    onnx.checker.check_model(model_proto, full_check=True)
    (image,) = model_proto.graph.input
    assert image.name == "image"
    assert [d.dim_param or d.dim_value for d in image.type.tensor_type.shape.dim] == [
        "batch",
        1,
        28,
        28,
    ]


def test_the_checker_rejects_a_broken_model(onnx_file):
    model_proto = onnx.load(onnx_file)
    model_proto.graph.node[0].op_type = "NoSuchOperator"
    with pytest.raises(onnx.checker.ValidationError, match="NoSuchOperator"):
        onnx.checker.check_model(model_proto)


@pytest.mark.parametrize("batch_size", [3, 1, 7])
def test_onnx_runtime_computes_what_pytorch_computes(exporting, session, batch_size):
    torch.manual_seed(batch_size)
    images = torch.rand(batch_size, 1, 28, 28)
    (onnx_logits,) = session.run(None, {"image": images.numpy()})
    with torch.no_grad():
        torch_logits = exporting.model(images).numpy()
    assert onnx_logits.shape == (batch_size, 10)
    np.testing.assert_allclose(onnx_logits, torch_logits, **TOLERANCE)


def test_the_page_compared_a_batch_of_three_real_images(exporting):
    assert exporting.images.shape == (3, 1, 28, 28)
    np.testing.assert_allclose(exporting.onnx_logits, exporting.torch_logits, **TOLERANCE)


def test_the_exported_graph_takes_only_the_example_s_rank(session):
    with pytest.raises(ort.capi.onnxruntime_pybind11_state.InvalidArgument, match="rank"):
        session.run(None, {"image": np.zeros((3, 28, 28), dtype=np.float32)})


def test_without_dynamic_shapes_the_batch_size_is_fixed(exporting, tmp_path):
    path = tmp_path / "static.onnx"
    torch.onnx.export(
        exporting.model, (torch.zeros(1, 1, 28, 28),), path, input_names=["image"], verbose=False
    )
    static = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    assert static.get_inputs()[0].shape == [1, 1, 28, 28]
    with pytest.raises(ort.capi.onnxruntime_pybind11_state.InvalidArgument, match="index: 0"):
        static.run(None, {"image": np.zeros((3, 1, 28, 28), dtype=np.float32)})


def test_the_cnn_takes_batches_and_a_3d_example_is_the_wrong_input(exporting):
    assert exporting.example_input.shape == (1, 1, 28, 28)
    with torch.no_grad():
        assert exporting.model(torch.zeros(5, 1, 28, 28)).shape == (5, 10)
        assert exporting.model.features(torch.zeros(2, 1, 28, 28)).shape == (2, 16, 7, 7)
        with pytest.raises(RuntimeError, match=r"16x49 and 784x10"):
            exporting.model(torch.zeros(1, 28, 28))  # read as one unbatched image


def test_exercise_1_a_batch_of_five_runs_and_matches(exporting):
    assert exporting.five_logits.shape == (5, 10)
    np.testing.assert_allclose(exporting.five_logits, exporting.expected, **TOLERANCE)


def test_exercise_2_the_graph_holds_the_model_s_operators(exporting):
    assert exporting.op_types == [
        "Conv",
        "Relu",
        "MaxPool",
        "Conv",
        "Relu",
        "MaxPool",
        "Reshape",
        "Gemm",
    ]


def test_exercise_3_the_softmax_model_outputs_probabilities_for_any_batch(exporting):
    probabilities = exporting.onnx_probabilities
    assert probabilities.shape == (3, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    (seven,) = exporting.in_memory.run(None, {"image": np.zeros((7, 1, 28, 28), dtype=np.float32)})
    assert seven.shape == (7, 10)
    assert exporting.in_memory.get_outputs()[0].name == "probabilities"
