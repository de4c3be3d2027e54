"""Render pages to bytes through Jinja2; no file is written here.

Autoescaping is on and undefined names are errors, so a typo in a template
fails the build with the template's line instead of printing nothing.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from functools import partial
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.ext import Extension
from jinja2.runtime import Namespace
from markupsafe import Markup

from .dates import date_style, format_date, isoformat
from .diagnostics import Diagnostics, display_path
from .links import rewrite_site_links
from .models import Page, Site
from .portal import archives
from .seo import news_article
from .urls import absolute_url, archive_url, folder_depth, link_from_depth, output_file, root_relative_url

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NOT_XML_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])  # the same in UTF-8, but U+FFFE/U+FFFF
_LONG_TEXT = 512  # from here on, checking the UTF-8 bytes is quicker than the regular expression
_find_not_xml = _NOT_XML.search
_VALUE_TYPES = frozenset({str, int, float, bool, type(None)})  # compared by value; anything else by identity


@dataclass(frozen=True)
class RenderedPage:
    path: str  # output file, relative to the output folder
    content: bytes
    text: str = ""  # the content as rendered, for the link scan (decoding the bytes again costs 0.1 ms a page)


class TemplateProblem(Exception):
    """A template error, already located in a template file."""

    def __init__(self, path: str, line: int, message: str):
        super().__init__(message)
        self.path, self.line, self.message = path, line, message


MAX_PARTS = 30_000  # rendered parts kept: an article's list item, cached at each folder depth, made some 800,000
# at 100,000 articles (400 MB in each worker), most of them shown again only on nearby listing pages


class FragmentCache(Extension):
    """``{% cache %}…{% endcache %}``: a part of a page rendered once per build for each set of values it reads.

    The site-wide navigation and footer look the same on every page as deep in the site, and an
    article's item in a listing on every listing as deep: rendered once, not on each of 14,000 pages.
    The key is every variable the part names, by value for strings and numbers and by identity
    otherwise (the site's objects do not change while it renders), so a part that reads ``page`` is
    kept per page: useless, but never stale.
    """

    tags = {"cache"}

    def __init__(self, environment: jinja2.Environment):
        super().__init__(environment)
        self.parts: dict[tuple, tuple[list[Any], str]] = {}
        self.numbers = itertools.count()

    def parse(self, parser: Any) -> nodes.Node:
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        read = sorted({node.name for part in body for node in part.find_all(nodes.Name) if node.ctx == "load"})
        part = nodes.Const(f"{parser.name}:{lineno}:{next(self.numbers)}")  # unique even for two unnamed templates
        values = nodes.List([nodes.Name(name, "load") for name in read])
        return nodes.CallBlock(self.call_method("_part", [part, values]), [], [], body).set_lineno(lineno)

    def _part(self, part: str, values: list[Any], caller: Callable[[], str]) -> str:
        key = (part, *map(_identity, values))
        if None in key:
            return caller()
        found = self.parts.get(key)
        if found is None:
            if len(self.parts) >= MAX_PARTS:
                self.parts.clear()  # start again: pages that follow each other share most of their parts
            found = self.parts[key] = (values, caller())  # holding the values keeps their ids from being reused
        return found[1]


def _identity(value: Any) -> Any:
    """What tells a variable's value apart from another: itself for plain values, else its object's id.

    None for a ``namespace()``: templates change those as they go, so a part reading one is not kept.
    """
    kind = value.__class__
    if kind in _VALUE_TYPES:
        return kind, value
    if isinstance(value, jinja2.Undefined):  # a name only the part itself sets, such as a loop variable
        return (kind,)
    if isinstance(value, Namespace):
        return None
    return kind, id(value)


def make_environment(template_dirs: list[Path], compiled_dir: Path | None = None) -> jinja2.Environment:
    """Site templates first, so a site overrides any default template by name.

    ``compiled_dir``: where compiled templates are kept between builds (Jinja's bytecode cache, keyed by each
    template's path and source); compiling the theme costs a one-article rebuild more than rendering its pages.
    """
    loader = jinja2.FileSystemLoader([str(d) for d in template_dirs if d.is_dir()], encoding="utf-8")
    compiled = jinja2.FileSystemBytecodeCache(str(compiled_dir)) if compiled_dir is not None else None
    return jinja2.Environment(
        bytecode_cache=compiled,
        loader=loader,
        autoescape=jinja2.select_autoescape(disabled_extensions=("txt",), default_for_string=True, default=True),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
        finalize=_xml_safe,
        extensions=[FragmentCache],
        auto_reload=False,  # templates do not change during a build: no stat of each template on each page
    )


def _xml_safe(value: Any) -> Any:
    """Every value a template prints, without the control characters XML forbids.

    A stray form feed pasted into an article, or ``"\\x01"`` in front matter, would make the feeds
    ill-formed (feed readers reject them) and the pages invalid.
    """
    if not isinstance(value, str):
        return value
    if _find_not_xml(value) if len(value) < _LONG_TEXT else _long_text_has_not_xml(value):
        cleaned = _NOT_XML.sub("", value)
        return Markup(cleaned) if isinstance(value, Markup) else cleaned
    return value


def _long_text_has_not_xml(text: str) -> bool:
    """True when ``text`` holds a character :data:`_NOT_XML` matches; for an article body, quicker in bytes."""
    data = text.encode("utf-8", "surrogatepass")
    return len(data.translate(None, _NOT_XML_BYTES)) != len(data) or "\ufffe" in text or "\uffff" in text


def _per_text(compute: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``compute`` once per string: the same links come back on thousands of pages.

    Only plain ``str`` is remembered: a ``Markup`` equal to a string must not get the string's result.
    """
    memo: dict[str, Any] = {}

    def cached(value: Any) -> Any:
        if value.__class__ is not str:
            return compute(value)
        found = memo.get(value)
        if found is None:
            found = memo[value] = compute(value)
        return found

    return cached


def _per_datetime(compute: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``compute`` once per datetime object: an article's date is shown on many pages.

    Keyed by the object, not its value: datetimes at the same instant in other time zones are equal.
    """
    memo: dict[int, tuple[datetime, Any]] = {}  # holding the datetime keeps its id from being reused

    def cached(value: Any, *args: Any, **kwargs: Any) -> Any:
        if value.__class__ is not datetime or args or kwargs:
            return compute(value, *args, **kwargs)
        found = memo.get(id(value))
        if found is None:
            found = memo[id(value)] = (value, compute(value))
        return found[1]

    return cached


class _Record(dict):
    """A dict whose keys templates also find as attributes: ``page.kind`` without Jinja's failed getattr first.

    Keys named like a dict method (``items``) stay items only, so ``t.get(...)`` still calls the method.
    """

    def __init__(self, values: dict[str, Any]):
        super().__init__(values)
        self.__dict__.update((key, value) for key, value in values.items() if not hasattr(dict, key))


def _template_location(exc: BaseException) -> tuple[str, int]:
    """The template file and line where a rendering error happened."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return exc.filename or exc.name or "<template>", exc.lineno or 1
    tb = exc.__traceback__
    found = ("<template>", 1)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".xml", ".txt", ".json")) or "/templates/" in filename:
            found = (filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


class Renderer:
    """Turns :class:`Page` objects into bytes for one site."""

    def __init__(self, site: Site, template_dirs: list[Path], ui: dict[str, str], compiled_dir: Path | None = None):
        self.site = site
        self.ui = ui
        self.env = make_environment(template_dirs, compiled_dir)
        config = site.config
        self.env.filters.update(self._date_filters(config.date_format, ui), site_links=rewrite_site_links)
        self.env.globals.update(config=config, t=_Record(ui), categories=site.categories, site=site)
        self.env.globals.update(
            tags=site.tags,
            archives=archives(site)[0],
            archive_url=archive_url,
            structured_data=partial(news_article, site),
        )
        self._links: dict[int, Callable[[Any], Any]] = {}  # folder depth → url() of the pages that deep
        self._absolute = _per_text(partial(absolute_url, config.base_url))

    @staticmethod
    def _date_filters(site_format: str, ui: dict[str, str]) -> dict[str, Callable[..., str]]:
        date_format, months = date_style(site_format, ui)
        shown = _per_datetime(partial(format_date, pattern=date_format, months=months))
        return {
            "format_date": lambda value, pattern=None: format_date(value, pattern, months) if pattern else shown(value),
            "isodate": _per_datetime(isoformat),
            "rfc822": _per_datetime(format_datetime),
        }

    def check_templates(self, names: list[str], diagnostics: Diagnostics) -> None:
        """Compile the templates the pages need, reporting syntax errors up front."""
        for name in sorted(set(names)):
            try:
                self.env.get_template(name)
            except jinja2.TemplateNotFound as exc:
                diagnostics.error(name, 1, 1, f"template not found: {exc.name}")
            except jinja2.TemplateSyntaxError as exc:
                path, line = _template_location(exc)
                diagnostics.error(path, line, 1, f"template syntax error: {exc.message}")
            except UnicodeDecodeError as exc:
                diagnostics.error(self._find_template(name), 1, 1, f"template is not valid UTF-8 ({exc.reason})")

    def _find_template(self, name: str) -> str:
        """The file of a template that cannot be loaded, looked up by hand."""
        for folder in self.env.loader.searchpath:
            if (Path(folder) / name).is_file():
                return display_path(Path(folder) / name)
        return name

    def template_file(self, name: str) -> str:
        """The file a template name resolves to, as shown in messages."""
        try:
            return display_path(self.env.get_template(name).filename or name)
        except jinja2.TemplateError:
            return name

    def context(self, page: Page) -> dict[str, Any]:
        page_info = {
            "path": page.path,
            "title": page.title,
            "description": page.description,
            "canonical": absolute_url(self.site.config.base_url, page.path),
            "kind": page.kind,
        }
        return {**page.data, "page": _Record(page_info), "url": self._url(page), "absolute": self._absolute}

    def _url(self, page: Page) -> Callable[[Any], Any]:
        """The page's ``url()``: its links depend only on how deep it is, so pages equally deep share them."""
        if page.kind == "404":  # served at any URL, so its links start at the site's root path
            return partial(root_relative_url, self.site.config.base_url)
        depth = folder_depth(page.path)
        url = self._links.get(depth)
        if url is None:
            url = self._links[depth] = _per_text(partial(link_from_depth, depth))
        return url

    def render(self, page: Page) -> RenderedPage:
        """Render one page; template errors come out as :class:`TemplateProblem`."""
        try:
            html = self.env.get_template(page.template).render(self.context(page))
        except RecursionError:
            raise TemplateProblem(page.template, 1, "template recursion too deep") from None
        except Exception as exc:  # a site's template is code: any error in it is the site's, at its line
            path, line = _template_location(exc)
            message = getattr(exc, "message", None) or str(exc)
            raise TemplateProblem(path, line, f"while rendering /{page.path}: {message}") from None
        return RenderedPage(output_file(page.path), html.encode("utf-8"), html)
