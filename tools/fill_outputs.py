"""Write into a page's Output fences what its code blocks print.

    python -m tools.fill_outputs docs/tensors.md [more pages]

Runs the page's blocks in order, exactly as the tests do, and replaces the body of each
Output fence with the output of the code block before it. Read the diff before committing:
the tests then hold the page to it.
"""

import contextlib
import os
import sys
import unittest
from pathlib import Path

from tools.sybil_pages import PENDING, PageCodeBlockParser, make_sybil


def fill(page: Path) -> int:
    document = make_sybil().parse(page.resolve())
    text = document.text
    replacements = []
    for example in document.examples():
        if example.region.evaluator is PageCodeBlockParser.check_output:
            _, printed = example.namespace.pop(PENDING, (None, None))
            if printed is None:  # the code block before it was skipped (a CUDA-only block)
                continue
            fence = text[example.region.start : example.region.end]
            head, _, rest = fence.partition("\n")
            closing = rest[rest.rstrip().rfind("\n") + 1 :] if "\n" in rest.rstrip() else rest
            indent = head[: len(head) - len(head.lstrip())]
            body = "".join(
                indent + line if line.strip() else line
                for line in (printed if printed.endswith("\n") else printed + "\n").splitlines(
                    keepends=True
                )
            )
            new = head + "\n" + body + indent + closing.strip()
            replacements.append((example.region.start, example.region.end, new))
        else:
            example.namespace.pop(PENDING, None)
            with contextlib.suppress(unittest.SkipTest):
                example.evaluate()
    for start, end, new in reversed(replacements):
        text = text[:start] + new + text[end:]
    page.write_text(text, encoding="utf-8")
    return len(replacements)


def main(pages: list[str]) -> None:
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    from tools.data import ROOT, fill_from_mirror

    os.chdir(ROOT)
    fill_from_mirror()
    for name in pages:
        with contextlib.redirect_stdout(sys.stderr):
            count = fill(Path(name))
        print(f"{name}: {count} Output fences written")


if __name__ == "__main__":
    main(sys.argv[1:])
