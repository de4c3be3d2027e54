"""The client-side search index: a small manifest, term shards and document chunks under ``tim-kiem/``.

A query downloads only what it needs (``static/search.js``): the manifest,
the shard of each of its words and the document chunks of the hits it shows.

- Terms are words folded like :func:`vietnamese.fold` (``Đảng`` → ``dang``);
  each term keeps its spellings apart (``dương``, ``đường``), so results that
  match the query's own diacritics rank first.
- A document's id is its position in the oldest-first list: a new article is
  appended, so the ids of the others, and the shards that do not contain its
  words, stay the same bytes from build to build (a back-dated article shifts
  the ids after it).
- Shards are keyed by the first two characters of the term; a shard larger
  than :data:`SHARD_TARGET` bytes is split by one more character, as often as
  needed. The client picks the longest key in the manifest that starts its term.
- A spelling found in more than :data:`MAX_POSTINGS` articles keeps the articles
  that have it in their title first, then the newest, and records how many
  there were: such a word is too common to filter by, so the client uses it
  only to rank (see ``search.js``).
- Documents are stored :data:`DOCS_PER_CHUNK` to a file, ``docs/N.json`` for
  ids from N × DOCS_PER_CHUNK, so the ten hits a page shows cost at most ten
  small files. The manifest lists each chunk's version (``?v=``) only.

Each file is a :class:`Page` whose data is its JSON text: the page fingerprint
changes only when its bytes would, so an incremental build rewrites only the
shards and chunks an edit touched. With the build cache, the inverted index
itself (:class:`SearchIndex`) is kept between builds and only the changed
articles are indexed again (see :func:`incremental.work_out_search_index`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from array import array
from bisect import bisect_left, insort
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .dates import date_style, format_date, isoformat
from .fingerprint import text_digest
from .models import Article, Page, Site
from .vietnamese import distinct_words, fold, truncate

SEARCH_PATH = "tim-kiem/"
FORMAT = 1  # bump when the files' layout changes; search.js checks it
TERMS_VERSION = 1  # bump when document_terms finds other words: cached terms of older versions are not reused
MAX_POSTINGS = 1000  # articles kept for one spelling (see the module docstring)
MAX_TERM_LENGTH = 40  # longer "words" are URLs, hashes or glued text: not indexed
SHARD_TARGET = 48_000  # bytes; a larger shard is split by one more character of its terms
DOCS_PER_CHUNK = 50  # documents per file (about 20 KB): ten hits cost at most ten of them
SUMMARY_LENGTH = 200  # characters of the summary kept for the result list
DOC_FIELDS = ("title", "url", "iso", "date", "category", "category_url", "summary")
_ASCII_KEY = re.compile(r"^[a-z0-9]+$")


@dataclass(frozen=True)
class DocumentTerms:
    """The spellings (NFC, lower case) of one article: those of its title, and all of them."""

    title: frozenset[str]
    every: frozenset[str]


def spellings(text: str) -> set[str]:
    """Lower-cased words of NFC text (``\\w+``, as search.js splits queries): the spellings queries are matched with."""
    return {word for word in distinct_words(text.lower()) if len(word) <= MAX_TERM_LENGTH}


def file_words(article: Article) -> tuple[str, str]:
    """The spellings of what the article's own file says, space-separated: its title's, and the others of its
    summary and body. Found where the file is parsed (on all cores), kept in the cache by :func:`words_key`."""
    title = spellings(article.title)
    rest = spellings(article.summary + " " + article.text) - title
    return " ".join(sorted(title)), " ".join(sorted(rest))


def words_key(article: Article) -> str:
    """What :func:`file_words` depends on: the file (digest) and the extraction code."""
    return hashlib.blake2b(f"{TERMS_VERSION}\0{article.digest}".encode(), digest_size=16).hexdigest()


def document_terms(article: Article, words: tuple[str, str] | None = None) -> DocumentTerms:
    """What is indexed: title, summary, category, tags and the body's plain text (``words``: found ahead)."""
    return terms_of(words or file_words(article), label_words(article))


