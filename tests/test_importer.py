"""``cumthidua import``: old portal pages become articles that read exactly like the originals."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import given
from hypothesis import strategies as st

from conftest import SiteDir
from cumthidua.config import MarkdownConfig
from cumthidua.importer import NotUnderstood, markdown_paragraph, parse_html_page, parse_text_dump
from cumthidua.markdown import render_markdown

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "portal"
DUMP = FIXTURES / "000_7679188cf036a479.txt"  # the old portal's text dump (shared/examples)
SAVED_PAGE = FIXTURES / "so-ket-6-thang-dau-nam-2020.html"  # the same article as a saved page
ARTICLE_URL = "2020/07/cum-thi-dua-so-4-mttq-va-cac-doan-the-chinh-tri-xa-hoi-so-ket-cong-tac-6-thang/"


def original() -> dict:
    """The dump read by hand, independently of the importer: what a reader of the old portal saw."""
    lines = DUMP.read_text("utf-8").split("\n")
    end = lines.index("Các tin tức khác")
    body = [line for line in lines[3:end] if line.strip()]  # str.strip() also drops the lone U+00A0 line
    return {
        "title": lines[0],
        "date": lines[2],
        "paragraphs": body[:-1],
        "signature": body[-1],
        "other_news": [line for line in lines[end + 1 :] if line.strip()],
    }


def as_read(site: SiteDir, url: str) -> dict:
    """The built article page as a reader sees it."""
    page = site.page(url)
    signature = page.select_one(".signature")
    for hidden in signature.select(".visually-hidden"):
        hidden.extract()
    return {
        "title": page.select_one("h1.article-title").get_text(),
        "date": page.select_one(".article-header .meta time").get_text(),
        "paragraphs": [p.get_text() for p in page.select(".article-body p")],
        "signature": signature.get_text(),
        "body": page.select_one(".article-body").get_text(),
    }


@pytest.mark.parametrize("page", [DUMP, SAVED_PAGE], ids=["text-dump", "saved-html"])
def test_imported_page_builds_to_the_same_article(site: SiteDir, page: Path) -> None:
    result = site.run("import", str(page), "--to", "content", check=True)
    assert "imported" in result.stdout
    site.build()
    expected, built = original(), as_read(site, ARTICLE_URL)
    assert built["title"] == expected["title"]
    assert built["date"] == expected["date"]
    assert built["signature"] == expected["signature"] == "Ban Tổ chức"
    assert built["paragraphs"] == expected["paragraphs"]  # exact, non-breaking spaces included
    assert any("Thành phố \u00a0Hà Nội" in p for p in built["paragraphs"])
    for title in expected["other_news"]:  # the "Các tin tức khác" block is not part of the article
        assert title not in built["body"]


def test_importing_the_same_page_again_does_not_duplicate_it(site: SiteDir) -> None:
    site.run("import", str(DUMP), "--to", "content", check=True)
    again = site.run("import", str(DUMP), str(FIXTURES), "--to", "content", check=True)
    skipped = [line for line in again.stdout.splitlines() if line.startswith("skipped ")]
    assert len(skipped) == 3  # the file, then both pages of the folder (the same article)
    assert len(list(site.content.rglob("*.md"))) == 1
    site.build()
    assert len([p for p in (site.output / "2020/07").iterdir() if p.is_dir()]) == 1  # one article page


def test_page_that_cannot_be_understood_is_reported_and_the_rest_imported(site: SiteDir) -> None:
    pages = site.root / "old-portal"
    site.write("old-portal/a-good.txt", DUMP.read_text("utf-8"))
    site.write("old-portal/b-menu.txt", "Trang chủ\n\nGiới thiệu\nLiên hệ\n")
    site.write("old-portal/c-empty.html", "<html><body><h1>Liên hệ</h1><p>Gọi cho chúng tôi.</p></body></html>")
    site.write("old-portal/a-good_files/quang-cao.html", "<html><body>banner</body></html>")  # saved with the page
    result = site.run("import", str(pages), "--to", "content/tin-cu", "--category", "Tin cũ")
    assert result.returncode == 1
    assert "old-portal/b-menu.txt:3:1: error: cannot import this page: no date such as 14/07/2020" in result.stderr
    assert "old-portal/c-empty.html:1:1: error: cannot import this page: no title" in result.stderr
    assert "Imported 1, skipped 0, failed 2" in result.stdout
    imported = list((site.content / "tin-cu").glob("*.md"))
    assert len(imported) == 1
    assert 'category: "Tin cũ"' in imported[0].read_text("utf-8")
    assert 'imported_from: "a-good.txt"' in imported[0].read_text("utf-8")
    site.build()
    assert site.page("chuyen-muc/tin-cu/").select_one("h1")


def test_a_different_article_with_the_same_title_gets_its_own_file(site: SiteDir) -> None:
    first = "Hội nghị sơ kết\n\n01/07/2021 - 09:00 AM\nNội dung thứ nhất.\n"
    second = "Hội nghị sơ kết\n\n01/07/2022 - 09:00 AM\nNội dung thứ hai.\n"
    site.write("cu/1.txt", first)
    site.write("cu/2.txt", second)
    site.run("import", "cu", "--to", "content", check=True)
    assert sorted(p.name for p in site.content.glob("*.md")) == ["hoi-nghi-so-ket-2.md", "hoi-nghi-so-ket.md"]


def test_text_dump_without_signature_has_no_author() -> None:
    article = parse_text_dump("Tiêu đề\n\n14/07/2020 - 04:29 PM\nCâu thứ nhất.\nCâu cuối cùng của bài viết.\n")
    assert article.author == ""
    assert article.paragraphs == ["Câu thứ nhất.", "Câu cuối cùng của bài viết."]


def test_saved_page_takes_the_article_date_not_the_header_date() -> None:
    article = parse_html_page(SAVED_PAGE.read_text("utf-8"))
    assert article.date == "14/07/2020 - 04:29 PM"
    assert article.title == original()["title"]


def test_line_breaks_in_a_saved_page_stay_line_breaks() -> None:
    html = '<h1 class="title">Thông báo</h1><p>14/07/2020</p><p>Dòng một<br>Dòng  hai\n tiếp</p><p>Ban Biên tập</p>'
    article = parse_html_page(html)
    assert article.paragraphs == ["Dòng một\nDòng hai tiếp"]
    assert article.author == "Ban Biên tập"
    rendered = render_markdown(markdown_paragraph(article.paragraphs[0]), MarkdownConfig()).html
    assert rendered == "<p>Dòng một<br />\nDòng hai tiếp</p>\n"


def test_invalid_date_is_not_understood() -> None:
    with pytest.raises(NotUnderstood, match="month must be in 1..12|cannot read date"):
        parse_text_dump("Tiêu đề\n\n14/13/2020 - 04:29 PM\nNội dung.\n")


PUNCTUATION = "\\`*_[]<>&#!~|-+=.)(:;\"' \u00a0"
PIECES = list(PUNCTUATION + "aăđ019") + ["&amp;", "&#39;", "<http://x.vn>", "1.", "# ", "- ", "***", "```", "    "]
MARKDOWN_TEXT = st.lists(st.sampled_from(PIECES), min_size=1, max_size=20).map("".join).filter(lambda t: t.strip(" "))


@given(MARKDOWN_TEXT)
def test_any_paragraph_renders_back_to_exactly_its_text(text: str) -> None:
    text = text.strip(" ")  # the importer drops plain spaces around a paragraph; others are kept
    html = render_markdown(markdown_paragraph(text), MarkdownConfig()).html
    paragraphs = BeautifulSoup(html, "html.parser").find_all("p")
    assert [p.get_text() for p in paragraphs] == [text]
