"""Parse and validate one content file into an :class:`Article`.

Markdown files carry YAML front matter between ``---`` lines; YAML files
hold the Markdown in their ``body`` field. Every problem is reported at its
line and column in the file, and parsing goes on to find the others.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from markupsafe import Markup

from .config import SiteConfig
from .dates import DateError, parse_date
from .diagnostics import Diagnostics
from .markdown import render_markdown
from .models import Article
from .source import SourceFile
from .vietnamese import nfc, slugify, truncate
from .yamldoc import Field, load_mapping

KNOWN_FIELDS = {
    "title", "date", "category", "categories", "tags", "author", "summary", "image",
    "slug", "draft", "updated", "aliases", "body",
}  # fmt: skip
_FENCE = "---"


def split_front_matter(source: SourceFile, diagnostics: Diagnostics) -> tuple[str, str, int] | None:
    """Return (front matter, body, line of the body's first line) of a Markdown file.

    Walks the lines of the front matter only: the body is sliced off, not split into lines.
    """
    text = source.text
    end = text.find("\n")
    if (text if end < 0 else text[:end]).rstrip() != _FENCE:
        diagnostics.error(
            source.path, 1, 1, "missing front matter: start the file with a `---` line, then `title:` and `date:`"
        )
        return None
    front_start = start = end + 1
    number = 1  # of the line at ``start``, counting the opening fence as 0
    while end >= 0:
        end = text.find("\n", start)
        if (text[start:] if end < 0 else text[start:end]).rstrip() in (_FENCE, "..."):
            return text[front_start : start - 1], "" if end < 0 else text[end + 1 :], number + 2
        number, start = number + 1, end + 1
    diagnostics.error(source.path, 1, 1, "front matter is not closed: add a `---` line after the last field")
    return None


class _Fields:
    """Typed access to front-matter fields, reporting each bad one at its place."""

    def __init__(self, fields: dict[str, Field], source: SourceFile, diagnostics: Diagnostics):
        self.fields = fields
        self.source = source
        self.diagnostics = diagnostics

    def error(self, item: Field, message: str) -> None:
        self.diagnostics.error(self.source.path, item.line, item.col, message)

    def text(self, name: str, required: bool = False) -> str | None:
        item = self.fields.get(name)
        if item is None or item.value is None:
            if required:
                where = item or None
                line, col = (where.line, where.col) if where else (1, 1)
                self.diagnostics.error(self.source.path, line, col, f"missing required field `{name}`")
            return None
        if item.text is None:
            self.error(item, f"`{name}` must be text, not a list or mapping")
            return None
        value = nfc(item.text).strip()
        if required and not value:
            self.error(item, f"`{name}` must not be empty")
            return None
        return value

    def text_list(self, name: str) -> list[str]:
        """A list of short texts; one text or a comma-separated text is accepted too."""
        item = self.fields.get(name)
        if item is None or item.value is None:
            return []
        if item.text is not None:
            values = item.text.split(",")
        else:
            items = item.item_texts()
            if items is None:
                self.error(item, f"`{name}` must be a list of texts, such as [Hà Nội, MTTQ]")
                return []
            values = [text for text, _, _ in items]
        return [nfc(v).strip() for v in values if v.strip()]

    def boolean(self, name: str) -> bool:
        item = self.fields.get(name)
        if item is None or item.value is None:
            return False
        if not isinstance(item.value, bool):
            self.error(item, f"`{name}` must be true or false")
            return False
        return item.value

    def date(self, name: str, config: SiteConfig, required: bool = False) -> datetime | None:
        item = self.fields.get(name)
        if item is None or item.value is None:
            if required:
                self.diagnostics.error(self.source.path, 1, 1, f"missing required field `{name}`")
            return None
        try:
            return parse_date(item.value, config.tz).astimezone(config.tz)
        except DateError as exc:
            self.error(item, f"`{name}`: {exc}")
            return None

    def position(self, name: str) -> tuple[int, int]:
        item = self.fields.get(name)
        return (item.line, item.col) if item else (1, 1)


def _dedupe(values: list[str]) -> list[str]:
    """Drop repeats that differ only in case or Unicode form, keeping the first ("Lê" and "Lễ" are two)."""
    seen: set[str] = set()
    kept = []
    for value in values:
        key = nfc(value).casefold()
        if key not in seen:
            seen.add(key)
            kept.append(value)
    return kept


def _category(fields: _Fields) -> str | None:
    name = "category"
    category = fields.text("category")
    if category is None and "categories" in fields.fields:
        name = "categories"
        categories = fields.text_list("categories")
        category = categories[0] if categories else None
    if category and not slugify(category):  # its page needs an ASCII URL (".." or "🎉" give none)
        fields.error(fields.fields[name], f"category {category!r} has no letters or digits to make a URL from")
        return None
    return category or None


def _slug(fields: _Fields, title: str, source: SourceFile) -> tuple[str, bool]:
    explicit = fields.text("slug")
    if explicit is not None:
        slug = slugify(explicit)
        if not slug:
            fields.error(fields.fields["slug"], f"slug {explicit!r} has no letters or digits to make a URL from")
        return slug, True
    return slugify(title) or slugify(PurePosixPath(source.relative).stem) or "bai-viet", False


def parse_article(source: SourceFile, config: SiteConfig, diagnostics: Diagnostics) -> Article | None:
    """Validate one content file; None (with diagnostics) when it cannot be used."""
    errors_before = len(diagnostics.errors)
    is_yaml = source.relative.endswith((".yaml", ".yml"))
    if is_yaml:
        mapping = load_mapping(source.text, source.path, diagnostics)
        body = ""
    else:
        parts = split_front_matter(source, diagnostics)
        if parts is None:
            return None
        front_matter, body, _ = parts
        mapping = load_mapping(front_matter, source.path, diagnostics, line_offset=1)
    if mapping is None:
        return None
    fields = _Fields(mapping, source, diagnostics)
    if is_yaml:
        body = fields.text("body") or ""
        if "body" in mapping and mapping["body"].text is not None:
            body = nfc(mapping["body"].text)
    elif "body" in mapping:
        fields.error(mapping["body"], "`body` belongs in YAML articles; in Markdown the body follows the front matter")

    title = fields.text("title", required=True)
    date = fields.date("date", config, required=True)
    updated = fields.date("updated", config)
    category = _category(fields)
    tags = _dedupe(fields.text_list("tags"))
    author = fields.text("author") or ""
    summary = fields.text("summary")
    image = fields.text("image")
    draft = fields.boolean("draft")
    aliases = fields.text_list("aliases")
    slug, explicit_slug = _slug(fields, title or "", source)
    extra: dict[str, Any] = {key: item.value for key, item in mapping.items() if key not in KNOWN_FIELDS}

    if title is None or date is None or len(diagnostics.errors) > errors_before:
        return None
    rendered = render_markdown(body, config.markdown)
    return Article(
        source=source.relative,
        source_path=str(source.path),
        title=title,
        date=date,
        updated=updated,
        body_html=Markup(rendered.html),
        summary=summary if summary is not None else truncate(rendered.first_paragraph, config.summary_length),
        text=rendered.text,
        category_name=category,
        tags=tags,
        author=author,
        image=image,
        slug=slug,
        explicit_slug=explicit_slug,
        draft=draft,
        aliases=aliases,
        extra=extra,
        positions={name: fields.position(name) for name in mapping},
        digest=source.digest,
    )
