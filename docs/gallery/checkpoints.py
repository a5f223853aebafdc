# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Checkpoints, resuming and export
#
# A training run that stops halfway (a crash, a time limit, a shared machine) should be able
# to go on as if nothing had happened. The checkpoint of PyTorch's recipe
# [Saving and loading a general checkpoint](https://pytorch.org/tutorials/recipes/recipes/saving_and_loading_a_general_checkpoint.html)
# holds the epoch, the model's and the optimizer's `state_dict` and the last loss. This
# notebook trains a classifier on FashionMNIST, checkpoints it halfway, resumes in a fresh
# model and optimizer, and checks that the resumed run's losses are *bit for bit* those of a
# run that never stopped. That
# takes two more things in the checkpoint: the state of the random number generator (dropout
# draws from it) and the state of the data loader's own generator (the shuffle order).
# Then the trained model is exported to ONNX and ONNX Runtime's outputs are compared with
# PyTorch's on 1,000 test images. The build fails unless every resumed epoch matches the
# uninterrupted run, and unless the trained model reaches 80% accuracy on those 1,000 test
# images.
#
# The [Saving and loading](../../saving/) page shows each piece on one step; the
# [Reproducibility](../../reproducibility/) page explains the generators;
# [Exporting to ONNX](../../exporting/) explains the export.

# %% tags=["colab-setup"]
# Hidden on the site: the build's bookkeeping (seeds, quiet imports, the bar checks below).
from snippets._gallery import FAST, start

run = start("checkpoints", modules=("snippets.saving", "snippets.training"))

# %% tags=["parameters"]
n_train = 10_000  # training images
epochs = 6

# %% tags=["colab-setup"]
if FAST:  # the site's tests run every cell on a shorter training
    n_train, epochs = 1000, 2

# %%
import torch
from torch.utils.data import DataLoader, TensorDataset
from torchvision import datasets

from snippets.saving import Network
from snippets.training import test_loop, train_loop

device = "cuda" if torch.cuda.is_available() else "cpu"
print(f"device: {device}, torch {torch.__version__}")

root = "data"
train_set = datasets.FashionMNIST(root, train=True, download=True)
test_set = datasets.FashionMNIST(root, train=False, download=True)

# Flat rows of 784 pixels in [0, 1], as the saving page's Network takes them.
train_ds = TensorDataset(
    train_set.data[:n_train].float().div(255).flatten(1), train_set.targets[:n_train]
)
test_ds = TensorDataset(test_set.data[:1000].float().div(255).flatten(1), test_set.targets[:1000])
print(f"{len(train_ds)} training images, {len(test_ds)} test images")

# %% [markdown]
# ## The uninterrupted run
#
# The saving page's `Network`: two hidden layers with dropout, trained with Adam. The loader
# shuffles with its own `torch.Generator`, so the order of the batches depends on that
# generator alone. Halfway, at the end of epoch 3 of 6, the run saves a checkpoint and
# carries on.

# %%
import tempfile
from pathlib import Path

import torch.nn.functional as F

tmp = tempfile.TemporaryDirectory()
checkpoint_path = Path(tmp.name) / "checkpoint.pt"
checkpoint_epoch = epochs // 2


def make_run(seed=0):
    """A model, its optimizer and a shuffling loader: what a training script builds first."""
    torch.manual_seed(seed)
    model = Network(784, 10, [256, 128], drop_p=0.2).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(seed)
    loader = DataLoader(train_ds, batch_size=64, shuffle=True, generator=generator)
    return model, optimizer, loader, generator


