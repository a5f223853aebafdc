"""What the mistakes page claims, asserted on torch itself and on the code the page shows (run
once, its printed output kept): each mistake raises the message the page shows, or gives the
wrong result it describes, and each fix works."""

import ast
import contextlib
import importlib
import io
import itertools
import math
import pickle
import re
import sys
import tempfile
import types
import warnings
from pathlib import Path

import markdown
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mkdocs.utils.meta import get_data
from torch import nn
from torch.utils.data import DataLoader, Dataset, DistributedSampler, TensorDataset
from torchvision import models, transforms

from tools.paths import DOCS

PAGE = DOCS / "mistakes.md"


@pytest.fixture(scope="module")
def page():
    """The mistakes module run once: its namespace and everything it printed."""
    sys.modules.pop("snippets.mistakes", None)  # imported afresh, so that it prints
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        mistakes = importlib.import_module("snippets.mistakes")
    return vars(mistakes), printed.getvalue()


@pytest.fixture(scope="module")
def printed(page):
    return page[1].splitlines()


@pytest.fixture(scope="module")
def shown():
    """The text of the page, Output fences included: what a reader sees."""
    return PAGE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def outputs(shown):
    """The lines of the page's Output fences, unindented: what the page says the code printed."""
    fences = re.findall(r'^ *```text title="Output"\n(.*?)^ *```$', shown, flags=re.S | re.M)
    return [line.strip() for fence in fences for line in fence.splitlines()]


def is_shown(line, outputs):
    """The line is an output line, or the end of one ('what: Error: message')."""
    return any(shown == line or shown.endswith(": " + line) for shown in outputs)


def message_of(call):
    """The line the page prints for an exception: 'Type: message'."""
    try:
        call()
    except Exception as err:
        return f"{type(err).__name__}: {err}"
    raise AssertionError("no exception was raised")


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, kernel_size=3)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(4 * 26 * 26, 10)

    def forward(self, x):
        return self.fc(self.flatten(torch.relu(self.conv(x))))


def backward_twice():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward()
    loss.backward()


def update_a_leaf_in_place():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    w -= 0.1 * w.grad


class OnlyLen(Dataset):
    def __len__(self):
        return 5


class SimpleClassifier(nn.Module):
    def __init__(self, dim_in, dim_hidden, dim_out):
        super().__init__()


def load_resized():
    old = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    resized = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 5))
    resized.load_state_dict(old.state_dict(), strict=False)


# Each mistake that raises, raised here by torch itself: the line must be the one the module
# printed and the one the page shows. A test fails when the page shows another message.
RAISED = {
    "_is_available": lambda: torch.cuda._is_available(),
    "gpu string": lambda: nn.Linear(4, 2).to("gpu"),
    "device": lambda: nn.Linear(4, 2).to("meta")(torch.ones(3, 4)),
    "magic": lambda: compile("%matplotlib inline", "<pasted>", "exec"),
    "view": lambda: torch.arange(6).view(2, 3).t().view(2, 3),
    "tensor name": lambda: exec("import torch\ntorch.cat([tensor, tensor], dim=1)", {}),
    "from_numpy": lambda: torch.from_numpy(4),
    "assert =": lambda: compile("assert y1 = y2 = y3", "<pasted>", "exec"),
    "ambiguous": lambda: bool(torch.ones(4, 4) == torch.ones(4, 4)),
    "meta copy": lambda: torch.ones(2, device="meta").type(torch.FloatTensor),
    "dtype": lambda: nn.Linear(3, 2)(torch.from_numpy(np.ones((4, 3)))),
    "zeroes": lambda: torch.zeroes(1),
    "backwards": lambda: torch.ones(1).backwards(),
    "second backward": backward_twice,
    "scalar": lambda: (torch.ones(3, requires_grad=True) * 2).backward(),
    "hook name": lambda: exec("c.register_hook(print)", {}),
    "leaf in place": update_a_leaf_in_place,
    "numpy": lambda: nn.Linear(3, 1)(torch.ones(2, 3)).numpy(),
    "shapes": lambda: nn.Sequential(nn.Linear(20, 64), nn.Linear(32, 10))(torch.rand(8, 20)),
    "nn name": lambda: exec("import torch\nclass Net(nn.Module):\n    pass\n", {}),
    "X name": lambda: exec("logits = model(X)", {"model": nn.Linear(2, 2)}),
    "unbatched": lambda: nn.Linear(400, 120)(torch.flatten(torch.rand(16, 5, 5), 1)),
    "no forward": lambda: type("NoForward", (nn.Module,), {})()(torch.ones(1)),
    "dropout method": lambda: torch.ones(3).dropout(p=0.2),
    "target dtype": lambda: nn.CrossEntropyLoss()(torch.randn(3, 4), torch.tensor([0.0, 1, 3])),
    "target column": lambda: nn.CrossEntropyLoss()(torch.randn(4, 3), torch.zeros(4, 1).long()),
    "batch sizes": lambda: F.cross_entropy(torch.randn(16, 10), torch.zeros(8, dtype=torch.long)),
    "channels": lambda: nn.Conv2d(3, 6, kernel_size=5)(torch.rand(8, 1, 32, 32)),
    "input built-in": lambda: nn.Linear(4, 2)(input),
    "criterion name": lambda: exec("loss = criterion(output, target)", {}),
    "parameter": lambda: nn.Linear(4, 2).parameter(),
    "learning_rate": lambda: torch.optim.SGD(nn.Linear(2, 2).parameters(), learning_rate=1e-3),
    "clip_norm": lambda: nn.utils.clip_grad_norm_(nn.Linear(2, 2).parameters(), clip_norm=1),
    "one_hot now": lambda: exec("torch.nn.functional.one_hot(y, num_classes=10)", {"torch": torch}),
    "no __getitem__": lambda: OnlyLen()[3],
    "fence": lambda: compile("```python\nimport torch.utils.data as data\n", "<pasted>", "exec"),
    "Resize": lambda: transforms.Resize(),
    "CenterCrop": lambda: transforms.CenterCrop(),
    "RandomResizedCrop": lambda: transforms.RandomResizedCrop(),
    "optimizer.backward": lambda: torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1).backward(),
    "ps name": lambda: exec("top_p, top_class = ps.topk(1, dim=1)", {}),
    "bool mean": lambda: torch.tensor([True, False]).mean(),
    "one-line with": lambda: compile(
        "with torch.no_grad():    # eval mode    model.eval()", "<pasted>", "exec"
    ),
    "TensorDataset name": lambda: exec("train_ds = TensorDataset(x_train, y_train)", {}),
    "valid_ds name": lambda: exec(
        "get_data(train_ds, valid_ds)", {"get_data": print, "train_ds": 1}
    ),
    "images to a flat model": lambda: torch.rand(2, 784).view(-1, 1, 28, 28) @ torch.ones(784, 10),
    "strict shape": load_resized,
    "signature": lambda: SimpleClassifier(num_inputs=2, num_hidden=4, num_outputs=1),
    "onnx_model name": lambda: exec(
        "onnx.export(m, x, onnx_model)", {"onnx": torch.onnx, "m": 0, "x": 0}
    ),
    "3-D example": lambda: SmallCNN()(torch.zeros(1, 28, 28)),
    "process group": lambda: torch.distributed.get_rank(),
    "exercise 1": lambda: nn.Linear(4, 2)(torch.from_numpy(np.ones((5, 3)))),
}


