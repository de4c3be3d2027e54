"""Markdown to HTML with markdown-it-py: CommonMark, tables, strikethrough.

Raw HTML is escaped and ``javascript:``-style links are dropped unless the
site turns ``markdown.html`` on; the renderer also hands back the plain text
that summaries and search need, so the body is parsed once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from .config import MarkdownConfig
from .vietnamese import squash_spaces


@dataclass(frozen=True)
class RenderedMarkdown:
    html: str
    first_paragraph: str  # plain text, for the default summary
    text: str  # plain text of the whole body


def _allow_every_link(url: str) -> bool:
    return True


def _normalize(state: StateCore) -> None:
    """markdown-it's ``normalize`` rule (CR and CRLF to LF, NUL to U+FFFD) without its regexes.

    Its ``\\r\\n?|\\n`` pattern stops at every character: about 40 µs on a 6 KB article, a tenth
    of its parse; our sources are LF-only already, so two membership tests usually do it.
    """
    text = state.src
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\0" in text:
        text = text.replace("\0", "\ufffd")
    state.src = text


# Block rules that cannot match without one of their marker characters (``` or ~~~ fences,
# > quotes, [label]: references, | tables, # headings): a body without them is parsed without
# those rules, saving a call per line and rule, about 8% of parsing a news article.
_MARKED_BLOCKS = {"fence": "`~", "blockquote": ">", "reference": "[", "table": "|", "heading": "#"}


def _unmarked_blocks(source: str) -> frozenset[str]:
    return frozenset(rule for rule, marks in _MARKED_BLOCKS.items() if not any(mark in source for mark in marks))


@lru_cache(maxsize=64)
def markdown_parser(options: MarkdownConfig, unused: frozenset[str] = frozenset()) -> MarkdownIt:
    """The parser for ``options``, without the block rules ``unused`` (see :func:`_unmarked_blocks`)."""
    parser = MarkdownIt(
        "commonmark",
        {"html": options.html, "typographer": options.typographer, "linkify": options.linkify},
    ).enable(["table", "strikethrough"])
    parser.core.ruler.at("normalize", _normalize)
    if options.typographer:
        parser.enable(["replacements", "smartquotes"])
    if options.linkify:
        parser.enable("linkify")
    if options.html:
        parser.validateLink = _allow_every_link
    else:  # both rules return False at once without the option; skipping them saves a call per line
        parser.disable(["html_block", "html_inline"])
    if unused:
        parser.disable(sorted(unused))
    return parser


def _inline_text(token: Token) -> str:
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts)


def render_markdown(source: str, options: MarkdownConfig) -> RenderedMarkdown:
    parser = markdown_parser(options, _unmarked_blocks(source))
    tokens = parser.parse(source)
    first_paragraph = ""
    texts = []
    for index, token in enumerate(tokens):
        if token.type != "inline":
            continue
        text = squash_spaces(_inline_text(token))
        if text:
            texts.append(text)
        if not first_paragraph and index > 0 and tokens[index - 1].type == "paragraph_open" and text:
            first_paragraph = text
    html = parser.renderer.render(tokens, parser.options, {})
    return RenderedMarkdown(html, first_paragraph, "\n".join(texts))
