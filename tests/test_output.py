"""The output folder: a failed build leaves it exactly as it was, even when there was none."""

from __future__ import annotations

from conftest import SiteDir


def test_a_build_failing_at_the_link_check_creates_no_output_folder(site: SiteDir):
    site.article("a.md", "Bài A", "2020-01-01", body="Xem [bài cũ](/2019/01/khong-co/).")
    result = site.run("build")
    assert result.returncode == 1 and "content/a.md:" in result.stderr
    assert not site.output.exists()


def test_a_failing_build_keeps_the_previous_output_byte_for_byte(site: SiteDir):
    site.article("a.md", "Bài A", "2020-01-01")
    site.build()
    before = site.files()
    site.article("b.md", "Bài B", "2020-01-02", body="Xem [bài cũ](/2019/01/khong-co/).")
    assert site.run("build").returncode == 1
    assert site.files() == before


def test_an_output_folder_the_system_refuses_is_a_usage_error(site: SiteDir):
    site.article("a.md", "Bài A", "2020-01-01")
    site.write("a-file", "not a folder")
    result = site.run("build", "--output", "a-file/public")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "a-file/public" in result.stderr and "Not a directory" in result.stderr
