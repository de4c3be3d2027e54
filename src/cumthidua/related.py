"""Rank "Các tin tức khác" by what an article really shares with the others.

score = ``related.category`` × same category + ``related.tags`` × shared tags
+ ``related.recency`` × closeness in time, where closeness is 1 for the same
moment and 1/2 for articles 30 days apart. Ties go to the article closer in
time, then the newer one, then the source path, so the list never wobbles
between builds (jekyll#9562).

Only plausible candidates are scored: articles sharing a tag (the
``TAG_POOL`` nearest in time for each tag), plus the nearest articles in time
in the same category and in the whole site. Any other article shares no tag
and is beaten by at least ``limit`` of the nearer ones, so below ``TAG_POOL``
articles a tag the answer is the same as scoring every article; above it, a
tag's articles far away in time are left out, which keeps a build of a big
portal linear in its size.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from collections import Counter
from datetime import timedelta

from .models import Article, Site

RECENCY_DAYS = 30.0
RECENCY_SECONDS = RECENCY_DAYS * 86400
TAG_POOL = 100  # per shared tag, only the articles nearest in time are scored: big tags stay fast


def newest_first(article: Article) -> tuple:
    """Newest first; ties broken by the source path so order never wobbles."""
    return (-article.date.timestamp(), article.source)


def closeness(a: Article, b: Article) -> float:
    """1.0 for the same moment, 0.5 at 30 days apart, towards 0 for far apart."""
    return 1.0 / (1.0 + abs(a.date.timestamp() - b.date.timestamp()) / RECENCY_SECONDS)


def _nearest(pool: list[Article], article: Article, limit: int) -> list[Article]:
    """The ``limit`` articles of a newest-first list closest in time to ``article``, plus any as close as the last."""

    def gap(index: int) -> timedelta:
        return abs(pool[index].date - article.date)

    if len(pool) <= limit + 1:  # all of it, whatever the order
        return [candidate for candidate in pool if candidate is not article]
    position = bisect_left(pool, newest_first(article), key=newest_first)
    newer, older = position - 1, position  # gaps only grow going outwards on both sides
    found: list[Article] = []
    cutoff: timedelta | None = None
    while newer >= 0 or older < len(pool):
        take_newer = older >= len(pool) or (newer >= 0 and gap(newer) <= gap(older))
        index = newer if take_newer else older
        if cutoff is not None and gap(index) > cutoff:
            break
        newer, older = (newer - 1, older) if take_newer else (newer, older + 1)
        if pool[index] is not article:
            found.append(pool[index])
            if len(found) == limit:
                cutoff = gap(index)
    return found


def related_articles(site: Site, article: Article) -> list[Article]:
    """The ``other_news`` most related articles, best first."""
    limit = site.config.other_news
    if limit == 0:
        return []
    weights = site.config.related
    shared: Counter[int] = Counter()  # id(candidate) → tags shared with the article
    candidates: dict[int, Article] = {}
    for tag in article.tag_terms:
        for candidate in _nearest(site.tag_articles.get(tag.slug, []), article, TAG_POOL):
            shared[id(candidate)] += 1
            candidates[id(candidate)] = candidate
    nearby = _nearest(site.articles, article, limit)
    if article.category is not None:
        nearby += _nearest(site.category_articles.get(article.category.slug, []), article, limit)
    candidates.update((id(candidate), candidate) for candidate in nearby)
    candidates.pop(id(article), None)

    own_stamp = article.date.timestamp()

    def rank(candidate: Article) -> tuple:
        stamp = candidate.date.timestamp()
        near = 1.0 / (1.0 + abs(stamp - own_stamp) / RECENCY_SECONDS)  # as closeness(), on timestamps once
        same_category = article.category is not None and candidate.category is article.category
        score = weights.category * same_category + weights.tags * shared[id(candidate)] + weights.recency * near
        return (-score, -near, -stamp, candidate.source)

    return heapq.nsmallest(limit, candidates.values(), key=rank)
