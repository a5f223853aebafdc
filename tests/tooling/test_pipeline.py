"""Guards of the pipeline itself: what the reader sees is what the tests run."""

import ast
import functools
import importlib.metadata
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
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tools import sybil_pages
from tools.offline import NetworkBlockedError, build_env
from tools.paths import DOCS, MKDOCS_YML, ROOT, SNIPPETS
from tools.sections import sections
from tools.sybil_pages import collected_fences, make_sybil, snippet_options, split_block

PAGES = sorted(p for p in DOCS.rglob("*.md") if "gallery" not in p.relative_to(DOCS).parts)
TOPIC_MODULES = sorted(p for p in SNIPPETS.glob("*.py") if not p.name.startswith("_"))
RENDERED_PYTHON = re.compile(r'class="language-(?:python|py|pycon) highlight"')
FIXTURE = Path(__file__).parent / "fixtures" / "broken_site"


def page_id(path: Path) -> str:
    return path.relative_to(DOCS).as_posix()


@functools.cache
def build_config():
    return load_config(str(MKDOCS_YML))


def render(page: Path) -> str:
    """The page's HTML body as the build renders it, with the build's Markdown extensions."""
    config = build_config()
    md = markdown.Markdown(
        extensions=config["markdown_extensions"], extension_configs=config["mdx_configs"]
    )
    return md.convert(page.read_text(encoding="utf-8"))


@functools.cache
def python_blocks(page: Path) -> tuple[tuple[int, str], ...]:
    """(first line, source) of every Python code example Sybil collected on a page."""
    document = make_sybil().parse(page)
    return tuple(
        (region.parsed.first_line, region.parsed.source)
        for _, region in document.regions
        if isinstance(region.parsed, sybil_pages.CodeBlock)
    )


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


def test_every_snippet_section_is_shown_on_a_page():
    shown: dict[Path, set[int]] = {}
    for _, chunk in included_chunks():
        if chunk.included:
            lines = range(chunk.first_line, chunk.first_line + chunk.source.count("\n"))
            shown.setdefault(chunk.path, set()).update(lines)
    orphans = []
    for module in TOPIC_MODULES:
        for name, section in sections(module).items():
            if not set(range(section.first, section.last + 1)) <= shown.get(module, set()):
                orphans.append(f"{module.relative_to(ROOT)}:{section.first} [{name}]")
    assert not orphans, f"sections no page shows: {orphans}"


@pytest.mark.parametrize("module", TOPIC_MODULES, ids=lambda p: p.name)
def test_topic_modules_hold_only_sections(module):
    ranges = [(section.first, section.last) for section in sections(module).values()]
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


@functools.cache
def packages_distributions() -> dict[str, list[str]]:
    """Importable name -> the packages that install it (a scan of every installed package)."""
    return importlib.metadata.packages_distributions()


