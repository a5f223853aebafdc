"""What the transfer learning page's code is for: a frozen backbone, a trainable head."""

import importlib
from urllib.error import URLError

import pytest
import torch
from PIL import Image
from torch import nn
from torchvision import models

from tools.offline import NetworkBlockedError


@pytest.fixture(scope="module")
def transfer():
    return importlib.import_module("snippets.transfer")  # see tests/topics/conftest.py


@pytest.fixture
def empty_hub_dir(tmp_path):
    """A torch hub cache with no weights in it, so that loading weights must download."""
    previous = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path))
    yield tmp_path
    torch.hub.set_dir(previous)


def frozen_resnet_with_new_head(classes=10):
    torch.manual_seed(0)
    model = models.resnet18(weights=None)
    for param in model.parameters():
        param.requires_grad = False
    model.fc = nn.Linear(model.fc.in_features, classes)
    return model


def test_loading_pretrained_weights_needs_the_network(empty_hub_dir):
    with pytest.raises(URLError) as caught:
        models.ResNet18_Weights.DEFAULT.get_state_dict(progress=False)
    assert isinstance(caught.value.reason, NetworkBlockedError)
    assert "download.pytorch.org" in str(caught.value.reason)
    assert not any(path.is_file() for path in empty_hub_dir.rglob("*"))


def test_pretrained_true_warns_and_asks_for_the_imagenet_weights(empty_hub_dir):
    with (
        pytest.warns(UserWarning, match="deprecated since 0.13") as caught,
        pytest.raises(URLError, match="network access blocked"),
    ):
        models.resnet18(pretrained=True, progress=False)
    messages = [str(warning.message) for warning in caught]
    assert "The parameter 'pretrained' is deprecated" in messages[0]
    assert "equivalent to passing `weights=ResNet18_Weights.IMAGENET1K_V1`" in messages[1]


def test_the_weights_metadata_is_available_offline():
    weights = models.ResNet18_Weights.DEFAULT
    assert weights is models.ResNet18_Weights.IMAGENET1K_V1
    assert len(weights.meta["categories"]) == 1000
    assert weights.meta["num_params"] == sum(p.numel() for p in models.resnet18().parameters())


def test_the_transforms_resize_crop_and_normalize_with_imagenet_statistics(transfer):
    mean_colour = tuple(round(255 * m) for m in (0.485, 0.456, 0.406))
    image = Image.new("RGB", (400, 300), mean_colour)
    x = transfer.preprocess(image)
    assert x.shape == (3, 224, 224)
    assert x.abs().max() < 0.01  # the ImageNet mean colour normalizes to about 0
    white = transfer.preprocess(Image.new("RGB", (300, 300), (255, 255, 255)))
    expected = (1 - torch.tensor([0.485, 0.456, 0.406])) / torch.tensor([0.229, 0.224, 0.225])
    torch.testing.assert_close(white[:, 0, 0], expected)


def test_only_the_new_head_is_trainable(transfer):
    model = frozen_resnet_with_new_head()
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"fc.weight", "fc.bias"}
    assert transfer.trainable == 512 * 10 + 10


def test_one_step_moves_the_head_and_not_the_frozen_weights():
    model = frozen_resnet_with_new_head()
    optimizer = torch.optim.SGD(model.fc.parameters(), lr=0.1)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    model.eval()
    loss = nn.functional.cross_entropy(model(torch.rand(2, 3, 64, 64)), torch.tensor([0, 1]))
    loss.backward()
    optimizer.step()
    for name, param in model.named_parameters():
        if name.startswith("fc."):
            assert not torch.equal(before[name], param), name
        else:
            assert torch.equal(before[name], param), name
            assert param.grad is None, name


def test_train_mode_updates_batchnorm_statistics_of_a_frozen_backbone():
    model = frozen_resnet_with_new_head()
    running_mean = model.bn1.running_mean.clone()
    with torch.no_grad():
        model.eval()(torch.rand(2, 3, 64, 64))
        assert torch.equal(model.bn1.running_mean, running_mean)
        model.train()(torch.rand(2, 3, 64, 64))
        assert not torch.equal(model.bn1.running_mean, running_mean)


def test_the_page_s_resnet_step_left_the_backbone_alone(transfer):
    assert transfer.frozen_same
    assert transfer.logits.shape == (2, 10)
    assert transfer.images.shape == (2, 3, 224, 224)


def test_the_densenet_classifier_outputs_log_probabilities_for_two_classes(transfer):
    model = transfer.model
    assert isinstance(model, models.DenseNet)
    trainable = [name for name, p in model.named_parameters() if p.requires_grad]
    assert trainable == [f"classifier.fc{i}.{kind}" for i in (1, 2) for kind in ("weight", "bias")]
    assert sum(p.numel() for p in model.classifier.parameters()) == 1024 * 500 + 500 + 500 * 2 + 2
    assert transfer.log_probabilities.shape == (2, 2)
    assert (transfer.log_probabilities <= 0).all()
    # LogSoftmax + NLLLoss is cross-entropy on the classifier's raw scores.
    scores = torch.randn(4, 2)
    labels = torch.tensor([0, 1, 1, 0])
    torch.testing.assert_close(
        nn.NLLLoss()(model.classifier.output(scores), labels),
        nn.functional.cross_entropy(scores, labels),
    )


def test_the_figure_shows_each_photo_next_to_the_model_s_input(transfer):
    axes = transfer.fig.axes
    assert len(axes) == 4
    assert [ax.get_title().split(":")[0] for ax in axes] == [
        "ants",
        "model input",
        "bees",
        "model input",
    ]
    crop = axes[1].get_images()[0].get_array()
    assert crop.shape == (224, 224, 3)
    assert crop.min() >= 0
    assert crop.max() <= 1
    photo = axes[0].get_images()[0].get_array()
    assert photo.shape[:2] != (224, 224)  # the photo has its own size


def test_exercise_1_a_two_class_head_is_all_that_trains(transfer):
    assert transfer.two_class.fc.out_features == 2
    assert transfer.two_class.fc.weight.requires_grad


def test_exercise_2_layer4_and_the_head_train_with_their_own_learning_rates(transfer):
    groups = transfer.finetune_optimizer.param_groups
    assert [group["lr"] for group in groups] == [1e-2, 1e-3]
    layer4 = sum(p.numel() for p in transfer.two_class.layer4.parameters())
    assert transfer.n_trainable == layer4 + 512 * 2 + 2
    frozen = [n for n, p in transfer.two_class.named_parameters() if not p.requires_grad]
    assert frozen
    assert not any(name.startswith(("layer4.", "fc.")) for name in frozen)


def test_exercise_3_the_features_and_the_head_make_the_whole_model(transfer):
    assert transfer.features.shape == (2, 512)
    torch.testing.assert_close(transfer.logits_from_features, transfer.logits_full)
    assert isinstance(transfer.extractor.fc, nn.Identity)
    assert isinstance(transfer.classifier.fc, nn.Linear)  # the copy left the original alone
