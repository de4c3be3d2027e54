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


_TAG_NAMES = "a|link|img|script|source|iframe|video|audio|meta|style|textarea"
_TAG_BODY = r"""((?:[^>"']|"[^"]*"|'[^']*')*)>"""
_REST_OF_TAG = r"""(?:[^>"']++|"[^"]*+"|'[^']*+')*+>"""  # _TAG_BODY without the group, faster
_IGNORECASE_EXTRA = {"i": "İı", "k": "K", "s": "ſ"}  # what re.IGNORECASE also takes for these letters


def _folded(prefix: str) -> str:
    """A pattern for the start of a tag name as ``re.IGNORECASE`` compares it."""
    return "".join(f"[{c}{c.upper()}{_IGNORECASE_EXTRA.get(c, '')}]" for c in prefix)


# Where a tag of interest or a comment may start: a cheap test before trying every alternative at
# "</p>" or "<li>", first on one character, then on enough of the name ("lin" to pass over "<li>").
_STARTS = "".join(sorted({"!", *"".join(_folded(name[0])[1:-1] for name in _TAG_NAMES.split("|"))}))
_PREFIXES = ["!--", _folded("a") + r"(?!\w)"] + [
    _folded(name) for name in ("au", "lin", "im", "if", "sc", "so", "st", "vi", "me", "te")
]
_MAY_START = f"(?=[{_STARTS}])(?={'|'.join(_PREFIXES)})"
_ATTRIBUTE = re.compile(r"([^\s\"'>/=]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'=<>`]+)))?")
_RAW_TEXT = {tag: re.compile(rf"</{tag}\s*>", re.IGNORECASE) for tag in ("script", "style", "textarea")}


def _caseless(word: str) -> str:
    """A pattern for a name as ``str.lower()`` compares it: ASCII case only (IGNORECASE takes "ſ" for "s")."""
    return "".join(f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word)


def _plain_start(tag: str, until: str) -> str:
    """``<tag`` as templates write it, with ``name`` or ``name="value"`` attributes, up to the first ``until``.

    The first ``until`` attribute found this way is the one :func:`_attributes`
    finds; a tag in any other form falls to the general pattern. Possessive,
    as there is never another way to read a tag.
    """
    other = rf'[ \t\n\r]+(?!{_caseless(until)}(?![\w:.-]))[\w:.-]++(?:="[^"]*+")?+'
    return rf"{_caseless(tag)}\b(?:{other})*+"


# For tags written the plain way: the attribute the link is in (meta: the one that makes it a link).
_PLAIN = {
    "a": "href",
    "link": "href",
    "img": "src",
    "source": "src",
    "iframe": "src",
    "audio": "src",
    "meta": "http-equiv",
}
_WITH_LINK = "|".join(
    rf"{_plain_start(tag, name)}[ \t\n\r]+{_caseless(name)}" for tag, name in _PLAIN.items() if tag != "meta"
)
_WITHOUT_LINK = "|".join(rf"{_plain_start(tag, name)}[ \t\n\r]*/?>" for tag, name in _PLAIN.items())
# The text of a script up to where _RAW_TEXT["script"] finds its end, or all the rest.
_SCRIPT_TEXT = r"(?:(?:[^<]++|<(?!(?i:/script\s*>)))*+(?i:</script\s*>)|.*)"
# A comment, a plain tag with its link (group 1), one without (a script with its text), or any
# tag of interest (2, with its attributes in 3). The first and last alternatives are the whole
# scanner of old; a plain tag matches it too, with the same extent.
_SCAN = re.compile(
    f"<{_MAY_START}(?:!--.*?-->"
    f'|(?:{_WITH_LINK})="([^"]*+)"{_REST_OF_TAG}'
    f"|{_WITHOUT_LINK}"
    rf"|{_plain_start('script', 'src')}[ \t\n\r]*/?>{_SCRIPT_TEXT}"
    rf"|(?i:({_TAG_NAMES}))\b{_TAG_BODY})",
    re.DOTALL,  # not IGNORECASE: it slows every character class down
)


def _attributes(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text):
        name = match.group(1).lower()
        if name not in values:
            raw = next((g for g in match.groups()[1:] if g is not None), "")
            values[name] = html.unescape(raw)
    return values


def _tag_links(tag: str, attributes: str) -> list[str]:
    """The link targets of one tag of any form; ``tag`` in lower case."""
    wanted = _LINK_ATTRIBUTES.get(tag, ())
    values = _attributes(attributes) if wanted or tag == "meta" else {}
    found = [values[name] for name in wanted if values.get(name)]
    if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
        refresh = _REFRESH_URL.search(values.get("content", ""))
        found += [refresh.group(1).strip()] if refresh else []
    return found


