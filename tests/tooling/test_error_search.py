"""The search index tags each entry of the mistakes page with the error messages it shows
(tools/error_search.py), and the build runs that hook."""

import json

from tools import error_search
from tools.sybil_pages import mkdocs_settings


def test_each_mistakes_entry_is_tagged_with_the_messages_it_shows(tmp_path):
    entry = (
        "<p>A layer of the wrong size.</p> <pre><code>try:\n    model(x)\nexcept RuntimeError"
        ' as err:\n    print(f"{type(err).__name__}: {err}")\n</code></pre> Output<pre><code>'
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (8x64 and 32x10)\n"
        "TypeError: can&#x27;t multiply\nRuntimeError: mat1 and mat2 shapes cannot be "
        "multiplied (8x64 and 32x10)\nUnpicklingError: Unsupported global: GLOBAL "
        "torch.nn.modules.linear.Linear was not an allowed global.\n"
        "RuntimeError: Error(s) in loading state_dict for Linear:\n"
        '\tMissing key(s) in state_dict: "weight".\n</code></pre>'
    )
    docs = [
        {"location": "mistakes/", "title": "Common mistakes", "text": "RuntimeError: no"},
        {"location": "mistakes/#shapes", "title": "Shapes", "text": entry},
        {"location": "models/#layers", "title": "Layers", "text": entry, "tags": ["nn.Linear"]},
    ]
    (tmp_path / "search").mkdir()
    index = tmp_path / "search" / "search_index.json"
    index.write_text(json.dumps({"config": {}, "docs": docs}))

    error_search.on_post_build({"site_dir": str(tmp_path)})

    tagged = json.loads(index.read_text())["docs"]
    assert tagged[1]["tags"] == [
        "RuntimeError: mat1 and mat2 shapes cannot be multiplied (8x64 and 32x10)",
        "TypeError: can't multiply",
        "UnpicklingError: Unsupported global: GLOBAL … was not an allowed global.",
        "RuntimeError: Error(s) in loading state_dict for Linear: "
        'Missing key(s) in state_dict: "weight".',
    ]
    assert "tags" not in tagged[0]  # the page itself: its entries carry the messages
    assert tagged[2]["tags"] == ["nn.Linear"]  # other pages as they were


def test_the_build_runs_the_hook():
    hooks = mkdocs_settings()["hooks"]
    assert "tools/error_search.py" in hooks
