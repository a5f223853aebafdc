"""Sybil wiring: run every Python block of every page exactly as the reader sees it.

* A fence is collected when the first word of its info string is `python`, `py` or `pycon`,
  so ```` ```python title="x.py" ```` is collected too (Sybil's stock parser skips it).
* A block whose body starts with `>>>` is a doctest: its printed output is checked.
* Any other block is run as code. Lines that pymdownx.snippets expands (the include lines)
  are expanded by pymdownx.snippets itself, configured from mkdocs.yml as the build is, and
  compiled under the snippet file's own name and line numbers: a traceback then names
  `snippets/<topic>.py` and its line, and coverage counts the snippet lines as run.
* What a code block prints is captured. A fence right after it titled "Output"
  (```` ```text title="Output" ````) shows that output and is checked against it, with the
  doctest flags ELLIPSIS, NORMALIZE_WHITESPACE and NUMBER; a block whose output the page
  does not show fails, so no printed output is lost or typed by hand.
* The blocks of one page run in page order in one namespace.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import os
import re
import sys
import textwrap
import unittest
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import markdown
from mkdocs.config import load_config
from pymdownx.snippets import SnippetMissingError
from sybil import Document, Example, Sybil
from sybil.evaluators.doctest import NUMBER, DocTestEvaluator, OutputChecker
from sybil.parsers.abstract.doctest import DocTestStringParser
from sybil.parsers.markdown import ClearNamespaceParser, SkipParser
from sybil.parsers.markdown.lexers import RawFencedCodeBlockLexer

ROOT = Path(__file__).resolve().parent.parent
PYTHON_LANGUAGES = {"python", "py", "pycon"}
DOCTEST_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | NUMBER

# The info string of a fence: a first word (the language), then attributes we ignore.
INFO = re.compile(r"[ \t]*\{?[ \t]*\.?(?P<language>[\w+-]*)(?P<attributes>[^\n]*)$\n", re.M)
OUTPUT_TITLE = re.compile(r"""title=["']Output["']""")
PENDING = "__page_output__"  # namespace key: (line, printed text) of the last code block
FIGURE_COUNT = "__page_figures__"  # namespace key: how many figures the page has drawn
FIGURES = ROOT / ".cache" / "figures"


class IncludeError(LookupError):
    """An include line of a page that pymdownx.snippets cannot expand."""


class UnshownOutputError(AssertionError):
    """A code block printed something that no Output block on the page shows."""


@cache
def snippet_options(config_file: Path = ROOT / "mkdocs.yml") -> dict:
    """The pymdownx.snippets options of the build, read from mkdocs.yml."""
    config = load_config(str(config_file))
    options = dict(config["mdx_configs"]["pymdownx.snippets"])
    bases = options.get("base_path", ["."])
    bases = [bases] if isinstance(bases, str) else bases
    options["base_path"] = [str((config_file.parent / base).resolve()) for base in bases]
    return options


def expander(options: dict):
    """pymdownx.snippets' own preprocessor, set up as the build sets it up (a fresh one per
    block: it reads the snippet files anew, so an edited snippet is seen at once)."""
    md = markdown.Markdown(
        extensions=["pymdownx.snippets"], extension_configs={"pymdownx.snippets": options}
    )
    return md.preprocessors["snippet"]


@dataclass(frozen=True)
class Chunk:
    """Consecutive lines of a block that come from one place (the page or a snippet file)."""

    path: Path
    first_line: int  # 1-based line of the first source line in `path`
    source: str
    included: bool


SKIPPED_DIRS = {"site", "data", "node_modules", "__pycache__"}


@cache
def python_files(base: Path) -> tuple[Path, ...]:
    """The .py files under a snippets base path, without virtual environments and caches."""
    found = []
    for folder, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
        found += [Path(folder) / name for name in sorted(files) if name.endswith(".py")]
    return tuple(found)


@cache
def file_lines(path: Path) -> tuple[str, ...]:
    return tuple(path.read_text(encoding="utf-8").splitlines())


def locate(expanded: list[str], include_line: str, base: Path) -> tuple[Path, int] | None:
    """Find the snippet file and 1-based line where expanded include text comes from."""
    wanted = textwrap.dedent("\n".join(expanded))
    width = len(expanded)
    for path in python_files(base):
        if path.relative_to(base).as_posix() not in include_line:
            continue
        lines = file_lines(path)
        for start in range(len(lines) - width + 1):
            window = lines[start : start + width]
            if window[0].strip() == expanded[0].strip() and (
                textwrap.dedent("\n".join(window)) == wanted
            ):
                return path, start + 1
    return None


def split_block(source: str, first_line: int, page: Path, options: dict) -> list[Chunk]:
    """Cut a code block into chunks: page lines, and the expansion of each include line."""
    base = Path(options["base_path"][0])
    run = expander(options).run
    chunks: list[Chunk] = []
    pending: list[str] = []
    pending_start = first_line

    def flush(next_start: int) -> None:
        nonlocal pending, pending_start
        if pending:
            chunks.append(Chunk(page, pending_start, "\n".join(pending) + "\n", included=False))
        pending, pending_start = [], next_start

    for offset, line in enumerate(source.splitlines()):
        try:
            expanded = run([line])
        except SnippetMissingError as err:
            raise IncludeError(
                f"{page}, line {first_line + offset}: cannot include {line.strip()}: {err}"
            ) from None
        if expanded == [line]:
            pending.append(line)
            continue
        flush(first_line + offset + 1)
        found = locate(expanded, line, base)
        path, start = found if found else (page, first_line + offset)
        chunks.append(Chunk(path, start, textwrap.dedent("\n".join(expanded)) + "\n", True))
    flush(first_line + len(source.splitlines()))
    return chunks


class PageCodeBlockParser:
    """Collect the Python fences of a page as code examples or doctests."""

    def __init__(self, options: dict) -> None:
        self.options = options
        self.lexer = RawFencedCodeBlockLexer(
            info_pattern=INFO,
            mapping={"language": "language", "attributes": "attributes", "source": "source"},
        )
        self.doctests = DocTestStringParser(DocTestEvaluator(DOCTEST_FLAGS))

    def __call__(self, document: Document):
        for region in self.lexer(document):
            if OUTPUT_TITLE.search(region.lexemes["attributes"]):
                region.parsed = region.lexemes["source"]
                region.evaluator = self.check_output
                yield region
                continue
            if region.lexemes["language"] not in PYTHON_LANGUAGES:
                continue
            source = region.lexemes["source"]
            if source.lstrip().startswith(">>>"):
                for example in self.doctests(source, document.path):
                    example.adjust(region, source)
                    example.fence_start = region.start
                    yield example
            else:
                region.parsed = source
                region.evaluator = self.evaluate
                region.fence_start = region.start
                yield region

    def evaluate(self, example: Example) -> None:
        __tracebackhide__ = True
        self.require_shown(example.namespace)
        first_line = example.line + example.parsed.line_offset + 1
        page = Path(example.path)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            for chunk in split_block(str(example.parsed), first_line, page, self.options):
                code = compile(
                    "\n" * (chunk.first_line - 1) + chunk.source,
                    str(chunk.path),
                    "exec",
                    dont_inherit=True,
                )
                try:
                    exec(code, example.namespace)
                except Exception as err:
                    err.add_note(f"in the code block at {page}, line {example.line}")
                    if chunk.included:
                        err.add_note(
                            f"included from {chunk.path}, section at line {chunk.first_line}"
                        )
                    raise
        example.namespace.pop("__builtins__", None)
        example.namespace[PENDING] = (example.line, printed.getvalue())
        save_figures(page, example.namespace)

    @staticmethod
    def require_shown(namespace: dict) -> None:
        line, text = namespace.pop(PENDING, (0, ""))
        if text.strip():
            raise UnshownOutputError(
                f"the code block at line {line} printed output that the page does not show; "
                f"add an Output fence right after it:\n{text}"
            )

    @staticmethod
    def check_output(example: Example) -> str | None:
        line, got = example.namespace.pop(PENDING, (None, None))
        if got is None:
            return f"Output block at line {example.line} follows no code block that ran"
        want = str(example.parsed)
        checker = OutputChecker()
        if checker.check_output(want, got, DOCTEST_FLAGS):
            return None
        shown = doctest.Example(source="", want=want)
        return (
            f"Output block at line {example.line} does not match what the code block at "
            f"line {line} printed:\n" + checker.output_difference(shown, got, DOCTEST_FLAGS)
        )


def save_figures(page: Path, namespace: dict) -> None:
    """Save the figures a block drew as .cache/figures/<page>-<n>.png, n counting from 1 down
    the page; the page shows them as ![...](figures/<page>-<n>.png) and the build publishes
    them (tools/mkdocs_hooks.py)."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return
    for number in pyplot.get_fignums():
        count = namespace[FIGURE_COUNT] = namespace.get(FIGURE_COUNT, 0) + 1
        FIGURES.mkdir(parents=True, exist_ok=True)
        figure = pyplot.figure(number)
        figure.savefig(FIGURES / f"{page.stem}-{count}.png", dpi=80, bbox_inches="tight")
        pyplot.close(figure)


def run_page(page: Path) -> None:
    """Run every block of a page, as the tests do (the build uses it to draw figures)."""
    for example in make_sybil().parse(page.resolve()).examples():
        try:
            example.evaluate()
        except unittest.SkipTest:
            continue


def make_sybil(patterns=("*.md",), path: Path = ROOT / "docs", options: dict | None = None):
    options = snippet_options() if options is None else options
    return Sybil(
        parsers=[PageCodeBlockParser(options), SkipParser(), ClearNamespaceParser()],
        path=str(path),
        patterns=list(patterns),
        excludes=["gallery/*.md"],
        setup=start_of_page,
        teardown=end_of_page,
    )


def start_of_page(namespace: dict) -> None:
    """A page runs as a reader's script would: as __main__."""
    namespace["__name__"] = "__main__"


def end_of_page(namespace: dict) -> None:
    """After a page: its last output must have been shown; global torch state is reset so
    that a page that failed half-way cannot change the next one."""
    import torch

    torch.set_grad_enabled(True)
    if torch.are_deterministic_algorithms_enabled():
        torch.use_deterministic_algorithms(False)
    torch.set_default_dtype(torch.float32)
    PageCodeBlockParser.require_shown(namespace)


def collected_fences(document: Document) -> int:
    """How many fences of a page Sybil turned into examples."""
    return len({getattr(r, "fence_start", None) for _, r in document.regions} - {None})
