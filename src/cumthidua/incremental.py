"""Incremental, parallel reading and rendering, on top of the build cache.

:func:`load_articles` re-reads only content files whose size or mtime changed
and parses only those whose bytes changed, on all cores. :class:`PageRenderer`
renders only pages whose fingerprint changed since the last successful build
into the same output folder, on all cores, and streams the results to the
writer in page order. Without a cache everything is read and rendered: the
output is the same bytes either way (tests/test_incremental.py).
"""

from __future__ import annotations

import dataclasses
import operator
import os
import pickle
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .cache import STRUCTURE, BuildCache, PageEntry, stored, tool_key
from .config import SiteConfig
from .diagnostics import Diagnostic, Diagnostics
from .fingerprint import Fingerprinter, TemplateInfo, analyse_templates, digest_of, text_digest
from .links import LinkResolver
from .models import Article, Page, RelatedLists, Site
from .output import FilesAhead, OutputWriter, manifest_digest
from .parallel import ordered_map
from .source import ContentFiles, content_files, has_utf8_name
from .urls import output_files

Progress = Callable[[str, int, int], None]
Refs = tuple[str, ...] | None  # the sources of the articles a page shows, sorted; None: as the cache has them
STORE_BATCH = 500  # parsed articles written to the cache at a time, so bodies do not pile up in memory


@dataclass(frozen=True)
class CachedArticle:
    """A parsed article as the cache stores it, made in the parse worker: the main process neither pickles it
    again nor decodes its body (about 0.1 ms an article, in the one process all results go through)."""

    article: bytes  # pickled StoredArticle (its body left out)
    html: bytes  # the body's HTML, UTF-8
    text: bytes  # its plain text, UTF-8


@dataclass(frozen=True)
class _Parsed:
    relative: str
    size: int
    mtime_ns: int
    read_ns: int
    digest: str
    article: Article | CachedArticle | None  # None: unchanged bytes (see ``known``) or errors
    diagnostics: list[Diagnostic] = field(default_factory=list)
    words: tuple[str, str] = ("", "")  # search.file_words of the article


def _parse_file(content_dir: Path, config: SiteConfig, path: Path, known: str | None, cached: bool) -> _Parsed:
    """Read and parse one file; when its bytes still have the digest ``known``, stop after reading.

    ``cached``: for the cache, find its search words too (without one, the search index finds them itself) and
    hand the article back in the cache's form."""
    from .content import parse_article
    from .search import file_words
    from .source import load_source

    diagnostics = Diagnostics()
    read_ns = time.time_ns()
    try:
        info = path.stat()
    except OSError:
        info = None
    source = load_source(path, content_dir, diagnostics)
    size, mtime = (info.st_size, info.st_mtime_ns) if info else (-1, -1)
    if source is None:
        relative = path.relative_to(content_dir).as_posix()
        return _Parsed(relative, size, mtime, read_ns, "", None, diagnostics.items)
    if source.digest == known:
        return _Parsed(source.relative, size, mtime, read_ns, source.digest, None)
    article = parse_article(source, config, diagnostics)
    if not cached or article is None:
        return _Parsed(source.relative, size, mtime, read_ns, source.digest, article, diagnostics.items)
    found = file_words(article)
    prepared = CachedArticle(
        pickle.dumps(stored(article, ""), protocol=5), str(article.body_html).encode(), article.text.encode()
    )
    return _Parsed(source.relative, size, mtime, read_ns, source.digest, prepared, diagnostics.items, found)


def parse_key(config: SiteConfig) -> str:
    """What a parsed article depends on besides its file: cumthidua's code and the config."""
    return digest_of((tool_key(), repr(config)))


def load_articles(
    content_dir: Path,
    config: SiteConfig,
    diagnostics: Diagnostics,
    cache: BuildCache | None,
    jobs: int | None = None,
    progress: Progress | None = None,
    files: ContentFiles | None = None,
) -> list[Article]:
    """Every article of the content folder in path order; unchanged files come from the cache.

    ``files``: the content files (``source.content_files``) when the build has listed them already."""
    files = content_files(content_dir) if files is None else files
    listed = [(relative, Path(path), size, mtime) for relative, path, size, mtime in files]
    listed = [file for file in listed if has_utf8_name(file[1], diagnostics)]
    entries = cache.sources(parse_key(config)) if cache is not None else {}
    found: dict[str, Article] = {}
    todo: list[tuple[Path, str | None]] = []
    for relative, path, size, mtime_ns in listed:
        entry = entries.get(relative)
        if entry is not None and entry.matches(size, mtime_ns):
            found[relative] = _unpickle(entry.article, cache)
            continue
        todo.append((path, entry.digest if entry is not None else None))

    writes = CacheWrites(cache) if cache is not None else None
    forget: list[str] = []
    task = _ParseTask(content_dir, config, todo, cache is not None)
    for done, result in enumerate(ordered_map(task, range(len(todo)), jobs)):
        if progress is not None:
            progress("read", done, len(todo))
        diagnostics.items.extend(result.diagnostics)
        entry = entries.get(result.relative)
        if result.article is None and entry is not None and result.digest == entry.digest:
            found[result.relative] = _unpickle(entry.article, cache)
            if writes is not None:
                writes.touched.append(result)
        elif result.article is None:
            forget.append(result.relative)
        elif writes is None:
            found[result.relative] = result.article  # type: ignore[assignment]  # parsed without a cache
        else:
            found[result.relative] = writes.parsed(result)
    if writes is not None:
        writes.flush()
        present = {relative for relative, *_ in listed}
        writes.cache.forget_sources(forget + [relative for relative in entries if relative not in present])
    return [found[relative] for relative in sorted(found)]


