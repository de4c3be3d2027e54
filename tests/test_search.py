"""Client-side search: the index files (unit and built sites) and the search page in Chromium under a sub-path."""

from __future__ import annotations

import functools
import http.server
import json
import re
import shutil
import threading
import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urljoin

import pytest
from markupsafe import Markup

from conftest import SiteDir
from cumthidua.models import Article, Category
from cumthidua.search import (
    MAX_POSTINGS,
    DocumentTerms,
    Postings,
    SearchIndex,
    document_terms,
    json_object,
    kept_ids,
    shard_file,
    shard_keys,
    spelling_entry,
    to_json,
)
from cumthidua.vietnamese import fold
from test_browser import browser  # noqa: F401  (the Chromium fixture)

TZ = timezone(timedelta(hours=7))


def make_article(title: str, text: str = "", **fields) -> Article:
    date = fields.pop("date", datetime(2020, 7, 14, tzinfo=TZ))
    return Article("a.md", "content/a.md", title, date, Markup(""), fields.pop("summary", ""), text=text, **fields)


def undelta(gaps: list[int]) -> list[int]:
    ids, total = [], 0
    for gap in gaps:
        total += gap
        ids.append(total)
    return ids


# --- what is indexed ------------------------------------------------------------------------------------------


def test_title_summary_category_tags_and_body_are_indexed_by_spelling():
    article = make_article(
        "Đại hội Đảng bộ", "Thân bài nói về đường làng.", summary="Tóm tắt ngắn", category_name="Chính trị",
        tags=["Hà Nội"],
    )  # fmt: skip
    article.category = Category("Chính trị", "chinh-tri", "chuyen-muc/chinh-tri/")
    article.tag_terms = [Category("Hà Nội", "ha-noi", "tu-khoa/ha-noi/")]
    terms = document_terms(article)
    assert terms.title == {"đại", "hội", "đảng", "bộ"}
    assert {"đường", "làng", "tóm", "chính", "trị", "hà", "nội", "đại"} <= terms.every
    assert "a" * 41 not in document_terms(make_article("a" * 41)).every  # junk: not a word a reader types


def invert(terms: list[tuple[int, DocumentTerms]], limit: int = MAX_POSTINGS) -> dict[str, Postings]:
    """Spelling → postings of (id, terms) pairs, indexed afresh."""
    index = SearchIndex()
    for doc_id, document in sorted(terms, key=lambda item: item[0]):
        index.put(doc_id, document)
    return index.postings(limit)


def test_spellings_that_fold_alike_share_a_term_but_keep_their_own_lists():
    newest_first = [
        (2, DocumentTerms(frozenset({"đường"}), frozenset({"đường"}))),
        (1, DocumentTerms(frozenset(), frozenset({"dương"}))),
        (0, DocumentTerms(frozenset({"dương"}), frozenset({"dương", "đường"}))),
    ]
    index = invert(newest_first)
    assert sorted(index) == ["dương", "đường"]
    entry = spelling_entry(index["đường"])
    assert undelta(entry[0]) == [0, 2] and undelta(entry[1]) == [2]
    assert len(entry) == 2  # complete list: no count
    assert undelta(spelling_entry(index["dương"])[0]) == [0, 1]


def test_an_index_kept_between_builds_reindexes_an_edited_article_as_a_fresh_index_would():
    def terms(title: set[str], rest: set[str]) -> DocumentTerms:
        return DocumentTerms(frozenset(title), frozenset(title | rest))

    before = [terms({"hội"}, {"nghị"}), terms({"đường"}, {"làng"}), terms(set(), {"hội", "làng"})]
    after = [before[0], terms({"làng"}, {"mới"}), before[2], terms({"hội"}, set())]  # edited 1, added 3
    kept = SearchIndex()
    for doc_id, document in enumerate(before):
        kept.put(doc_id, document)
    kept.put(1, after[1])
    kept.put(3, after[3])
    assert "đường" not in kept.ids and "nghị" in kept.ids  # a word no article has any more is gone
    assert kept.postings(limit=2) == invert(list(enumerate(after)), limit=2)
    assert kept.postings(limit=2)["hội"] == Postings(ids=[3, 2], titles=[3, 0], count=3)


