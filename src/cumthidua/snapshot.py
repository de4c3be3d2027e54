"""The site and pages the last full build assembled, kept in one file for touch-up rebuilds (see ``touchup``).

A touch-up reads every article's file, digest and place and every page's
path, but shows few articles and renders few pages. So the file holds, after
a small :class:`Header`, the :class:`Snapshot` with each article reduced to
what every build reads of it (``_STUB_FIELDS``) and each article and listing
page to its kind, path, template and source; their other fields follow in a
region read only when a page shows them (:class:`SnapshotArticle`,
:class:`SnapshotPage`). At 100,000 articles, loading everything whole took two
and a half seconds.
"""

from __future__ import annotations

import bisect
import dataclasses
import io
import itertools
import mmap
import os
import pickle
import shutil
import tempfile
import weakref
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cache import STRUCTURE, BuildCache, StoredArticle
from .incremental import _SOURCE, Frame
from .models import Article, Page, Pagination, Site


@dataclass(frozen=True)
class Header:
    """What a snapshot is valid for, read before the snapshot itself."""

    frame: Frame  # of the build that made it: its request, config, static files and templates
    structure: str  # incremental.structure_key of the build that made it (its templates included)
    upcoming: float | None  # when the earliest future-dated article comes due
    newest: float | None  # date of the newest published article: a build "before" it is not the same site
    site_digest: str | None = None  # incremental.site_structure of its site
    token: str = field(default_factory=lambda: os.urandom(8).hex())  # this snapshot's and no other's


@dataclass
class Snapshot:
    header: Header
    articles: list[Article]  # every article read, published or not; the site's articles are among them
    site: Site  # without its search index (kept in the cache on its own)
    pages: list[Page]
    copies: CopyingPages = field(default_factory=lambda: CopyingPages(-1, {}))  # the pages that copy article fields
    # The site's articles' search.doc_key, oldest first:
    search_keys: PackedTexts = field(default_factory=lambda: PackedTexts([]))
    search_blocks: list[str] = field(default_factory=list)  # their search.block_digests
    shared: list[Any] = field(default_factory=list)  # what the region's pickles share (see _SnapshotPickler)
    region: _Region | None = None  # where the lazy objects' other fields are (see _Region)

    def article(self, source: str) -> Article | None:
        """The article of the file ``source``, found in ``articles`` by bisection: they are in path order, as
        ``incremental.load_articles`` gives them (a dict of 100,000 took a touch-up 0.05 s to make). None: no
        such article, or they are not in that order."""
        at = bisect.bisect_left(self.articles, source, key=_SOURCE)
        if at < len(self.articles) and self.articles[at].source == source:
            return self.articles[at]
        return None


class PackedTexts(Sequence[str]):
    """Texts kept as one UTF-8 blob and where each ends, each decoded when read: the snapshot's 100,000 search keys
    load as two objects instead of 100,000 strings (0.05 s of every touch-up), and a touch-up reads a few."""

    def __init__(self, texts: Iterable[str]) -> None:
        encoded = [text.encode("utf-8", "surrogatepass") for text in texts]
        self._blob = b"".join(encoded)
        self._ends = array("q", itertools.accumulate(map(len, encoded)))
        self._replaced: dict[int, str] = {}  # position → a text put in its place (see :meth:`replaced`)

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[position] for position in range(*index.indices(len(self)))]
        position = self._position(index)
        if position in self._replaced:
            return self._replaced[position]
        start = self._ends[position - 1] if position else 0
        return self._blob[start : self._ends[position]].decode("utf-8", "surrogatepass")

    def __iter__(self) -> Iterator[str]:
        return map(self.__getitem__, range(len(self)))

    def replaced(self, texts: dict[int, str]) -> PackedTexts:
        """The same texts with those at the positions of ``texts`` replaced (the blob is shared, not copied)."""
        copy = PackedTexts.__new__(PackedTexts)
        copy._blob, copy._ends = self._blob, self._ends
        copy._replaced = {**self._replaced, **{self._position(index): text for index, text in texts.items()}}
        return copy

    def _position(self, index: int) -> int:
        position = index + len(self) if index < 0 else index
        if not 0 <= position < len(self):
            raise IndexError("text position out of range")
        return position


