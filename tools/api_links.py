"""Links from the code to the PyTorch and torchvision reference, and the API index page.

What sphinx-gallery does for PyTorch's tutorials, for this MkDocs site:

* Every Python block of a page (its code with the includes expanded, as the tests run it:
  `tools.sybil_pages.split_block`; a `>>>` block without its prompts) and every code cell of a
  gallery notebook is parsed with `ast`. The blocks of a page share their imports, as the
  reader's script does. `import torch`, `import torch.nn.functional as F`,
  `from torch import nn`, `from torch.utils.data import DataLoader as DL`, ... bind names;
  each dotted name built on one (`torch.zeros`, `nn.Linear`, `F.cross_entropy`, `DL`,
  `nn.Module.state_dict`) is resolved against the installed torch and torchvision with
  importlib and getattr. A name that does not resolve fails the build, naming the page and
  line (and the snippet file and line), unless it is in the body of a `try` whose handler
  catches AttributeError: such code shows the error on purpose. Function arguments, loop
  variables and assignments shadow an import as they do in Python. What a resolved name
  gives the build (its module, its reference URL) is kept in .cache/api-links.json, keyed by
  the two versions and this file: a rebuild imports neither torch nor torchvision unless a
  name is new.
* Methods called on values (`x.view(...)`, `model.parameters()`) are not linked: the type of
  `x` is not known without running the code.
* In the rendered HTML (`on_page_content`) the Pygments spans of each resolved name,
  `<span class="n">nn</span><span class="o">.</span><span class="n">Linear</span>`, are
  wrapped in one `<a class="api-link">`. The text of the code is unchanged, so Material's copy
  button copies the same code. Gallery notebooks (mkdocs-jupyter, `.highlight-ipynb`) have
  the same spans, and copy from a separate text element anyway.
* docs/api.md holds only API_MARKER: it is replaced by the index of every linked name, by
  module, with the pages and sections that use it and the page that teaches it.

The reference URLs follow the layout of the reference docs of the installed versions
(torch X.Y -> docs.pytorch.org/docs/X.Y/, torchvision -> docs.pytorch.org/vision/X.Y/):
the autosummary lists of pytorch/pytorch docs/source give `generated/<name>.html` pages,
the `autofunction`/`autoclass` pages give `<page>.html#<name>` anchors. Checked against the
stored copies of the reference pages (docs.pytorch.org, docs/source of pytorch/pytorch):

    torch.nn.Linear                    generated/torch.nn.Linear.html (stable page stored)
    torch.nn.functional.cross_entropy  generated/torch.nn.functional.cross_entropy.html
    torch.optim.lr_scheduler.StepLR    generated/torch.optim.lr_scheduler.StepLR.html (2.8)
    torch.zeros                        generated/torch.zeros.html
    torch.Tensor.view                  generated/torch.Tensor.view.html (docs/2.15 stored)
    torch.Tensor                       tensors.html#torch.Tensor (linked so from Tensor.view)
    torch.Size                         size.html#torch.Size (linked so from Tensor.view)
    torch.reshape                      generated/torch.reshape.html (linked from Tensor.view)
    torch.no_grad                      generated/torch.no_grad.html (linked from inference_mode)
    torch.inference_mode               generated/torch.autograd.grad_mode.inference_mode.html
    torch.set_grad_enabled             generated/torch.autograd.grad_mode.set_grad_enabled.html
                                       (torch.md autosummary lists autograd.grad_mode.*)
    torch.get_device_module            generated/torch.get_device_module.html (autosummary)
    torch.cuda.max_memory_allocated    generated/torch.cuda.memory.max_memory_allocated.html
    torch.cuda.memory_allocated        generated/torch.cuda.memory.memory_allocated.html
                                       (docs/2.15 and stable stored; cuda.md documents the
                                       memory functions under torch.cuda.memory)
    torch.cuda.manual_seed_all         generated/torch.cuda.manual_seed_all.html (cuda.md)
    torch.cuda.is_available            generated/torch.cuda.is_available.html (cuda.md)
    torch.utils.data.DataLoader        data.html#torch.utils.data.DataLoader (autoclass)
    torch.utils.data.random_split      data.html#torch.utils.data.random_split (autofunction)
    torch.utils.data.DistributedSampler
                                       data.html#torch.utils.data.distributed.DistributedSampler
                                       (data.md documents it under its defining module)
    torch.nn.Parameter                 generated/torch.nn.parameter.Parameter.html (nn.md)
    torch.nn.utils.clip_grad_norm_     generated/torch.nn.utils.clip_grad_norm_.html
    torch.nn.init.kaiming_normal_      nn.init.html#torch.nn.init.kaiming_normal_
    torch.autograd.Function            autograd.html#torch.autograd.Function (autoclass)
    torch.autograd.gradcheck           generated/torch.autograd.gradcheck.gradcheck.html
    torch.autocast                     amp.html#torch.autocast (amp.md autoclass)
    torch.amp.GradScaler               amp.html#gradient-scaling: amp.md documents only
                                       torch.cuda.amp.GradScaler and torch.cpu.amp.GradScaler
    torch.random.fork_rng              random.html#torch.random.fork_rng (docs/2.12 stored)
    torch.serialization.safe_globals   notes/serialization.html#torch.serialization.safe_globals
    torch.distributed.HashStore        distributed.html#torch.distributed.HashStore
    torch.distributed.get_default_backend_for_device
                                       distributed.html#torch... (autofunction)
    torch.onnx.export                  onnx.html#torch.onnx.export (docs/2.9 onnx.md stored)
    torchvision.datasets.FashionMNIST  vision: generated/torchvision.datasets.FashionMNIST.html
                                       (vision/0.29 page stored)
    torchvision.transforms.v2.Compose  generated/torchvision.transforms.v2.Compose.html
    torchvision.models.resnet18        models/generated/torchvision.models.resnet18.html
    torchvision.models.ResNet18_Weights
                                       the same page, #torchvision.models.ResNet18_Weights

Not linked: torch.export.Dim (its page moved between releases: export.html#torch.export.Dim,
then torch.export.dynamic_shapes.Dim), legacy tensor types such as torch.FloatTensor,
`__version__` and other data attributes, modules themselves, and members a class inherits
(`nn.Linear.state_dict`: the link goes to nn.Linear). Enum members (`ReduceOp.MAX`,
`ResNet18_Weights.DEFAULT`) link their class.
"""

