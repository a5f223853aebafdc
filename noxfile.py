"""Sessions: docs-test (the suite), docs (build), serve (live preview), lint, lock.

`nox -s docs-test -- --device cuda` is what a GPU runner runs.
"""

import os
from pathlib import Path

import nox

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
    session.run("python", "-m", "tools.offline", "mkdocs", "build", "--strict", *session.posargs)


@nox.session(python="3.11")
def serve(session: nox.Session) -> None:
    """Serve the site on localhost with live reload."""
    install(session, "docs")
    session.run(
        "python", "-m", "tools.offline", "mkdocs", "serve", "--livereload", *session.posargs
    )


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
    Path("constraints.txt").write_text(header + frozen)


def require_site(session: nox.Session) -> None:
    site = Path(os.environ.get("GUIDE_SITE_DIR") or "site")  # as tools/paths.py reads it
    if not (site / "index.html").is_file():
        session.error(
            f"{site} has no index.html: build the site first with `nox -s docs`. The browser "
            "checks test the built site; they build nothing."
        )


def install_node_packages(session: nox.Session) -> None:
    # axe-core, linkinator and Lighthouse, pinned in package-lock.json, into node_modules/.
    session.run("npm", "ci", "--no-audit", "--no-fund", external=True)


@nox.session(name="browser-test", python="3.11")
def browser_test(session: nox.Session) -> None:
    """Test the built site in Chromium (apt-get install chromium): every page loads offline
    without console errors, search, copy buttons, theme toggle, gallery figures, axe-core,
    internal links and anchors; screenshots go to test-artifacts/."""
    require_site(session)
    install(session, "browser")
    install_node_packages(session)
    # An explicit path: pytest's norecursedirs keeps tests/browser out of `nox -s docs-test`.
    session.run("pytest", "tests/browser", *session.posargs)


@nox.session(python="3.11")
def lighthouse(session: nox.Session) -> None:
    """Lighthouse on the home, a topic and a gallery page of site/: performance and
    accessibility >= 95 (reports in test-artifacts/lighthouse/)."""
    require_site(session)
    install_node_packages(session)
    session.install("--no-deps", "-e", ".")  # tools/: the local server, stdlib only
    session.run("python", "-m", "tools.lighthouse", *session.posargs)


@nox.session(name="linkcheck-external", python="3.11")
def linkcheck_external(session: nox.Session) -> None:
    """List and check the site's external links (uses the network: not run in CI)."""
    require_site(session)
    install_node_packages(session)
    session.install("--no-deps", "-e", ".")
    session.run("python", "-m", "tools.external_links")
