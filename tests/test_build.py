"""End-to-end: build real sites in temporary folders and read them as a reader would."""

from __future__ import annotations

import fcntl
import os
import posixpath
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import ROOT, SiteDir
from cumthidua.output import STAGING


def links_of(soup) -> list[str]:
    return [a["href"] for a in soup.find_all("a", href=True)] + [
        tag.get("href") or tag.get("src")
        for tag in soup.find_all(["link", "img", "script"])
        if tag.get("href") or tag.get("src")
    ]


def resolve(site: SiteDir, page_path: str, href: str) -> Path | None:
    """The output file a relative link from ``page_path`` points at (None for external links)."""
    if href.startswith(("http://", "https://", "mailto:", "#")):
        return None
    href = href.split("#")[0]
    base = page_path if page_path.endswith("/") or page_path == "" else posixpath.dirname(page_path) + "/"
    if href.startswith("/"):  # root-relative (canonical links when base_url is "/")
        base, href = "", href.lstrip("/")
    target = posixpath.normpath(posixpath.join(base, href)) if href else base
    assert not target.startswith(".."), f"link {href} from {page_path} leaves the site"
    path = site.output / ("" if target == "." else target)
    return path / "index.html" if path.is_dir() else path


def three_articles(site: SiteDir) -> None:
    site.article("a.md", "Hội nghị sơ kết 6 tháng đầu năm", "14/07/2020 - 04:29 PM",
                 "Đoạn đầu tiên.\n\nĐoạn hai.", category="Hoạt động cụm thi đua", author="Ban Tổ chức")  # fmt: skip
    site.article("b.md", "Kết quả bình chọn Hàng Việt Nam", "08/07/2020 - 10:15 AM", category="Hoạt động cụm thi đua")
    site.article("c.md", "Tin Mặt trận", "2020-07-10T08:00:00+07:00", category="Mặt trận Tổ quốc")


def test_article_page_shows_what_the_old_portal_showed(site: SiteDir):
    three_articles(site)
    site.build()
    page = site.page("2020/07/hoi-nghi-so-ket-6-thang-dau-nam/")
    assert page.find("html")["lang"] == "vi"
    assert page.find("h1").get_text(strip=True) == "Hội nghị sơ kết 6 tháng đầu năm"
    text = page.get_text(" ", strip=True)
    assert "14/07/2020 - 04:29 PM" in text
    assert "Ban Tổ chức" in text
    assert [p.get_text() for p in page.select("article p") if "Đoạn" in p.get_text()] == ["Đoạn đầu tiên.", "Đoạn hai."]
    heading = next(h for h in page.find_all(["h2", "h3"]) if h.get_text(strip=True) == "Các tin tức khác")
    other = [a.get_text(strip=True) for a in heading.find_parent(["section", "aside", "nav", "div"]).find_all("a")]
    # same category first, then topped up from the whole site
    assert other == ["Kết quả bình chọn Hàng Việt Nam", "Tin Mặt trận"]
    assert "08/07/2020 - 10:15 AM" in heading.find_parent(["section", "aside", "nav", "div"]).get_text()


def test_newer_and_older_links(site: SiteDir):
    three_articles(site)
    site.build()
    page = site.page("2020/07/tin-mat-tran/")
    hrefs = {a.get_text(" ", strip=True): a["href"] for a in page.find_all("a", href=True)}
    newer = next(k for k in hrefs if "Hội nghị sơ kết" in k and hrefs[k].endswith("hoi-nghi-so-ket-6-thang-dau-nam/"))
    older = next(k for k in hrefs if "Kết quả bình chọn" in k)
    assert resolve(site, "2020/07/tin-mat-tran/", hrefs[newer]).is_file()
    assert resolve(site, "2020/07/tin-mat-tran/", hrefs[older]).is_file()


def test_every_link_of_every_page_leads_to_a_file(site: SiteDir):
    for n in range(25):
        site.article(f"tin-{n}.md", f"Tin số {n}", f"{n + 1:02d}/03/2021 08:00", category=["Thời sự", "Xã hội"][n % 2])
    site.write("site.yaml", "per_page: 5\n")
    site.build()
    pages = [p for p in site.files() if p.endswith(".html")]
    assert "index.html" in pages and "page/2/index.html" in pages and "page/5/index.html" in pages
    assert "page/6/index.html" not in pages and "page/1/index.html" not in pages
    assert "chuyen-muc/thoi-su/page/3/index.html" in pages
    for page_file in pages:
        page_path = page_file[: -len("index.html")]
        for href in links_of(site.page(page_path)):
            target = resolve(site, page_path, href)
            assert target is None or target.is_file(), f"{page_file}: broken link {href}"


