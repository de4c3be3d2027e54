"""The pages a news portal has beyond home, categories and articles.

Tag pages and the tag index, year and month archives, RSS and Atom feeds
(site-wide and per category), ``sitemap.xml``, ``robots.txt``, the 404 page
and the redirect pages of article ``aliases``. Like :func:`site.site_pages`,
this only decides which pages exist and what data they carry.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from operator import attrgetter
from typing import NamedTuple

from .diagnostics import Diagnostics
from .fingerprint import text_digest
from .models import Article, Page, Site
from .search import search_pages
from .site import listing_pages
from .urls import TAG_PREFIX, archive_url, is_safe_path, output_file

_YEAR_MONTH = attrgetter("date.year", "date.month")
SITEMAP_LIMIT = 50_000  # URLs in one sitemap file (sitemaps.org)
FEED_FORMATS = ("rss.xml", "atom.xml")
NOT_IN_SITEMAP = {"alias", "404", "feed", "sitemap", "robots", "search", "search-data"}
_ALIAS_PATH = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=:@/-]+$")  # ASCII output paths only, as every other page


@dataclass(frozen=True)
class Archive:
    """The articles of one year or one month, newest first."""

    year: int
    month: int | None
    url: str
    articles: list[Article]

    @property
    def count(self) -> int:
        return len(self.articles)


def archives(site: Site) -> tuple[list[Archive], list[Archive]]:
    """Year archives and month archives, newest first."""
    by_year: dict[int, list[Article]] = defaultdict(list)
    by_month: dict[tuple[int, int], list[Article]] = defaultdict(list)
    # By runs of one month (the articles are newest first, so a run is usually the whole month; dates in other
    # offsets can interleave two): every build's templates get the years, 0.15 s at 100,000 one by one.
    for (year, month), run in groupby(site.articles, key=_YEAR_MONTH):  # already newest first
        articles = list(run)
        by_year[year] += articles
        by_month[(year, month)] += articles
    years = [Archive(year, None, archive_url(year), items) for year, items in sorted(by_year.items(), reverse=True)]
    months = [Archive(y, m, archive_url(y, m), items) for (y, m), items in sorted(by_month.items(), reverse=True)]
    return years, months


def archive_title(archive: Archive, ui: dict[str, str]) -> str:
    """ "Năm 2020", "Tháng 7/2020" / "July 2020": the words come from the language file."""
    if archive.month is None:
        return ui["archive_year"].format(year=archive.year)
    return ui["archive_month"].format(year=archive.year, month=archive.month, month_name=ui[f"month_{archive.month}"])


def tag_pages(site: Site, ui: dict[str, str]) -> list[Page]:
    title = f"{ui['tags']} | {site.config.title}"
    pages = [Page("tags", f"{TAG_PREFIX}/", "tags.html", title, site.config.description)]
    for tag in site.tags:
        name = ui["tag_heading"].format(name=tag.name)
        pages += listing_pages(site, ui, "tag", name, tag.url, site.tag_articles.get(tag.slug, []), {"tag": tag})
    return pages


def archive_pages(site: Site, ui: dict[str, str]) -> list[Page]:
    years, months = archives(site)
    pages: list[Page] = []
    for archive in years + months:
        months_of_year = [m for m in months if m.year == archive.year] if archive.month is None else []
        data = {"archive": archive, "archive_title": archive_title(archive, ui), "months": months_of_year}
        pages += listing_pages(site, ui, "archive", data["archive_title"], archive.url, archive.articles, data)
    return pages


def feed_pages(site: Site, ui: dict[str, str]) -> list[Page]:
    """RSS 2.0 and Atom for the whole site and for each category: the newest ``feed_items`` articles."""
    limit = site.config.feed_items
    listings = [(site.config.title, "", site.articles)]
    for category in site.categories:
        title = f"{category.name} | {site.config.title}"
        listings.append((title, category.url, site.category_articles.get(category.slug, [])))
    pages = []
    for title, base, articles in listings:
        for name in FEED_FORMATS:
            newest = articles[:limit]
            updated = max((a.updated or a.date for a in newest), default=None)  # not the clock: builds repeat
            data = {"feed_title": title, "feed_link": base, "articles": newest, "updated": updated}
            pages.append(Page("feed", base + name, name, title, site.config.description, data))
    return pages


def not_found_page(site: Site, ui: dict[str, str]) -> Page:
    """``404.html``: its links start at the site's root path, as servers show it at any URL."""
    return Page("404", "404.html", "404.html", f"{ui['not_found_title']} | {site.config.title}", "")


def alias_path(alias: str) -> str:
    """``/2019/05/bai-cu`` → ``2019/05/bai-cu/``; a path ending in ``.html`` is kept as a file."""
    path = alias.strip().lstrip("/")
    if path and not path.endswith("/") and not path.endswith((".html", ".htm")):
        path += "/"
    return path


