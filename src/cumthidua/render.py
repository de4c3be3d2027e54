"""Render pages to bytes through Jinja2; no file is written here.

Autoescaping is on and undefined names are errors, so a typo in a template
fails the build with the template's line instead of printing nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import format_datetime
from functools import partial
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from .dates import date_style, format_date, isoformat
from .diagnostics import Diagnostics, display_path
from .links import rewrite_site_links
from .models import Page, Site
from .portal import archives
from .seo import news_article
from .urls import absolute_url, archive_url, output_file, relative_url, root_relative_url

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class RenderedPage:
    path: str  # output file, relative to the output folder
    content: bytes


class TemplateProblem(Exception):
    """A template error, already located in a template file."""

    def __init__(self, path: str, line: int, message: str):
        super().__init__(message)
        self.path, self.line, self.message = path, line, message


def make_environment(template_dirs: list[Path]) -> jinja2.Environment:
    """Site templates first, so a site overrides any default template by name."""
    loader = jinja2.FileSystemLoader([str(d) for d in template_dirs if d.is_dir()], encoding="utf-8")
    return jinja2.Environment(
        loader=loader,
        autoescape=jinja2.select_autoescape(disabled_extensions=("txt",), default_for_string=True, default=True),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=False,
        finalize=_xml_safe,
    )


def _xml_safe(value: Any) -> Any:
    """Every value a template prints, without the control characters XML forbids.

    A stray form feed pasted into an article, or ``"\\x01"`` in front matter, would make the feeds
    ill-formed (feed readers reject them) and the pages invalid.
    """
    if isinstance(value, str) and _NOT_XML.search(value):
        cleaned = _NOT_XML.sub("", value)
        return Markup(cleaned) if isinstance(value, Markup) else cleaned
    return value


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

    def __init__(self, site: Site, template_dirs: list[Path], ui: dict[str, str]):
        self.site = site
        self.ui = ui
        self.env = make_environment(template_dirs)
        config = site.config
        date_format, months = date_style(config.date_format, ui)
        self.env.filters["format_date"] = lambda value, pattern=None: format_date(value, pattern or date_format, months)
        self.env.filters["isodate"] = isoformat
        self.env.filters["rfc822"] = format_datetime
        self.env.filters["site_links"] = rewrite_site_links
        self.env.globals.update(config=config, t=ui, categories=site.categories, site=site)
        self.env.globals.update(
            tags=site.tags,
            archives=archives(site)[0],
            archive_url=archive_url,
            structured_data=partial(news_article, site),
        )

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
        base_url = self.site.config.base_url
        # The 404 page is served at any URL, so its links start at the site's root path.
        url = partial(root_relative_url, base_url) if page.kind == "404" else partial(relative_url, page.path)
        return {**page.data, "page": page_info, "url": url, "absolute": partial(absolute_url, base_url)}

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
        return RenderedPage(output_file(page.path), html.encode("utf-8"))