@dataclass(frozen=True)
class CopyingPages:
    """Which pages copy an article's title and summary: its own page and its aliases. Its own page is found by
    its place (``site.site_pages`` makes the article pages in the site's order), not kept: a dict of 100,000
    lists took 0.08 s of every touch-up to load."""

    first: int  # position of the first article page; -1: none
    aliases: dict[str, list[int]]  # article source → positions of its alias pages

    @classmethod
    def of(cls, pages: list[Page]) -> CopyingPages:
        first = next((index for index, page in enumerate(pages) if page.kind == "article"), -1)
        aliases: dict[str, list[int]] = {}
        for index, page in enumerate(pages):
            if page.kind == "alias":
                aliases.setdefault(page.data["article"].source, []).append(index)
        return cls(first, aliases)

    def positions(self, site: Site, pages: list[Page], article: Article) -> list[int]:
        """Positions of the pages that copy ``article``'s fields; LookupError: its page is not where it should be."""
        found = list(self.aliases.get(article.source, []))
        position = site.index_of.get(article.url)
        if position is not None:
            at = self.first + position
            if self.first < 0 or at >= len(pages) or pages[at].kind != "article" or pages[at].path != article.url:
                raise LookupError(f"the page of {article.source} is not in its place")
            found.insert(0, at)
        return found


# What a snapshot's article holds from the start: what a touch-up reads of every article (which file, what it
# was, where it sits, what the fingerprints encode). Its other fields wait in the region.
_STUB_FIELDS = ("source", "digest", "date", "url", "image", "image_size", "category", "tag_terms")
_LAZY_ARTICLE_FIELDS = tuple(
    f.name for f in dataclasses.fields(Article) if f.name not in {*_STUB_FIELDS, "body_html", "text"}
)
_LAZY_PAGE_FIELDS = ("title", "description", "data")  # of a page; kind, path, template, source are read
_LAZY_PAGE_KINDS = frozenset({"article", "home", "category", "tag", "archive"})  # the thousands of pages


class _Articles(list):
    """A snapshot's articles, in a list the region can point at weakly: every article points at the region, and
    a strong link back would make the whole snapshot a cycle, kept by ``serve`` until a full garbage collection."""


class _Region:
    """The part of a snapshot file after the snapshot, mapped into memory: forked workers share it, and it stays
    valid when a later build replaces the file. Its pickles name the snapshot's articles by position.

    Pickled as an empty object, once (every lazy object's state points at the same one, by pickle's memo), and
    attached to the file when loaded: no pass over the 240,000 loaded objects to give each its region."""

    data: mmap.mmap
    start: int
    articles: weakref.ref[_Articles]
    shared: weakref.ref[_Articles]  # the snapshot's ``shared``

    def __reduce__(self) -> tuple:
        return (_Region, ())

    def attach(self, data: mmap.mmap, start: int, articles: _Articles, shared: _Articles) -> None:
        self.data, self.start = data, start
        self.articles, self.shared = weakref.ref(articles), weakref.ref(shared)

    def load(self, offset: int, length: int) -> Any:
        start = self.start + offset
        unpickler = pickle.Unpickler(io.BytesIO(self.data[start : start + length]))
        unpickler.persistent_load = self._shared
        return unpickler.load()

    def _shared(self, key: int) -> Any:
        """An article (key ≥ 0: its position) or a shared object (key < 0: ``-1 - position``)."""
        found = self.articles() if key >= 0 else self.shared()
        if found is None:
            raise LookupError("a page of a snapshot read after the snapshot's articles were let go")
        return found[key] if key >= 0 else found[-1 - key]


# Where a lazy object's other fields are in the region: one integer, offset << _SPAN_BITS | length (a tuple of
# two took 0.04 s more to load at 100,000 articles: 240,000 tuples).
_SPAN_BITS = 40
_SPAN_MASK = (1 << _SPAN_BITS) - 1


class _Lazy:
    """Fields loaded from the region on first use; ``_lazy`` holds where they are until then."""

    def _fill(self) -> None:
        state = self.__dict__
        where = state.pop("_lazy", None)
        if where is None:
            return
        for name, value in state.pop("_region").load(where >> _SPAN_BITS, where & _SPAN_MASK).items():
            state.setdefault(name, value)  # a field set since is the newer


def _lazy_field(name: str) -> property:
    def get(holder: _Lazy) -> Any:
        state = holder.__dict__
        if name not in state:
            holder._fill()
        return state[name]

    def put(holder: _Lazy, value: Any) -> None:
        holder.__dict__[name] = value

    return property(get, put, doc=f"``{name}``, loaded from the snapshot on first use")


