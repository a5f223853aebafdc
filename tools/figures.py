"""Figures drawn by a page's code, kept under a key of the code that drew them.

A page shows a figure its code draws as `![alt text](figures/<page>-<n>.png)`, n counting
from 1 down the page. A block that leaves matplotlib figures open has them saved (the test run
and the build both run the pages) into `.cache/figures/<page>-<key>/`, where the key hashes the
page, every snippet file it includes, this module (which saves them) and the torch and
matplotlib versions: the build publishes a figure only from the folder of the code it builds,
so no figure of an older commit is ever published, and a figure already in that folder is not
encoded again.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

from PIL import Image

from tools.paths import FIGURES, ROOT
from tools.sections import parse_include

LINK = re.compile(r"\]\(figures/(?P<name>[\w.-]+\.png)\)")
COUNT = "__page_figures__"  # namespace key: how many figures the page has drawn so far


def folder(page: Path) -> Path:
    text = page.read_text(encoding="utf-8")
    digest = hashlib.sha256(text.encode())
    included = {include.path for line in text.splitlines() if (include := parse_include(line))}
    for name in sorted(included):
        digest.update(name.encode() + (ROOT / name).read_bytes())
    digest.update(Path(__file__).read_bytes())
    import matplotlib
    import torch  # here, not at the top: pytest-xdist's controller imports this module

    digest.update(f"torch {torch.__version__} matplotlib {matplotlib.__version__}".encode())
    return FIGURES / f"{page.stem}-{digest.hexdigest()[:16]}"


def linked(page: Path) -> list[str]:
    """The figure files a page shows."""
    return LINK.findall(page.read_text(encoding="utf-8"))


def save(page: Path, namespace: dict) -> None:
    """Save the figures a block left open, numbered down the page, and close them. A figure
    the folder holds already was drawn by this same code (the folder's key): it is kept
    rather than encoded again (about 0.2 s a figure)."""
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None or not pyplot.get_fignums():
        return
    target = folder(page)
    target.mkdir(parents=True, exist_ok=True)
    for number in pyplot.get_fignums():
        count = namespace[COUNT] = namespace.get(COUNT, 0) + 1
        figure = pyplot.figure(number)
        path = target / f"{page.stem}-{count}.png"
        if not path.is_file():
            partial = path.with_suffix(".partial.png")
            figure.savefig(partial, dpi=80, bbox_inches="tight")
            opaque(partial)
            partial.replace(path)  # a run stopped halfway leaves no figure under its name
        pyplot.close(figure)


def opaque(path: Path) -> None:
    """Matplotlib writes RGBA; a figure with nothing transparent is saved again as an
    optimized RGB PNG, about an eighth lighter for the reader."""
    with Image.open(path) as image:
        if image.mode != "RGBA" or image.getchannel("A").getextrema() != (255, 255):
            return
        rgb = image.convert("RGB")
    rgb.save(path, optimize=True)


def close_all() -> None:
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")