def test_json_assembled_from_kept_entries_is_the_same_text_as_encoding_the_whole():
    value = {"đường": {"đường": [[1, 2], [2]], "dương": [[3], [], 1200]}, "<b>&": {"x": [[1], []]}, "a": {}}
    kept = {term: json_object({spelling: to_json(entry) for spelling, entry in members.items()})
            for term, members in value.items()}  # fmt: skip
    assert json_object(kept) == to_json(value)
    assert "<" not in json_object(kept)


def test_a_spelling_past_the_limit_keeps_title_matches_then_the_newest_and_its_count():
    postings = Postings(ids=[9, 8, 7], titles=[4, 2], count=10)  # as invert() leaves it with limit=3
    assert kept_ids(postings, limit=3) == [2, 4, 9]
    entry = spelling_entry(postings, limit=3)
    assert undelta(entry[0]) == [2, 4, 9] and undelta(entry[1]) == [2, 4] and entry[2] == 10


# --- shards ---------------------------------------------------------------------------------------------------


def longest_key(term: str, keys: set[str]) -> str | None:
    """The rule search.js follows."""
    return next((term[:n] for n in range(len(term), 0, -1) if term[:n] in keys), None)


def test_shards_are_keyed_by_two_letters_and_split_when_too_big():
    sizes = {"da": 10, "dai": 30, "dan": 30, "dang": 30, "danh": 30, "de": 5, "a": 1, "ngay": 5}
    keys = shard_keys(sizes, target=80)
    assert keys["de"] == "de" and keys["a"] == "a" and keys["ngay"] == "ng"
    assert keys["dai"] == "dai" and keys["da"] == "da"
    assert keys["dang"] == "dang" and keys["danh"] == "danh" and keys["dan"] == "dan"  # "dan…" still too big
    assert all(longest_key(term, set(keys.values())) == key for term, key in keys.items())


def test_shard_file_names_are_ascii():
    assert shard_file("da") == "da.json"
    assert shard_file("中文") == "x-4e2d-6587.json"
    assert shard_file("_a") == "x-5f-61.json"


def test_json_is_compact_sorted_and_never_markup():
    assert to_json({"b": 1, "a": ["<img src=x>", "&"]}) == '{"a":["\\u003cimg src=x\\u003e","\\u0026"],"b":1}'
    assert json.loads(to_json({"t": "<b>Đ</b>"})) == {"t": "<b>Đ</b>"}


# --- built sites ----------------------------------------------------------------------------------------------


def load(site: SiteDir, relative: str) -> dict:
    return json.loads((site.output / "tim-kiem" / relative.split("?")[0]).read_text("utf-8"))


def lookup(site: SiteDir, term: str) -> dict:
    """Spelling → article titles, read from the built files the way search.js does."""
    manifest = load(site, "index.json")
    key = longest_key(term, set(manifest["shards"]))
    entry = load(site, manifest["shards"][key])["terms"].get(term, {}) if key else {}
    titles = {}
    for spelling, postings in entry.items():
        found = []
        for doc_id in undelta(postings[0]):
            chunk = load(site, f"docs/{doc_id // manifest['docs_per_chunk']}.json")
            found.append(chunk["docs"][doc_id - chunk["first"]][0])
        titles[spelling] = sorted(found)
    return titles