def _value(raw: str) -> str:
    """An attribute value as written to the value it stands for."""
    return html.unescape(raw) if "&" in raw else raw


def _values(raw: list[str]) -> list[str]:
    """Attribute values as written to the values they stand for, less those that are empty."""
    values = list(map(_value, raw))
    return [value for value in values if value] if "" in values else values


def _links_at(text: str) -> list[tuple[str, int]]:
    """Every link target in a page with the offset of its tag.

    One regex pass finds the plain tags with their link already captured;
    only other tags, and the text of scripts to skip, cost Python work.
    """
    links: list[tuple[str, int]] = []
    position: int | None = 0
    while position is not None:
        matches, position = _SCAN.finditer(text, position), None
        for match in matches:
            group = match.lastindex
            if group == 1:
                if href := _value(match[1]):
                    links.append((href, match.start()))
            elif group is not None:
                tag = match[2].lower()
                links += [(href, match.start()) for href in _tag_links(tag, match[3])]
                if tag in _RAW_TEXT:
                    close = _RAW_TEXT[tag].search(text, match.end())
                    position = close.end() if close else len(text)
                    break
    return links


def _text(page: bytes | str) -> str:
    return page.decode("utf-8", "replace") if isinstance(page, bytes) else page


def page_hrefs(page: bytes | str) -> list[str]:
    """Every link target (``href``, ``src``, meta refresh) in an HTML page, in order: what the checker needs."""
    text = _text(page)
    found = _SCAN.findall(text)
    if any(tag for _, tag, _ in found):  # a tag of another form, maybe a script to skip
        return [href for href, _ in _links_at(text)]
    return _values([value for value, _, _ in found if value])


def page_links(page: bytes | str) -> list[tuple[str, int, int]]:
    """Every link target (``href``, ``src``, meta refresh) in an HTML page, with its line and column.

    A small scanner instead of ``html.parser``: many times faster on
    generated pages, and it skips comments and the text of scripts the same way.
    """
    text = _text(page)
    links: list[tuple[str, int, int]] = []
    line, counted, line_start = 1, 0, 0
    count, rfind = text.count, text.rfind  # once: this runs for every link
    for href, start in _links_at(text):
        if newlines := count("\n", counted, start):
            line += newlines
            line_start = rfind("\n", counted, start) + 1
        counted = start
        links.append((href, line, start - line_start + 1))
    return links


_AS_WRITTEN = re.compile(r"[^:#?%\x00-\x20]+")  # urlsplit() and unquote() leave it as it is


class _Href:
    """One distinct link target of the site, parsed once: the file it leads to from any page.

    A relative link goes ``ups`` folders up from the page, then down ``path``;
    other links (``ups`` None) lead to ``path`` from every page: None for an
    external link, "" for outside the site.
    """

    __slots__ = ("ups", "path", "suffix", "missing")

    def __init__(self, href: str, root: str) -> None:
        self.ups: int | None = None
        self.path: str | None = None
        self.suffix = ""  # "/index.html" when the path names a folder
        self.missing: dict[str | None, str | None] = {}  # LinkChecker.broken's answers by start folder
        if _AS_WRITTEN.fullmatch(href) and not href.startswith("/"):
            self._relative(href, href)
            return
        parts = urlsplit(href)
        path = unquote(parts.path)
        if parts.scheme or parts.netloc or not path:
            return  # external, or "#anchor" / "?query" on the same page
        if not path.startswith("/"):
            self._relative(path, path)
            return
        path = root if path + "/" == root else path
        if not path.startswith(root) or path[len(root) :].startswith("/"):
            self.path = ""
            return
        self._relative(path[len(root) :], path)
        self.path, self.ups = self.target([""]), None

    def _relative(self, joined: str, path: str) -> None:
        """``path`` as written decides whether the link names a folder."""
        parts = posixpath.normpath(joined).split("/") if joined else []
        ups = 0
        while ups < len(parts) and parts[ups] == "..":
            ups += 1
        self.ups, self.path = ups, "" if parts == ["."] else "/".join(parts[ups:])
        self.suffix = "/index.html" if path.endswith("/") or posixpath.basename(path) in (".", "..") else ""

    def start(self, folders: list[str]) -> str | None:
        """The one folder of the page the target depends on; None when the link leads out of the site."""
        if self.ups is None:
            return ""
        return folders[self.ups] if self.ups < len(folders) else None

    def target(self, folders: list[str]) -> str | None:
        """The output file it leads to from a page with these :func:`_folders`."""
        if self.ups is None:
            return self.path
        folder = self.start(folders)
        if folder is None:
            return ""
        path = f"{folder}/{self.path}" if folder and self.path else folder or self.path
        return path + self.suffix if path else "index.html"


