"""Touch-up rebuilds reuse the last full build's site, and give the same bytes as a clean build."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cumthidua import build as build_module
from cumthidua import incremental
from cumthidua.build import BuildRequest, build
from cumthidua.cache import STRUCTURE, BuildCache, open_cache
from cumthidua.fingerprint import Fingerprinter
from cumthidua.theme import default_theme_dir
from test_incremental import NOW, Site, edited_template, output_files


def article(
    title: str, date: str, category: str = "Mặt trận Tổ quốc", tags: str = '["Hà Nội"]', extra: str = ""
) -> str:
    head = f'title: "{title}"\ndate: "{date}"\ncategories: ["{category}"]\ntags: {tags}\n{extra}'
    return f"---\n{head}---\nNội dung của bài {title}.\n"


SLUGS = ["hoi-nghi", "dai-hoi-mat-tran", "ngay-hoi-khu-dan-cu", "tong-ket-thi-dua"]  # of the news articles, by month


@pytest.fixture
def news(tmp_path: Path) -> Site:
    site = Site(tmp_path / "site")
    site.write("content/a.md", article("Hội nghị giao ban", "2023-01-10T08:00:00+07:00", extra='slug: "hoi-nghi"\n'))
    site.write("content/b.md", article("Đại hội Mặt trận", "2023-02-10T08:00:00+07:00", extra='aliases: ["cu/b/"]\n'))
    site.write("content/c.md", article("Ngày hội khu dân cư", "2023-03-10T08:00:00+07:00", "An sinh xã hội"))
    site.write("content/d.md", article("Tổng kết thi đua", "2023-04-10T08:00:00+07:00", tags='["Thi đua"]'))
    return site


@pytest.fixture
def full_loads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the builds into public/ (with a cache, unlike the clean ones) that assembled the site anew."""
    calls: list[int] = []
    original = build_module.load_articles

    def counting(content_dir, config, diagnostics, progress, cache, jobs, files):
        if cache is not None:
            calls.append(1)
        return original(content_dir, config, diagnostics, progress, cache, jobs, files)

    monkeypatch.setattr(build_module, "load_articles", counting)
    return calls


def same_as_clean(site: Site, now: datetime = NOW) -> None:
    reference = site.root.parent / "clean"
    assert build(BuildRequest(site.content, reference, now=now, cache=False)).ok
    assert output_files(site.root / "public") == output_files(reference)


def rebuild(site: Site, now: datetime = NOW) -> None:
    assert build(BuildRequest(site.content, site.root / "public", now=now)).ok


def test_touch_up_edits_reuse_the_last_site_and_show_everywhere(news: Site, full_loads: list[int]) -> None:
    rebuild(news)
    assert full_loads == [1]
    extra = 'slug: "hoi-nghi"\nsummary: "Tóm tắt mới"\nupdated: "2023-05-01T08:00:00+07:00"\nauthor: "Ban Tổ chức"\n'
    news.write("content/a.md", article("Hội nghị giao ban mở rộng", "2023-01-10T08:00:00+07:00", extra=extra))
    rebuild(news)
    assert full_loads == [1]  # the site and pages of the first build, with a.md put in
    page = (news.root / "public/2023/01/hoi-nghi/index.html").read_text("utf-8")
    assert "Hội nghị giao ban mở rộng" in page and "Ban Tổ chức" in page
    assert "Tóm tắt mới" in (news.root / "public/index.html").read_text("utf-8")
    assert "2023-05-01" in (news.root / "public/sitemap.xml").read_text("utf-8")
    same_as_clean(news)
    # Another touch-up, of an article with an alias: the first edit is still there.
    news.write(
        "content/b.md",
        article("Đại hội Mặt trận", "2023-02-10T08:00:00+07:00", extra='aliases: ["cu/b/"]\nsummary: "Mới"\n'),
    )
    rebuild(news)
    assert full_loads == [1]
    assert "Tóm tắt mới" in (news.root / "public/index.html").read_text("utf-8")
    same_as_clean(news)


