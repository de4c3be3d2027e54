"""The parser's shortcuts render what plain markdown-it renders.

Shortcuts: our ``normalize`` rule, the HTML rules off without ``markdown.html``, and the block
rules whose marker characters a body lacks left out of its parse.
"""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from cumthidua.config import MarkdownConfig
from cumthidua.markdown import render_markdown

SOURCES = [
    "a\r\nb\rc\n\nd\r\n\r\ne",
    "x\0y\n\n`\0`",
    "<b>raw</b> <!-- c -->\n\n<div>\nblock\n</div>\n\n<script>x</script>",
    "| a | b |\r\n|---|:-:|\r\n| ~~c~~ | <i>d</i> |",
    "> q\r> r\r\n>\0",
    "[l](javascript:alert(1)) <http://a.vn> &nbsp;&#0;",
    "",
    "\r",
    "\0",
    "Tiêu đề\n===\n\nphụ\n---\n\n* a\n+ b\n\n1. c\n2) d\n\n    mã\n\n***",  # no marker of a left-out rule
    "  # Hà Nội #\n\n```\nx\n```\n\n~~~ y\n\n> z\n\n[r]: /u\n\n[r]\n\na | b\n- | -\n1 | 2",  # each one
]


@pytest.mark.parametrize("html", [False, True])
@pytest.mark.parametrize("source", SOURCES)
def test_same_html_as_markdown_it_set_up_plainly(source: str, html: bool) -> None:
    plain = MarkdownIt("commonmark", {"html": html}).enable(["table", "strikethrough"])
    if html:
        plain.validateLink = lambda url: True
    assert render_markdown(source, MarkdownConfig(html=html)).html == plain.render(source)


def test_plain_text_has_single_spaces_and_one_line_per_block() -> None:
    rendered = render_markdown("Một  hai\tba\nbốn\u00a0năm\n\n- sáu   *bảy*\n\n# tám\u2028chín ", MarkdownConfig())
    assert rendered.first_paragraph == "Một hai ba bốn năm"
    assert rendered.text == "Một hai ba bốn năm\nsáu bảy\ntám chín"
