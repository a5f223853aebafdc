"""What the Making training fast page claims, asserted."""

import importlib
import time

import pytest
import torch
import torch.nn.functional as F
from torchvision.transforms import ToTensor


@pytest.fixture(scope="module")
def speed():
    return importlib.import_module("snippets.speed")  # see tests/topics/conftest.py


def test_the_preloaded_tensor_has_exactly_the_pixels_of_to_tensor(speed):
    for index in (0, 1234, 59999):
        image, label = speed.training_data[index]
        assert torch.equal(speed.images[index].cpu(), image)
        assert speed.labels[index].item() == label
    assert torch.equal(ToTensor()(speed.training_data.data[7].numpy()), speed.images[7].cpu())


def test_tensor_batches_cover_every_sample_once_per_epoch_in_a_new_order(speed):
    images = torch.arange(10.0).view(10, 1, 1, 1)
    labels = torch.arange(10)
    torch.manual_seed(0)
    epochs = [list(speed.tensor_batches(images, labels, 4)) for _ in range(2)]
    for batches in epochs:
        assert [len(y) for _, y in batches] == [4, 4, 2]
        seen = torch.cat([y for _, y in batches])
        assert sorted(seen.tolist()) == list(range(10))
        for x, y in batches:
            assert torch.equal(x.view(-1).long(), y)  # images and labels stay paired
    orders = [torch.cat([y for _, y in batches]).tolist() for batches in epochs]
    assert orders[0] != orders[1]


def test_images_per_second_leaves_out_the_warm_up_steps(speed):
    calls = []

    def slow_then_fast(x, y):
        calls.append(len(x))
        time.sleep(0.2 if len(calls) <= 2 else 0.02)

    batches = [(torch.zeros(10), torch.zeros(10))] * 6
    rate = speed.images_per_second(slow_then_fast, batches, warmup=2)
    assert calls == [10] * 6
    # 4 timed steps of 10 images in about 0.08 s: about 500 images/s. With the two slow
    # warm-up steps counted it would be 60 images in 0.48 s, 125 images/s.
    assert 200 < rate < 510


def test_a_train_step_lowers_the_loss_on_its_batch(speed):
    torch.manual_seed(0)
    model = speed.make_cnn()
    step = speed.make_train_step(model, torch.optim.SGD(model.parameters(), lr=0.05))
    x, y = speed.images[:64].cpu(), speed.labels[:64].cpu()
    losses = [step(x, y).item() for _ in range(5)]
    assert losses[-1] < losses[0]


def test_workers_give_the_batches_of_a_single_process_loader(speed):
    assert torch.equal(speed.x_fast, speed.x_plain)
    assert torch.equal(speed.y_fast, speed.y_plain)
    assert speed.fast_loader.num_workers == 2
    assert speed.fast_loader.pin_memory == torch.cuda.is_available()


def test_linear_scaling_keeps_lr_per_sample_constant(speed):
    assert speed.lr / speed.batch_size == pytest.approx(speed.base_lr / speed.base_batch_size)
    assert speed.steps == 59  # 60,000 / 1,024, rounded up


def test_the_compiled_module_shares_the_parameters_under_other_names(speed):
    model = speed.make_cnn()
    compiled = torch.compile(model)  # no call: nothing is compiled
    assert compiled._orig_mod is model
    wrapped = compiled.state_dict()
    assert wrapped["_orig_mod.0.weight"].data_ptr() == model[0].weight.data_ptr()
    with pytest.raises(RuntimeError, match="Missing key"):
        speed.make_cnn().load_state_dict(wrapped)
    speed.make_cnn().load_state_dict(model.state_dict())


def test_bfloat16_autocast_keeps_float32_parameters_and_close_results(speed):
    torch.manual_seed(0)
    model = speed.make_cnn()
    x, y = speed.images[:64].cpu(), speed.labels[:64].cpu()
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16):
        low = model(x)
        loss = F.cross_entropy(low, y)
    assert low.dtype == torch.bfloat16
    assert loss.dtype == torch.float32
    loss.backward()
    assert all(p.dtype == p.grad.dtype == torch.float32 for p in model.parameters())
    torch.testing.assert_close(low.float(), model(x), atol=0.05, rtol=0.05)
    assert speed.logits.dtype == torch.bfloat16  # what the page printed


def test_float16_loses_tiny_and_huge_values_and_bfloat16_keeps_them(speed):
    half = speed.values.to(torch.float16)
    brain = speed.values.to(torch.bfloat16)
    assert half[0] == 0
    assert torch.isinf(half[2])
    assert brain[0] > 0
    assert torch.isfinite(brain[2])
    assert torch.finfo(torch.bfloat16).max == pytest.approx(
        torch.finfo(torch.float32).max, rel=0.01
    )


def test_the_grad_scaler_block_clipped_unscaled_gradients(speed):
    assert speed.norm < 10  # a true gradient norm, not one 65536 times larger
    assert speed.scaler.get_scale() == 65536.0  # no overflow in those three steps