@pytest.mark.parametrize("name", list(RAISED))
def test_the_page_shows_the_message_that_is_raised(name, printed, outputs):
    first_line = message_of(RAISED[name]).splitlines()[0]
    assert any(first_line in printed_line for printed_line in printed), first_line
    assert is_shown(first_line, outputs), first_line


@pytest.mark.parametrize(
    "line",
    [
        "RuntimeError: Tensor on device meta is not on the expected device cpu!",
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (8x64 and 32x10)",
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (16x25 and 400x120)",
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (56x28 and 784x10)",
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (4x676 and 2704x10)",
        "RuntimeError: mat1 and mat2 must have the same dtype, but got Double and Float",
        "RuntimeError: expected target dtype to be Long or Byte, but got Float",
        "RuntimeError: a leaf Variable that requires grad is being used in an in-place operation.",
        "RuntimeError: Can't call numpy() on Tensor that requires grad. "
        "Use tensor.detach().numpy() instead.",
        "TypeError: linear(): argument 'input' (position 1) must be Tensor, "
        "not builtin_function_or_method",
        "NameError: name 'criterion' is not defined",
        "NameError: name 'tensor' is not defined",
        "NameError: name 'nn' is not defined",
        "NameError: name 'c' is not defined",
        "NameError: name 'ps' is not defined",
        "NameError: name 'valid_ds' is not defined",
        "NameError: name 'TensorDataset' is not defined",
        "NameError: name 'X' is not defined",
        "NameError: name 'y' is not defined",
        "NameError: name 'onnx_model' is not defined",
        "TypeError: SimpleClassifier.__init__() got an unexpected keyword argument 'num_inputs'",
        "TypeError: object of type 'Squares' has no len()",
        "NotImplementedError: Subclasses of Dataset should implement __getitem__.",
        "AttributeError: cannot assign module before Module.__init__() call",
        'NotImplementedError: Module [NoForward] is missing the required "forward" function',
        "ValueError: Default process group has not been initialized, please make sure to call "
        "init_process_group.",
        "a class: SyntaxError: invalid syntax (<pasted>, line 1)",
        "an import and a class: SyntaxError: invalid syntax (<pasted>, line 1)",
        "assignments: SyntaxError: invalid decimal literal (<pasted>, line 1)",
        "a parenthesis in a comment: SyntaxError: '(' was never closed (<pasted>, line 1)",
        "from instead of for: SyntaxError: invalid syntax (<pasted>, line 1)",
        "IndentationError: expected an indented block after 'with' statement on line 1 "
        "(<pasted>, line 1)",
        "SyntaxError: invalid syntax (<pasted>, line 2)",
    ],
)
def test_the_page_shows_each_printed_error(printed, outputs, line):
    assert line in printed
    assert line in outputs


def test_every_error_the_module_prints_is_on_the_page(printed, outputs):
    errors = [line for line in printed if re.match(r"^(\w+: )?\w+(Error|Warning): ", line)]
    assert len(errors) > 50
    for line in errors:
        assert line.strip() in outputs, line


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_on_a_gpu_the_device_mismatch_says_expected_all_tensors_on_the_same_device():
    model = nn.Linear(4, 2).to("cuda")
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        model(torch.ones(3, 4))


def test_the_page_has_its_topic_sections_in_order_with_their_anchors(shown):
    md = markdown.Markdown(
        extensions=["toc", "admonition", "pymdownx.details", "pymdownx.superfences"],
        extension_configs={"toc": {"permalink": True}},
    )
    md.convert(get_data(shown)[0])  # without its front matter, as MkDocs reads it
    sections = [(token["name"], token["id"]) for token in md.toc_tokens[0]["children"]]
    assert sections == [
        ("Setup and devices", "setup-and-devices"),
        ("Tensors", "tensors"),
        ("Autograd", "autograd"),
        ("Building models", "building-models"),
        ("Losses", "losses"),
        ("Optimization", "optimization"),
        ("Data", "data"),
        ("Training and evaluation", "training-and-evaluation"),
        ("From scratch to fit()", "from-scratch-to-fit"),
        ("Saving and loading", "saving-and-loading"),
        ("Transfer learning", "transfer-learning"),
        ("Exporting to ONNX", "exporting-to-onnx"),
        ("Reproducibility", "reproducibility"),
        ("Making training fast", "making-training-fast"),
        ("Scaling out: DDP and torchrun", "scaling-out-ddp-and-torchrun"),
        ("Exercises", "exercises"),
    ]
    assert all(md.toc_tokens[0]["children"][i]["children"] for i in range(15))


