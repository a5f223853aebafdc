# %% [markdown]
# # A convolutional network on FashionMNIST
#
# The `Net` of PyTorch's
# [Training a classifier](https://pytorch.org/tutorials/beginner/blitz/cifar10_tutorial.html)
# tutorial is a LeNet-style network for CIFAR-10: two convolutions with max pooling, then
# three linear layers. Here it is adapted to FashionMNIST's 28x28 greyscale images, traced
# shape by shape, and trained with the `fit()` of the
# [From hand-written weights to fit()](../../from-scratch/) page. The bar: 91.6% test
# accuracy, with fewer than 100,000 parameters. Training is watched on a validation set held
# out from the training images; the test set is used once, at the end.

# %% tags=["colab-setup"]
# Hidden on the site: the build's bookkeeping (seeds, quiet imports, the bar check below).
from snippets._gallery import FAST, start

run = start("fashion_cnn", modules=("snippets.from_scratch",))

# %% tags=["parameters"]
epochs = 10

# %%
import torch
from torch.utils.data import TensorDataset, random_split
from torchvision import datasets

from snippets.from_scratch import Net, evaluate, fit, get_data

device = "cuda" if torch.cuda.is_available() else "cpu"
print(f"device: {device}, torch {torch.__version__}")

root = "data"
train_set = datasets.FashionMNIST(root, train=True, download=True)
test_set = datasets.FashionMNIST(root, train=False, download=True)
classes = test_set.classes


def as_tensors(ds):
    """All images at once, as ToTensor() would give them one by one: (1, 28, 28) in [0, 1]."""
    return TensorDataset(ds.data.float().div(255).unsqueeze(1), ds.targets)


train_val_ds, test_ds = as_tensors(train_set), as_tensors(test_set)

# %% tags=["colab-setup"]
if FAST:  # the site's tests run every cell on a few batches
    epochs = 1
    train_val_ds = TensorDataset(*(t[:1280] for t in train_val_ds.tensors))
    test_ds = TensorDataset(*(t[:1000] for t in test_ds.tensors))

# %% [markdown]
# A tenth of the training images, drawn at random with a seeded generator, is the
# validation set.

# %%
train_ds, val_ds = random_split(
    train_val_ds, [0.9, 0.1], generator=torch.Generator().manual_seed(0)
)
print(f"{len(train_ds)} training, {len(val_ds)} validation, {len(test_ds)} test images")

# %% [markdown]
# ## From CIFAR-10 to FashionMNIST, shape by shape
#
# The tutorial's network takes 3x32x32 colour images: `conv1 = nn.Conv2d(3, 6, 5)` and
# `fc1 = nn.Linear(16 * 5 * 5, 120)`. FashionMNIST images have one channel, so `conv1` takes
# 1 input channel; and they are 28x28, so `padding=2` on `conv1` (as LeNet-5 did) keeps them
# at 28x28, after which every shape is the tutorial's and `fc1` keeps its 400 inputs.
# Following one image through the layers:

# %%
import torch.nn.functional as F

tutorial_net = Net()  # the tutorial's widths: 6 and 16 channels, 120 and 84 hidden units
x = train_val_ds.tensors[0][:1]
print(f"{'input':<30}{tuple(x.shape)}")
x = F.relu(tutorial_net.conv1(x))
print(f"{'conv1 (5x5, padding 2), relu':<30}{tuple(x.shape)}")
x = tutorial_net.pool(x)
print(f"{'max pool 2x2':<30}{tuple(x.shape)}")
x = F.relu(tutorial_net.conv2(x))
print(f"{'conv2 (5x5), relu':<30}{tuple(x.shape)}")
x = tutorial_net.pool(x)
print(f"{'max pool 2x2':<30}{tuple(x.shape)}")
x = torch.flatten(x, 1)
print(f"{'flatten':<30}{tuple(x.shape)}")
x = F.relu(tutorial_net.fc1(x))
print(f"{'fc1, relu':<30}{tuple(x.shape)}")
x = F.relu(tutorial_net.fc2(x))
print(f"{'fc2, relu':<30}{tuple(x.shape)}")
x = tutorial_net.fc3(x)
print(f"{'fc3: logits':<30}{tuple(x.shape)}")
print(f"{sum(p.numel() for p in tutorial_net.parameters()):,} parameters")

# %% [markdown]
# ## A wider Net, still under 100,000 parameters
#
# Six filters are few for telling a shirt from a pullover. The same architecture with 16 and
# 32 channels, smaller linear layers (the 800 features after `conv2` would make a 120-unit
# `fc1` cost 96,000 weights alone) and a little dropout between them stays under the budget.
# Batch normalization after each convolution (`batch_norm=True`) keeps training stable at a
# high learning rate, which makes a few epochs count. It adds a scale and a shift per channel
# (96 parameters) and makes the convolutions' biases redundant (it subtracts each channel's
# mean, bias included), so `Net` drops those 48.

