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

import hashlib
import json
import re
from array import array
from bisect import insort
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from .dates import date_style, format_date, isoformat
from .models import Article, Page, Site
from .vietnamese import fold, truncate, words

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
    return {word for word in set(words(text.lower())) if len(word) <= MAX_TERM_LENGTH}


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
    title_words, rest_words = words or file_words(article)
    title = frozenset(title_words.split())
    category = article.category.name if article.category is not None else (article.category_name or "")
    tags = " ".join(tag.name for tag in article.tag_terms) or " ".join(article.tags)
    return DocumentTerms(title, title.union(rest_words.split(), spellings(category + " " + tags)))


def terms_key(article: Article) -> str:
    """What an article's terms depend on: its file (digest), its category and tag names, the extraction code."""
    category = article.category.name if article.category is not None else (article.category_name or "")
    tags = [tag.name for tag in article.tag_terms] or list(article.tags)
    parts = [str(TERMS_VERSION), article.digest, category, *tags]
    return hashlib.blake2b("\0".join(parts).encode("utf-8"), digest_size=16).hexdigest()


@dataclass
class Postings:
    """Articles (ids) that contain one spelling."""

    ids: list[int]  # newest first, at most MAX_POSTINGS
    titles: list[int]  # newest first, every article with it in the title
    count: int = 0  # articles with it, kept or not


Doc = tuple[str, str]  # (source, terms_key) of the article behind one id


@dataclass
class SearchIndex:
    """Every spelling's articles, by id ascending: kept between builds (see ``incremental``), so that an
    edit re-indexes the edited article instead of inverting every article's words again."""

    docs: list[Doc] = field(default_factory=list)  # id → article
    ids: dict[str, array] = field(default_factory=dict)  # spelling → ids of the articles with it
    titles: dict[str, array] = field(default_factory=dict)  # spelling → ids of those with it in the title
    # JSON of each spelling's entry (see spelling_entry), kept until an article with the spelling changes:
    entries: dict[str, str] = field(default_factory=dict)

    def put(self, doc_id: int, doc: Doc, terms: DocumentTerms) -> None:
        """Index article ``doc_id`` (a new one is the next id) with ``terms``, in place of what it had."""
        touched = set(terms.every)
        if doc_id < len(self.docs):
            self.docs[doc_id] = doc
            for postings in (self.ids, self.titles):
                for spelling in [spelling for spelling, ids in postings.items() if doc_id in ids]:
                    touched.add(spelling)
                    postings[spelling].remove(doc_id)
                    if not postings[spelling]:
                        del postings[spelling]
        else:
            self.docs.extend([("", "")] * (doc_id - len(self.docs)) + [doc])
        if self.entries:  # none yet while a new index is filled
            for spelling in touched:
                self.entries.pop(spelling, None)
        for postings, spellings in ((self.ids, terms.every), (self.titles, terms.title)):
            for spelling in spellings:
                ids = postings.get(spelling)
                if ids is None:
                    postings[spelling] = array("i", [doc_id])
                elif ids[-1] < doc_id:
                    ids.append(doc_id)
                else:
                    insort(ids, doc_id)

    def catch_up(self, docs: list[Doc], articles: list[Article], limit: int) -> bool:
        """Re-index the articles whose terms key changed and add new ones at the end, when at most ``limit``
        did and no id moved; False (the index untouched) otherwise."""
        known = len(self.docs)
        if known > len(docs) or [s for s, _ in self.docs] != [s for s, _ in docs[:known]]:
            return False
        changed = [i for i in range(known) if self.docs[i][1] != docs[i][1]] + list(range(known, len(docs)))
        if len(changed) > limit:
            return False
        for doc_id in changed:
            self.put(doc_id, docs[doc_id], document_terms(articles[doc_id]))
        return True

    def postings(self, limit: int = MAX_POSTINGS) -> dict[str, Postings]:
        """Spelling → postings as the search files keep them: at most ``limit`` ids, the newest."""
        return {spelling: self._postings(spelling, limit) for spelling in self.ids}

    def _postings(self, spelling: str, limit: int) -> Postings:
        ids = self.ids[spelling]
        kept = list(reversed(ids[-limit:])) if limit > 0 else []
        return Postings(kept, list(reversed(self.titles.get(spelling, ()))), len(ids))

    def terms(self) -> dict[str, str]:
        """Folded term → the JSON of its {spelling → entry}, with :data:`MAX_POSTINGS`."""
        spellings: dict[str, dict[str, str]] = defaultdict(dict)
        for spelling in self.ids:
            entry = self.entries.get(spelling)
            if entry is None:
                postings = self._postings(spelling, MAX_POSTINGS)
                entry = self.entries[spelling] = to_json(spelling_entry(postings, MAX_POSTINGS))
            spellings[fold(spelling)][spelling] = entry
        return {term: json_object(entries) for term, entries in spellings.items()}


