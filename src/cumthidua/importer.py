"""``cumthidua import``: pages of the old portal → Markdown articles.

Two inputs are understood. The portal's plain-text dump of a page: the title
line, a ``dd/mm/yyyy - hh:mm AM/PM`` line, the body one paragraph a line, a
short signature line such as ``Ban Tổ chức``, then a "Các tin tức khác" block
of other titles that is not part of the article. And a saved HTML page of the
portal: a heading, the date, ``<p>`` paragraphs, the signature and the same
"other news" list.

The article's text is kept exactly (including the non-breaking spaces the old
editor left between words): Markdown-special characters are escaped so the
built page shows the very same text. Each article records where it came from
and a hash of what was imported, so importing a page again does not duplicate
it. A page that cannot be understood is reported with its name and skipped.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

from bs4 import BeautifulSoup, NavigableString, Tag

from .dates import DateError, parse_date
from .diagnostics import Diagnostic, Diagnostics, display_path
from .new import front_matter
from .source import decode, find_content
from .vietnamese import fold, slugify

PAGE_SUFFIXES = (".txt", ".html", ".htm")
OTHER_NEWS_MARKERS = {"cac tin tuc khac", "cac tin khac", "tin khac", "tin lien quan", "cac tin lien quan"}
_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}(?:\s*-\s*\d{1,2}:\d{2}(?:\s*[AaPp]\.?[Mm]\.?)?)?")
_SIGNATURE_MAX_LENGTH = 60
_SIGNATURE_MAX_WORDS = 8
_ASCII_SPACE = " \t\r\n\f\v"
_BREAK = "\x00"  # stands for <br> while HTML white space is collapsed
_HASH_LINE = re.compile(r'^import_hash:\s*"?([0-9a-f]+)"?\s*$', re.MULTILINE)


class NotUnderstood(Exception):
    """The page does not have the old portal's shape; the message says what is missing."""

    def __init__(self, message: str, line: int = 1):
        super().__init__(message)
        self.message, self.line = message, line


@dataclass(frozen=True)
class PortalArticle:
    """One article as the old portal showed it."""

    title: str
    date: str  # as written on the page, e.g. "14/07/2020 - 04:29 PM"
    paragraphs: list[str]
    author: str = ""

    @property
    def digest(self) -> str:
        """Identity of the imported text: the same page imported twice has the same digest."""
        data = json.dumps([self.title, self.date, self.author, self.paragraphs], ensure_ascii=False)
        return hashlib.sha256(data.encode("utf-8")).hexdigest()[:16]


def is_other_news(text: str) -> bool:
    """The heading of the "Các tin tức khác" block that ends an article."""
    return fold(text.strip().rstrip(":")) in OTHER_NEWS_MARKERS


def is_blank(text: str) -> bool:
    """Empty to a reader: spaces, non-breaking spaces and nothing else."""
    return not text.strip()


def looks_like_signature(text: str) -> bool:
    """A short closing line such as "Ban Tổ chức" or "Hồng Nhung – Minh Anh", not a sentence."""
    text = text.strip()
    return (
        0 < len(text) <= _SIGNATURE_MAX_LENGTH
        and len(text.split()) <= _SIGNATURE_MAX_WORDS
        and not text.endswith((".", "!", "?", "…", ":", ";", ","))
    )


def read_date(text: str, line: int) -> str:
    """The portal's date as written; checked to be a real date."""
    match = _DATE.search(text)
    if not match:
        raise NotUnderstood(f"no date such as 14/07/2020 - 04:29 PM (found {text.strip()[:60]!r})", line)
    try:
        parse_date(match.group(0), UTC)
    except DateError as exc:
        raise NotUnderstood(str(exc), line) from None
    return " ".join(match.group(0).split())


def split_signature(paragraphs: list[str]) -> tuple[list[str], str]:
    """Take the closing signature line off the body, when there is one."""
    if len(paragraphs) >= 2 and looks_like_signature(paragraphs[-1]):
        return paragraphs[:-1], paragraphs[-1].strip()
    return paragraphs, ""


