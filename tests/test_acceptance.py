"""Checks written from the issues' text, run as a new user runs cumthidua (QA of issues 2 and 3)."""

from __future__ import annotations

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
    result = site.run("build")
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
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