@dataclass
class CacheWrites:
    """Files read for a build, waiting to be written to the cache (a batch at a time: bodies do not pile up)."""

    cache: BuildCache
    batch: list[tuple[str, int, int, int, str, CachedArticle]] = field(default_factory=list)
    words: dict[str, tuple[str, str]] = field(default_factory=dict)  # words_key → search words of the batch
    touched: list[_Parsed] = field(default_factory=list)  # read again and found unchanged

    def parsed(self, result: _Parsed) -> Article:
        """The article of a file parsed for the cache (``_parse_file(..., cached=True)``), noted to be stored."""
        from .search import words_key

        prepared = result.article
        assert isinstance(prepared, CachedArticle)
        article = _unpickle(prepared.article, self.cache)
        self.batch.append((result.relative, result.size, result.mtime_ns, result.read_ns, result.digest, prepared))
        self.words[words_key(article)] = result.words
        if len(self.batch) >= STORE_BATCH:
            self.flush()
        return article

    def flush(self) -> None:
        self.cache.store_sources(self.batch, self.words)
        self.cache.touch_sources([(r.relative, r.size, r.mtime_ns, r.read_ns) for r in self.touched])
        self.batch, self.words, self.touched = [], {}, []


@dataclass
class _ParseTask:
    content_dir: Path
    config: SiteConfig
    todo: list[tuple[Path, str | None]]
    cached: bool  # parse for the cache (see _parse_file)

    def __call__(self, index: int) -> _Parsed:
        path, known = self.todo[index]
        return _parse_file(self.content_dir, self.config, path, known, self.cached)


def _unpickle(blob: bytes, cache: BuildCache | None) -> Article:
    article = pickle.loads(blob)
    if cache is not None:
        article.__dict__["_store"] = cache.path
    return article


# -- rendering ------------------------------------------------------------------------------------------------


def template_infos(renderer: Any, cache: BuildCache | None) -> dict[str, TemplateInfo]:
    """What each template depends on; analysed once per set of template sources."""
    import jinja2
    from jinja2 import meta, nodes

    env = renderer.env
    sources = {}
    for name in env.loader.list_templates():
        try:
            sources[name] = env.loader.get_source(env, name)[0]
        except (jinja2.TemplateError, OSError, UnicodeDecodeError):
            continue
    key = "templates:" + digest_of((tool_key(), sorted(sources.items())))
    infos = cache.get_meta(key) if cache is not None else None
    if infos is None:
        infos = analyse_templates(sources, env.parse, meta.find_referenced_templates, nodes)
        if cache is not None:
            cache.set_meta(key, infos)
    return infos


@dataclass(frozen=True)
class RenderedFile:
    path: str
    digest: str
    size: int
    staged: str  # where the file waits for the commit (output.FLAT or TREE), "" when not staged
    links: tuple[str, ...] | None  # internal and external hrefs of an HTML page
    fingerprint: tuple[str | None, tuple[str, ...]] | None = None  # (fingerprint, refs), when worked out with it
    broken: tuple[tuple[str, str], ...] = ()  # (href, missing output file) of its links that lead nowhere


@dataclass(frozen=True)
class RenderFailure:
    path: str  # template file
    line: int
    message: str


@dataclass
class _RenderTask:
    """Runs in a worker: render one page, stage its bytes, find its links."""

    pages: list[Page]
    renderer: Any
    writer: OutputWriter
    fingerprinter: Fingerprinter | None = None  # for the pages that had none: new ones, or a build without any
    new: frozenset[int] = frozenset()
    resolver: LinkResolver | None = None  # checks each page's links as it is rendered

    def __call__(self, index: int) -> RenderedFile | RenderFailure:
        from .links import page_hrefs
        from .render import TemplateProblem

        fingerprint = None
        if index in self.new and self.fingerprinter is not None:
            fingerprint = self.fingerprinter.page_and_refs(self.pages[index])
        try:
            rendered = self.renderer.render(self.pages[index])
        except TemplateProblem as problem:
            return RenderFailure(problem.path, problem.line, problem.message)
        digest, staged = self.writer.stage(rendered.path, rendered.content)
        links, broken = None, ()
        if rendered.path.endswith((".html", ".htm")):
            links = tuple(dict.fromkeys(page_hrefs(rendered.text)))  # a repeat (a third of them) finds nothing new
            if self.resolver is not None:
                broken = tuple(self.resolver.broken(rendered.path, links))
        return RenderedFile(rendered.path, digest, len(rendered.content), staged, links, fingerprint, broken)