def test_built_index_finds_articles_by_folded_words(site: SiteDir):
    site.article("a.md", "Đại hội Đảng bộ phường", "2020-01-01", "Nội dung đại hội.", category="Chính trị")
    site.article("b.md", "Sửa đường làng", "2020-02-01", "Con đường mới.", tags=["Giao thông"])
    site.article("c.md", "Ông Dương nhận bằng khen", "2020-03-01")
    site.build()
    manifest = load(site, "index.json")
    assert manifest["articles"] == 3 and manifest["version"] == 1
    assert lookup(site, "dang") == {"đảng": ["Đại hội Đảng bộ phường"]}
    assert lookup(site, "duong") == {"dương": ["Ông Dương nhận bằng khen"], "đường": ["Sửa đường làng"]}
    assert lookup(site, "giao") == {"giao": ["Sửa đường làng"]}  # a tag
    assert lookup(site, "chinh") == {"chính": ["Đại hội Đảng bộ phường"]}  # the category
    docs = load(site, "docs/0.json")["docs"]
    oldest = dict(zip(manifest["fields"], docs[0], strict=True))
    assert oldest["url"] == "2020/01/dai-hoi-dang-bo-phuong/" and oldest["category"] == "Chính trị"
    assert oldest["date"] == "01/01/2020 - 12:00 AM"  # the site's date format
    assert [d[0] for d in docs] == ["Đại hội Đảng bộ phường", "Sửa đường làng", "Ông Dương nhận bằng khen"]


def test_search_files_are_deterministic_and_not_in_the_sitemap(site: SiteDir, tmp_path: Path):
    for day in range(1, 6):
        site.article(f"{day}.md", f"Tin số {day} về Đà Nẵng", f"2020-01-0{day}", f"Thân bài {day}.")
    site.build()
    first = {name: data for name, data in site.files().items() if name.startswith("tim-kiem/")}
    shutil.rmtree(site.output)
    shutil.rmtree(site.root / ".cumthidua", ignore_errors=True)
    site.build()
    second = {name: data for name, data in site.files().items() if name.startswith("tim-kiem/")}
    assert first == second and len(first) > 3
    assert b"tim-kiem" not in (site.output / "sitemap.xml").read_bytes()


def test_one_article_edit_rewrites_only_the_files_it_touches(site: SiteDir):
    for number in range(150):
        site.article(f"{number:03d}.md", f"Tin số {number}", f"2020-01-01 {number // 60:02d}:{number % 60:02d}",
                     f"Thân bài {number} về hội nghị.")  # fmt: skip
    site.build()
    search = site.output / "tim-kiem"
    before = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in search.rglob("*.json")}
    site.article("010.md", "Tin số 10", "2020-01-01 00:10", "Thân bài 10 về hội nghị quỳnh lưu.")
    site.build()
    after = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in search.rglob("*.json")}
    changed = sorted(path.relative_to(search).as_posix() for path in after if before.get(path) != after[path])
    # the new words' shards, the article's chunk (ids 0-49; 50-149 untouched) and the manifest that versions them
    assert changed == ["docs/0.json", "index.json", "shards/lu.json", "shards/qu.json"]
    assert len(after) > 40 and before.keys() <= after.keys()
    assert lookup(site, "quynh") == {"quỳnh": ["Tin số 10"]}


def test_an_edit_makes_again_only_the_search_files_of_the_edited_article(site: SiteDir, monkeypatch, tmp_path: Path):
    """With the build cache, the index is updated in place: only the shards of the words the article gained or
    lost and its own document chunk are encoded again; the other files' texts come from the cache."""
    from cumthidua import search as search_module
    from cumthidua.build import BuildRequest, build

    def run(output: Path, cache: bool = True) -> list[str]:
        made: list[str] = []
        original = search_module.search_file
        monkeypatch.setattr(search_module, "search_file", lambda name, text: made.append(name) or original(name, text))
        assert build(BuildRequest(site.content, output, cache=cache, jobs=1)).ok
        monkeypatch.setattr(search_module, "search_file", original)
        return sorted(made)

    for number in range(120):
        site.article(f"{number:03d}.md", f"Tin số {number}", f"2020-01-01 {number // 60:02d}:{number % 60:02d}",
                     f"Thân bài {number} về hội nghị.")  # fmt: skip
    first = run(site.output)
    assert "docs/2.json" in first and len(first) > 40  # a new index: every file
    assert run(site.output) in ([], ["index.json"])  # nothing changed: at most the manifest is made again
    site.article("070.md", "Tin số 70", "2020-01-01 01:10", "Thân bài 70 về hội nghị quỳnh lưu.")
    assert run(site.output) == ["docs/1.json", "index.json", "shards/lu.json", "shards/qu.json"]
    search = site.output / "tim-kiem"
    untouched = {name: (search / name).read_bytes() for name in ("shards/ho.json", "docs/0.json")}
    for name in untouched:
        (search / name).unlink()  # rendered again, from the text the cache keeps
    site.article("071.md", "Tin số 71", "2020-01-01 01:11", "Thân bài 71 về hội nghị mới.")
    assert not set(run(site.output)) & set(untouched)
    assert {name: (search / name).read_bytes() for name in untouched} == untouched
    run(tmp_path / "clean", cache=False)
    assert search_files(site.output) == search_files(tmp_path / "clean")


