"""The mirror a newcomer can guess: docs/<name>.md <-> snippets/<name>.py <->
tests/topics/test_<name>.py, and a test that names each gallery notebook; the section markers
those files are cut into."""

import re

import pytest

from tools.paths import DOCS, GALLERY, NOT_TOPICS, ROOT, TESTS, page_module, page_test
from tools.sections import Include, SectionError, locate, parse_include, sections

PAGES = sorted(DOCS.glob("*.md"))
NOTEBOOKS = sorted(GALLERY.glob("*.py"))
CHECK = re.compile(r"^\s*assert\b|\bassert_\w+\(", re.M)  # assert, or np/torch.testing.assert_*(


def includes(page):
    text = page.read_text(encoding="utf-8")
    return [include for line in text.splitlines() if (include := parse_include(line))]


def test_the_mirror_holds_for_the_tensors_page():
    page = DOCS / "tensors.md"
    assert page_module(page) == ROOT / "snippets" / "tensors.py"
    assert page_test(page) == TESTS / "topics" / "test_tensors.py"
    assert page_module(DOCS / "first-model.md").name == "first_model.py"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_a_page_that_includes_code_has_its_module_and_its_test_file(page):
    if not includes(page):
        pytest.skip(f"docs/{page.name} includes no code")
    for needed in (page_module(page), page_test(page)):
        assert needed.is_file(), (
            f"docs/{page.name} includes code, so it needs {needed.relative_to(ROOT)} "
            "(see CONTRIBUTING.md, 'Add a topic page')"
        )
    own = page_module(page).relative_to(ROOT).as_posix()
    assert any(include.path == own for include in includes(page)), (
        f"docs/{page.name} includes no section of its own module {own}"
    )


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_a_topic_page_ends_with_exercises_whose_solutions_assert(page):
    """The home page promises exercises whose solutions run: each solution includes an
    exercise section of the page's module, and that section checks itself with asserts."""
    if page.name in NOT_TOPICS:
        pytest.skip(f"docs/{page.name} is not a topic page")
    _, found, exercises = page.read_text(encoding="utf-8").partition("\n## Exercises\n")
    assert found, f"docs/{page.name} has no '## Exercises' section (CONTRIBUTING.md)"
    assert "\n## " not in exercises, f"docs/{page.name}: '## Exercises' is not the last section"
    solutions = exercises.split('??? success "Solution"')[1:]
    assert solutions, f"docs/{page.name}: its exercises have no solution"
    own = page_module(page)
    for number, solution in enumerate(solutions, start=1):
        shown = [
            include
            for line in re.split(r"\n\d+\.  ", solution, maxsplit=1)[0].splitlines()
            if (include := parse_include(line)) and include.path == own.relative_to(ROOT).as_posix()
        ]
        assert shown, f"docs/{page.name}: solution {number} includes no section of {own.name}"
        for include in shown:
            section = locate(include, ROOT)
            assert CHECK.search(section.code()), (
                f"{own.relative_to(ROOT)}:{section.first}: the solution section "
                f"{include.section!r} asserts nothing"
            )


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda path: path.stem)
def test_each_gallery_notebook_has_a_test_that_names_it(notebook):
    test = TESTS / "gallery" / f"test_{notebook.stem}.py"
    assert test.is_file(), f"docs/gallery/{notebook.name} has no test: add {test.relative_to(ROOT)}"
    assert f'"{notebook.stem}"' in test.read_text(encoding="utf-8"), (
        f"{test.relative_to(ROOT)} does not name the notebook {notebook.stem!r}"
    )


def test_every_topic_test_file_has_its_page():
    for test in sorted((TESTS / "topics").glob("test_*.py")):
        page = DOCS / (test.stem.removeprefix("test_").replace("_", "-") + ".md")
        assert page.is_file(), f"{test.relative_to(ROOT)} tests no page: {page} is missing"


def test_include_lines_name_their_file_and_section():
    cat = Include("snippets/tensors.py", "cat")
    assert parse_include('--8<-- "snippets/tensors.py:cat"') == cat
    assert parse_include("    --8<-- 'snippets/a.py'") == Include("snippets/a.py", None)
    assert parse_include("x = 1  # --8<-- not an include") is None


def test_sections_are_found_with_their_code_lines(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("# --8<-- [start:a]\nx = 1\ny = 2\n# --8<-- [end:a]\n")
    section = locate(Include("m.py", "a"), tmp_path)
    assert (section.path, section.first, section.last) == (module, 2, 3)
    with pytest.raises(SectionError, match="no section named 'b'"):
        locate(Include("m.py", "b"), tmp_path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# --8<-- [start:a]\nx = 1\n", r"m\.py:1: section 'a' never closes"),
        ("x = 1\n# --8<-- [end:a]\n", r"m\.py:2: section 'a' closes but never opened"),
        ("# --8<-- [start:a]\n# --8<-- [start:b]\n", r"m\.py:2: section 'b' opens inside"),
    ],
)
def test_markers_that_do_not_pair_up_are_named_with_their_line(tmp_path, text, message):
    module = tmp_path / "m.py"
    module.write_text(text)
    with pytest.raises(SectionError, match=message):
        sections(module)
