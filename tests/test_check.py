"""``cumthidua check``: every problem a build would find, and nothing written."""

from __future__ import annotations

from conftest import SiteDir


def site_files(site: SiteDir) -> list[str]:
    """Every file of the site folder except the build cache (which a check may fill, like a build)."""
    return sorted(p.relative_to(site.root).as_posix() for p in site.root.rglob("*") if ".cumthidua" not in p.parts)


def test_check_passes_a_good_site_and_writes_nothing(site: SiteDir) -> None:
    site.article("tin-a.md", "Tin A", category="Mặt trận Tổ quốc")
    site.article("tin-b.md", "Tin B", body="Xem thêm [tin A](/2020/07/tin-a/).")
    before = site_files(site)
    result = site.run("check")
    assert result.returncode == 0, result.stderr
    assert "No problems: 2 articles" in result.stdout
    assert site_files(site) == before


def test_check_reports_content_config_template_and_link_problems_at_once(site: SiteDir) -> None:
    site.write("site.yaml", "title: Tin tức\nper_pgae: 5\n")
    site.article("ngay-sai.md", "Ngày sai", date="31/02/2020")
    site.article("lien-ket.md", "Liên kết hỏng", body="Đọc [bài cũ](/2019/01/khong-co-bai-nay/).")
    broken_template = "{% extends 'base.html' %}{% block content %}{{ article.title }\n{% endblock %}"
    site.write("templates/article.html", broken_template)
    result = site.run("check")
    assert result.returncode == 1
    assert "site.yaml:2:1: error: unknown config key `per_pgae`" in result.stderr
    assert "content/ngay-sai.md:3:7: error: `date`" in result.stderr
    assert "templates/article.html:1:1: error: template syntax error" in result.stderr
    assert not site.output.exists()


def test_check_finds_broken_internal_links(site: SiteDir) -> None:
    site.article("lien-ket.md", "Liên kết hỏng", body="Đọc [bài cũ](/2019/01/khong-co-bai-nay/).")
    result = site.run("check")
    assert result.returncode == 1
    assert "content/lien-ket.md:" in result.stderr
    assert "/2019/01/khong-co-bai-nay/" in result.stderr
    assert not site.output.exists()


def test_check_leaves_the_last_build_untouched(site: SiteDir) -> None:
    site.article("tin-a.md", "Tin A")
    site.build()
    built = site.files()
    site.article("tin-a.md", "Tin A đã sửa")
    site.article("tin-b.md", "Tin B")
    assert site.run("check").returncode == 0
    assert site.files() == built


def test_check_reports_problems_every_time_until_fixed(site: SiteDir) -> None:
    """The check folder is kept for speed; that must never hide a problem on the next run."""
    article = site.article("tin-a.md", "Tin A")
    assert site.run("check").returncode == 0
    good = article.read_text("utf-8")
    article.write_text(good.replace("14/07/2020 - 04:29 PM", "99/07/2020"), "utf-8")
    for _ in range(2):
        result = site.run("check")
        assert result.returncode == 1 and "content/tin-a.md:3:7: error:" in result.stderr
    article.write_text(good, "utf-8")
    assert site.run("check").returncode == 0
