"""Checks written from the issues' text, run as a new user runs cumthidua (QA of issues 2 and 3)."""

from __future__ import annotations

import unicodedata

import pytest

from conftest import SiteDir


@pytest.mark.parametrize("base_url", ["foo", "javascript:alert(1)", '"><script>x', "https://example.org/a b/"])
def test_a_bad_base_url_option_is_a_usage_error(site: SiteDir, base_url: str):
    site.article("a.md", "Bài A", "2020-01-01")
    result = site.run("build", "--base-url", base_url)
    assert result.returncode == 2, result.stderr
    assert "--base-url" in result.stderr and "Traceback" not in result.stderr
    assert not site.output.exists()


def test_base_url_option_without_trailing_slash_is_used_as_given(site: SiteDir):
    site.article("a.md", "Bài A", "2020-01-01")
    site.build("--base-url", "https://example.org/tin-tuc")
    assert site.page("2020/01/bai-a/").find("link", rel="canonical")["href"] == (
        "https://example.org/tin-tuc/2020/01/bai-a/"
    )


def test_a_foreign_file_in_the_way_is_reported_at_that_file_and_kept(site: SiteDir):
    site.article("a.md", "Bài A", "2020-01-01")
    site.write("public/index.html", "trang của tôi")
    site.write("public/CNAME", "example.org")
    errors = site.build_errors()
    assert errors == ["public/index.html:1:1: error: cumthidua did not write this file, so it will not overwrite it"]
    assert site.files() == {"CNAME": b"example.org", "index.html": "trang của tôi".encode()}


def test_a_language_without_ui_strings_is_an_error_naming_the_key(site: SiteDir):
    site.article("a.md", "Bài A", "2020-01-01")
    site.write("site.yaml", "title: Tin\nlanguage: fr\n")
    result = site.run("build")
    assert result.returncode == 1
    assert "site.yaml:2:11: error: `language` 'fr' has no UI strings (available: en, vi)" in result.stderr
    site.write("site.yaml", "title: Tin\nlanguage: en-GB\n")
    site.build()
    assert site.page("").find("html")["lang"] == "en-GB"


@pytest.mark.parametrize("output", ["static/site", "templates/out", "content/x/y"])
def test_an_output_folder_inside_a_source_folder_is_a_usage_error(site: SiteDir, output: str):
    site.article("a.md", "Bài A", "2020-01-01")
    site.write("static/logo.svg", "<svg/>")
    site.write("templates/.keep", "")
    result = site.run("build", "--output", output)
    assert result.returncode == 2 and "is inside the" in result.stderr
    assert not (site.root / output).exists()


def test_aliases_that_no_static_page_can_answer_are_errors(site: SiteDir):
    aliases = ["tin-cũ/", "index.php?id=5", "tin%20cu.html", "a b/", "#x", "//evil.example/x", "static/style.css"]
    site.article("a.md", "Bài A", "2020-07-14", aliases=[*aliases, "/2019/05/bai-cu", "tin-cu.html"])
    errors = site.build_errors()
    assert len(errors) == len(aliases) and all(line.startswith("content/a.md:4:10: error: alias ") for line in errors)
    site.article("a.md", "Bài A", "2020-07-14", aliases=["/2019/05/bai-cu", "tin-cu.html"])
    site.build()
    written = sorted(site.files())
    assert "2019/05/bai-cu/index.html" in written and "tin-cu.html" in written
    assert all(name.isascii() for name in written)


def test_every_markdown_option_of_the_readme_builds(site: SiteDir):
    site.write("site.yaml", "markdown: {html: false, typographer: true, linkify: true}\n")
    site.article("a.md", "Bài A", "2020-01-01", body='Xem www.mattran.org.vn -- "trích dẫn"...')
    site.build()
    body = site.page("2020/01/bai-a/").find(class_="article-body")
    assert body.find("a")["href"] == "http://www.mattran.org.vn"
    assert "–" in body.get_text() and "…" in body.get_text()


