"""Sessions: docs-test (the suite), docs (build), serve (live preview), lint, lock.

`nox -s docs-test -- --device cuda` is what a GPU runner runs.
"""

import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from tools.offline import build_env  # noqa: E402

PYPROJECT = nox.project.load_toml("pyproject.toml")
CONSTRAINTS = ("-c", "constraints.txt")

nox.options.sessions = ["lint", "docs-test", "docs"]
nox.options.default_venv_backend = "virtualenv"  # pip, which reads this machine's pip config


def install(session: nox.Session, group: str) -> None:
    session.install(*CONSTRAINTS, "-e", ".", *nox.project.dependency_groups(PYPROJECT, group))


@nox.session(name="docs-test", python="3.11")
def docs_test(session: nox.Session) -> None:
    """Run every page's code, the snippets' behaviour tests and the gallery in fast mode."""
    install(session, "test")
    session.run(
        "pytest",
        "--cov=snippets",
        "--cov-report=term-missing",
        "--cov-fail-under=100",
        "--record-verification",
        *session.posargs,
        env={"MPLBACKEND": "Agg"},
    )


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    """Build the site into site/, executing the gallery (mkdocs build --strict)."""
    install(session, "docs")
    session.run("mkdocs", "build", "--strict", *session.posargs, env=build_env())


@nox.session(python="3.11")
def serve(session: nox.Session) -> None:
    """Serve the site on localhost with live reload."""
    install(session, "docs")
    session.run("mkdocs", "serve", "--livereload", *session.posargs, env=build_env())


@nox.session(python="3.11")
def data(session: nox.Session) -> None:
    """Download the data sets into data/ (the one session that uses the network)."""
    install(session, "docs")
    session.run("python", "-m", "tools.fetch_data")


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff: lint and format check of everything, snippets and gallery included."""
    session.install(*CONSTRAINTS, *nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python="3.11")
def lock(session: nox.Session) -> None:
    """Re-resolve the pins of constraints.txt from pyproject.toml (review the diff)."""
    session.install("-e", ".", *nox.project.dependency_groups(PYPROJECT, "test"))
    frozen = session.run("pip", "freeze", "--exclude-editable", silent=True)
    header = (
        "# Every package of the docs and test environments, pinned: a rebuild next year "
        "gives the same site.\n# Regenerate with: nox -s lock\n"
    )
    (ROOT / "constraints.txt").write_text(header + frozen)