def parse_text_dump(text: str) -> PortalArticle:
    """Read the portal's plain-text dump of a page."""
    lines: list[tuple[int, str]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if is_other_news(line) and lines:
            break
        if not is_blank(line):
            lines.append((number, line.strip(_ASCII_SPACE)))
    if not lines:
        raise NotUnderstood("the page is empty")
    title = lines[0][1].strip()
    if len(lines) < 2:
        raise NotUnderstood("no date line after the title", lines[0][0])
    date = read_date(lines[1][1], lines[1][0])
    paragraphs, author = split_signature([line for _, line in lines[2:]])
    if not paragraphs:
        raise NotUnderstood("no article text after the date line", lines[1][0])
    return PortalArticle(title, date, paragraphs, author)


def _paragraph_text(element: Tag) -> str:
    """What a reader sees in a ``<p>``: runs of HTML white space are one space, ``<br>`` a line break."""
    parts: list[str] = []
    for node in element.descendants:
        if isinstance(node, Tag):
            if node.name == "br":
                parts.append(_BREAK)
        elif type(node) is NavigableString:  # not comments or doctypes
            parts.append(str(node))
    text = re.sub(f"[{_ASCII_SPACE}]+", " ", "".join(parts))  # source line breaks are spaces in HTML
    lines = [line.strip(_ASCII_SPACE) for line in text.split(_BREAK)]
    return "\n".join(line for line in lines if line)


def _is_title(element: Tag) -> bool:
    return element.name in ("h1", "h2", "h3") or "title" in " ".join(element.get("class") or [])


def _title_before(strings: list[NavigableString], index: int) -> tuple[int, Tag] | None:
    """The nearest heading before ``strings[index]`` and how many texts lie between them."""
    for distance, string in enumerate(reversed(strings[:index])):
        heading = next((p for p in string.parents if isinstance(p, Tag) and _is_title(p)), None)
        if heading is not None:
            return distance, heading
    return None


def parse_html_page(html: str) -> PortalArticle:
    """Read a saved HTML page: the date that follows a heading most closely, the ``<p>``s after it."""
    soup = BeautifulSoup(html, "html.parser")
    for element in soup(["script", "style", "noscript", "template", "title"]):
        element.decompose()
    strings = [s for s in soup.find_all(string=True) if type(s) is NavigableString and not is_blank(s)]
    end = next((i for i, s in enumerate(strings) if is_other_news(s)), len(strings))
    candidates = []
    for index, string in enumerate(strings[:end]):
        title = _title_before(strings, index) if _DATE.search(string) else None
        if title is not None:
            candidates.append((title[0], index, title[1]))
    if not candidates:
        raise NotUnderstood("no title (h1, h2 or .title) followed by a date such as 14/07/2020 - 04:29 PM")
    _, date_index, heading = min(candidates, key=lambda c: (c[0], c[1]))
    date_node = strings[date_index]
    date = read_date(date_node.parent.get_text() if date_node.parent else str(date_node), 1)
    title = " ".join(heading.get_text().split())
    before_end = set(map(id, strings[end].find_all_previous("p"))) if end < len(strings) else None
    body = [
        p
        for p in date_node.find_all_next("p")
        if (before_end is None or id(p) in before_end) and p not in date_node.parents
    ]
    paragraphs, author = split_signature([t for t in (_paragraph_text(p) for p in body) if not is_blank(t)])
    if not paragraphs:
        raise NotUnderstood("no <p> paragraphs after the date")
    return PortalArticle(title, date, paragraphs, author)


_LINE_START = re.compile(r"^([#>+=\-])|^(\d{1,9})([.)])(?=\s|$)")
_INLINE = re.compile(r"[\\`*_\[\]<~]|&(?=#?[0-9A-Za-z]+;)")


def _entities(text: str) -> str:
    return "".join(f"&#x{ord(ch):X};" for ch in text)


def markdown_line(text: str) -> str:
    """Escape one line of text so that Markdown shows it exactly as it is."""
    escaped = _INLINE.sub(lambda m: "\\" + m.group(0), text)
    escaped = _LINE_START.sub(lambda m: "\\" + m.group(1) if m.group(1) else m.group(2) + "\\" + m.group(3), escaped)
    # Markdown trims white space around a paragraph's lines; keep a non-breaking space there as an entity.
    start = len(escaped) - len(escaped.lstrip())
    end = max(len(escaped.rstrip()), start)
    return _entities(escaped[:start]) + escaped[start:end] + _entities(escaped[end:])


def markdown_paragraph(text: str) -> str:
    """A paragraph as Markdown; line breaks inside it stay line breaks."""
    return "\\\n".join(markdown_line(line) for line in text.split("\n"))


def article_markdown(article: PortalArticle, source_name: str, category: str | None = None) -> str:
    fields: dict[str, object] = {"title": article.title, "date": article.date}
    if category:
        fields["category"] = category
    if article.author:
        fields["author"] = article.author
    fields.update({"imported_from": source_name, "import_hash": article.digest})
    body = "\n\n".join(markdown_paragraph(p) for p in article.paragraphs)
    return front_matter(fields) + body + "\n"


def read_page(path: Path) -> PortalArticle:
    """Read a text dump or a saved HTML page, whichever the file is."""
    diagnostics = Diagnostics()
    text = decode(path.read_bytes(), path, diagnostics)
    if text is None:
        problem = diagnostics.items[0]
        raise NotUnderstood(problem.message, problem.line)
    looks_html = path.suffix.lower() in (".html", ".htm") or text.lstrip().lower().startswith(("<!doctype", "<html"))
    return parse_html_page(text) if looks_html else parse_text_dump(text)


def is_page(path: Path, folder: Path) -> bool:
    """A page to import below a folder; not what a browser's "save page" put in ``<name>_files/``."""
    parts = path.relative_to(folder).parts
    return (
        path.suffix.lower() in PAGE_SUFFIXES
        and not any(part.startswith(".") or part.endswith("_files") for part in parts)
        and path.is_file()
    )


def page_files(inputs: list[Path]) -> list[Path]:
    """The files to import: given files, and every .txt/.html page below given folders."""
    found: list[Path] = []
    for item in inputs:
        if item.is_dir():
            found += sorted(p for p in item.rglob("*") if is_page(p, item))
        else:
            found.append(item)
    return found


def imported_hashes(folder: Path) -> dict[str, Path]:
    """import_hash → article file, for every article already in the folder."""
    hashes: dict[str, Path] = {}
    if folder.is_dir():
        for path in find_content(folder):
            head = path.read_text("utf-8", errors="replace")[:4000]
            match = _HASH_LINE.search(head)
            if match:
                hashes[match.group(1)] = path
    return hashes


def free_path(folder: Path, slug: str) -> Path:
    """``slug.md``, or ``slug-2.md``… when another article already has that name."""
    path, number = folder / f"{slug}.md", 2
    while path.exists():
        path, number = folder / f"{slug}-{number}.md", number + 1
    return path


@dataclass
class ImportReport:
    imported: list[tuple[Path, Path]] = field(default_factory=list)  # (page, article)
    skipped: list[tuple[Path, Path]] = field(default_factory=list)  # (page, the article it already is)
    failed: list[Diagnostic] = field(default_factory=list)


def import_pages(inputs: list[Path], to: Path, category: str | None = None) -> ImportReport:
    """Import every page; a page that cannot be read is reported and the rest go on."""
    report = ImportReport()
    known = imported_hashes(to)
    problems = Diagnostics()
    for page in page_files(inputs):
        try:
            article = read_page(page)
        except NotUnderstood as exc:
            problems.error(page, exc.line, 1, f"cannot import this page: {exc.message}")
            continue
        except OSError as exc:
            problems.error(page, 1, 1, f"cannot read file: {exc.strerror or exc}")
            continue
        if article.digest in known:
            report.skipped.append((page, known[article.digest]))
            continue
        target = free_path(to, slugify(article.title) or slugify(page.stem) or "bai-viet")
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("x", encoding="utf-8", newline="\n") as file:
            file.write(article_markdown(article, page.name, category))
        known[article.digest] = target
        report.imported.append((page, target))
    report.failed = problems.items
    return report


def describe(report: ImportReport) -> list[str]:
    """One line per page imported or skipped, for the terminal."""
    lines = [f"imported {display_path(page)} → {display_path(article)}" for page, article in report.imported]
    lines += [f"skipped {display_path(page)}: already imported as {display_path(a)}" for page, a in report.skipped]
    return lines
