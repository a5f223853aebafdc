"""The copy button of a code block puts on the clipboard exactly the code shown, and that code
runs in a fresh interpreter: the first Python block of every topic page, which starts with its
imports (the pages are read from docs/, so a new page is tested without being listed here)."""

import doctest
import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tools.offline import build_env
from tools.paths import DATA_ROOT, DOCS
from tools.sybil_pages import CodeBlock, expander, make_sybil, snippet_options

COPY_BUTTON = "button[title='Copy to clipboard'], button.md-clipboard"


def first_blocks() -> list[str]:
    """The topic pages whose first Python block runs on a CPU (none skipped before it)."""
    paths = []
    for page in sorted(DOCS.glob("*.md")):
        document = make_sybil().parse(page)
        blocks = [region for _, region in document.regions if isinstance(region.parsed, CodeBlock)]
        if blocks and "<!-- skip:" not in document.text[: blocks[0].start]:
            paths.append("" if page.stem == "index" else f"{page.stem}/")
    return paths


@pytest.mark.parametrize("path", first_blocks())
def test_copied_code_is_the_code_shown_and_runs(path, new_context, base_url, tmp_path):
    context = new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page = context.new_page()
    page.goto(path)
    block = page.locator(".md-content div.language-python.highlight").first
    shown = block.locator("pre > code").inner_text()
    block.hover()
    block.locator(COPY_BUTTON).first.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.rstrip("\n") == shown.rstrip("\n"), f"/{path}: the copy button copied {copied!r}"
    if "torch" in copied:  # a block that uses torch shows the imports it needs
        assert copied.startswith(("import ", "from ")), f"/{path}: the first block has no imports"

    (tmp_path / "data").symlink_to(DATA_ROOT)  # a reader's data/, downloaded before
    run = subprocess.run(
        [sys.executable, "-c", copied],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"CUDA_VISIBLE_DEVICES": "", "PATH": "/usr/bin:/bin", **build_env()},
    )
    assert run.returncode == 0, f"/{path}: the copied block fails in a fresh Python:\n{run.stderr}"
    # If the page shows the block's output, a fresh Python prints the same.
    output = block.evaluate(
        """block => {
            const next = block.nextElementSibling;
            const title = next && next.querySelector(".filename");
            return title && title.textContent.trim() === "Output"
                ? next.querySelector("code").innerText : null;
        }"""
    )
    if output is not None:
        checker = doctest.OutputChecker()
        flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
        assert checker.check_output(output, run.stdout, flags), (
            f"/{path}: the page shows\n{output}\nbut the copied block printed\n{run.stdout}"
        )


def test_an_annotated_block_copies_its_code_without_the_markers(new_context, base_url):
    """training/ annotates the train loop (`# (1)!` comments in snippets/training.py): the
    reader sees numbered markers, and copies the tested code without them."""
    context = new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page = context.new_page()
    page.goto("training/")
    # The train loop is the first block with `# (1)!` markers. Material turns them into
    # annotations when the block is first scrolled into view (content.lazy in mkdocs.yml).
    blocks = page.locator(".md-content div.highlight")
    first = blocks.evaluate_all("all => all.findIndex(b => b.textContent.includes('# (1)!'))")
    block = blocks.nth(first)
    block.scroll_into_view_if_needed()
    expect(block.locator(".md-annotation")).to_have_count(4)  # the train loop has 4
    block.hover()
    block.locator(COPY_BUTTON).first.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    # The section as the page includes it: pymdownx.snippets, configured as the build is.
    section = expander(snippet_options()).run(['--8<-- "snippets/training.py:train-loop"'])
    expected = re.sub(r"  # \(\d+\)!", "", "\n".join(section))

    def lines(code: str) -> list[str]:  # a marker's line keeps its trailing spaces
        return [line.rstrip() for line in code.strip().splitlines()]

    assert lines(copied) == lines(expected), f"training/: the copy button copied {copied!r}"


def test_a_code_block_gets_its_copy_button_when_scrolled_into_view(page):
    """content.lazy (mkdocs.yml), a flag Material reads but does not document: a block is
    mounted when first shown, not at load, which keeps the mistakes page's 250 blocks from
    blocking a phone's main thread for seconds. A reader still finds every button."""
    page.goto("mistakes/")
    last = page.locator(".md-content article > div.language-python.highlight").last
    assert last.locator(COPY_BUTTON).count() == 0, (
        "mistakes/: the last code block had its copy button at load: Material mounts every "
        "block eagerly again, and the content.lazy line of mkdocs.yml no longer does anything"
    )
    last.scroll_into_view_if_needed()
    expect(last.locator(COPY_BUTTON)).to_have_count(1)