def test_home_lists_newest_first_and_paginates(site: SiteDir):
    for n in range(7):
        site.article(f"t{n}.md", f"Bài {n}", f"0{n + 1}/01/2021")
    site.write("site.yaml", "per_page: 3\n")
    site.build()
    titles = [h.get_text(strip=True) for h in site.page("").select("main h2 a, main h3 a")]
    assert titles == ["Bài 6", "Bài 5", "Bài 4"]
    last = [h.get_text(strip=True) for h in site.page("page/3/").select("main h2 a, main h3 a")]
    assert last == ["Bài 0"]


def test_drafts_and_future_articles_need_flags(site: SiteDir):
    site.article("nhap.md", "Bản nháp", "2020-01-01", draft=True)
    site.article("tuong-lai.md", "Tin tương lai", "2999-01-01")
    site.article("thuong.md", "Tin thường", "2020-01-02")
    site.build()
    assert not (site.output / "2020/01/ban-nhap").exists()
    assert not (site.output / "2999").exists()
    site.build("--drafts", "--future")
    assert (site.output / "2020/01/ban-nhap/index.html").is_file()
    assert (site.output / "2999/01/tin-tuong-lai/index.html").is_file()
    site.build()
    assert not (site.output / "2020/01/ban-nhap").exists(), "draft page left behind after rebuild without --drafts"


def test_same_derived_slug_gets_distinct_urls_deterministically(site: SiteDir):
    site.article("x/a.md", "Thông báo", "02/07/2020")
    site.article("y/b.md", "Thông báo", "05/07/2020")
    site.article("z/c.md", "Thông  báo", "09/07/2020")
    site.build()
    urls = sorted(p for p in site.files() if p.startswith("2020/07/") and p != "2020/07/index.html")  # month archive
    assert urls == ["2020/07/thong-bao-2/index.html", "2020/07/thong-bao-3/index.html", "2020/07/thong-bao/index.html"]
    assert "02/07/2020" in site.page("2020/07/thong-bao/").get_text()  # the oldest keeps the plain slug


def test_clashing_explicit_slugs_are_an_error_naming_both_files(site: SiteDir):
    site.article("mot.md", "Một", "02/07/2020", slug="trung")
    site.article("hai.md", "Hai", "03/07/2020", slug="trung")
    result = site.run("build")
    assert result.returncode == 1
    assert "mot.md" in result.stderr and "hai.md" in result.stderr and "trung" in result.stderr
    assert not site.output.exists()


def test_all_content_errors_in_one_run_and_output_untouched(site: SiteDir):
    site.article("tot.md", "Bài tốt", "2020-01-01")
    site.build()
    before = {p: (site.output / p).stat().st_mtime_ns for p in site.files()}
    snapshot = site.files()
    site.write("content/hong-1.md", "---\ntitle: Hỏng\ndate: 32/01/2020\n---\n")
    site.write("content/hong-2.md", "---\ndate: 2020-01-01\ntags: [a,\n---\n")
    site.write("content/hong-3.yaml", "title: [x]\ndate: 2020-01-01\n")
    site.write("content/hong-4.md", b"---\ntitle: \xff\ndate: 2020-01-01\n---\n")
    lines = site.build_errors()
    assert any(line.startswith("content/hong-1.md:3:7: error:") for line in lines), lines
    assert any(line.startswith("content/hong-2.md:4:") for line in lines), lines
    assert any(line.startswith("content/hong-3.yaml:1:8: error:") for line in lines), lines
    assert any(line.startswith("content/hong-4.md:2:8: error:") and "UTF-8" in line for line in lines), lines
    assert site.files() == snapshot
    assert before == {p: (site.output / p).stat().st_mtime_ns for p in site.files()}
    assert not any(p.name.startswith(".cumthidua-staging") for p in site.output.iterdir())


