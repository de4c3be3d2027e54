"""Links between pages: relative, so a site works under any sub-path."""

from __future__ import annotations

import pytest

from cumthidua.urls import folder_depth, link_from_depth, relative_url


@pytest.mark.parametrize(
    ("from_path", "target", "link"),
    [
        ("", "", "./"),
        ("", "/2020/07/a/", "2020/07/a/"),
        ("2020/07/a/", "", "../../../"),
        ("2020/07/a/", "chuyen-muc/x/", "../../../chuyen-muc/x/"),
        ("2020/07/a.html", "static/style.css", "../../static/style.css"),
        ("sitemap.xml", "a/", "a/"),
        ("2020/07/a/", "https://example.org/x", "https://example.org/x"),
        ("2020/07/a/", "#top", "#top"),
        ("2020/07/a/", "//cdn.example.org/x.js", "//cdn.example.org/x.js"),
    ],
)
def test_relative_links_climb_as_many_folders_as_the_page_is_deep(from_path: str, target: str, link: str):
    assert relative_url(from_path, target) == link
    assert link_from_depth(folder_depth(from_path), target) == link  # what the renderer remembers per depth