@pytest.mark.parametrize(
    "name, text",
    [
        ("a.md", article("Tên mới, đường dẫn mới", "2023-01-10T08:00:00+07:00")),  # the slug follows the title
        ("c.md", article("Ngày hội khu dân cư", "2023-03-11T08:00:00+07:00", "An sinh xã hội")),
        ("c.md", article("Ngày hội khu dân cư", "2023-03-10T08:00:00+07:00", "Gương điển hình")),
        ("d.md", article("Tổng kết thi đua", "2023-04-10T08:00:00+07:00", tags='["Thi đua", "Bầu cử"]')),
        ("d.md", article("Tổng kết thi đua", "2023-04-10T08:00:00+07:00", tags='["Thi đua"]', extra="draft: true\n")),
        ("e.md", article("Bài mới", "2023-05-10T08:00:00+07:00")),
        ("c.md", None),
    ],
)
def test_other_edits_assemble_the_site_anew(news: Site, full_loads: list[int], name: str, text: str | None) -> None:
    rebuild(news)
    if text is None:
        (news.content / name).unlink()
    else:
        news.write(f"content/{name}", text)
    rebuild(news)
    assert full_loads == [1, 1]
    same_as_clean(news)
    news.write(
        "content/b.md",
        article("Đại hội Mặt trận", "2023-02-10T08:00:00+07:00", extra='aliases: ["cu/b/"]\nauthor: "X"\n'),
    )
    rebuild(news)  # and the next touch-up reuses what that build assembled
    assert full_loads == [1, 1]
    same_as_clean(news)


def test_a_build_dated_before_the_newest_article_leaves_it_out(news: Site, full_loads: list[int]) -> None:
    rebuild(news)
    news.write(
        "content/a.md",
        article("Hội nghị giao ban", "2023-01-10T08:00:00+07:00", extra='slug: "hoi-nghi"\nauthor: "X"\n'),
    )
    earlier = datetime(2023, 3, 1, tzinfo=UTC)  # SOURCE_DATE_EPOCH of an older day: c.md and d.md are in its future
    rebuild(news, earlier)
    assert full_loads == [1, 1]
    assert not (news.root / "public/2023/04").exists()
    same_as_clean(news, earlier)


def test_a_build_of_unchanged_files_dated_before_the_newest_article_leaves_it_out(news: Site) -> None:
    """Nothing changed but the build's date (SOURCE_DATE_EPOCH): the articles of its future are not published."""
    rebuild(news)
    earlier = datetime(2023, 3, 1, tzinfo=UTC)
    rebuild(news, earlier)
    assert not (news.root / "public/2023/04").exists()
    same_as_clean(news, earlier)
    rebuild(news)  # and back to the day of the first build: they are published again
    assert (news.root / "public/2023/04").exists()
    same_as_clean(news)


def test_a_page_edited_by_hand_is_made_again_by_the_next_build(news: Site) -> None:
    """Like a page deleted by hand: with nothing else changed, after a touch-up, and when only its bytes changed."""
    rebuild(news)
    home = news.root / "public/index.html"
    home.write_bytes(home.read_bytes() + "<!-- sửa tay -->".encode())
    rebuild(news)  # nothing else changed
    same_as_clean(news)
    feed = news.root / "public/atom.xml"
    text = feed.read_bytes()
    feed.write_bytes(text.replace(b"2023", b"2024", 1))  # the same size
    news.write("content/c.md", article("Ngày hội khu dân cư mới", "2023-03-10T08:00:00+07:00", "An sinh xã hội"))
    rebuild(news)  # a touch-up of another article
    same_as_clean(news)


def test_a_page_edited_by_hand_is_made_again_when_the_cache_is_gone(news: Site) -> None:
    """Without the files' stamps (the cache deleted: "safe to delete"), their bytes are looked at; the other files
    are neither rewritten nor touched."""
    rebuild(news)
    home, tags = news.root / "public/index.html", news.root / "public/tu-khoa/index.html"
    home.write_bytes(home.read_bytes() + "<!-- sửa tay -->".encode())
    before = tags.stat().st_mtime_ns
    shutil.rmtree(news.root / ".cumthidua")
    rebuild(news)
    same_as_clean(news)
    assert tags.stat().st_mtime_ns == before
    for stamps in (news.root / ".cumthidua/cache").glob("stamps-*"):
        stamps.write_bytes(b"not a pickle")
    home.write_bytes(home.read_bytes() + "<!-- sửa tay -->".encode())
    rebuild(news)
    same_as_clean(news)


