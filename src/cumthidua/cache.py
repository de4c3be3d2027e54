"""The persistent build cache in ``.cumthidua/cache/`` of the site: safe to delete.

One SQLite file holds

- ``sources``: each content file's size, mtime and digest with its parsed
  :class:`Article` (without body), so an unchanged file is neither read nor
  parsed again;
- ``bodies``: the rendered HTML and plain text of each body (UTF-8 bytes), by
  file digest, loaded only when a page shows them (memory stays flat as the
  site grows);
- ``search_terms``: the words of each file the search index lists, by
  :func:`search.words_key`, found when the file is parsed, so a new search
  index does not read every body again;
- ``search_docs``, ``search_postings``, ``search_files``: the search index of
  the last build by piece (each article's words key, each spelling's
  articles and JSON entry, each shard's and document chunk's text), so an
  edit reads and writes only the pieces it touches (see ``search.reindex``);
- ``pages``: per output folder, each page's fingerprint, the digest of the
  bytes it gave, its links and the articles it shows, so an unchanged page is
  neither rendered nor rewritten and the link check still sees it;
- ``meta``: the key (tool code + config) the parse cache is valid for, and
  the analysis of the templates by their digest.

Beside it, ``site-*.pickle`` holds the site and page list the last full build
into each output folder assembled (``touchup``), and ``templates-*/`` Jinja's
compiled templates.

The cache never decides what a page contains, only whether work can be
skipped; everything it stores is keyed by the digests of its inputs.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import sqlite3
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from .fingerprint import ref_key, refs_text
from .models import Article

CACHE_DIR = Path(".cumthidua") / "cache"
DATABASE = "build-2.sqlite"  # the number changes with the schema
STRUCTURE = "structure:"  # meta key prefix, per output folder
SEARCH_INDEX = "search-state"  # meta key: (key, search.IndexState) of the last build
_OLD_SEARCH_INDEX = "search-index"  # meta key of the whole index pickled, before it was kept by piece
SEARCH_CHUNKS = "search-chunks"  # meta key: (key, [search.Chunk]) of the last build
RACY_SECONDS = 2  # a file changed this close to the cache's write may change again within one mtime tick

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB);
CREATE TABLE IF NOT EXISTS sources (
    relative TEXT PRIMARY KEY, size INTEGER, mtime_ns INTEGER, digest TEXT, checked_ns INTEGER, article BLOB);
CREATE TABLE IF NOT EXISTS bodies (digest TEXT PRIMARY KEY, html TEXT, text TEXT);
CREATE TABLE IF NOT EXISTS search_terms (key TEXT PRIMARY KEY, title TEXT, rest TEXT);
CREATE TABLE IF NOT EXISTS search_docs (id INTEGER PRIMARY KEY, doc_key TEXT, words_key TEXT);
CREATE INDEX IF NOT EXISTS search_docs_words ON search_docs (words_key);
CREATE TABLE IF NOT EXISTS search_postings (
    spelling TEXT PRIMARY KEY, term_group TEXT, ids BLOB, titles BLOB, entry TEXT);
CREATE INDEX IF NOT EXISTS search_postings_group ON search_postings (term_group);
CREATE TABLE IF NOT EXISTS search_files (name TEXT PRIMARY KEY, digest TEXT, text TEXT);
CREATE TABLE IF NOT EXISTS pages (
    output TEXT, path TEXT, fingerprint TEXT, digest TEXT, links BLOB, refs TEXT, PRIMARY KEY (output, path));
-- What a build reads of every page, in an index of its own: in the table a row's refs come after its links
-- (2 KB a page), so reading them read the links too; at 100,000 articles the search for the pages showing an
-- edited article took 0.47 s, in this index 0.08 s.
CREATE INDEX IF NOT EXISTS pages_state ON pages (output, path, fingerprint, digest, refs);
"""


