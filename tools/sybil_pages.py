"""Sybil over the pages: run every Python block of every page exactly as the reader sees it.

* A fence is collected when the first word of its info string is `python`, `py` or `pycon`,
  so ```` ```python title="x.py" ```` is collected too (Sybil's stock parser skips it).
* A block whose body starts with `>>>` is a doctest: its printed output is checked.
* Any other block is one example together with the Output fence right after it
  (```` ```text title="Output" ````, nothing but blank lines between them): the block runs,
  and what it printed is checked against the fence with the doctest flags ELLIPSIS,
  NORMALIZE_WHITESPACE and NUMBER. NUMBER lets a value differ beyond the digits the fence
  shows (a GPU rounds differently); on the CPU, where the fences were written, each number
  must also be printed with as many decimals as the fence shows, so that a changed format
  string cannot hide behind it. A block that prints and has no Output fence fails; so does
  an Output fence under no code block. `pytest --update-outputs` writes what the blocks
  printed into their Output fences instead, wherever the text differs (`write_outputs`).
* Include lines are expanded by pymdownx.snippets itself, configured from mkdocs.yml as the
  build is; the include names its file and section, whose lines `tools.sections` finds, so
  the code is compiled under `snippets/<topic>.py` and its own line numbers: a traceback names
  them, and coverage counts the snippet lines as run.
* The blocks of one page run in page order in one namespace, as a reader's script would.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import re
import sys
import textwrap
import unittest
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import markdown
import yaml
from pymdownx.snippets import SnippetMissingError
from sybil import Document, Example, Region, Sybil
from sybil.evaluators.doctest import NUMBER, DocTestEvaluator, OutputChecker
from sybil.parsers.abstract.doctest import DocTestStringParser
from sybil.parsers.markdown import ClearNamespaceParser, SkipParser
from sybil.parsers.markdown.lexers import RawFencedCodeBlockLexer

from tools import figures
from tools.paths import DOCS, MKDOCS_YML, ROOT
from tools.sections import SectionError, locate, parse_include

PYTHON_LANGUAGES = {"python", "py", "pycon"}
DOCTEST_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | NUMBER

# A decimal number as printed: its digits after the point are what `decimals` compares.
DECIMAL = re.compile(r"(?<![\w.])\d+\.(\d*)")

# The info string of a fence: a first word (the language), then attributes we ignore.
INFO = re.compile(r"[ \t]*\{?[ \t]*\.?(?P<language>[\w+-]*)(?P<attributes>[^\n]*)$\n", re.M)
OUTPUT_TITLE = re.compile(r"""title=["']Output["']""")


class IncludeError(LookupError):
    """An include line of a page that pymdownx.snippets cannot expand."""


class UnshownOutputError(AssertionError):
    """A code block printed something that no Output fence under it shows."""


class OutputMismatchError(AssertionError):
    """An Output fence that differs from what its code block printed."""


@cache
def mkdocs_settings(config_file: Path = MKDOCS_YML) -> dict:
    """mkdocs.yml as written, read as YAML: loading it as MkDocs does would import every plugin
    and hook (torchvision included) in every test process, and again within a build."""
    return yaml.safe_load(config_file.read_text(encoding="utf-8"))


@cache
def snippet_options(config_file: Path = MKDOCS_YML) -> dict:
    """The pymdownx.snippets options of the build, read from mkdocs.yml."""
    entries = [
        e for e in mkdocs_settings(config_file)["markdown_extensions"] if isinstance(e, dict)
    ]
    options = dict(next(e for e in entries if "pymdownx.snippets" in e)["pymdownx.snippets"])
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


def split_block(source: str, first_line: int, page: Path, options: dict) -> list[Chunk]:
    """Cut a code block into chunks: page lines, and the expansion of each include line."""
    base = Path(options["base_path"][0])
    run = expander(options).run
    chunks: list[Chunk] = []
    pending: list[str] = []
    pending_start = first_line
    lines = source.splitlines()

    def flush(next_start: int) -> None:
        nonlocal pending, pending_start
        if pending:
            chunks.append(Chunk(page, pending_start, "\n".join(pending) + "\n", included=False))
        pending, pending_start = [], next_start

    for offset, line in enumerate(lines):
        where = f"{relative(page)}, line {first_line + offset}"
        include = parse_include(line)
        try:
            expanded = run([line])
        except SnippetMissingError as err:
            raise IncludeError(f"{where}: cannot include {line.strip()}: {err}") from None
        if include is None:
            if expanded != [line]:
                raise IncludeError(f"{where}: pymdownx.snippets expands {line.strip()!r}, "
                                   'which is not of the form --8<-- "file.py:section"')  # fmt: skip
            pending.append(line)
            continue
        try:
            section = locate(include, base)
        except (OSError, SectionError) as err:
            raise IncludeError(f"{where}: cannot include {line.strip()}: {err}") from None
        flush(first_line + offset + 1)
        code = textwrap.dedent("\n".join(expanded)) + "\n"
        chunks.append(Chunk(section.path, section.first, code, included=True))
    flush(first_line + len(lines))
    return chunks


@dataclass
class OutputFence:
    """The ```` ```text title="Output" ```` fence under a code block."""

    want: str
    line: int  # 1-based line of its opening fence
    start: int  # offsets of the whole fence in the page's text
    end: int


@dataclass
class CodeBlock:
    source: str
    first_line: int  # 1-based line of the block's first line of code
    output: OutputFence | None
    end: int  # offset of the end of the code fence in the page's text


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


class PageParser:
    """Collect the Python fences of a page as code examples (each with its Output fence) or
    doctests."""

    def __init__(self, options: dict) -> None:
        self.options = options
        self.lexer = RawFencedCodeBlockLexer(
            info_pattern=INFO,
            mapping={"language": "language", "attributes": "attributes", "source": "source"},
        )
        self.doctests = DocTestStringParser(DocTestEvaluator(DOCTEST_FLAGS))

    def __call__(self, document: Document):
        text = document.text
        fences = sorted(self.lexer(document), key=lambda region: region.start)
        paired: set[int] = set()
        for index, region in enumerate(fences):
            lexemes = region.lexemes
            if OUTPUT_TITLE.search(lexemes["attributes"]):
                if region.start not in paired:
                    yield self.orphan_output(region, line_of(text, region.start))
                continue
            if lexemes["language"] not in PYTHON_LANGUAGES:
                continue
            source = lexemes["source"]
            if source.lstrip().startswith(">>>"):
                for example in self.doctests(source, document.path):
                    example.adjust(region, source)
                    example.fence_start = region.start
                    yield example
                continue
            output = None
            following = fences[index + 1] if index + 1 < len(fences) else None
            if (
                following is not None
                and OUTPUT_TITLE.search(following.lexemes["attributes"])
                and not text[region.end : following.start].strip()
            ):
                paired.add(following.start)
                output = OutputFence(
                    str(following.lexemes["source"]),
                    line_of(text, following.start),
                    following.start,
                    following.end,
                )
            block = CodeBlock(str(source), line_of(text, region.start) + 1, output, region.end)
            merged = Region(region.start, output.end if output else region.end, block, self.run)
            merged.fence_start = region.start
            yield merged

    @staticmethod
    def orphan_output(region: Region, line: int) -> Region:
        def fail(example: Example) -> str:
            return f"the Output fence at line {line} follows no code block: put it right under one"

        return Region(region.start, region.end, None, fail)

    def run(self, example: Example) -> None:
        __tracebackhide__ = True
        block: CodeBlock = example.parsed
        page = Path(example.path)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            for chunk in split_block(block.source, block.first_line, page, self.options):
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
        figures.save(page, example.namespace)
        check_output(example, block, printed.getvalue())


# pytest --update-outputs: page -> [(start, end, new text)], written at the end of the run.
UPDATES: dict[Path, list[tuple[int, int, str]]] = {}
update_outputs = False
same_decimals = True  # False on --device cuda (conftest.py)


def decimals(text: str) -> str:
    """The text with each decimal number replaced by its count of decimals: "0.693" and
    "0.7" differ here, though NUMBER lets them match."""
    return DECIMAL.sub(lambda number: f"<{len(number[1])} decimals>", text)


def matches(want: str, got: str) -> bool:
    checker = OutputChecker()
    if update_outputs:  # what the blocks printed, digit for digit
        return checker.check_output(want, got, DOCTEST_FLAGS & ~NUMBER)
    if not checker.check_output(want, got, DOCTEST_FLAGS):
        return False
    return not same_decimals or checker.check_output(
        decimals(want), decimals(got), DOCTEST_FLAGS & ~NUMBER
    )


def relative(path: Path) -> Path:
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def check_output(example: Example, block: CodeBlock, got: str) -> None:
    page = relative(Path(example.path))
    want = block.output.want if block.output else ""
    if matches(want, got):
        return
    if update_outputs:
        edit = rewrite(example.document.text, block, got)
        UPDATES.setdefault(Path(example.path), []).append(edit)
        return
    if block.output is None:
        raise UnshownOutputError(
            f"{page}, line {example.line}: the code block printed output that the page does "
            "not show; put an Output fence right under it (pytest --update-outputs writes "
            f"it):\n{got}"
        )
    if not got:
        raise OutputMismatchError(
            f"{page}, line {block.output.line}: the code block at line {example.line} printed "
            "nothing: remove its Output fence"
        )
    shown = doctest.Example(source="", want=want)
    raise OutputMismatchError(
        f"{page}, line {block.output.line}: the Output fence does not match what the code "
        f"block at line {example.line} printed:\n"
        + OutputChecker().output_difference(shown, got, DOCTEST_FLAGS)
    )


def rewrite(text: str, block: CodeBlock, got: str) -> tuple[int, int, str]:
    """The edit that makes the page show `got` under the block: the Output fence's body
    replaced, a fence added under the block, or the fence removed if the block prints nothing."""
    closing = text[text.rfind("\n", 0, block.end) + 1 : block.end]  # the code fence's last line
    indent = closing[: len(closing) - len(closing.lstrip())]
    lines = got.rstrip("\n").split("\n")
    body = "".join((indent + line if line.strip() else "") + "\n" for line in lines)
    if block.output is None:
        return block.end, block.end, f'\n\n{indent}```text title="Output"\n{body}{indent}```'
    if not got:
        return block.end, block.output.end, ""
    fence = text[block.output.start : block.output.end]
    head, last = fence.partition("\n")[0], fence.rstrip().rsplit("\n", 1)[-1]
    return block.output.start, block.output.end, f"{head}\n{body}{last}"


def write_outputs() -> list[Path]:
    """Apply what `--update-outputs` collected; return the pages written."""
    written = []
    for page, edits in sorted(UPDATES.items()):
        text = page.read_text(encoding="utf-8")
        for start, end, new in sorted(edits, reverse=True):
            text = text[:start] + new + text[end:]
        page.write_text(text, encoding="utf-8")
        written.append(page)
    UPDATES.clear()
    return written


def run_page(page: Path) -> None:
    """Run every block of a page, as the tests do (the build uses it to draw figures)."""
    for example in make_sybil().parse(page.resolve()).examples():
        with contextlib.suppress(unittest.SkipTest):
            example.evaluate()


def make_sybil(patterns=("*.md",), path: Path = DOCS, options: dict | None = None):
    options = snippet_options() if options is None else options
    return Sybil(
        parsers=[PageParser(options), SkipParser(), ClearNamespaceParser()],
        path=str(path),
        patterns=list(patterns),
        excludes=["gallery/*.md"],
        setup=start_of_page,
        teardown=end_of_page,
    )


def start_of_page(namespace: dict) -> None:
    """A page runs as a reader's script would: as __main__, with no figure left open by code
    that ran before it (a test module importing a snippets module draws its figures)."""
    namespace["__name__"] = "__main__"
    figures.close_all()


def end_of_page(namespace: dict) -> None:
    """Global torch state is reset so that a page that failed half-way cannot change the next
    one. A process that never imported torch has no torch state to reset (and skips the 2 s
    import: the fixture site of tests/tooling/test_pipeline.py runs no torch)."""
    torch = sys.modules.get("torch")
    if torch is None:
        return
    torch.set_grad_enabled(True)
    if torch.are_deterministic_algorithms_enabled():
        torch.use_deterministic_algorithms(False)
    torch.set_default_dtype(torch.float32)


def collected_fences(document: Document) -> int:
    """How many fences of a page Sybil turned into examples."""
    return len({getattr(r, "fence_start", None) for _, r in document.regions} - {None})
