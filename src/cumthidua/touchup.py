"""Rebuilding after touch-up edits from the site the last full build assembled.

Most rebuilds follow an editor fixing the text of an article or two: its
title, summary, body, author or ``updated``, not its date, category, tags,
slug or image. The site then has the same pages holding the same articles,
and only what those articles show changed. So instead of loading every
article again and assembling the site and its page list anew (a pass over
the whole site: seconds at 100,000 articles), such a build loads the site
and pages the last full build assembled (``snapshot.Snapshot``, one file
beside the cache), puts the edited articles' new fields into their objects in place
(every page and list holding an article holds that very object), and makes
again only the pages that copy an article's fields instead of holding it:
its own page and its aliases (title, summary), the feeds and the sitemap
(``updated``) and the search files.

A template edit makes no page and changes no article, so it reuses the
snapshot too; then every page is looked at (its fingerprint), as in a full
build, instead of only those showing an edited article.

Anything else falls back to the full build: a file added, removed or with a
problem, a changed non-display field, a config or static file edited, an
article coming due, another version of the tool.
``tests/test_touchup.py`` and the equivalence tests of
``tests/test_incremental.py`` check both give the same bytes.
"""

from __future__ import annotations

import dataclasses
import operator
import time
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .cache import RACY_SECONDS, BuildCache, SourceEntry
from .config import SiteConfig
from .diagnostics import Diagnostics
from .images import resolve_images
from .incremental import DISPLAY_FIELDS, CacheWrites, Frame, _parse_file, _unpickle, parse_key
from .models import Article, Page
from .portal import alias_page, feed_pages, sitemap_page
from .search import search_pages
from .site import article_page, place_of
from .snapshot import Snapshot
from .source import ContentFiles

MAX_EDITS = 200  # more edited articles than this since the last full build: a full build (which resets them)
_SITE_ASSIGNED = ("url", "category", "tag_terms")  # set by the site from the other fields
_STRUCTURE = operator.attrgetter(
    *[f.name for f in dataclasses.fields(Article) if f.name not in DISPLAY_FIELDS | set(_SITE_ASSIGNED)]
)


LISTING = "listing:"  # cache meta key prefix, per output folder (see Listing)


@dataclass
class Listing:
    """The content files as the last successful build into an output folder listed them, with the digests of
    those that differ from its snapshot's articles: a touch-up then finds the files changed since by comparing
    sizes and mtimes in one pass, instead of reading the cache's entry of every file (a second at 100,000)."""

    token: str  # the snapshot's (snapshot.Header.token) it goes with
    names: str  # the files' paths below the content folder, in listing order, NUL-separated
    sizes: array  # of the files, in the same order
    mtimes: array  # -1: changed so shortly before the build that an edit in the same tick could hide
    edited: dict[str, str]  # path → digest, of the files whose digest is not their snapshot article's


def remember_listing(cache: BuildCache, output_dir: Path, files: ContentFiles, token: str, edited: dict) -> None:
    """After a successful build that has a snapshot: the listing it started from, for the next touch-up."""
    untrusted = time.time_ns() - RACY_SECONDS * 1_000_000_000  # see cache.SourceEntry.matches
    stamps = files.stamps
    mtimes = stamps.mtimes
    if max(mtimes, default=0) >= untrusted:
        mtimes = array("q", [mtime if mtime < untrusted else -1 for mtime in mtimes])
    cache.set_meta(LISTING + str(output_dir.resolve()), Listing(token, stamps.names, stamps.sizes, mtimes, edited))


@dataclass
class Reused:
    snapshot: Snapshot
    edited: list[Article]  # the snapshot's articles whose fields were replaced with their file's
    edited_files: dict[str, str]  # their files: path → digest (see Listing)
    templates_changed: bool = False  # since the snapshot: every page is looked at (its fingerprint), not a few