def test_the_page_cites_no_file_line_or_number_of_the_notes(shown):
    assert shown.count("study notes") == 1
    prose = re.sub(r"```.*?```", "", shown, flags=re.S)  # code and outputs set aside
    assert not re.search(r"\b00[0-4]\b|[0-9a-f]{16}\.txt|\bline \d+|\blines \d+", prose)
    assert "the notes" not in shown.lower()


# --- Fixes: each one works ----------------------------------------------------------------


def test_inputs_sent_to_the_device_of_the_parameters_run(page):
    model = nn.Linear(4, 2).to("meta")
    with pytest.raises(RuntimeError, match="is not on the expected device"):
        model(torch.ones(3, 4))
    device = next(model.parameters()).device
    assert model(torch.ones(3, 4).to(device)).shape == (3, 2)
    assert page[0]["model_device"] == torch.device(page[0]["device"])


def test_float64_input_needs_float_and_gives_float32():
    layer = nn.Linear(3, 2)
    features = np.random.default_rng(1).random((4, 3))
    assert layer(torch.from_numpy(features).float()).dtype == torch.float32
    assert layer(torch.tensor(features, dtype=torch.float32)).shape == (4, 2)


def test_linear_in_features_must_match_the_features_that_arrive():
    x = torch.rand(8, 20)
    wrong = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(32, 10))
    with pytest.raises(RuntimeError, match=r"\(8x64 and 32x10\)"):
        wrong(x)
    wrong[2] = nn.Linear(64, 10)
    assert wrong(x).shape == (8, 10)
    lazy = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.LazyLinear(10))
    assert lazy(x).shape == (8, 10)
    assert lazy[2].in_features == 64


def test_images_not_flattened_give_28_rows_per_image():
    with pytest.raises(RuntimeError, match=r"\(84x28 and 784x10\)"):
        nn.Linear(784, 10)(torch.rand(3, 28, 28))


def test_the_nn_import_fixes_the_class():
    source = "class Net(nn.Module):\n    def forward(self, x):\n        return x\n"
    with pytest.raises(NameError, match="name 'nn' is not defined"):
        exec("import torch\n" + source, {})
    namespace = {}
    exec("from torch import nn\n" + source, namespace)
    assert issubclass(namespace["Net"], nn.Module)


def test_backward_twice_needs_a_new_forward_pass_or_retain_graph():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    loss.backward()  # allowed once more: the graph was retained
    assert torch.equal(w.grad, 2 * (2 * w.detach()))
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()
    w.grad = None
    for _ in range(2):
        w.grad = None
        (w * w).sum().backward()  # a new graph each time
    assert torch.equal(w.grad, 2 * w.detach())


def test_an_update_under_no_grad_changes_a_leaf_in_place():
    v = torch.tensor([1.0, 2.0], requires_grad=True)
    (v * v).sum().backward()
    with torch.no_grad():
        v -= 0.1 * v.grad
    assert torch.allclose(v, torch.tensor([0.8, 1.6]))
    assert v.requires_grad
    assert v.is_leaf


def test_detach_gives_numpy_the_same_values(page):
    namespace, _ = page
    assert isinstance(namespace["array"], np.ndarray)
    prediction = nn.Linear(3, 1)(torch.ones(2, 3))
    array = prediction.detach().numpy()
    assert np.shares_memory(array, prediction.detach().numpy())  # the same data, not a copy
    assert array.tolist() == prediction.tolist()
    with torch.no_grad():
        assert isinstance(nn.Linear(3, 1)(torch.ones(2, 3)).numpy(), np.ndarray)


def test_cross_entropy_takes_long_indices_or_float_probabilities(page):
    namespace, _ = page
    torch.manual_seed(8)
    logits = torch.randn(5, 4)
    indices = torch.tensor([0, 3, 1, 1, 2])
    loss_fn = nn.CrossEntropyLoss()
    with pytest.raises(RuntimeError, match="expected target dtype to be Long"):
        loss_fn(logits, indices.float())
    by_index = loss_fn(logits, indices)
    by_probability = loss_fn(logits, F.one_hot(indices, 4).float())
    assert torch.allclose(by_index, by_probability)
    assert namespace["class_indices"].dtype == torch.int64


def test_the_training_step_needs_input_criterion_and_target(page):
    namespace, _ = page
    step = namespace["training_step"]
    net = nn.Linear(4, 2)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="builtin_function_or_method"):
        exec(step, {"net": net, "optimizer": optimizer})  # input: Python's built-in
    with pytest.raises(NameError, match="name 'criterion' is not defined"):
        exec(step, {"net": net, "optimizer": optimizer, "input": torch.ones(1, 4)})
    defined = {
        "net": net,
        "optimizer": optimizer,
        "criterion": nn.MSELoss(),
        "target": torch.zeros(1, 2),
        "input": torch.ones(1, 4),
    }
    exec(step, defined)  # runs, once everything is defined
    with torch.no_grad():
        after = defined["criterion"](net(defined["input"]), defined["target"])
    assert after < defined["loss"]  # the step lowered the loss it computed
    assert isinstance(namespace["criterion"], nn.MSELoss)


def test_a_sum_of_differences_falls_without_end_and_the_squared_loss_settles(printed):
    start = printed.index("0 -2.01")
    sums = [float(line.split()[1]) for line in printed[start : start + 4]]
    steps = [b - a for a, b in itertools.pairwise(sums)]
    assert all(step < -280 for step in steps)  # the same fall every 100 steps: no minimum
    squared = [float(line.split()[1]) for line in printed[start + 4 : start + 8]]
    assert all(value >= 0 for value in squared)
    assert squared[-2] - squared[-1] < 0.01 < squared[0] - squared[-1]


