"""What the errata page claims about the notes' mistakes, asserted on torch itself and on the
code the page shows (run once, its printed output kept)."""

import contextlib
import io
import math
import pickle
import runpy
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from torchvision import models, transforms


@pytest.fixture(scope="module")
def page():
    """The errata module run once: its namespace and everything it printed."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        namespace = runpy.run_module("snippets.errata")
    return namespace, printed.getvalue()


@pytest.fixture(scope="module")
def printed(page):
    return page[1].splitlines()


# --- Mistakes that raise: the real exception type and message ----------------------------


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: torch.cuda._is_available(), AttributeError, "no attribute '_is_available'"),
        (lambda: torch.ones(1).to("gpu"), RuntimeError, "device string: gpu"),
        (lambda: nn.Linear(2, 2).to("gpu"), RuntimeError, "device string: gpu"),
        (lambda: torch.from_numpy(4), TypeError, r"expected np.ndarray \(got int\)"),
        (lambda: torch.zeroes(1), AttributeError, "has no attribute 'zeroes'"),
        (lambda: torch.ones(1).backwards(), AttributeError, "has no attribute 'backwards'"),
        (lambda: nn.Linear(2, 2).parameter(), AttributeError, "has no attribute 'parameter'"),
        (
            lambda: torch.optim.SGD(nn.Linear(2, 2).parameters(), learning_rate=1e-3),
            TypeError,
            "unexpected keyword argument 'learning_rate'",
        ),
        (
            lambda: torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1).backward(),
            AttributeError,
            "'SGD' object has no attribute 'backward'",
        ),
        (
            lambda: nn.utils.clip_grad_norm_(nn.Linear(2, 2).parameters(), clip_norm=1),
            TypeError,
            "unexpected keyword argument 'clip_norm'",
        ),
        (lambda: torch.ones(3).dropout(p=0.2), AttributeError, "has no attribute 'dropout'"),
        (lambda: torch.tensor([True, False]).mean(), RuntimeError, "could not infer output dtype"),
        (lambda: transforms.Resize(), TypeError, "missing 1 required positional argument: 'size'"),
        (
            lambda: transforms.CenterCrop(),
            TypeError,
            "missing 1 required positional argument: 'size'",
        ),
        (
            lambda: torch.ones(2, device="meta").type(torch.FloatTensor),
            NotImplementedError,
            "Cannot copy out of meta tensor",
        ),
        (
            lambda: torch.arange(6).view(2, 3).t().view(2, 3),
            RuntimeError,
            "view size is not compatible",
        ),
        (
            lambda: (torch.ones(3, requires_grad=True) * 2).backward(),
            RuntimeError,
            "grad can be implicitly created only for scalar outputs",
        ),
    ],
)
def test_wrong_calls_raise(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize(
    "line",
    [
        "AttributeError: module 'torch.cuda' has no attribute '_is_available'",
        "AttributeError: module 'torch' has no attribute 'zeroes'",
        "AttributeError: 'Tensor' object has no attribute 'backwards'",
        "AttributeError: 'Linear' object has no attribute 'parameter'",
        "TypeError: SGD.__init__() got an unexpected keyword argument 'learning_rate'",
        "AttributeError: 'SGD' object has no attribute 'backward'",
        "TypeError: clip_grad_norm_() got an unexpected keyword argument 'clip_norm'",
        "TypeError: expected np.ndarray (got int)",
        "NameError: name 'TensorDataset' is not defined",
        "RuntimeError: Boolean value of Tensor with more than one value is ambiguous",
        "TypeError: RandomResizedCrop.__init__() missing 1 required positional argument: 'size'",
        "NameError: name 'X' is not defined",
        "NameError: name 'y' is not defined",
        "NameError: name 'onnx_model' is not defined",
        "TypeError: SimpleClassifier.__init__() got an unexpected keyword argument 'num_inputs'",
        "TypeError: object of type 'Squares' has no len()",
        "AttributeError: cannot assign module before Module.__init__() call",
        'NotImplementedError: Module [NoForward] is missing the required "forward" function',
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (16x25 and 400x120)",
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (56x28 and 784x10)",
        "004, line 46: SyntaxError: invalid syntax (<notes>, line 1)",
        "004, line 52: SyntaxError: invalid syntax (<notes>, line 1)",
        "004, line 58: SyntaxError: invalid decimal literal (<notes>, line 1)",
        "003, lines 337-345: SyntaxError: '(' was never closed (<notes>, line 1)",
        "003, lines 368-369: SyntaxError: invalid syntax (<notes>, line 1)",
    ],
)
def test_the_page_shows_the_real_error(printed, line):
    assert line in printed


def test_code_that_does_not_parse():
    for source in [
        "%matplotlib inline",
        "assert y1 = y2 = y3",
        "```python\nimport torch.utils.data as data\n",
        "x = Lambda(lambda y: torch.zeros(10,\n  dtype=dtype=troch.float))\n",
        "from name, param in model.named_parameters():\n    print(name)\n",
    ]:
        with pytest.raises(SyntaxError):
            compile(source, "<notes>", "exec")


def test_pasted_lines_that_compile_run_nothing(page, printed):
    namespace, _ = page
    # 004 lines 102 and 108: the optimizer and the zero_grad() are inside comments
    assert printed.count("runs without error") == 3
    assert printed[printed.index("runs without error") + 1] == "False"  # no optimizer
    assert namespace["namespace"].keys() <= {"torch", "model", "__builtins__"}  # 004, line 158


def test_one_hot_is_called_at_once_with_an_undefined_label():
    with pytest.raises(NameError, match="name 'y' is not defined"):
        exec("torch.nn.functional.one_hot(y, num_classes=10)", {"torch": torch})


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
        with pytest.raises(pickle.UnpicklingError, match="Unsupported global"):
            torch.load(path)
        assert torch.equal(torch.load(path, weights_only=False).weight, model.weight)
    assert any(line.startswith("UnpicklingError: WeightsUnpickler error") for line in printed)


def test_pretrained_is_deprecated_before_anything_is_downloaded():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match=r"'pretrained' is deprecated since 0\.13"):
            models.resnet18(pretrained=True)


def test_a_second_backward_raises_and_retain_graph_allows_it():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    loss.backward()  # allowed once more: the graph was retained
    assert torch.equal(w.grad, 2 * (2 * w.detach()))
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


# --- Claims about behaviour ---------------------------------------------------------------


def test_relu_after_logits_never_outputs_a_negative_score(page):
    namespace, _ = page
    notes_stack, fixed_stack = namespace["notes_stack"], namespace["fixed_stack"]
    torch.manual_seed(1)
    X = torch.randn(64, 28, 28) * 10
    assert notes_stack(X).min() == 0  # never negative: every negative logit became 0
    assert fixed_stack(X).min() < 0


def test_relu_after_logits_gives_clamped_units_no_gradient(page):
    namespace, _ = page
    notes_stack = namespace["notes_stack"]
    notes_stack.zero_grad()
    torch.manual_seed(2)
    X = torch.rand(16, 28, 28)
    pre_relu = notes_stack[:-1](X).detach()
    nn.CrossEntropyLoss()(notes_stack(X), torch.randint(0, 10, (16,))).backward()
    clamped = (pre_relu <= 0).all(dim=0)  # units below 0 for every sample of the batch
    assert clamped.any()
    assert torch.all(notes_stack[5].bias.grad[clamped] == 0)
    assert torch.all(notes_stack[5].weight.grad[clamped] == 0)
    assert torch.all(notes_stack[5].bias.grad[~clamped] != 0)


def test_notes_test_loss_is_too_small_by_the_batch_size(page):
    namespace, _ = page
    test_loop_notes, test_loop = namespace["test_loop_notes"], namespace["test_loop"]
    torch.manual_seed(3)
    X, y = torch.randn(128, 5), torch.randint(0, 4, (128,))
    model, loss_fn = nn.Linear(5, 4), nn.CrossEntropyLoss()
    for batch_size in (16, 64):
        loader = DataLoader(TensorDataset(X, y), batch_size=batch_size)
        notes = test_loop_notes(loader, model, loss_fn)
        fixed, accuracy = test_loop(loader, model, loss_fn)
        assert fixed == pytest.approx(notes * batch_size, rel=1e-6)
        with torch.no_grad():
            assert fixed == pytest.approx(loss_fn(model(X), y).item(), rel=1e-5)
            assert accuracy == (model(X).argmax(1) == y).float().mean().item()


def test_page_shows_the_factor_of_the_batch_size(page):
    namespace, _ = page
    assert namespace["avg_loss"] / namespace["notes_loss"] == pytest.approx(64)
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


def test_requires_grad_comments_are_the_opposite():
    x, w = torch.ones(5), torch.randn(5, 3, requires_grad=True)
    with torch.no_grad():
        assert not (x @ w).requires_grad
    z = x @ w
    assert z.requires_grad
    assert not z.detach().requires_grad


def test_gradients_add_up_until_zeroed():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    first = w.grad.clone()
    (w * w).sum().backward()
    assert torch.equal(w.grad, 2 * first)


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


def test_layers_accept_single_samples_and_the_blitz_net_needs_a_batch(page):
    net = page[0]["Net"]()
    assert nn.Conv2d(3, 6, 5)(torch.rand(3, 32, 32)).shape == (6, 28, 28)
    with pytest.raises(RuntimeError, match="mat1 and mat2 shapes cannot be multiplied"):
        net(torch.rand(3, 32, 32))
    assert net(torch.rand(1, 3, 32, 32)).shape == (1, 10)


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


def test_hand_written_log_softmax_overflows(page):
    log_softmax = page[0]["log_softmax"]
    x = torch.tensor([[1000.0, 0.0], [1.0, 2.0]])
    assert torch.isinf(log_softmax(x)[0]).all()
    assert torch.allclose(log_softmax(x)[1], torch.log_softmax(x, dim=-1)[1])
    assert torch.isfinite(torch.log_softmax(x, dim=-1)).all()


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
    assert namespace["accuracy"].item() == pytest.approx(2 / 3)
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


def test_torch_save_writes_a_zip_whatever_the_name(page, printed):
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
