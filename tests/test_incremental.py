"""Incremental builds give the same bytes as a clean build, whatever the editors did in between.

The proof is a property test: random sequences of additions, edits, renames,
deletions, template and config edits and broken files, each followed by an
incremental build of one output folder and a clean build (no cache) of
another, compared file by file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cumthidua import fingerprint as fingerprint_module
from cumthidua import parallel
from cumthidua import render as render_module
from cumthidua.build import BuildRequest, build
from cumthidua.cache import CACHE_DIR, open_cache
from cumthidua.incremental import ArticleDigests
from cumthidua.theme import default_theme_dir

NOW = datetime(2024, 1, 1, tzinfo=UTC)
TITLES = ["Hội nghị giao ban", "Đại hội Mặt trận", "Trao nhà Đại đoàn kết", "Ngày hội khu dân cư", "Tổng kết thi đua"]
CATEGORIES = ["Mặt trận Tổ quốc", "An sinh xã hội", "Gương điển hình"]
TAGS = ["Hà Nội", "Thi đua", "Người nghèo", "Bầu cử"]
DATES = ["2020-07-14T16:29:00+07:00", "2021-05-19T10:00:00+07:00", "2023-12-31T23:00:00+07:00", "2030-01-01T08:00:00"]
# Front matter that changes only what the article's own pages and the pages listing it show (title with a fixed slug).
TOUCH_UPS = [
    "",
    'summary: "Tóm tắt riêng"\n',
    'author: "Ban Tổ chức"\n',
    'updated: "2023-06-01T08:00:00+07:00"\n',
    'slug: "bai-co-dinh"\n',
]
BODIES = ["Nội dung **chính**.", "Đoạn một.\n\nĐoạn hai với [liên kết](https://example.org/).", "Câu ngắn."]


class Site:
    """A site folder whose files get distinct, old mtimes unless a step asks for a fresh one."""

    def __init__(self, root: Path):
        self.root = root
        self.content = root / "content"
        self.content.mkdir(parents=True)
        self.clock = 1_600_000_000
        self.names: list[str] = []
        self.params: dict[str, tuple] = {}  # name → the article_text arguments it was last written with

    def write(self, relative: str, text: str, fresh: bool = False) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        self.clock += 10
        if not fresh:  # an old mtime: the cache trusts size and mtime alone
            os.utime(path, (self.clock, self.clock))

    def article_text(self, title: str, category: str, tags: list[str], date: str, body: str, extra: str = "") -> str:
        tag_list = ", ".join(f'"{tag}"' for tag in tags)
        head = f'title: "{title}"\ndate: "{date}"\ncategories: ["{category}"]\ntags: [{tag_list}]\n{extra}'
        return f"---\n{head}---\n{body}\n"

    def build(self, output: Path, cache: bool, jobs: int) -> bool:
        request = BuildRequest(self.content, output, now=NOW, cache=cache, jobs=jobs)
        return build(request).ok


def output_files(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".cumthidua")
    }


articles = st.tuples(
    st.sampled_from(TITLES), st.sampled_from(CATEGORIES), st.lists(st.sampled_from(TAGS), max_size=2, unique=True),
    st.sampled_from(DATES), st.sampled_from(BODIES),
)  # fmt: skip
steps = st.one_of(
    st.tuples(st.just("add"), articles, st.booleans()),
    st.tuples(st.just("edit"), st.integers(0, 20), articles, st.booleans()),
    st.tuples(
        st.just("touch-up"),
        st.integers(0, 20),
        st.sampled_from(TITLES),
        st.sampled_from(TOUCH_UPS),
        st.sampled_from(BODIES),
    ),  # fmt: skip
    st.tuples(st.just("rename"), st.integers(0, 20)),
    st.tuples(st.just("delete"), st.integers(0, 20)),
    st.tuples(st.just("template"), st.sampled_from(["home.html", "article.html", "_article_list.html", None])),
    st.tuples(st.just("config"), st.integers(1, 3), st.integers(0, 3), st.sampled_from(["Tin tức", "Cổng tin"])),
    st.tuples(st.just("broken"), st.booleans()),
    st.tuples(st.just("static"), st.sampled_from(["a", "b", None])),
)


def edited_template(source: str, mark: str) -> str:
    """The template with ``mark`` where the pages show it: in its last block (text after the blocks of a template
    that extends another is not shown), else at its end."""
    head, block_end, tail = source.rpartition("{% endblock %}")
    return f"{head}{mark}\n{block_end}{tail}" if block_end else f"{source}\n{mark}\n"


def apply(site: Site, step: tuple, counter: list[int]) -> None:
    kind = step[0]
    counter[0] += 1
    if kind == "add":
        name = f"bai-{counter[0]}.md"
        site.names.append(name)
        site.params[name] = step[1]
        site.write(f"content/{name}", site.article_text(*step[1]), fresh=step[2])
    elif kind == "edit" and site.names:
        name = site.names[step[1] % len(site.names)]
        site.params[name] = step[2]
        site.write(f"content/{name}", site.article_text(*step[2]), fresh=step[3])
    elif kind == "touch-up" and site.names:  # same date, category and tags: the site's structure stays
        name = site.names[step[1] % len(site.names)]
        _, category, tags, date, _ = site.params[name]
        title = step[2] if "slug:" in step[3] else site.params[name][0]  # a new title alone would move the URL
        site.write(f"content/{name}", site.article_text(title, category, tags, date, step[4], step[3]))
    elif kind == "rename" and site.names:
        index = step[1] % len(site.names)
        new = f"muc/bai-{counter[0]}.md"
        (site.content / "muc").mkdir(exist_ok=True)
        (site.content / site.names[index]).rename(site.content / new)
        site.params[new] = site.params.pop(site.names[index])
        site.names[index] = new
    elif kind == "delete" and site.names:
        (site.content / site.names.pop(step[1] % len(site.names))).unlink()
    elif kind == "template":
        for old in (site.root / "templates").glob("*.html"):
            old.unlink()
        if step[1] is not None:
            original = (default_theme_dir() / "templates" / step[1]).read_text("utf-8")
            site.write(f"templates/{step[1]}", edited_template(original, f"<!-- bản sửa {counter[0]} -->"))
    elif kind == "config":
        _, per_page, other_news, title = step
        site.write("site.yaml", f'title: "{title}"\nper_page: {per_page}\nother_news: {other_news}\n')
    elif kind == "broken":
        path = site.content / "hong.md"
        if step[1]:
            site.write("content/hong.md", "---\ntitle: [không đóng\n---\n")
        elif path.exists():
            path.unlink()
    elif kind == "static":
        path = site.root / "static" / "anh.txt"
        if step[1] is None:
            path.unlink(missing_ok=True)
        else:
            site.write("static/anh.txt", step[1] * 3)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(steps, min_size=1, max_size=7), st.sampled_from([1, 2]))
def test_incremental_build_equals_clean_build(history: list[tuple], jobs: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="cumthidua-incremental-"))
    saved_minimum = parallel.MIN_PARALLEL_ITEMS
    parallel.MIN_PARALLEL_ITEMS = 2  # tiny sites, but the forked workers must be exercised too
    try:
        site = Site(folder / "site")
        counter = [0]
        apply(site, ("add", (TITLES[0], CATEGORIES[0], TAGS[:1], DATES[0], BODIES[0]), False), counter)
        site.build(site.root / "public", cache=True, jobs=jobs)
        for step in history:
            apply(site, step, counter)
            before = output_files(site.root / "public")
            ok = site.build(site.root / "public", cache=True, jobs=jobs)
            reference = folder / f"clean-{counter[0]}"
            assert site.build(reference, cache=False, jobs=1) == ok, step
            expected = output_files(reference) if ok else before  # a failed build leaves the output as it was
            assert not ok or "tim-kiem/index.json" in expected  # the search files are compared too
            assert output_files(site.root / "public") == expected, step
            assert site.build(site.root / "public", cache=True, jobs=jobs) == ok  # nothing changed since
            assert output_files(site.root / "public") == expected, step
            shutil.rmtree(reference, ignore_errors=True)
    finally:
        parallel.MIN_PARALLEL_ITEMS = saved_minimum
        shutil.rmtree(folder, ignore_errors=True)


def test_cache_lives_in_a_hidden_folder_and_clean_drops_it(site) -> None:
    site.article("a.md", "Bài một", category="Tin")
    site.build()
    assert (site.root / CACHE_DIR).is_dir()
    first = site.files()
    site.build("--clean")
    assert site.files() == first
    shutil.rmtree(site.root / ".cumthidua")  # safe to delete at any time
    site.build()
    assert site.files() == first


def test_rebuild_without_changes_writes_nothing(site) -> None:
    site.article("a.md", "Bài một", category="Tin")
    site.article("b.md", "Bài hai", category="Tin", date="15/07/2020 - 04:29 PM")
    site.build()
    result = site.build()
    assert "(0 written," in result.stdout


def test_edit_rewrites_the_article_and_the_pages_that_show_it(site) -> None:
    for number in range(1, 6):
        site.article(f"{number}.md", f"Bài {number}", date=f"1{number}/07/2020 - 04:29 PM", category="Tin")
    site.build()
    before = site.files()
    site.article("3.md", "Bài ba đã sửa", date="13/07/2020 - 04:29 PM", category="Tin")
    site.build()
    after = site.files()
    changed = {path for path in after if before.get(path) != after[path]}
    assert "2020/07/bai-ba-da-sua/index.html" in changed
    assert "index.html" in changed  # the home page lists it
    assert "2020/07/bai-3/index.html" not in after  # the old URL is gone
    assert "static/style.css" not in changed


def test_deleted_output_file_is_written_again(site) -> None:
    site.article("a.md", "Bài một", category="Tin")
    site.build()
    page = site.output / "2020/07/bai-mot/index.html"
    expected = page.read_bytes()
    page.unlink()
    site.build()
    assert page.read_bytes() == expected


@pytest.mark.parametrize("jobs", ["0", "-1", "hai"])
def test_jobs_must_be_a_positive_number(site, jobs: str) -> None:
    site.article("a.md", "Bài một")
    result = site.run("build", "--jobs", jobs)
    assert result.returncode == 2
    assert "--jobs" in result.stderr


def test_nothing_changed_shortcut_still_notices_a_deleted_output_file(site) -> None:
    site.article("a.md", "Bài một", category="Tin")
    for path in site.root.rglob("*"):
        os.utime(path, (1_600_000_000, 1_600_000_000))  # old files: the shortcut trusts their mtimes
    site.build()  # remembers its inputs
    assert "(0 written," in site.build().stdout  # answered by the shortcut
    page = site.output / "2020/07/bai-mot/index.html"
    expected = page.read_bytes()
    page.unlink()
    assert "(1 written," in site.build().stdout
    assert page.read_bytes() == expected


def test_bounded_caches_give_the_same_pages_and_fingerprints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rendered parts and encoded objects a build remembers are bounded (memory at 100,000 articles); starting
    them again must change nothing: the same bytes, and fingerprints that let the next build keep every page."""
    site = Site(tmp_path / "site")
    for number in range(12):
        text = site.article_text(TITLES[number % 5], CATEGORIES[number % 3], TAGS[: number % 3], DATES[number % 3],
                                 BODIES[number % 3])  # fmt: skip
        site.write(f"content/bai-{number}.md", text)
    assert site.build(tmp_path / "roomy", cache=True, jobs=1)
    monkeypatch.setattr(render_module, "MAX_PARTS", 2)
    monkeypatch.setattr(fingerprint_module, "MAX_MEMO", 2)
    assert site.build(tmp_path / "tight", cache=True, jobs=1)
    assert output_files(tmp_path / "tight") == output_files(tmp_path / "roomy")
    cache = open_cache(site.root)
    assert cache is not None
    roomy, tight = (cache.pages(str((tmp_path / name).resolve())) for name in ("roomy", "tight"))
    cache.close()
    assert len(roomy) > 30 and {p: e.fingerprint for p, e in tight.items()} == {
        p: e.fingerprint for p, e in roomy.items()
    }


