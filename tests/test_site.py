"""Assembling the site: one clear error per problem, no echoes."""

from __future__ import annotations

from conftest import SiteDir


def test_clashing_explicit_slugs_give_exactly_one_error_at_the_second_slug(site: SiteDir):
    site.article("mot.md", "Một", "02/07/2020", slug="trung")
    site.article("hai.md", "Hai", "03/07/2020", slug="Trùng")
    errors = site.build_errors()
    assert errors == [
        "content/hai.md:4:7: error: slug 'trung' gives the URL /2020/07/trung/, already used by content/mot.md"
    ]


def test_an_article_on_the_url_of_a_listing_is_an_error_at_the_article(site: SiteDir):
    site.write("site.yaml", "permalink: '{slug}/'\n")
    site.article("a.md", "Từ khóa", "2020-07-14")
    site.article("b.md", "Bài B", "2020-07-14", slug="2020")
    errors = site.build_errors()
    assert errors == [
        "content/a.md:2:8: error: URL /tu-khoa/ is produced twice: here and by the tags page",
        "content/b.md:4:7: error: URL /2020/ is produced twice: here and by the archive page",
    ]


def test_most_used_spelling_names_a_term_and_capitals_win_a_tie():
    from cumthidua.site import group_names

    names = group_names(["Hà nội", "Hà Nội", "hà nội", "Hà Nội", "MTTQ", "mttq"])
    assert sorted(names.values()) == ["Hà Nội", "MTTQ"]