def search_files(output: Path) -> dict[str, bytes]:
    return {path.relative_to(output).as_posix(): path.read_bytes() for path in (output / "tim-kiem").rglob("*.json")}


def test_every_page_has_a_search_form_that_leads_to_the_search_page(site: SiteDir):
    site.article("a.md", "Đại hội", "2020-07-14")
    site.build()
    for path in ["", "2020/07/dai-hoi/", "tu-khoa/", "2020/"]:
        form = site.page(path).find("form", role="search")
        assert form["method"] == "get"
        target = urljoin("/" + path, form["action"])
        assert target == "/tim-kiem/" and (site.output / "tim-kiem/index.html").is_file()
        field = form.find("input", attrs={"name": "q"})
        assert form.find("label", attrs={"for": field["id"]}).get_text() == "Từ khóa tìm kiếm"
        assert form.find("button").get_text() == "Tìm kiếm"
    search = site.page("tim-kiem/")
    assert search.find("h1").get_text() == "Kết quả tìm kiếm"
    assert search.find(role="status") is not None and search.find("noscript") is not None
    assert search.find("script", src="../static/search.js") and (site.output / "static/search.js").is_file()


def test_english_search_strings(site: SiteDir):
    site.write("site.yaml", "language: en\n")
    site.article("a.md", "Conference", "2020-07-14")
    site.build()
    page = site.page("tim-kiem/")
    assert page.find("form", role="search").find("button").get_text() == "Search"
    assert page.find(id="search-results")["data-found"] == "{count} results for “{query}”"


# --- in Chromium, served under a sub-path ---------------------------------------------------------------------