def test_rebuild_right_after_a_cold_build_is_answered_without_rebuilding(site, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cold build records its inputs too: the rebuild after it, nothing changed, needs no look at the pages
    (at 100,000 articles: 0.7 s instead of 4.5 s)."""
    from cumthidua import build as build_module

    site.article("a.md", "Bài một", category="Tin")
    for path in site.root.rglob("*"):
        os.utime(path, (1_600_000_000, 1_600_000_000))  # old files: the shortcut trusts their mtimes
    full_builds: list[int] = []
    original = build_module.full_build

    def counting(*args, **kwargs):
        full_builds.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(build_module, "full_build", counting)
    request = BuildRequest(site.content, site.output, now=NOW)
    assert build(request).ok
    first = site.files()
    result = build(request)
    assert result.ok and result.stats.written == 0
    assert full_builds == [1]  # the second build was answered by the nothing-changed shortcut
    assert site.files() == first


def test_article_digests_find_the_articles_whose_file_changed_in_any_order():
    """The articles a rebuild looks for among the pages: new ones and edited ones, not those that went away or
    moved in the site's order."""

    def digests(*rows: tuple[str, str]) -> ArticleDigests:
        return ArticleDigests.of([SimpleNamespace(source=source, digest=digest) for source, digest in rows])

    last = digests(("a.md", "1"), ("b.md", "2"), ("c.md", "3"))
    assert digests(("a.md", "1"), ("b.md", "2"), ("c.md", "3")).changed_since(last) == set()
    assert digests(("a.md", "1"), ("b.md", "9"), ("c.md", "3")).changed_since(last) == {"b.md"}
    assert digests(("c.md", "3"), ("a.md", "7"), ("d.md", "4")).changed_since(last) == {"a.md", "d.md"}
    assert digests(("a.md", ""), ("b.md", "2"), ("c.md", "3")).changed_since(last) == {"a.md"}
    assert digests().changed_since(last) == set()
    assert digests(("a.md", "")).changed_since(digests()) == {"a.md"}
    same = [SimpleNamespace(source=source, digest="5") for source in ("a.md", "b.md", "c.md")]
    assert ArticleDigests.of(same, like=last) == ArticleDigests(3, last.sources, "5\x005\x005")
    assert ArticleDigests.of(same[:2], like=last).sources == "a.md\x00b.md"  # not the same articles: not taken


def test_article_digests_find_edits_anywhere_in_a_big_site():
    """Digests of one width are compared a block of rows at a time: an edit in the first, a middle or the last
    row, or at a block's edge, is found; a digest of another width is found too."""
    sources = [f"{number:05}.md" for number in range(3000)]

    def digests(edited: dict[int, str]) -> ArticleDigests:
        rows = [SimpleNamespace(source=source, digest=edited.get(n, f"{n:016x}")) for n, source in enumerate(sources)]
        return ArticleDigests.of(rows)

    last = digests({})
    for rows in ([0], [511, 512], [1023, 2999], [7, 1500, 1501, 2998]):
        edited = digests({row: "f" * 16 for row in rows})
        assert edited.changed_since(last) == {sources[row] for row in rows}
        assert last.changed_since(edited) == {sources[row] for row in rows}
    assert digests({1700: "f" * 20}).changed_since(last) == {sources[1700]}
    assert digests({1700: "f" * 20, 1701: "f" * 12}).changed_since(last) == {sources[1700], sources[1701]}