def test_backward_fills_grad_and_step_moves_the_weights():
    torch.manual_seed(9)
    model = nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    before = model.weight.detach().clone()
    model(torch.ones(1, 2)).pow(2).sum().backward()
    assert model.weight.grad is not None
    assert torch.equal(model.weight, before)
    optimizer.step()
    assert torch.allclose(model.weight, before - 0.1 * model.weight.grad)


def test_an_optimizer_rebuilt_every_step_forgets_its_state(page):
    final_w = page[0]["final_w"]
    from functools import partial

    momentum = partial(torch.optim.SGD, lr=0.05, momentum=0.9)
    plain = partial(torch.optim.SGD, lr=0.05)
    assert final_w(momentum, True) == final_w(plain, False)
    assert final_w(momentum, False) != final_w(plain, False)
    adam = partial(torch.optim.Adam, lr=0.1)
    assert final_w(adam, True, steps=7) == pytest.approx(0.7, abs=1e-4)  # lr per step
    assert final_w(adam, False) != final_w(adam, True)


def test_gradients_add_up_until_zeroed():
    model = nn.Linear(2, 1)
    x, y = torch.ones(4, 2), torch.zeros(4, 1)
    nn.functional.mse_loss(model(x), y).backward()
    first = model.bias.grad.clone()
    nn.functional.mse_loss(model(x), y).backward()
    assert torch.allclose(model.bias.grad, 2 * first)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    optimizer.zero_grad()
    nn.functional.mse_loss(model(x), y).backward()
    assert torch.allclose(model.bias.grad, first)


def test_the_page_shows_the_gradient_tripled_then_constant(printed):
    start = printed.index("0 tensor([-0.4159])")
    assert printed[start + 1 : start + 3] == ["1 tensor([-0.8318])", "2 tensor([-1.2477])"]
    assert printed[start + 3 : start + 6] == [f"{i} tensor([-0.4159])" for i in range(3)]


def test_an_unshuffled_loader_gives_one_class_per_batch_every_epoch(page):
    train_ds = page[0]["train_ds"]  # the page's last train_ds: random samples
    labels = torch.arange(3).repeat_interleave(4)
    sorted_ds = TensorDataset(torch.randn(12, 2), labels)
    batches = [yb.tolist() for _, yb in DataLoader(sorted_ds, batch_size=4)]
    assert all(len(set(batch)) == 1 for batch in batches)
    torch.manual_seed(10)
    loader = DataLoader(sorted_ds, batch_size=4, shuffle=True)
    epochs = [[yb.tolist() for _, yb in loader] for _ in range(2)]
    assert epochs[0] != epochs[1]
    assert any(len(set(batch)) > 1 for batch in epochs[0])
    assert len(train_ds) == 10


def test_eval_switches_dropout_off_and_leaves_p(page):
    net = page[0]["Net"]()  # the page's last Net: the one with dropout
    net.eval()
    assert net.dropout.p == 0.2
    assert not net.dropout.training
    with torch.no_grad():
        assert torch.equal(net(torch.ones(3, 4)), net(torch.ones(3, 4)))
    torch.manual_seed(11)
    model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Dropout(p=0.5), nn.Linear(32, 1))
    x = torch.ones(1, 4)
    with torch.no_grad():
        outputs = {model(x).item() for _ in range(10)}
        assert len(outputs) > 1  # training mode: dropout draws a new mask every call
        model.eval()
        assert model[2].p == 0.5
        assert len({model(x).item() for _ in range(10)}) == 1
        h = torch.rand(3, 32)
        assert torch.equal(model[2](h), h)


def test_the_page_shows_two_different_predictions_in_training_mode(printed):
    line = printed[printed.index("0.6667") + 1]  # the line after the accuracy
    first, second = line.split()
    assert first != second


def test_random_labels_learn_nothing_and_true_labels_do(page):
    namespace, _ = page
    train = namespace["train"]
    random_loss, random_accuracy = train(namespace["random_labels"])
    true_loss, true_accuracy = train(namespace["true_labels"][:200])
    assert random_loss < math.log(4)  # the training loss fell: the labels were memorized
    assert random_accuracy < 0.4  # chance is 0.25
    assert true_accuracy > 0.8
    assert true_loss < random_loss


def test_a_zero_training_loss_generalizes_worse_than_a_line(page):
    namespace, _ = page
    assert namespace["train_loss"] < 1e-3
    assert namespace["line_train_loss"] > 100 * namespace["train_loss"]
    assert namespace["valid_loss"] > 1.5 * namespace["line_valid_loss"]


def test_the_validation_set_gets_its_own_loader(page):
    namespace, _ = page
    train_dl, valid_dl = namespace["get_data"](
        namespace["train_ds"], namespace["valid_ds"], namespace["bs"]
    )
    assert train_dl.batch_size == 4
    assert valid_dl.batch_size == 8
    assert len(valid_dl.dataset) == 6


def test_the_fit_fix_loads_shuffled_batches(page):
    namespace, _ = page
    assert len(namespace["train_dl"]) == 3  # 10 samples in batches of 4


def test_hand_written_log_softmax_overflows(page):
    log_softmax = page[0]["log_softmax"]
    x = torch.tensor([[1000.0, 0.0], [1.0, 2.0]])
    assert torch.isinf(log_softmax(x)[0]).all()
    assert torch.allclose(log_softmax(x)[1], torch.log_softmax(x, dim=-1)[1])
    assert torch.isfinite(torch.log_softmax(x, dim=-1)).all()


def test_a_checkpoint_resumes_exactly_only_with_the_optimizer_state(page):
    namespace, _ = page
    make, train = namespace["make"], namespace["train_for"]
    uninterrupted = namespace["uninterrupted"]
    model, optimizer = make()
    train(model, optimizer, steps=3)
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict()}
    weights_only, fresh_optimizer = make()
    weights_only.load_state_dict(state["model"])
    train(weights_only, fresh_optimizer, steps=3)
    assert not torch.allclose(weights_only.weight, uninterrupted)
    resumed, resumed_optimizer = make()
    resumed.load_state_dict(state["model"])
    resumed_optimizer.load_state_dict(state["optimizer"])
    train(resumed, resumed_optimizer, steps=3)
    assert torch.allclose(resumed.weight, uninterrupted)