PREFIX = "/tin-tuc/"
XSS_TITLE = "Bẫy <img src=x onerror=alert(1)> ở tiêu đề"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A site with 130 filler articles (three document chunks) built for /tin-tuc/ and served there."""
    site = SiteDir(tmp_path_factory.mktemp("search") / "site")
    site.content.mkdir(parents=True)
    site.article("dang.md", "Đại hội Đảng bộ phường lần thứ XV", "2019-05-01", "Đại hội thành công.",
                 category="Chính trị")  # fmt: skip
    site.article("duong.md", "Ông Dương được khen thưởng", "2019-06-01", "Ông Dương làm việc tận tụy.")
    site.article("xss.md", XSS_TITLE, "2019-07-01", "Bài thử tiêu đề có thẻ.")
    for number in range(130):
        site.article(f"tin-{number:03d}.md", f"Tin vắn số {number}", f"2020-01-01 {number // 60:02d}:{number % 60:02d}",
                     "Hội nghị bàn về đường giao thông nông thôn.")  # fmt: skip
    site.build("--base-url", "https://example.org/tin-tuc/")
    www = tmp_path_factory.mktemp("www")
    shutil.copytree(site.output, www / PREFIX.strip("/"))
    handler = functools.partial(_QuietHandler, directory=str(www))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"
    server.shutdown()
    server.server_close()


def search(browser, base: str, query: str):  # noqa: F811
    """Open the search page for ``query``; returns (page, JSON files fetched, problems)."""
    page = browser.new_page()
    fetched: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: request.url.split("?")[0].endswith(".json") and fetched.append(request.url))
    page.on("response", lambda response: response.status >= 400 and problems.append(response.url))
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("dialog", lambda dialog: problems.append("dialog: " + dialog.message) or dialog.dismiss())
    page.goto(base + "tim-kiem/?q=" + query)
    page.wait_for_function("document.getElementById('search-status').textContent.includes('“')")
    return page, fetched, problems


def titles(page) -> list[str]:
    return page.locator("#search-results .item-title").all_inner_texts()


def test_unaccented_query_finds_the_vietnamese_title_with_few_requests(served, browser):  # noqa: F811
    page, fetched, problems = search(browser, served, "dai+hoi+dang")
    assert titles(page) == ["Đại hội Đảng bộ phường lần thứ XV"]
    assert page.locator("#search-status").inner_text() == "Tìm thấy 1 kết quả cho “dai hoi dang”"
    assert page.get_attribute("#search-status", "role") == "status"
    assert page.locator("#search-results .item-title mark").all_inner_texts() == ["Đại", "hội", "Đảng"]
    assert page.locator("#search-results .summary mark").all_inner_texts() == ["Đại", "hội"]
    link = page.locator("#search-results .item-title a")
    assert link.get_attribute("href") == "../2019/05/dai-hoi-dang-bo-phuong-lan-thu-xv/"
    paths = sorted(url.split("?")[0].removeprefix(served + "tim-kiem/") for url in fetched)
    # the manifest, the shards of "dai", "hoi", "dang" (one for "dai" and "dang") and the one chunk of the hit
    assert paths == ["docs/0.json", "index.json", "shards/da.json", "shards/ho.json"]
    assert page.input_value("#search-q") == "dai hoi dang"
    link.click()
    page.wait_for_load_state("load")
    assert page.url == served + "2019/05/dai-hoi-dang-bo-phuong-lan-thu-xv/"
    assert problems == []
    page.close()


def test_folded_query_finds_both_spellings_and_exact_spelling_ranks_first(served, browser):  # noqa: F811
    page, _, problems = search(browser, served, "duong")
    found = titles(page)
    assert "Ông Dương được khen thưởng" in found and "Tin vắn số 129" in found  # "đường" in the body
    assert found[:3] == ["Ông Dương được khen thưởng", "Tin vắn số 129", "Tin vắn số 128"]  # title, then newest
    assert page.locator("#search-status").inner_text() == "Tìm thấy 131 kết quả cho “duong”"
    assert len(found) == 10 and page.locator(".search-more").is_visible()
    page.locator(".search-more").click()
    page.wait_for_function("document.querySelectorAll('#search-results .item-title').length === 20")
    page.close()
    page, _, more_problems = search(browser, served, "%C4%91%C6%B0%E1%BB%9Dng")  # "đường"
    assert page.locator("#search-status").inner_text() == "Tìm thấy 131 kết quả cho “đường”"
    found = titles(page)
    # the exact spelling ranks above a title that only folds alike ("Dương")
    assert found[0] == "Tin vắn số 129" and "Ông Dương được khen thưởng" not in found
    assert problems == more_problems == []
    page.close()


def test_query_without_hits_says_so(served, browser):  # noqa: F811
    page, fetched, problems = search(browser, served, "xyzzy+dai")
    assert page.locator("#search-status").inner_text() == "Không tìm thấy kết quả nào cho “xyzzy dai”"
    assert titles(page) == [] and problems == []
    assert not any("/docs/" in url for url in fetched)
    page.close()


def test_markup_in_a_title_is_shown_as_text(served, browser):  # noqa: F811
    page, _, problems = search(browser, served, "bay")
    assert titles(page) == [XSS_TITLE]
    assert page.locator("#search-results img").count() == 0
    assert problems == []  # no alert dialog, no failed image request
    page.close()


def test_header_form_submits_to_the_search_page_from_an_article(served, browser):  # noqa: F811
    page = browser.new_page()
    page.goto(served + "2019/06/ong-duong-duoc-khen-thuong/")
    page.get_by_label("Từ khóa tìm kiếm").fill("Dương khen")
    page.get_by_role("button", name="Tìm kiếm").click()
    page.wait_for_url(served + "tim-kiem/?q=*")  # the article page has no search status to wait for
    page.wait_for_function("document.getElementById('search-status').textContent.includes('“')")
    assert titles(page) == ["Ông Dương được khen thưởng"]
    page.close()


def python_query_words(text: str) -> list[list[str]]:
    """What the index holds for the words of ``text``: [spelling, folded term], one per term."""
    seen: set[str] = set()
    found = []
    for word in re.findall(r"\w+", unicodedata.normalize("NFC", text).lower()):
        if fold(word) not in seen and len(word) <= 40:
            seen.add(fold(word))
            found.append([word, fold(word)])
    return found[:10]


def test_the_browser_splits_and_folds_queries_like_the_index(served, browser):  # noqa: F811
    texts = [
        "ĐẠI HỘI Đảng bộ", unicodedata.normalize("NFD", "Đường Nguyễn Huệ"), "hoà hòa HOÀ", "Quốc hội khóa XV, 2021!",
        "Ỷ Lan ỹ ữ ự", "café naïve _x a_b", "tiếng Việt: ă â ê ô ơ ư đ", "Nghị quyết 18-NQ/TW",
    ]  # fmt: skip
    page = browser.new_page()
    page.goto(served + "tim-kiem/")
    for text in texts:
        assert page.evaluate("text => cumthiduaSearchWords(text)", text) == python_query_words(text), text
    page.close()


@pytest.fixture
def served_with_common_words(tmp_path, monkeypatch):
    """A site built in this process with MAX_POSTINGS = 3: "hội" (in 6 articles) is too common to filter by."""
    from cumthidua import search as search_module
    from cumthidua.build import BuildRequest, build

    monkeypatch.setattr(search_module, "MAX_POSTINGS", 3)
    site = SiteDir(tmp_path / "site")
    site.content.mkdir(parents=True)
    for number in range(6):
        extra = " Quỳnh Lưu." if number in (0, 5) else ""
        site.article(f"hoi-{number}.md", f"Tin {number}", f"2020-01-0{number + 1}", f"Hội nghị lần {number}.{extra}")
    site.article("quynh.md", "Quỳnh Lưu mùa lúa", "2019-01-01", "Đồng lúa.")
    result = build(BuildRequest(site.content, site.output, cache=False, jobs=1, base_url="https://example.org/"))
    assert result.ok, result.diagnostics.items
    handler = functools.partial(_QuietHandler, directory=str(site.output))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_a_word_too_common_to_filter_by_only_ranks(served_with_common_words, browser):  # noqa: F811
    page, _, problems = search(browser, served_with_common_words, "hoi+quynh")
    # every article with "quỳnh", though "hội" was cut from the list of Tin 0 (only the 3 newest kept):
    # first the one known to have both, then the title match, then the rest; the note says why
    assert titles(page) == ["Tin 5", "Quỳnh Lưu mùa lúa", "Tin 0"]
    assert page.locator(".search-note").inner_text() == "Từ quá phổ biến, chỉ dùng để xếp hạng: hoi"
    assert problems == []
    page.close()


def test_block_digests_of_a_touch_up_work_out_only_the_blocks_of_changed_keys():
    """A touch-up passes the last digests and the positions it changed: the result is a full count's."""
    from cumthidua.search import DOCS_PER_CHUNK, block_digests

    before = [f"bài-{number}" for number in range(DOCS_PER_CHUNK * 2 + 7)]
    after = list(before)
    after[3] = after[-1] = "sửa"
    known = block_digests(before)
    assert block_digests(after, known, [3, len(after) - 1]) == block_digests(after) != known
    assert block_digests(after, known[:1], [3]) == block_digests(after)  # digests of another count: all again
