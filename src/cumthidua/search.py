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
shards and chunks an edit touched. The index itself is merged again by every
build that renders; with the build cache, only the words of changed articles
are extracted again (``site.search_terms``, see :func:`incremental.work_out_search_terms`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

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


def document_terms(article: Article) -> DocumentTerms:
    """What is indexed: title, summary, category, tags and the body's plain text."""
    title = spellings(article.title)
    category = article.category.name if article.category is not None else (article.category_name or "")
    tags = " ".join(tag.name for tag in article.tag_terms) or " ".join(article.tags)
    rest = spellings(" ".join((article.summary, category, tags, article.text)))
    return DocumentTerms(frozenset(title), frozenset(title | rest))


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


def invert(terms: Iterable[tuple[int, DocumentTerms]], limit: int = MAX_POSTINGS) -> dict[str, Postings]:
    """Spelling → postings, from (id, terms) given newest first."""
    index: dict[str, Postings] = {}
    for doc_id, document in terms:
        for spelling in document.every:
            postings = index.get(spelling)
            if postings is None:
                postings = index[spelling] = Postings([], [])
            postings.count += 1
            if postings.count <= limit:
                postings.ids.append(doc_id)
        for spelling in document.title:
            index[spelling].titles.append(doc_id)
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


def term_entries(index: dict[str, Postings], limit: int = MAX_POSTINGS) -> dict[str, dict[str, list]]:
    """Folded term → {spelling → entry}."""
    terms: dict[str, dict[str, list]] = defaultdict(dict)
    for spelling, postings in index.items():
        terms[fold(spelling)][spelling] = spelling_entry(postings, limit)
    return dict(terms)


def to_json(value: object) -> str:
    """Deterministic, compact JSON (sorted keys, UTF-8 text); ``<``, ``>``, ``&`` escaped as in Jinja's ``tojson``,
    so a title like ``<script>`` is never markup, whatever serves or embeds the file."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


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


def shard_pages(terms: dict[str, dict[str, list]]) -> tuple[dict[str, str], list[Page]]:
    """Shard key → file (with ``?v=``), and the shard pages."""
    sizes = {term: len(to_json({term: entry})) for term, entry in terms.items()}
    keys = shard_keys(sizes)
    shards: dict[str, dict[str, dict[str, list]]] = defaultdict(dict)
    for term, key in keys.items():
        shards[key][term] = terms[term]
    files: dict[str, str] = {}
    pages = []
    for key in sorted(shards):
        text = to_json({"terms": shards[key], "version": FORMAT})
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


def newest_first_terms(
    articles: list[Article], known: dict[str, DocumentTerms] | None = None
) -> Iterator[tuple[int, DocumentTerms]]:
    """(id, terms) of every article from the newest, ids counted from the oldest; ``known``: by source, ahead.

    In this process: sending each article's terms back from forked workers cost more than finding them
    (10,000 articles: 3.6 s here, 8.7 s on two workers).
    """
    known = known or {}
    for doc_id in range(len(articles) - 1, -1, -1):
        article = articles[doc_id]
        terms = known.get(article.source)
        yield doc_id, document_terms(article) if terms is None else terms


def search_pages(site: Site, ui: dict[str, str]) -> list[Page]:
    """The search page and its index files."""
    articles = list(reversed(site.articles))  # oldest first: ids stay put when news is added
    terms = term_entries(invert(newest_first_terms(articles, site.search_terms), MAX_POSTINGS), MAX_POSTINGS)
    shard_files, shards = shard_pages(terms)
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
