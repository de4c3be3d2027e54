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

:func:`_related_plainly` says this in the plainest code. A build asks for
every article, so :func:`related_articles` gets the same lists from an index
of the site, built once per process: articles numbered newest first, times
in whole microseconds (date differences exactly), every pool a sorted list
of numbers, so ``bisect`` runs in C without a key function and "the nearest
in time" is a span of numbers. Each tag's articles are also split by
category and by the other tag they share. The candidates in the article's
category and those sharing two tags or more are scored first; the many that
share one tag and no category only when they could still get into the list.
"""

from __future__ import annotations

import heapq
import math
import weakref
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain, combinations

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
NO_CATEGORY = -1  # in _Index.categories
NOBODY = -2  # the category an article without one shares with the others

Pool = list[int]  # articles by number (position in site.articles), ascending: newest first
Span = tuple[int, int]  # numbers from..to (excluded): the articles from one moment back to another


@dataclass
class _Index:
    """One site's articles as lists by number, and its pools of articles as sorted lists of numbers."""

    articles: list[Article]
    tag_source: dict[str, list[Article]]
    category_source: dict[str, list[Article]]
    number: dict[int, int]  # id(article) → position
    stamps: list[float]  # article.date.timestamp(), as the ranking reads it
    moments: list[int]  # microseconds since 1970: date differences exactly, as timedelta
    negated: list[int]  # -moments, ascending: bisect turns a moment into a number
    categories: list[int]  # a number per Category object, NO_CATEGORY for none
    sources: list[str]
    everything: Pool
    category_pools: dict[str, Pool]
    tag_pools: dict[str, Pool]
    tag_category_pools: dict[tuple[str, int], Pool]  # a tag's articles in one category
    tag_pair_pools: dict[tuple[str, str], Pool]  # the articles with both tags (slugs in order), if not just one

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
    _cached = (weakref.ref(site, _forget), index)
    return index


def prepare(site: Site) -> None:
    """Build the index of ``site`` now: called before forking, the workers share it instead of each building it."""
    _site_index(site)


def _forget(site: weakref.ref[Site]) -> None:
    """A site is gone (``serve`` builds a new one for each change): let its articles go too."""
    global _cached
    if _cached is not None and _cached[0] is site:
        _cached = None


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
    tag_pools = {slug: [number[id(a)] for a in members] for slug, members in site.tag_articles.items()}
    return _Index(
        articles, site.tag_articles, site.category_articles, number, stamps, moments, [-m for m in moments],
        categories, sources,
        everything=list(range(len(articles))),
        category_pools={slug: [number[id(a)] for a in members] for slug, members in site.category_articles.items()},
        tag_pools=tag_pools,
        tag_category_pools=_by_category(tag_pools, categories),
        tag_pair_pools=_by_pair(tag_pools, len(articles)),
    )  # fmt: skip


def _by_category(tag_pools: dict[str, Pool], categories: list[int]) -> dict[tuple[str, int], Pool]:
    """Each tag's articles split by category."""
    split: dict[tuple[str, int], Pool] = defaultdict(list)
    for slug, members in tag_pools.items():
        for member in members:
            split[slug, categories[member]].append(member)
    return dict(split)


def _by_pair(tag_pools: dict[str, Pool], count: int) -> dict[tuple[str, str], Pool]:
    """The articles of each pair of tags that two articles or more have both of (for one, that is the one asking)."""
    tags_of: list[list[str]] = [[] for _ in range(count)]
    for slug in sorted(tag_pools):
        for member in tag_pools[slug]:
            tags_of[member].append(slug)
    pairs: dict[tuple[str, str], Pool] = defaultdict(list)
    for member, slugs in enumerate(tags_of):
        for pair in combinations(slugs, 2):
            pairs[pair].append(member)
    return {pair: members for pair, members in pairs.items() if len(members) > 1}


def _within(pool: Pool, span: Span) -> list[int]:
    return pool[bisect_left(pool, span[0]) : bisect_left(pool, span[1])]


