import hashlib
import unicodedata
from pathlib import Path

from cumthidua.config import MarkdownConfig, SiteConfig
from cumthidua.content import parse_article
from cumthidua.diagnostics import Diagnostics
from cumthidua.source import SourceFile, decode

CONFIG = SiteConfig()


def parse(text: str, name: str = "bai.md", config: SiteConfig = CONFIG):
    diagnostics = Diagnostics()
    decoded = decode(text.encode("utf-8") if isinstance(text, str) else text, name, diagnostics)
    if decoded is None:
        return None, [d.format() for d in diagnostics.items]
    source = SourceFile(Path(name), name, decoded, hashlib.sha256(decoded.encode()).hexdigest())
    article = parse_article(source, config, diagnostics)
    return article, [d.format() for d in diagnostics.items]


def test_markdown_article_with_every_field():
    article, errors = parse(
        "---\ntitle: Hội nghị sơ kết\ndate: 14/07/2020 - 04:29 PM\ncategory: Hoạt động\ntags: [MTTQ, Hà Nội]\n"
        "author: Ban Tổ chức\nsummary: Tóm tắt.\nimage: static/anh.jpg\nslug: so-ket\ndraft: false\n"
        "updated: 2020-07-15\naliases: [/tin/123.html]\nnguon: Báo Hà Nội Mới\n---\nĐoạn **một**.\n"
    )
    assert errors == []
    assert article.title == "Hội nghị sơ kết"
    assert article.date.isoformat() == "2020-07-14T16:29:00+07:00"
    assert article.category_name == "Hoạt động"
    assert article.tags == ["MTTQ", "Hà Nội"]
    assert article.author == "Ban Tổ chức"
    assert article.summary == "Tóm tắt."
    assert article.image == "static/anh.jpg"
    assert (article.slug, article.explicit_slug) == ("so-ket", True)
    assert article.updated.date().isoformat() == "2020-07-15"
    assert article.aliases == ["/tin/123.html"]
    assert article.extra == {"nguon": "Báo Hà Nội Mới"}
    assert "<strong>một</strong>" in article.body_html


def test_yaml_article_body_field():
    article, errors = parse("title: Tin YAML\ndate: 2021-01-02\nbody: |\n  Đoạn một.\n\n  Đoạn hai.\n", "tin.yaml")
    assert errors == []
    assert article.body_html.count("<p>") == 2


def test_hugo_categories_list_first_entry_is_the_category():
    article, errors = parse('---\ntitle: x\ndate: 2020-01-01\ncategories: ["Thời sự", "Khác"]\n---\n')
    assert errors == [] and article.category_name == "Thời sự"


def test_summary_defaults_to_first_paragraph_text():
    article, _ = parse("---\ntitle: x\ndate: 2020-01-01\n---\n# Tiêu đề phụ\n\nĐoạn *đầu* tiên.\n\nĐoạn hai.\n")
    assert article.summary == "Đoạn đầu tiên."


def test_text_is_nfc_normalized_and_bom_crlf_accepted():
    nfd = unicodedata.normalize("NFD", "Việt Nam")
    text = f"\ufeff---\r\ntitle: {nfd}\r\ndate: 2020-01-01\r\n---\r\n{nfd}\r\n"
    article, errors = parse(text)
    assert errors == []
    assert article.title == "Việt Nam" and unicodedata.is_normalized("NFC", article.body_html)


def test_not_utf8_is_an_error_at_the_bad_byte():
    _, errors = parse("---\ntitle: Vi\u1ec7t\n".encode("utf-8") + "Đà".encode("cp1258") + b"\n---\n")
    assert len(errors) == 1
    assert errors[0].startswith("bai.md:3:") and "not valid UTF-8" in errors[0]


def test_yaml_errors_report_the_line_in_the_file_not_in_the_front_matter():
    _, errors = parse("---\ntitle: x\ndate: 2020-01-01\ntags: [a, b\n---\nbody\n")
    assert len(errors) == 1 and errors[0].startswith("bai.md:5:")


def test_missing_required_fields_and_bad_values_are_all_reported():
    _, errors = parse("---\nauthor: x\ndraft: maybe\ndate: 31/02/2020\n---\n")
    text = "\n".join(errors)
    assert "missing required field `title`" in text
    assert "bai.md:3:8: error: `draft` must be true or false" in text
    assert "bai.md:4:7: error: `date`:" in text


def test_missing_or_unclosed_front_matter():
    assert "missing front matter" in parse("Chỉ có nội dung\n")[1][0]
    assert "not closed" in parse("---\ntitle: x\n")[1][0]


def test_duplicate_key_is_an_error():
    _, errors = parse("---\ntitle: a\ndate: 2020-01-01\ntitle: b\n---\n")
    assert errors == ["bai.md:4:1: error: duplicate key `title` (first given on line 2)"]


def test_tags_are_text_as_written():
    article, errors = parse("---\ntitle: x\ndate: 2020-01-01\ntags: [no, 2020, Hà Nội, hà nội]\n---\n")
    assert errors == []
    assert article.tags == ["no", "2020", "Hà Nội"]


def test_explicit_slug_is_sanitized():
    article, _ = parse("---\ntitle: x\ndate: 2020-01-01\nslug: ../../etc/Đà Nẵng\n---\n")
    assert article.slug == "etc-da-nang"
    _, errors = parse("---\ntitle: x\ndate: 2020-01-01\nslug: '///'\n---\n")
    assert "bai.md:4:7: error: slug" in errors[0]


def test_raw_html_escaped_and_javascript_links_dropped_by_default():
    body = (
        "<script>alert(1)</script>\n\n"
        "[bấm](javascript:alert(1)) [x](JAVASCRIPT:alert(2)) <img src=x onerror=alert(3)>\n"
    )
    article, _ = parse(f"---\ntitle: x\ndate: 2020-01-01\n---\n{body}")
    assert "<script>" not in article.body_html and "&lt;script&gt;" in article.body_html
    assert "href" not in article.body_html.lower() and "<img" not in article.body_html
    unsafe = SiteConfig(markdown=MarkdownConfig(html=True))
    article, _ = parse(f"---\ntitle: x\ndate: 2020-01-01\n---\n{body}", config=unsafe)
    assert "<script>alert(1)</script>" in article.body_html
    assert 'href="javascript:alert(1)"' in article.body_html


def test_tables_and_strikethrough():
    article, _ = parse("---\ntitle: x\ndate: 2020-01-01\n---\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~cũ~~\n")
    assert "<table>" in article.body_html and "<s>cũ</s>" in article.body_html