class SnapshotArticle(_Lazy, StoredArticle):
    """An article of a snapshot: the fields in ``_STUB_FIELDS`` are loaded with it, the others on first use.
    Every field reads and writes as usual."""

    def __getattr__(self, name: str) -> Any:
        """Front-matter fields (``article.nguon``) live in ``extra``, which may not be loaded yet."""
        if "_lazy" in self.__dict__:
            self._fill()
            return getattr(self, name)
        return super().__getattr__(name)

    def __getstate__(self) -> dict[str, Any]:
        self._fill()
        return super().__getstate__()


class SnapshotPage(_Lazy, Page):
    """An article page of a snapshot: its title, description and data are loaded on first use."""


def _with_lazy_fields(kind: type, names: Iterable[str]) -> None:
    for name in names:
        setattr(kind, name, _lazy_field(name))


_with_lazy_fields(SnapshotArticle, _LAZY_ARTICLE_FIELDS)
_with_lazy_fields(SnapshotPage, _LAZY_PAGE_FIELDS)


class _SnapshotPickler(pickle.Pickler):
    """Pickles articles and article and listing pages as the fields read of each, and where in ``region`` the
    others went (articles and ``shared`` objects by position)."""

    def __init__(self, file: Any, region: Any, snapshot: Snapshot):
        super().__init__(file, protocol=5)
        self.region = region
        self.mapped = snapshot.region  # what each lazy object's ``_region`` loads as
        self.positions = {id(article): number for number, article in enumerate(snapshot.articles)}
        self.positions.update((id(value), -1 - number) for number, value in enumerate(snapshot.shared))
        self.dispatch_table = {kind: self._article for kind in (Article, StoredArticle, SnapshotArticle)}
        self.dispatch_table[Page] = self._page

    def _article(self, article: Article) -> tuple:
        if isinstance(article, SnapshotArticle):
            article._fill()
        state = vars(article)  # only the fields named below are pickled: not a stored article's body or cache
        stub = {name: state[name] for name in _STUB_FIELDS if name in state}
        rest = {name: state[name] for name in _LAZY_ARTICLE_FIELDS if name in state}
        return self._reduce_lazy(SnapshotArticle, stub, rest)  # filled by StoredArticle.__setstate__: one short call

    def _page(self, page: Page) -> Any:
        if page.kind not in _LAZY_PAGE_KINDS:
            return page.__reduce_ex__(5)
        state = vars(page)
        stub = {name: value for name, value in state.items() if name not in _LAZY_PAGE_FIELDS}
        return self._reduce_lazy(SnapshotPage, stub, {name: state[name] for name in _LAZY_PAGE_FIELDS})  # filled in C

    def _reduce_lazy(self, kind: type, stub: dict[str, Any], rest: dict[str, Any]) -> tuple:
        """How a lazy object is pickled: made by ``object.__new__`` (no Python call) with ``stub`` as its state,
        ``rest`` put in the region and ``_lazy`` saying where."""
        stub["_lazy"] = self._put(rest)
        stub["_region"] = self.mapped
        return (object.__new__, (kind,), stub)

    def _put(self, fields: dict[str, Any]) -> int:
        """Write ``fields`` to the region, articles by position: where, as :data:`_SPAN_BITS` says."""
        blob = io.BytesIO()
        pickler = pickle.Pickler(blob, protocol=5)
        pickler.persistent_id = lambda value: self.positions.get(id(value))
        pickler.dump(fields)
        offset, length = self.region.tell(), blob.tell()
        if length > _SPAN_MASK:
            raise pickle.PicklingError("a page's fields are too large for a snapshot")  # then none is kept
        self.region.write(blob.getbuffer())
        return offset << _SPAN_BITS | length


def shared_values(pages: list[Page]) -> list[Any]:
    """What the data of the lazy listing pages holds besides their own articles and place: their category, tag or
    archive (with its articles) and their listing's links, kept once in the snapshot instead of in each page's
    pickle. Every page of a listing holds them (5,000 home pages of 5,000 links each), and they stay the site's
    very objects."""
    shared: dict[int, Any] = {}
    for page in pages:
        if page.kind not in _LAZY_PAGE_KINDS or page.kind == "article":
            continue
        for value in page.data.values():
            if isinstance(value, Pagination):
                shared.setdefault(id(value.pages), value.pages)
            elif not isinstance(value, (str, int, float, list)):
                shared.setdefault(id(value), value)
    return list(shared.values())


