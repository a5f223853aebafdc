"""A reader who types an API name in the search box gets first the page that teaches it."""

from urllib.parse import urljoin, urlsplit

import pytest

SEARCHES = {
    "state_dict": "saving/",
    "no_grad": "autograd/",
    "DataLoader": "data/",
    "clip_grad_norm_": "optimization/",
    "from_numpy": "tensors/",
    "requires_grad": "autograd/",
    "zero_grad": "optimization/",
    "CrossEntropyLoss": "losses/",
}


@pytest.mark.parametrize(("term", "expected"), SEARCHES.items())
def test_search_lists_the_teaching_page_first(term, expected, page, base_url):
    page.goto("")
    page.locator(".md-search__input").press_sequentially(term)  # typed, key by key
    # Results for this query (their links carry it as ?h=...), not for a shorter prefix.
    page.locator(f'.md-search-result__item a[href*="h={term}" i]').first.wait_for()
    pages = page.locator(".md-search-result__item > a.md-search-result__link")
    found = list(
        dict.fromkeys(
            urlsplit(urljoin(page.url, href)).path.removeprefix(urlsplit(base_url).path)
            for href in (link.get_attribute("href") for link in pages.all())
        )
    )
    assert found[0] == expected, (
        f"searching {term!r} lists /{found[0]} first, not /{expected}; pages listed: {found}"
    )