@dataclass
class _FingerprintTask:
    pages: list[Page]
    fingerprinter: Fingerprinter

    def __call__(self, index: int) -> tuple[str | None, tuple[str, ...]]:
        return self.fingerprinter.page_and_refs(self.pages[index])


MAX_REFERENCE_LOOKUPS = 100  # more changed articles: every page is fingerprinted again (a search per article)
MIN_PARALLEL_FINGERPRINTS = 2000  # fewer are worked out sooner here than in started workers (4,000: 0.3 s later)

# Article fields that only the pages showing the article depend on: a change to one of them changes no other
# page (the search index and the sitemap, which copy them without the article, are fingerprinted every time).
DISPLAY_FIELDS = frozenset({"title", "summary", "body_html", "text", "author", "updated", "digest", "positions"})
_TERM_FIELDS = ("category", "tag_terms")  # shared Category objects: keyed by slug, each described once
_STRUCTURE_FIELDS = operator.attrgetter(
    *[f.name for f in dataclasses.fields(Article) if f.name not in DISPLAY_FIELDS | set(_TERM_FIELDS)]
)


def structure_key(site_structure: str, context: Any) -> str:
    """Digest of everything but the articles' display fields: which pages exist and what else they hold.

    Two builds with the same key make the same pages from the same data, except for the articles whose
    file changed; ``site_structure`` (:func:`site_structure`) covers the site, ``context`` the tool, the config,
    the UI strings and the templates.
    """
    return digest_of((context, site_structure))


def site_structure(site: Site) -> str:
    """Digest of the site's categories and tags and of every article's fields but its display ones: kept with the
    snapshot, so a template edit that reuses the site need not read every article again for it."""
    terms = [tuple(vars(term).values()) for term in [*site.categories, *site.tags]]
    rows = [
        (_STRUCTURE_FIELDS(article), article.category and article.category.slug, [t.slug for t in article.tag_terms])
        for article in site.articles
    ]
    return digest_of((terms, rows))


_SOURCE, _DIGEST, _PATH = operator.attrgetter("source"), operator.attrgetter("digest"), operator.attrgetter("path")


@dataclass(frozen=True)
class ArticleDigests:
    """Every article's source and file digest, as two NUL-separated texts in the site's order: what the next
    build compares to find the articles whose file changed. A dict of 100,000 took a tenth of a second to make,
    store, load and compare; a rebuild that keeps the order compares two texts."""

    count: int
    sources: str
    digests: str

    @classmethod
    def of(cls, articles: list[Article], like: ArticleDigests | None = None) -> ArticleDigests:
        """``like``: the digests of the same articles in the same order, as a build of the same structure
        recorded them (``structure_key`` covers every source in order): its text of the sources is taken."""
        if like is not None and like.count == len(articles):
            sources = like.sources
        else:
            sources = "\0".join(map(_SOURCE, articles))
        return cls(len(articles), sources, "\0".join(map(_DIGEST, articles)))

    def _rows(self) -> tuple[list[str], list[str]]:
        return (self.sources.split("\0"), self.digests.split("\0")) if self.count else ([], [])

    def changed_since(self, last: ArticleDigests) -> set[str]:
        """Sources of the articles that are new or whose digest differs from ``last``'s."""
        if self.count == last.count and self.sources == last.sources:
            if self.digests == last.digests:
                return set()
            rows = _differing_rows(self.digests, last.digests, self.count)
            if rows is not None:  # found without splitting 100,000 digests three times (0.04 s of an edit)
                sources = self.sources.split("\0", max(rows) + 1)
                return {sources[row] for row in rows}
            sources, digests = self._rows()
            rows = zip(sources, digests, last._rows()[1], strict=True)
            return {source for source, digest, last_digest in rows if digest != last_digest}
        mine, theirs = dict(zip(*self._rows(), strict=True)), dict(zip(*last._rows(), strict=True))
        return {source for source, _ in mine.items() - theirs.items()}


def _differing_rows(mine: str, theirs: str, count: int, block: int = 512) -> list[int] | None:
    """Positions of the rows that differ between two NUL-separated texts of ``count`` rows all of one width (file
    digests), compared a block of rows at a time; None: the rows are not all of one width."""
    width = mine.find("\0") if count > 1 else len(mine)
    stride = width + 1
    for text in (mine, theirs):
        if len(text) != count * stride - 1 or text[width::stride] != "\0" * (count - 1):
            return None
    rows = []
    step = block * stride
    for start in range(0, len(mine), step):
        if mine[start : start + step] != theirs[start : start + step]:
            first = start // stride
            for row in range(first, min(first + block, count)):
                at = row * stride
                if mine[at : at + width] != theirs[at : at + width]:
                    rows.append(row)
    return rows