def rng_states(generator):
    """Every generator the next epoch draws from: the loader's, the CPU's, and CUDA's."""
    states = {"loader": generator.get_state(), "cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


model, optimizer, loader, generator = make_run()
uninterrupted = []
for epoch in range(1, epochs + 1):
    loss = train_loop(loader, model, F.cross_entropy, optimizer)
    uninterrupted.append(loss)
    print(f"epoch {epoch}: mean training loss {loss:.6f}")
    if epoch == checkpoint_epoch:
        torch.save(
            {
                "epoch": epoch,
                "model_state_dict": model.state_dict(),
                "optimizer_state_dict": optimizer.state_dict(),
                "loss": loss,
                "rng_states": rng_states(generator),
            },
            checkpoint_path,
        )
        print(f"checkpoint saved after epoch {epoch}")
final_model = model

# %% [markdown]
# ## What the checkpoint holds
#
# Tensors and plain Python values only (dictionaries, lists, tuples, numbers, strings, booleans,
# None), so `torch.load` reads it with its default `weights_only=True`, which refuses to run
# code from a file.

# %%
checkpoint = torch.load(checkpoint_path)  # weights_only=True: the default since PyTorch 2.6
print(f"{checkpoint_path.name}: {checkpoint_path.stat().st_size / 2**20:.1f} MiB")
for key, value in checkpoint.items():
    summary = list(value) if isinstance(value, dict) else value
    print(f"  {key}: {summary}")
print("Adam keeps per parameter:", list(checkpoint["optimizer_state_dict"]["state"][0]))

# %% [markdown]
# ## Resuming, as a new process would
#
# A fresh process has a fresh model, a fresh optimizer and generators in some other state
# (here, seeded with 123 to make the point). Loading the checkpoint puts all of them back
# where the uninterrupted run was after epoch 3.


# %%
def resume(path, restore_rng=True):
    checkpoint = torch.load(path, map_location=device)
    model, optimizer, loader, generator = make_run(seed=123)  # a different state
    model.load_state_dict(checkpoint["model_state_dict"])
    optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    if restore_rng:
        states = checkpoint["rng_states"]
        generator.set_state(states["loader"].cpu())  # set_state takes a CPU ByteTensor
        torch.set_rng_state(states["cpu"].cpu())
        if "cuda" in states:
            torch.cuda.set_rng_state_all([state.cpu() for state in states["cuda"]])
    losses = []
    for _ in range(checkpoint["epoch"] + 1, epochs + 1):
        losses.append(train_loop(loader, model, F.cross_entropy, optimizer))
    return model, losses


resumed_model, resumed = resume(checkpoint_path)
_, without_rng = resume(checkpoint_path, restore_rng=False)

print(f"{'epoch':<7}{'uninterrupted':>15}{'resumed':>15}{'resumed, no RNG':>17}")
for i, epoch in enumerate(range(checkpoint_epoch + 1, epochs + 1)):
    row = (uninterrupted[epoch - 1], resumed[i], without_rng[i])
    print(f"{epoch:<7}" + "".join(f"{x:>15.10f}" for x in row[:2]) + f"{row[2]:>17.10f}")

# %% [markdown]
# On CPU the resumed run repeats the uninterrupted one exactly: the same floats, not close
# ones, and the same final weights. On a GPU, some kernels may sum in a different order from
# run to run, so there the check is `torch.allclose`, not equality. Without the generators'
# states, the resumed run trains on other batches with other dropout masks: a valid run, but
# not the same one.

# %%
tail = uninterrupted[checkpoint_epoch:]
final_weights = zip(final_model.parameters(), resumed_model.parameters(), strict=True)
if device == "cpu":
    assert resumed == tail, (resumed, tail)
    assert all(torch.equal(a, b) for a, b in final_weights)
    print("CPU: resumed losses and final weights bit-identical to the uninterrupted run")
else:
    assert torch.allclose(torch.tensor(resumed), torch.tensor(tail), rtol=1e-4)
    assert all(torch.allclose(a, b, rtol=1e-4, atol=1e-6) for a, b in final_weights)
    print(f"{device}: resumed losses and final weights allclose to the uninterrupted run")
assert without_rng != tail

# %% tags=["colab-setup"]
# The site's build fails unless every resumed epoch matches (bit for bit on the CPU).
same = torch.isclose(
    torch.tensor(resumed), torch.tensor(tail), rtol=0 if device == "cpu" else 1e-4, atol=0
)
run.check("resumed epochs matching the uninterrupted run", same.float().mean().item(), 1.0)

# %% alt="Mean training loss per epoch: uninterrupted, resumed, and resumed without RNG states"
import matplotlib.pyplot as plt

fig_loss, ax = plt.subplots(figsize=(5.5, 3.2), dpi=80)
all_epochs = range(1, epochs + 1)
resumed_epochs = range(checkpoint_epoch + 1, epochs + 1)
ax.plot(all_epochs, uninterrupted, marker="o", linewidth=3, alpha=0.4, label="uninterrupted")
ax.plot(resumed_epochs, resumed, marker="x", color="black", label="resumed from the checkpoint")
ax.plot(resumed_epochs, without_rng, marker="+", linestyle=":", label="resumed without RNG states")
ax.axvline(checkpoint_epoch, color="grey", linestyle="--", linewidth=1)
ax.annotate(
    "checkpoint",
    (checkpoint_epoch, uninterrupted[0]),
    xytext=(4, -10),
    textcoords="offset points",
    color="grey",
)
ax.set(xlabel="epoch", ylabel="mean training loss", title="Resuming from a checkpoint")
ax.legend()
fig_loss.tight_layout()
plt.show()

# %% [markdown]
# ## Export to ONNX
#
# The trained model, in evaluation mode (dropout off, as inference runs it), exported with
# the `torch.export`-based exporter (`onnxscript` must be installed) and a dynamic batch
# dimension.

# %%
import onnx

final_model.eval()
onnx_path = Path(tmp.name) / "fashion_mlp.onnx"
torch.onnx.export(
    final_model.cpu(),
    (torch.zeros(1, 784),),
    onnx_path,
    input_names=["image"],
    output_names=["logits"],
    dynamic_shapes={"x": {0: torch.export.Dim("batch")}},  # forward's argument is x
    external_data=False,
    verbose=False,  # no progress lines
)
onnx.checker.check_model(onnx.load(onnx_path))
print(f"{onnx_path.name}: {onnx_path.stat().st_size / 2**20:.1f} MiB")

# %% [markdown]
# ## ONNX Runtime against PyTorch
#
# The 1,000 test images in one batch through both. The float32 results differ in their last
# bits (the two libraries order their sums differently), so the comparison has a tolerance:
# the largest absolute difference between logits must stay under 1e-4, and every image must
# get the same predicted class.

# %%
import onnxruntime as ort

images, labels = test_ds.tensors
session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
(onnx_logits,) = session.run(None, {"image": images.numpy()})
with torch.no_grad():
    torch_logits = final_model(images)

onnx_logits = torch.from_numpy(onnx_logits)
max_diff = (onnx_logits - torch_logits).abs().max().item()
agree = (onnx_logits.argmax(dim=1) == torch_logits.argmax(dim=1)).float().mean().item()
tolerance = 1e-4
print(f"largest logit difference: {max_diff:.2e} (tolerance {tolerance:.0e})")
print(f"same predicted class: {agree:.1%} of {len(images)} images")
assert max_diff < tolerance
assert agree == 1.0
accuracy_onnx = (onnx_logits.argmax(dim=1) == labels).float().mean().item()
print(f"test accuracy: PyTorch and ONNX Runtime both {accuracy_onnx:.1%}")

# %%
test_loss, test_accuracy = test_loop(
    DataLoader(test_ds, batch_size=1000), final_model, F.cross_entropy
)
print(f"test accuracy of the trained model: {test_accuracy:.1%}")
tmp.cleanup()

# %% tags=["colab-setup"]
run.check("test accuracy", test_accuracy, 0.8)  # the site's build fails below 80%
run.finish(
    headline=(
        f"Resumed run {'bit-identical' if device == 'cpu' else 'allclose'} on {device.upper()}; "
        f"ONNX logits within {max_diff:.0e}"
    ),
    thumbnail=fig_loss,
)
