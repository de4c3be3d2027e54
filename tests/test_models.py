"""The site's data classes."""

from __future__ import annotations

import pickle
from types import SimpleNamespace

from cumthidua.models import PageLink, Pagination, RelatedLists


def test_related_lists_give_each_article_its_list_of_the_site_articles_shared_when_pickled():
    articles = [SimpleNamespace(source=f"{name}.md") for name in "abcd"]
    related = RelatedLists.of(articles, [[1, 2], [], [0], [2, 1, 0]])
    assert len(related) == 4
    assert [related.at(n) for n in range(4)] == [[articles[1], articles[2]], [], [articles[0]], articles[2::-1]]
    site_articles, again = pickle.loads(pickle.dumps((articles, related)))
    shown = again.at(3)
    assert len(shown) == 3 and all(x is y for x, y in zip(shown, site_articles[2::-1], strict=True))
    assert RelatedLists(articles, *related.arrays()).at(0) == [articles[1], articles[2]]


def test_a_listing_shows_the_first_last_and_near_pages_with_a_gap_mark_three_away():
    """``Pagination.window``, against the rule it stands for, looked at for every page of listings up to 30."""
    for total in range(1, 31):
        links = [PageLink(number, f"page/{number}/") for number in range(1, total + 1)]
        for number in range(1, total + 1):
            expected = []
            for link in links:
                gap = abs(link.number - number)
                if gap <= 2 or link.number in (1, total):
                    expected.append(link)
                elif gap == 3:
                    expected.append(None)
            assert Pagination(number, total, links).window == expected, (number, total)
    window = Pagination(50, 5000, [PageLink(n, str(n)) for n in range(1, 5001)]).window
    assert [link and link.number for link in window] == [1, None, 48, 49, 50, 51, 52, None, 5000]