REFRESHED = frozenset({"feed", "search", "search-data", "sitemap"})  # kinds of page a touch-up makes anew


@dataclass(frozen=True)
class LastPages:
    """What the cache's fingerprints of a build's pages were made with, kept with its structure key.

    ``missing``: which pages the cache has no fingerprint of (their template unknown, their data beyond the
    fingerprint), so a touch-up of the same pages need not read the paths of the 140,000 it has (a sixth of a
    second). ``templates``: each template's digest (``TemplateInfo.digest``), so after a template edit the
    pages of the changed templates, whose fingerprints cannot match, are rendered at once instead of first
    fingerprinted (three seconds of a 10,000-article template edit)."""

    outputs: str  # text_digest of the output files of the pages of kinds a touch-up keeps (not REFRESHED)
    missing: tuple[str, ...]  # output files the cache has no fingerprint of, sorted
    templates: dict[str, str] = field(default_factory=dict)  # template name → digest


class PageRenderer:
    """Decides which pages to render, renders them, and remembers the result for the next build."""

    def __init__(
        self,
        renderer: Any,
        cache: BuildCache | None,
        output_dir: Path,
        jobs: int | None = None,
        structure: str | None = None,
        refreshed: frozenset[str] = frozenset(),
        site_digest: str | None = None,
    ):
        """``structure``: the site's structure key when the caller knows it, else it is worked out (from
        ``site_digest``, the site's :func:`site_structure`, when known); ``refreshed``: for a touch-up (see
        ``touchup``), the kinds of page it made again, else empty."""
        self.renderer = renderer
        self.cache = cache
        self.output_key = str(output_dir.resolve())
        self.jobs = jobs
        self.previous: dict[str, PageEntry] = {}
        self.fingerprints: dict[str, tuple[str | None, Refs]] = {}  # output path → (fingerprint, refs)
        self.rendered: dict[str, tuple[str | None, str, tuple[str, ...] | None, Refs]] = {}
        self.kept: list[int] = []  # positions of the pages not rendered
        self._fingerprint_with_render: set[int] = set()  # last build's pages of changed templates
        self.outputs: list[str] = []  # output file of each page, in page order
        self._outputs_key: str | None = None  # their digest, once worked out (see _outputs_digest)
        self._pages: list[Page] = []  # the pages and their sources (see run), for kept_links
        self._source_of: Callable[[Page], str] = lambda page: page.source or ""
        self.structure = structure
        self.site_digest = site_digest
        self.refreshed = refreshed
        self.touched_up = False  # decided page by page for the pages that may have changed only
        if cache is not None:
            self.fingerprinter = self._fingerprinter()

    def _fingerprinter(self) -> Fingerprinter:
        site = self.renderer.site
        config_key = digest_of(repr(site.config))
        context_key = digest_of((tool_key(), config_key, sorted(self.renderer.ui.items())))
        templates = template_infos(self.renderer, self.cache)
        if self.structure is None:
            if self.site_digest is None:
                self.site_digest = site_structure(site)
            self.structure = structure_key(
                self.site_digest, (context_key, sorted((k, v.digest) for k, v in templates.items()))
            )
        self.digests = ArticleDigests.of(site.articles, self._last_digests())
        return Fingerprinter(context_key, config_key, templates, self.renderer.env.globals)

    def _last_digests(self) -> ArticleDigests | None:
        """The articles' digests the last build into this output recorded, when it had this build's structure."""
        assert self.cache is not None
        last = self.cache.get_meta(STRUCTURE + self.output_key)
        if last is None or last[0] != self.structure or not isinstance(last[1], ArticleDigests):
            return None
        return last[1]

    def _changed_articles(self) -> set[str] | None:
        """Sources of the articles whose file changed since the last build, when nothing else did; else None."""
        last = self._last_digests()
        return None if last is None else self.digests.changed_since(last)

    def _last_pages(self) -> tuple[str | None, LastPages | None]:
        """The structure key of the last build into this output and what it recorded of its pages (see
        :class:`LastPages`); (None, None) for a cache of an older version."""
        assert self.cache is not None
        last = self.cache.get_meta(STRUCTURE + self.output_key)
        if last is None or len(last) < 3 or not isinstance(last[2], LastPages):
            return None, None
        return last[0], last[2]

    def _changed_templates(self) -> set[str]:
        """The templates whose digest is not the one the last build recorded: their pages' fingerprints cannot be
        their last ones."""
        _, recorded = self._last_pages()
        if recorded is None:
            return set()
        templates = self.fingerprinter.templates
        return {name for name, info in templates.items() if recorded.templates.get(name) != info.digest}

    def _fingerprints(self, pages: list[Page]) -> list[tuple[str | None, Refs]]:
        """(fingerprint, refs) of every page that was in the last build; a page showing no changed article keeps
        its last ones. A new page, or one whose template changed, is rendered anyway: its fingerprint is worked
        out with it."""
        results: list[tuple[str | None, Refs]] = [(None, ())] * len(pages)
        if self.cache is None:
            return results
        changed = self._changed_articles()
        showing = None  # output paths of the pages showing a changed article
        if changed is not None and len(changed) <= MAX_REFERENCE_LOOKUPS:
            showing = self.cache.pages_showing(self.output_key, changed)
        templates = self._changed_templates()
        todo = []
        for index, path in enumerate(self.outputs):
            last = self.previous.get(path)
            if last is None:
                continue
            if pages[index].template in templates:
                self._fingerprint_with_render.add(index)
            elif showing is None or not last.shows_articles or path in showing:
                todo.append(index)
            else:
                results[index] = (last.fingerprint, None)  # None: its references stay as stored
        for index, result in zip(todo, self._fingerprint_all(pages, todo), strict=True):
            results[index] = result
        return results

    def _fingerprint_all(self, pages: list[Page], todo: list[int]) -> Iterator[tuple[str | None, Refs]]:
        jobs = 1 if len(todo) < MIN_PARALLEL_FINGERPRINTS else self.jobs
        return ordered_map(_FingerprintTask(pages, self.fingerprinter), todo, jobs)

    def _decide(
        self,
        pages: list[Page],
        indices: Iterable[int],
        writer: OutputWriter,
        source_of: Callable[[Page], str],
        fingerprints: Iterable[tuple[str | None, Refs]],
    ) -> tuple[list[int], set[int]]:
        """Keep each of these pages whose fingerprint is its last one and whose file is as the last build left it;
        the others are to render (the new ones with their fingerprint): (to render, new)."""
        dirty: list[int] = []
        new: set[int] = set()
        for index, (fingerprint, refs) in zip(indices, fingerprints, strict=True):
            page, path = pages[index], self.outputs[index]
            self.fingerprints[path] = (fingerprint, refs)
            last = self.previous.get(path)
            unchanged = fingerprint is not None and last is not None and last.fingerprint == fingerprint
            if unchanged and last.digest == writer.previous.get(path) and writer.keep(path, source_of(page)):
                self.kept.append(index)
            else:
                dirty.append(index)
                if last is None or index in self._fingerprint_with_render:
                    new.add(index)
        return dirty, new

    def _decide_touch_up(
        self, pages: list[Page], writer: OutputWriter, source_of: Callable[[Page], str]
    ) -> tuple[list[int], set[int]] | None:
        """:meth:`_decide` for the pages a touch-up may have changed only: those showing an edited article, those
        it made again, and those the cache has no fingerprint of. The others are the last build's files, kept
        without a look at their fingerprint, as long as the output is as that build left it. None: decide for
        every page."""
        assert self.cache is not None
        changed = self._changed_articles()
        last = last_build(self.cache, self.output_key)
        if changed is None or len(changed) > MAX_REFERENCE_LOOKUPS or last is None:
            return None
        if writer.manifest != last.manifest:
            return None  # the cache's page digests may not be the manifest's: look at every page
        outputs = self.outputs
        position = {path: index for index, path in enumerate(outputs)}
        showing = self.cache.pages_showing(self.output_key, changed)
        unknown = self._not_fingerprinted(position)
        chosen = {index for index, page in enumerate(pages) if page.kind in self.refreshed}
        chosen.update(position[path] for path in (*showing, *unknown) if path in position)
        others = [index for index in range(len(pages)) if index not in chosen]
        not_kept = writer.keep_many([outputs[i] for i in others], lambda n: source_of(pages[others[n]]))
        missing = {others[n] for n in not_kept}  # files not as the last build left them: rendered again
        self.kept = [index for index in others if index not in missing] if missing else others
        candidates = sorted(chosen | missing)
        self.previous = self.cache.pages(self.output_key, [outputs[i] for i in candidates])
        todo = [index for index in candidates if outputs[index] in self.previous]
        computed = dict(zip(todo, self._fingerprint_all(pages, todo), strict=True))
        fingerprints = [computed.get(index, (None, ())) for index in candidates]
        return self._decide(pages, candidates, writer, source_of, fingerprints)

    def _outputs_digest(self) -> str:
        """Of the output files of the pages a touch-up keeps in place (the others it makes again: their number
        can change, as a new word adds a search shard)."""
        if self._outputs_key is None:
            kept = [path for path, page in zip(self.outputs, self._pages, strict=True) if page.kind not in REFRESHED]
            self._outputs_key = text_digest("\0".join(kept))
        return self._outputs_key

    def _not_fingerprinted(self, position: dict[str, int]) -> Iterable[str]:
        """The output paths of this build the cache has no fingerprint of: as the last build recorded them when
        it had the same pages, else found by reading every path the cache has."""
        assert self.cache is not None
        structure, recorded = self._last_pages()
        if recorded is not None and structure == self.structure and recorded.outputs == self._outputs_digest():
            return recorded.missing
        return position.keys() - self.cache.page_paths(self.output_key)

    def run(
        self,
        pages: list[Page],
        writer: OutputWriter,
        source_of: Callable[[Page], str],
        diagnostics: Diagnostics,
        progress: Progress | None = None,
        links: Callable[[list[str]], LinkResolver] | None = None,
    ) -> Iterator[tuple[Page, RenderedFile]]:
        """Keep unchanged pages, render the others; yields each rendered page for the link check.

        ``links``: makes the resolver that checks the rendered pages' links, given every page's output file."""
        if progress is not None:
            progress("decide", 0, 1)
        self.outputs = output_files(map(_PATH, pages))
        self._outputs_key = None
        self._pages, self._source_of = pages, source_of
        decided = self._decide_touch_up(pages, writer, source_of) if self.refreshed else None
        self.touched_up = decided is not None
        if decided is None:
            if self.cache is not None:
                self.previous = self.cache.pages(self.output_key)
            decided = self._decide(pages, range(len(pages)), writer, source_of, self._fingerprints(pages))
        dirty, new = decided
        fingerprinter = self.fingerprinter if self.cache is not None else None
        resolver = links(self.outputs) if links is not None and dirty else None
        task = _RenderTask(pages, self.renderer, writer, fingerprinter, frozenset(new), resolver)
        for done, (index, result) in enumerate(zip(dirty, ordered_map(task, dirty, self.jobs), strict=True)):
            if progress is not None:
                progress("render", done, len(dirty))
            page = pages[index]
            if isinstance(result, RenderFailure):
                diagnostics.error(result.path, result.line, 1, result.message)
                continue
            writer.record(result.path, result.digest, result.size, result.staged, source_of(page))
            fingerprint, refs = result.fingerprint or self.fingerprints.get(result.path, (None, ()))
            if result.links is not None:  # one string per distinct href (menus repeat on every page): flat memory
                result = replace(result, links=tuple(map(sys.intern, result.links)))
            self.rendered[result.path] = (fingerprint, result.digest, result.links, _shared_refs(refs))
            yield page, result

    def kept_links(self, removed: bool) -> Iterator[tuple[str, list[str], str]]:
        """(output path, links, source) of the pages not rendered.

        Their links were all fine in the last build; only when files were removed
        since then can one of them be broken now, so only then are they read.
        """
        if not removed:
            return  # every page is in the list of outputs the checker is given: nothing to add
        paths = [self.outputs[index] for index in self.kept]
        links = self.cache.page_links(self.output_key, paths) if self.cache else {}
        for index, path in zip(self.kept, paths, strict=True):
            yield path, links.get(path, []), self._source_of(self._pages[index])

    def save(self) -> None:
        """After a successful build: remember what each page was made from."""
        if self.cache is None:
            return
        # A touch-up has the last build's pages: none to forget (and no need to list 100,000 to find none).
        keep = None if self.touched_up else {self.outputs[index] for index in self.kept} | set(self.rendered)
        # Every page kept had a fingerprint and every page the cache had none of was rendered: those rendered
        # without one are the pages the cache now has no fingerprint of.
        missing = tuple(sorted(path for path, (fingerprint, *_) in self.rendered.items() if fingerprint is None))
        templates = {name: info.digest for name, info in self.fingerprinter.templates.items()}
        pages = LastPages(self._outputs_digest(), missing, templates)
        self.cache.update_pages(self.output_key, self.rendered, keep, (self.structure, self.digests, pages))


