"""What the Making training fast page claims, asserted."""

import contextlib
import io
import time

import pytest
import torch
import torch.nn.functional as F
from torchvision.transforms import ToTensor

with contextlib.redirect_stdout(io.StringIO()):
    from snippets import speed


def test_the_preloaded_tensor_has_exactly_the_pixels_of_to_tensor():
    for index in (0, 1234, 59999):
        image, label = speed.training_data[index]
        assert torch.equal(speed.images[index].cpu(), image)
        assert speed.labels[index].item() == label
    assert torch.equal(ToTensor()(speed.training_data.data[7].numpy()), speed.images[7].cpu())


def test_tensor_batches_cover_every_sample_once_per_epoch_in_a_new_order():
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


def test_images_per_second_leaves_out_the_warm_up_steps():
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


def test_a_train_step_lowers_the_loss_on_its_batch():
    torch.manual_seed(0)
    model = speed.make_cnn()
    step = speed.make_train_step(model, torch.optim.SGD(model.parameters(), lr=0.05))
    x, y = speed.images[:64].cpu(), speed.labels[:64].cpu()
    losses = [step(x, y).item() for _ in range(5)]
    assert losses[-1] < losses[0]


def test_workers_give_the_batches_of_a_single_process_loader():
    assert torch.equal(speed.x_fast, speed.x_plain)
    assert torch.equal(speed.y_fast, speed.y_plain)
    assert speed.fast_loader.num_workers == 2


@pytest.mark.skipif(torch.cuda.is_available(), reason="the warning is the CPU-only behaviour")
def test_pin_memory_without_a_gpu_only_warns():
    assert not speed.x_pinned.is_pinned()
    assert any("no accelerator is found" in str(w.message) for w in speed.caught)


def test_linear_scaling_keeps_lr_per_sample_constant():
    assert speed.lr / speed.batch_size == pytest.approx(speed.base_lr / speed.base_batch_size)
    assert speed.steps == 59  # 60,000 / 1,024, rounded up


def test_the_compiled_module_shares_the_parameters_under_other_names():
    model = speed.make_cnn()
    compiled = torch.compile(model)  # no call: nothing is compiled
    assert compiled._orig_mod is model
    wrapped = compiled.state_dict()
    assert wrapped["_orig_mod.0.weight"].data_ptr() == model[0].weight.data_ptr()
    with pytest.raises(RuntimeError, match="Missing key"):
        speed.make_cnn().load_state_dict(wrapped)
    speed.make_cnn().load_state_dict(model.state_dict())


def test_bfloat16_autocast_keeps_float32_parameters_and_close_results():
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


def test_channels_last_changes_the_strides_not_the_results():
    assert speed.x_cl.is_contiguous(memory_format=torch.channels_last)
    assert speed.model_cl[3].weight.is_contiguous(memory_format=torch.channels_last)
    assert not speed.model[3].weight.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(speed.model(speed.x), speed.model_cl(speed.x_cl))


def test_cpu_convolutions_run_on_onednn_not_cudnn():
    names = {e.key for e in speed.prof.key_averages()}
    assert "aten::mkldnn_convolution" in names
    assert not any("cudnn" in name for name in names)
    assert torch.backends.cudnn.benchmark is False  # the page put the flag back
