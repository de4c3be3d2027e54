"""The site's data classes."""

from __future__ import annotations

import pickle
from types import SimpleNamespace

from cumthidua.models import RelatedLists


def test_related_lists_give_each_article_its_list_of_the_site_articles_shared_when_pickled():
    articles = [SimpleNamespace(source=f"{name}.md") for name in "abcd"]
    related = RelatedLists.of(articles, [[1, 2], [], [0], [2, 1, 0]])
    assert len(related) == 4
    assert [related.at(n) for n in range(4)] == [[articles[1], articles[2]], [], [articles[0]], articles[2::-1]]
    site_articles, again = pickle.loads(pickle.dumps((articles, related)))
    shown = again.at(3)
    assert len(shown) == 3 and all(x is y for x, y in zip(shown, site_articles[2::-1], strict=True))
    assert RelatedLists(articles, *related.arrays()).at(0) == [articles[1], articles[2]]