# %%
torch.manual_seed(0)
model = Net(c1=16, c2=32, hidden=(64, 64), dropout=0.1, batch_norm=True).to(device)
n_params = sum(p.numel() for p in model.parameters())
print(model)
print(f"{n_params:,} parameters")

# %% [markdown]
# ## Training with the shared fit()
#
# Adam, batches of 128, and a one-cycle learning-rate schedule (up to 5e-3, then down to
# almost zero), stepped after every batch by `fit()`; `fit()` measures the validation set
# after each epoch and returns the history, which the plots below use.

# %%
torch.manual_seed(0)
train_dl, val_dl = get_data(train_ds, val_ds, bs=128)
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
schedule = torch.optim.lr_scheduler.OneCycleLR(
    optimizer, max_lr=5e-3, epochs=epochs, steps_per_epoch=len(train_dl)
)
history = fit(epochs, model, F.cross_entropy, optimizer, train_dl, val_dl, scheduler=schedule)
for record in history:
    print(
        f"epoch {record['epoch']}: train loss {record['train_loss']:.4f}, "
        f"validation loss {record['val_loss']:.4f}, validation accuracy {record['val_acc']:.2%}"
    )

# %% [markdown]
# ## On the test set, once

# %%
_, test_dl = get_data(train_ds, test_ds, bs=128)
_, test_acc = evaluate(model, F.cross_entropy, test_dl)
print(f"test accuracy: {test_acc:.2%}, with {n_params:,} parameters")

# %% tags=["colab-setup"]
# The site's build fails below 91.6% test accuracy or at 100,000 parameters or more.
run.check("test accuracy", test_acc, 0.916)
run.check("parameters under 100k", float(n_params < 100_000), 1.0)

# %% [markdown]
# ## What the first layer learned
#
# Each of the 16 filters of `conv1` is a 5x5 grid of weights, drawn here in grey levels: they
# respond to edges and strokes at different orientations.

# %% alt="The 16 learned 5x5 filters of conv1 as grey images, in two rows of eight"
import matplotlib.pyplot as plt

filters = model.conv1.weight.detach().cpu()[:, 0]
fig_filters, axes = plt.subplots(2, 8, figsize=(8, 2.4), dpi=90)
for f, ax in zip(filters, axes.flat, strict=True):
    ax.imshow(f.numpy(), cmap="gray")
    ax.axis("off")
fig_filters.suptitle("conv1: the 16 learned 5x5 filters")
fig_filters.tight_layout()
plt.show()

# %% [markdown]
# ## Feature maps of one image
#
# The output of `conv1`, after its batch normalization and the ReLU (what the first pooling
# receives), for one test image: each filter lights up a different part of the garment.

# %% alt="One test image, titled with its true and predicted class, and its 16 conv1 feature maps"
image, label = test_ds[0]
model.eval()
with torch.no_grad():
    maps = F.relu(model.bn1(model.conv1(image.unsqueeze(0).to(device))))[0].cpu()
    predicted = model(image.unsqueeze(0).to(device)).argmax(dim=1).item()

fig_maps, axes = plt.subplots(2, 9, figsize=(9, 2.4), dpi=90)
for row in range(2):  # the image at the start of each row, then 8 of the 16 maps
    axes[row, 0].imshow(image[0].numpy(), cmap="gray_r")
    for col in range(8):
        axes[row, col + 1].imshow(maps[row * 8 + col].numpy(), cmap="viridis")
for ax in axes.flat:
    ax.axis("off")
axes[0, 0].set_title(f"true: {classes[label]}", fontsize=7)
axes[1, 0].set_title(f"predicted: {classes[predicted]}", fontsize=7)
fig_maps.suptitle("conv1 feature maps of one test image")
fig_maps.tight_layout()
plt.show()

# %% [markdown]
# ## Accuracy, epoch by epoch
#
# Validation accuracy after each epoch, and the test accuracy measured once at the end.

# %% alt="Validation accuracy per epoch as a line, and the final test accuracy as a star"
fig_curve, ax = plt.subplots(figsize=(5, 3), dpi=90)
ax.plot(
    [r["epoch"] for r in history], [r["val_acc"] for r in history], marker="o", label="validation"
)
ax.plot([history[-1]["epoch"]], [test_acc], marker="*", markersize=12, linestyle="", label="test")
ax.set(xlabel="epoch", ylabel="accuracy", title="Wider Net on FashionMNIST")
ax.legend()
fig_curve.tight_layout()
plt.show()

# %% tags=["colab-setup"]
run.finish(
    headline=(
        f"PyTorch's CIFAR-10 Net, adapted and widened to {n_params:,} parameters: "
        f"{test_acc:.1%} test accuracy"
    ),
    thumbnail=fig_filters,
)
