"""``site.yaml``: a frozen, validated :class:`SiteConfig`.

Like MkDocs, each option knows its type and default, and a wrong or unknown
key is an error that names the key and its line.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .dates import DEFAULT_DATE_FORMAT, DateError, time_zone
from .diagnostics import Diagnostics
from .source import read_text
from .theme import ui_languages
from .yamldoc import Field, load_mapping

PERMALINK_FIELDS = ("year", "month", "day", "slug", "category")
_SAFE_SEGMENT = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass(frozen=True)
class MarkdownConfig:
    """Markdown options; unsafe features are off by default."""

    html: bool = False  # raw HTML and javascript: links pass through
    typographer: bool = False
    linkify: bool = False


@dataclass(frozen=True)
class RelatedConfig:
    """Weights that rank "Các tin tức khác": same category, each shared tag, closeness in time."""

    category: float = 1.0
    tags: float = 1.0
    recency: float = 1.0


@dataclass(frozen=True)
class SiteConfig:
    """Every site-wide option, with the defaults a Vietnamese portal wants."""

    title: str = "Tin tức"
    description: str = ""
    base_url: str = "/"
    language: str = "vi"
    timezone: str = "Asia/Ho_Chi_Minh"
    per_page: int = 20
    permalink: str = "{year}/{month}/{slug}/"
    other_news: int = 10
    date_format: str = DEFAULT_DATE_FORMAT
    summary_length: int = 220
    markdown: MarkdownConfig = field(default_factory=MarkdownConfig)
    related: RelatedConfig = field(default_factory=RelatedConfig)
    feed_items: int = 20  # newest N articles in each feed
    feed_full_content: bool = False  # feeds carry the whole article, not the summary
    params: dict[str, Any] = field(default_factory=dict)  # free-form, for templates

    @property
    def tz(self):
        return time_zone(self.timezone)


SECTIONS: dict[str, type] = {"markdown": MarkdownConfig, "related": RelatedConfig}

# Spellings people bring from other generators.
ALIASES = {
    "time_zone": "timezone",
    "tz": "timezone",
    "baseurl": "base_url",
    "baseURL": "base_url",
    "url": "base_url",
    "lang": "language",
    "paginate": "per_page",
    "articles_per_page": "per_page",
    "other_news_count": "other_news",
    "extra": "params",
}


def _type_name(kind: type) -> str:
    return {str: "a string", int: "a whole number", bool: "true or false", dict: "a mapping"}.get(kind, kind.__name__)


def _check_type(item: Field, kind: type, path: Path, diagnostics: Diagnostics) -> bool:
    value = item.value
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        diagnostics.error(path, item.line, item.col, f"`{item.key}` must be {_type_name(kind)}")
    return ok


def _validate_value(key: str, value: Any, item: Field, path: Path, diagnostics: Diagnostics) -> bool:
    def bad(message: str) -> bool:
        diagnostics.error(path, item.line, item.col, f"`{key}` {message}")
        return False

    if key in ("per_page", "other_news", "summary_length", "feed_items") and value < (1 if key == "per_page" else 0):
        return bad("must be a positive number")
    if key == "timezone":
        try:
            time_zone(value)
        except DateError as exc:
            return bad(f"names an {exc}")
    if key == "permalink":
        problem = permalink_problem(value)
        if problem:
            return bad(problem)
    if key == "base_url" and base_url_problem(value):
        return bad(base_url_problem(value))
    if key == "language" and not re.match(r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$", value):
        return bad("must be a language code such as vi or en")
    if key == "language" and value.split("-")[0] not in ui_languages():
        return bad(f"{value!r} has no UI strings (available: {', '.join(ui_languages())})")
    return True


def base_url_problem(value: str) -> str | None:
    """Why a ``base_url`` (from site.yaml or ``--base-url``) cannot prefix the site's URLs, if it cannot."""
    if not re.match(r"^(https?://[^/\s\"'<>]+)?/[^\s\"'<>?#]*$", value if value.endswith("/") else value + "/"):
        return "must be an absolute URL such as https://example.org/tin-tuc/ or a path starting with /"
    return None


