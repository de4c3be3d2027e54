from pathlib import Path

from cumthidua.config import SiteConfig, parse_config
from cumthidua.diagnostics import Diagnostics


def parse(text: str) -> tuple[SiteConfig, list[str]]:
    diagnostics = Diagnostics()
    config = parse_config(text, Path("site.yaml"), diagnostics)
    return config, [d.format() for d in diagnostics.items]


def test_defaults_are_vietnamese():
    config, errors = parse("")
    assert errors == []
    assert config.language == "vi"
    assert config.timezone == "Asia/Ho_Chi_Minh"
    assert config.date_format == "%d/%m/%Y - %I:%M %p"
    assert config.markdown.html is False


def test_all_documented_keys():
    config, errors = parse(
        "title: Tin tức Hà Nội\nbase_url: https://example.org/tin-tuc\nlanguage: en\ntimezone: Asia/Bangkok\n"
        "per_page: 5\npermalink: 'bai-viet/{slug}/'\nother_news: 3\ndate_format: '%d/%m/%Y'\n"
        "markdown: {html: true}\n"
    )
    assert errors == []
    assert config.title == "Tin tức Hà Nội"
    assert config.base_url == "https://example.org/tin-tuc/"
    assert (config.language, config.timezone, config.per_page, config.other_news) == ("en", "Asia/Bangkok", 5, 3)
    assert config.permalink == "bai-viet/{slug}/"
    assert config.markdown.html is True


def test_unknown_key_is_named_with_its_line():
    _, errors = parse("title: x\nper_pgae: 10\n")
    assert len(errors) == 1
    assert errors[0].startswith("site.yaml:2:1: error: unknown config key `per_pgae`")


def test_mistyped_values_are_errors_naming_the_key():
    _, errors = parse("per_page: mười\nother_news: -1\nmarkdown: {html: 'có'}\ntimezone: Saigon/Nowhere\n")
    text = "\n".join(errors)
    assert "site.yaml:1:11: error: `per_page` must be a whole number" in text
    assert "`other_news` must be a positive number" in text
    assert "`markdown.html` must be true or false" in text
    assert "`timezone`" in text
    assert len(errors) == 4


def test_numeric_title_is_kept_as_written():
    config, errors = parse("title: 2020\n")
    assert errors == [] and config.title == "2020"


def test_permalink_cannot_escape_the_output_folder():
    for pattern in ["../{slug}/", "{slug}/../../x/", "{slug}/%2e%2e/", "{year}/{nope}/{slug}/", "{year}/"]:
        _, errors = parse(f"permalink: '{pattern}'\n")
        assert errors and "`permalink`" in errors[0], pattern


def test_invalid_yaml_points_at_the_line():
    _, errors = parse("title: x\nper_page: [1,\n")
    assert errors and errors[0].startswith("site.yaml:3:")


def test_portal_keys_are_typed_and_validated():
    config, errors = parse("related: {category: 2, tags: 0.5}\nfeed_items: 5\nfeed_full_content: true\n")
    assert errors == []
    assert (config.related.category, config.related.tags, config.related.recency) == (2.0, 0.5, 1.0)
    assert (config.feed_items, config.feed_full_content) == (5, True)
    _, errors = parse("related: {tag: 1, recency: -1}\nfeed_items: -2\nfeed_full_content: 'có'\n")
    text = "\n".join(errors)
    assert "unknown key `related.tag`" in text
    assert "`related.recency` must be a number, 0 or more" in text
    assert "site.yaml:2:13: error: `feed_items` must be a positive number" in text
    assert "`feed_full_content` must be true or false" in text