def test_usage_errors_exit_2_without_traceback(site: SiteDir):
    site.article("a.md", "A", "2020-01-01")
    for args in (["--output", "content"], ["--output", "content/ra"], ["--output", "."], ["--source", "khong-co"],
                 ["--config", "khong-co.yaml"], ["--bogus"]):  # fmt: skip
        result = site.run("build", *args)
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr
    assert not (site.content / "ra").exists()
    assert sorted(p.name for p in site.content.iterdir()) == ["a.md"]


def test_never_overwrites_or_deletes_files_it_did_not_write(site: SiteDir):
    site.article("a.md", "Bài A", "2020-01-01")
    site.write("public/index.html", "trang của tôi")
    result = site.run("build")
    assert result.returncode == 1 and "did not write" in result.stderr
    assert (site.output / "index.html").read_text() == "trang của tôi"
    (site.output / "index.html").unlink()
    site.write("public/CNAME", "tin.example.org")
    site.build()
    site.article("a.md", "Bài A đổi tên", "2020-01-01")
    site.build()
    assert (site.output / "CNAME").read_text() == "tin.example.org"
    assert not (site.output / "2020/01/bai-a").exists(), "old page of a renamed article must go"
    assert (site.output / "2020/01/bai-a-doi-ten/index.html").is_file()


def test_output_is_byte_identical_across_builds(site: SiteDir):
    three_articles(site)
    site.build("--output", "out1")
    site.build("--output", "out2")
    first = {p.relative_to(site.root / "out1"): p.read_bytes() for p in (site.root / "out1").rglob("*") if p.is_file()}
    second = {p.relative_to(site.root / "out2"): p.read_bytes() for p in (site.root / "out2").rglob("*") if p.is_file()}
    assert first == second and len(first) > 5


def test_site_template_overrides_default_and_errors_point_at_template(site: SiteDir):
    site.article("a.md", "Bài A", "2020-01-01")
    site.write("templates/article.html", "<!DOCTYPE html><title>{{ article.title }}</title><p>riêng</p>\n")
    site.build()
    assert site.page("2020/01/bai-a/").find("p").get_text() == "riêng"
    site.write("templates/article.html", "<p>\n{{ article.khong_co }}</p>\n")
    result = site.run("build")
    assert result.returncode == 1
    assert "templates/article.html:2:" in result.stderr and "khong_co" in result.stderr


def test_unknown_fields_reach_templates(site: SiteDir):
    site.article("a.md", "Bài A", "2020-01-01", nguon="Báo Nhân Dân")
    site.write("templates/article.html", "<p>{{ article.extra.nguon }}</p><p>{{ article.nguon }}</p>\n")
    site.build()
    assert [p.get_text() for p in site.page("2020/01/bai-a/").find_all("p")] == ["Báo Nhân Dân"] * 2


def test_html_in_titles_is_escaped(site: SiteDir):
    site.article("a.md", '<script>alert("x")</script> Tin', "2020-01-01", category="<b>Mục</b>")
    site.build()
    for html in site.files().values():
        assert b"<script>alert" not in html and b"<b>M" not in html


def test_permalink_and_base_url_options(site: SiteDir):
    site.article("a.md", "Bài A", "2020-01-01", category="Thời sự")
    site.write("site.yaml", "permalink: 'tin/{category}/{slug}/'\n")
    site.build("--base-url", "https://example.org/tin-tuc")
    page = site.page("tin/thoi-su/bai-a/")
    assert page.find("link", rel="canonical")["href"] == "https://example.org/tin-tuc/tin/thoi-su/bai-a/"


def test_checkout_entry_points_build_the_sample_site(tmp_path: Path):
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "build.py", "--output", str(out)], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    sample = BeautifulSoupFile(out / "2020/07")
    assert sample, "the sample article of 14/07/2020 is built"
    assert "Các tin tức khác" in sample


def BeautifulSoupFile(folder: Path) -> str:
    pages = [p.read_text("utf-8") for p in folder.rglob("index.html") if "cum-thi-dua-so-4" in str(p)]
    return pages[0] if pages else ""


def test_builds_in_one_process_leave_cycle_collection_on(site: SiteDir):
    """``serve`` builds again and again in one process: a build pauses the cycle collector only while it runs."""
    import gc

    import pytest

    from cumthidua.build import BuildRequest, build
    from cumthidua.diagnostics import UsageError

    three_articles(site)
    assert build(BuildRequest(site.content, site.output)).ok
    assert gc.isenabled()
    with pytest.raises(UsageError):
        build(BuildRequest(site.content, site.content))
    assert gc.isenabled()


