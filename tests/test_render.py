"""A site's own templates: whatever goes wrong in them is an error at their line, never a traceback."""

from __future__ import annotations

from pathlib import Path

from conftest import SiteDir
from cumthidua.config import SiteConfig
from cumthidua.diagnostics import Diagnostics
from cumthidua.models import Page
from cumthidua.render import Renderer
from cumthidua.site import BuildOptions, assemble_site
from cumthidua.theme import ui_strings


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


# --- what a build renders once and reuses (unit) ---------------------------------------------------------------


def _renderer(tmp_path: Path, templates: dict[str, str]) -> Renderer:
    for name, text in templates.items():
        (tmp_path / name).write_text(text, "utf-8")
    site = assemble_site(SiteConfig(base_url="https://example.org/"), [], BuildOptions(), Diagnostics())
    return Renderer(site, [tmp_path], ui_strings("vi"))


def test_a_cached_part_is_rendered_once_for_each_set_of_values_it_reads(tmp_path: Path):
    calls = []
    renderer = _renderer(tmp_path, {"p.html": "{% cache %}{{ note(x) }} {{ url('a/') }}{% endcache %}|{{ y }}"})
    renderer.env.globals["note"] = lambda value: calls.append(value) or value
    same = ["x"]
    pages = [
        Page("p", "a/", "p.html", "", data={"x": 1, "y": 1}),
        Page("p", "b/", "p.html", "", data={"x": 1, "y": 2}),  # as deep as a/: the same links
        Page("p", "a/b/", "p.html", "", data={"x": 1, "y": 3}),  # deeper: other links
        Page("p", "c/", "p.html", "", data={"x": "1", "y": 4}),  # a string is not the number
        Page("p", "d/", "p.html", "", data={"x": same, "y": 5}),
        Page("p", "e/", "p.html", "", data={"x": same, "y": 6}),
        Page("p", "f/", "p.html", "", data={"x": ["x"], "y": 7}),  # equal, but another object
    ]
    shown = [renderer.render(page).content.decode() for page in pages]
    assert shown == [
        "1 ../a/|1", "1 ../a/|2", "1 ../../a/|3", "1 ../a/|4", "[&#39;x&#39;] ../a/|5", "[&#39;x&#39;] ../a/|6",
        "[&#39;x&#39;] ../a/|7",
    ]  # fmt: skip
    assert calls == [1, 1, "1", same, same]


def test_a_cached_part_reading_a_namespace_is_rendered_each_time(tmp_path: Path):
    template = (
        "{% set ns = namespace(n=0) %}"
        "{% for x in [1, 2] %}{% set ns.n = ns.n + x %}{% cache %}{{ ns.n }}{% endcache %}{% endfor %}"
    )
    renderer = _renderer(tmp_path, {"p.html": template})
    assert renderer.render(Page("p", "a/", "p.html", "")).content == b"13"


def test_links_and_dates_are_remembered_without_mixing_up_equal_values(tmp_path: Path):
    from datetime import UTC, datetime, timedelta, timezone

    from markupsafe import Markup

    template = "{{ url(a) }} {{ url(b) }} {{ d|isodate }} {{ e|isodate }} {{ d|format_date('%H:%M') }}\n"
    renderer = _renderer(tmp_path, {"p.html": template})
    moment = datetime(2020, 7, 14, 9, 30, tzinfo=UTC)
    in_hanoi = moment.astimezone(timezone(timedelta(hours=7)))  # == moment
    data = {"a": "x?a=1&b=2", "b": Markup("x?a=1&b=2"), "d": moment, "e": in_hanoi}
    for _ in range(2):
        shown = renderer.render(Page("p", "t/", "p.html", "", data=data)).content.decode()
        assert shown == "../x?a=1&amp;b=2 ../x?a=1&b=2 2020-07-14T09:30:00+00:00 2020-07-14T16:30:00+07:00 09:30\n"
