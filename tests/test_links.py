"""Unit tests for links.py: resolving, checking and rewriting internal links."""

from __future__ import annotations

import re

import pytest

from cumthidua.links import (
    _MAY_START,
    _TAG_NAMES,
    LinkChecker,
    check_links,
    link_target,
    page_hrefs,
    page_links,
    rewrite_site_links,
)
from cumthidua.urls import relative_url


@pytest.mark.parametrize(
    ("page", "href", "root", "expected"),
    [
        ("2020/07/x/index.html", "../../../static/style.css", "/", "static/style.css"),
        ("2020/07/x/index.html", "../../../", "/", "index.html"),
        ("2020/07/x/index.html", "../y/", "/", "2020/07/y/index.html"),
        ("2020/07/x/index.html", "../y/#tieu-de", "/", "2020/07/y/index.html"),
        ("2020/07/x/index.html", "../y/?a=1", "/", "2020/07/y/index.html"),
        ("index.html", "chuy%C3%AAn/", "/", "chuyên/index.html"),
        ("404.html", "/tin-tuc/static/style.css", "/tin-tuc/", "static/style.css"),
        ("404.html", "/tin-tuc", "/tin-tuc/", "index.html"),
        ("404.html", "/static/style.css", "/tin-tuc/", ""),  # outside the sub-path
        ("index.html", "../ngoai/", "/", ""),  # leaves the output folder
        ("index.html", "https://example.org/", "/", None),
        ("index.html", "//cdn.example.org/x.js", "/", None),
        ("index.html", "mailto:toasoan@example.org", "/", None),
        ("index.html", "#main", "/", None),
        ("2020/07/x/index.html", " x/", "/", "2020/07/x/x/index.html"),  # urlsplit strips the space
        ("2020/07/x/index.html", "./a/./b/", "/", "2020/07/x/a/b/index.html"),
        ("2020/07/x/index.html", "a/../../", "/", "2020/07/index.html"),
        ("2020/07/x/index.html", "..", "/", "2020/07/index.html"),
        ("2020/07/x/index.html", "/tin-tuc/a/../b/", "/tin-tuc/", "b/index.html"),
        ("/tuyet-doi/index.html", "x/", "/", ""),
    ],
)
def test_link_target(page: str, href: str, root: str, expected: str | None):
    assert link_target(page, href, root) == expected


def test_check_links_reports_only_broken_internal_links():
    home = (
        b'<a href="2020/07/x/">x</a> <a href="2020/07/y/">y</a> <img src="static/a.png"> <a href="https://e.org/">e</a>'
    )
    article = b'<link rel="stylesheet" href="../../../static/style.css"><a href="../../../">home</a>'
    pages = [("index.html", home, "templates/home.html"), ("2020/07/x/index.html", article, "content/x.md")]
    broken = check_links(pages, files=["static/style.css"])
    assert [(b.source, b.target, b.page) for b in broken] == [
        ("templates/home.html", "2020/07/y/", "index.html"),
        ("templates/home.html", "static/a.png", "index.html"),
    ]
    assert broken[0].message == "broken link to 2020/07/y/ (on /index.html)"


def test_check_links_follows_meta_refresh_and_skips_non_html():
    alias = b'<meta http-equiv="refresh" content="0; url=../../moi/">'
    pages = [("cu/bai/index.html", alias, "content/a.md"), ("feed.xml", b'<a href="nowhere/">', "x")]
    assert [b.target for b in check_links(pages)] == ["../../moi/"]


def test_broken_link_is_located_in_its_source_file(tmp_path):
    source = tmp_path / "a.md"
    source.write_text("---\ntitle: A\n---\nXem [bài](/2019/khong-co/).\n", "utf-8")
    page = b'<p>Xem <a href="../../../2019/khong-co/">b\xc3\xa0i</a>.</p>'
    (broken,) = check_links([("2020/07/a/index.html", page, str(source))])
    assert (broken.line, broken.col) == (4, 11)


def test_page_links_gives_positions():
    assert page_links('<p>\n  <a href="x/">x</a></p>') == [("x/", 2, 3)]


def test_rewrite_site_links_only_touches_site_absolute_links():
    html = '<a href="/2020/07/x/">x</a> <img src="/static/a.png" alt=""> <a href="//cdn.org/y">y</a> <a href="z/">z</a>'
    rewritten = rewrite_site_links(html, lambda target: relative_url("2021/01/b/", target))
    assert rewritten == (
        '<a href="../../../2020/07/x/">x</a> <img src="../../../static/a.png" alt=""> '
        '<a href="//cdn.org/y">y</a> <a href="z/">z</a>'
    )


def test_page_links_skips_comments_script_text_and_quoted_values():
    page = (
        '<!-- <a href="comment/"> --><script src="app.js">var s = "<a href=\'js/\'>";</script>\n'
        '<a title="xem href=sai/ > tiếp" href="a&amp;b/">x</a><IMG SRC=anh.png>'
        '<meta http-equiv="refresh" content="0; url=../moi/">'
    )
    assert [href for href, _, _ in page_links(page)] == ["app.js", "a&b/", "anh.png", "../moi/"]


def test_page_links_reads_tags_of_any_form_as_the_first_attribute_of_each_name():
    page = (
        '<a class="x" HREF="y">1</a>\n'
        '<a href title="t" href="z">2</a> <\u017fource src="s"> <IMG alt="" SRC="i.png"/>\n'
        '<link rel="icon" href="f&amp;g.svg"><a href="">e</a><meta name="x" content="url=no/">'
        '<a hreflang="vi" href="h/">'
    )
    expected = [("y", 1, 1), ("i.png", 2, 51), ("f&g.svg", 3, 1), ("h/", 3, 86)]
    assert page_links(page) == expected
    assert page_hrefs(page.encode()) == [href for href, _, _ in expected]


def test_link_checker_resolves_a_repeated_link_from_each_page():
    checker = LinkChecker("/")
    for page in ("2020/07/a/index.html", "2021/01/b/index.html", "index.html"):
        checker.add_links(page, ["../../../chuyen-muc/x/", "../c/"], "templates/t.html")
    checker.add_links("chuyen-muc/x/index.html", None, "templates/t.html")
    assert [(b.page, b.target) for b in checker.broken(["2020/07/c/index.html"])] == [
        ("index.html", "../../../chuyen-muc/x/"),  # leaves the site from here
        ("2021/01/b/index.html", "../c/"),
        ("index.html", "../c/"),
    ]


@pytest.mark.parametrize("name", _TAG_NAMES.split("|"))
def test_every_tag_of_interest_passes_the_scanners_first_test(name: str):
    folds = {"i": "\u0130", "s": "\u017f", "k": "\u212a"}  # re.IGNORECASE takes them for i, s, k
    for spelling in (name, name.upper(), "".join(folds.get(c, c) for c in name)):
        assert re.match(f"<{_MAY_START}", f"<{spelling} "), spelling