def test_a_touch_up_with_an_error_is_reported_and_publishes_nothing(news: Site, full_loads: list[int]) -> None:
    rebuild(news)
    before = output_files(news.root / "public")
    news.write("content/a.md", "---\ntitle: [không đóng\ndate: 2023-01-10\n---\n")
    result = build(BuildRequest(news.content, news.root / "public", now=NOW))
    assert not result.ok
    assert {item.path for item in result.diagnostics.items} == {str(news.content / "a.md")}
    assert output_files(news.root / "public") == before
    news.write("content/a.md", article("Hội nghị giao ban", "2023-01-10T08:00:00+07:00", extra='slug: "hoi-nghi"\n'))
    rebuild(news)
    same_as_clean(news)


def test_a_page_written_again_by_hand_deletion_still_follows_its_articles(news: Site, full_loads: list[int]) -> None:
    rebuild(news)
    (news.root / "public/index.html").unlink()
    rebuild(news)  # written again, with the fingerprint it had: its list of articles must not be forgotten
    assert (news.root / "public/index.html").exists()
    news.write(
        "content/d.md",
        article("Tổng kết thi đua", "2023-04-10T08:00:00+07:00", tags='["Thi đua"]', extra='summary: "Tin nóng"\n'),
    )
    rebuild(news)
    assert "Tin nóng" in (news.root / "public/index.html").read_text("utf-8")
    same_as_clean(news)


def touch_up_c(news: Site) -> None:
    """Give c.md (the only article of its category) a new summary, and rebuild."""
    news.write(
        "content/c.md",
        article("Ngày hội khu dân cư", "2023-03-10T08:00:00+07:00", "An sinh xã hội", extra='summary: "Mới"\n'),
    )
    rebuild(news)


def test_a_touch_up_rewrites_only_the_pages_showing_the_edit_and_those_deleted(
    news: Site, full_loads: list[int]
) -> None:
    rebuild(news)
    public = news.root / "public"
    before = {path: path.stat().st_mtime_ns for path in public.rglob("*") if path.is_file()}
    (public / "tu-khoa/thi-dua/index.html").unlink()  # shows d.md only
    touch_up_c(news)
    assert full_loads == [1]
    assert (public / "tu-khoa/thi-dua/index.html").is_file()
    rewritten = {
        path.relative_to(public).as_posix() for path, mtime in before.items() if path.stat().st_mtime_ns != mtime
    }
    assert "2023/03/ngay-hoi-khu-dan-cu/index.html" in rewritten
    assert "chuyen-muc/mat-tran-to-quoc/index.html" not in rewritten  # lists a, b and d
    assert "404.html" not in rewritten
    same_as_clean(news)


def test_a_touch_up_into_an_output_changed_since_the_last_build_looks_at_every_page(
    news: Site, full_loads: list[int]
) -> None:
    rebuild(news)
    public = news.root / "public"
    manifest_file = public / ".cumthidua-manifest.json"
    manifest = json.loads(manifest_file.read_text("utf-8"))
    page = "chuyen-muc/mat-tran-to-quoc/index.html"
    manifest["files"][page] = "0" * 64  # as if another build had written it
    manifest_file.write_text(json.dumps(manifest), "utf-8")
    touch_up_c(news)
    assert full_loads == [1]  # still a touch-up, but no page is taken to be as the manifest says
    files = json.loads(manifest_file.read_text("utf-8"))["files"]
    assert files[page] == hashlib.sha256((public / page).read_bytes()).hexdigest()
    same_as_clean(news)