def test_densenet_classifier_is_an_eighth_of_the_network(page):
    namespace, printed_text = page
    assert "classifier: 1,025,000 parameters" in printed_text
    assert "features:   6,953,856 parameters" in printed_text
    assert namespace["count"](nn.Linear(1024, 1000)) == 1_025_000
    assert namespace["count"](namespace["classifier"]) == 1024 * 500 + 500 + 500 * 2 + 2
    with torch.device("meta"):
        densenet = models.densenet121(weights=None)
    share = namespace["count"](densenet.classifier) / namespace["count"](densenet)
    assert 0.12 < share < 0.13


def test_a_flatten_that_keeps_the_batch_fails_at_the_layer_with_the_real_size(shown):
    with pytest.raises(RuntimeError) as failed:
        nn.Linear(128, 10)(torch.flatten(torch.rand(8, 16, 4, 4), 1))
    message = str(failed.value)
    assert message == "mat1 and mat2 shapes cannot be multiplied (8x256 and 128x10)"
    assert f"`{message}`" in " ".join(shown.split())  # the page quotes it


def test_a_3d_example_fails_the_onnx_export_of_a_cnn_and_a_4d_one_exports(shown):
    """With the default exporter (dynamo=True), in the words the page quotes."""
    model = SmallCNN().eval()
    with pytest.raises(Exception, match=r"Failed to export the model with torch\.export") as failed:
        torch.onnx.export(model, (torch.zeros(1, 28, 28),))
    assert type(failed.value).__name__ == "TorchExportError"
    cause = failed.value.__cause__
    assert isinstance(cause, RuntimeError)
    message = str(cause).rstrip(".")
    assert message == "a and b must have same reduction dim, but got [4, 676] X [2704, 10]"
    assert f"`{message}`" in " ".join(shown.split())  # the page quotes it
    program = torch.onnx.export(model, (torch.zeros(1, 1, 28, 28),))
    graph_input = program.model_proto.graph.input[0]
    assert [d.dim_value for d in graph_input.type.tensor_type.shape.dim] == [1, 1, 28, 28]


def test_a_data_sets_own_generator_repeats_in_every_worker_unless_reseeded(printed, page):
    wrong = printed[printed.index("[(0, 850), (0, 636), (1, 850), (1, 636)]")]
    pairs = ast.literal_eval(wrong)  # the page's printed list of (worker, number)
    assert [n for w, n in pairs if w == 0] == [n for w, n in pairs if w == 1]
    first_run = page[0]["first_run"]
    assert [n for w, n in first_run if w == 0] != [n for w, n in first_run if w == 1]
    assert {w for w, _ in first_run} == {0, 1}


def test_a_sum_of_loss_tensors_keeps_every_graph(page):
    namespace, _ = page
    graph_size = namespace["graph_size"]
    assert isinstance(namespace["total_loss"], float)
    model = nn.Linear(4, 1)
    x, y = torch.randn(8, 4), torch.randn(8, 1)
    total = 0
    sizes = []
    for _ in range(20):
        loss = nn.functional.mse_loss(model(x), y)
        total += loss
        sizes.append(graph_size(total))
    assert sizes[-1] > 10 * sizes[0]
    assert graph_size(loss) == graph_size(nn.functional.mse_loss(model(x), y))


def test_eval_alone_records_a_graph_and_inference_mode_does_not():
    model = nn.Linear(4, 2).eval()
    assert model(torch.randn(2, 4)).grad_fn is not None
    with torch.inference_mode():
        assert model(torch.randn(2, 4)).grad_fn is None
    with torch.no_grad():
        assert not model(torch.randn(2, 4)).requires_grad


def test_the_process_group_is_left_as_it_was_found(page, printed):
    assert "0 1" in printed
    assert not torch.distributed.is_initialized()


def test_set_epoch_changes_the_order_and_its_absence_repeats_it():
    sampler = DistributedSampler(range(10), num_replicas=2, rank=0, shuffle=True, seed=0)
    assert list(sampler) == list(sampler)
    orders = []
    for epoch in range(3):
        sampler.set_epoch(epoch)
        orders.append(list(sampler))
    assert len({tuple(order) for order in orders}) == 3
    other = DistributedSampler(range(10), num_replicas=2, rank=1, shuffle=True, seed=0)
    other.set_epoch(2)
    assert not set(orders[2]) & set(other)  # the same epoch on every rank: disjoint shares


def test_exercise_1_has_two_bugs_and_the_solution_fixes_both(page):
    namespace, _ = page
    batch = np.random.default_rng(0).random((5, 3))
    with pytest.raises(RuntimeError, match="must have the same dtype"):
        nn.Linear(4, 2)(torch.from_numpy(batch))
    with pytest.raises(RuntimeError, match=r"\(5x3 and 4x2\)"):
        nn.Linear(4, 2)(torch.from_numpy(batch).float())  # one bug fixed: the other shows
    assert namespace["outputs"].shape == (5, 2)
    assert namespace["outputs"].dtype == torch.float32


def test_exercise_2_the_bug_freezes_the_loss_and_the_solution_learns(page, printed):
    namespace, _ = page
    start = printed.index("0 2.5171")
    assert printed[start + 1 : start + 3] == ["25 2.5171", "50 2.5171"]  # the loss never moves
    losses = namespace["losses"]
    assert losses[0] == pytest.approx(2.5171, abs=1e-4)  # the same starting weights
    assert losses[-1] < losses[0] / 100


# --- Claims about behaviour, kept from the first version of the page --------------------


def test_code_that_does_not_parse():
    for source in [
        "%matplotlib inline",
        "assert y1 = y2 = y3",
        "```python\nimport torch.utils.data as data\n",
        "x = Lambda(lambda y: torch.zeros(10,\n  dtype=dtype=troch.float))\n",
        "from name, param in model.named_parameters():\n    print(name)\n",
    ]:
        with pytest.raises(SyntaxError):
            compile(source, "<pasted>", "exec")


