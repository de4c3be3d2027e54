"""The site's data classes."""

from __future__ import annotations

import pickle
from types import SimpleNamespace

from cumthidua.models import RelatedLists


def test_related_lists_read_like_a_dict_of_the_site_articles_and_keep_them_shared_when_pickled():
    articles = [SimpleNamespace(source=f"{name}.md") for name in "abcd"]
    related = RelatedLists.of(articles, [[1, 2], [], [0], [2, 1, 0]])
    assert dict(related) == {
        "a.md": [articles[1], articles[2]],
        "b.md": [],
        "c.md": [articles[0]],
        "d.md": [articles[2], articles[1], articles[0]],
    }
    assert "c.md" in related and "e.md" not in related and 3 not in related and len(related) == 4
    site_articles, again = pickle.loads(pickle.dumps((articles, related)))
    shown = again["d.md"]
    assert len(shown) == 3 and all(x is y for x, y in zip(shown, site_articles[2::-1], strict=True))
    assert RelatedLists(articles, *related.arrays())["a.md"] == [articles[1], articles[2]]
