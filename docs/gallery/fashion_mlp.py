# %% [markdown]
# # FashionMNIST: the quickstart, its bug, and a tuned MLP
#
# PyTorch's [quickstart](https://pytorch.org/tutorials/beginner/basics/quickstart_tutorial.html)
# trains a multilayer perceptron on FashionMNIST: SGD, learning rate 1e-3, batches of 64,
# 5 epochs. The study notes copy an older version of it whose network ends with a ReLU, so
# every negative logit is clamped to 0 (the [Training and evaluation](../../training/) page
# shows why that blocks the gradient). This notebook trains:
#
# 1. the notes' network exactly as written,
# 2. the corrected network, with the same settings,
# 3. the corrected network with dropout, Adam and more epochs, which must reach 88.3% test
#    accuracy, the MLP result of the [Fashion-MNIST benchmark](https://github.com/zalandoresearch/fashion-mnist#benchmark).
#
# The train and test loops are the training page's `train_loop()` and `test_loop()`, imported
# from its tested module.

# %%
from snippets._gallery import DATA_ROOT, FAST, page_imports, start

run = start("fashion_mlp")

# %% [markdown]
# ## The data
#
# `datasets.FashionMNIST` keeps all the images in one `uint8` tensor; dividing it by 255 once
# gives what `ToTensor()` gives image by image, `(1, 28, 28)` floats in `[0, 1]`, without
# decoding 70,000 images one at a time.

# %%
import torch
from torch.utils.data import DataLoader, TensorDataset
from torchvision import datasets

train_set = datasets.FashionMNIST(DATA_ROOT, train=True, download=True)
test_set = datasets.FashionMNIST(DATA_ROOT, train=False, download=True)
classes = test_set.classes


def as_tensors(ds, n=None):
    return TensorDataset(ds.data[:n].float().div(255).unsqueeze(1), ds.targets[:n])


train_ds = as_tensors(train_set, 640 if FAST else None)
test_ds = as_tensors(test_set, 1000 if FAST else None)
print(f"{len(train_ds)} training images, {len(test_ds)} test images")
print(classes)

# %%
with page_imports():  # the training page's module runs its small examples on import
    from snippets.training import NeuralNetwork, NotesNeuralNetwork, test_loop, train_loop

# %% [markdown]
# ## The quickstart's settings, with and without the ReLU on the logits
#
# As in the quickstart, the training loader does not shuffle. Both networks start from the
# same seed, so they start from the same weights: the only difference is the final ReLU.

# %%
from torch import nn

loss_fn = nn.CrossEntropyLoss()
quick_epochs = 1 if FAST else 5


def train(model, optimizer, train_dl, epochs, label):
    history = []
    for epoch in range(epochs):
        train_loss = train_loop(train_dl, model, loss_fn, optimizer)
        test_loss, test_acc = test_loop(test_dl, model, loss_fn)
        history.append((train_loss, test_loss, test_acc))
        print(
            f"{label}, epoch {epoch + 1}: train loss {train_loss:.4f}, "
            f"test loss {test_loss:.4f}, test accuracy {test_acc:.1%}"
        )
    return history


test_dl = DataLoader(test_ds, batch_size=1000)
histories = {}
for label, network in [("notes (ReLU on logits)", NotesNeuralNetwork), ("fixed", NeuralNetwork)]:
    torch.manual_seed(0)
    model = network().to(run.device)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    train_dl = DataLoader(train_ds, batch_size=64)
    histories[label] = train(model, optimizer, train_dl, quick_epochs, label)

# %% [markdown]
# With SGD at learning rate 1e-3, five epochs are not enough for either network to get far:
# the quickstart itself reports 64.8% after five epochs. Both runs show where this one lands.
# The notes' network also trains, through the logits that stay positive; the clamped ones
# give it no signal, and its loss cannot fall as far.
#
# ## A tuned MLP
#
# The same corrected network with dropout (p=0.2) after each hidden layer, the Adam
# optimizer, a shuffled training set and more epochs.

# %%
torch.manual_seed(0)
tuned = NeuralNetwork(dropout=0.2).to(run.device)
optimizer = torch.optim.Adam(tuned.parameters(), lr=1e-3)
train_dl = DataLoader(train_ds, batch_size=64, shuffle=True)
histories["tuned (dropout, Adam)"] = train(
    tuned, optimizer, train_dl, 1 if FAST else 12, "tuned (dropout, Adam)"
)
tuned_acc = histories["tuned (dropout, Adam)"][-1][2]
run.check("tuned MLP test accuracy", tuned_acc, 0.883)

# %% [markdown]
# ## Loss and accuracy, epoch by epoch

# %%
import matplotlib.pyplot as plt

fig_curves, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.4), dpi=90)
for label, history in histories.items():
    epochs = range(1, len(history) + 1)
    ax_loss.plot(epochs, [h[1] for h in history], marker="o", label=label)
    ax_acc.plot(epochs, [h[2] for h in history], marker="o", label=label)
ax_loss.set(xlabel="epoch", ylabel="test loss", title="Test loss")
ax_acc.set(xlabel="epoch", ylabel="test accuracy", title="Test accuracy")
ax_acc.axhline(0.883, color="grey", linestyle="--", linewidth=1, label="bar: 88.3%")
ax_acc.legend(fontsize=8)
fig_curves.tight_layout()
plt.show()

# %% [markdown]
# ## Where the tuned model is wrong
#
# Rows are the true classes, columns the predicted ones. Most mistakes are between the
# classes that look alike at 28x28: shirts, T-shirts, pullovers and coats.

# %%
tuned.eval()
with torch.no_grad():
    x_test, y_test = test_ds.tensors
    predicted = torch.cat(
        [tuned(xb.to(run.device)).argmax(dim=1).cpu() for xb in x_test.split(1000)]
    )
confusion = torch.zeros(10, 10, dtype=torch.long)
for t, p in zip(y_test.tolist(), predicted.tolist(), strict=True):
    confusion[t, p] += 1

fig_confusion, ax = plt.subplots(figsize=(6.4, 5.6), dpi=90)
ax.imshow(confusion.numpy(), cmap="Blues")
for t in range(10):
    for p in range(10):
        count = confusion[t, p].item()
        color = "white" if count > confusion.max().item() / 2 else "black"
        ax.text(p, t, count, ha="center", va="center", fontsize=7, color=color)
ax.set_xticks(range(10), classes, rotation=45, ha="right")
ax.set_yticks(range(10), classes)
ax.set(xlabel="predicted", ylabel="true", title=f"Tuned MLP, test accuracy {tuned_acc:.1%}")
fig_confusion.tight_layout()
plt.show()

# %% [markdown]
# ## Some test images, with what the model says
#
# The title gives the prediction, and the true class when it is different (in red).

# %%
fig_grid, axes = plt.subplots(3, 8, figsize=(10, 4.4), dpi=80)
for i, ax in enumerate(axes.flat):
    ax.imshow(x_test[i, 0].numpy(), cmap="gray_r")
    right = predicted[i] == y_test[i]
    title = classes[predicted[i]] if right else f"{classes[predicted[i]]}\n({classes[y_test[i]]})"
    ax.set_title(title, fontsize=7, color="black" if right else "red")
    ax.axis("off")
fig_grid.tight_layout()
plt.show()

# %%
run.finish(
    headline=(
        f"The quickstart's MLP with and without its ReLU bug, and a tuned MLP at "
        f"{tuned_acc:.1%} test accuracy"
    ),
    thumbnail=fig_confusion,
)