def test_pasted_lines_that_compile_run_nothing(page, printed):
    namespace, _ = page
    # the optimizer, the zero_grad() and the save/load are inside comments
    assert printed.count("runs without error") == 3
    assert printed[printed.index("runs without error") + 1] == "False"  # no optimizer
    assert namespace["namespace"].keys() <= {"torch", "model", "__builtins__"}


def test_strict_false_still_rejects_other_shapes():
    old = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    resized = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 5))
    with pytest.raises(RuntimeError, match=r"size mismatch for 2\.weight"):
        resized.load_state_dict(old.state_dict(), strict=False)


def test_strict_false_reports_missing_and_unexpected_keys():
    old = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    new = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3), nn.ReLU(), nn.Linear(3, 2))
    assert new.load_state_dict(old.state_dict(), strict=False).missing_keys == [
        "4.weight",
        "4.bias",
    ]
    assert old.load_state_dict(new.state_dict(), strict=False).unexpected_keys == [
        "4.weight",
        "4.bias",
    ]
    assert torch.equal(new[2].weight, old[2].weight)  # the matching keys were loaded


def test_whole_model_needs_weights_only_false(printed):
    model = nn.Linear(2, 1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "m.pt"
        torch.save(model, path)
        with pytest.raises(pickle.UnpicklingError, match="Weights only load failed") as error:
            torch.load(path)
        assert "Unsupported global" in str(error.value)
        assert torch.equal(torch.load(path, weights_only=False).weight, model.weight)
    assert any(line.startswith("UnpicklingError: WeightsUnpickler error") for line in printed)


def test_pretrained_is_deprecated_before_anything_is_downloaded():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match=r"'pretrained' is deprecated since 0\.13"):
            models.resnet18(pretrained=True)


def test_relu_after_logits_never_outputs_a_negative_score(page):
    namespace, _ = page
    relu_stack, fixed_stack = namespace["relu_stack"], namespace["fixed_stack"]
    torch.manual_seed(1)
    X = torch.randn(64, 28, 28) * 10
    assert relu_stack(X).min() == 0  # never negative: every negative logit became 0
    assert fixed_stack(X).min() < 0


def test_relu_after_logits_gives_clamped_units_no_gradient(page):
    namespace, _ = page
    relu_stack = namespace["relu_stack"]
    relu_stack.zero_grad()
    torch.manual_seed(2)
    X = torch.rand(16, 28, 28)
    pre_relu = relu_stack[:-1](X).detach()
    nn.CrossEntropyLoss()(relu_stack(X), torch.randint(0, 10, (16,))).backward()
    clamped = (pre_relu <= 0).all(dim=0)  # units below 0 for every sample of the batch
    assert clamped.any()
    assert torch.all(relu_stack[5].bias.grad[clamped] == 0)
    assert torch.all(relu_stack[5].weight.grad[clamped] == 0)
    assert torch.all(relu_stack[5].bias.grad[~clamped] != 0)


def test_test_loss_divided_by_samples_is_too_small_by_the_batch_size(page):
    namespace, _ = page
    per_sample, test_loop = namespace["test_loop_per_sample"], namespace["test_loop"]
    torch.manual_seed(3)
    X, y = torch.randn(128, 5), torch.randint(0, 4, (128,))
    model, loss_fn = nn.Linear(5, 4), nn.CrossEntropyLoss()
    for batch_size in (16, 64):
        loader = DataLoader(TensorDataset(X, y), batch_size=batch_size)
        wrong = per_sample(loader, model, loss_fn)
        fixed, accuracy = test_loop(loader, model, loss_fn)
        assert fixed == pytest.approx(wrong * batch_size, rel=1e-6)
        with torch.no_grad():
            assert fixed == pytest.approx(loss_fn(model(X), y).item(), rel=1e-5)
            assert accuracy == (model(X).argmax(1) == y).float().mean().item()


def test_page_shows_the_factor_of_the_batch_size(page):
    namespace, _ = page
    assert namespace["avg_loss"] / namespace["wrong_loss"] == pytest.approx(64)
    assert namespace["avg_loss"] == pytest.approx(namespace["whole"], rel=1e-5)


def test_train_loop_lowers_the_loss_and_prints_every_100_batches(page, capsys):
    train_loop = page[0]["train_loop"]
    torch.manual_seed(4)
    X = torch.randn(402, 2)
    y = X @ torch.tensor([[1.0], [-2.0]])  # a linear target the model can fit exactly
    loader = DataLoader(TensorDataset(X, y), batch_size=2)  # 201 batches
    model, loss_fn = nn.Linear(2, 1), nn.MSELoss()
    with torch.no_grad():
        before = loss_fn(model(X), y).item()
    train_loop(loader, model, loss_fn, torch.optim.SGD(model.parameters(), lr=0.1))
    with torch.no_grad():
        after = loss_fn(model(X), y).item()
    assert after < before / 100
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines] == ["0", "100", "200"]


def test_no_grad_leaves_parameters_trainable_and_freezing_keeps_them_still():
    torch.manual_seed(5)
    layer = nn.Linear(3, 1)
    x = torch.ones(1, 3, requires_grad=True)
    with torch.no_grad():
        out = layer(x)
    assert not out.requires_grad
    assert layer.weight.requires_grad  # no_grad changed no parameter
    layer(x).sum().backward()
    assert layer.weight.grad is not None  # outside the block, the layer trains as before

    frozen = nn.Linear(3, 1).requires_grad_(False)
    head = nn.Linear(1, 1)
    before = frozen.weight.clone()
    optimizer = torch.optim.SGD([*frozen.parameters(), *head.parameters()], lr=0.5)
    x = torch.ones(1, 3, requires_grad=True)
    head(frozen(x)).sum().backward()
    through = head.weight.detach() * frozen.weight  # d(output)/dx, through the frozen layer
    optimizer.step()
    assert torch.equal(frozen.weight, before)  # frozen weights do not move
    assert frozen.weight.grad is None
    assert torch.allclose(x.grad, through)  # and the gradient still flows through them


