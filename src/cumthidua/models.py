"""The site's data: plain dataclasses, no I/O.

Parsing fills an :class:`Article` from one file; assembling the site
(``site.py``) then gives it its URL and its shared :class:`Category`.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup

from .config import SiteConfig


@dataclass
class Category:
    """A category or tag: one slug, shown with its most used spelling."""

    name: str
    slug: str
    url: str  # site-relative, e.g. "chuyen-muc/mat-tran-to-quoc/"
    count: int = 0


@dataclass
class Article:
    """One news article, validated; ``url`` and ``category`` are set by the site."""

    source: str  # path below content/, POSIX
    source_path: str  # path as shown in messages
    title: str
    date: datetime  # aware, in the site's time zone
    body_html: Markup
    summary: str
    text: str = ""  # plain text of the body, for search and feeds
    updated: datetime | None = None
    category_name: str | None = None
    tags: list[str] = field(default_factory=list)
    author: str = ""
    image: str | None = None  # site-relative ("static/anh/x.jpg") or an http(s) URL
    image_size: tuple[int, int] | None = None  # (width, height) read from a local image
    slug: str = ""
    explicit_slug: bool = False
    draft: bool = False
    aliases: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)  # field → (line, col)
    digest: str = ""
    url: str = ""
    category: Category | None = None
    tag_terms: list[Category] = field(default_factory=list)  # shared tag objects, set by the site

    def position(self, name: str) -> tuple[int, int]:
        """Where a field stands in the source file, for error messages."""
        return self.positions.get(name, (1, 1))

    def __getattr__(self, name: str) -> Any:
        """Unknown front-matter fields read like fields: ``article.nguon`` as well as ``article.extra.nguon``."""
        extra = self.__dict__.get("extra")
        if extra is not None and name in extra:
            return extra[name]
        raise AttributeError(name)


@dataclass(frozen=True)
class PageLink:
    number: int
    path: str


@dataclass(frozen=True)
class Pagination:
    """Where a listing page stands among its pages; paths are site-relative."""

    number: int
    total: int
    pages: list[PageLink]

    def _path(self, number: int) -> str:
        return self.pages[number - 1].path

    @property
    def first(self) -> str:
        return self._path(1)

    @property
    def last(self) -> str:
        return self._path(self.total)

    @property
    def previous(self) -> str | None:
        return self._path(self.number - 1) if self.number > 1 else None

    @property
    def next(self) -> str | None:
        return self._path(self.number + 1) if self.number < self.total else None

    @property
    def window(self) -> list[PageLink | None]:
        """The page links a listing shows: the first, the last and those up to two from this one, with None
        where "…" stands for the others (three away). A template looping over every page instead made the
        5,000 home pages of a 100,000-article site take 25 million steps."""
        near = range(max(1, self.number - 3), min(self.total, self.number + 3) + 1)
        shown: list[PageLink | None] = []
        for number in sorted({1, self.total, *near}):
            gap = abs(number - self.number)
            if gap <= 2 or number in (1, self.total):
                shown.append(self.pages[number - 1])
            elif gap == 3:
                shown.append(None)
        return shown


@dataclass(frozen=True)
class Page:
    """One output page: what to render, where, with which data."""

    kind: str  # "home", "article", "category", ...
    path: str  # site-relative URL path: "" (home), "a/b/" or "sitemap.xml"
    template: str
    title: str
    description: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # the file this page comes from, for messages


class RelatedLists:
    """Each of the site's articles' "Các tin tức khác", kept as positions in the site's articles (two arrays) and
    made into a list of articles when a page asks: 100,000 lists of ten articles took a tenth of a second to
    make, and as long to store and load with the site, for the few pages a rebuild renders."""

    def __init__(self, articles: list[Article], flat: array, ends: array):
        self._articles = articles  # the site's, whose order the positions hold for
        self._flat = flat  # every list's positions, one list after the other
        self._ends = ends  # where each article's list ends in ``flat``, in the order of ``articles``

    @classmethod
    def of(cls, articles: list[Article], lists: Iterable[Sequence[int]]) -> RelatedLists:
        flat, ends = array("i"), array("i")
        for positions in lists:
            flat.extend(positions)
            ends.append(len(flat))
        return cls(articles, flat, ends)

    def arrays(self) -> tuple[array, array]:
        """``flat`` and ``ends``, to keep: :class:`RelatedLists` of the same articles takes them back."""
        return self._flat, self._ends

    def at(self, position: int) -> list[Article]:
        """The list of the article at ``position`` in the site's articles."""
        start = self._ends[position - 1] if position else 0
        return [self._articles[other] for other in self._flat[start : self._ends[position]]]

    def __len__(self) -> int:
        return len(self._ends)


@dataclass
class Site:
    """Everything the templates may see, assembled from the articles."""

    config: SiteConfig
    articles: list[Article]  # published ones, newest first
    categories: list[Category]  # in Vietnamese alphabetical order
    category_articles: dict[str, list[Article]]  # category slug → newest first
    index_of: dict[str, int] = field(default_factory=dict)  # article url → position in articles
    tags: list[Category] = field(default_factory=list)  # in Vietnamese alphabetical order
    tag_articles: dict[str, list[Article]] = field(default_factory=dict)  # tag slug → newest first
    related: RelatedLists | None = None  # "Các tin tức khác" of each article, when worked out ahead
    search_index: Any = None  # search.SearchFiles of the articles, when worked out ahead (with the build cache)
