"""The Nu Html Checker (vnu-jar, pinned in package-lock.json) over every page of site/: no
error in the markup this project writes (its templates, its hooks, the notebook pages).

The theme's own markup has errors this project does not write; ALLOWED lists each, with why
it stays. An entry that no longer occurs fails too, so the list never outlives its reason.
"""

import json
import subprocess
from pathlib import Path

import pytest

from tools.paths import ROOT, SITE

VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

# The start of the checker's message -> why the theme's markup is left as it is.
ALLOWED = {
    "Attribute “autocomplete” is only allowed when the input type is": (
        "Material's drawer and search toggles are <input type=checkbox autocomplete=off>: "
        "the attribute keeps Firefox from restoring a toggle's state on going back"
    ),
    "Bad value “” for attribute “tabindex” on element “label”": (
        'Material\'s nav-item partial writes tabindex="" on the label of a navigation '
        "section that has no index page"
    ),
}


@pytest.fixture(scope="module")
def checked() -> tuple[list[str], list[dict]]:
    """The pages the checker read, and its errors."""
    if not VNU.is_file():
        pytest.fail(f"{VNU.relative_to(ROOT)} is missing: run `npm ci` (nox -s browser-test does)")
    run = subprocess.run(
        ["java", "-jar", str(VNU), "--format", "json", "--verbose", "--exit-zero-always",
         "--skip-non-html", str(SITE)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    pages = [Path(line).resolve() for line in run.stdout.splitlines()]
    errors = [m for m in json.loads(run.stderr)["messages"] if m["type"] != "info"]
    return pages, errors


def allowed(error: dict) -> bool:
    return error["message"].startswith(tuple(ALLOWED))


def test_the_checker_reads_every_page(checked):
    pages, _ = checked
    built = sorted(path.resolve() for path in SITE.rglob("*.html"))
    assert len(built) > 20
    assert sorted(pages) == built


def test_no_error_in_this_projects_markup(checked):
    _, errors = checked
    ours = [
        f"{error['url'].removeprefix('file:')}:"
        f"{error.get('lastLine', '?')}: {error['message']} "
        f"in {' '.join(error.get('extract', '').split())!r}"
        for error in errors
        if not allowed(error)
    ]
    assert not ours, f"{len(ours)} errors of the Nu Html Checker:\n" + "\n".join(ours)


@pytest.mark.parametrize("message", ALLOWED)
def test_every_allowed_error_still_occurs(checked, message):
    _, errors = checked
    assert any(error["message"].startswith(message) for error in errors), (
        f"no page has {message!r} any more: remove it from ALLOWED in {__file__}"
    )
