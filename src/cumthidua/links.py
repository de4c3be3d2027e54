"""Internal links: rewrite site-absolute body links, and check every link of the built site.

Editors write ``/2020/07/bai-viet/`` in Markdown; :func:`rewrite_site_links`
turns such links into relative ones (or absolute URLs for feeds) so they keep
working when the site is served under a sub-path. :func:`check_links` reads
the generated pages with Python's ``html.parser`` and reports every internal
``href``/``src`` that leads to no output file (Zola does this; hugo#1430
refused it).
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markupsafe import Markup

from .urls import base_path

_SITE_ABSOLUTE = re.compile(r'(\s(?:href|src)=")(/(?!/)[^"]*)(")')
_LINK_ATTRIBUTES = {
    "a": ("href",),
    "link": ("href",),
    "img": ("src",),
    "script": ("src",),
    "source": ("src",),
    "iframe": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
}
_REFRESH_URL = re.compile(r"url\s*=\s*['\"]?([^'\"]+)", re.IGNORECASE)


def rewrite_site_links(html: str, to: Callable[[str], str]) -> Markup:
    """Pass every site-absolute ``href``/``src`` (``/a/b/``, not ``//host``) through ``to``."""
    return Markup(_SITE_ABSOLUTE.sub(lambda m: m.group(1) + to(m.group(2)) + m.group(3), str(html)))


@dataclass(frozen=True, order=True)
class BrokenLink:
    """An internal link in a generated page that leads to no output file."""

    source: str  # the file that produced the link: an article or a template
    line: int
    col: int
    target: str  # as written in the page
    page: str  # output file of the page, e.g. "2020/07/x/index.html"

    @property
    def message(self) -> str:
        return f"broken link to {self.target} (on /{self.page})"


_TOKEN = re.compile(
    r"<!--.*?-->|<(a|link|img|script|source|iframe|video|audio|meta|style|textarea)\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>",
    re.DOTALL | re.IGNORECASE,
)
_ATTRIBUTE = re.compile(r"([^\s\"'>/=]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'=<>`]+)))?")
_RAW_TEXT = ("script", "style", "textarea")  # their content is not markup


def _attributes(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text):
        name = match.group(1).lower()
        if name not in values:
            raw = next((g for g in match.groups()[1:] if g is not None), "")
            values[name] = html.unescape(raw)
    return values


def page_links(page: bytes | str) -> list[tuple[str, int, int]]:
    """Every link target (``href``, ``src``, meta refresh) in an HTML page, with its line and column.

    A small scanner instead of ``html.parser``: several times faster on
    generated pages, and it skips comments and the text of scripts the same way.
    """
    text = page.decode("utf-8", "replace") if isinstance(page, bytes) else page
    links: list[tuple[str, int, int]] = []
    line, counted = 1, 0
    position = 0
    while (match := _TOKEN.search(text, position)) is not None:
        position = match.end()
        tag = (match.group(1) or "").lower()
        if not tag:
            continue  # a comment
        if tag in _RAW_TEXT:
            close = re.compile(rf"</{tag}\s*>", re.IGNORECASE).search(text, position)
            position = close.end() if close else len(text)
        wanted = _LINK_ATTRIBUTES.get(tag, ())
        values = _attributes(match.group(2)) if wanted or tag == "meta" else {}
        found = [values[name] for name in wanted if values.get(name)]
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            refresh = _REFRESH_URL.search(values.get("content", ""))
            found += [refresh.group(1).strip()] if refresh else []
        if found:
            line += text.count("\n", counted, match.start())
            counted = match.start()
            col = match.start() - text.rfind("\n", 0, match.start())
            links += [(href, line, col) for href in found]
    return links


def link_target(page: str, href: str, root: str = "/") -> str | None:
    """The output file an internal link leads to; None for external links, "" for outside the site.

    ``page`` is the page's output file; ``root`` the path the site is served under.
    """
    parts = urlsplit(href)
    if parts.scheme or parts.netloc:
        return None
    path = unquote(parts.path)
    if not path:
        return None  # "#anchor" or "?query" on the same page
    if path.startswith("/"):
        path = root if path + "/" == root else path
        if not path.startswith(root):
            return ""
        joined = path[len(root) :]
    else:
        joined = posixpath.join(posixpath.dirname(page), path)
    is_folder = path.endswith("/") or posixpath.basename(path) in (".", "..")
    normalized = posixpath.normpath(joined) if joined else "."
    if normalized == ".." or normalized.startswith(("../", "/")):
        return ""
    if normalized == ".":
        return "index.html"
    return normalized + "/index.html" if is_folder else normalized


def _position_in(source: str, needles: list[str], cache: dict[str, str | None]) -> tuple[int, int]:
    """Where a link is written in its source file, or 1:1 when it cannot be found there."""
    if source not in cache:
        try:
            cache[source] = Path(source).read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            cache[source] = None
    text = cache[source]
    for needle in needles:
        index = text.find(needle) if text and needle else -1
        if index >= 0:
            line = text.count("\n", 0, index) + 1
            return line, index - (text.rfind("\n", 0, index) + 1) + 1
    return 1, 1


class LinkChecker:
    """Collects the links of each generated page, then finds the broken ones.

    Only the links are kept, not the pages, so a big site is checked in
    little memory while it is being written.
    """

    def __init__(self, base_url: str = "/") -> None:
        self.root = base_path(base_url)
        self.outputs: set[str] = set()
        self.links: list[tuple[str, str, str]] = []  # (page output path, href, source)

    def add(self, output_path: str, content: bytes, source: str) -> None:
        self.outputs.add(output_path)
        if output_path.endswith((".html", ".htm")):
            self.links += [(output_path, href, source) for href, _, _ in page_links(content)]

    def add_links(self, output_path: str, hrefs: Iterable[str] | None, source: str) -> None:
        """Record a page by its links alone: found by a worker process, or kept from the last build."""
        self.outputs.add(output_path)
        if hrefs:
            self.links += [(output_path, href, source) for href in hrefs]

    def broken(self, files: Iterable[str] = ()) -> list[BrokenLink]:
        """Every collected link that leads to no page and to none of ``files``."""
        existing = self.outputs | set(files)
        sources: dict[str, str | None] = {}
        found: set[BrokenLink] = set()
        for output_path, href, source in self.links:
            target = link_target(output_path, href, self.root)
            if target is None or target in existing or target + "/index.html" in existing:
                continue
            written = unquote(urlsplit(href).path)
            site_absolute = "/" + target.removesuffix("index.html")
            line, col = _position_in(source, [href, written, site_absolute], sources)
            found.add(BrokenLink(source, line, col, href, output_path))
        return sorted(found)


def check_links(
    pages: Iterable[tuple[str, bytes, str]], files: Iterable[str] = (), base_url: str = "/"
) -> list[BrokenLink]:
    """Check every internal link of the HTML pages against the output files.

    ``pages`` are (output path, content, source file) of every generated file;
    ``files`` are the other output files (static assets). A broken link is
    reported in its source file, at the place the link is written when it
    can be found there, else at 1:1.
    """
    checker = LinkChecker(base_url)
    for output_path, content, source in pages:
        checker.add(output_path, content, source)
    return checker.broken(files)