def _shared_refs(refs: Refs) -> Refs:
    """A page's references with each source shared by every page holding it: 140,000 pages' own copies, as a
    string each, cost the main process 150 MB until the cache had them."""
    return None if refs is None else tuple(map(sys.intern, refs))


def cpu_jobs(jobs: int | None) -> int:
    return jobs if jobs and jobs > 0 else (os.cpu_count() or 1)


# -- "Các tin tức khác" ---------------------------------------------------------------------------------------


def related_signature(site: Site) -> str:
    """Everything the related-article ranking reads: dates, categories and tags of all articles, the config."""
    features = [
        (a.source, a.date.timestamp(), a.category.slug if a.category else None, [t.slug for t in a.tag_terms])
        for a in site.articles
    ]
    return digest_of((tool_key(), repr(site.config), features))


@dataclass
class _RelatedTask:
    site: Site
    positions: dict[str, int] = field(default_factory=dict)  # article source → position, filled before forking

    def __call__(self, index: int) -> list[int]:
        from .related import related_articles

        found = related_articles(self.site, self.site.articles[index])
        return [self.positions[candidate.source] for candidate in found]


def work_out_related(site: Site, cache: BuildCache | None, jobs: int | None = None) -> None:
    """Fill ``site.related`` for every article: from the cache when no date, category or tag changed.

    Lists are kept as positions in ``site.articles`` (which the signature fixes), in two arrays: they load in a
    fraction of the time of 100,000 lists (see ``models.RelatedLists``).
    """
    signature = related_signature(site)
    saved = cache.get_meta("related") if cache is not None else None
    if isinstance(saved, tuple) and len(saved) == 3 and saved[0] == signature and len(saved[2]) == len(site.articles):
        site.related = RelatedLists(site.articles, saved[1], saved[2])
        return
    from .related import prepare

    prepare(site)
    positions = {article.source: number for number, article in enumerate(site.articles)}
    lists = ordered_map(_RelatedTask(site, positions), range(len(site.articles)), jobs)
    site.related = related = RelatedLists.of(site.articles, lists)
    if cache is not None:
        cache.set_meta("related", (signature, *related.arrays()))


