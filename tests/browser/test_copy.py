"""The copy button of a code block puts on the clipboard exactly the code shown, and that code
runs in a fresh interpreter: the first Python block of every topic page, which starts with its
imports (the pages are read from docs/, so a new page is tested without being listed here)."""

import doctest
import re
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
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


PAGES = first_blocks()  # each page parsed once: for the parameters and for the fixture


@dataclass
class Copy:
    """What the copy button of a page's first Python block copied, and its run."""

    shown: str  # the code as the page shows it
    copied: str  # what the clipboard received
    output: str | None  # the page's Output block under it, if it has one
    run: Future  # the copied code in a fresh Python: a subprocess.CompletedProcess


def run_fresh(code: str, folder: Path) -> subprocess.CompletedProcess:
    """Run `code` in a fresh Python, as a reader would, in an empty folder with data/."""
    (folder / "data").symlink_to(DATA_ROOT)  # a reader's data/, downloaded before
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env={"CUDA_VISIBLE_DEVICES": "", "PATH": "/usr/bin:/bin", **build_env()},
    )


@pytest.fixture(scope="module")
def copies(browser, base_url, tmp_path_factory):
    """Each page's first block, copied with its button (one page at a time: the browser),
    and run in a fresh Python two at a time while the browser copies the next pages: each
    run imports torch, seconds of one core."""
    context = browser.new_context(base_url=base_url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page = context.new_page()
    found: dict[str, Copy | PlaywrightError] = {}
    with ThreadPoolExecutor(max_workers=2) as runner:
        for path in PAGES:
            try:
                shown, copied, output = copy_first_block(page, path)
            except PlaywrightError as error:  # reported by this page's test
                found[path] = error
                continue
            folder = tmp_path_factory.mktemp(path.strip("/") or "home")
            found[path] = Copy(shown, copied, output, runner.submit(run_fresh, copied, folder))
        context.close()
        yield found


def copy_first_block(page, path: str) -> tuple[str, str, str | None]:
    """The page's first Python block as shown, as its copy button copies it, and the Output
    block under it (None if none)."""
    page.goto(path)
    block = page.locator(".md-content div.language-python.highlight").first
    shown = block.locator("pre > code").inner_text()
    block.hover()
    block.locator(COPY_BUTTON).first.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    output = block.evaluate(
        """block => {
            const next = block.nextElementSibling;
            const title = next && next.querySelector(".filename");
            return title && title.textContent.trim() === "Output"
                ? next.querySelector("code").innerText : null;
        }"""
    )
    return shown, copied, output


@pytest.mark.parametrize("path", PAGES)
def test_copied_code_is_the_code_shown_and_runs(path, copies):
    copy = copies[path]
    if isinstance(copy, PlaywrightError):
        pytest.fail(f"/{path}: copying its first Python block failed: {copy.message}")
    copied = copy.copied
    assert copied.rstrip("\n") == copy.shown.rstrip("\n"), (
        f"/{path}: the copy button copied {copied!r}"
    )
    if "torch" in copied:  # a block that uses torch shows the imports it needs
        assert copied.startswith(("import ", "from ")), f"/{path}: the first block has no imports"

    run = copy.run.result()
    assert run.returncode == 0, f"/{path}: the copied block fails in a fresh Python:\n{run.stderr}"
    # If the page shows the block's output, a fresh Python prints the same.
    if copy.output is not None:
        checker = doctest.OutputChecker()
        flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
        assert checker.check_output(copy.output, run.stdout, flags), (
            f"/{path}: the page shows\n{copy.output}\nbut the copied block printed\n{run.stdout}"
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