def test_clipping_after_unscale_matches_clipping_without_a_scaler(speed):
    def clipped(use_scaler):
        torch.manual_seed(0)
        model = speed.make_cnn()
        x, y = speed.images[:16].cpu(), speed.labels[:16].cpu()
        loss = F.cross_entropy(model(x), y)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
        if use_scaler:
            scaler = torch.amp.GradScaler("cpu")
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
        else:
            loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        return torch.cat([p.grad.flatten() for p in model.parameters()])

    torch.testing.assert_close(clipped(True), clipped(False))


def test_adam_keeps_two_tensors_per_parameter_and_the_page_counts_them(speed):
    assert speed.parameter_bytes == 20_490 * 4
    assert speed.gradient_bytes == speed.parameter_bytes
    assert speed.state_bytes == 2 * speed.parameter_bytes
    assert speed.tensor_bytes([torch.zeros(3, 4, dtype=torch.float16)]) == 24
    p = torch.nn.Parameter(torch.randn(3, 4))
    adam = torch.optim.Adam([p])
    p.grad = torch.ones(3, 4)
    adam.step()
    tensors = [v for v in adam.state[p].values() if v.shape == p.shape]
    assert len(tensors) == 2  # exp_avg and exp_avg_sq; "step" is a scalar


def test_saved_bytes_counts_what_autograd_keeps_and_grows_with_the_batch(speed):
    linear = torch.nn.Linear(5, 3)
    x, y = torch.randn(8, 5), torch.randint(0, 3, (8,))
    # the input of the linear layer (8 x 5 floats), the log-softmax (8 x 3, kept by two
    # operations: counted once), the targets (8 int64) and nll_loss's total weight (a float)
    assert speed.saved_bytes(linear, x, y, linear.parameters()) == 8 * 5 * 4 + 8 * 3 * 4 + 8 * 8 + 4
    activations = speed.parts["activations"]
    assert activations == sorted(activations)
    per_image = [a / n for a, n in zip(activations, speed.batch_sizes, strict=True)]
    assert max(per_image) == pytest.approx(min(per_image), rel=0.01)  # linear in the batch


def test_the_memory_figure_stacks_four_parts_to_100_percent(speed):
    torch.testing.assert_close(
        speed.shares.sum(dim=0), torch.full((5,), 100.0, dtype=torch.float64)
    )
    assert speed.shares[-1, 0] < 50 < speed.shares[-1, -1]  # activations: a minority, then most
    assert [text.get_text() for text in speed.ax.texts][-1] == "33.2 MiB"


def test_accumulated_gradients_equal_the_large_batch_gradient(speed):
    for a, b in zip(
        speed.gradients_of(speed.large_batch), speed.gradients_of(speed.accumulated), strict=True
    ):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)


def test_the_accumulation_loop_steps_once_per_four_micro_batches(speed):
    assert speed.i == 64
    assert speed.optimizer_steps == 16


def test_bfloat16_autocast_saves_less_for_backward(speed):
    assert speed.bfloat16_bytes < 0.75 * speed.float32_bytes


def test_checkpointing_keeps_less_and_gives_the_same_gradients(speed):
    assert speed.checkpointed_bytes < speed.float32_bytes / 4
    for a, b in zip(
        speed.gradients_of(speed.plain), speed.gradients_of(speed.recomputed), strict=True
    ):
        torch.testing.assert_close(a, b)


def test_channels_last_changes_the_strides_not_the_results(speed):
    assert speed.x_cl.is_contiguous(memory_format=torch.channels_last)
    assert speed.model_cl[3].weight.is_contiguous(memory_format=torch.channels_last)
    torch.manual_seed(0)
    model = speed.make_cnn()
    model_cl = speed.make_cnn().to(memory_format=torch.channels_last)
    model_cl.load_state_dict(model.state_dict())
    x = speed.images[:8].cpu()
    assert not model[3].weight.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(model(x), model_cl(x.to(memory_format=torch.channels_last)))


def test_cpu_convolutions_run_on_onednn_not_cudnn(speed):
    names = {e.key for e in speed.prof.key_averages()}
    assert "aten::mkldnn_convolution" in names
    assert not any("cudnn" in name for name in names)
    assert torch.backends.cudnn.benchmark is False  # the page put the flag back


def test_exercise_1_momentum_is_one_tensor_per_parameter(speed):
    assert speed.cnn_state == speed.cnn_params == speed.cnn_grads
    assert all(list(speed.sgd.state[p]) == ["momentum_buffer"] for p in speed.cnn.parameters())


def test_exercise_2_weighted_uneven_micro_batches_give_the_large_batch_gradient(speed, monkeypatch):
    assert speed.uneven_same
    # the functions read the module's x and y: give them the exercise's 60 images again
    monkeypatch.setattr(speed, "x", speed.images[100:160].cpu())
    monkeypatch.setattr(speed, "y", speed.labels[100:160].cpu())
    assert [len(part) for part in speed.x.split(16)] == [16, 16, 16, 12]
    for a, b in zip(
        speed.gradients_of(speed.large_batch), speed.gradients_of(speed.uneven), strict=True
    ):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)


def test_exercise_3_checkpointing_one_block_keeps_less_than_none_and_more_than_both(speed):
    assert speed.half_same
    assert speed.checkpointed_bytes < speed.half_bytes < speed.float32_bytes