def test_a_permalink_ending_in_html_gives_a_file_that_links_work_with(site: SiteDir):
    site.write("site.yaml", "permalink: '{year}/{slug}.html'\n")
    site.article("a.md", "Bài A", "2020-01-01", category="Tin")
    site.article("b.md", "Bài B", "2020-01-02", body="Xem [bài A](/2020/bai-a.html).", aliases=["cu/"])
    site.build()
    assert {"2020/bai-a.html", "2020/bai-b.html", "cu/index.html"} <= set(site.files())
    home = site.page("")
    assert {a["href"] for a in home.select("a[href$='.html']")} >= {"2020/bai-a.html", "2020/bai-b.html"}
    assert site.page("2020/bai-b.html").find(class_="article-body").find("a")["href"] == "../2020/bai-a.html"


def test_a_category_without_letters_is_an_error_at_its_line(site: SiteDir):
    site.article("a.md", "Bài A", "2020-01-01", category="..")
    site.article("b.md", "Bài B", "2020-01-01", categories=["🎉", "Tin"])
    errors = site.build_errors()
    assert errors == [
        "content/a.md:4:11: error: category '..' has no letters or digits to make a URL from",
        "content/b.md:4:13: error: category '🎉' has no letters or digits to make a URL from",
    ]


def test_tags_merge_case_and_unicode_form_but_not_other_letters(site: SiteDir):
    site.article("a.md", "Bài A", "2020-07-01", tags=["Hà Nội", "Lễ"])
    site.article("b.md", "Bài B", "2020-07-02", tags=["Hà nội", "Lê"])
    site.article("c.md", "Bài C", "2020-07-03", tags=[unicodedata.normalize("NFD", "Hà Nội"), "Ha Noi"])
    site.article("d.md", "Bài D", "2020-07-04", tags=["Lê", "Lễ", "LÊ"])
    site.build()
    cloud = {a.get_text(): a["href"] for a in site.page("tu-khoa/").select(".tag-cloud a")}
    assert cloud == {
        "Hà Nội": "../tu-khoa/ha-noi/",  # the most used spelling; NFD input counts as "Hà Nội"
        "Ha Noi": "../tu-khoa/ha-noi-2/",  # other letters: another tag, with its own page
        "Lê": "../tu-khoa/le/",
        "Lễ": "../tu-khoa/le-2/",
    }

    def listed(url: str) -> set[str]:
        return {a.get_text() for a in site.page(url).select(".article-list .item-title a")}

    assert listed("tu-khoa/ha-noi/") == {"Bài A", "Bài B", "Bài C"} and listed("tu-khoa/ha-noi-2/") == {"Bài C"}
    assert listed("tu-khoa/le/") == {"Bài B", "Bài D"} and listed("tu-khoa/le-2/") == {"Bài A", "Bài D"}


def test_featured_images_have_their_size_and_load_lazily_in_listings_and_on_the_article(site: SiteDir):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x03\x20\x00\x00\x01\xc2" + b"\x00" * 40
    site.write("static/anh/x.png", png)
    site.article("a.md", "Bài A", "2020-01-01", category="Tin", image="static/anh/x.png", image_alt="Ảnh")
    site.build()
    for url in ("", "chuyen-muc/tin/", "2020/01/bai-a/"):
        img = site.page(url).select_one("main img")
        assert (img["width"], img["height"], img["loading"]) == ("800", "450", "lazy"), url


@pytest.mark.parametrize("weight", [".nan", ".inf", "-1", "yes", "'2'"])
def test_related_weights_must_be_finite_numbers(site: SiteDir, weight: str):
    site.article("a.md", "Bài A", "2020-01-01")
    site.write("site.yaml", f"title: Tin\nrelated: {{category: {weight}}}\n")
    result = site.run("build")
    assert result.returncode == 1
    assert "site.yaml:2:10: error: `related.category` must be a number, 0 or more" in result.stderr