MAX_SEARCH_CHANGES = 200  # more changed articles than this: the index is made again from every article's words


def work_out_search_index(
    site: Site, cache: BuildCache | None, keys: Sequence[str] | None = None, blocks: list[str] | None = None
) -> None:
    """Fill ``site.search_index`` (``search.SearchFiles``): the last build's index kept in the cache, with the
    changed and new articles indexed again; made afresh (from cached words where files did not change) when ids
    moved or much changed. ``keys``: the articles' ``search.doc_key``, oldest first, when known (a touch-up), and
    ``blocks`` their ``search.block_digests``."""
    if cache is None:
        return
    from .search import SearchFiles, block_digests, doc_key, reindex

    articles = list(reversed(site.articles))  # ids count from the oldest
    if keys is None or len(keys) != len(articles):
        keys, blocks = [doc_key(article) for article in articles], None
    if blocks is None:
        blocks = block_digests(keys)
    key = parse_key(site.config)
    state, chunks = cache.search_state(key)
    if state is None or not reindex(cache, state, keys, blocks, articles, MAX_SEARCH_CHANGES):
        state = new_search_index(articles, keys, blocks, cache, key)
    site.search_index = SearchFiles(state.shards, chunks, cache, key, blocks, keys)


def new_search_index(
    articles: list[Article], keys: Sequence[str], blocks: list[str], cache: BuildCache, key: str
) -> Any:
    """Index every article (streaming their cached words) and keep the index in the cache."""
    from .search import IndexState, index_articles, shard_files, term_texts, words_key
    from .vietnamese import fold

    words = [words_key(article) for article in articles]
    index = index_articles(articles, cached_search_words(articles, cache, words))
    entries = index.entries()
    folded = {spelling: fold(spelling) for spelling in entries}
    state = IndexState(len(articles), blocks, shard_files(term_texts(entries.items(), folded)))
    docs = zip(range(len(keys)), keys, words, strict=True)
    cache.replace_search_index(key, state, docs, index.rows(entries, folded))
    return state