def test_ctrl_c_stops_a_build_with_one_line_and_no_traceback(site: SiteDir):
    """Ctrl-C reaches every process of the terminal: the workers leave it to the build, which says it once."""
    for number in range(600):
        site.article(f"{number:03}.md", f"Bài số {number}", f"2020-01-{number % 28 + 1:02}", body="Nội dung. " * 50)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NO_COLOR": "1"}
    interrupted = 0
    for delay in (0.5, 0.65, 0.8, 0.95, 1.1, 1.25, 1.4, 1.55):  # reading, rendering, writing
        command = [sys.executable, "-m", "cumthidua", "build", "--clean", "--jobs", "2"]
        process = subprocess.Popen(
            command, cwd=site.root, env=env, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        time.sleep(delay)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)  # as the terminal does: to the build and its workers
        _, errors = process.communicate(timeout=120)
        assert "Traceback" not in errors
        if process.returncode == 130:
            interrupted += 1
            assert errors.strip().splitlines()[-1] == "cumthidua: interrupted"
            assert not (site.output / STAGING).exists()  # nothing half made is left in the output folder
    assert interrupted  # at least one build was stopped midway
    assert site.run("build").returncode == 0  # and the next build goes through


def test_ctrl_c_while_the_command_still_loads_says_so_in_one_line(site: SiteDir):
    """Ctrl-C in the first half second, while Python imports the generator, used to print a traceback of the
    import. Made certain here: the import of PyYAML is what raises it."""
    stop_at_import = (
        "import builtins\n"
        "real_import = builtins.__import__\n"
        "def stopping(name, *args, **kwargs):\n"
        "    if name == 'yaml':\n"
        "        raise KeyboardInterrupt\n"
        "    return real_import(name, *args, **kwargs)\n"
        "builtins.__import__ = stopping\n"
        "import runpy\n"
        "runpy.run_module('cumthidua', run_name='__main__')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NO_COLOR": "1"}
    process = subprocess.run(
        [sys.executable, "-c", stop_at_import, "build"], cwd=site.root, env=env, capture_output=True, text=True
    )
    assert process.returncode == 130
    assert process.stderr == "cumthidua: interrupted\n"
    assert not site.output.exists()


def test_two_builds_of_one_site_at_once_both_succeed_one_after_the_other(site: SiteDir):
    """``build`` run while another build (or ``serve``) writes the same output waits for it, then finds
    nothing to do, where the two used to stage over each other and refuse each other's files."""
    for number in range(300):
        site.article(f"{number:03}.md", f"Bài số {number}", f"2020-01-{number % 28 + 1:02}", body="Nội dung. " * 50)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NO_COLOR": "1"}
    command = [sys.executable, "-m", "cumthidua", "build"]
    first = subprocess.Popen(command, cwd=site.root, env=env, stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)
    second = subprocess.Popen(command, cwd=site.root, env=env, stderr=subprocess.PIPE, text=True)
    for process in (first, second):
        _, errors = process.communicate(timeout=120)
        assert process.returncode == 0, errors
    clean = site.root / "clean"
    site.run("build", "--output", str(clean), "--clean", check=True)

    def files(folder: Path) -> dict[str, bytes]:
        return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}

    assert files(site.output) == files(clean)


def test_a_build_waiting_for_another_says_so_and_then_builds(site: SiteDir):
    """Without a terminal (a script, a log), the wait is one line on stderr."""
    site.article("a.md", "Bài A", "2020-01-01")
    (site.root / ".cumthidua").mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "NO_COLOR": "1"}
    with open(site.root / ".cumthidua/build.lock", "ab") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # as another build holds it
        process = subprocess.Popen(
            [sys.executable, "-m", "cumthidua", "build"], cwd=site.root, env=env, stderr=subprocess.PIPE, text=True
        )
        time.sleep(1.5)
        assert process.poll() is None  # still waiting
    _, errors = process.communicate(timeout=60)
    assert process.returncode == 0, errors
    assert "cumthidua: waiting for another build of this site to end…" in errors
    assert (site.output / "index.html").exists()