def _window(index: _Index, pool: Pool, own: int, limit: int) -> Span | None:
    """The span of what ``_nearest(pool, article, limit)`` finds (plus the article itself if it is there).

    _nearest takes every article as close in time as the ``limit``-th nearest other one: the articles within
    the ``limit``-th smallest gap (one more when the article itself, gap 0, is in the pool), found by halving.
    """
    if len(pool) <= limit + 1:
        return (pool[0], pool[-1] + 1) if pool else None
    moments, moment = index.moments, index.moments[own]
    start = bisect_left(pool, bisect_left(index.negated, -moment))  # newer ones before, as old or older from here
    inside = bisect_left(pool, own)
    rank = limit + (inside < len(pool) and pool[inside] == own)
    low, high = max(0, rank - (len(pool) - start)), min(rank, start)  # how many of the nearest are newer
    while low < high:
        middle = (low + high) // 2
        if moments[pool[start - 1 - middle]] - moment >= moment - moments[pool[start + rank - 1 - middle]]:
            high = middle
        else:
            low = middle + 1
    newer_gap = moments[pool[start - low]] - moment if low else 0
    gap = max(newer_gap, moment - moments[pool[start + rank - 1 - low]] if rank > low else 0)
    return bisect_left(index.negated, -moment - gap), bisect_right(index.negated, gap - moment)


def _nearby(index: _Index, pool: Pool, own: int, limit: int) -> list[int]:
    span = _window(index, pool, own, limit)
    return _within(pool, span) if span is not None else []


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
    ranking = _Ranking(index, site, article, own)
    best = ranking.likely_best()
    return [index.articles[key[-1]] for key in (best if best is not None else ranking.all_best())]


class _Ranking:
    """_related_plainly on the index: the same candidates and the same keys, the likely best scored first."""

    def __init__(self, index: _Index, site: Site, article: Article, own: int) -> None:
        self.index, self.site, self.article, self.own = index, site, article, own
        self.category = NOBODY if index.categories[own] == NO_CATEGORY else index.categories[own]
        self.windows: dict[str, Span] = {}  # tag slug → the span of its nearest articles, as _nearest finds them
        for tag in article.tag_terms:
            pool = index.tag_pools.get(tag.slug)
            span = _window(index, pool, own, TAG_POOL) if pool is not None else None
            if span is not None:
                self.windows[tag.slug] = span

    def keys(self, numbers: Iterable[int], shared: dict[int, int], shared_else: int) -> list[tuple]:
        """The ranking key of each candidate, computed term by term as in _related_plainly."""
        index, weights, category = self.index, self.site.config.related, self.category
        stamps, categories, sources = index.stamps, index.categories, index.sources
        own_stamp, wc, wt, wr = stamps[self.own], weights.category, weights.tags, weights.recency
        return [
            (-(wc * (categories[n] == category) + wt * shared.get(n, shared_else)
               + wr * (near := 1.0 / (1.0 + abs(stamps[n] - own_stamp) / RECENCY_SECONDS))),
             -near, -stamps[n], sources[n], n)  # sources differ: the number is never compared
            for n in numbers if n != self.own
        ]  # fmt: skip

    def likely_best(self) -> list[tuple] | None:
        """The best keys among the candidates in the article's category sharing a tag and those sharing two tags
        or more, when no other candidate can beat them; else None."""
        index, weights, limit = self.index, self.site.config.related, self.site.config.other_news
        first: set[int] = set()
        for slug, span in self.windows.items():
            pool = index.tag_category_pools.get((slug, self.category))
            if pool is not None:
                first.update(_within(pool, span))
        in_pairs: Counter[int] = Counter()  # an article sharing s tags is in s(s-1)/2 pairs of windows
        for (slug, span), (other, other_span) in combinations(self.windows.items(), 2):
            pool = index.tag_pair_pools.get((slug, other) if slug < other else (other, slug))
            if pool is not None:
                in_pairs.update(_within(pool, (max(span[0], other_span[0]), min(span[1], other_span[1]))))
        in_pairs.pop(self.own, None)  # not all of its pairs are kept
        shared = {n: (1 + math.isqrt(1 + 8 * pairs)) // 2 for n, pairs in in_pairs.items()}  # s from s(s-1)/2
        first.update(shared)
        best = sorted(self.keys(first, shared, 1))[:limit]
        # any other candidate shares one tag and no category, or a category and no tag: at most this score
        bound = max(weights.category * False + weights.tags * 1, weights.category * True + weights.tags * 0)
        return best if len(best) == limit and -best[-1][0] > bound + weights.recency * 1.0 else None

    def all_best(self) -> list[tuple]:
        """The best keys of all candidates."""
        index, limit, own = self.index, self.site.config.other_news, self.own
        shared = Counter(
            chain.from_iterable(_within(index.tag_pools[slug], span) for slug, span in self.windows.items())
        )
        candidates = set(shared).union(_nearby(index, index.everything, own, limit))
        if self.article.category is not None and self.article.category.slug in index.category_pools:
            candidates.update(_nearby(index, index.category_pools[self.article.category.slug], own, limit))
        return sorted(self.keys(candidates, shared, 0))[:limit]
