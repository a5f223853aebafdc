"""Gallery pages as readers get them.

mkdocs-jupyter renders a notebook with JupyterLab's whole stylesheet inlined (575 KB, almost
all of it for widgets a static page never shows) and every figure inlined as base64. On a
phone on a slow connection that is over a megabyte before the first paint. `lighten` keeps
the style rules whose classes the page uses and writes each figure as a PNG beside the page,
loaded lazily with its size given (no layout shift), and with the alt text of the cell that
draws it (`figure_alts`), not nbconvert's "No description has been provided". It also mends
what mkdocs-jupyter's template writes that the Nu Html Checker rejects
(tests/browser/test_html.py): a MathJax script with an empty `src`, a style block written as
a Python list, style blocks in the middle of the body, and copy buttons named without a role.

Each notebook is executed and published as an .ipynb whose first code cell makes it run
outside a checkout (Colab): it clones the repository named in mkdocs.yml and puts its
`snippets` package, with the pinned versions, on the path. That cell is tagged SETUP_TAG, which
mkdocs-jupyter's `remove_tag_config` (mkdocs.yml) keeps off the page. The deploy workflow
pushes those .ipynb files to the NOTEBOOK_BRANCH of the repository, where the "Open in Colab"
link finds them.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import re
import struct
from dataclasses import dataclass
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import tinycss2

from tools.paths import ROOT

NOTEBOOK_BRANCH = "notebooks"
SETUP_TAG = "colab-setup"  # mkdocs.yml: remove_tag_config: remove_cell_tags

STYLE = re.compile(r'<style(?: type="text/css")?>(?P<css>.*?)</style>', re.DOTALL)
EMPTY_SCRIPT = '<script src=""> </script>'  # MathJax, with no address configured
# The copy button of a cell: a stray `,` attribute, and a name (aria-label) without a role.
COPY_BUTTON = '<clipboard-copy ,="" '
# JupyterLab's stylesheet keeps rules that no browser applies by the standards, which the Nu
# Html Checker rejects: the properties of the 2009 flexbox draft, `cursor: normal`, and
# WebKit's scrollbar pseudo-classes. A static page needs none of them.
OBSOLETE_PROPERTIES = {"box-orient", "box-align", "box-pack"}
SCROLLBAR_PSEUDO_CLASS = re.compile(r":(?:horizontal|vertical)\b")
DATA_IMAGE = re.compile(r'<img (?P<before>[^>]*?)src="data:image/png;base64,(?P<data>[^"]+)"')
ALT_ATTRIBUTE = re.compile(r'alt="[^"]*"')
CLASS_ATTRIBUTE = re.compile(r'class="(?P<names>[^"]*)"')
CLASS_SELECTOR = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
NEGATION = re.compile(r":not\([^)]*\)")
VARIABLE = re.compile(r"var\(\s*(--[\w-]+)")


def used_classes(html: str) -> set[str]:
    return {name for match in CLASS_ATTRIBUTE.finditer(html) for name in match["names"].split()}


def selector_applies(selector: str, classes: set[str]) -> bool:
    """A selector can match on the page only if the page uses every class it requires
    (classes inside :not() are not required), and only if it is standard."""
    required = set(CLASS_SELECTOR.findall(NEGATION.sub("", selector)))
    return required <= classes and not SCROLLBAR_PSEUDO_CLASS.search(selector)


def standard_declaration(name: str, value: str) -> bool:
    value = value.removesuffix("!important")
    return name not in OBSOLETE_PROPERTIES and (name, value) != ("cursor", "normal")


def stylesheet(css: str) -> str:
    """A style block's rules. mkdocs-jupyter writes its code highlighting block as a Python
    list of strings, which no browser parses (the theme colours the code): it goes."""
    return "" if css.strip().startswith("['") else css


@dataclass(frozen=True)
class Rule:
    """A style rule, serialized: its selectors and its declarations (name, value), or an
    @media/@supports block (`at`, its prelude) and the rules inside it."""

    selectors: tuple[str, ...] = ()
    declarations: tuple[tuple[str, str], ...] = ()
    at: str = ""
    rules: tuple[Rule, ...] = ()


def _selectors(prelude) -> tuple[str, ...]:
    """The selectors of a rule's prelude: split at its top-level commas, not at those inside
    :is(), :not() or :where()."""
    selectors, current = [], []
    for token in prelude:
        if token.type == "literal" and token.value == ",":
            selectors.append(current)
            current = []
        else:
            current.append(token)
    return tuple(tinycss2.serialize(tokens).strip() for tokens in [*selectors, current])


def _rules(nodes) -> tuple[Rule, ...]:
    """Qualified rules, and @media and @supports blocks with the rules they contain; other
    at-rules (@font-face, @keyframes, @import: no web font or animation a static notebook
    shows) go."""
    rules = []
    for node in nodes:
        if node.type == "qualified-rule":
            declarations = tuple(
                (
                    d.name,
                    tinycss2.serialize(d.value).strip() + ("!important" if d.important else ""),
                )
                for d in tinycss2.parse_blocks_contents(node.content)
                if d.type == "declaration"
            )
            rules.append(Rule(selectors=_selectors(node.prelude), declarations=declarations))
        elif node.type == "at-rule" and node.lower_at_keyword in {"media", "supports"}:
            inner = tinycss2.parse_rule_list(
                node.content or [], skip_comments=True, skip_whitespace=True
            )
            prelude = tinycss2.serialize(node.prelude).strip()
            rules.append(Rule(at=f"@{node.lower_at_keyword} {prelude}", rules=_rules(inner)))
    return tuple(rules)


@functools.cache
def parse(css: str) -> tuple[Rule, ...]:
    """A stylesheet's rules, parsed once per build: every gallery page inlines the same
    JupyterLab stylesheet, whose parsing took most of a warm rebuild."""
    return _rules(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))


def _filter(rules, keep_selector, keep_declaration) -> list[Rule]:
    """The rules with only the selectors and declarations kept; a block keeps what it
    contains that is kept."""
    kept = []
    for rule in rules:
        if rule.at:
            inner = _filter(rule.rules, keep_selector, keep_declaration)
            if inner:
                kept.append(Rule(at=rule.at, rules=tuple(inner)))
            continue
        selectors = tuple(s for s in rule.selectors if keep_selector(s))
        declarations = tuple(d for d in rule.declarations if keep_declaration(*d))
        if selectors and declarations:
            kept.append(Rule(selectors, declarations))
    return kept


def _declarations(rules):
    for rule in rules:
        yield from rule.declarations
        yield from _declarations(rule.rules)


def _css(rules) -> str:
    return "\n".join(
        f"{rule.at}{{{_css(rule.rules)}}}"
        if rule.at
        else f"{','.join(rule.selectors)}{{{';'.join(f'{n}:{v}' for n, v in rule.declarations)}}}"
        for rule in rules
    )


def purge(stylesheets: list[str], classes: set[str]) -> str:
    """The rules of the stylesheets that can apply to a page using `classes`, without the
    custom properties (--jp-...) that no kept rule uses, directly or through another property."""
    rules = [rule for css in stylesheets for rule in parse(css)]
    applicable = _filter(rules, lambda s: selector_applies(s, classes), standard_declaration)
    values: dict[str, list[str]] = {}
    for name, value in _declarations(applicable):
        values.setdefault(name, []).append(value)
    used = {
        name
        for prop, texts in values.items()
        if not prop.startswith("--")
        for text in texts
        for name in VARIABLE.findall(text)
    }
    frontier = set(used)
    while frontier:
        found = {
            name
            for var in frontier
            for text in values.get(var, ())
            for name in VARIABLE.findall(text)
        }
        frontier = found - used
        used |= found
    return _css(
        _filter(applicable, lambda s: True, lambda n, v: not n.startswith("--") or n in used)
    )


def png_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    return width, height


class FigureAltError(ValueError):
    """A figure of a gallery notebook without its alt text, or an alt text without its figure."""


def figure_alts(notebook: nbformat.NotebookNode, script: Path) -> list[str]:
    """The alt text of each figure the executed notebook shows, in order: the `alt` of the
    `# %% alt="..."` line of the cell in `script` that draws it, one figure per cell."""
    text = script.read_text(encoding="utf-8")
    name = script.relative_to(ROOT) if script.is_relative_to(ROOT) else script

    def where(cell) -> str:  # the script and the line of the cell's `# %%`, right above it
        start = text.find(cell.source) if cell.source else -1
        if start <= 0:
            return str(name)
        line = text.count("\n", 0, start)
        return f"{name}:{line}"

    alts = []
    for cell in notebook.cells:
        figures = sum("image/png" in out.get("data", {}) for out in cell.get("outputs", []))
        alt = cell.metadata.get("alt")
        if figures and not alt:
            raise FigureAltError(
                f"{where(cell)}: this cell shows a figure and has no alt text: say what the "
                f'figure shows on its marker line, # %% alt="..."'
            )
        if alt and figures != 1:
            raise FigureAltError(
                f"{where(cell)}: the cell's alt text is for one figure, and it shows {figures}"
            )
        alts += [alt] * figures
    return alts


def lighten(html: str, page_dir: Path, alts: list[str]) -> str:
    """The page with its inlined notebook styles purged and its figures written into
    `page_dir` (the folder of the page's index.html), each with its alt text from `alts`."""
    classes = used_classes(html)
    css = purge([stylesheet(css) for css in STYLE.findall(html)], classes)
    html = STYLE.sub("", html).replace(EMPTY_SCRIPT, "")
    html = html.replace(COPY_BUTTON, '<clipboard-copy role="button" ')
    html = html.replace(
        '<div class="jupyter-wrapper">', f'<div class="jupyter-wrapper"><style>{css}</style>', 1
    )

    figures = DATA_IMAGE.findall(html)
    if len(figures) != len(alts):
        raise FigureAltError(
            f"{page_dir / 'index.html'}: {len(figures)} figures, for {len(alts)} alt texts"
        )
    texts = iter(alts)

    def externalize(match: re.Match) -> str:
        data = base64.b64decode(match["data"])
        name = f"figure-{hashlib.sha256(data).hexdigest()[:12]}.png"
        page_dir.mkdir(parents=True, exist_ok=True)
        (page_dir / name).write_bytes(data)
        width, height = png_size(data)
        before = ALT_ATTRIBUTE.sub("", match["before"]).lstrip()
        return (
            f'<img alt="{escape(next(texts))}" {before}src="{name}" width="{width}" '
            f'height="{height}" loading="lazy" decoding="async"'
        )

    return DATA_IMAGE.sub(externalize, html)


def colab_url(repo_url: str, stem: str, folder: str = "gallery") -> str:
    """The Colab address of a gallery notebook on the repository's notebook branch (or of
    another notebook of the site, folder/<stem>.ipynb there as in the site)."""
    parts = urlsplit(repo_url)
    owner_repo = parts.path.strip("/").removesuffix(".git")
    if parts.netloc != "github.com" or owner_repo.count("/") != 1:
        raise ValueError(f"mkdocs.yml: repo_url {repo_url!r} is not https://github.com/OWNER/REPO")
    return (
        f"https://colab.research.google.com/github/{owner_repo}/blob/{NOTEBOOK_BRANCH}/"
        f"{folder}/{stem}.ipynb"
    )


def setup_cell(repo_url: str) -> str:
    """The published notebook's first code cell: a no-op in a checkout of the guide."""
    folder = urlsplit(repo_url).path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    return f'''\
# Outside a checkout of this guide (in Colab, for one), fetch it and install what its
# `snippets` package needs, at the versions the gallery was run with (torch included).
import importlib.util
import os
import subprocess
import sys

if importlib.util.find_spec("snippets") is None:
    subprocess.run(["git", "clone", "--depth=1", "{repo_url}", "{folder}"], check=True)
    pip = [sys.executable, "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "-e", "{folder}"], check=True)
    sys.path.insert(0, os.path.abspath("{folder}"))'''


def with_setup_cell(notebook: nbformat.NotebookNode, repo_url: str) -> nbformat.NotebookNode:
    """The notebook with the setup cell, tagged SETUP_TAG, as its first code cell (after the
    title and any other leading prose)."""
    first_code = next(
        (index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"),
        len(notebook.cells),
    )
    cell = nbformat.v4.new_code_cell(setup_cell(repo_url), metadata={"tags": [SETUP_TAG]})
    notebook.cells.insert(first_code, cell)
    return notebook
