"""tools/site_checks.py fails the build when a built page, the search index or a published
notebook's output shows the build machine: its paths or the noise its libraries print."""

import json
from pathlib import Path

import pytest
from mkdocs.exceptions import PluginError

from tools import site_checks
from tools.sybil_pages import mkdocs_settings

ROOT = Path("/srv/build/guide")  # the repository root of the fake build machine

CLEAN_PAGE = """<html><body><article>
<h1>Gallery</h1>
<p>Data sets live in <code>data/</code>, and a checkpoint goes to a temporary folder.</p>
<pre><span class="n">root</span> <span class="o">=</span> <span class="s2">"data"</span></pre>
<pre>epoch 1: validation accuracy 0.8812
Device: cpu, torch 2.5.1</pre>
<a href="https://github.com/owner/guide">source</a>
</article></body></html>
"""


def make_site(tmp_path: Path, pages: dict[str, str], search: list[str] = ()) -> Path:
    site = tmp_path / "site"
    for name, html in pages.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(html, encoding="utf-8")
    (site / "search").mkdir(parents=True, exist_ok=True)
    docs = [{"location": "", "title": "Home", "text": "<p>Welcome</p>"}]
    docs += [{"location": f"page{i}/", "title": "Page", "text": t} for i, t in enumerate(search)]
    (site / "search" / "search_index.json").write_text(json.dumps({"docs": docs}))
    return site


def failure(site: Path) -> str:
    with pytest.raises(PluginError) as error:
        site_checks.check_site(site, root=ROOT)
    return str(error.value)


def test_a_clean_site_passes(tmp_path):
    site = make_site(
        tmp_path, {"index.html": CLEAN_PAGE, "gallery/xor/index.html": CLEAN_PAGE}, ["<p>ok</p>"]
    )
    assert site_checks.scan_site(site, root=ROOT) == []
    site_checks.check_site(site, root=ROOT)


@pytest.mark.parametrize(
    ("line", "what"),
    [
        (f"{ROOT}/snippets/speed.py:12: UserWarning: TypedStorage is deprecated", str(ROOT)),
        ("/home/ci/.nox/docs/lib/python3.11/site-packages/torch/x.py:3: UserWarning: x", "/.nox/"),
        ("/usr/lib/python3/site-packages/tqdm/auto.py:21: TqdmWarning: x", "site-packages/"),
        ("checkpoint written to /tmp/tmpa1b2c3/checkpoint.pt", "/tmp/"),
        (
            "USDT:2026-12-02 10:11:03 32193:32193 SyncActivityProfilerHandler.cpp:39] "
            "profiler_start",
            "profiler line",
        ),
        (
            "ERROR:2026-12-02 10:11:03 32193:32193 DeviceProperties.cpp:56] "
            "gpuGetDeviceCount failed with code 35",
            "CUDA driver probe",
        ),
        (
            "W1202 10:16:20.858000 2868 torch/utils/cpp_extension.py:183] [0/0] No CUDA "
            "runtime is found, using CUDA_HOME='/usr/local'",
            "log line with a timestamp",
        ),
        ("[IPKernelApp] WARNING | Kernel is running over TCP without encryption.", "kernel"),
        ("TqdmWarning: IProgress not found. Please update jupyter and ipywidgets.", "tqdm"),
    ],
)
def test_a_page_with_build_machine_noise_fails_naming_the_page_and_line(tmp_path, line, what):
    noisy = CLEAN_PAGE.replace("Device: cpu", f'</pre><pre class="stderr">{line}</pre><pre>x')
    site = make_site(tmp_path, {"index.html": CLEAN_PAGE, "gallery/speed/index.html": noisy})
    message = failure(site)
    assert "gallery/speed/index.html" in message
    assert what in message
    assert line[:60] in message
    assert "index.html:" not in message.replace("gallery/speed/index.html:", "")


def test_noise_split_by_markup_or_escaped_is_still_found(tmp_path):
    page = CLEAN_PAGE.replace(
        "epoch 1", '<span class="s">&quot;/tmp/</span><span>run&quot;</span> epoch 1'
    )
    site = make_site(tmp_path, {"topic/index.html": page})
    assert "topic/index.html: build-machine path '/tmp/': \"/tmp/run\" epoch 1" in failure(site)


def test_the_root_path_inside_an_address_or_a_longer_path_is_not_a_finding(tmp_path):
    page = CLEAN_PAGE.replace(
        "source</a>", f"source</a> https://example.org{ROOT} and /mnt{ROOT}-old/readme.txt"
    )
    site = make_site(tmp_path, {"index.html": page})
    assert site_checks.scan_site(site, root=ROOT) == []


def test_noise_in_the_search_index_fails_naming_the_page_it_indexes(tmp_path):
    site = make_site(
        tmp_path, {"index.html": CLEAN_PAGE}, ["<p>fine</p>", f"<pre>{ROOT}/data/x.py:1</pre>"]
    )
    message = failure(site)
    assert "search/search_index.json (page1/)" in message
    assert f"{ROOT}/data/x.py:1" in message


def test_noise_in_a_published_notebook_output_fails_naming_the_cell(tmp_path):
    site = make_site(tmp_path, {"index.html": CLEAN_PAGE})
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": "# /tmp/ in prose is not an output"},
            {
                "cell_type": "code",
                "source": "import torch",
                "outputs": [
                    {"output_type": "stream", "name": "stdout", "text": ["fine\n"]},
                    {
                        "output_type": "stream",
                        "name": "stderr",
                        "text": ["ERROR:2026-12-02 10:11:03 1:1 DeviceProperties.cpp:56] "],
                    },
                ],
            },
        ]
    }
    for folder in ("gallery", "notebooks"):  # a gallery notebook, a topic page's notebook
        (site / folder).mkdir()
        (site / folder / "speed.ipynb").write_text(json.dumps(notebook))
    message = failure(site)
    assert "gallery/speed.ipynb (output of cell 2): log line with a date" in message
    assert "notebooks/speed.ipynb (output of cell 2): log line with a date" in message
    assert "/tmp/ in prose" not in message


def test_the_hook_checks_the_site_folder_of_the_build(tmp_path):
    site = make_site(tmp_path, {"index.html": CLEAN_PAGE})
    site_checks.on_post_build({"site_dir": str(site)})  # clean: no error
    (site / "page" / "index.html").parent.mkdir()
    (site / "page" / "index.html").write_text(f"<pre>{site_checks.ROOT}/x.py:1: Warning</pre>")
    with pytest.raises(PluginError, match=r"page/index\.html: build-machine path"):
        site_checks.on_post_build({"site_dir": str(site)})


def test_the_build_runs_the_check():
    config = mkdocs_settings()
    assert "tools/site_checks.py" in config["hooks"]