def reuse(
    cache: BuildCache,
    folders: tuple[Path, Path, list[Path]],
    frame: Frame | None,
    files: ContentFiles,
    config: SiteConfig,
    snapshot: Snapshot,
) -> Reused | None:
    """The last full build's site (``snapshot.load``) with the articles edited since put in place; None: do a
    full build.

    ``folders``: the output folder, the content folder and the static folders; ``files``: the content files.
    """
    output_dir, content_dir, static_dirs = folders
    key = parse_key(config)
    if frame is None or cache.get_meta("parse_key") != key:
        return None
    listing = cache.get_meta(LISTING + str(output_dir.resolve()))
    if isinstance(listing, Listing) and listing.token == snapshot.header.token:
        found = _changed_since_listing(cache, key, files, listing)
    else:
        found = _changed_since_cached(cache, key, files, snapshot)
    if found is None:
        return None
    changed, states, edited_files = found
    fresh = _parse_changed(cache, content_dir, config, changed, states)
    if fresh is None:
        return None
    wanted = {*edited_files, *(relative for _, relative in changed)}
    by_source = {relative: article for relative in wanted if (article := snapshot.article(relative)) is not None}
    if len(by_source) != len(wanted):
        return None  # not an article of the snapshot: the full build finds out what it is
    for _, relative in changed:
        digest = fresh[relative].digest if relative in fresh else states[relative].digest
        if digest != by_source[relative].digest:
            edited_files[relative] = digest
        else:
            edited_files.pop(relative, None)  # edited back
    edited = sorted(edited_files)
    if len(edited) > MAX_EDITS:
        return None
    replacements = _replacements(cache, edited, fresh, static_dirs)
    if replacements is None:
        return None
    if any(_STRUCTURE(by_source[relative]) != _STRUCTURE(new) for relative, new in replacements.items()):
        return None
    for relative, new in replacements.items():
        _put_in_place(by_source[relative], new)
    templates_changed = not snapshot.header.frame.same_templates(frame)
    return Reused(snapshot, [by_source[relative] for relative in edited], edited_files, templates_changed)


Changed = tuple[list[tuple[Path, str]], dict[str, SourceEntry], dict[str, str]]
"""The files whose size or mtime changed since the last build (full path, path below the content folder), their
entries in the cache, and the files that differed from the snapshot's articles then (path → digest)."""


def _changed_since_listing(cache: BuildCache, key: str, files: ContentFiles, listing: Listing) -> Changed | None:
    """:data:`Changed`, from the last build's :class:`Listing`; None: files were added, removed or renamed."""
    names, sizes, mtimes = files.stamps.names, files.stamps.sizes, files.stamps.mtimes
    if names != listing.names:
        return None
    changed = []
    if sizes != listing.sizes or mtimes != listing.mtimes:
        stamps = zip(sizes, listing.sizes, mtimes, listing.mtimes, strict=True)
        positions = [n for n, (size, last_size, mtime, last) in enumerate(stamps) if size != last_size or mtime != last]
        changed = [(Path(files.path(files.relatives[n])), files.relatives[n]) for n in positions]
    states = cache.source_states(key, [relative for _, relative in changed])
    if states is None or len(states) != len(changed):
        return None  # a file the cache lost: the full build reads it
    return changed, states, dict(listing.edited)


def _changed_since_cached(cache: BuildCache, key: str, files: ContentFiles, snapshot: Snapshot) -> Changed | None:
    """:data:`Changed`, from the cache's entry of every file (no listing: the first touch-up after an upgrade)."""
    by_source = {article.source: article for article in snapshot.articles}
    states = cache.source_states(key)
    if states is None or len(files) != len(by_source) or not all(map(by_source.__contains__, files.relatives)):
        return None  # a file added, removed or renamed
    changed = []
    for relative, path, size, mtime_ns in files:
        entry = states.get(relative)
        if entry is None:
            return None
        if not entry.matches(size, mtime_ns):
            changed.append((Path(path), relative))
    digests = {relative: states[relative].digest for relative in files.relatives}
    edited = {relative: digest for relative, digest in digests.items() if digest != by_source[relative].digest}
    return changed, states, edited


def _parse_changed(
    cache: BuildCache, content_dir: Path, config: SiteConfig, changed: list[tuple[Path, str]], states: dict
) -> dict[str, Article] | None:
    """Read the files whose size or mtime changed; the cache learns the new ones. None: one has a problem."""
    if len(changed) > MAX_EDITS:
        return None
    writes = CacheWrites(cache)
    fresh = {}
    for path, relative in changed:
        result = _parse_file(content_dir, config, path, states[relative].digest, True)
        if result.diagnostics:
            return None  # the full build reports them (and its warnings too)
        if result.article is None:
            if result.digest != states[relative].digest:
                return None
            writes.touched.append(result)
        else:
            fresh[relative] = writes.parsed(result)
    writes.flush()
    return fresh


