"""Links from the code to the reference (tools/api_links.py): names are resolved through what the
code imports, a name that does not exist fails naming its page and line, the URL follows the
layout of the reference docs, the linked HTML keeps the text of the code, and the API index
groups and sorts the names, and the search index tags each name on the section teaching it."""

import json
from types import SimpleNamespace

import markdown
import pytest
from mkdocs.config import load_config
from mkdocs.exceptions import PluginError

from tools import api_links
from tools.api_links import (
    TORCH_DOCS,
    VISION_DOCS,
    UnresolvedNameError,
    find_uses,
    group,
    link_code,
    link_page,
    mention,
    page_blocks,
    python_block,
    reference_url,
    text_of,
)
from tools.paths import MKDOCS_YML
from tools.sybil_pages import snippet_options


def block(code: str, page: str = "docs/page.md", first: int = 1):
    return python_block(code, [f"{page}, line {first + n}" for n in range(code.count("\n") + 1)])


def used(*codes: str) -> list[tuple[str, str]]:
    """(name, spelling) of each use, the blocks run in order as one page."""
    uses, _ = find_uses([block(code) for code in codes])
    return [(use.name, use.spelling) for block_uses in uses for use in block_uses]


def test_imports_and_aliases_resolve_to_the_names_they_stand_for():
    code = """\
import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader as DL
from torchvision import datasets, transforms
from torchvision.transforms import v2

x = torch.zeros(2, 3)
layer = nn.Linear(3, 1)
loss = F.cross_entropy(layer(x), torch.tensor([0, 0]))
optimizer = optim.SGD(layer.parameters(), lr=0.1)
loader = DL(datasets.FashionMNIST)
pipeline = v2.Compose([transforms.ToTensor()])
state = nn.Module.state_dict(layer)
flat = torch.Tensor.view(x, 6)
same = x.view(6)
"""
    assert used(code) == [
        ("torch.utils.data.DataLoader", "DataLoader"),  # the import line links it too
        ("torch.zeros", "torch.zeros"),
        ("torch.nn.Linear", "nn.Linear"),
        ("torch.nn.functional.cross_entropy", "F.cross_entropy"),
        ("torch.tensor", "torch.tensor"),
        ("torch.optim.SGD", "optim.SGD"),
        ("torch.utils.data.DataLoader", "DL"),
        ("torchvision.datasets.FashionMNIST", "datasets.FashionMNIST"),
        ("torchvision.transforms.v2.Compose", "v2.Compose"),
        ("torchvision.transforms.ToTensor", "transforms.ToTensor"),
        ("torch.nn.Module.state_dict", "nn.Module.state_dict"),
        ("torch.Tensor.view", "torch.Tensor.view"),
    ]  # x.view: a method of a value, whose type the code does not say


def test_blocks_share_imports_and_python_scoping_shadows_them():
    first = "from torch import nn\nfrom torch.utils import data\n"
    second = """\
def size(data):
    return data.anything  # the argument, not the module
loader = data.DataLoader([1, 2])
layers = [nn.ReLU() for nn in range(2)]
pairs = [(data.Subset, i) for i in range(2)]
nn = []
nn.append(1)
"""
    assert used(first, second) == [
        ("torch.utils.data.DataLoader", "data.DataLoader"),
        ("torch.utils.data.Subset", "data.Subset"),
    ]


def test_the_longest_prefix_with_a_reference_page_is_linked():
    code = "import torchvision\nweights = torchvision.models.ResNet18_Weights.DEFAULT\n"
    assert used(code) == [
        ("torchvision.models.ResNet18_Weights", "torchvision.models.ResNet18_Weights")
    ]