from __future__ import annotations

import ast
import hashlib
import html
import importlib
import inspect
import json
import logging
import os
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib.metadata import version
from pathlib import Path

import nbformat
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.toc import AnchorLink
from mkdocs.utils import get_relative_url
from sybil import Document

from tools.notebook_pages import SETUP_TAG
from tools.paths import API_INDEX, CACHE, DOCS, page_module
from tools.search_index import add_tags
from tools.sybil_pages import (
    PYTHON_LANGUAGES,
    PageParser,
    line_of,
    relative,
    snippet_options,
    split_block,
)

log = logging.getLogger(f"mkdocs.plugins.{__name__}")
MISTAKES = "mistakes.md"  # the page of common mistakes: it shows APIs misused

API_MARKER = "<!-- api:index -->"
ROOTS = {"torch", "torchvision"}


def docs_base(version: str, site: str) -> str:
    major, minor = version.split("+")[0].split(".")[:2]
    return f"https://docs.pytorch.org/{site}/{major}.{minor}/"


# The installed versions, read without importing torch and torchvision (3 s): a rebuild whose
# names are all in the cache of resolved names (RESOLVED) imports neither.
VERSIONS = {package: version(package) for package in sorted(ROOTS)}
TORCH_DOCS = docs_base(VERSIONS["torch"], "docs")
VISION_DOCS = docs_base(VERSIONS["torchvision"], "vision")
RESOLVED = CACHE / "api-links.json"

# Modules whose public classes and functions each have a page, generated by autosummary.
GENERATED = {
    "torch",
    "torch.accelerator",
    "torch.autograd",
    "torch.autograd.functional",
    "torch.cuda",
    "torch.fft",
    "torch.func",
    "torch.linalg",
    "torch.nn",
    "torch.nn.functional",
    "torch.nn.parallel",
    "torch.nn.utils",
    "torch.optim",
    "torch.optim.lr_scheduler",
    "torch.special",
}
# Modules documented on one page, an anchor per name (autofunction, autoclass, attribute).
ANCHORED = {
    "torch.autograd.graph": "autograd.html",
    "torch.backends.cuda": "backends.html",
    "torch.backends.cudnn": "backends.html",
    "torch.backends.mps": "backends.html",
    "torch.distributed": "distributed.html",
    "torch.nn.init": "nn.init.html",
    "torch.onnx": "onnx.html",
    "torch.profiler": "profiler.html",
    "torch.random": "random.html",
    "torch.serialization": "notes/serialization.html",
    "torch.testing": "testing.html",
    "torch.utils.checkpoint": "checkpoint.html",
    "torch.utils.data": "data.html",
}
# Modules the docs document their names under, whichever module re-exports them.
DEFINING_MODULES = {"torch.cuda.memory", "torch.nn.parameter", "torch.utils.data.distributed"}
# Classes whose members each have a generated page (autosummary of `Class.member`).
MEMBER_PAGES = {"torch.Tensor", "torch.optim.Optimizer", "torch.autograd.Function"}
# Names documented elsewhere than their module's rule says.
DOCUMENTED_AT = {
    "torch.Tensor": "tensors.html#torch.Tensor",
    "torch.Size": "size.html#torch.Size",
    "torch.device": "tensor_attributes.html#torch.device",
    "torch.dtype": "tensor_attributes.html#torch.dtype",
    "torch.autocast": "amp.html#torch.autocast",
    "torch.amp.GradScaler": "amp.html#gradient-scaling",
    "torch.autograd.Function": "autograd.html#torch.autograd.Function",
    "torch.autograd.gradcheck": "generated/torch.autograd.gradcheck.gradcheck.html",
    "torch.autograd.gradgradcheck": "generated/torch.autograd.gradcheck.gradgradcheck.html",
    "torch.inference_mode": "generated/torch.autograd.grad_mode.inference_mode.html",
    "torch.set_grad_enabled": "generated/torch.autograd.grad_mode.set_grad_enabled.html",
}
# torchvision modules whose public classes and functions each have a generated page.
VISION_GENERATED = {
    "torchvision.datasets",
    "torchvision.io",
    "torchvision.ops",
    "torchvision.transforms",
    "torchvision.transforms.functional",
    "torchvision.transforms.v2",
    "torchvision.transforms.v2.functional",
    "torchvision.utils",
}