def label_words(article: Article) -> str:
    """The spellings of the article's category and tags, space-separated: what the site adds to its file's words."""
    category = article.category.name if article.category is not None else (article.category_name or "")
    tags = [tag.name for tag in article.tag_terms] if article.tag_terms else article.tags
    return labels_of(category, tags)


def key_labels(key: str) -> str:
    """:func:`label_words` of the article a :func:`doc_key` was made from."""
    _, _, _, category, _, *tags = key.split("\0")
    return labels_of(category, tags)


def labels_of(category: str, tags: list[str]) -> str:
    return " ".join(sorted(spellings(category + " " + " ".join(tags))))


def terms_of(words: tuple[str, str], labels: str) -> DocumentTerms:
    """The terms of an article from its file's words (see :func:`file_words`) and :func:`label_words`."""
    title = frozenset(words[0].split())
    return DocumentTerms(title, title.union(words[1].split(), labels.split()))


def doc_key(article: Article) -> str:
    """What an article's terms and its search result depend on besides the code and config (which the cache is
    kept for): its source, its file (digest: title, date, summary, words), its URL, category and tag names."""
    category = article.category
    tags = article.tag_terms
    labels = "\0".join([tag.name for tag in tags] if tags else article.tags)
    name, url = (category.name, category.url) if category is not None else (article.category_name or "", "")
    return f"{article.source}\0{article.digest}\0{article.url}\0{name}\0{url}\0{labels}"