def index_articles(articles: list[Article], words: Iterable[tuple[str, str]] | None = None) -> SearchIndex:
    """The index of ``articles`` (oldest first: list position = id); ``words``: their file_words, found ahead."""
    index = SearchIndex()
    for doc_id, (article, found) in enumerate(zip(articles, words or [None] * len(articles), strict=True)):
        index.put(doc_id, (article.source, terms_key(article)), document_terms(article, found))
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


def data_page(path: str, text: str) -> Page:
    return Page("search-data", SEARCH_PATH + path, "search-data.json", path, data={"json": text})


def shard_pages(terms: dict[str, str]) -> tuple[dict[str, str], list[Page]]:
    """Shard key → file (with ``?v=``), and the shard pages, from each folded term's JSON."""
    keys = shard_keys({term: len(to_json(term)) + len(text) + 3 for term, text in terms.items()})  # {"term":…}
    shards: dict[str, dict[str, str]] = defaultdict(dict)
    for term, key in keys.items():
        shards[key][term] = terms[term]
    files: dict[str, str] = {}
    pages = []
    for key in sorted(shards):
        text = json_object({"terms": json_object(shards[key]), "version": to_json(FORMAT)})
        name = "shards/" + shard_file(key)
        files[key] = f"{name}?v={short_digest(text)}"
        pages.append(data_page(name, text))
    return files, pages


def chunk_pages(articles: list[Article], ui: dict[str, str], site_format: str) -> tuple[list[str], list[Page]]:
    """Versions of the document chunks, and the chunks, for ``articles`` (oldest first: list position = id)."""
    pattern, months = date_style(site_format, ui)
    files, pages = [], []
    for number, start in enumerate(range(0, len(articles), DOCS_PER_CHUNK)):
        docs = [document(article, pattern, months) for article in articles[start : start + DOCS_PER_CHUNK]]
        text = to_json({"docs": docs, "first": start, "version": FORMAT})
        name = f"docs/{number}.json"
        files.append(short_digest(text))
        pages.append(data_page(name, text))
    return files, pages


def search_pages(site: Site, ui: dict[str, str]) -> list[Page]:
    """The search page and its index files."""
    articles = list(reversed(site.articles))  # oldest first: ids stay put when news is added
    index = site.search_index if site.search_index is not None else index_articles(articles)
    shard_files, shards = shard_pages(index.terms())
    doc_files, chunks = chunk_pages(articles, ui, site.config.date_format)
    manifest = {
        "articles": len(articles),
        "docs": doc_files,
        "docs_per_chunk": DOCS_PER_CHUNK,
        "fields": list(DOC_FIELDS),
        "max_postings": MAX_POSTINGS,
        "shards": shard_files,
        "version": FORMAT,
    }
    title = f"{ui['search']} | {site.config.title}"
    page = Page("search", SEARCH_PATH, "search.html", title, ui["search_description"])
    return [page, data_page("index.json", to_json(manifest)), *shards, *chunks]
