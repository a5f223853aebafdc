"""Sessions: docs-test (the suite), docs (build), serve (live preview), browser-test, lint,
bench, lock, and the sessions that need the network (data, linkcheck-external).

`nox -s docs-test -- --device cuda` is what a GPU runner runs.

data, docs-test, docs, serve, browser-test and bench share one environment, `.nox/guide`: torch and
its CUDA wheels (5.5 GB) are installed once per clone, not once per session. Each session
installs its dependency group (pyproject.toml) into it, pinned by constraints.txt, unless the
group is installed already, as pinned (.nox/guide/.installed).
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nox

PYPROJECT = nox.project.load_toml("pyproject.toml")
CONSTRAINTS = ("-c", "constraints.txt")
GUIDE_ENV = Path(".nox/guide")

nox.options.sessions = ["lint", "docs-test", "docs"]
nox.options.default_venv_backend = "virtualenv"  # pip, which reads this machine's pip config


def guide_env(session: nox.Session, group: str) -> dict[str, str]:
    """The shared environment, created if missing, with `group` installed; the variables that
    make `session.run` use it."""
    python = GUIDE_ENV / "bin" / "python"
    if not python.exists():
        creator = shutil.which("python3.11") or sys.executable
        session.run(creator, "-m", "venv", str(GUIDE_ENV), external=True)
        install_torch_wheels(session, python)
    groups = nox.project.dependency_groups(PYPROJECT, group)
    # pip takes 6 s to find a group installed already: skipped when .nox/guide/.installed says
    # the group's requirements were installed with this pyproject.toml and constraints.txt
    # (delete .nox/guide/ to install everything again).
    pinned = Path("pyproject.toml").read_bytes() + Path("constraints.txt").read_bytes()
    pins = hashlib.sha256(pinned).hexdigest()
    stamp = GUIDE_ENV / ".installed"
    record = json.loads(stamp.read_text()) if stamp.is_file() else {}
    installed = set(record["requirements"]) if record.get("pins") == pins else set()
    if set(groups) <= installed:
        session.log(f"{GUIDE_ENV}: the {group} group is installed, as pinned")
    else:
        session.run(*pip_install(python), "-e", ".", *groups, external=True)
        record = {"pins": pins, "requirements": sorted(installed | set(groups))}
        stamp.write_text(json.dumps(record, indent=1))
    root = GUIDE_ENV.resolve()
    return {"PATH": f"{root / 'bin'}{os.pathsep}{os.environ['PATH']}", "VIRTUAL_ENV": str(root)}


def pip_install(python: Path) -> list[str]:
    """`pip install` as every install into the shared environment runs it: pinned, quiet."""
    return [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            *CONSTRAINTS]  # fmt: skip


def install_torch_wheels(session: nox.Session, python: Path) -> None:
    """torch, triton and the CUDA wheels torch requires, as constraints.txt pins them: 5.3 GB
    to unpack, which one pip does on one core. Two pips unpack them side by side (about 2 and
    3 GB), and the group's install then finds them in place. Three back-to-back pairs on a
    2-core machine, each into a fresh environment: 67-100 s with two pips, 87-124 s with one."""
    pins = [line.split("==")[0] for line in Path("constraints.txt").read_text().splitlines()]
    halves = [
        [name for name in pins if name in {"torch", "triton"}],
        [name for name in pins if name.startswith(("nvidia-", "cuda-"))],
    ]
    pips = []
    for names in filter(None, halves):
        session.log(f"pip install --no-deps {' '.join(names)} (two pips at once)")
        pips.append(
            subprocess.Popen(
                [*pip_install(python), "--no-deps", *names],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )
    for pip in pips:
        output = pip.communicate()[0]
        if pip.returncode:
            session.error(f"{' '.join(pip.args)} failed:\n{output}")


def run(session: nox.Session, env: dict[str, str], program: str, *args: str) -> None:
    """Run a program of the shared environment (by its path: nox looks up a bare name on the
    PATH it started with, not on the one given in `env`)."""
    session.run(str(GUIDE_ENV.resolve() / "bin" / program), *args, env=env, external=True)


@nox.session(name="docs-test", python=False)
def docs_test(session: nox.Session) -> None:
    """Run every page's code, the snippets' behaviour tests and the gallery in fast mode, on
    both cores (a page's blocks stay in one process: --dist loadfile). Files go to the two
    workers in collection order (--no-loadscope-reorder), not most tests first: the
    gallery's and the tooling's few long tests start first, and the pages' many short blocks
    fill in at the end, so that the two workers finish together."""
    env = guide_env(session, "test")
    # pytest keeps each test module, assertions rewritten, in __pycache__ for the next run
    # and for the other worker; some machines (this project's CI image) set
    # PYTHONDONTWRITEBYTECODE=1, which makes every process rewrite every module again.
    run(
        session,
        {**env, "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": ""},
        "pytest",
        "--numprocesses=2",
        "--dist=loadfile",
        "--no-loadscope-reorder",
        "--cov=snippets",
        "--cov-report=term-missing",
        "--cov-fail-under=100",
        "--record-verification",
        *session.posargs,
    )


@nox.session(python=False)
def docs(session: nox.Session) -> None:
    """Build the site into site/, executing the gallery (mkdocs build --strict)."""
    env = guide_env(session, "docs")
    run(session, env, "python", "-m", "tools.offline", "mkdocs", "build", "--strict",
        *session.posargs)  # fmt: skip


@nox.session(python=False)
def serve(session: nox.Session) -> None:
    """Serve the site on localhost with live reload."""
    env = guide_env(session, "docs")
    run(session, env, "python", "-m", "tools.offline", "mkdocs", "serve", "--livereload",
        *session.posargs)  # fmt: skip


@nox.session(python=False)
def bench(session: nox.Session) -> None:
    """Print the figures the speed budgets are about: the suite, a warm rebuild, the gallery
    per notebook (`-- --fresh-clone`: also each stage of `bash .ci/run` in a fresh clone)."""
    env = guide_env(session, "test")
    run(session, {**env, "MPLBACKEND": "Agg"}, "python", "-m", "tools.bench", *session.posargs)


@nox.session(python=False)
def data(session: nox.Session) -> None:
    """Download the data sets into data/ (the one session that uses the network), from the
    shared environment: a fresh clone installs torch once, not once more for this."""
    env = guide_env(session, "docs")
    run(session, env, "python", "-m", "tools.fetch_data")


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff: lint and format check of everything, snippets and gallery included."""
    session.install(*CONSTRAINTS, *nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python="3.11")
def lock(session: nox.Session) -> None:
    """Re-resolve the pins of constraints.txt from pyproject.toml (review the diff)."""
    session.install("-e", ".", *nox.project.dependency_groups(PYPROJECT, "browser"))
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


NODE_STAMP = Path("node_modules/.installed-package-lock.json")  # the lock npm ci installed


def install_node_packages(session: nox.Session) -> None:
    """axe-core, linkinator, vnu-jar and Lighthouse, pinned in package-lock.json, into
    node_modules/ (npm ci), unless node_modules/ holds that lock's packages already."""
    lock = Path("package-lock.json").read_bytes()
    if NODE_STAMP.is_file() and NODE_STAMP.read_bytes() == lock:
        session.log("node_modules/ is package-lock.json's: not installed again")
        return
    session.run("npm", "ci", "--no-audit", "--no-fund", external=True)
    NODE_STAMP.write_bytes(lock)


@nox.session(name="node-packages", python=False)
def node_packages(session: nox.Session) -> None:
    """Install node_modules/ as the browser sessions do (.ci/run runs it in the background
    while the suite and the build run)."""
    install_node_packages(session)


@nox.session(name="browser-test", python=False)
def browser_test(session: nox.Session) -> None:
    """Test the built site in Chromium (apt-get install chromium): every page loads offline
    without console errors, search, copy buttons, theme toggle, gallery figures, the topic
    pages' notebooks, axe-core, the Nu Html Checker, internal links and anchors; screenshots go
    to test-artifacts/."""
    require_site(session)
    env = guide_env(session, "browser")
    install_node_packages(session)
    # An explicit path: pytest's norecursedirs keeps tests/browser out of `nox -s docs-test`.
    run(session, env, "pytest", "tests/browser", *session.posargs)


@nox.session(python="3.11")
def lighthouse(session: nox.Session) -> None:
    """Lighthouse on the home page and the heaviest topic and gallery pages of site/, three
    runs each: median performance >= 97, accessibility 100 (reports in
    test-artifacts/lighthouse/)."""
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
