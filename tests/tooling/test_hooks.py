"""The build's hooks: the gallery cache follows the code a notebook imports, and each page's
verification footer says what the test run recorded."""

from pathlib import Path

import mkdocs_jupyter.plugin as plugin

from tools import mkdocs_hooks
from tools.verification import page_footer

PLUGIN_KEYS = ("kernel_name", "theme", "allow_errors", "show_input", "no_input", "no_prompt",
               "remove_tag_config", "highlight_extra_classes", "include_requirejs",
               "custom_mathjax_url", "toc_depth")  # fmt: skip


def test_a_notebook_depends_on_the_snippets_it_imports_transitively(tmp_path, monkeypatch):
    package = tmp_path / "snippets"
    package.mkdir()
    (package / "a.py").write_text("from snippets.b import thing\n")
    (package / "b.py").write_text("thing = 1\n")
    (package / "c.py").write_text("other = 2\n")
    notebook = tmp_path / "nb.py"
    notebook.write_text("import os\nfrom snippets.a import thing\n")
    monkeypatch.setattr(mkdocs_hooks, "ROOT", tmp_path)
    assert mkdocs_hooks.snippet_imports(notebook) == {package / "a.py", package / "b.py"}


def test_the_cache_key_changes_with_imported_code_only(tmp_path, monkeypatch):
    package = tmp_path / "snippets"
    package.mkdir()
    (package / "a.py").write_text("x = 1\n")
    (package / "unused.py").write_text("y = 1\n")
    notebook = tmp_path / "nb.py"
    notebook.write_text("from snippets.a import x\n")
    monkeypatch.setattr(mkdocs_hooks, "ROOT", tmp_path)
    monkeypatch.setattr(plugin, "_compute_cache_key", plugin._compute_cache_key)
    mkdocs_hooks.on_startup(command="build", dirty=False)
    config = dict.fromkeys(PLUGIN_KEYS)

    def key() -> str:
        return plugin._compute_cache_key(str(notebook), config, True)

    first = key()
    (package / "unused.py").write_text("y = 2\n")
    assert key() == first
    (package / "a.py").write_text("x = 2\n")
    assert key() != first


def test_the_footer_says_what_the_test_run_recorded():
    record = {
        "device_name": "CPU",
        "date": "2026-11-23 18:00 UTC",
        "python": "3.11.7",
        "torch": "2.14.1",
        "torchvision": "0.29.1",
        "pages": {"tensors.md": {"passed": 30, "skipped": 1}},
    }
    footer = page_footer("tensors.md", {"cpu": record})
    assert "CPU (CPU): 30 blocks passed, 1 skipped on 2026-11-23 18:00 UTC" in footer
    assert "torch 2.14.1, torchvision 0.29.1" in footer
    assert "CUDA: not run for this build" in footer
    assert "not run for this build" in page_footer("new-page.md", {"cpu": record})


def test_the_repository_gallery_notebook_keys_on_its_snippets():
    root = Path(mkdocs_hooks.ROOT)
    imports = mkdocs_hooks.snippet_imports(root / "docs" / "gallery" / "xor.py")
    assert {root / "snippets" / "xor.py", root / "snippets" / "_gallery.py"} <= imports