def test_edits_saved_seconds_apart_each_look_only_at_the_pages_showing_them(
    news: Site, full_loads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under ``watch`` an edit is built within a second of its save, too soon to trust the inputs' mtimes: the
    build after it still knows which pages the last one left, and looks at those showing the next edit only."""
    from cumthidua import incremental

    every_page: list[int] = []
    original = incremental.PageRenderer._fingerprints

    def counting(self, pages):  # the look at every page's fingerprint, which a touch-up does without
        if self.cache is not None:  # not the clean builds compared with
            every_page.append(len(pages))
        return original(self, pages)

    monkeypatch.setattr(incremental.PageRenderer, "_fingerprints", counting)
    rebuild(news)
    for summary in ("Mới", "Mới hơn", "Mới nhất"):
        news.write(
            "content/c.md",
            article(
                "Ngày hội khu dân cư", "2023-03-10T08:00:00+07:00", "An sinh xã hội", extra=f'summary: "{summary}"\n'
            ),
        )
        rebuild(news)
        assert summary in (news.root / "public/index.html").read_text("utf-8")
        same_as_clean(news)
    assert full_loads == [1]
    assert len(every_page) == 1  # the first build's only


def test_touch_ups_find_edits_from_the_last_listing_and_without_it(
    news: Site, full_loads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A touch-up compares the files with the listing the last build left (edits accumulate in it, and an edit
    undone leaves it); without one (an older version's cache) it reads the cache's entry of every file. Both
    give the bytes of a clean build."""
    from cumthidua import touchup
    from cumthidua.cache import open_cache

    every_file: list[int] = []
    original = touchup._changed_since_cached

    def counting(*args):
        every_file.append(1)
        return original(*args)

    monkeypatch.setattr(touchup, "_changed_since_cached", counting)
    rebuild(news)
    originals = {name: (news.root / f"content/{name}.md").read_text("utf-8") for name in "ab"}
    edits = [("a", 'summary: "Tóm tắt mới"\n'), ("b", 'summary: "Khác"\n'), ("a", "")]  # the last undoes the first
    for name, extra in edits:
        news.write(f"content/{name}.md", originals[name].replace("---\nNội", f"{extra}---\nNội"))
        rebuild(news)
        same_as_clean(news)
    assert "Tóm tắt mới" not in (news.root / "public/index.html").read_text("utf-8")
    assert "Khác" in (news.root / "public/index.html").read_text("utf-8")
    assert full_loads == [1] and every_file == []
    cache = open_cache(news.root)
    assert cache is not None
    cache.db.execute("DELETE FROM meta WHERE key LIKE ?", (touchup.LISTING + "%",))
    cache.close()
    news.write(
        "content/c.md",
        article("Ngày hội khu dân cư", "2023-03-10T08:00:00+07:00", "An sinh xã hội", extra='summary: "Ba"\n'),
    )
    rebuild(news)
    same_as_clean(news)
    assert full_loads == [1] and every_file == [1]


def test_a_file_edited_in_the_tick_the_listing_saw_is_read_again(news: Site, full_loads: list[int]) -> None:
    """A file saved just before a build can change again within the same mtime tick, keeping its size: the
    listing does not vouch for it, and the next build reads it."""
    import os

    rebuild(news)
    path = news.root / "content/d.md"
    path.write_text(
        article("Tổng kết thi đua", "2023-04-10T08:00:00+07:00", tags='["Thi đua"]', extra='summary: "AAAA"\n'), "utf-8"
    )
    rebuild(news)
    stamp = path.stat()
    path.write_text(path.read_text("utf-8").replace("AAAA", "BBBB"), "utf-8")
    os.utime(path, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))  # same size, same mtime
    rebuild(news)
    assert "BBBB" in (news.root / "public/index.html").read_text("utf-8")
    same_as_clean(news)
    assert full_loads == [1]


def test_the_pages_a_touch_up_makes_again_replace_their_runs_of_any_length():
    """Feeds, search files and sitemaps made again take the place of their kind's run, however many there are
    now; kinds that are not one run are not spliced (a full build makes the pages then)."""
    from cumthidua.models import Page
    from cumthidua.touchup import _splice

    def pages(*kinds: str) -> list[Page]:
        return [Page(kind, f"{kind}-{number}", "x.html", "") for number, kind in enumerate(kinds)]

    last = pages("home", "feed", "feed", "article", "search", "search-data", "search-data", "sitemap")
    feeds, search, sitemaps = pages("feed"), pages("search", "search-data", "search-data", "search-data"), []
    old_sitemaps: list[list[Page]] = []
    runs = [({"feed"}, lambda old: feeds), ({"search", "search-data"}, lambda old: search),
            ({"sitemap"}, lambda old: old_sitemaps.append(old) or sitemaps)]  # fmt: skip
    spliced = _splice(last, runs)
    assert spliced == [last[0], *feeds, last[3], *search]
    assert old_sitemaps == [[last[7]]]  # each run's function is given the run's old pages
    with pytest.raises(LookupError):
        _splice(pages("feed", "article", "feed"), [({"feed"}, lambda old: feeds)])
    with pytest.raises(LookupError):
        _splice(pages("home"), [({"feed"}, lambda old: feeds)])


