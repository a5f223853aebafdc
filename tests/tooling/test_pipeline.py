"""Guards of the pipeline itself: what the reader sees is what the tests run."""

import ast
import os
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import markdown
import pytest
import torch
from mkdocs.config import load_config

from tools.offline import NetworkBlockedError, build_env
from tools.sybil_pages import collected_fences, make_sybil, snippet_options, split_block

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "gallery" not in p.relative_to(DOCS).parts)
TOPIC_MODULES = sorted(p for p in (ROOT / "snippets").glob("*.py") if not p.name.startswith("_"))
MARKER = re.compile(r"#\s*--8<--\s*\[(?P<kind>start|end):(?P<name>[\w-]+)\]")
RENDERED_PYTHON = re.compile(r'class="language-(?:python|py|pycon) highlight"')
FIXTURE = ROOT / "tests" / "fixtures" / "broken_site"


def page_id(path: Path) -> str:
    return path.relative_to(DOCS).as_posix()


def render(page: Path) -> str:
    """The page's HTML body as the build renders it, with the build's Markdown extensions."""
    config = load_config(str(ROOT / "mkdocs.yml"))
    md = markdown.Markdown(
        extensions=config["markdown_extensions"], extension_configs=config["mdx_configs"]
    )
    return md.convert(page.read_text(encoding="utf-8"))


def python_blocks(page: Path):
    """(first line, source) of every Python code example Sybil collected on a page."""
    document = make_sybil().parse(page)
    for _, region in document.regions:
        if getattr(region, "fence_start", None) is not None and not str(
            region.parsed
        ).lstrip().startswith(">>>"):
            line = document.text.count("\n", 0, region.start) + 2
            yield line, str(region.parsed)


def included_chunks():
    options = snippet_options()
    for page in PAGES:
        for line, source in python_blocks(page):
            for chunk in split_block(source, line, page, options):
                yield page, chunk


def test_there_are_pages_and_modules():
    assert len(PAGES) >= 2
    assert len(TOPIC_MODULES) >= 2


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_python_block_the_reader_sees_is_collected(page):
    rendered = len(RENDERED_PYTHON.findall(render(page)))
    collected = collected_fences(make_sybil().parse(page))
    assert collected == rendered, (
        f"{page_id(page)}: the built page shows {rendered} Python blocks, Sybil collected "
        f"{collected}"
    )


def test_attribute_fences_are_collected(tmp_path):
    page = tmp_path / "attrs.md"
    page.write_text('# t\n\n```python title="x.py"\nx = 1\n```\n\n``` { .python }\ny = 2\n```\n')
    document = make_sybil(path=tmp_path).parse(page)
    assert collected_fences(document) == 2


def test_every_include_resolves():
    chunks = list(included_chunks())
    assert any(chunk.included for _, chunk in chunks)
    for page, chunk in chunks:
        if chunk.included:
            assert chunk.path.is_relative_to(ROOT / "snippets"), (
                f"{page_id(page)}: an include of {chunk.source[:60]!r} was not located in snippets/"
            )


def sections(module: Path) -> dict[str, tuple[int, int]]:
    """name -> (first, last) 1-based line numbers of the section's content."""
    found, open_at = {}, {}
    for number, line in enumerate(module.read_text(encoding="utf-8").splitlines(), start=1):
        match = MARKER.search(line)
        if match and match["kind"] == "start":
            open_at[match["name"]] = number
        elif match:
            found[match["name"]] = (open_at.pop(match["name"]) + 1, number - 1)
    assert not open_at, f"{module.name}: sections never closed: {sorted(open_at)}"
    return found


def test_every_snippet_section_is_shown_on_a_page():
    shown: dict[Path, set[int]] = {}
    for _, chunk in included_chunks():
        if chunk.included:
            lines = range(chunk.first_line, chunk.first_line + chunk.source.count("\n"))
            shown.setdefault(chunk.path, set()).update(lines)
    orphans = []
    for module in TOPIC_MODULES:
        for name, (first, last) in sections(module).items():
            if not set(range(first, last + 1)) <= shown.get(module, set()):
                orphans.append(f"{module.relative_to(ROOT)}:{first} [{name}]")
    assert not orphans, f"sections no page shows: {orphans}"


