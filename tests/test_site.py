"""Assembling the site: one clear error per problem, no echoes."""

from __future__ import annotations

from conftest import SiteDir


def test_clashing_explicit_slugs_give_exactly_one_error_at_the_second_slug(site: SiteDir):
    site.article("mot.md", "Một", "02/07/2020", slug="trung")
    site.article("hai.md", "Hai", "03/07/2020", slug="Trùng")
    result = site.run("build")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert errors == [
        "content/hai.md:4:7: error: slug 'trung' gives the URL /2020/07/trung/, already used by content/mot.md"
    ]
