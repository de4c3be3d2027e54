"""A site's own templates: whatever goes wrong in them is an error at their line, never a traceback."""

from __future__ import annotations

from conftest import SiteDir


def _failing_build(site: SiteDir) -> list[str]:
    errors = site.build_errors()
    assert not site.output.exists()
    return errors


def test_any_error_raised_by_template_code_points_at_the_template_line(site: SiteDir):
    site.article("a.md", "Bài A", "2020-01-01")
    site.write("templates/article.html", "<p>{{ article.title }}</p>\n<p>{{ 1 / 0 }}</p>\n")
    [error] = _failing_build(site)
    assert error.startswith("templates/article.html:2:1: error: ") and "division by zero" in error


def test_a_page_that_fails_to_render_is_not_also_reported_as_a_broken_link(site: SiteDir):
    site.article("a.md", "Bài A", "2020-01-01", category="Tin")
    site.article("b.md", "Bài B", "2020-01-02", category="Tin")
    site.write("templates/article.html", '{% extends "khong-co.html" %}\n')
    errors = _failing_build(site)
    assert len(errors) == 2 and all("khong-co.html" in error for error in errors)


def test_a_template_that_is_not_utf8_is_an_error_naming_it(site: SiteDir):
    site.article("a.md", "Bài A", "2020-01-01")
    site.write("templates/home.html", "<p>Tin t\xe1c</p>\n".encode("latin-1"))
    [error] = _failing_build(site)
    assert error.startswith("templates/home.html:1:1: error: template is not valid UTF-8")


def test_control_characters_in_content_never_reach_feeds_or_pages(site: SiteDir):
    import xml.etree.ElementTree as ElementTree

    import feedparser

    site.write("site.yaml", "base_url: https://example.org/\n")
    site.write(
        "content/a.md",
        '---\ntitle: "Tin \\x01 mới\\x0b"\ndate: 2020-07-14\ncategory: "Thời\\x02 sự"\n---\nThân\x0c bài\x1b.\n',
    )
    site.build()
    for feed in ("rss.xml", "atom.xml", "chuyen-muc/thoi-su/rss.xml", "chuyen-muc/thoi-su/atom.xml", "sitemap.xml"):
        ElementTree.fromstring(site.files()[feed])  # well-formed XML
    parsed = feedparser.parse(site.files()["rss.xml"])
    assert not parsed.bozo and parsed.entries[0].title == "Tin  mới"
    for name, data in site.files().items():
        if name.endswith((".html", ".xml")):
            assert not any(byte in data for byte in b"\x01\x02\x0b\x0c\x1b"), name
