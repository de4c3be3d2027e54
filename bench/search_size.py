"""Size of the search index (tim-kiem/) for a synthetic corpus, and what one query downloads.

    python bench/search_size.py 100000

Articles come from bench/corpus.py in memory (front matter as written, body
text without Markdown marks, regenerated when indexed rather than held), so
100,000 articles need neither a content folder nor a full build. Prints the
total size, the manifest, the largest shards and chunks, and for a few
queries the bytes fetched (raw and gzip): the manifest, the shard of each
word and at most ten document chunks (the ten results a page shows, each in
its own chunk at worst; hits of the newest-first ranking share one or two).

Note: the corpus repeats a few hundred words (every article has most of
them), which is the worst case for the postings cap and the best case for
the number of distinct terms; a real archive has far more rare words (names,
places, numbers), each in a few articles, so more but smaller shard entries.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from corpus import SITE_YAML, article_text  # noqa: E402

from cumthidua.config import SiteConfig  # noqa: E402
from cumthidua.dates import parse_date, time_zone  # noqa: E402
from cumthidua.diagnostics import Diagnostics  # noqa: E402
from cumthidua.models import Article  # noqa: E402
from cumthidua.search import search_pages  # noqa: E402
from cumthidua.site import BuildOptions, assemble_site  # noqa: E402
from cumthidua.theme import ui_strings  # noqa: E402
from cumthidua.vietnamese import fold, words  # noqa: E402

QUERIES = ["dai hoi dang", "duong", "chuyen doi so", "Đại đoàn kết toàn dân tộc", "khuyen hoc", "1234"]
_MARKS = re.compile(r"\*\*|^#+ |^- ", re.MULTILINE)


def _parts(number: int) -> tuple[dict[str, Any], str]:
    _, text = article_text(number)
    _, front, body = text.split("---\n", 2)
    return yaml.load(front, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)), _MARKS.sub("", body)


class CorpusArticle(Article):
    """An article whose plain text is generated again when read (100,000 bodies would not fit in memory)."""

    @property
    def text(self) -> str:
        return _parts(self.__dict__["_number"])[1]

    @text.setter
    def text(self, value: str) -> None:
        pass


def corpus_articles(count: int) -> list[Article]:
    tz = time_zone("Asia/Ho_Chi_Minh")
    articles = []
    for number in range(count):
        front, _ = _parts(number)
        article = CorpusArticle(
            f"{number}.md", f"content/{number}.md", front["title"], parse_date(front["date"], tz), "",
            front["summary"], category_name=front["categories"][0], tags=front["tags"],
        )  # fmt: skip
        article.__dict__["_number"] = number
        articles.append(article)
    return articles


def kib(size: float) -> str:
    return f"{size / 1024:,.1f} KiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?", default=10_000)
    args = parser.parse_args(argv)
    config = SiteConfig(**{k: v for k, v in yaml.safe_load(SITE_YAML).items() if k in ("title", "base_url")})
    started = time.perf_counter()
    articles = corpus_articles(args.count)
    options = BuildOptions(now=datetime(2100, 1, 1, tzinfo=UTC))
    site = assemble_site(config, articles, options, Diagnostics())
    prepared = time.perf_counter()
    pages = search_pages(site, ui_strings("vi"))
    indexed = time.perf_counter()
    files = {page.path.removeprefix("tim-kiem/"): page.data["json"].encode("utf-8") for page in pages[1:]}
    shards = {name: data for name, data in files.items() if name.startswith("shards/")}
    chunks = {name: data for name, data in files.items() if name.startswith("docs/")}
    manifest = files["index.json"]
    print(f"{args.count:,} articles: corpus in memory {prepared - started:.1f} s, index {indexed - prepared:.1f} s")
    print(f"files: {len(files):,} ({len(shards):,} shards, {len(chunks):,} document chunks)")
    print(
        f"total: {kib(sum(map(len, files.values())))}, gzip {kib(sum(len(gzip.compress(d)) for d in files.values()))}"
    )
    print(f"manifest: {kib(len(manifest))}, gzip {kib(len(gzip.compress(manifest)))}")
    sizes = sorted(map(len, shards.values()))
    print(f"shards: median {kib(statistics.median(sizes))}, largest {kib(sizes[-1])}")
    chunk_sizes = sorted(map(len, chunks.values()))
    print(f"document chunks: median {kib(statistics.median(chunk_sizes))}, largest {kib(chunk_sizes[-1])}")
    keys = json.loads(manifest)["shards"]
    worst_chunks = sum(chunk_sizes[-10:])
    worst_chunks_gzip = sum(sorted(len(gzip.compress(d)) for d in chunks.values())[-10:])
    for query in QUERIES:
        fetched = {"index.json"}
        for word in words(query.lower()):
            term = fold(word)
            key = next((term[:n] for n in range(len(term), 0, -1) if term[:n] in keys), None)
            if key is not None:
                fetched.add(keys[key].split("?")[0])
        raw = sum(len(files[name]) for name in fetched)
        packed = sum(len(gzip.compress(files[name])) for name in fetched)
        print(
            f"query {query!r}: manifest + {len(fetched) - 1} shard(s) {kib(raw)} (gzip {kib(packed)}); "
            f"with ten results in ten chunks at worst {kib(raw + worst_chunks)} "
            f"(gzip {kib(packed + worst_chunks_gzip)})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