def _replacements(
    cache: BuildCache, edited: list[str], fresh: dict[str, Article], static_dirs: list[Path]
) -> dict[str, Article] | None:
    """The articles of the edited files as the full build would load them (images resolved)."""
    earlier = cache.source_articles([relative for relative in edited if relative not in fresh])
    replacements = {}
    for relative in edited:
        if relative in fresh:
            replacements[relative] = fresh[relative]
        elif relative in earlier:
            replacements[relative] = _unpickle(earlier[relative], cache)
        else:
            return None
    diagnostics = Diagnostics()
    resolve_images(list(replacements.values()), static_dirs, diagnostics)
    return None if diagnostics else replacements


def _put_in_place(old: Article, new: Article) -> None:
    """Give ``old`` the fields of ``new``, keeping what the site assigned (the same, as the structure is)."""
    assigned = {name: old.__dict__[name] for name in _SITE_ASSIGNED}
    old.__dict__.clear()
    old.__dict__.update(new.__dict__)
    old.__dict__.update(assigned)


def search_keys(snapshot: Snapshot, edited: list[Article]) -> tuple[Sequence[str], list[str] | None]:
    """The snapshot's articles' ``search.doc_key`` with the edited ones worked out again (a file's digest is in it),
    and their ``search.block_digests``: the others' are as the full build found them, and working out 100,000
    takes half a second. ([], None): not known."""
    from .search import block_digests, doc_key

    keys, site = snapshot.search_keys, snapshot.site
    articles = site.articles  # newest first; keys are oldest first
    if len(keys) != len(articles):
        return [], None
    changed: dict[int, Article] = {}  # position of its key → edited article, found by its place in the site
    for article in edited:
        at = place_of(site, article)
        if at is not None:  # an unpublished article has no key
            changed[len(articles) - 1 - at] = article
    keys = keys.replaced({position: doc_key(article) for position, article in changed.items()})
    return keys, block_digests(keys, snapshot.search_blocks, changed.keys())


def refresh_pages(snapshot: Snapshot, ui: dict[str, str], edited: list[Article]) -> list[Page] | None:
    """The snapshot's pages with those that copy an edited article's fields made again (see the module);
    None when the page list is not as this expects (a full build then makes it)."""
    site, pages = snapshot.site, list(snapshot.pages)
    modified: dict[str, datetime | None] = {}  # article page → its date in the sitemap
    try:
        for article in edited:
            for index in snapshot.copies.positions(site, pages, article):
                page = pages[index]
                if page.kind == "article":
                    pages[index] = article_page(site, article)
                    modified[page.path] = article.updated or article.date
                else:
                    pages[index] = alias_page(site, article, page.path)
        return _splice(pages, [({"feed"}, lambda old: feed_pages(site, ui)),
                               ({"search", "search-data"}, lambda old: search_pages(site, ui)),
                               ({"sitemap"}, lambda old: [_redated(page, modified) for page in old])])  # fmt: skip
    except LookupError:
        return None


def _redated(sitemap: Page, modified: dict[str, datetime | None]) -> Page:
    """A sitemap page of the snapshot with the edited articles' dates put in: ``portal.sitemap_pages`` lists the
    same pages in the same order (a touch-up changes no page's place), only ``updated`` can have changed."""
    entries = sitemap.data["entries"].redated(modified)
    if entries is None:
        return sitemap
    return sitemap_page(sitemap.path, sitemap.title, entries, sitemap.data["sitemaps"])


def _splice(pages: list[Page], runs: list[tuple[set[str], Callable[[list[Page]], list[Page]]]]) -> list[Page]:
    """Replace each run of pages of some kinds (portal_pages keeps each kind together) with the pages its
    function makes of the run's old ones.

    Found by the list's own scans (``index``, ``count``), not a test per page: a touch-up has 140,000."""
    kinds = [page.kind for page in pages]
    spans = []
    for wanted, fresh in runs:
        present = [kind for kind in wanted if kind in kinds]
        size = sum(map(kinds.count, present))
        begin = min(map(kinds.index, present), default=0)
        if not size or not all(kind in wanted for kind in kinds[begin : begin + size]):
            raise LookupError(f"pages of kinds {sorted(wanted)} are not one run")
        spans.append((begin, begin + size, fresh(pages[begin : begin + size])))
    spliced: list[Page] = []
    start = 0
    for begin, end, fresh in sorted(spans, key=lambda span: span[0]):
        spliced += pages[start:begin]
        spliced += fresh
        start = end
    return spliced + pages[start:]
