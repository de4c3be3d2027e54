"""The last full build's site, kept for touch-ups: what is loaded later reads as what was kept."""

from __future__ import annotations

import gc
import pickle
import weakref
from pathlib import Path
from typing import Any

import pytest

from cumthidua import snapshot as snapshot_module
from cumthidua.build import BuildRequest, build
from cumthidua.cache import open_cache
from cumthidua.snapshot import PackedTexts, Snapshot, SnapshotPage
from test_incremental import NOW, Site
from test_touchup import article


@pytest.fixture
def kept(tmp_path: Path) -> tuple[Site, dict[str, Any]]:
    """A site built once, with what the build kept (each article's and page's fields, as the build had them)."""
    site = Site(tmp_path / "site")
    site.write("site.yaml", 'title: "Tin"\nper_page: 2\n')  # listings of several pages
    for number in range(1, 7):
        extra = 'nguon: "Báo Hà Nội"\n' if number == 3 else ""
        site.write(
            f"content/{number}.md", article(f"Bài số {number}", f"2023-0{number}-10T08:00:00+07:00", extra=extra)
        )
    captured: dict[str, Any] = {}
    original = snapshot_module.remember

    def capturing(cache, output_dir, header, articles, built_site, pages):
        captured["articles"] = {a.source: dict(vars(a)) for a in articles}
        captured["pages"] = {page.path: (page.kind, page.title, page.description, page.data) for page in pages}
        captured["frame"] = header.frame
        original(cache, output_dir, header, articles, built_site, pages)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(snapshot_module, "remember", capturing)
        assert build(BuildRequest(site.content, site.root / "public", now=NOW)).ok
    return site, captured


def load(site: Site, frame: str) -> Snapshot:
    cache = open_cache(site.root)
    try:
        snapshot = snapshot_module.load(cache, site.root / "public", frame, NOW.timestamp(), False)
    finally:
        cache.close()
    assert snapshot is not None
    return snapshot


def test_every_article_reads_every_field_as_the_build_had_it(kept: tuple[Site, dict[str, Any]]) -> None:
    site, captured = kept
    loaded = {a.source: a for a in load(site, captured["frame"]).articles}
    assert loaded.keys() == captured["articles"].keys()
    assert loaded["3.md"].nguon == "Báo Hà Nội"  # a front-matter field, before any other field was read
    for source, fields in captured["articles"].items():
        again = loaded[source]
        for name in fields.keys() - {"_store", "_body_html", "_text"}:
            assert getattr(again, name) == fields[name], (source, name)
        assert again.body_html == f"<p>Nội dung của bài {fields['title']}.</p>\n"


def test_every_page_reads_as_the_build_had_it_and_holds_the_same_articles(
    kept: tuple[Site, dict[str, Any]],
) -> None:
    site, captured = kept
    snapshot = load(site, captured["frame"])
    made = [path for path, (kind, *_) in captured["pages"].items() if kind != "search-data"]  # made anew each time
    made_kinds = [fields for fields in captured["pages"].values() if fields[0] != "search-data"]
    assert [page.path for page in snapshot.pages] == made
    by_source = {a.source: a for a in snapshot.articles}
    for page in snapshot.pages:
        _, title, description, data = captured["pages"][page.path]
        assert (page.title, page.description) == (title, description)
        assert page.data.keys() == data.keys()
        if page.kind == "article":
            assert page.data["article"] is by_source[data["article"].source]  # the snapshot's own article
            assert [a.source for a in page.data["other_news"]] == [a.source for a in data["other_news"]]
        if page.kind in ("home", "category", "tag", "archive"):
            assert [a.source for a in page.data["articles"]] == [a.source for a in data["articles"]]
            assert all(a is by_source[a.source] for a in page.data["articles"])
            assert page.data["pagination"] == data["pagination"]
    # The article and listing pages wait to be read; what the listings' pages share, they share again.
    lazy = [page for page in snapshot.pages if type(page) is SnapshotPage]
    assert {page.kind for page in lazy} == {"article", "home", "category", "tag", "archive"}
    assert len(lazy) == sum(kind in {"article", "home", "category", "tag", "archive"} for kind, *_ in made_kinds)
    homes = [page for page in lazy if page.kind == "home"]
    assert len(homes) > 1 and homes[0].data["pagination"].pages is homes[1].data["pagination"].pages
    categories = [page for page in lazy if page.kind == "category"]
    assert categories and all(any(page.data["category"] is c for c in snapshot.site.categories) for page in categories)