def test_a_name_that_does_not_resolve_fails_naming_its_page_and_line(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Page\n\nText.\n\n```python\nimport torch\n\nx = torch.zeroes(3)\n```\n")
    with pytest.raises(UnresolvedNameError, match=r"page\.md, line 8: torch\.zeroes does not"):
        find_uses(page_blocks(page, snippet_options()))


def test_a_name_that_fails_on_purpose_inside_try_except_is_let_through():
    code = "import torch\ntry:\n    torch.zeroes(3)\nexcept AttributeError as e:\n    print(e)\n"
    uses, tolerated = find_uses([block(code)])
    assert uses == [[]]
    assert tolerated == ["torch.zeroes"]


@pytest.mark.parametrize(
    ("name", "url"),
    [
        ("torch.nn.Linear", f"{TORCH_DOCS}generated/torch.nn.Linear.html"),
        ("torch.zeros", f"{TORCH_DOCS}generated/torch.zeros.html"),
        ("torch.Tensor.view", f"{TORCH_DOCS}generated/torch.Tensor.view.html"),
        ("torch.Tensor", f"{TORCH_DOCS}tensors.html#torch.Tensor"),
        (
            "torch.nn.functional.cross_entropy",
            f"{TORCH_DOCS}generated/torch.nn.functional.cross_entropy.html",
        ),
        ("torch.optim.SGD", f"{TORCH_DOCS}generated/torch.optim.SGD.html"),
        (
            "torch.optim.lr_scheduler.StepLR",
            f"{TORCH_DOCS}generated/torch.optim.lr_scheduler.StepLR.html",
        ),
        ("torch.utils.data.DataLoader", f"{TORCH_DOCS}data.html#torch.utils.data.DataLoader"),
        (
            "torch.utils.data.DistributedSampler",
            f"{TORCH_DOCS}data.html#torch.utils.data.distributed.DistributedSampler",
        ),
        (
            "torch.nn.Module.state_dict",
            f"{TORCH_DOCS}generated/torch.nn.Module.html#torch.nn.Module.state_dict",
        ),
        (
            "torch.cuda.max_memory_allocated",
            f"{TORCH_DOCS}generated/torch.cuda.memory.max_memory_allocated.html",
        ),
        ("torch.float32", f"{TORCH_DOCS}tensor_attributes.html#torch.dtype"),
        ("torch.nn.init.zeros_", f"{TORCH_DOCS}nn.init.html#torch.nn.init.zeros_"),
        (
            "torch.inference_mode",
            f"{TORCH_DOCS}generated/torch.autograd.grad_mode.inference_mode.html",
        ),
        (
            "torchvision.datasets.FashionMNIST",
            f"{VISION_DOCS}generated/torchvision.datasets.FashionMNIST.html",
        ),
        (
            "torchvision.transforms.v2.Compose",
            f"{VISION_DOCS}generated/torchvision.transforms.v2.Compose.html",
        ),
        (
            "torchvision.models.resnet18",
            f"{VISION_DOCS}models/generated/torchvision.models.resnet18.html",
        ),
        (
            "torchvision.models.ResNet18_Weights",
            f"{VISION_DOCS}models/generated/torchvision.models.resnet18.html"
            "#torchvision.models.ResNet18_Weights",
        ),
        ("torch.nn", None),  # a module
        ("torch.__version__", None),
        ("torch.nn.Linear.state_dict", None),  # inherited: nn.Linear is linked instead
    ],
)
def test_the_url_of_each_kind_of_name(name, url):
    assert reference_url(name) == url


def test_the_urls_are_those_of_the_installed_versions():
    import torch
    import torchvision

    assert TORCH_DOCS.endswith("/docs/{}.{}/".format(*torch.__version__.split(".")[:2]))
    assert VISION_DOCS.endswith("/vision/{}.{}/".format(*torchvision.__version__.split(".")[:2]))


def test_resolved_names_are_kept_for_the_next_build_of_the_same_versions(tmp_path, monkeypatch):
    """A rebuild reads what earlier builds resolved (.cache/api-links.json) instead of
    importing torch and torchvision again; another key (versions, rules) reads nothing, and a
    name that does not resolve is never kept."""
    monkeypatch.setattr(api_links, "RESOLVED", tmp_path / "api-links.json")
    monkeypatch.setattr(api_links, "_references", {})
    linear = api_links.Reference("torch.nn", f"{TORCH_DOCS}generated/torch.nn.Linear.html")
    assert api_links.reference("torch.nn.Linear") == linear
    with pytest.raises(AttributeError, match="zeroes"):
        api_links.reference("torch.zeroes")
    api_links.save_references()

    api_links.load_references()
    assert api_links._references == {"torch.nn.Linear": linear}
    stored = json.loads(api_links.RESOLVED.read_text(encoding="utf-8"))
    stored["names"]["torch.nn.Linear"][1] = "https://example.org/kept"
    api_links.RESOLVED.write_text(json.dumps(stored), encoding="utf-8")
    api_links.load_references()
    assert api_links.reference("torch.nn.Linear").url == "https://example.org/kept"
    monkeypatch.setitem(api_links.VERSIONS, "torch", "0.0.0")  # another torch: stale
    api_links.load_references()
    assert api_links._references == {}


def test_a_run_of_spans_is_wrapped_whole_and_its_text_kept():
    code = (
        '<span class="n">nn</span><span class="o">.</span><span class="n">Linear</span>'
        '<span class="p">(</span><span class="mi">2</span><span class="p">)</span>'
    )
    linked = link_code(code, [(0, 9, "https://ref/Linear", "torch.nn.Linear")])
    assert linked == (
        '<a href="https://ref/Linear" class="api-link" title="torch.nn.Linear">'
        + code[: code.index('<span class="p">')]
        + "</a>"
        + code[code.index('<span class="p">') :]
    )
    assert text_of(linked) == text_of(code) == "nn.Linear(2)"


def test_linking_a_rendered_page_leaves_the_text_of_its_code_unchanged(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n## Layers\n\n```python\nimport torch\nfrom torch import nn\n\n\n"
        "@torch.no_grad()\ndef infer(model, x):\n    return model(x)\n\n\n"
        "layer = nn.Linear(2, 1)  # a layer\nprint(layer(torch.zeros(1, 2)).shape)\n```\n\n"
        "```pycon\n>>> torch.ones(2) > 0\ntensor([True, True])\n```\n"
    )
    config = load_config(str(MKDOCS_YML))
    md = markdown.Markdown(
        extensions=config["markdown_extensions"], extension_configs=config["mdx_configs"]
    )
    rendered = md.convert(page.read_text())
    blocks = page_blocks(page, snippet_options())
    uses, _ = find_uses(blocks)
    linked, sections, found = link_page(rendered, blocks, uses, "page.md")

    assert text_of(linked) == text_of(rendered)
    assert linked.count('class="api-link"') == len(found) == 4
    assert (
        f'<a href="{TORCH_DOCS}generated/torch.nn.Linear.html" class="api-link" '
        'title="torch.nn.Linear"><span class="n">nn</span><span class="o">.</span>'
        '<span class="n">Linear</span></a>'
    ) in linked
    assert f'<a href="{TORCH_DOCS}generated/torch.ones.html"' in linked  # in the >>> block
    assert [section.anchor for section in sections] == ["page", "layers"]
    assert {section.anchor for _, section in found} == {"layers"}


def test_the_index_groups_names_by_module_and_sorts_them():
    names = [
        "torchvision.datasets.MNIST",
        "torch.zeros",
        "torch.nn.Linear",
        "torch.Tensor",
        "torch.nn.functional.relu",
        "torch.arange",
        "torch.nn.Conv2d",
    ]
    assert group(names) == {
        "torch": ["torch.arange", "torch.Tensor", "torch.zeros"],
        "torch.nn": ["torch.nn.Conv2d", "torch.nn.Linear"],
        "torch.nn.functional": ["torch.nn.functional.relu"],
        "torchvision.datasets": ["torchvision.datasets.MNIST"],
    }


def test_a_page_teaches_a_name_its_prose_mentions_as_the_code_spells_it():
    pattern = mention("torch.nn.functional.relu", {"F.relu"})
    assert pattern.search("apply `F.relu` to the output")
    assert pattern.search("see nn.functional.relu")
    assert not pattern.search("F.relu6 clips at six")
    assert not pattern.search("torch.relu is another function")


def test_the_api_page_holds_the_marker_the_build_replaces():
    assert api_links.API_MARKER in api_links.API_INDEX.read_text(encoding="utf-8")


@pytest.fixture
def site_pages(monkeypatch):
    """Three topic pages in reading order: prose about nn.Linear on the first, a heading
    naming it on the second, the mistakes page's heading last; a gallery page uses it."""

    def page(url, *sections, topic=True):
        return api_links.PageRecord(SimpleNamespace(url=url), list(sections), topic)

    pages = {
        "tensors.md": page(
            "tensors/",
            api_links.Section("", "Tensors", 1, ["Layers such as nn.Linear come later."]),
        ),
        "mistakes.md": page(
            "mistakes/", api_links.Section("linear", "A wrong nn.Linear", 2, ["..."])
        ),
        "models.md": page(
            "models/",
            api_links.Section("", "Models", 1, ["A model."]),
            api_links.Section("layers", "Layers: nn.Linear", 2, ["It maps."]),
        ),
        "gallery/xor.ipynb": page(
            "gallery/xor/", api_links.Section("", "XOR", 1, ["nn.Linear"]), topic=False
        ),
    }
    monkeypatch.setattr(api_links, "_pages", pages)
    monkeypatch.setattr(api_links, "_spellings", {"torch.nn.Linear": {"nn.Linear"}})
    xor = pages["gallery/xor.ipynb"].sections
    monkeypatch.setattr(api_links, "_used", {"torch.nn.Linear": {"gallery/xor.ipynb": xor}})
    monkeypatch.setattr(api_links, "_teachers", {})
    return ["mistakes.md", "tensors.md", "models.md", "gallery/xor.ipynb"]


def test_the_teaching_section_is_the_first_whose_heading_names_it(site_pages):
    src, section = api_links.teacher("torch.nn.Linear", site_pages)
    assert (src, section.anchor) == ("models.md", "layers")  # not the earlier prose, nor mistakes


def test_prose_then_code_teaches_where_no_heading_names_the_name_and_mistakes_come_last(
    site_pages, monkeypatch
):
    pages = api_links._pages
    pages["models.md"] = api_links.PageRecord(
        pages["models.md"].page, [api_links.Section("", "Models", 1, ["A model."])], True
    )
    assert api_links.teacher("torch.nn.Linear", site_pages)[0] == "tensors.md"
    intro = api_links.Section("", "Tensors", 1, ["No layers."])
    pages["tensors.md"] = api_links.PageRecord(pages["tensors.md"].page, [intro], True)
    assert api_links.teacher("torch.nn.Linear", site_pages)[0] == "mistakes.md"
    # A teaching page whose code uses it comes before the mistakes page.
    monkeypatch.setattr(api_links, "_used", {"torch.nn.Linear": {"tensors.md": [intro]}})
    assert api_links.teacher("torch.nn.Linear", site_pages) == ("tensors.md", intro)


def test_the_search_index_tags_each_name_on_its_teaching_section(site_pages, tmp_path):
    index = {
        "config": {},
        "docs": [
            {"location": "models/", "title": "Models", "text": ""},
            {"location": "models/#layers", "title": "Layers: nn.Linear", "text": ""},
        ],
    }
    (tmp_path / "search").mkdir()
    (tmp_path / "search" / "search_index.json").write_text(json.dumps(index))
    api_links._teachers["torch.nn.Linear"] = api_links.teacher("torch.nn.Linear", site_pages)
    api_links.tag_search_index(tmp_path)
    docs = json.loads((tmp_path / "search" / "search_index.json").read_text())["docs"]
    assert docs[1]["tags"] == ["nn.Linear", "torch.nn.Linear"]
    assert "tags" not in docs[0]
    introduction = api_links._pages["tensors.md"].sections[0]
    api_links._teachers["torch.nn.Linear"] = ("tensors.md", introduction)
    with pytest.raises(PluginError, match=r"no search entry 'tensors/' for torch.nn.Linear"):
        api_links.tag_search_index(tmp_path)