def permalink_problem(pattern: str) -> str | None:
    """Why a permalink pattern could produce an unsafe or ambiguous path, if it could."""
    segments = [s for s in pattern.strip("/").split("/")]
    if not pattern.strip("/") or any(s == "" for s in segments):
        return "must be a path such as {year}/{month}/{slug}/"
    if "{slug}" not in pattern:
        return "must contain {slug}"
    for segment in segments:
        names = re.findall(r"\{(\w+)\}", segment)
        for name in names:
            if name not in PERMALINK_FIELDS:
                return f"uses unknown field {{{name}}} (known: {', '.join(PERMALINK_FIELDS)})"
        literal = re.sub(r"\{\w+\}", "x", segment)
        if not _SAFE_SEGMENT.match(literal) or segment in (".", ".."):
            return f"has an unsafe path segment {segment!r} (use a-z, 0-9, '-', '_', '.')"
    return None


def _section_config(item: Field, kind: type, path: Path, diagnostics: Diagnostics) -> Any:
    """A nested mapping such as ``markdown:`` or ``related:``, each key typed by its default."""
    name = item.key
    if not isinstance(item.value, dict):
        diagnostics.error(path, item.line, item.col, f"`{name}` must be a mapping of keys and values")
        return None
    defaults = kind()
    known = {f.name for f in fields(kind)}
    values = {}
    for key, value in item.value.items():
        wanted = type(getattr(defaults, str(key), None))
        if key not in known:
            diagnostics.error(
                path, item.line, item.col, f"unknown key `{name}.{key}` (known: {', '.join(sorted(known))})"
            )
        elif wanted is bool and not isinstance(value, bool):
            diagnostics.error(path, item.line, item.col, f"`{name}.{key}` must be true or false")
        elif wanted is float and (
            isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < math.inf  # .nan, .inf
        ):
            diagnostics.error(path, item.line, item.col, f"`{name}.{key}` must be a number, 0 or more")
        else:
            values[key] = float(value) if wanted is float else value
    return kind(**values)


def parse_config(text: str, path: Path, diagnostics: Diagnostics) -> SiteConfig:
    """Validate the text of a ``site.yaml``; bad keys are reported, defaults kept."""
    mapping = load_mapping(text, path, diagnostics)
    if not mapping:
        return SiteConfig()
    types = {f.name: f.type for f in fields(SiteConfig)}
    kinds = {"str": str, "int": int, "bool": bool, "dict[str, Any]": dict}
    values: dict[str, Any] = {}
    for raw_key, item in mapping.items():
        key = ALIASES.get(raw_key, raw_key)
        if key not in types:
            diagnostics.error(
                path, item.key_line, item.key_col, f"unknown config key `{raw_key}` (known: {', '.join(sorted(types))})"
            )
            continue
        if key in SECTIONS:
            section = _section_config(item, SECTIONS[key], path, diagnostics)
            if section:
                values[key] = section
            continue
        kind = kinds[types[key]]
        value = item.text if kind is str and item.text is not None else item.value
        checked = Field(item.key, value, item.node, item.line, item.col, item.key_line, item.key_col)
        if not _check_type(checked, kind, path, diagnostics):
            continue
        if _validate_value(key, value, item, path, diagnostics):
            values[key] = value
    config = SiteConfig(**values)
    if not config.base_url.endswith("/"):
        config = replace(config, base_url=config.base_url + "/")
    return config


def load_config(path: Path, diagnostics: Diagnostics) -> SiteConfig:
    """Read ``site.yaml``; a missing file means all defaults."""
    if not path.is_file():
        return SiteConfig()
    text = read_text(path, diagnostics)
    return SiteConfig() if text is None else parse_config(text, path, diagnostics)