def named_packages(intro: str) -> set[str]:
    """The packages an introduction names (in backticks or on a `pip install` line), with the
    packages they install (numpy and Pillow come with torchvision)."""
    named = set(re.findall(r"`([\w-]+)`", intro))
    named |= {n for line in re.findall(r"pip install (.+)", intro) for n in line.split()}
    for name in list(named):
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue  # a backticked word that is not a package
        named |= {Requirement(r).name for r in requires if "extra ==" not in r}
    return {canonicalize_name(name) for name in named}


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_the_introduction_names_every_package_the_code_imports(page):
    """A reader arriving on the page installs what its introduction (the text before the first
    `##` heading) names."""
    named = named_packages(page.read_text(encoding="utf-8").split("\n## ", 1)[0])
    distributions = packages_distributions()
    options = snippet_options()
    for line, source in python_blocks(page):
        code = "".join(chunk.source for chunk in split_block(source, line, page, options))
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules = [node.module]
            else:
                continue
            for top in {module.split(".")[0] for module in modules} - sys.stdlib_module_names:
                for package in distributions.get(top, [top]):
                    assert canonicalize_name(package) in named, (
                        f"{page_id(page)}:{line} imports {top} (the {package} package), which "
                        "the introduction of the page does not name"
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


def test_the_broken_site_fails_once_per_fault(broken_site):
    assert broken_site.returncode == 1, broken_site.stdout
    assert "6 failed, 4 passed" in broken_site.stdout


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


def test_an_output_that_differs_fails_at_its_fence_with_both_versions(broken_site):
    out = broken_site.stdout
    assert "output.md::line:3" in out
    assert re.search(
        r"output\.md, line 7: the Output fence does not match what the code block at line 3 "
        r"printed:\s+(E\s+)?Expected:\s+(E\s+)?41\s+(E\s+)?Got:\s+(E\s+)?42",
        out,
    ), out


def test_printed_output_the_page_does_not_show_fails_at_its_block(broken_site):
    out = broken_site.stdout
    assert "unshown.md, line 3: the code block printed output that the page does not show" in out
    assert "FAILED docs/unshown.md::line:3," in out
    assert "FAILED docs/unshown.md::line:9," not in out  # the next block is not blamed


def test_an_output_fence_under_no_code_block_fails(broken_site):
    out = broken_site.stdout
    assert "the Output fence at line 9 follows no code block" in out
    assert "FAILED docs/orphan.md::line:9" in out


def test_each_block_is_checked_against_its_own_output(tmp_path):
    page = tmp_path / "two.md"
    page.write_text(
        '# t\n\n```python\nprint(1)\n```\n\n```text title="Output"\n1\n```\n\n'
        '```python\nprint(2)\n```\n\n```text title="Output"\n2\n```\n'
    )
    examples = list(make_sybil(path=tmp_path).parse(page).examples())
    assert len(examples) == 2  # one example per code block, its Output included
    examples[1].evaluate()  # runs alone: nothing is carried over from the first block
    examples[0].evaluate()


UPDATABLE = """# t

```python
print(6 * 7)
```

```text title="Output"
41
```

```python
print(f"{2 / 3:.3f}")
```

```text title="Output"
0.7
```

```python
print("new")
```

!!! note
    ```python
    print("a\\n\\nb")
    ```

    ```text title="Output"
    old
    ```

```python
x = 1
```

```text title="Output"
stale
```
"""

UPDATED = """# t

```python
print(6 * 7)
```

```text title="Output"
42
```

```python
print(f"{2 / 3:.3f}")
```

```text title="Output"
0.667
```

```python
print("new")
```

```text title="Output"
new
```

!!! note
    ```python
    print("a\\n\\nb")
    ```

    ```text title="Output"
    a

    b
    ```

```python
x = 1
```
"""


def test_a_number_printed_with_other_decimals_than_the_fence_fails_on_the_cpu(
    tmp_path, monkeypatch
):
    """NUMBER accepts 0.667 under a fence that shows 0.7; the CPU run, whose output the fence
    is, does not, so a changed format string cannot leave a stale fence behind."""
    page = tmp_path / "digits.md"
    page.write_text(
        '# t\n\n```python\nprint(f"loss {2 / 3:.3f}")\n```\n\n```text title="Output"\n'
        "loss 0.7\n```\n"
    )
    [example] = make_sybil(path=tmp_path).parse(page).examples()
    with pytest.raises(sybil_pages.OutputMismatchError) as failure:
        example.evaluate()
    assert str(failure.value).startswith(
        f"{page}, line 7: the Output fence does not match what the code block at line 3 printed"
    )
    assert "loss 0.7" in str(failure.value)
    assert "loss 0.667" in str(failure.value)
    monkeypatch.setattr(sybil_pages, "same_decimals", False)  # --device cuda
    example.evaluate()  # the value agrees to the precision the fence shows


def test_update_outputs_rewrites_the_output_fences_and_nothing_else(tmp_path, monkeypatch):
    page = tmp_path / "update.md"
    page.write_text(UPDATABLE)
    monkeypatch.setattr(sybil_pages, "update_outputs", True)
    for example in make_sybil(path=tmp_path).parse(page).examples():
        example.evaluate()
    assert sybil_pages.write_outputs() == [page]
    assert page.read_text() == UPDATED
    monkeypatch.setattr(sybil_pages, "update_outputs", False)
    for example in make_sybil(path=tmp_path).parse(page).examples():
        example.evaluate()  # the rewritten page passes


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
def test_device_cuda_without_cuda_fails_in_one_sentence(capsys):
    # In this process (torch is imported already): the check comes before conftest.py sets
    # anything, so the failed run leaves this session as it was.
    exit_code = pytest.main(["--device", "cuda", "tests/topics/test_tensors.py"])
    assert exit_code == pytest.ExitCode.USAGE_ERROR
    message = "--device cuda was given but torch.cuda.is_available() is False"
    assert message in capsys.readouterr().err