def test_pages_without_a_fingerprint_are_made_again_by_every_touch_up(
    news: Site, full_loads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page the cache has no fingerprint of (its data or template beyond the fingerprint) is rendered by each
    touch-up, which learns which pages those are from the last build instead of reading every page's path."""
    original = Fingerprinter.page_and_refs
    monkeypatch.setattr(
        Fingerprinter, "page_and_refs", lambda self, page: (None, ()) if page.kind == "tag" else original(self, page)
    )
    paths_read: list[int] = []
    page_paths = BuildCache.page_paths
    monkeypatch.setattr(BuildCache, "page_paths", lambda self, output: paths_read.append(1) or page_paths(self, output))
    rebuild(news)
    tag_page = news.root / "public/tu-khoa/ha-noi/index.html"
    for title in ("Hội nghị giao ban lần hai", "Hội nghị giao ban lần ba"):
        news.write("content/a.md", article(title, "2023-01-10T08:00:00+07:00", extra='slug: "hoi-nghi"\n'))
        rebuild(news)
        assert full_loads == [1] and not paths_read
        assert title in tag_page.read_text("utf-8")
        same_as_clean(news)


def structure_of(site: Site, output: Path) -> str:
    """The structure key the last build into ``output`` recorded (built into first when it is not there)."""
    if not output.exists():
        assert build(BuildRequest(site.content, output, now=NOW)).ok
    cache = open_cache(site.root)
    assert cache is not None
    try:
        return cache.get_meta(STRUCTURE + str(output.resolve()))[0]
    finally:
        cache.close()


def test_a_template_edit_reuses_the_site_and_renders_only_that_templates_pages(
    news: Site, full_loads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A template edit makes no page: the last site is reused. The pages of the edited template cannot keep their
    last fingerprint: they are rendered without being fingerprinted first; the others are fingerprinted and kept.
    Editing it back does the same, and the touch-ups after still reuse the site."""
    rebuild(news)
    public = news.root / "public"
    articles = {f"2023/0{n}/{slug}/index.html" for n, slug in enumerate(SLUGS, 1)}
    looked_at: list[str] = []  # kinds of the pages fingerprinted before rendering
    fingerprint = incremental._FingerprintTask.__call__
    monkeypatch.setattr(
        incremental._FingerprintTask,
        "__call__",
        lambda self, index: looked_at.append(self.pages[index].kind) or fingerprint(self, index),
    )
    original = (default_theme_dir() / "templates/article.html").read_text("utf-8")
    edited = edited_template(original, "<!-- mẫu đã sửa -->")
    for text in (edited, original):
        before = {path: path.stat().st_mtime_ns for path in public.rglob("*") if path.is_file()}
        looked_at.clear()
        news.write("templates/article.html", text)
        rebuild(news)
        assert full_loads == [1]
        rewritten = {p.relative_to(public).as_posix() for p, mtime in before.items() if p.stat().st_mtime_ns != mtime}
        assert rewritten - {".cumthidua-manifest.json"} == articles
        assert "article" not in looked_at and "home" in looked_at
        assert all(("mẫu đã sửa" in (public / path).read_text("utf-8")) == (text != original) for path in articles)
        same_as_clean(news)
        assembled = news.root / f"assembled-{len(text)}"  # a first build into it: a full one
        assert structure_of(news, public) == structure_of(news, assembled) and full_loads.pop() == 1
    touched_up: list[bool] = []
    save = incremental.PageRenderer.save
    monkeypatch.setattr(incremental.PageRenderer, "save", lambda self: touched_up.append(self.touched_up) or save(self))
    touch_up_c(news)
    assert full_loads == [1] and touched_up == [True]  # deciding for the pages showing c.md only
    same_as_clean(news)


def test_a_template_saved_just_before_the_build_still_reuses_the_site(news: Site, full_loads: list[int]) -> None:
    """A template saved in the tick the build starts has no trustworthy digest: the site is reused all the same,
    every page decided by its fingerprint (which reads the template itself), and the next build does it again."""
    rebuild(news)
    original = (default_theme_dir() / "templates/article.html").read_text("utf-8")
    page = news.root / "public/2023/01/hoi-nghi/index.html"
    for number in (1, 2):
        news.write("templates/article.html", edited_template(original, f"<!-- mẫu mới {number} -->"), fresh=True)
        rebuild(news)
        assert full_loads == [1]
        assert f"mẫu mới {number}" in page.read_text("utf-8")
        same_as_clean(news)
