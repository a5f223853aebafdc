"""Sections of the snippet modules, and the include lines that name them.

A topic module is cut into named sections that pages include:

    # --8<-- [start:cat]
    ...
    # --8<-- [end:cat]

and a page includes one with `--8<-- "snippets/tensors.py:cat"` inside a code fence. This is
the one parser of both, used by the test harness (to name the snippet file and line of a
failure) and by the pipeline tests (every section shown, nothing outside a section).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

MARKER = re.compile(r"#\s*--8<--\s*\[(?P<kind>start|end):(?P<name>[\w-]+)\]")
INCLUDE = re.compile(
    r"""^\s*--8<--\s+(?P<q>["'])(?P<path>[^:"']+)(?::(?P<section>[\w-]+))?(?P=q)\s*$"""
)


class SectionError(ValueError):
    """Section markers that do not pair up, or an include of a section that does not exist."""


@dataclass(frozen=True)
class Section:
    name: str
    path: Path
    first: int  # 1-based line of the section's first line of code (after its start marker)
    last: int  # 1-based line of its last line of code (before its end marker)

    def code(self) -> str:
        """The section's lines, as a page shows them."""
        lines = self.path.read_text(encoding="utf-8").splitlines(keepends=True)
        return "".join(lines[self.first - 1 : self.last])


@dataclass(frozen=True)
class Include:
    path: str  # as written, relative to the snippets base path
    section: str | None  # None: the whole file


def parse_include(line: str) -> Include | None:
    """The file and section an include line names, or None for any other line."""
    match = INCLUDE.match(line)
    return Include(match["path"], match["section"]) if match else None


def sections(path: Path) -> dict[str, Section]:
    """Every section of a module, by name."""
    return _sections(path, path.stat().st_mtime_ns)


@cache
def _sections(path: Path, _mtime: int) -> dict[str, Section]:
    found: dict[str, Section] = {}
    open_at: dict[str, int] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = MARKER.search(line)
        if not match:
            continue
        name = match["name"]
        if match["kind"] == "start":
            if open_at or name in found:
                raise SectionError(f"{path}:{number}: section {name!r} opens inside another "
                                   "or twice")  # fmt: skip
            open_at[name] = number
        elif name not in open_at:
            raise SectionError(f"{path}:{number}: section {name!r} closes but never opened")
        else:
            found[name] = Section(name, path, open_at.pop(name) + 1, number - 1)
    if open_at:
        name, number = next(iter(open_at.items()))
        raise SectionError(f"{path}:{number}: section {name!r} never closes")
    return found


def locate(include: Include, base: Path) -> Section:
    """The file and lines an include line shows."""
    path = (base / include.path).resolve()
    if include.section is None:
        count = len(path.read_text(encoding="utf-8").splitlines())
        return Section("", path, 1, count)
    try:
        return sections(path)[include.section]
    except KeyError:
        raise SectionError(f"{path}: no section named {include.section!r}") from None