def alias_pages(site: Site, taken: set[str], diagnostics: Diagnostics) -> list[Page]:
    """A redirect page for each old URL in ``aliases``; one that is a real page (or unsafe) is an error.

    ``taken`` holds the output files of every other page.
    """
    pages = []
    claimed: dict[str, Article] = {}
    for article in site.articles:
        line, col = article.position("aliases")
        for alias in article.aliases:
            path = alias_path(alias)
            problem = None
            if not path or not is_safe_path(output_file(path)) or alias.strip().startswith("//"):
                problem = "is not a usable path inside the site (write it like 2019/05/bai-cu/)"
            elif not _ALIAS_PATH.match(path):
                problem = (
                    "must be a plain ASCII path: no accents, spaces, %, ? or # (a static page cannot answer those)"
                )
            elif path.split("/")[0] == "static":
                problem = "is inside static/, where the site's own files are published"
            elif output_file(path) in taken:
                problem = f"collides with the page /{path}"
            elif path in claimed and claimed[path] is not article:
                problem = f"is also an alias of {claimed[path].source_path}"
            if problem:
                diagnostics.error(article.source_path, line, col, f"alias {alias!r} {problem}")
            elif path not in claimed:
                claimed[path] = article
                pages.append(alias_page(site, article, path))
    return pages


def alias_page(site: Site, article: Article, path: str) -> Page:
    """A redirect page: the article's title and summary are copied into the page (see ``touchup``)."""
    title = f"{article.title} | {site.config.title}"
    return Page("alias", path, "alias.html", title, article.summary, {"article": article})


class SitemapEntry(NamedTuple):  # a tuple: made 100,000 times a rebuild
    path: str
    modified: datetime | None


class SitemapEntries:
    """The entries of one sitemap file, for ``{% for entry in entries %}``, kept as one text of a line each
    (path, tab, date): a snapshot keeps 50,000 entries as one string instead of 150,000 objects, and a touch-up
    puts an edited article's date in without making the others again.

    It has no public attributes, so a page fingerprint encodes none of the entries (every one of 100,000 on each
    rebuild): the page's data carries their ``digest`` instead. Paths hold no tab or newline (see ``urls``).
    """

    def __init__(self, entries: Iterable[SitemapEntry] = (), text: str | None = None):
        self._text = "\n".join(map(_sitemap_line, entries)) if text is None else text

    def __iter__(self) -> Iterator[SitemapEntry]:
        for line in self._text.split("\n") if self._text else ():
            path, _, modified = line.partition("\t")
            yield SitemapEntry(path, datetime.fromisoformat(modified) if modified else None)

    def digest(self) -> str:
        return text_digest(self._text)

    def redated(self, modified: dict[str, datetime | None]) -> SitemapEntries | None:
        """These entries with the pages in ``modified`` given their new date; None when none of them is here."""
        text, found = self._text, False
        for path, date in modified.items():
            if text.startswith(path + "\t"):
                start = 0
            elif (start := text.find(f"\n{path}\t") + 1) == 0:
                continue  # not in this sitemap
            end = text.find("\n", start)
            end = len(text) if end < 0 else end
            text, found = text[:start] + _sitemap_line(SitemapEntry(path, date)) + text[end:], True
        return SitemapEntries(text=text) if found else None


def _sitemap_line(entry: SitemapEntry) -> str:
    return f"{entry.path}\t{'' if entry.modified is None else entry.modified.isoformat()}"


def sitemap_page(path: str, title: str, listed: SitemapEntries, sitemaps: list[str]) -> Page:
    return Page("sitemap", path, "sitemap.xml", title, data={"entries": listed, "digest": listed.digest(),
                                                             "sitemaps": sitemaps})  # fmt: skip


def sitemap_pages(site: Site, pages: list[Page], limit: int = SITEMAP_LIMIT) -> list[Page]:
    """``sitemap.xml`` listing every HTML page; past ``limit`` URLs it indexes ``sitemap-N.xml`` files."""
    entries = []
    for page in pages:
        if page.kind in NOT_IN_SITEMAP:
            continue
        article = page.data.get("article") if page.kind == "article" else None
        modified = (article.updated or article.date) if article is not None else None
        entries.append(SitemapEntry(page.path, modified))
    title = f"Sitemap | {site.config.title}"
    if len(entries) <= limit:
        return [sitemap_page("sitemap.xml", title, SitemapEntries(entries), [])]
    chunks = [SitemapEntries(entries[start : start + limit]) for start in range(0, len(entries), limit)]
    names = [f"sitemap-{number}.xml" for number in range(1, len(chunks) + 1)]
    parts = [sitemap_page(name, title, chunk, []) for name, chunk in zip(names, chunks, strict=True)]
    return [sitemap_page("sitemap.xml", title, SitemapEntries(), names), *parts]


def portal_pages(site: Site, ui: dict[str, str], pages: list[Page], diagnostics: Diagnostics) -> list[Page]:
    """The portal's pages, to add after :func:`site.site_pages` (``pages``)."""
    extra = tag_pages(site, ui) + archive_pages(site, ui) + feed_pages(site, ui) + [not_found_page(site, ui)]
    extra += search_pages(site, ui)
    taken = {output_file(page.path) for page in pages + extra}
    extra += alias_pages(site, taken, diagnostics)
    extra += sitemap_pages(site, pages + extra)
    extra.append(Page("robots", "robots.txt", "robots.txt", "robots.txt"))
    return extra