def remember(
    cache: BuildCache, output_dir: Path, header: Header, articles: list[Article], site: Site, pages: list[Page]
) -> None:
    """After a successful full build: keep its site and pages for the next build into ``output_dir``.

    The search files are left out (a touch-up makes them again from the index in the cache), and so is the search
    index itself. The file holds the header, the snapshot, then the region."""
    target = cache.snapshot_file(str(output_dir.resolve()))
    temporary = target.with_suffix(".tmp")
    pages = [page for page in pages if page.kind != "search-data"]
    index, site.search_index = site.search_index, None
    keys, blocks = PackedTexts(getattr(index, "keys", [])), getattr(index, "blocks", [])
    shared = shared_values(pages)
    snapshot = Snapshot(header, articles, site, pages, CopyingPages.of(pages), keys, blocks, shared, _Region())
    try:
        with open(temporary, "wb") as file, tempfile.TemporaryFile(dir=target.parent) as region:
            pickle.dump(header, file, protocol=5)
            _SnapshotPickler(file, region, snapshot).dump(snapshot)
            region.seek(0)
            while chunk := region.read(1 << 20):
                file.write(chunk)
        os.replace(temporary, target)
    except (OSError, pickle.PicklingError, TypeError, AttributeError, RecursionError):
        temporary.unlink(missing_ok=True)
        target.unlink(missing_ok=True)  # better no snapshot than a stale one: it only saves time
    finally:
        site.search_index = index


# What reading a snapshot file of another version, a damaged one or none raises.
_UNREADABLE = (OSError, EOFError, ValueError, pickle.UnpicklingError, AttributeError, ImportError, IndexError,
               TypeError)  # fmt: skip


def reframe(cache: BuildCache, output_dir: Path, header: Header) -> None:
    """After a build that reused the snapshot with other templates: the same snapshot, for the new templates and
    the structure key they give. Copied behind a new header (the region's offsets count from its start), so a
    snapshot loaded earlier (``serve``) keeps reading the old file."""
    target = cache.snapshot_file(str(output_dir.resolve()))
    temporary = target.with_suffix(".tmp")
    try:
        with open(target, "rb") as old, open(temporary, "wb") as new:
            if not isinstance(pickle.load(old), Header):
                raise pickle.UnpicklingError("not a snapshot")
            pickle.dump(header, new, protocol=5)
            shutil.copyfileobj(old, new, 1 << 20)
        os.replace(temporary, target)
    except _UNREADABLE:
        temporary.unlink(missing_ok=True)
        target.unlink(missing_ok=True)  # better no snapshot than a stale one


def forget(cache: BuildCache, output_dir: Path) -> None:
    """A full build that changed the structure but could not be remembered must not leave the old one behind."""
    cache.snapshot_file(str(output_dir.resolve())).unlink(missing_ok=True)


def load(cache: BuildCache, output_dir: Path, frame: Frame, now: float, future: bool) -> Snapshot | None:
    """The snapshot for ``output_dir`` when its header says it still describes this build's site: the same
    inputs but the content files, the templates aside (they make no page; see ``touchup``)."""
    output = str(output_dir.resolve())
    last = cache.get_meta(STRUCTURE + output)
    try:
        with open(cache.snapshot_file(output), "rb") as file:
            header = pickle.load(file)
            if not isinstance(header, Header) or not isinstance(header.frame, Frame) or header.frame.site != frame.site:
                return None
            if header.frame.same_templates(frame) and (last is None or last[0] != header.structure):
                return None  # the pages' fingerprints in the cache belong to another structure
            if header.upcoming is not None and now >= header.upcoming:
                return None  # an article comes due
            if not future and header.newest is not None and now < header.newest:
                return None  # a build dated before the newest article (SOURCE_DATE_EPOCH)
            snapshot = pickle.load(file)
            snapshot.header = header  # the file's: a later build may have put another in front (see reframe)
            snapshot.articles, snapshot.shared = _Articles(snapshot.articles), _Articles(snapshot.shared)
            data = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
            snapshot.region.attach(data, file.tell(), snapshot.articles, snapshot.shared)
    except _UNREADABLE:
        return None
    store = cache.path
    for article in snapshot.articles:
        article.__dict__["_store"] = store
    return snapshot