class UnresolvedNameError(LookupError):
    """A dotted name under an imported torch or torchvision module that does not exist."""


@dataclass(frozen=True)
class Reference:
    """What the build uses of a name that resolves: its module and its reference page."""

    module: str
    url: str | None


_references: dict[str, Reference] = {}  # RESOLVED, as read at the start of the build


def references_key() -> str:
    """What resolving depends on: torch's and torchvision's versions, and the rules here."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(json.dumps(VERSIONS).encode())
    return digest.hexdigest()


def load_references() -> None:
    _references.clear()
    try:
        stored = json.loads(RESOLVED.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if stored.get("key") == references_key():
        _references.update({name: Reference(*found) for name, found in stored["names"].items()})


def save_references() -> None:
    RESOLVED.parent.mkdir(parents=True, exist_ok=True)
    names = {name: [found.module, found.url] for name, found in sorted(_references.items())}
    partial = RESOLVED.with_suffix(f".{os.getpid()}.partial")  # two builds at once: each its own
    partial.write_text(json.dumps({"key": references_key(), "names": names}), encoding="utf-8")
    partial.replace(RESOLVED)


def reference(name: str) -> Reference:
    """A dotted name's module and reference page, from the cache or resolved now (importing
    torch and torchvision); AttributeError or ImportError, as `resolve`, if it does not
    resolve (never cached)."""
    found = _references.get(name)
    if found is None:
        resolve(name)
        found = _references[name] = Reference(module_of(name), reference_url(name))
    return found


@cache
def resolve(name: str) -> object:
    """The object a dotted name under torch or torchvision names, imported as Python would."""
    parts = name.split(".")
    obj = importlib.import_module(parts[0])
    for index, part in enumerate(parts[1:], start=2):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            if not inspect.ismodule(obj):
                raise
            try:
                obj = importlib.import_module(".".join(parts[:index]))
            except ModuleNotFoundError:
                raise AttributeError(f"module {obj.__name__!r} has no attribute {part!r}") from None
    return obj


def module_of(name: str) -> str:
    """The longest prefix of a resolved dotted name that is a module."""
    parts = name.split(".")
    while len(parts) > 1 and not inspect.ismodule(resolve(".".join(parts))):
        parts.pop()
    return ".".join(parts)


@cache
def reference_url(name: str) -> str | None:
    """The reference page of a resolved name, or None if the reference has none of its own."""
    import torch

    if name in DOCUMENTED_AT:
        return TORCH_DOCS + DOCUMENTED_AT[name]
    obj = resolve(name)
    module = module_of(name)
    rest = name[len(module) + 1 :].split(".")
    if inspect.ismodule(obj) or any(part.startswith("_") for part in rest):
        return None
    if len(rest) == 2:
        return member_url(f"{module}.{rest[0]}", rest[1])
    if len(rest) > 2:
        return None
    if name.startswith("torchvision."):
        return vision_url(name, obj, module)
    if isinstance(obj, type(torch.FloatTensor)):  # a legacy tensor type: no page of its own
        return None
    if isinstance(obj, torch.dtype | torch.memory_format):
        return f"{TORCH_DOCS}tensor_attributes.html#torch.{type(obj).__name__}"
    documented = documented_name(name, obj)
    if module in ANCHORED:
        return f"{TORCH_DOCS}{ANCHORED[module]}#{documented}"
    if module in GENERATED and callable(obj):
        return f"{TORCH_DOCS}generated/{documented}.html"
    return None


def documented_name(name: str, obj: object) -> str:
    defined_in = getattr(obj, "__module__", None)
    if defined_in in DEFINING_MODULES:
        return f"{defined_in}.{name.rsplit('.', 1)[1]}"
    return name


def member_url(owner: str, member: str) -> str | None:
    """A method of a class: its own generated page, or an anchor on its class's page. Members
    a class inherits, and data (enum values), have none: the class is linked instead."""
    if owner in MEMBER_PAGES:
        return f"{TORCH_DOCS}generated/{owner}.{member}.html"
    cls = resolve(owner)
    owner_url = reference_url(owner)
    if owner_url is None or not inspect.isclass(cls) or member not in vars(cls):
        return None
    if not (inspect.isroutine(getattr(cls, member)) or isinstance(vars(cls)[member], property)):
        return None
    page, _, anchor = owner_url.partition("#")
    if anchor not in {"", documented_name(owner, cls)}:  # a section, not the class's entry
        return None
    return f"{page}#{documented_name(owner, cls)}.{member}"


def vision_url(name: str, obj: object, module: str) -> str | None:
    import torchvision
    from torchvision.models import WeightsEnum

    if module == "torchvision.models":
        if inspect.isfunction(obj):
            return f"{VISION_DOCS}models/generated/{name}.html"
        if inspect.isclass(obj) and issubclass(obj, WeightsEnum):
            builder = name.rsplit(".", 1)[1].removesuffix("_Weights").lower()
            if inspect.isfunction(getattr(torchvision.models, builder, None)):
                return f"{VISION_DOCS}models/generated/torchvision.models.{builder}.html#{name}"
        return None
    if module in VISION_GENERATED and callable(obj):
        return f"{VISION_DOCS}generated/{name}.html"
    return None


# --- Reading the code: which names each block uses ---------------------------------------


@dataclass
class Block:
    """A code block as the page shows it, and the Python in it."""

    shown: str  # the block's text, without leading and trailing newlines
    source: str  # what is parsed: `shown`, or a >>> block without its prompts
    shifts: list[int]  # per line: columns the prompt takes in `shown` (0 or 4)
    places: list[str]  # per line: where it comes from ("docs/x.md, line 3 (...)")


@dataclass(frozen=True)
class Use:
    name: str  # the name the link goes to: torch.nn.Linear
    spelling: str  # as written: nn.Linear
    line: int  # 0-based line of `Block.shown`
    start: int  # columns in that line
    end: int


def python_block(code: str, places: list[str]) -> Block:
    lead = len(code) - len(code.lstrip("\n"))
    shown = code.strip("\n")
    lines = shown.split("\n")
    return Block(shown, shown, [0] * len(lines), places[lead : lead + len(lines)])


def pycon_block(code: str, places: list[str]) -> Block:
    lead = len(code) - len(code.lstrip("\n"))
    shown = code.strip("\n")
    lines = shown.split("\n")
    prompt = [line.startswith((">>> ", "... ")) or line in {">>>", "..."} for line in lines]
    source = "\n".join(line[4:] if p else "" for line, p in zip(lines, prompt, strict=True))
    return Block(shown, source, [4 if p else 0 for p in prompt], places[lead : lead + len(lines)])


def page_blocks(page: Path, options: dict) -> list[Block]:
    """The Python blocks of a Markdown page, includes expanded as the build expands them
    (`options`: pymdownx.snippets' options, `tools.sybil_pages.snippet_options`)."""
    text = page.read_text(encoding="utf-8")
    document = Document(text, str(page))
    blocks = []
    for region in sorted(PageParser(options).lexer(document), key=lambda r: r.start):
        if region.lexemes["language"] not in PYTHON_LANGUAGES:
            continue
        source = str(region.lexemes["source"])
        first = line_of(text, region.start) + 1
        where = f"{relative(page)}, code block at line {first - 1}"
        if source.lstrip().startswith(">>>"):
            places = [f"{relative(page)}, line {first + n}" for n in range(source.count("\n") + 1)]
            blocks.append(pycon_block(source, places))
            continue
        chunks = split_block(source, first, page, options)
        places = []
        for chunk in chunks:
            for n in range(chunk.source.count("\n")):
                place = f"{relative(chunk.path)}, line {chunk.first_line + n}"
                places.append(f"{where} ({place})" if chunk.included else place)
        blocks.append(python_block("".join(chunk.source for chunk in chunks), places))
    return blocks


def notebook_blocks(notebook: Path, script: Path) -> list[Block]:
    """The code cells of an executed gallery notebook but its setup cell, located in the
    jupytext script they come from."""
    text = script.read_text(encoding="utf-8")
    blocks = []
    for number, cell in enumerate(nbformat.read(notebook, as_version=4).cells, start=1):
        if cell.cell_type != "code" or SETUP_TAG in cell.metadata.get("tags", []):
            continue
        at, lines = text.find(cell.source), cell.source.count("\n") + 1
        if at >= 0:
            places = [f"{relative(script)}, line {line_of(text, at) + n}" for n in range(lines)]
        else:
            places = [f"{relative(script)}, cell {number}"] * lines
        blocks.append(python_block(cell.source, places))
    return blocks


def catches_attribute_error(handler: ast.ExceptHandler) -> bool:
    caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(
        node is None or (isinstance(node, ast.Name) and node.id in {"AttributeError", "Exception"})
        for node in caught
    )


def local_names(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> set[str]:
    """Names a function binds: its arguments and what its body assigns (Python makes them local
    in the whole body), but those it declares global or nonlocal."""
    args = node.args
    names = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    names |= {a.arg for a in (args.vararg, args.kwarg) if a}
    body = node.body if isinstance(node.body, list) else [node.body]
    declared = set()
    for statement in body:
        for sub in ast.walk(statement):
            if isinstance(sub, ast.Name) and not isinstance(sub.ctx, ast.Load):
                names.add(sub.id)
            elif isinstance(sub, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(sub.name)
            elif isinstance(sub, ast.Global | ast.Nonlocal):
                declared.update(sub.names)
    return names - declared


class Names(ast.NodeVisitor):
    """The torch and torchvision names a block uses, given what earlier blocks imported."""

    def __init__(self, block: Block, bindings: dict[str, str]) -> None:
        self.block = block
        self.scopes = [bindings]  # local name -> the dotted name it stands for
        self.uses: list[Use] = []
        self.tolerant = 0  # inside a `try` that catches AttributeError
        self.tolerated: list[str] = []

    @property
    def bindings(self) -> dict[str, str]:
        return self.scopes[-1]

    def bind(self, local: str, name: str | None) -> None:
        if name and name.split(".")[0] in ROOTS:
            self.bindings[local] = name
        else:
            self.bindings.pop(local, None)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            root = alias.name.split(".")[0]
            self.bind(alias.asname or root, alias.name if alias.asname else root)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for alias in node.names:
            if alias.name == "*":  # binds what it binds: nothing this can follow
                continue
            name = f"{node.module}.{alias.name}" if node.module and not node.level else None
            self.bind(alias.asname or alias.name, name)
            if name and self.bindings.get(alias.asname or alias.name) == name:
                self.use([name], [alias], alias.name)

    def visit_Name(self, node: ast.Name) -> None:
        if not isinstance(node.ctx, ast.Load):
            self.bindings.pop(node.id, None)
        elif node.id in self.bindings:
            self.use([self.bindings[node.id]], [node], node.id)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        chain = [node]
        while isinstance(chain[-1], ast.Attribute):
            chain.append(chain[-1].value)
        base = chain[-1]
        if not (isinstance(base, ast.Name) and base.id in self.bindings):
            self.generic_visit(node)
            return
        nodes = chain[::-1]  # base Name, then each Attribute, outermost last
        parts = [self.bindings[base.id], *(n.attr for n in nodes[1:])]
        self.use(parts, nodes, base.id)

    def use(self, parts: list[str], nodes: list[ast.AST], base: str) -> None:
        """Resolve a dotted name and record its longest prefix with a reference page."""
        name = ".".join(parts)
        try:
            reference(name)
        except (AttributeError, ImportError) as error:
            if self.tolerant:
                self.tolerated.append(name)
                return
            place = self.block.places[nodes[-1].lineno - 1]
            spelling = ".".join([base, *parts[1:]])
            raise UnresolvedNameError(
                f"{place}: {spelling} does not resolve in torch {VERSIONS['torch']}, "
                f"torchvision {VERSIONS['torchvision']}: {error}"
            ) from None
        for count in range(len(parts), 0, -1):
            prefix = ".".join(parts[:count])
            if reference(prefix).url is None:
                continue
            first, last = nodes[0], nodes[count - 1]
            if first.lineno != last.end_lineno:  # a name split over lines: not linked
                return
            line = self.block.source.split("\n")[first.lineno - 1]
            start, end = (
                len(line.encode()[:col].decode()) for col in (first.col_offset, last.end_col_offset)
            )
            if isinstance(first, ast.alias):
                end = start + len(first.name)
            self.uses.append(
                Use(prefix, ".".join([base, *parts[1:count]]), first.lineno - 1, start, end)
            )
            return

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self.visit(target)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        self.visit(node.target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.visit(node.annotation)
        if node.value:
            self.visit(node.value)
        self.visit(node.target)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self.visit(node.target)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self.visit(node.target)
        for statement in [*node.body, *node.orelse]:
            self.visit(statement)

    visit_AsyncFor = visit_For

    def visit_Try(self, node: ast.Try) -> None:
        tolerant = any(catches_attribute_error(h) for h in node.handlers)
        self.tolerant += tolerant
        for statement in node.body:
            self.visit(statement)
        self.tolerant -= tolerant
        for part in [*node.handlers, *node.orelse, *node.finalbody]:
            self.visit(part)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type:
            self.visit(node.type)
        if node.name:
            self.bindings.pop(node.name, None)
        for statement in node.body:
            self.visit(statement)

    def in_scope(self, hidden: set[str], nodes: list[ast.AST]) -> None:
        self.scopes.append({k: v for k, v in self.bindings.items() if k not in hidden})
        for sub in nodes:
            self.visit(sub)
        self.scopes.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        args = node.args
        for sub in [*node.decorator_list, *args.defaults, *args.kw_defaults, node.returns]:
            if sub:
                self.visit(sub)
        for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if arg and arg.annotation:
                self.visit(arg.annotation)
        self.in_scope(local_names(node), node.body)
        self.bindings.pop(node.name, None)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for sub in [*node.args.defaults, *node.args.kw_defaults]:
            if sub:
                self.visit(sub)
        self.in_scope(local_names(node), [node.body])

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for sub in [*node.decorator_list, *node.bases, *node.keywords]:
            self.visit(sub)
        self.in_scope(set(), node.body)
        self.bindings.pop(node.name, None)

    def visit_comprehension_node(self, node: ast.AST) -> None:
        targets = {
            n.id
            for generator in node.generators
            for n in ast.walk(generator.target)
            if isinstance(n, ast.Name)
        }
        self.visit(node.generators[0].iter)  # evaluated outside the comprehension
        inner = [g.iter for g in node.generators[1:]] + [c for g in node.generators for c in g.ifs]
        inner += [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
        self.in_scope(targets, inner)

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = visit_comprehension_node


def find_uses(blocks: list[Block]) -> tuple[list[list[Use]], list[str]]:
    """The names each block of a page uses, the blocks sharing their imports in page order;
    and the names that do not resolve inside a try that catches the error."""
    bindings: dict[str, str] = {}
    uses, tolerated = [], []
    for block in blocks:
        try:
            tree = ast.parse(block.source)
        except SyntaxError as error:
            raise PluginError(
                f"{block.places[0]}: the code block does not parse: {error}"
            ) from None
        names = Names(block, bindings)
        names.visit(tree)
        uses.append(names.uses)
        tolerated += names.tolerated
    return uses, tolerated


# --- The HTML: links in the code blocks ----------------------------------------------------

CODE_BLOCK = re.compile(
    r'<div class="(?:language-(?:python|py|pycon) highlight|highlight-ipynb hl-python)">'
    r"(?:(?!</div>).)*?<pre>(?:<span></span>)?(?:<code>)?(?P<code>.*?)</(?:code|pre)>",
    re.DOTALL,
)
HEADING = re.compile(
    r'<h(?P<level>[1-6]) id="(?P<id>[^"]+)"[^>]*>(?P<title>.*?)</h(?P=level)>', re.S
)
PERMALINK = re.compile(r'<a class="(?:headerlink|anchor-link)"[^>]*>.*?</a>', re.DOTALL)
TOKEN = re.compile(r"<[^>]*>|[^<]+")
TAG = re.compile(r"<[^>]*>")


def text_of(fragment: str) -> str:
    return html.unescape(TAG.sub("", fragment))


def link_code(code: str, links: list[tuple[int, int, str, str]]) -> str:
    """Wrap the spans whose text runs from `start` to `end` (offsets in the text of `code`, the
    inner HTML of a <code>) in <a href title>. The text is unchanged; a run that does not
    start and end at span boundaries on one line is left alone."""
    pieces = []  # (html start, html end, text start, text end, is tag)
    position = 0
    text = text_of(code)
    for match in TOKEN.finditer(code):
        if match.group().startswith("<"):
            pieces.append((match.start(), match.end(), position, position, True))
        else:
            length = len(html.unescape(match.group()))
            pieces.append((match.start(), match.end(), position, position + length, False))
            position += length
    starts = {p[2]: i for i, p in enumerate(pieces) if not p[4]}
    ends = {p[3]: i for i, p in enumerate(pieces) if not p[4]}
    edits = []
    for start, end, href, title in links:
        if start not in starts and text[start - 1 : start] == "@":
            start -= 1  # a decorator: Pygments makes one token of `@torch`
        if start not in starts or end not in ends:
            continue
        first, last = starts[start], ends[end]
        html_start, html_end = pieces[first][0], pieces[last][1]
        if first and code.startswith("<span", pieces[first - 1][0]):
            html_start = pieces[first - 1][0]
        if last + 1 < len(pieces) and code.startswith("</span>", pieces[last + 1][0]):
            html_end = pieces[last + 1][1]
        run = code[html_start:html_end]
        if run.count("<span") != run.count("</span>") or "<a" in run or "\n" in text_of(run):
            continue
        edits.append((html_start, html_end, href, title))
    for html_start, html_end, href, title in sorted(edits, reverse=True):
        code = (
            f'{code[:html_start]}<a href="{href}" class="api-link" title="{title}">'
            f"{code[html_start:html_end]}</a>{code[html_end:]}"
        )
    return code


@dataclass
class Section:
    anchor: str
    title: str
    level: int  # of its heading: 1 is the page's title, the section its introduction
    prose: list[str] = field(default_factory=list)  # text of the page under the heading

    def label(self) -> str:
        return "introduction" if self.level == 1 else self.title


def sections_and_blocks(page_html: str) -> Iterator[tuple[Section, re.Match | None]]:
    """The page's headings and code blocks in order: each code block with its section."""
    section = Section("", "", 1)
    end = 0
    pattern = re.compile(f"{HEADING.pattern}|{CODE_BLOCK.pattern}", re.DOTALL)
    for match in pattern.finditer(page_html):
        section.prose.append(
            text_of(re.sub(r"<pre>.*?</pre>", "", page_html[end : match.start()], flags=re.S))
        )
        end = match.end()
        if match["id"]:
            title = text_of(PERMALINK.sub("", match["title"])).strip()
            section = Section(match["id"], title, int(match["level"]))
            section.prose.append(section.title)
            yield section, None
        else:
            yield section, match
    section.prose.append(text_of(re.sub(r"<pre>.*?</pre>", "", page_html[end:], flags=re.S)))


def link_page(page_html: str, blocks: list[Block], uses: list[list[Use]], where: str):
    """The page with its code blocks linked; the sections of the page; and for each use, the
    section it is in."""
    out, end, pending = [], 0, 0
    sections: list[Section] = []
    found: list[tuple[Use, Section]] = []
    for section, match in sections_and_blocks(page_html):
        if match is None:
            sections.append(section)
            continue
        if not sections:
            sections.append(section)
        shown = text_of(match["code"])
        lead = len(shown) - len(shown.lstrip("\n"))
        index = next(
            (i for i in range(pending, len(blocks)) if blocks[i].shown == shown.strip("\n")), None
        )
        if index is None:
            raise PluginError(f"{where}: a code block of the HTML matches no Python block of its "
                              f"source, in order:\n{shown}")  # fmt: skip
        pending = index + 1
        block = blocks[index]
        line_starts = [0]
        for line in shown.split("\n"):
            line_starts.append(line_starts[-1] + len(line) + 1)
        links = []
        for use in uses[index]:
            at = line_starts[use.line + lead] + block.shifts[use.line]
            links.append((at + use.start, at + use.end, reference(use.name).url, use.name))
            found.append((use, section))
        out += [page_html[end : match.start("code")], link_code(match["code"], links)]
        end = match.end("code")
    return "".join([*out, page_html[end:]]), sections, found


# --- The API index page --------------------------------------------------------------------


@dataclass
class PageRecord:
    page: object  # mkdocs Page
    sections: list[Section]
    topic: bool  # a topic page (docs/<name>.md with its snippets module), not the gallery

    def titled(self, mention: Mention) -> Section | None:
        """The first section whose heading names the name."""
        return next((s for s in self.sections if s.level > 1 and mention.search(s.title)), None)

    def mentioning(self, mention: Mention) -> Section | None:
        """The first section whose heading or prose mentions the name."""
        match = mention.search(self.text)
        return self.sections[bisect_right(self.starts, match.start()) - 1] if match else None

    @cached_property
    def text(self) -> str:
        """The headings and prose of the page, a line per section (searched once per name)."""
        return "\n".join("".join(section.prose) for section in self.sections)

    @cached_property
    def starts(self) -> list[int]:
        starts = [0]
        for section in self.sections[:-1]:
            starts.append(starts[-1] + len("".join(section.prose)) + 1)
        return starts


_pages: dict[str, PageRecord] = {}  # src_uri -> what the page showed
_used: dict[str, dict[str, list[Section]]] = {}  # name -> src_uri -> sections using it
_spellings: dict[str, set[str]] = {}  # name -> how the code writes it
_tolerated: list[str] = []
_teachers: dict[str, tuple[str, Section]] = {}  # name -> the page and section teaching it


def group(names) -> dict[str, list[str]]:
    """Names by module, modules in order and names in order within each (case aside)."""
    groups: dict[str, list[str]] = {}
    for name in sorted(names, key=str.lower):
        groups.setdefault(reference(name).module, []).append(name)
    return dict(sorted(groups.items()))


@dataclass(frozen=True)
class Mention:
    forms: tuple[str, ...]  # longest first
    pattern: re.Pattern

    def search(self, text: str) -> re.Match | None:
        # The regular expression is slow on long pages: only where a form occurs at all.
        return self.pattern.search(text) if any(form in text for form in self.forms) else None


def mention(name: str, spellings: set[str]) -> Mention:
    """The name in prose: whole, without its leading modules (`nn.Linear`), or as the code
    spells it (`DataLoader`, `F.relu`)."""
    parts = name.split(".")
    forms = {".".join(parts[i:]) for i in range(len(parts) - 1)} | spellings
    forms = tuple(sorted(forms, key=len, reverse=True))
    pattern = "|".join(rf"(?<![\w.]){re.escape(form)}(?!\w)" for form in forms)
    return Mention(forms, re.compile(pattern))


def teacher(name: str, order: list[str]) -> tuple[str, Section]:
    """The section that teaches the name, on the topic pages in reading order: the first whose
    heading names it, else whose prose mentions it, else whose code uses it. The mistakes page
    comes after the others (it shows what goes wrong, it does not teach), then any page that
    uses the name."""
    mentioned = mention(name, _spellings[name])
    topics = [src for src in order if src in _pages and _pages[src].topic]
    teaching = [src for src in topics if src != MISTAKES]
    for find in (PageRecord.titled, PageRecord.mentioning):
        for src in teaching:
            section = find(_pages[src], mentioned)
            if section:
                return src, section
    users = [src for src in teaching if src in _used[name]]
    if users:
        return users[0], _used[name][users[0]][0]
    for find in (PageRecord.titled, PageRecord.mentioning):
        section = find(_pages[MISTAKES], mentioned) if MISTAKES in topics else None
        if section:
            return MISTAKES, section
    src = min(_used[name], key=order.index)
    return src, _used[name][src][0]


def render_index(api_page, order: list[str]) -> tuple[str, list[AnchorLink]]:
    def href(src: str, section: Section | None = None) -> str:
        url = get_relative_url(_pages[src].page.url, api_page.url)
        return f"{url}#{section.anchor}" if section and section.anchor else url

    def title(src: str) -> str:
        return html.escape(_pages[src].page.title or src)

    parts, toc = [], []
    for module, names in group(_used).items():
        anchor = module.replace(".", "-")
        toc.append(AnchorLink(module, anchor, 2))
        parts.append(
            f'<h2 id="{anchor}">{module}<a class="headerlink" href="#{anchor}" '
            'title="Permanent link">&para;</a></h2>\n<table>\n<thead><tr><th>API</th>'
            "<th>Taught on</th><th>Used on</th></tr></thead>\n<tbody>"
        )
        for name in names:
            src, section = _teachers[name] = teacher(name, order)
            taught = (
                f'<a href="{href(src, section)}">{title(src)}: {html.escape(section.label())}</a>'
            )
            used = []
            for user in sorted(_used[name], key=order.index):
                links = ", ".join(
                    f'<a href="{href(user, s)}">{html.escape(s.label())}</a>'
                    for s in _used[name][user]
                )
                used.append(f'<a href="{href(user)}">{title(user)}</a>: {links}')
            parts.append(
                f'<tr><td><a href="{reference(name).url}"><code>{name}</code></a></td>'
                f"<td>{taught}</td><td>{'<br>'.join(used)}</td></tr>"
            )
        parts.append("</tbody>\n</table>")
    return "\n".join(parts), toc


# --- MkDocs events ---------------------------------------------------------------------------


def api_index_uri() -> str:
    return API_INDEX.relative_to(DOCS).as_posix()


def on_pre_build(config):
    load_references()
    _pages.clear()
    _used.clear()
    _spellings.clear()
    _tolerated.clear()
    _teachers.clear()


def on_page_content(page_html, page, config, files):
    src = page.file.src_uri
    if src == api_index_uri():
        return page_html
    docs = Path(config["docs_dir"])
    source = Path(page.file.abs_src_path)
    if source.suffix == ".ipynb":
        blocks = notebook_blocks(source, docs / src)
    else:
        blocks = page_blocks(source, snippet_options(Path(config.config_file_path)))
    try:
        uses, tolerated = find_uses(blocks)
    except UnresolvedNameError as error:
        raise PluginError(str(error)) from None
    linked, sections, found = link_page(page_html, blocks, uses, src)
    topic = source.suffix == ".md" and "/" not in src and page_module(docs / src).is_file()
    _pages[src] = PageRecord(page, sections, topic)
    _tolerated.extend(tolerated)
    for use, section in found:
        in_page = _used.setdefault(use.name, {}).setdefault(src, [])
        if section not in in_page:
            in_page.append(section)
        _spellings.setdefault(use.name, set()).add(use.spelling)
    return linked


@event_priority(50)  # before the search plugin indexes the page
def on_page_context(context, page, config, nav):
    if page.file.src_uri != api_index_uri():
        return context
    if API_MARKER not in page.content:
        raise PluginError(f"{api_index_uri()} has no {API_MARKER} for the index to replace")
    _pages.setdefault(page.file.src_uri, PageRecord(page, [], topic=False))
    order = [p.file.src_uri for p in nav.pages]
    order += sorted(set(_pages) - set(order))
    content, toc = render_index(page, order)
    page.content = page.content.replace(API_MARKER, content)
    (page.toc.items[0].children if page.toc.items else page.toc.items).extend(toc)
    return context


def tag_search_index(site_dir: Path) -> None:
    """Index each API name, as the index writes it and as the code spells it, as a tag of the
    section that teaches it (tools/search_index.py): typing a name lists that section first."""
    tags: dict[str, set[str]] = {}
    where: dict[str, str] = {}  # a name -> the location of its teaching section
    for name, (src, section) in _teachers.items():
        url = _pages[src].page.url
        where[name] = f"{url}#{section.anchor}" if section.level > 1 else url
        tags.setdefault(where[name], set()).update({name, *_spellings[name]})
    locations = add_tags(site_dir, lambda doc: sorted(tags.get(doc["location"], ())))
    for name, location in where.items():
        if location not in locations:
            raise PluginError(f"api_links: no search entry {location!r} for {name}'s teacher")


def on_post_build(config):
    save_references()
    tag_search_index(Path(config["site_dir"]))
    pages = {src for users in _used.values() for src in users}
    log.info(
        f"api_links: {len(_used)} distinct torch/torchvision names linked from the code of "
        f"{len(pages)} pages"
    )
    if _tolerated:
        log.info(
            "api_links: not linked, do not resolve inside try/except AttributeError: "
            + ", ".join(sorted(set(_tolerated)))
        )