SEARCH_WORDS_BATCH = 500  # articles whose cached words are read at a time


def cached_search_words(articles: list[Article], cache: BuildCache, keys: list[str]) -> Iterator[tuple[str, str]]:
    """Each article's ``search.file_words``, in order, from what its file's parse left in the cache: a new index
    does not read every body again. Streamed, so memory holds a batch of words, not every article's.
    ``keys``: the articles' ``search.words_key``."""
    from .search import file_words

    for start in range(0, len(articles), SEARCH_WORDS_BATCH):
        batch = keys[start : start + SEARCH_WORDS_BATCH]
        saved = cache.search_words(batch)
        fresh = {}
        for article, key in zip(articles[start : start + SEARCH_WORDS_BATCH], batch, strict=True):
            words = saved.get(key) or fresh.get(key)
            if words is None:
                words = fresh[key] = file_words(article)
            yield words
        cache.update_search_terms(fresh, [])
    wanted = set(keys)
    cache.update_search_terms({}, [key for key in cache.search_word_keys() if key not in wanted])


# -- nothing changed ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LastBuild:
    """What a successful build left, to answer the next one at once when none of its inputs changed."""

    inputs: str  # digest of every input's path, size and mtime (see :func:`with_content`)
    manifest: str  # digest of the output's manifest: the output is as that build left it
    articles: int
    pages: int
    files: int
    warnings: list[Diagnostic]
    upcoming: float | None  # when the next future-dated article gets published (timestamp)
    newest: float | None = None  # date of the newest published article: a build dated before it leaves it out


