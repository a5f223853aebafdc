"""What the transfer learning page's code is for: a frozen backbone, a trainable head."""

from urllib.error import URLError

import pytest
import torch
from PIL import Image
from torch import nn
from torchvision import models

from snippets import transfer
from tools.offline import NetworkBlockedError


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


def test_the_transforms_resize_crop_and_normalize_with_imagenet_statistics():
    mean_colour = tuple(round(255 * m) for m in (0.485, 0.456, 0.406))
    image = Image.new("RGB", (400, 300), mean_colour)
    x = transfer.preprocess(image)
    assert x.shape == (3, 224, 224)
    assert x.abs().max() < 0.01  # the ImageNet mean colour normalizes to about 0
    white = transfer.preprocess(Image.new("RGB", (300, 300), (255, 255, 255)))
    expected = (1 - torch.tensor([0.485, 0.456, 0.406])) / torch.tensor([0.229, 0.224, 0.225])
    torch.testing.assert_close(white[:, 0, 0], expected)


def test_only_the_new_head_is_trainable():
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


def test_the_page_s_resnet_step_left_the_backbone_alone():
    assert transfer.frozen_same
    assert transfer.logits.shape == (2, 10)
    assert transfer.images.shape == (2, 3, 224, 224)


def test_the_densenet_classifier_outputs_log_probabilities_for_two_classes():
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


def test_gpu_is_not_a_device_name():
    with pytest.raises(RuntimeError, match="device string: gpu"):
        torch.device("gpu")