def test_each_article_and_the_pages_copying_its_fields_are_found(tmp_path: Path) -> None:
    """A touch-up finds an edited file's article, and the pages copying its title (its own page and its aliases),
    without a table of every article: what it finds is what a look at every page finds."""
    site = Site(tmp_path / "site")
    site.write("site.yaml", 'title: "Tin"\nper_page: 2\n')
    for number in range(1, 6):
        extra = {2: 'aliases: ["cu/2/", "cu/hai/"]\n', 4: "draft: true\n"}.get(number, "")
        site.write(f"content/{number}.md", article(f"Bài {number}", f"2023-0{number}-10T08:00:00+07:00", extra=extra))
    frames = []
    original = snapshot_module.remember

    def capturing(cache, output_dir, header, *rest):
        frames.append(header.frame)
        original(cache, output_dir, header, *rest)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(snapshot_module, "remember", capturing)
        assert build(BuildRequest(site.content, site.root / "public", now=NOW)).ok
    snapshot = load(site, frames[0])
    pages, kept_site = snapshot.pages, snapshot.site
    assert [a.source for a in snapshot.articles] == ["1.md", "2.md", "3.md", "4.md", "5.md"]
    for each in snapshot.articles:
        assert snapshot.article(each.source) is each
        copying = [
            n for n, page in enumerate(pages) if page.kind in ("article", "alias") and page.data["article"] is each
        ]
        assert snapshot.copies.positions(kept_site, pages, each) == copying
    assert len(snapshot.copies.positions(kept_site, pages, snapshot.article("2.md"))) == 3
    assert snapshot.copies.positions(kept_site, pages, snapshot.article("4.md")) == []  # a draft has no page
    assert snapshot.article("6.md") is None and snapshot.article("0.md") is None
    # Pages not in the order the site made them: the touch-up gives way to a full build.
    first = next(n for n, page in enumerate(pages) if page.kind == "article")
    pages[first], pages[first + 1] = pages[first + 1], pages[first]
    with pytest.raises(LookupError):
        snapshot.copies.positions(kept_site, pages, snapshot.articles[-1])


def test_packed_texts_read_as_the_list_they_were_made_of_with_replacements_apart() -> None:
    texts = ["tin-tuc/a.md\0d1\0Đại hội", "", "bài\nhai dòng", "\ud800 tên lạ", "z"]
    packed = pickle.loads(pickle.dumps(PackedTexts(texts), protocol=5))
    assert list(packed) == texts and len(packed) == 5
    assert [packed[n] for n in range(-5, 5)] == texts + texts
    assert packed[1:4] == texts[1:4] and packed[::-2] == texts[::-2]
    changed = packed.replaced({0: "mới", -1: "cuối"})
    assert list(changed) == ["mới", *texts[1:4], "cuối"]
    assert list(changed.replaced({2: "ba"})) == ["mới", "", "ba", texts[3], "cuối"]
    assert list(packed) == texts  # the original is left as it was
    for wrong in (5, -6):
        with pytest.raises(IndexError):
            packed[wrong]
        with pytest.raises(IndexError):
            packed.replaced({wrong: "x"})
    assert list(PackedTexts([])) == []


def test_a_field_set_before_the_others_are_loaded_keeps_its_value(kept: tuple[Site, dict[str, Any]]) -> None:
    site, captured = kept
    first = next(a for a in load(site, captured["frame"]).articles if a.source == "1.md")
    first.summary = "Đặt trước khi nạp"
    assert first.title == "Bài số 1" and first.summary == "Đặt trước khi nạp"


def test_a_touch_up_leaves_no_cycle_holding_the_snapshot(kept: tuple[Site, dict[str, Any]]) -> None:
    """``serve`` builds again and again in one process: each touch-up's snapshot (700 MB at 100,000 articles) must
    go when the build ends, not wait for a full garbage collection."""
    site, _ = kept
    loaded: list[weakref.ref] = []
    original = snapshot_module.load

    def remembering(*args):
        found = original(*args)
        if found is not None:
            loaded.append(weakref.ref(found.articles))
        return found

    site.write("content/1.md", article("Bài số 1, đã sửa", "2023-01-10T08:00:00+07:00"))
    enabled = gc.isenabled()
    gc.disable()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(snapshot_module, "load", remembering)
            assert build(BuildRequest(site.content, site.root / "public", now=NOW)).ok
        assert len(loaded) == 1  # the build was a touch-up
        assert loaded[0]() is None
    finally:
        if enabled:
            gc.enable()