def test_no_grad_and_detach_give_requires_grad_false():
    x, w = torch.ones(5), torch.randn(5, 3, requires_grad=True)
    with torch.no_grad():
        assert not (x @ w).requires_grad
    z = x @ w
    assert z.requires_grad
    assert not z.detach().requires_grad


def test_hooks_run_in_order_and_a_returned_gradient_replaces_it(page):
    namespace, printed_text = page
    assert printed_text.index("first hook: tensor(1.)") < printed_text.index(
        "third hook: tensor(3.)"
    )
    assert namespace["a"].grad.item() == 9.0


def test_data_hides_an_in_place_change_from_autograd():
    w = torch.tensor([3.0], requires_grad=True)
    loss = (w * w).sum()
    w.data.mul_(10)
    loss.backward()
    assert w.grad.item() == 60.0  # 2 * 30, where the forward pass used w = 3 (grad 6)
    w = torch.tensor([3.0], requires_grad=True)
    loss = (w * w).sum()
    with torch.no_grad():
        w.mul_(10)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_forward_skips_hooks_and_calling_runs_no_backward():
    model = nn.Linear(3, 2)
    calls = []
    model.register_forward_hook(lambda *args: calls.append(1))
    model(torch.ones(1, 3))
    model.forward(torch.ones(1, 3))
    assert calls == [1]
    assert model.weight.grad is None


def test_layers_accept_single_samples_and_a_flattening_net_needs_a_batch(page):
    net = page[0]["net"]  # the page's last net: the training step's Linear(4, 2)
    assert net(torch.ones(4)).shape == (2,)  # one sample, no batch dimension
    assert nn.Conv2d(3, 6, 5)(torch.rand(3, 32, 32)).shape == (6, 28, 28)


def test_modules_need_forward_not_init(page):
    namespace, _ = page
    with pytest.raises(NotImplementedError, match='missing the required "forward" function'):
        namespace["NoForward"]()(torch.ones(1))
    assert torch.equal(namespace["NoInit"]()(torch.ones(2)), torch.full((2,), 2.0))
    with pytest.raises(AttributeError, match=r"cannot assign module before Module\.__init__"):
        namespace["NoSuper"]()


def test_a_plain_list_hides_parameters(page):
    names = [name for name, _ in page[0]["Stack"]().named_parameters()]
    assert names == ["block.0.weight", "block.0.bias", "layers.0.weight", "layers.0.bias"]


def test_simple_classifier_takes_dim_arguments(page):
    cls = page[0]["SimpleClassifier"]
    with pytest.raises(TypeError, match="unexpected keyword argument 'num_inputs'"):
        cls(num_inputs=2, num_hidden=4, num_outputs=1)
    assert cls(dim_in=2, dim_hidden=4, dim_out=1)(torch.ones(5, 2)).shape == (5, 1)


def test_f_sigmoid_is_torch_sigmoid_without_a_warning():
    t = torch.linspace(-5, 5, 11)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert torch.equal(F.sigmoid(t), torch.sigmoid(t))


def test_functional_dropout_stays_on_in_eval_mode():
    x = torch.ones(1000)
    layer = nn.Dropout(p=0.5).eval()
    assert torch.equal(layer(x), x)
    assert (F.dropout(x, p=0.5) == 0).any()
    assert torch.equal(F.dropout(x, p=0.5, training=False), x)


def test_two_output_softmax_equals_sigmoid_of_the_difference():
    torch.manual_seed(6)
    logits = torch.randn(100, 2) * 3
    p1 = torch.softmax(logits, dim=1)[:, 1]
    assert torch.allclose(p1, torch.sigmoid(logits[:, 1] - logits[:, 0]), atol=1e-6)
    assert ((p1 > 0.1) & (p1 < 0.9)).any()  # not "always something like [0.3%, 99.7%]"


def test_cross_entropy_on_probabilities_cannot_approach_zero():
    loss_fn = nn.CrossEntropyLoss()
    target = torch.tensor([0])
    for confidence in (4.0, 20.0, 100.0):
        logits = torch.tensor([[confidence, 0.0, -confidence]])
        assert loss_fn(logits, target).item() < 0.02
        # probabilities lie in [0, 1], so the softmax on top is at most e / (e + 2)
        floor = math.log(1 + 2 / math.e)
        assert loss_fn(torch.softmax(logits, dim=1), target).item() >= floor - 1e-6


def test_log_softmax_with_nll_is_cross_entropy():
    torch.manual_seed(7)
    logits, target = torch.randn(8, 5), torch.randint(0, 5, (8,))
    assert torch.allclose(
        nn.NLLLoss()(nn.LogSoftmax(dim=1)(logits), target), nn.CrossEntropyLoss()(logits, target)
    )


def test_bce_on_a_sigmoid_clamps_the_loss():
    logit, target = torch.tensor([200.0]), torch.tensor([0.0])
    assert nn.BCEWithLogitsLoss()(logit, target).item() == pytest.approx(200.0)
    assert nn.BCELoss()(torch.sigmoid(logit), target).item() == pytest.approx(100.0)


def test_an_epoch_is_a_rounded_up_number_of_steps():
    loader = DataLoader(range(60_000), batch_size=64)
    assert len(loader) == 938 == math.ceil(60_000 / 64)
    assert len(list(loader)[-1]) == 60_000 - 937 * 64


def test_clip_grad_norm_scales_all_gradients_by_one_factor(page):
    namespace, _ = page
    assert torch.allclose(namespace["total"], namespace["one_vector"].norm())
    factors = namespace["factors"]
    assert max(factors) == pytest.approx(min(factors))
    assert factors[0] == pytest.approx(1 / namespace["total"].item(), rel=1e-4)


