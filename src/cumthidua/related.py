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

:func:`_related_plainly` says this in the plainest code. A build asks it for
every article, so :func:`related_articles` gets the same lists from an index
of the site built once per process: times as whole microseconds, each pool as
article numbers with their negated times (``bisect`` finds "the nearest in
time" in C, no key function), and each tag's articles split by category. The
articles of a tag window in the article's category, and those sharing two
tags or more, are scored first; the many that share one tag and no category
are scored only when they could still get into the list.
"""

from __future__ import annotations

import heapq
import math
import weakref
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import chain

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


def _related_plainly(site: Site, article: Article) -> list[Article]:
    """The ranking as specified: score every candidate; the index-free answer for odd sites and weights."""
    limit = site.config.other_news
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


# -- the index ----------------------------------------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
NO_CATEGORY = -1


@dataclass
class _Pool:
    """A newest-first list of articles as numbers, with their negated times in µs (ascending, for ``bisect``)."""

    members: list[int] = field(default_factory=list)
    keys: list[int] = field(default_factory=list)

    def add(self, number: int, moment: int) -> None:
        self.members.append(number)
        self.keys.append(-moment)


@dataclass
class _Index:
    """One site's articles as parallel lists, indexed by their position in ``site.articles``."""

    articles: list[Article]
    tag_source: dict[str, list[Article]]
    category_source: dict[str, list[Article]]
    number: dict[int, int]  # id(article) → position
    stamps: list[float]  # article.date.timestamp(), as the ranking reads it
    moments: list[int]  # microseconds since 1970: date differences exactly, as timedelta
    categories: list[int]  # a number per Category object, NO_CATEGORY for none
    sources: list[str]
    everything: _Pool
    category_pools: dict[str, _Pool]
    tag_pools: dict[str, tuple[_Pool, dict[int, _Pool]]]  # tag slug → its pool, and that pool split by category

    def fits(self, site: Site) -> bool:
        """Still the site it was built from (a Site is not changed after assembly, but be sure)."""
        return (
            self.articles is site.articles
            and len(self.articles) == len(self.stamps)
            and self.tag_source is site.tag_articles
            and self.category_source is site.category_articles
        )


_cached: tuple[weakref.ref[Site], _Index | None] | None = None  # per process: forked workers build their own


def _site_index(site: Site) -> _Index | None:
    """The index of ``site``, built on first use; None when it cannot give the plain answer (see _times)."""
    global _cached
    if _cached is not None and _cached[0]() is site and (_cached[1] is None or _cached[1].fits(site)):
        return _cached[1]
    index = _build_index(site)
    _cached = (weakref.ref(site), index)
    return index


def _times(articles: list[Article]) -> tuple[list[float], list[int]] | None:
    """Timestamps and exact µs times, or None when µs differences would not order like date differences.

    They do for aware dates whose zone keeps one offset for the site's articles (``a - b`` of two dates in the
    same zone ignores the offset) and whose timestamps sort as the µs do.
    """
    offsets: dict[int, timedelta | None] = {}
    for article in articles:
        zone = article.date.tzinfo
        offset = article.date.utcoffset()
        if offset is None or offsets.setdefault(id(zone), offset) != offset:
            return None
    stamps = [article.date.timestamp() for article in articles]
    moments = [(article.date - _EPOCH) // _MICROSECOND for article in articles]
    for stamp, moment, next_stamp, next_moment in zip(stamps, moments, stamps[1:], moments[1:], strict=False):
        if moment < next_moment or (stamp == next_stamp) != (moment == next_moment):
            return None
    return stamps, moments


def _build_index(site: Site) -> _Index | None:
    articles = site.articles
    times = _times(articles)
    sources = [article.source for article in articles]
    if times is None or len(set(sources)) != len(sources):
        return None
    stamps, moments = times
    number = {id(article): position for position, article in enumerate(articles)}
    category_numbers: dict[int, int] = {}
    categories = [
        NO_CATEGORY if a.category is None else category_numbers.setdefault(id(a.category), len(category_numbers))
        for a in articles
    ]

    def pool_of(pool_articles: list[Article]) -> _Pool:  # the site's own articles, as assemble_site lists them
        pool = _Pool()
        for article in pool_articles:
            pool.add(number[id(article)], moments[number[id(article)]])
        return pool

    tag_pools = {}
    for slug, members in site.tag_articles.items():
        pool = pool_of(members)
        by_category: dict[int, _Pool] = {}
        for member, key in zip(pool.members, pool.keys, strict=True):
            by_category.setdefault(categories[member], _Pool()).add(member, -key)
        tag_pools[slug] = (pool, by_category)
    category_pools = {slug: pool_of(members) for slug, members in site.category_articles.items()}
    return _Index(articles, site.tag_articles, site.category_articles, number, stamps, moments, categories,
                  sources, pool_of(articles), category_pools, tag_pools)  # fmt: skip


def _window(pool: _Pool, own: int, moment: int, limit: int) -> tuple[int, int] | None:
    """The key bounds of what ``_nearest(pool, article, limit)`` finds, plus the article itself if it is there.

    _nearest takes every article as close in time as the ``limit``-th nearest other one: the articles within
    the ``limit``-th smallest gap (one more when the article itself, gap 0, is in the pool), found by halving.
    """
    keys = pool.keys
    if len(keys) <= limit + 1:
        return (keys[0], keys[-1]) if keys else None
    start = bisect_left(keys, -moment)  # newer articles before, the article's moment and older from here
    rank = limit + (own in pool.members[start : bisect_right(keys, -moment, start)])
    newer, older = start, len(keys) - start
    low, high = max(0, rank - older), min(rank, newer)  # how many of the nearest are newer
    while low < high:
        middle = (low + high) // 2
        if -keys[start - 1 - middle] - moment >= moment + keys[start + rank - 1 - middle]:
            high = middle
        else:
            low = middle + 1
    gap = max(-keys[start - low] - moment if low else 0, moment + keys[start + rank - 1 - low] if rank > low else 0)
    return -moment - gap, gap - moment


def _inside(pool: _Pool, bounds: tuple[int, int]) -> list[int]:
    return pool.members[bisect_left(pool.keys, bounds[0]) : bisect_right(pool.keys, bounds[1])]


def _plain_weights(site: Site) -> bool:
    """Finite weights of at least 0: then a score cannot exceed its value at closeness 1 (the pruning's bound)."""
    weights = site.config.related
    return all(math.isfinite(w) and w >= 0 for w in (weights.category, weights.tags, weights.recency))


def related_articles(site: Site, article: Article) -> list[Article]:
    """The ``other_news`` most related articles, best first."""
    if site.config.other_news == 0:
        return []
    index = _site_index(site) if _plain_weights(site) else None
    own = index.number.get(id(article)) if index is not None else None
    if index is None or own is None:
        return _related_plainly(site, article)
    return [index.articles[number] for number in _ranked(index, site, article, own)]


def _nearby(pool: _Pool, own: int, moment: int, limit: int) -> list[int]:
    bounds = _window(pool, own, moment, limit)
    return _inside(pool, bounds) if bounds is not None else []


def _ranked(index: _Index, site: Site, article: Article, own: int) -> list[int]:
    """_related_plainly on the index: same candidates, same keys, the likely best scored first."""
    limit, weights = site.config.other_news, site.config.related
    moment, category, categories = index.moments[own], index.categories[own], index.categories
    windows: list[list[int]] = []
    first = set()  # candidates in the article's category, then those sharing two tags or more
    for tag in article.tag_terms:
        pool, by_category = index.tag_pools.get(tag.slug, (None, {}))
        bounds = _window(pool, own, moment, TAG_POOL) if pool is not None else None
        if bounds is not None:
            windows.append(_inside(pool, bounds))
            if category != NO_CATEGORY and category in by_category:
                first.update(_inside(by_category[category], bounds))
    shared = Counter(chain.from_iterable(windows))
    if len(shared) < sum(map(len, windows)):
        first.update(number for number, count in shared.items() if count > 1)
    nearby = _nearby(index.everything, own, moment, limit)
    if article.category is not None and article.category.slug in index.category_pools:
        nearby += _nearby(index.category_pools[article.category.slug], own, moment, limit)
    if category != NO_CATEGORY:
        first.update(number for number in nearby if categories[number] == category)
    first.discard(own)

    own_stamp, stamps, sources = index.stamps[own], index.stamps, index.sources

    def rank(number: int) -> tuple:
        stamp = stamps[number]
        near = 1.0 / (1.0 + abs(stamp - own_stamp) / RECENCY_SECONDS)  # as in _related_plainly, term by term
        same_category = category != NO_CATEGORY and categories[number] == category
        score = weights.category * same_category + weights.tags * shared[number] + weights.recency * near
        return (-score, -near, -stamp, sources[number], number)  # sources differ: the number is never compared

    best = heapq.nsmallest(limit, map(rank, first))
    # every other candidate is in another category and shares at most one tag: its score is at most this
    bound = weights.category * False + weights.tags * 1 + weights.recency * 1.0
    if len(best) < limit or -best[-1][0] <= bound:
        rest = (set(shared) | set(nearby)) - first
        rest.discard(own)
        best = heapq.nsmallest(limit, chain(best, map(rank, rest)))
    return [key[-1] for key in best]