@pytest.mark.parametrize("module", TOPIC_MODULES, ids=lambda p: p.name)
def test_topic_modules_hold_only_sections(module):
    ranges = sections(module).values()
    tree = ast.parse(module.read_text(encoding="utf-8"))
    body = tree.body[1:] if ast.get_docstring(tree) else tree.body
    outside = [
        node.lineno
        for node in body
        if not any(first <= node.lineno and node.end_lineno <= last for first, last in ranges)
    ]
    assert not outside, f"{module.relative_to(ROOT)}: code outside any section at {outside}"


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_pages_do_not_import_from_snippets(page):
    options = snippet_options()
    for line, source in python_blocks(page):
        code = "".join(chunk.source for chunk in split_block(source, line, page, options))
        assert not re.search(r"^\s*(from|import)\s+snippets\b", code, re.M), (
            f"{page_id(page)}:{line} imports from snippets, which readers do not have"
        )


@pytest.fixture(scope="module")
def broken_site() -> subprocess.CompletedProcess:
    """pytest with Sybil over the fixture site, whose pages fail on purpose, one way each."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--tb=short",
         "--confcutdir", str(FIXTURE), "--rootdir", str(FIXTURE), str(FIXTURE / "docs")],
        capture_output=True, text=True, env=env, cwd=FIXTURE, check=False,
    )  # fmt: skip


def test_the_broken_site_fails_three_times(broken_site):
    assert broken_site.returncode == 1, broken_site.stdout
    assert "3 failed, 2 passed" in broken_site.stdout


def test_a_failure_in_included_code_names_the_page_and_the_snippet_line(broken_site):
    out = broken_site.stdout
    assert "raises.md::line:7" in out  # the page and the line of the failing block
    assert "snippets/broken.py:6: in <module>" in out  # the snippet file and line that raised
    assert "ZeroDivisionError: division by zero" in out
    assert "included from" in out
    assert "section at line 4" in out


def test_a_failure_in_page_code_names_the_page_line(broken_site):
    out = broken_site.stdout
    assert "docs/inline.md:8: in <module>" in out
    assert "KeyError: 'b'" in out


def test_a_missing_include_names_the_page_and_the_include(broken_site):
    out = broken_site.stdout
    assert "missing.md, line 4: cannot include" in out
    assert "Snippet section 'no-such-section' could not be located" in out


def test_an_output_that_differs_fails_with_both_versions(tmp_path):
    page = tmp_path / "output.md"
    page.write_text('# t\n\n```python\nprint(6 * 7)\n```\n\n```text title="Output"\n41\n```\n')
    examples = list(make_sybil(path=tmp_path).parse(page).examples())
    examples[0].evaluate()
    with pytest.raises(Exception, match=r"(?s)does not match.*Expected:\s+41\s+Got:\s+42"):
        examples[1].evaluate()


def test_printed_output_the_page_does_not_show_fails(tmp_path):
    page = tmp_path / "unshown.md"
    page.write_text("# t\n\n```python\nprint('hidden')\n```\n\n```python\nx = 1\n```\n")
    examples = list(make_sybil(path=tmp_path).parse(page).examples())
    examples[0].evaluate()
    with pytest.raises(AssertionError, match="printed output that the page does not show"):
        examples[1].evaluate()


def test_the_network_is_blocked_during_tests():
    with pytest.raises(NetworkBlockedError, match="network access blocked"):
        socket.create_connection(("93.184.215.14", 443), timeout=1)
    with pytest.raises((urllib.error.URLError, NetworkBlockedError)) as caught:
        urllib.request.urlopen("https://download.pytorch.org/", timeout=1)
    assert "network access blocked" in str(caught.value)


def test_loopback_stays_open():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            pass


def test_build_processes_are_offline():
    """nox runs mkdocs (and so the gallery kernels) with this environment."""
    code = "import urllib.request; urllib.request.urlopen('https://pypi.org', timeout=1)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **build_env()},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "network access blocked" in result.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only failure path")
def test_device_cuda_without_cuda_fails_in_one_sentence():
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--device", "cuda", "tests/test_tensors.py"],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert "--device cuda was given but torch.cuda.is_available() is False" in result.stderr
