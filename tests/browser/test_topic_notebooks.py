"""Every topic page is a notebook too: the page links "Open in Colab" and "Download notebook",
and the notebook it serves is the one the build ran top to bottom with nbclient
(tools/page_notebooks.py): every code cell executed, in order, none raised, and each cell the
build could not run (CUDA, a download) follows a note that says so."""

from urllib.parse import urljoin

import pytest

from tools.notebook_pages import colab_url
from tools.page_notebooks import FOLDER, SKIP_TAG
from tools.paths import DOCS, page_module
from tools.sybil_pages import mkdocs_settings

TOPICS = [page.stem for page in sorted(DOCS.glob("*.md")) if page_module(page).is_file()]


def test_every_topic_page_is_listed():
    assert len(TOPICS) >= 15, f"only {len(TOPICS)} topic pages in docs/"


@pytest.mark.parametrize("name", TOPICS)
def test_a_topic_page_serves_its_notebook_run_top_to_bottom(name, page):
    page.goto(f"{name}/")
    repo = mkdocs_settings()["repo_url"]
    colab = page.get_by_role("link", name="Open in Colab")
    assert colab.get_attribute("href") == colab_url(repo, name, FOLDER)
    download = page.get_by_role("link", name="Download notebook").get_attribute("href")
    response = page.request.get(urljoin(page.url, download))
    assert response.ok, f"/{name}/ links {download}: HTTP {response.status}"
    cells = response.json()["cells"]

    code = [(number, cell) for number, cell in enumerate(cells, 1) if cell["cell_type"] == "code"]
    ran = [(n, c) for n, c in code if SKIP_TAG not in c["metadata"].get("tags", [])]
    assert ran, f"{download}: no code cell ran"
    counts = [cell["execution_count"] for _, cell in ran]
    assert counts == list(range(1, len(ran) + 1)), (
        f"{download}: not run top to bottom: execution counts {counts}"
    )
    failed = [
        f"cell {number}: {output['ename']}: {output['evalue']}"
        for number, cell in code
        for output in cell["outputs"]
        if output["output_type"] == "error"
    ]
    assert not failed, f"{download}: cells raised: {failed}"
    for number, cell in code:
        if SKIP_TAG in cell["metadata"].get("tags", []):
            note = "".join(cells[number - 2]["source"])
            assert "it was not run for this notebook" in note, (
                f"{download}: cell {number} was not run and no note before it says so"
            )
