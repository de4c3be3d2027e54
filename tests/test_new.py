"""``cumthidua new``: a new article file, ready to write, that builds straight away."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from conftest import SiteDir
from cumthidua.config import SiteConfig
from cumthidua.dates import parse_date
from cumthidua.diagnostics import Diagnostics
from cumthidua.yamldoc import load_mapping


def front_matter(text: str) -> dict:
    fields = load_mapping(text.split("---")[1], "x.md", Diagnostics())
    return {key: field.value for key, field in fields.items()}


def test_new_article_has_title_date_now_and_slug_file_name(site: SiteDir) -> None:
    before = datetime.now(UTC).replace(second=0, microsecond=0)
    result = site.run("new", "Hội nghị Đảng bộ Thành phố lần thứ XVII", "--category", "Hoạt động cụm thi đua")
    after = datetime.now(UTC)
    assert result.returncode == 0, result.stderr
    path = site.content / "hoat-dong-cum-thi-dua" / "hoi-nghi-dang-bo-thanh-pho-lan-thu-xvii.md"
    assert f"Created {path.relative_to(site.root)}" in result.stdout
    fields = front_matter(path.read_text("utf-8"))
    assert fields["title"] == "Hội nghị Đảng bộ Thành phố lần thứ XVII"
    assert fields["category"] == "Hoạt động cụm thi đua"
    date = parse_date(fields["date"], SiteConfig().tz)
    assert before <= date <= after
    assert date.utcoffset() == timedelta(hours=7)  # written in the site's time zone, Vietnam by default

    site.build()
    page = site.page("chuyen-muc/hoat-dong-cum-thi-dua/")
    assert "Hội nghị Đảng bộ Thành phố lần thứ XVII" in page.get_text()


def test_new_article_date_follows_the_site_time_zone(site: SiteDir) -> None:
    site.write("site.yaml", "timezone: Europe/Paris\n")
    site.run("new", "Tin từ Paris", check=True)
    date = parse_date(front_matter((site.content / "tin-tu-paris.md").read_text("utf-8"))["date"], SiteConfig().tz)
    now_in_paris = datetime.now(UTC).astimezone(SiteConfig(timezone="Europe/Paris").tz)
    assert abs(date.replace(tzinfo=None) - now_in_paris.replace(tzinfo=None)) < timedelta(minutes=2)


def test_new_refuses_to_overwrite_an_existing_article(site: SiteDir) -> None:
    existing = site.article("tin-moi.md", "Tin mới", body="Bài đã viết xong.")
    before = existing.read_bytes()
    result = site.run("new", "Tin mới")
    assert result.returncode == 1
    assert "content/tin-moi.md already exists" in result.stderr
    assert existing.read_bytes() == before


def test_new_rejects_a_title_without_letters(site: SiteDir) -> None:
    result = site.run("new", "???")
    assert result.returncode == 2
    assert "no letters or digits" in result.stderr
    assert list(site.content.iterdir()) == []


def test_new_rejects_a_category_the_build_would_reject(site: SiteDir) -> None:
    result = site.run("new", "Tin mới", "--category", "../..")
    assert result.returncode == 2
    assert "no letters or digits" in result.stderr
    assert list(site.content.iterdir()) == []