def block_digests(keys: Sequence[str], known: list[str] | None = None, changed: Iterable[int] = ()) -> list[str]:
    """A digest of the keys of each chunk's articles (:data:`DOCS_PER_CHUNK`): only the chunks whose digest
    differs from the last build's have their articles compared one by one and their documents made again.

    ``known``: the digests of these keys as they were before those at the positions ``changed`` changed (a
    touch-up): only the blocks holding those are worked out again."""
    count = -(-len(keys) // DOCS_PER_CHUNK)
    if known is None or len(known) != count:
        return [_block_digest(keys, number) for number in range(count)]
    blocks = list(known)
    for number in sorted({position // DOCS_PER_CHUNK for position in changed}):
        blocks[number] = _block_digest(keys, number)
    return blocks


def _block_digest(keys: Sequence[str], number: int) -> str:
    return text_digest("\n".join(keys[number * DOCS_PER_CHUNK : (number + 1) * DOCS_PER_CHUNK]))


@dataclass
class Postings:
    """Articles (ids) that contain one spelling."""

    ids: list[int]  # newest first, at most MAX_POSTINGS
    titles: list[int]  # newest first, every article with it in the title
    count: int = 0  # articles with it, kept or not


@dataclass
class SearchIndex:
    """Every spelling's articles, by id ascending: made in memory when a build has no index to update (see
    :func:`reindex` for one that has)."""

    count: int = 0  # articles indexed
    ids: dict[str, array] = field(default_factory=dict)  # spelling → ids of the articles with it
    titles: dict[str, array] = field(default_factory=dict)  # spelling → ids of those with it in the title

    def put(self, doc_id: int, terms: DocumentTerms) -> None:
        """Index article ``doc_id`` (a new one is the next id) with ``terms``, in place of what it had."""
        if doc_id < self.count:
            for postings in (self.ids, self.titles):
                for spelling in [spelling for spelling, ids in postings.items() if doc_id in ids]:
                    postings[spelling].remove(doc_id)
                    if not postings[spelling]:
                        del postings[spelling]
        self.count = max(self.count, doc_id + 1)
        for postings, spellings in ((self.ids, terms.every), (self.titles, terms.title)):
            for spelling in spellings:  # inline: called for every word of every article
                ids = postings.get(spelling)
                if ids is None:
                    postings[spelling] = array("i", [doc_id])
                elif ids[-1] < doc_id:
                    ids.append(doc_id)
                else:
                    insort(ids, doc_id)

    def postings(self, limit: int = MAX_POSTINGS) -> dict[str, Postings]:
        """Spelling → postings as the search files keep them: at most ``limit`` ids, the newest."""
        return {spelling: postings_of(ids, self.titles.get(spelling, ()), limit) for spelling, ids in self.ids.items()}

    def entries(self) -> dict[str, str]:
        """Spelling → the JSON of its entry (see :func:`spelling_entry`), with :data:`MAX_POSTINGS`."""
        return {spelling: entry_json(ids, self.titles.get(spelling, ())) for spelling, ids in self.ids.items()}

    def rows(self, entries: dict[str, str], folded: dict[str, str]) -> Iterator[tuple[str, str, bytes, bytes, str]]:
        """(spelling, group, ids, title ids, entry) of every spelling, as the build cache keeps them."""
        for spelling, entry in entries.items():
            titles = self.titles.get(spelling)
            ids = self.ids[spelling].tobytes()
            yield spelling, folded[spelling][:2], ids, titles.tobytes() if titles else b"", entry


def postings_of(ids: Sequence[int], titles: Sequence[int], limit: int = MAX_POSTINGS) -> Postings:
    """A spelling's postings from its ascending ids and title ids: at most ``limit`` ids, the newest."""
    kept = list(reversed(ids[-limit:])) if limit > 0 else []
    return Postings(kept, list(reversed(titles)), len(ids))


def entry_json(ids: Sequence[int], titles: Sequence[int]) -> str:
    """The JSON of a spelling's entry in its shard."""
    return to_json(spelling_entry(postings_of(ids, titles, MAX_POSTINGS), MAX_POSTINGS))


def term_texts(entries: Iterable[tuple[str, str]], folded: dict[str, str] | None = None) -> dict[str, str]:
    """Folded term → the JSON of its {spelling → entry}, from (spelling, entry JSON) pairs (``folded``: each
    spelling's term, when known)."""
    spellings: dict[str, dict[str, str]] = defaultdict(dict)
    for spelling, entry in entries:
        spellings[folded[spelling] if folded else fold(spelling)][spelling] = entry
    return {term: json_object(members) for term, members in spellings.items()}


def group_of(spelling: str) -> str:
    """The first two characters of its term: the shards of one group are made from that group's terms alone
    (see :func:`shard_keys`), so an edit makes again only the groups of the spellings it touched."""
    return fold(spelling)[:2]


def index_articles(articles: list[Article], words: Iterable[tuple[str, str]] | None = None) -> SearchIndex:
    """The index of ``articles`` (oldest first: list position = id); ``words``: their file_words, found ahead."""
    index = SearchIndex()
    for doc_id, (article, found) in enumerate(zip(articles, words or [None] * len(articles), strict=True)):
        index.put(doc_id, document_terms(article, found))
    return index


def kept_ids(postings: Postings, limit: int = MAX_POSTINGS) -> list[int]:
    """The ids a spelling keeps: all of them, or past the limit its title matches first, then the newest."""
    if postings.count <= limit:
        return sorted(postings.ids)
    kept = postings.titles[:limit]
    chosen = set(kept)
    for doc_id in postings.ids:
        if len(kept) >= limit:
            break
        if doc_id not in chosen:
            kept.append(doc_id)
            chosen.add(doc_id)
    return sorted(kept)


def deltas(ids: list[int]) -> list[int]:
    """Ascending ids as gaps (the first one as is): short numbers in JSON."""
    return [doc_id - previous for previous, doc_id in zip([0, *ids], ids, strict=False)]


def spelling_entry(postings: Postings, limit: int = MAX_POSTINGS) -> list:
    """``[ids, title ids]`` as gaps, plus the full count when the list was cut."""
    ids = kept_ids(postings, limit)
    kept = set(ids)
    titles = sorted(doc_id for doc_id in postings.titles if doc_id in kept)
    entry: list = [deltas(ids), deltas(titles)]
    if postings.count > len(ids):
        entry.append(postings.count)
    return entry


def to_json(value: object) -> str:
    """Deterministic, compact JSON (sorted keys, UTF-8 text); ``<``, ``>``, ``&`` escaped as in Jinja's ``tojson``,
    so a title like ``<script>`` is never markup, whatever serves or embeds the file."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def json_object(members: dict[str, str]) -> str:
    """``to_json`` of a dict whose values are given as JSON already: the same text, without encoding them again."""
    return "{" + ",".join(f"{to_json(key)}:{value}" for key, value in sorted(members.items())) + "}"


def shard_keys(sizes: dict[str, int], target: int = SHARD_TARGET) -> dict[str, str]:
    """Term → shard key: its first two characters, or more where a shard would pass ``target`` bytes.

    A term's key is always the longest key that starts it, the rule search.js follows.
    """
    keys: dict[str, str] = {}
    groups: list[tuple[int, list[str]]] = [(2, sorted(sizes))]
    while groups:
        length, terms = groups.pop()
        by_prefix: dict[str, list[str]] = defaultdict(list)
        for term in terms:
            by_prefix[term[:length]].append(term)
        for prefix, group in by_prefix.items():
            longer = [term for term in group if len(term) > length]
            if longer and sum(sizes[term] for term in group) > target:
                groups.append((length + 1, longer))
                group = [term for term in group if len(term) <= length]
            for term in group:
                keys[term] = prefix
    return keys


def shard_file(key: str) -> str:
    """A safe ASCII file name for a shard key (``da``; other scripts as code points: ``x-4e2d-6587``)."""
    if _ASCII_KEY.match(key):
        return f"{key}.json"
    return "x-" + "-".join(f"{ord(ch):x}" for ch in key) + ".json"


def short_digest(text: str) -> str:
    """For ``?v=`` in the manifest, so browsers and CDNs never mix files of two builds."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=6).hexdigest()


def document(article: Article, pattern: str, months: list[str] | None) -> list[str]:
    """One result as search.js shows it (see :data:`DOC_FIELDS`)."""
    category = article.category
    return [
        article.title,
        article.url,
        isoformat(article.date),
        format_date(article.date, pattern, months),
        category.name if category is not None else "",
        category.url if category is not None else "",
        truncate(article.summary, SUMMARY_LENGTH),
    ]


@dataclass
class IndexState:
    """What the build cache keeps of the index besides its rows: enough to find what changed."""

    count: int  # articles indexed
    blocks: list[str]  # block_digests of their keys
    shards: dict[str, SearchFile]  # shard key → file, texts left to the cache


def reindex(
    store: Any, state: IndexState, keys: Sequence[str], blocks: list[str], articles: list[Article], limit: int
) -> bool:
    """Update the index the build cache keeps (``store``, see ``cache.BuildCache``) and ``state`` in place:
    re-index the articles whose key (:func:`doc_key`) changed and add new ones at the end, when at most
    ``limit`` did and no id moved; False (nothing changed) otherwise. ``blocks``: the keys' block_digests.

    Only the blocks of keys that differ are read, only the spellings an article gained or lost are read and
    written, and only the shard groups of those spellings are made again: the cost follows the edit.
    """
    changed = changed_ids(store, state, keys, blocks)
    if changed is None or len(changed) > limit:
        return False
    if not changed:
        return True
    before = store.search_doc_terms([i for i in changed if i < state.count])
    if before is None:
        return False
    words = store.search_words([words_key(articles[i]) for i in changed])
    fresh = {words_key(articles[i]): file_words(articles[i]) for i in changed if words_key(articles[i]) not in words}
    words.update(fresh)
    moves: dict[str, dict[int, tuple[bool, bool]]] = defaultdict(dict)  # spelling → id → (has it, in title)
    for doc_id in changed:
        old = before.get(doc_id, DocumentTerms(frozenset(), frozenset()))
        new = terms_of(words[words_key(articles[doc_id])], key_labels(keys[doc_id]))
        for spelling in (old.every ^ new.every) | (old.title ^ new.title):
            moves[spelling][doc_id] = (spelling in new.every, spelling in new.title)
    postings = store.search_postings(list(moves))
    for spelling, members in moves.items():
        ids, titles = postings.setdefault(spelling, (array("i"), array("i")))
        for doc_id, (has, in_title) in members.items():
            set_member(ids, doc_id, has)
            set_member(titles, doc_id, in_title)
    entries = {spelling: entry_json(ids, titles) if ids else None for spelling, (ids, titles) in postings.items()}
    made, gone = remake_groups(store, state.shards, entries)
    state.count, state.blocks = len(keys), blocks
    docs = [(i, keys[i], words_key(articles[i])) for i in changed]
    rows = [(s, group_of(s), ids.tobytes(), titles.tobytes(), entries[s]) for s, (ids, titles) in postings.items()]
    store.update_search_index(state, docs, fresh, rows, made, gone)
    return True


def changed_ids(store: Any, state: IndexState, keys: Sequence[str], blocks: list[str]) -> list[int] | None:
    """Ids whose key differs from the last build's, then the new ones; None when an id moved to another article
    (or articles went)."""
    if state.count > len(keys):
        return None
    changed = []
    for number, digest in enumerate(blocks):
        start = number * DOCS_PER_CHUNK
        if start >= state.count:
            break
        if number < len(state.blocks) and state.blocks[number] == digest:
            continue
        for doc_id, key in enumerate(store.search_doc_keys(start, min(start + DOCS_PER_CHUNK, state.count)), start):
            if key != keys[doc_id]:
                if key_source(key) != key_source(keys[doc_id]):
                    return None
                changed.append(doc_id)
    return changed + list(range(state.count, len(keys)))


def key_source(key: str) -> str:
    """The source of the article of a :func:`doc_key`."""
    return key.split("\0", 1)[0]


def remake_groups(
    store: Any, shards: dict[str, SearchFile], changed: dict[str, str | None]
) -> tuple[list[SearchFile], list[SearchFile]]:
    """Make the shards of the groups of the ``changed`` spellings' entries (None: gone) again, updating
    ``shards``: the files whose text changed, and those gone."""
    groups = {group_of(spelling) for spelling in changed}
    entries = dict(store.search_group_entries(groups))
    for spelling, entry in changed.items():
        if entry is None:
            entries.pop(spelling, None)
        else:
            entries[spelling] = entry
    made = shard_files(term_texts(entries.items()))
    gone = [file for key, file in shards.items() if key[:2] in groups and key not in made]
    remade = [file for key, file in made.items() if key not in shards or shards[key].digest != file.digest]
    for key in [key for key in shards if key[:2] in groups]:
        del shards[key]
    shards.update(made)
    return remade, gone


def set_member(ids: array, doc_id: int, present: bool) -> None:
    """Add ``doc_id`` to ascending ``ids``, or take it out."""
    at = bisect_left(ids, doc_id)
    there = at < len(ids) and ids[at] == doc_id
    if present and not there:
        ids.insert(at, doc_id)
    elif there and not present:
        del ids[at]


class SearchText:
    """The JSON text of a search file as a page shows it (``{{ json|safe }}``): kept in memory when this build
    made it, else read from the build cache if the page is rendered at all.

    It has no public attributes, so a page fingerprint encodes none of it: the page's data carries the
    text's ``digest`` instead (see :func:`data_page`), and an unchanged file is neither read nor encoded.
    """

    def __init__(self, text: str | None, load: Callable[[], str] | None = None):
        self._text = text
        self._load = load

    def __str__(self) -> str:
        return self._text if self._text is not None else self._load()  # type: ignore[misc]

    __html__ = __str__


@dataclass(frozen=True)
class SearchFile:
    """One file under ``tim-kiem/``: its digests, and its text when this build made it (else in the cache)."""

    name: str
    digest: str  # of the text: what the page's fingerprint covers, and what the cache's copy is checked against
    version: str  # short_digest of the text, for ``?v=``
    text: str | None = None

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (into the build cache) without its text, which the cache keeps apart."""
        return {**self.__dict__, "text": None}


def search_file(name: str, text: str) -> SearchFile:
    return SearchFile(name, hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest(), short_digest(text), text)


def data_page(file: SearchFile, load: Callable[[str, str], str] | None = None) -> Page:
    """The page of a search file; ``load(name, digest)`` reads a text this build did not make."""
    reader = None if file.text is not None or load is None else functools.partial(load, file.name, file.digest)
    data = {"json": SearchText(file.text, reader), "digest": file.digest}
    return Page("search-data", SEARCH_PATH + file.name, "search-data.json", file.name, data=data)


def shard_files(terms: dict[str, str]) -> dict[str, SearchFile]:
    """Shard key → shard file, from each folded term's JSON (all terms, or every term of some groups)."""
    keys = shard_keys({term: len(to_json(term)) + len(text) + 3 for term, text in terms.items()})  # {"term":…}
    shards: dict[str, dict[str, str]] = defaultdict(dict)
    for term, key in keys.items():
        shards[key][term] = terms[term]
    return {
        key: search_file(
            "shards/" + shard_file(key), json_object({"terms": json_object(members), "version": to_json(FORMAT)})
        )
        for key, members in shards.items()
    }


def chunk_key(block: str, style: str) -> str:
    """What a chunk's documents depend on: its articles' keys (``block``, see :func:`block_digests`) and how
    dates are written."""
    return hashlib.blake2b(f"{style}\0{block}".encode(), digest_size=16).hexdigest()


Chunk = tuple[str, SearchFile]  # (chunk_key, file)


def chunk_files(articles: list[Article], ui: dict[str, str], site_format: str, files: SearchFiles) -> list[Chunk]:
    """The document chunks of ``articles`` (oldest first: list position = id); those of the last build whose
    key is the same are kept, not made again."""
    pattern, months = date_style(site_format, ui)
    style = repr((FORMAT, pattern, months))
    blocks = files.blocks or block_digests([doc_key(article) for article in articles])
    known = files.chunks
    chunks = []
    for number, start in enumerate(range(0, len(articles), DOCS_PER_CHUNK)):
        part = articles[start : start + DOCS_PER_CHUNK]
        key = chunk_key(blocks[number], style)
        if number < len(known) and known[number][0] == key:
            chunks.append(known[number])
            continue
        text = to_json({"docs": [document(a, pattern, months) for a in part], "first": start, "version": FORMAT})
        chunks.append((key, search_file(f"docs/{number}.json", text)))
    return chunks


@dataclass
class SearchFiles:
    """The search files of a build, worked out ahead with the build cache (``site.search_index``)."""

    shards: dict[str, SearchFile]  # this build's: texts of those it made
    chunks: list[Chunk]  # the last build's, reused where their articles did not change
    store: Any = None  # the BuildCache that keeps their texts; not pickled
    key: str = ""  # what the cache keeps them for (tool code + config)
    blocks: list[str] = field(default_factory=list)  # block_digests of the articles' keys, oldest first
    keys: Sequence[str] = field(default_factory=list)  # the articles' doc_key, oldest first: kept for a touch-up

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "store": None, "keys": []}


def search_pages(site: Site, ui: dict[str, str]) -> list[Page]:
    """The search page and its index files."""
    articles = list(reversed(site.articles))  # oldest first: ids stay put when news is added
    files = site.search_index
    if files is None:
        files = SearchFiles(shard_files(term_texts(index_articles(articles).entries().items())), [])
    chunks = chunk_files(articles, ui, site.config.date_format, files)
    load = None
    if files.store is not None:
        files.store.keep_search_chunks(files.key, chunks, files.chunks)
        files.chunks = chunks  # called again (another output folder), nothing is made twice
        load = files.store.search_file_reader()
    manifest = {
        "articles": len(articles),
        "docs": [file.version for _, file in chunks],
        "docs_per_chunk": DOCS_PER_CHUNK,
        "fields": list(DOC_FIELDS),
        "max_postings": MAX_POSTINGS,
        "shards": {key: f"{file.name}?v={file.version}" for key, file in files.shards.items()},
        "version": FORMAT,
    }
    title = f"{ui['search']} | {site.config.title}"
    page = Page("search", SEARCH_PATH, "search.html", title, ui["search_description"])
    data = [search_file("index.json", to_json(manifest))]
    data += [files.shards[key] for key in sorted(files.shards)] + [file for _, file in chunks]
    return [page, *[data_page(file, load) for file in data]]