@lru_cache(maxsize=1)
def tool_key() -> str:
    """Digest of cumthidua's own code and UI strings: a new version never reuses old results."""
    package = Path(__file__).resolve().parent
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted([*package.glob("*.py"), *package.glob("locales/*.yaml")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


# -- articles whose body stays in the cache ---------------------------------------------------------------------

_readers: dict[tuple[int, str], sqlite3.Connection] = {}
_recent: OrderedDict[tuple[str, str], tuple[str, str]] = OrderedDict()


def _reader(database: str) -> sqlite3.Connection:
    """One read-only connection per process (workers are forked)."""
    key = (os.getpid(), database)
    connection = _readers.get(key)
    if connection is None:
        connection = _readers[key] = sqlite3.connect(f"file:{database}?mode=ro", uri=True, check_same_thread=False)
    return connection


def read_search_file(database: str, name: str, digest: str) -> str:
    """The text of a search file the cache keeps (``search.SearchFile``), checked against its digest."""
    row = _reader(database).execute("SELECT digest, text FROM search_files WHERE name = ?", (name,)).fetchone()
    if row is None or row[0] != digest:
        raise LookupError(f"search file {name} ({digest}) missing from the build cache {database}")
    return row[1]


def _read_body(database: str, digest: str) -> tuple[str, str]:
    """(html, text) of a body."""
    cached = _recent.get((database, digest))
    if cached is not None:
        return cached
    found = _reader(database).execute("SELECT html, text FROM bodies WHERE digest = ?", (digest,)).fetchone()
    if found is None:
        raise LookupError(f"body {digest} missing from the build cache {database}")
    row = (found[0].decode(), found[1].decode())  # kept as UTF-8 bytes: the parse worker encoded them
    _recent[(database, digest)] = row
    if len(_recent) > 16:
        _recent.popitem(last=False)
    return row


UNPICKLED = frozenset({"_body_html", "_text", "_store"})  # a StoredArticle's fields that are not pickled


class StoredArticle(Article):
    """An :class:`Article` whose body and plain text are read from the cache when a page shows them.

    Keeping 100,000 bodies in memory would cost gigabytes; most pages show a
    title and a summary.
    """

    @property
    def body_html(self) -> Any:
        value = self.__dict__.get("_body_html")
        if value is None:
            from markupsafe import Markup

            return Markup(_read_body(self.__dict__["_store"], self.digest)[0])
        return value

    @body_html.setter
    def body_html(self, value: Any) -> None:
        self.__dict__["_body_html"] = value

    @property
    def text(self) -> str:
        value = self.__dict__.get("_text")
        return _read_body(self.__dict__["_store"], self.digest)[1] if value is None else value

    @text.setter
    def text(self, value: str) -> None:
        self.__dict__["_text"] = value

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__
        if not UNPICKLED.isdisjoint(state):
            return {k: v for k, v in state.items() if k not in UNPICKLED}
        return state  # no copy when there is nothing to leave out: a pickler keeps every state it wrote

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Defined, so unpickling does not ask ``Article.__getattr__`` (front-matter fields) for it: 10,000 times."""
        self.__dict__.update(state)


def stored(article: Article, database: str) -> StoredArticle:
    """The same article, its body left in the cache (which must hold it)."""
    state = dict(article.__dict__)
    state.pop("body_html", None)
    state.pop("text", None)
    result = StoredArticle.__new__(StoredArticle)
    result.__dict__.update(state)
    result.__dict__["_store"] = database
    return result


def _ids(data: bytes) -> array:
    ids = array("i")
    ids.frombytes(data)
    return ids


# -- the cache file ---------------------------------------------------------------------------------------------


@dataclass(slots=True)  # not frozen: 100,000 frozen entries take a third of a second to make, slotted a tenth
class SourceEntry:
    size: int
    mtime_ns: int
    digest: str
    checked_ns: int  # when the file was last read
    article: bytes  # pickled StoredArticle

    def matches(self, size: int, mtime_ns: int) -> bool:
        """Same size and mtime, and the mtime not so close to our read that a same-tick edit could hide."""
        racy = self.mtime_ns >= self.checked_ns - RACY_SECONDS * 1_000_000_000
        return self.size == size and self.mtime_ns == mtime_ns and not racy


class PageEntry(NamedTuple):  # a tuple: 100,000 are read a rebuild
    """What the last successful build made one page from, and what it gave."""

    fingerprint: str
    digest: str  # of the bytes written
    shows_articles: bool  # its fingerprint covers articles (their sources are kept: see pages_showing)


def _page_entries(rows: Iterable[tuple[str, str, str, int]]) -> dict[str, PageEntry]:
    return {path: PageEntry(fingerprint, digest, bool(refs)) for path, fingerprint, digest, refs in rows}


class BuildCache:
    """The cache of one site; every method is a no-op-safe shortcut, never a source of truth."""

    def __init__(self, site_root: Path):
        self.folder = site_root / CACHE_DIR
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = str((self.folder / DATABASE).resolve())
        _recent.clear()  # a long-running process (serve) must not see bodies of an older config
        self.inputs: str | None = None  # digest of this build's inputs, when they can be trusted
        self.upcoming: float | None = None  # when the next future-dated article is due
        self._read: dict[str, Any] = {}  # meta values read once a build (see get_meta)
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.db.execute("PRAGMA page_size=65536")  # for a new file: a 10 KB body fits one page (half the writes)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        # 64 MiB of pages in memory (the default is 2 MiB, 31 of our 64 KiB pages): 100,000 bodies inserted by
        # random digest otherwise read and write the same index pages again and again.
        self.db.execute("PRAGMA cache_size=-65536")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def get_meta(self, key: str) -> Any:
        """The value kept under ``key``; the structure's (a 6 MB pickle at 100,000 articles, read by the snapshot
        and by the page renderer) is unpickled once a build. Treat it as read-only."""
        if key in self._read:
            return self._read[key]
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        value = None if row is None else pickle.loads(row[0])
        if key.startswith(STRUCTURE):
            self._read[key] = value
        return value

    def set_meta(self, key: str, value: Any) -> None:
        self._read.pop(key, None)
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, pickle.dumps(value, protocol=5)))

    # -- parsed content files

    def sources(self, parse_key: str) -> dict[str, SourceEntry]:
        """Entries valid for ``parse_key`` (tool code + config): relative path → entry."""
        if self.get_meta("parse_key") != parse_key:
            self.db.execute("BEGIN")
            self.db.execute("DELETE FROM sources")
            self.db.execute("DELETE FROM bodies")
            self.db.execute("DELETE FROM search_terms")
            self.set_meta("parse_key", parse_key)
            self.db.execute("COMMIT")
            return {}
        rows = self.db.execute("SELECT relative, size, mtime_ns, digest, checked_ns, article FROM sources")
        return {row[0]: SourceEntry(*row[1:]) for row in rows}

    def source_states(self, parse_key: str, relatives: list[str] | None = None) -> dict[str, SourceEntry] | None:
        """Like :meth:`sources` without the pickled articles (cheap to read), of every file or of ``relatives``
        (those the cache has); None when ``parse_key`` changed."""
        if self.get_meta("parse_key") != parse_key:
            return None
        query = "SELECT relative, size, mtime_ns, digest, checked_ns FROM sources"
        if relatives is None:
            return {row[0]: SourceEntry(*row[1:], article=b"") for row in self.db.execute(query)}
        rows = (self.db.execute(query + " WHERE relative = ?", (relative,)).fetchone() for relative in relatives)
        return {row[0]: SourceEntry(*row[1:], article=b"") for row in rows if row is not None}

    def source_articles(self, relatives: list[str]) -> dict[str, bytes]:
        """The pickled articles of some files: relative path → pickle."""
        query = "SELECT article FROM sources WHERE relative = ?"
        rows = ((relative, self.db.execute(query, (relative,)).fetchone()) for relative in relatives)
        return {relative: row[0] for relative, row in rows if row is not None}

    def compiled_templates(self) -> Path | None:
        """A folder for Jinja's compiled templates, one per version of the tool (its template tags compile too)."""
        folder = self.folder / f"templates-{tool_key()[:16]}"
        try:
            folder.mkdir(exist_ok=True)
        except OSError:
            return None
        return folder

    def snapshot_file(self, output: str) -> Path:
        """Where the site assembled for ``output`` is kept (see ``touchup``): a file, read in one go."""
        return self.folder / f"site-{_short_digest(output)}.pickle"

    def stamps_file(self, output: str) -> Path:
        """Where the size and mtime of each file written into ``output`` are kept (see ``output.Manifest``)."""
        return self.folder / f"stamps-{_short_digest(output)}.pickle"

    def store_sources(self, parsed: list[tuple[str, int, int, int, str, Any]], words: dict[str, Any]) -> None:
        """Record freshly parsed files (relative path, size, mtime, time read, digest, incremental.CachedArticle)
        and their search words (key → (title, rest), see ``search.file_words``)."""
        if not parsed:
            return
        self.db.execute("BEGIN")
        self._put_search_words(words)
        self.db.executemany(
            "INSERT OR REPLACE INTO bodies VALUES (?, ?, ?)", [(digest, c.html, c.text) for *_, digest, c in parsed]
        )
        self.db.executemany(
            "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?)",
            [(path, size, mtime, digest, checked, c.article) for path, size, mtime, checked, digest, c in parsed],
        )
        self.db.execute("COMMIT")

    def touch_sources(self, touched: list[tuple[str, int, int, int]]) -> None:
        """Files read again and found unchanged: (relative path, size, mtime, time read)."""
        if not touched:
            return
        self.db.execute("BEGIN")
        self.db.executemany(
            "UPDATE sources SET size = ?, mtime_ns = ?, checked_ns = ? WHERE relative = ?",
            [(size, mtime, checked, relative) for relative, size, mtime, checked in touched],
        )
        self.db.execute("COMMIT")

    def forget_sources(self, relatives: list[str]) -> None:
        """Files gone or with errors, and bodies no file has any more."""
        if not relatives:
            return
        self.db.execute("BEGIN")
        self.db.executemany("DELETE FROM sources WHERE relative = ?", [(relative,) for relative in relatives])
        self.db.execute("DELETE FROM bodies WHERE digest NOT IN (SELECT digest FROM sources)")
        self.db.execute("COMMIT")

    # -- words of the search index

    def search_words(self, keys: list[str]) -> dict[str, tuple[str, str]]:
        """Words key → (title spellings, other spellings), each space-separated, for those of ``keys`` known."""
        marks = ",".join("?" * len(keys))
        rows = self.db.execute(f"SELECT key, title, rest FROM search_terms WHERE key IN ({marks})", keys)
        return {key: (title, rest) for key, title, rest in rows}

    def _put_search_words(self, words: dict[str, tuple[str, str]]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO search_terms VALUES (?, ?, ?)", [(k, *v) for k, v in words.items()])

    def search_word_keys(self) -> set[str]:
        return {key for (key,) in self.db.execute("SELECT key FROM search_terms")}

    def update_search_terms(self, fresh: dict[str, tuple[str, str]], gone: list[str]) -> None:
        """Record newly extracted terms; forget those no published article has any more."""
        if not fresh and not gone:
            return
        self.db.execute("BEGIN")
        self._put_search_words(fresh)
        self.db.executemany("DELETE FROM search_terms WHERE key = ?", [(key,) for key in gone])
        self.db.execute("COMMIT")

    # -- the search index by piece (see search.reindex)

    def search_state(self, key: str) -> tuple[Any, list]:
        """The last build's ``search.IndexState``, None when kept for another ``key`` (tool code + config) or
        never; and its document chunks (``search.Chunk``), [] likewise."""
        state = self.get_meta(SEARCH_INDEX)
        chunks = self.get_meta(SEARCH_CHUNKS)
        valid = state[1] if isinstance(state, tuple) and state[0] == key else None
        return valid, chunks[1] if isinstance(chunks, tuple) and chunks[0] == key else []

    def search_doc_keys(self, start: int, end: int) -> list[str]:
        """``search.doc_key`` of the articles indexed with ids from ``start`` to ``end`` (excluded)."""
        rows = self.db.execute("SELECT doc_key FROM search_docs WHERE id >= ? AND id < ? ORDER BY id", (start, end))
        return [key for (key,) in rows]

    def search_doc_terms(self, ids: list[int]) -> dict[int, Any] | None:
        """Id → ``search.DocumentTerms`` the articles were indexed with; None when some words are not kept."""
        from .search import key_labels, terms_of

        sql = "SELECT d.id, t.title, t.rest, d.doc_key FROM search_docs d JOIN search_terms t ON t.key = d.words_key"
        rows = self._rows_in(sql + " WHERE d.id IN ({})", ids)
        found = {doc_id: terms_of((title, rest), key_labels(key)) for doc_id, title, rest, key in rows}
        return found if len(found) == len(ids) else None

    def search_postings(self, spellings: list[str]) -> dict[str, tuple[array, array]]:
        """Spelling → (ids, title ids), ascending, of those of ``spellings`` indexed."""
        sql = "SELECT spelling, ids, titles FROM search_postings WHERE spelling IN ({})"
        return {spelling: (_ids(ids), _ids(titles)) for spelling, ids, titles in self._rows_in(sql, spellings)}

    def search_group_entries(self, groups: set[str]) -> list[tuple[str, str]]:
        """(spelling, entry JSON) of every spelling whose term starts with one of ``groups`` (``search.group_of``)."""
        return self._rows_in("SELECT spelling, entry FROM search_postings WHERE term_group IN ({})", sorted(groups))

    def _rows_in(self, sql: str, values: Sequence[Any]) -> list[tuple]:
        """``sql`` with ``IN ({})`` run for ``values`` a batch at a time (SQLite limits the parameters)."""
        rows: list[tuple] = []
        for start in range(0, len(values), 500):
            batch = values[start : start + 500]
            rows += self.db.execute(sql.format(",".join("?" * len(batch))), batch).fetchall()
        return rows

    def update_search_index(
        self,
        state: Any,
        docs: list[tuple],
        words: dict[str, tuple[str, str]],
        postings: list[tuple],
        files: list[Any],
        gone: list[Any],
    ) -> None:
        """After ``search.reindex``: its new ``state``, the changed articles' rows (id, doc key, words key) and
        new words, the changed spellings' rows (spelling, group, ids, title ids, entry; no entry:
        gone), the new or changed shard files (``search.SearchFile``) and those gone."""
        self.db.execute("BEGIN")
        old = self._rows_in("SELECT words_key FROM search_docs WHERE id IN ({})", [row[0] for row in docs])
        self._put_search_words(words)
        self.db.executemany("INSERT OR REPLACE INTO search_docs VALUES (?, ?, ?)", docs)
        self.db.executemany(  # words of the articles' old versions, if no article has them any more
            "DELETE FROM search_terms WHERE key = ? AND NOT EXISTS (SELECT 1 FROM search_docs WHERE words_key = ?)",
            [(key, key) for (key,) in old],
        )
        self.db.executemany(
            "INSERT OR REPLACE INTO search_postings VALUES (?, ?, ?, ?, ?)", [row for row in postings if row[4]]
        )
        self.db.executemany("DELETE FROM search_postings WHERE spelling = ?", [(r[0],) for r in postings if not r[4]])
        self._put_search_files(files, gone)
        self.set_meta(SEARCH_INDEX, (self.get_meta(SEARCH_INDEX)[0], state))
        self.db.execute("COMMIT")

    def replace_search_index(self, key: str, state: Any, docs: Iterable[tuple], postings: Iterable[tuple]) -> None:
        """Keep a search index made afresh, for ``key``: rows as in :meth:`update_search_index`, every shard
        file with its text in ``state``."""
        self.db.execute("BEGIN")
        self.db.execute("DELETE FROM search_docs")
        self.db.execute("DELETE FROM search_postings")
        self.db.execute("DELETE FROM search_files WHERE name GLOB 'shards/*'")
        self.db.execute("DELETE FROM meta WHERE key = ?", (_OLD_SEARCH_INDEX,))
        self.db.executemany("INSERT INTO search_docs VALUES (?, ?, ?)", docs)
        self.db.executemany("INSERT INTO search_postings VALUES (?, ?, ?, ?, ?)", postings)
        self._put_search_files(list(state.shards.values()), [])
        self.set_meta(SEARCH_INDEX, (key, state))
        self.db.execute("COMMIT")

    def keep_search_chunks(self, key: str, chunks: list[tuple[str, Any]], known: list[tuple[str, Any]]) -> None:
        """Keep the document chunks (``search.Chunk``) of this build; only those made again are written."""
        made = [file for _, file in chunks if file.text is not None]
        if not made and len(chunks) == len(known):
            return
        self.db.execute("BEGIN")
        self._put_search_files(made, [file for _, file in known[len(chunks) :]])
        self.set_meta(SEARCH_CHUNKS, (key, chunks))
        self.db.execute("COMMIT")

    def _put_search_files(self, files: list[Any], gone: list[Any]) -> None:
        self.db.executemany("DELETE FROM search_files WHERE name = ?", [(file.name,) for file in gone])
        self.db.executemany(
            "INSERT OR REPLACE INTO search_files VALUES (?, ?, ?)", [(f.name, f.digest, f.text) for f in files]
        )

    def search_file_reader(self) -> Callable[[str, str], str]:
        """``read(name, digest)``: the text of a search file this cache keeps, from any process."""
        return functools.partial(read_search_file, self.path)

    # -- rendered pages

    def pages(self, output: str, paths: list[str] | None = None) -> dict[str, PageEntry]:
        """Output path → what the last successful build into ``output`` made it from; ``paths``: of these pages
        only (a touch-up looks at a few hundred pages of 100,000)."""
        query = "SELECT path, fingerprint, digest, refs != '' FROM pages WHERE output = ?"
        if paths is None:
            return _page_entries(self.db.execute(query, (output,)))
        found: dict[str, PageEntry] = {}
        for start in range(0, len(paths), 500):
            batch = paths[start : start + 500]
            in_batch = f" AND path IN ({', '.join('?' * len(batch))})"
            found.update(_page_entries(self.db.execute(query + in_batch, (output, *batch))))
        return found

    def page_paths(self, output: str) -> set[str]:
        """The output paths the cache has a fingerprint of (read from the index alone: a tenth of :meth:`pages`)."""
        return {path for (path,) in self.db.execute("SELECT path FROM pages WHERE output = ?", (output,))}

    def pages_showing(self, output: str, sources: set[str]) -> set[str]:
        """Output paths of the pages whose fingerprint covers one of these articles; searched here, as the
        references of 100,000 pages are too many to load for an edit of one article."""
        query = "SELECT path FROM pages WHERE output = ? AND instr(refs, ?) > 0"
        keys = {f"\n{ref_key(source)}\n" for source in sources}
        return {path for key in keys for (path,) in self.db.execute(query, (output, key))}

    def page_links(self, output: str, paths: list[str]) -> dict[str, list[str]]:
        """The links of pages that were not rendered this time, for the link check."""
        found: dict[str, list[str]] = {}
        query = "SELECT path, links FROM pages WHERE output = ? AND path = ?"
        for path in paths:
            row = self.db.execute(query, (output, path)).fetchone()
            if row is not None and row[1] is not None:
                found[path] = pickle.loads(row[1])
        return found

    def update_pages(
        self,
        output: str,
        rendered: dict[str, tuple[str | None, str, Sequence[str] | None, Sequence[str] | None]],
        keep: set[str] | None,
        structure: Any = None,
    ) -> None:
        """After a successful build: rendered pages' (fingerprint, digest, links, refs); drop pages not in ``keep``
        (None: the build had every page the cache has, and maybe more).

        ``structure`` (see ``incremental.structure_key``) is what the pages' refs are valid for: written in the
        same transaction, so the two never disagree.
        """
        self.db.execute("BEGIN")
        self.set_meta(STRUCTURE + output, structure)
        self.db.executemany(  # refs None: the page kept its fingerprint, and so its stored references
            "INSERT INTO pages VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (output, path) DO UPDATE SET"
            " fingerprint = excluded.fingerprint, digest = excluded.digest, links = excluded.links,"
            " refs = coalesce(excluded.refs, refs)",
            (  # one row at a time: 140,000 rows at once held 150 MB
                (output, path, fingerprint, digest, None if links is None else pickle.dumps(links, protocol=5),
                 None if refs is None else refs_text(refs))
                for path, (fingerprint, digest, links, refs) in rendered.items()
                if fingerprint is not None
            ),
        )  # fmt: skip
        self.db.executemany(
            "DELETE FROM pages WHERE output = ? AND path = ?",
            [(output, path) for path, (fingerprint, *_) in rendered.items() if fingerprint is None],
        )
        outputs = [folder for (folder,) in self.db.execute("SELECT DISTINCT output FROM pages")]
        self.db.executemany("DELETE FROM pages WHERE output = ?", [(o,) for o in outputs if not Path(o).is_dir()])
        if keep is not None:
            gone = [path for (path,) in self.db.execute("SELECT path FROM pages WHERE output = ?", (output,))]
            self.db.executemany(
                "DELETE FROM pages WHERE output = ? AND path = ?", [(output, p) for p in gone if p not in keep]
            )
        self.db.execute("COMMIT")


def _short_digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def open_cache(site_root: Path) -> BuildCache | None:
    """The site's cache, or None when it cannot be used (read-only folder): builds still work.

    A damaged cache file is deleted and started afresh.
    """
    for _ in range(2):
        try:
            return BuildCache(site_root)
        except sqlite3.DatabaseError:
            drop_cache(site_root)
        except (OSError, sqlite3.Error):
            return None
    return None


def drop_cache(site_root: Path) -> None:
    """``--clean``: forget everything cached for this site."""
    import shutil

    shutil.rmtree(site_root / CACHE_DIR, ignore_errors=True)