def _folders(page: str) -> list[str]:
    """The page's folder and every folder above it, up to the output root (""): where relative links start."""
    folder = posixpath.dirname(page)
    parts = [part for part in posixpath.normpath(folder).split("/") if part != "."] if folder else []
    if folder.startswith("/") or parts[:1] == [".."]:
        return []  # every relative link leads outside the output folder
    return ["/".join(parts[: len(parts) - up]) for up in range(len(parts) + 1)]


def link_target(page: str, href: str, root: str = "/") -> str | None:
    """The output file an internal link leads to; None for external links, "" for outside the site.

    ``page`` is the page's output file; ``root`` the path the site is served under.
    """
    return _Href(href, root).target(_folders(page))


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


def _missing(target: str | None, existing: set[str]) -> str | None:
    """``target`` when it is an internal link to no file, else None."""
    if target is None or target in existing or target + "/index.html" in existing:
        return None
    return target


class LinkResolver:
    """Finds which of a page's links lead to no output file, knowing every output file of the site.

    Most links repeat from page to page (menus, categories, styles): each
    distinct href is parsed once, and its target looked up once for each
    folder it starts from, which for "../../../chuyen-muc/x/" on every
    article is the site's root. Made before rendering, so forked workers
    check the pages they render (the main process has little to do then).
    """

    MAX_PARSED = 20_000  # distinct hrefs remembered: a 100,000-article site has some 300,000 (links between
    # articles), and remembering them all cost each worker about 200 MB; menus and categories repeat within any span

    def __init__(self, root: str, existing: set[str]) -> None:
        self.root = root
        self.existing = existing
        self.parsed: dict[str, _Href] = {}

    def broken(self, output_path: str, hrefs: Iterable[str]) -> list[tuple[str, str]]:
        """(href, missing output file) of each link of the page that leads nowhere."""
        if len(self.parsed) > self.MAX_PARSED:
            self.parsed.clear()
        parsed, existing = self.parsed, self.existing
        folders = _folders(output_path)
        found = []
        for href in hrefs:
            link = parsed.get(href) or parsed.setdefault(href, _Href(href, self.root))
            ups = link.ups  # link.start(folders), inline: this runs for every link of the site
            start = "" if ups is None else folders[ups] if ups < len(folders) else None
            if start in link.missing:
                target = link.missing[start]
            else:
                target = link.missing[start] = _missing(link.target(folders), existing)
            if target is not None:
                found.append((href, target))
        return found


class LinkChecker:
    """Collects the links of each generated page, or the broken ones a worker found, then reports the broken ones.

    Only the links are kept, not the pages, so a big site is checked in
    little memory while it is being written.
    """

    def __init__(self, base_url: str = "/") -> None:
        self.root = base_path(base_url)
        self.outputs: set[str] = set()
        self.pages: list[tuple[str, tuple[str, ...], str]] = []  # (page output path, hrefs, source)
        self.found: list[tuple[str, str, str, str]] = []  # (page output path, href, target, source), resolved

    def resolver(self, files: Iterable[str]) -> LinkResolver:
        """A resolver for a site whose output files are ``files``."""
        return LinkResolver(self.root, set(files))

    def add(self, output_path: str, content: bytes, source: str) -> None:
        self.add_links(output_path, page_hrefs(content) if output_path.endswith((".html", ".htm")) else None, source)

    def add_links(self, output_path: str, hrefs: Iterable[str] | None, source: str) -> None:
        """Record a page by its links alone, kept from the last build (or found without a :class:`LinkResolver`)."""
        self.outputs.add(output_path)
        if hrefs:
            self.pages.append((output_path, tuple(hrefs), source))

    def add_broken(self, output_path: str, found: Iterable[tuple[str, str]], source: str) -> None:
        """Record the broken links a :class:`LinkResolver` found in a page."""
        self.found.extend((output_path, href, target, source) for href, target in found)

    def broken(self, files: Iterable[str] = ()) -> list[BrokenLink]:
        """Every broken link recorded, and every collected link that leads to no page and to none of ``files``."""
        resolver = self.resolver(self.outputs | set(files))
        found = [*self.found]
        for output_path, hrefs, source in self.pages:
            found.extend((output_path, href, target, source) for href, target in resolver.broken(output_path, hrefs))
        sources: dict[str, str | None] = {}
        return sorted({self._broken_link(page, href, target, source, sources) for page, href, target, source in found})

    @staticmethod
    def _broken_link(page: str, href: str, target: str, source: str, sources: dict[str, str | None]) -> BrokenLink:
        written = unquote(urlsplit(href).path)
        site_absolute = "/" + target.removesuffix("index.html")
        line, col = _position_in(source, [href, written, site_absolute], sources)
        return BrokenLink(source, line, col, href, page)


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
