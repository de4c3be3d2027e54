"""Rank "Các tin tức khác" by what an article really shares with the others.

score = ``related.category`` × same category + ``related.tags`` × shared tags
+ ``related.recency`` × closeness in time, where closeness is 1 for the same
moment and 1/2 for articles 30 days apart. Ties go to the article closer in
time, then the newer one, then the source path, so the list never wobbles
between builds (jekyll#9562).

Only plausible candidates are scored: articles sharing a tag, plus the
nearest articles in time in the same category and in the whole site. Any
article left out shares no tag and is beaten by at least ``limit`` of the
nearer ones, so the answer is the same as scoring every article.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import timedelta

from .models import Article, Site

RECENCY_DAYS = 30.0


def newest_first(article: Article) -> tuple:
    """Newest first; ties broken by the source path so order never wobbles."""
    return (-article.date.timestamp(), article.source)


def closeness(a: Article, b: Article) -> float:
    """1.0 for the same moment, 0.5 at 30 days apart, towards 0 for far apart."""
    days = abs((a.date - b.date).total_seconds()) / 86400
    return 1.0 / (1.0 + days / RECENCY_DAYS)


def _nearest(pool: list[Article], article: Article, limit: int) -> list[Article]:
    """The ``limit`` articles of a newest-first list closest in time to ``article``, plus any as close as the last."""

    def gap(index: int) -> timedelta:
        return abs(pool[index].date - article.date)

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


def _candidates(site: Site, article: Article, limit: int) -> dict[int, Article]:
    pools = [site.tag_articles.get(tag.slug, []) for tag in article.tag_terms]
    if article.category is not None:
        pools.append(_nearest(site.category_articles.get(article.category.slug, []), article, limit))
    pools.append(_nearest(site.articles, article, limit))
    found = {id(candidate): candidate for pool in pools for candidate in pool}
    found.pop(id(article), None)
    return found


def related_articles(site: Site, article: Article) -> list[Article]:
    """The ``other_news`` most related articles, best first."""
    limit = site.config.other_news
    if limit == 0:
        return []
    weights = site.config.related
    own_tags = {tag.slug for tag in article.tag_terms}

    def rank(candidate: Article) -> tuple:
        near = closeness(article, candidate)
        same_category = article.category is not None and candidate.category is article.category
        shared = len(own_tags.intersection(tag.slug for tag in candidate.tag_terms))
        score = weights.category * same_category + weights.tags * shared + weights.recency * near
        return (-score, -near, newest_first(candidate))

    return sorted(_candidates(site, article, limit).values(), key=rank)[:limit]
