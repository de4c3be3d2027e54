"""``cumthidua new "Tiêu đề"``: start an article with its front matter filled in.

The file is named after the title's slug (``content/<category>/<slug>.md``)
and dated now in the site's time zone, in the old portal's familiar
``dd/mm/yyyy - hh:mm AM/PM`` form. An existing file is never overwritten.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from .config import SiteConfig
from .dates import DEFAULT_DATE_FORMAT, format_date
from .diagnostics import UsageError
from .vietnamese import nfc, slugify


class ArticleExists(Exception):
    """The article file is already there; the editor decides what to do with it."""

    def __init__(self, path: Path):
        super().__init__(str(path))
        self.path = path


def yaml_value(value: Any) -> str:
    """A front-matter value any YAML reader reads back exactly (JSON is valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def front_matter(fields: dict[str, Any]) -> str:
    """``---`` fenced front matter, one ``key: value`` line per field, in the given order."""
    lines = ["---", *(f"{key}: {yaml_value(value)}" for key, value in fields.items()), "---"]
    return "\n".join(lines) + "\n"


def article_path(content_dir: Path, title: str, category: str | None = None) -> Path:
    """``content/<category-slug>/<slug>.md``, or ``content/<slug>.md`` without a category."""
    slug = slugify(title)
    if not slug:
        raise UsageError(f"title {title!r} has no letters or digits to make a file name from")
    if category is not None and not slugify(category):
        raise UsageError(f"category {category!r} has no letters or digits to make a URL from")
    folder = content_dir / slugify(category) if category else content_dir
    return folder / f"{slug}.md"


def new_article(content_dir: Path, config: SiteConfig, title: str, now: datetime, category: str | None = None) -> Path:
    """Create the article file and return its path; raises :class:`ArticleExists`."""
    title = nfc(title).strip()
    category = nfc(category).strip() if category else None
    path = article_path(content_dir, title, category)
    fields: dict[str, Any] = {"title": title, "date": format_date(now.astimezone(config.tz), DEFAULT_DATE_FORMAT)}
    if category:
        fields["category"] = category
    fields.update({"author": "", "tags": []})
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8", newline="\n") as file:
            file.write(front_matter(fields) + "\n")
    except FileExistsError:
        raise ArticleExists(path) from None
    return path
