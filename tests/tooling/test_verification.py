"""What the site says about its own verification comes from the test runs' records, and the
home page leads through every topic page in reading order."""

import re

import pytest
import yaml

from tools.overview import gallery_headlines, label_gpu_blocks
from tools.paths import DOCS, MKDOCS_YML
from tools.verification import cpu_name, pages_table, summary

CPU = {
    "device_name": "Intel(R) Xeon(R) Processor, 2 logical cores",
    "date": "2026-11-23 18:00 UTC",
    "python": "3.11.7",
    "torch": "2.14.1",
    "torchvision": "0.29.1",
    "pages": {"tensors.md": {"passed": 30, "skipped": 1}, "autograd.md": {"passed": 12}},
}


def test_the_summary_totals_the_record_and_names_what_did_not_run():
    text = summary({"cpu": CPU})
    assert (
        "**CPU** (Intel(R) Xeon(R) Processor, 2 logical cores), 2026-11-23 18:00 UTC: "
        "42 blocks passed, 1 skipped on 2 pages"
    ) in text
    assert "torch 2.14.1, torchvision 0.29.1, Python 3.11.7" in text
    assert "**CUDA**: not run for this build." in text
    failed = {**CPU, "pages": {"tensors.md": {"passed": 1, "failed": 2}}}
    assert "1 block passed, **2 failed** on 1 page," in summary({"cpu": failed})


def test_the_cpu_is_named_by_its_model_and_its_cores(tmp_path, monkeypatch):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 9654\n")
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert cpu_name(cpuinfo) == "AMD EPYC 9654, 1 logical core"
    monkeypatch.setattr("os.cpu_count", lambda: 16)
    monkeypatch.setattr("platform.processor", lambda: "arm")
    assert cpu_name(tmp_path / "absent") == "arm, 16 logical cores"


def test_the_pages_table_has_a_row_per_page_and_a_column_per_device():
    table = pages_table(["tensors.md", "new-page.md"], {"cpu": CPU})
    rows = table.strip().splitlines()
    assert rows[0] == "| Page | CPU | CUDA |"
    assert rows[2] == (
        "| [tensors](tensors.md) | 30 blocks passed, 1 skipped | not run for this build |"
    )
    assert rows[3] == "| [new-page](new-page.md) |" + " not run for this build |" * 2
    assert len(rows) == 4


def nav_topics() -> list[str]:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda *args: None)
    nav = yaml.load(MKDOCS_YML.read_text(encoding="utf-8"), Loader=Loader)["nav"]
    topics = next(entry["Topics"] for entry in nav if "Topics" in entry)
    return [next(iter(entry.values())) for entry in topics]


def test_the_home_page_links_every_topic_page_in_reading_order():
    home = (DOCS / "index.md").read_text(encoding="utf-8")
    path = home.split("## The learning path", 1)[1].split("\n## ", 1)[0]
    linked = [*re.findall(r"\]\(([\w-]+\.md)\)", path)]
    assert linked == nav_topics(), "the learning path differs from the nav's Topics"


def test_the_home_page_install_line_pins_what_pyproject_pins():
    home = (DOCS / "index.md").read_text(encoding="utf-8")
    pyproject = (MKDOCS_YML.parent / "pyproject.toml").read_text(encoding="utf-8")
    for package in ("torch", "torchvision"):
        pin = re.search(rf'"{package}==([\d.]+)"', pyproject)[1]
        assert f"{package}=={pin}" in home


def test_gallery_headlines_come_from_the_records(tmp_path):
    (tmp_path / "xor.json").write_text(
        '{"headline": "100.0% held-out accuracy", "seconds": 3.2, "device": "cpu"}'
    )
    text = gallery_headlines([("Continuous XOR", "gallery/xor.py")], tmp_path)
    assert text == "- [Continuous XOR](gallery/xor.py): 100.0% held-out accuracy (3 s on CPU)\n"
    with pytest.raises(FileNotFoundError, match=r"gallery/cnn\.py was not executed"):
        gallery_headlines([("CNN", "gallery/cnn.py")], tmp_path)


def test_cuda_only_blocks_are_labelled_with_what_ran_them():
    page = (
        "Text.\n\n"
        '<!-- skip: next if(not torch.cuda.is_available(), reason="needs a CUDA GPU") -->\n'
        "```python\nx.cuda()\n```\n\n"
        "    <!-- skip: start if(not torch.cuda.is_available(), reason='GPU') -->\n"
        "    ```python\ny.cuda()\n    ```\n"
        '<!-- skip: next if(True, reason="downloads") -->\n'
    )
    labelled = label_gpu_blocks(page, "speed.md", {"cpu": CPU})
    assert labelled.count("**Needs a CUDA GPU.** Not run on a GPU for this build") == 2
    indented = '\n    <p class="gpu-only" markdown data-search-exclude>'  # as its block
    assert indented in labelled
    assert 'reason="downloads") -->\n' in labelled
    assert labelled.endswith("-->\n")
    cuda = {**CPU, "device_name": "NVIDIA H200", "pages": {"speed.md": {"passed": 3}}}
    ran = label_gpu_blocks(page, "speed.md", {"cpu": CPU, "cuda": cuda})
    assert "Run on NVIDIA H200 on 2026-11-23 18:00 UTC, with torch 2.14.1." in ran