def test_clip_grad_value_changes_the_direction():
    p = torch.zeros(2, requires_grad=True)
    p.grad = torch.tensor([0.5, 3.0])
    before = p.grad.clone()
    nn.utils.clip_grad_value_([p], clip_value=1)
    assert torch.equal(p.grad, torch.tensor([0.5, 1.0]))
    assert F.cosine_similarity(p.grad, before, dim=0) < 0.99


def test_comparing_n1_with_n_broadcasts_and_bool_has_no_mean(page):
    namespace, _ = page
    assert namespace["equals"].dtype == torch.bool
    assert namespace["accuracy"] == pytest.approx(0.89, abs=0.01)  # the last: true labels
    assert namespace["equals"].float().mean().item() == pytest.approx(2 / 3)
    assert (torch.ones(4, 1) == torch.ones(4)).shape == (4, 4)


def test_item_follows_the_dtype():
    assert isinstance(torch.ones(2, 2).sum().item(), float)
    assert isinstance(torch.tensor([1, 2]).sum().item(), int)
    assert isinstance(torch.tensor(True).item(), bool)


def test_from_numpy_shares_and_tensor_copies():
    a = np.random.rand(4, 3)
    assert np.shares_memory(a, torch.from_numpy(a).numpy())
    assert not np.shares_memory(a, torch.tensor(a).numpy())


def test_target_transforms_agree(page):
    namespace, _ = page
    for label in range(10):
        expected = torch.zeros(10)
        expected[label] = 1
        assert torch.equal(namespace["the_target_lambda_function"](label), expected)
        assert torch.equal(namespace["one_hot"](label), expected)


def test_to_tensor_scales_to_unit_range_and_normalize_centres():
    pixels = np.array([[[0], [15], [190], [255]]], dtype=np.uint8)
    scaled = transforms.ToTensor()(pixels)
    assert scaled.shape == (1, 1, 4)
    assert scaled.min() == 0
    assert scaled.max() == 1
    normalized = transforms.Normalize(mean=[0.5], std=[0.5])(scaled)
    assert normalized.min() == -1
    assert normalized.max() == 1


def test_last_batch_is_smaller_unless_dropped(page):
    namespace, _ = page
    shapes = namespace["shapes"]
    assert len(shapes) == 63
    assert all(shape == (8, 2) for shape in shapes[:-1])
    assert shapes[-1] == (4, 2)
    loader = DataLoader(namespace["dataset"], batch_size=8, drop_last=True)
    assert all(inputs.shape == (8, 2) for inputs, _ in loader)


def test_a_sized_dataset_loads(page):
    batch = next(iter(DataLoader(page[0]["SizedSquares"](), batch_size=5)))
    assert torch.equal(batch, torch.tensor([0, 1, 4, 9, 16]))


def test_torch_save_writes_a_zip_whatever_the_name(printed):
    assert "False True" in printed  # tarfile.is_tarfile, zipfile.is_zipfile


def test_checkpoint_with_architecture_round_trips(page):
    namespace, _ = page
    restored, checkpoint = namespace["restored"], namespace["checkpoint"]
    assert checkpoint["hidden_layers"] == [256, 128]
    for key, value in checkpoint["state_dict"].items():
        assert torch.equal(restored.state_dict()[key], value)


def test_default_weights_expect_imagenet_statistics():
    preprocess = models.ResNet18_Weights.DEFAULT.transforms()
    assert preprocess.mean == [0.485, 0.456, 0.406]
    assert preprocess.std == [0.229, 0.224, 0.225]


def test_only_the_new_classifier_trains(printed):
    assert "['fc.weight', 'fc.bias']" in printed


def test_torch_manual_seed_seeds_every_device(printed):
    assert "Sets the seed for generating random numbers on all devices" in printed


def test_a_dataset_without_getitem_has_a_length_and_no_items(page):
    sized = page[0]["Sized"]()
    assert len(sized) == 5
    with pytest.raises(NotImplementedError, match="should implement __getitem__"):
        sized[0]


def test_seed_worker_reseeds_the_workers_copy_from_its_torch_seed(page, monkeypatch):
    mistakes = sys.modules["snippets.mistakes"]
    dataset = mistakes.Noisy()
    worker = types.SimpleNamespace(id=1, dataset=dataset)  # what a worker process would see
    monkeypatch.setattr(mistakes, "get_worker_info", lambda: worker)
    torch.manual_seed(123)
    mistakes.seed_worker(1)
    expected = int(np.random.default_rng(123).integers(1000))
    assert dataset[0] == (1, expected)
    assert mistakes.Noisy()[0] == (1, 850)  # an unseeded copy draws what every worker drew


@pytest.mark.skipif(torch.cuda.is_available(), reason="shows what happens without a GPU")
def test_pin_memory_without_a_gpu_warns_and_pins_nothing(printed, outputs):
    line = (
        "[\"'pin_memory' argument is set as true but no accelerator is found, "
        "then device pinned memory won't be used.\"]"
    )
    assert line in printed
    assert line in outputs
    with pytest.warns(UserWarning, match="no accelerator is found"):
        batch = next(iter(DataLoader(torch.ones(4, 2), batch_size=2, pin_memory=True)))
    assert not batch.is_pinned()


def test_pinning_only_with_a_gpu_warns_nothing():
    pin = torch.cuda.is_available()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        batch = next(iter(DataLoader(torch.ones(4, 2), batch_size=2, pin_memory=pin)))
    assert batch.is_pinned() == pin


def test_a_ddp_state_dict_has_module_keys_and_the_module_s_loads(page, printed):
    namespace, _ = page
    assert list(namespace["ddp_state"]) == ["module.weight", "module.bias"]
    plain = nn.Linear(2, 1)
    with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in state_dict: "module.weight"'):
        plain.load_state_dict(namespace["ddp_state"])
    plain.load_state_dict(namespace["ddp_model"].module.state_dict())
    assert torch.equal(plain.weight, namespace["ddp_model"].module.weight)
    assert "['weight', 'bias'] True" in printed
