"""Unit tests for related.py: "Các tin tức khác" ranked by category, tags and time, deterministic."""

from __future__ import annotations

import gc
from datetime import datetime, timedelta, timezone
from unittest.mock import patch
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from cumthidua import related
from cumthidua.config import RelatedConfig, SiteConfig
from cumthidua.diagnostics import Diagnostics
from cumthidua.models import Article
from cumthidua.related import closeness, newest_first, related_articles
from cumthidua.site import BuildOptions, assemble_site

HANOI = timezone(timedelta(hours=7))
START = datetime(2020, 1, 1, tzinfo=HANOI)


def make(name: str, day: float, category: str | None = None, tags: tuple[str, ...] = ()) -> Article:
    return Article(f"{name}.md", f"content/{name}.md", name, START + timedelta(days=day), Markup(""), "",
                   category_name=category, tags=list(tags))  # fmt: skip


def site_of(articles: list[Article], count: int = 3, related: RelatedConfig | None = None):
    config = SiteConfig(other_news=count, related=related or RelatedConfig())
    return assemble_site(config, articles, BuildOptions(), Diagnostics())


def names(articles: list[Article]) -> list[str]:
    return [a.title for a in articles]


def test_shared_tags_and_category_come_before_mere_recency():
    articles = [
        make("goc", 100, "MTTQ", ("Bầu cử",)),
        make("cung-ngay", 100.5),
        make("cung-tu-khoa", 80, "Khác", ("bầu cử",)),
        make("cung-chuyen-muc", 70, "MTTQ"),
    ]
    site = site_of(articles)
    assert names(related_articles(site, articles[0])) == ["cung-tu-khoa", "cung-chuyen-muc", "cung-ngay"]


def test_ties_are_broken_by_closeness_then_newest_then_source():
    articles = [make("goc", 10), make("b", 12), make("a", 12), make("truoc", 8), make("xa", 0)]
    site = site_of(articles, count=4)
    assert names(related_articles(site, articles[0])) == ["a", "b", "truoc", "xa"]


def test_no_other_news_when_count_is_zero():
    articles = [make("a", 1), make("b", 2)]
    assert related_articles(site_of(articles, count=0), articles[0]) == []


def brute_force(site, article: Article) -> list[Article]:
    """Score every other article: what the pruned search must agree with."""
    weights = site.config.related
    own = {t.slug for t in article.tag_terms}

    def rank(other: Article) -> tuple:
        near = closeness(article, other)
        same = article.category is not None and other.category is article.category
        shared = len(own & {t.slug for t in other.tag_terms})
        return (-(weights.category * same + weights.tags * shared + weights.recency * near), -near, newest_first(other))

    return sorted((a for a in site.articles if a is not article), key=rank)[: site.config.other_news]


article_specs = st.lists(
    st.tuples(
        st.integers(0, 400),
        st.sampled_from([None, "A", "B", "C"]),
        st.lists(st.sampled_from(["x", "y", "z", "w"]), max_size=3, unique=True),
    ),
    min_size=1,
    max_size=30,
)
weights = st.builds(RelatedConfig, st.sampled_from([0.0, 1.0, 3.0]), st.sampled_from([0.0, 0.5, 2.0]),
                    st.sampled_from([0.0, 1.0, 10.0]))  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(article_specs, st.integers(1, 6), weights)
def test_pruned_ranking_equals_scoring_every_article(specs, count, related):
    articles = [make(f"a{i}", day, category, tuple(tags)) for i, (day, category, tags) in enumerate(specs)]
    site = site_of(articles, count, related)
    for article in site.articles:
        assert names(related_articles(site, article)) == names(brute_force(site, article))


zones = st.sampled_from([(HANOI,), (ZoneInfo("Asia/Ho_Chi_Minh"), HANOI), (ZoneInfo("Europe/Berlin"),)])


@settings(max_examples=150, deadline=None)
@given(article_specs, st.integers(1, 6), weights, st.integers(1, 4), zones, st.integers(0, 23))
def test_indexed_ranking_equals_the_plain_one(specs, count, related_weights, pool, zone_choice, hour):
    """Small tag pools make the per-tag cut bite; Berlin's summer time makes date differences differ from
    timestamp differences (the plain ranking is used then); two zone objects with one offset do not."""
    articles = [
        make(f"a{i}", day + hour / 24 + (i % 3) / 1440, category, tuple(tags))
        for i, (day, category, tags) in enumerate(specs)
    ]
    for i, article in enumerate(articles):
        article.date = article.date.astimezone(zone_choice[i % len(zone_choice)])
    site = site_of(articles, count, related_weights)
    with patch.object(related, "TAG_POOL", pool):
        for article in site.articles:
            assert names(related_articles(site, article)) == names(related._related_plainly(site, article))


def test_the_index_is_built_once_per_site_let_go_with_it_and_not_made_for_summer_time():
    articles = [make(f"a{i}", i * 40, "A", ("x",)) for i in range(8)]
    site = site_of(articles)
    related_articles(site, articles[0])
    index = related._site_index(site)
    assert index is not None and related._site_index(site) is index
    del site, index
    gc.collect()
    assert related._cached is None
    berlin = ZoneInfo("Europe/Berlin")
    for article in articles:
        article.date = article.date.astimezone(berlin)
    assert related._site_index(site_of(articles)) is None