def _file_states(folder: Path, newest_ns: int) -> list[tuple[str, int, int]] | None:
    """(relative path, size, mtime) of every file below ``folder``; None when one changed too recently to trust."""
    states = []
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            try:
                info = os.stat(path)
            except OSError:
                continue
            if info.st_mtime_ns >= newest_ns:
                return None
            states.append((path, info.st_size, info.st_mtime_ns))
    return sorted(states)


def _newest_trusted_ns() -> int:
    return time.time_ns() - 2_000_000_000  # same-tick edits: see cache.RACY_SECONDS


@dataclass(frozen=True)
class Frame:
    """Digests of every input but the content files: the templates apart from the rest, as a template edit
    leaves the site and its pages as they were (see ``touchup``)."""

    site: str  # the tool, the request, the config file, the static files
    templates: str | None  # the template folders; None: one just saved (an edit in the same tick could hide)

    @property
    def digest(self) -> str | None:
        """Of every input but the content files; None when the templates' is not known."""
        return None if self.templates is None else digest_of((self.site, self.templates))

    def same_templates(self, other: Frame) -> bool:
        """Whether the templates are known to be those of ``other``."""
        return self.templates is not None and self.templates == other.templates


def input_frame(request_key: Any, site_inputs: list[Path], template_folders: list[Path]) -> Frame | None:
    """The :class:`Frame` of these inputs (files or folders); None when one of ``site_inputs`` is not trustworthy
    now. A template just saved leaves its digest unknown: the site is still the last one (the bench edits a
    template and builds at once)."""
    site = input_digest(request_key, site_inputs)
    return None if site is None else Frame(site, input_digest(None, template_folders))


def input_digest(request_key: Any, paths: list[Path]) -> str | None:
    """Digest of the tool, the request and every input file's size and mtime; None when not trustworthy now."""
    newest_ns = _newest_trusted_ns()
    parts: list[Any] = [tool_key(), request_key]
    for path in paths:
        if path.is_dir():
            states = _file_states(path, newest_ns)
            if states is None:
                return None
            parts.append((str(path.resolve()), str(path), states))
        elif path.exists():
            info = path.stat()
            if info.st_mtime_ns >= newest_ns:
                return None
            parts.append((str(path.resolve()), info.st_size, info.st_mtime_ns))
        else:
            parts.append((str(path), None))
    return digest_of(parts)


def with_content(frame: Frame | None, content: ContentFiles) -> str | None:
    """Digest of every input: ``frame`` (all but the content files) and the content files' sizes and mtimes;
    None when one of them is not trustworthy now."""
    stamps = content.stamps
    if frame is None or frame.digest is None or max(stamps.mtimes, default=0) >= _newest_trusted_ns():
        return None
    return digest_of((frame.digest, stamps.digest()))


LAST_BUILD = "last:"  # meta key of the LastBuild into an output folder, before the folder's resolved path


def last_build(cache: BuildCache, output_key: str) -> LastBuild | None:
    """What the last successful build into an output folder (resolved, as a string) left."""
    last = cache.get_meta(LAST_BUILD + output_key)
    return last if isinstance(last, LastBuild) else None


def unchanged_build(
    cache: BuildCache,
    output_dir: Path,
    inputs: str | None,
    now: float,
    future: bool,
    ahead: Callable[[], FilesAhead | None],
) -> LastBuild | None:
    """The last build into ``output_dir`` when its inputs and its output are exactly as they were.

    ``ahead``: gives :func:`output.files_not_in_place` of the output folder, worked out beside this process."""
    last = last_build(cache, str(output_dir.resolve()))
    if inputs is None or last is None or last.inputs != inputs:
        return None
    if last.upcoming is not None and now >= last.upcoming:
        return None  # a future-dated article is due
    if not future and last.newest is not None and now < last.newest:
        return None  # a build dated before the newest article (SOURCE_DATE_EPOCH) leaves it out
    found = ahead()
    if found is None or found[0] != last.manifest or found[1]:
        return None  # a file deleted or edited by hand is written again
    return last


def remember_build(cache: BuildCache, output_dir: Path, inputs: str | None, last: LastBuild) -> None:
    """Keep what a successful build left. Inputs that changed too recently to trust (``inputs`` None: an edit
    saved within the same second, as under ``watch``) are kept as "" so that no next build is taken for a
    no-change one; the output's manifest is kept all the same, for the next touch-up to trust the cache's pages."""
    manifest = manifest_digest(output_dir)
    if manifest is not None:
        cache.set_meta(LAST_BUILD + str(output_dir.resolve()), replace(last, inputs=inputs or "", manifest=manifest))


def upcoming_publication(articles: list[Article], site: Site, now: float) -> float | None:
    """When the earliest article left out of this build for its future date would be published."""
    published = {id(article) for article in site.articles}
    dates = [a.date.timestamp() for a in articles if id(a) not in published and a.date.timestamp() > now]
    return min(dates) if dates else None
