"""Assemble articles into a :class:`Site` and list every page it will have.

Publishing rules (drafts, future dates), URLs and their collisions, categories,
neighbours and the "Các tin tức khác" list are decided here, from the models
alone, so that rendering only formats what this module chose.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from .config import SiteConfig
from .diagnostics import Diagnostics
from .models import Article, Category, Page, PageLink, Pagination, Site
from .related import newest_first, related_articles
from .urls import category_url, page_url, permalink, tag_url
from .vietnamese import nfc, slugify, sort_key


@dataclass(frozen=True)
class BuildOptions:
    drafts: bool = False
    future: bool = False
    now: datetime | None = None  # the build's "now", for future-dated articles


@lru_cache(maxsize=65536)  # a site has few distinct category and tag names, used by thousands of articles
def term_key(name: str) -> str:
    """Spellings that differ only in case or Unicode form ("Hà Nội", "Hà nội", NFD) are one term.

    Letters with other diacritics make another term ("Lê" is not "Lễ", "Ha Noi" is not "Hà Nội").
    """
    return nfc(name).casefold()


def group_names(names: Iterable[str]) -> dict[str, str]:
    """Map each term (see :func:`term_key`) to its most used spelling ("Hà Nội" beats "Hà nội" 3 to 1).

    On a tie the spelling with more capitals wins: editors capitalize proper names, and a tag is usually one.
    """
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for name in names:
        counts[term_key(name)][name] += 1
    return {
        key: min(spellings.items(), key=lambda item: (-item[1], -sum(map(str.isupper, item[0])), sort_key(item[0])))[0]
        for key, spellings in counts.items()
    }


def is_published(article: Article, options: BuildOptions) -> bool:
    if article.draft and not options.drafts:
        return False
    is_future = options.now is not None and article.date > options.now
    return options.future or not is_future


def _make_terms(names: Iterable[str], url_of: Callable[[str], str]) -> dict[str, Category]:
    """One term per :func:`term_key`; terms whose ASCII slugs clash ("Lê", "Lễ") get ``-2``, ``-3``…

    The most used term keeps the plain slug (ties in Vietnamese order), so URLs do not depend on file order.
    """
    names = list(names)
    uses = Counter(term_key(name) for name in names)
    spellings = group_names(names)
    terms: dict[str, Category] = {}
    taken: set[str] = set()
    for key in sorted(spellings, key=lambda key: (-uses[key], sort_key(spellings[key]), key)):
        base = slugify(spellings[key])
        slug, number = base, 2
        while slug in taken:
            slug, number = f"{base}-{number}", number + 1
        taken.add(slug)
        terms[key] = Category(spellings[key], slug, url_of(slug))
    return terms


def _assign_categories(articles: list[Article]) -> list[Category]:
    categories = _make_terms((a.category_name for a in articles if a.category_name), category_url)
    for article in articles:
        if article.category_name:
            category = categories[term_key(article.category_name)]
            category.count += 1
            article.category = category
    return sorted(categories.values(), key=lambda c: sort_key(c.name))


def _assign_tags(articles: list[Article]) -> list[Category]:
    """Tags work like categories: "Hà Nội", "Hà nội" and NFD input are one tag (tags without letters are dropped)."""
    tags = _make_terms((tag for a in articles for tag in a.tags if _has_slug(tag)), tag_url)
    for article in articles:
        keys = dict.fromkeys(term_key(tag) for tag in article.tags if _has_slug(tag))
        article.tag_terms = [tags[key] for key in keys]
        for tag in article.tag_terms:
            tag.count += 1
    return sorted(tags.values(), key=lambda t: sort_key(t.name))


@lru_cache(maxsize=65536)
def _has_slug(name: str) -> bool:
    """A name with a letter or digit, so it can have a URL."""
    return bool(slugify(name))


def _assign_urls(articles: list[Article], config: SiteConfig, diagnostics: Diagnostics) -> None:
    """Give every article a unique URL.

    Explicit slugs that clash are an error naming both files; a derived slug
    that clashes gets ``-2``, ``-3``… in date order (oldest keeps the plain one).
    """
    taken: dict[str, Article] = {}
    oldest_first = sorted(articles, key=lambda a: (a.date.timestamp(), a.source))
    for article in sorted(oldest_first, key=lambda a: not a.explicit_slug):
        url = permalink(config.permalink, article, article.slug)
        if url in taken and article.explicit_slug:
            other = taken[url]
            line, col = article.position("slug")
            diagnostics.error(
                article.source_path, line, col,
                f"slug {article.slug!r} gives the URL /{url}, already used by {other.source_path}",
            )  # fmt: skip
        number = 2  # after a clash too, so the failing build reports nothing more about this article
        while url in taken:
            url = permalink(config.permalink, article, f"{article.slug}-{number}")
            number += 1
        taken[url] = article
        article.url = url


def assemble_site(config: SiteConfig, articles: list[Article], options: BuildOptions, diagnostics: Diagnostics) -> Site:
    published = [a for a in articles if is_published(a, options)]
    categories = _assign_categories(published)
    tags = _assign_tags(published)
    _assign_urls(published, config, diagnostics)
    published.sort(key=newest_first)
    by_category: dict[str, list[Article]] = defaultdict(list)
    by_tag: dict[str, list[Article]] = defaultdict(list)
    for article in published:
        if article.category:
            by_category[article.category.slug].append(article)
        for tag in article.tag_terms:
            by_tag[tag.slug].append(article)
    site = Site(config, published, categories, dict(by_category), tags=tags, tag_articles=dict(by_tag))
    site.index_of = {article.url: index for index, article in enumerate(published)}
    return site


def neighbours(site: Site, article: Article) -> tuple[Article | None, Article | None]:
    """The newer and the older article across the whole site."""
    index = site.index_of[article.url]
    newer = site.articles[index - 1] if index > 0 else None
    older = site.articles[index + 1] if index + 1 < len(site.articles) else None
    return newer, older


def place_of(site: Site, article: Article) -> int | None:
    """Where this very article is in ``site.articles``; None when the site does not list it (unpublished, or
    another article at its url)."""
    position = site.index_of.get(article.url)
    return position if position is not None and site.articles[position] is article else None


def other_news(site: Site, article: Article) -> list[Article]:
    """ "Các tin tức khác": the most related articles (see :mod:`cumthidua.related`).

    A build works them out ahead, in parallel and from its cache (``incremental.work_out_related``).
    """
    position = place_of(site, article)
    if site.related is not None and position is not None:
        return site.related.at(position)
    return related_articles(site, article)


def paginate(articles: list[Article], base: str, per_page: int) -> list[tuple[list[Article], Pagination]]:
    """Split a listing into pages; an empty listing still has its first page."""
    total = max(1, -(-len(articles) // per_page))
    links = [PageLink(number, page_url(base, number)) for number in range(1, total + 1)]
    return [
        (articles[(number - 1) * per_page : number * per_page], Pagination(number, total, links))
        for number in range(1, total + 1)
    ]


def _listing_title(name: str, pagination: Pagination, site: Site, page_word: str) -> str:
    suffix = f" – {page_word} {pagination.number}" if pagination.number > 1 else ""
    return f"{name}{suffix} | {site.config.title}"


def listing_pages(
    site: Site, ui: dict[str, str], kind: str, name: str, base: str, articles: list[Article], data: dict
) -> list[Page]:
    """The numbered pages of one listing (category, tag, archive), rendered with ``<kind>.html``."""
    return [
        Page(kind, pagination.pages[pagination.number - 1].path, f"{kind}.html",
             _listing_title(name, pagination, site, ui.get("page", "Trang")), site.config.description,
             {**data, "articles": chunk, "pagination": pagination})
        for chunk, pagination in paginate(articles, base, site.config.per_page)
    ]  # fmt: skip


def site_pages(site: Site, ui: dict[str, str]) -> list[Page]:
    """Every page of the site, in a fixed order."""
    pages: list[Page] = []
    page_word = ui.get("page", "Trang")
    for articles, pagination in paginate(site.articles, "", site.config.per_page):
        title = (
            site.config.title
            if pagination.number == 1
            else _listing_title(site.config.title, pagination, site, page_word)
        )
        pages.append(Page("home", pagination.pages[pagination.number - 1].path, "home.html", title,
                          site.config.description, {"articles": articles, "pagination": pagination}))  # fmt: skip
    for category in site.categories:
        listing = site.category_articles.get(category.slug, [])
        pages += listing_pages(site, ui, "category", category.name, category.url, listing, {"category": category})
    pages += [article_page(site, article) for article in site.articles]
    return pages


def article_page(site: Site, article: Article) -> Page:
    """An article's own page: its title and summary are copied into the page (see ``touchup``)."""
    newer, older = neighbours(site, article)
    return Page("article", article.url, "article.html", f"{article.title} | {site.config.title}", article.summary,
                {"article": article, "other_news": other_news(site, article), "newer": newer, "older": older},
                source=article.source_path)  # fmt: skip


def check_collisions(pages: list[Page], diagnostics: Diagnostics) -> None:
    """Two pages on one URL is an error naming both sources (eleventy#322)."""
    seen: dict[str, Page] = {}
    for page in pages:
        other = seen.get(page.path)
        if other is None:
            seen[page.path] = page
            continue
        if other.source and not page.source:  # report at the article, the file an editor can change
            page, other = other, page
        first = other.source or f"the {other.kind} page"
        line, col = _url_position(page)
        message = f"URL /{page.path} is produced twice: here and by {first}"
        diagnostics.error(page.source or "site.yaml", line, col, message)


def _url_position(page: Page) -> tuple[int, int]:
    """Where an article's URL comes from: its ``slug`` when given, else its ``title``."""
    article = page.data.get("article") if page.kind == "article" else None
    if article is None:
        return 1, 1
    return article.position("slug" if article.explicit_slug else "title")
