"""Run the stages in order: load → parse → assemble → render → write.

:func:`build` is the one entry point used by the command line, ``serve`` and
the tests. It never raises for a user's mistake: problems come back as
diagnostics, and the output folder is only touched when there are none.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import incremental, snapshot, touchup
from .cache import CACHE_DIR, BuildCache, drop_cache, open_cache
from .config import SiteConfig, base_url_problem, load_config
from .diagnostics import Diagnostics, UsageError, display_path
from .images import resolve_images
from .links import LinkChecker
from .models import Article, Page, Site
from .output import MANIFEST, FilesAhead, OutputWriter, WriteStats, files_not_in_place
from .parallel import Background
from .portal import portal_pages
from .site import BuildOptions, assemble_site, check_collisions, site_pages
from .source import ContentFiles, content_files
from .theme import default_theme_dir, ui_strings

if TYPE_CHECKING:
    from .render import Renderer

Progress = Callable[[str, int, int], None]
"""Told ``(stage, done, total)`` as a build advances; the terminal draws it, ``build`` does not."""


def no_progress(stage: str, done: int, total: int) -> None:
    """The default progress callback: builds run silently."""


@dataclass(frozen=True)
class BuildRequest:
    """What to build and where; paths as the user gave them."""

    content_dir: Path = Path("content")
    output_dir: Path = Path("public")
    config_path: Path | None = None  # default: site.yaml beside the content folder
    base_url: str | None = None
    drafts: bool = False
    future: bool = False
    clean: bool = False
    now: datetime | None = None  # default: SOURCE_DATE_EPOCH or the clock
    jobs: int | None = None  # worker processes; default: all cores
    cache: bool = True  # reuse .cumthidua/cache/ of the site (incremental builds)

    @property
    def site_root(self) -> Path:
        return self.content_dir.resolve().parent

    @property
    def config_file(self) -> Path:
        return self.config_path if self.config_path is not None else self.site_root / "site.yaml"


@dataclass
class BuildResult:
    diagnostics: Diagnostics
    articles: int = 0
    pages: int = 0
    stats: WriteStats = field(default_factory=WriteStats)
    seconds: float = 0.0
    output_dir: Path = Path("public")

    @property
    def ok(self) -> bool:
        return not self.diagnostics


def build_time(request: BuildRequest) -> datetime:
    """The build's "now": fixed by SOURCE_DATE_EPOCH for reproducible builds."""
    if request.now is not None:
        return request.now
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime.now(UTC)


def check_paths(request: BuildRequest) -> None:
    """Refuse an output folder that would mix the site's sources with its output."""
    content = request.content_dir.resolve()
    output = request.output_dir.resolve()
    root = request.site_root
    if not content.is_dir():
        raise UsageError(f"content folder not found: {request.content_dir}")
    if request.config_path is not None and not request.config_path.is_file():
        raise UsageError(f"config file not found: {request.config_path}")
    if request.base_url is not None and base_url_problem(request.base_url):
        raise UsageError(f"--base-url {request.base_url!r} {base_url_problem(request.base_url)}")
    protected = {
        "the site folder": root,
        "the content folder": content,
        "the templates folder": root / "templates",
        "the static folder": root / "static",
        "the default theme": default_theme_dir(),
    }
    for name, folder in protected.items():
        if output == folder:
            raise UsageError(f"output folder {request.output_dir} is {name}; choose another, e.g. public")
    for name in ("the content folder", "the templates folder", "the static folder"):
        if output.is_relative_to(protected[name]):  # the next build would read its own output back
            raise UsageError(f"output folder {request.output_dir} is inside {name}")
    if content.is_relative_to(output):
        raise UsageError(f"output folder {request.output_dir} contains the content folder")
    if output.exists() and not output.is_dir():
        raise UsageError(f"output {request.output_dir} exists and is not a folder")


def load_articles(
    content_dir: Path,
    config: SiteConfig,
    diagnostics: Diagnostics,
    progress: Progress = no_progress,
    cache: BuildCache | None = None,
    jobs: int | None = None,
    files: ContentFiles | None = None,
) -> list[Article]:
    """Every article; with a cache, only files changed since the last build are read and parsed."""
    return incremental.load_articles(content_dir, config, diagnostics, cache, jobs, progress, files)


def asset_files(request: BuildRequest) -> list[tuple[str, Path]]:
    """Static files to copy: the default theme's, then the site's (which win)."""
    found: dict[str, Path] = {}
    for static_dir in (default_theme_dir() / "static", request.site_root / "static"):
        if static_dir.is_dir():
            for path in sorted(static_dir.rglob("*")):
                relative = path.relative_to(static_dir)
                if path.is_file() and not any(p.startswith(".") for p in relative.parts):
                    found["static/" + relative.as_posix()] = path
    return sorted(found.items())


def template_dirs(request: BuildRequest) -> list[Path]:
    return [request.site_root / "templates", default_theme_dir() / "templates"]


@dataclass
class Inputs:
    """What a build finds before it decides what to make: every input but the content files, the content files,
    and the site the last full build assembled (see ``touchup``), loaded while another process lists them."""

    frame: incremental.Frame | None  # digests of every input but the content files; None: one just changed
    content: ContentFiles
    kept: snapshot.Snapshot | None = None  # the last full build's site, if it may still be this one


@dataclass
class Prepared:
    """Everything up to rendering."""

    site: Site
    pages: list[Page]
    articles: list[Article]  # every article read, published or not
    reused: touchup.Reused | None = None  # the last full build's site, with touch-up edits put in (see touchup)
    structure: str | None = None  # incremental.structure_key: known when reused, else worked out by write_site
    site_digest: str | None = None  # incremental.site_structure: known when reused, else worked out by write_site
    renderer: Renderer | None = None  # set last, by prepare


def static_dirs(request: BuildRequest) -> list[Path]:
    return [request.site_root / "static", default_theme_dir() / "static"]


def prepare(
    request: BuildRequest,
    diagnostics: Diagnostics,
    progress: Progress,
    cache: BuildCache | None,
    inputs: Inputs,
) -> Prepared:
    """Everything up to rendering: config, articles, site model, pages, templates."""
    progress("config", 0, 1)
    config = load_config(request.config_file, diagnostics)
    if request.base_url is not None:
        base_url = request.base_url if request.base_url.endswith("/") else request.base_url + "/"
        config = replace(config, base_url=base_url)
    ui = ui_strings(config.language)
    options = BuildOptions(drafts=request.drafts, future=request.future, now=build_time(request))
    made = _reuse(request, config, ui, cache, inputs, progress)
    inputs.kept = None  # not reused: its memory is the full build's
    if made is None:
        made = _assemble(request, config, ui, options, diagnostics, progress, cache, inputs.content)
    from .render import Renderer  # Jinja: imported only when a build renders (not for a no-change rebuild)

    made.renderer = Renderer(made.site, template_dirs(request), ui, cache.compiled_templates() if cache else None)
    made.renderer.check_templates([page.template for page in made.pages], diagnostics)
    return made


def _assemble(
    request: BuildRequest,
    config: SiteConfig,
    ui: dict[str, str],
    options: BuildOptions,
    diagnostics: Diagnostics,
    progress: Progress,
    cache: BuildCache | None,
    content: ContentFiles,
) -> Prepared:
    """Load every article (unchanged ones from the cache) and assemble the site and its pages."""
    articles = load_articles(request.content_dir, config, diagnostics, progress, cache, request.jobs, content)
    resolve_images(articles, static_dirs(request), diagnostics)
    progress("assemble", 0, 1)
    site = assemble_site(config, articles, options, diagnostics)
    incremental.work_out_related(site, cache, request.jobs)
    incremental.work_out_search_index(site, cache)
    if cache is not None:
        cache.upcoming = incremental.upcoming_publication(articles, site, options.now.timestamp())
    pages = site_pages(site, ui)
    pages += portal_pages(site, ui, pages, diagnostics)
    check_collisions(pages, diagnostics)
    return Prepared(site, pages, articles)


def _reuse(
    request: BuildRequest,
    config: SiteConfig,
    ui: dict[str, str],
    cache: BuildCache | None,
    inputs: Inputs,
    progress: Progress = no_progress,
) -> Prepared | None:
    """The last full build's site and pages with touch-up edits put in; None: assemble the site anew."""
    if cache is None or inputs.kept is None:
        return None
    progress("reuse", 0, 1)
    folders = (request.output_dir, request.content_dir, static_dirs(request))
    reused = touchup.reuse(cache, folders, inputs.frame, inputs.content, config, inputs.kept)
    if reused is None:
        return None
    last = reused.snapshot
    incremental.work_out_search_index(last.site, cache, *touchup.search_keys(last, reused.edited))
    pages = touchup.refresh_pages(last, ui, reused.edited)
    if pages is None:
        return None
    cache.upcoming = last.header.upcoming
    structure = None if reused.templates_changed else last.header.structure  # other templates: another structure
    return Prepared(last.site, pages, last.articles, reused, structure, last.header.site_digest)


def write_site(
    request: BuildRequest,
    prepared: Prepared,
    diagnostics: Diagnostics,
    progress: Progress = no_progress,
    cache: BuildCache | None = None,
    ahead: Ahead | None = None,
) -> WriteStats:
    """Render the pages whose inputs changed (all of them without a cache) on all cores, then switch the output.

    ``ahead``: see :func:`look_ahead`."""
    writer = OutputWriter(request.output_dir, rewrite_all=request.clean, stamps_file=stamps_file(request, cache))
    found = ahead.output() if ahead is not None else None
    if found is not None:
        writer.trust(found)
    try:
        page_renderer = _stage_site(request, prepared, writer, diagnostics, progress, cache)
    except KeyboardInterrupt:
        writer.abort()  # Ctrl-C: nothing staged is left in the output folder
        raise
    if diagnostics:
        writer.abort()
        return WriteStats()
    with interrupts_held():  # a Ctrl-C now would leave the output half switched and the manifest behind
        stats = writer.commit()
        page_renderer.save()
    return stats


@contextlib.contextmanager
def interrupts_held() -> Iterator[None]:
    """Ctrl-C waits for the end of the block, then stops the build as usual (only the main thread gets signals;
    elsewhere the block runs as it is)."""
    received: list[int] = []
    try:
        previous = signal.signal(signal.SIGINT, lambda number, frame: received.append(number))
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


def _stage_site(
    request: BuildRequest,
    prepared: Prepared,
    writer: OutputWriter,
    diagnostics: Diagnostics,
    progress: Progress,
    cache: BuildCache | None,
) -> incremental.PageRenderer:
    """Render and stage the changed pages and the static files; report broken links and files in the way."""
    pages, renderer = prepared.pages, prepared.renderer
    assert renderer is not None
    links = LinkChecker(renderer.site.config.base_url)
    touch_up = prepared.reused is not None and not prepared.reused.templates_changed
    refreshed = incremental.REFRESHED if touch_up else frozenset()
    page_renderer = incremental.PageRenderer(
        renderer, cache, request.output_dir, request.jobs, prepared.structure, refreshed, prepared.site_digest
    )
    prepared.structure, prepared.site_digest = page_renderer.structure, page_renderer.site_digest
    config_file = str(request.config_file)
    writer_source = lambda page: page.source or config_file  # noqa: E731
    assets = asset_files(request)
    asset_paths = [path for path, _ in assets]
    resolver = lambda outputs: links.resolver([*outputs, *asset_paths])  # noqa: E731
    for page, result in page_renderer.run(pages, writer, writer_source, diagnostics, progress, resolver):
        if result.broken:
            links.add_broken(result.path, result.broken, page.source or renderer.template_file(page.template))
    progress("write", 0, 1)
    for output_path, source in assets:
        writer.add(output_path, source.read_bytes(), display_path(source))
    removed = bool(set(writer.previous) - set(writer.files))
    for path, hrefs, source in page_renderer.kept_links(removed):
        links.add_links(path, hrefs, source)
    # A page that failed to render is reported already, not again at every link to it.
    pages_and_assets = [*page_renderer.outputs, *asset_paths]
    for link in links.broken(pages_and_assets):
        diagnostics.error(link.source, link.line, link.col, link.message)
    for problem in writer.problems:
        diagnostics.error(problem.source, 1, 1, problem.message)
    return page_renderer


def stamps_file(request: BuildRequest, cache: BuildCache | None) -> Path | None:
    """Where the output's files' stamps are kept (see ``output.Manifest``): beside the cache, when there is one."""
    return cache.stamps_file(str(request.output_dir.resolve())) if cache is not None else None


def input_frame(request: BuildRequest) -> incremental.Frame | None:
    """The digests of every input but the content files (see ``incremental.Frame``)."""
    site_inputs = [request.config_file, default_theme_dir() / "static", request.site_root / "static"]
    return incremental.input_frame(_request_key(request), site_inputs, template_dirs(request))


def _request_key(request: BuildRequest) -> tuple:
    paths = (request.content_dir.resolve(), request.output_dir.resolve(), request.config_file.resolve())
    return (*map(str, paths), request.base_url, request.drafts, request.future)


def unchanged_result(request: BuildRequest, cache: BuildCache | None, ahead: Ahead | None) -> BuildResult | None:
    """When no input changed since the last build into this output folder (``cache.inputs``), its result, without
    any work."""
    if cache is None or ahead is None:
        return None
    now = build_time(request).timestamp()
    last = incremental.unchanged_build(cache, request.output_dir, cache.inputs, now, request.future, ahead.output)
    if last is None:
        return None
    stats = WriteStats(unchanged=last.files)
    warnings = Diagnostics(list(last.warnings))
    return BuildResult(warnings, last.articles, last.pages, stats, output_dir=request.output_dir)


def full_build(
    request: BuildRequest,
    diagnostics: Diagnostics,
    progress: Progress,
    cache: BuildCache | None,
    inputs: Inputs,
    ahead: Ahead | None = None,
) -> BuildResult:
    """Read what changed, render what changed, write what changed; remember the result for the next build.

    ``ahead``: see :func:`look_ahead`."""
    frame, content = inputs.frame, inputs.content
    prepared = prepare(request, diagnostics, progress, cache, inputs)
    counts = len(prepared.site.articles), len(prepared.pages)
    result = BuildResult(diagnostics, *counts, output_dir=request.output_dir)
    if not diagnostics:
        result.stats = write_site(request, prepared, diagnostics, progress, cache, ahead)
    if result.ok and cache is not None:
        articles = prepared.site.articles
        newest = articles[0].date.timestamp() if articles else None  # a build dated before it is another site
        counts = (result.articles, result.pages, result.stats.written + result.stats.unchanged)
        last = incremental.LastBuild("", "", *counts, diagnostics.items, cache.upcoming, newest)
        incremental.remember_build(cache, request.output_dir, cache.inputs, last)
        if prepared.reused is not None:
            header = prepared.reused.snapshot.header
            if prepared.reused.templates_changed and frame is not None and prepared.structure is not None:
                header = replace(header, frame=frame, structure=prepared.structure)
                snapshot.reframe(cache, request.output_dir, header)
            touchup.remember_listing(cache, request.output_dir, content, header.token, prepared.reused.edited_files)
        else:
            remember_site(cache, request.output_dir, frame, prepared, newest, content)
    return result


def remember_site(
    cache: BuildCache,
    output_dir: Path,
    frame: incremental.Frame | None,
    prepared: Prepared,
    newest: float | None,
    content: ContentFiles,
) -> None:
    """Keep the site and pages of a successful full build, and the content files it listed, for touch-up rebuilds
    (see touchup)."""
    if frame is None or prepared.structure is None:
        snapshot.forget(cache, output_dir)
        return
    header = snapshot.Header(frame, prepared.structure, cache.upcoming, newest, prepared.site_digest)
    snapshot.remember(cache, output_dir, header, prepared.articles, prepared.site, prepared.pages)
    touchup.remember_listing(cache, output_dir, content, header.token, {})


@contextlib.contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Python's cycle collector would walk the site's 100,000s of live objects again and again while a build
    allocates; a build makes almost no cyclic garbage (same peak memory without it), so it is paused, forked
    workers included, and resumed after (``serve`` builds in the same process)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextlib.contextmanager
def one_build_at_a_time(site_root: Path, progress: Progress) -> Iterator[None]:
    """Two builds of one site at once would stage into the same output folder and write the same cache: the
    second waits for the first (``build`` in a terminal while ``serve`` rebuilds, a script run twice).

    The lock file stays in ``.cumthidua/``, beside the cache that ``--clean`` deletes; where the site folder is
    read-only or the system has no ``flock``, builds are not kept apart."""
    try:
        import fcntl

        folder = site_root / CACHE_DIR.parent
        folder.mkdir(exist_ok=True)
        lock = open(folder / "build.lock", "ab")  # noqa: SIM115 (held until the build ends)
    except (ImportError, OSError):
        yield
        return
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            progress("wait", 0, 1)
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield
    finally:
        lock.close()


def build(request: BuildRequest, progress: Progress = no_progress) -> BuildResult:
    """Build the site; raises :class:`UsageError` only for a wrong setup."""
    check_paths(request)
    request = replace(request, now=build_time(request))  # one "now" for every step: the snapshot's, the site's
    with cycle_collection_paused(), one_build_at_a_time(request.site_root, progress):
        return _build(request, progress)


@dataclass
class Ahead:
    """What another process works out at the start of a build, in turn (:func:`look_ahead`)."""

    work: Background
    tasks: tuple[str, ...]  # "content", "output": which results ``work`` gives, in order

    def content(self) -> ContentFiles | None:
        """The content files, if listed there."""
        found = self.work.result(self.tasks.index("content")) if "content" in self.tasks else None
        return found if isinstance(found, ContentFiles) else None

    def output(self) -> FilesAhead | None:
        """The last build's output files not in place (:func:`output.files_not_in_place`), if looked at there."""
        return self.work.result(self.tasks.index("output")) if "output" in self.tasks else None

    def cancel(self) -> None:
        self.work.cancel()


def look_ahead(request: BuildRequest, cache: BuildCache | None) -> Ahead | None:
    """Work that waits on the system, done in another process while this one goes on: the content files listed
    (half a second at 100,000 articles) while this one loads the kept site (a second, see ``touchup``), then
    the last build's output files looked at (a second) for the no-change check and the writer. Without a kept
    site, this process lists the content files while the other looks at the output."""
    if cache is None or request.clean:
        return None
    tasks: dict[str, Callable[[], Any]] = {}
    if cache.snapshot_file(str(request.output_dir.resolve())).is_file():
        tasks["content"] = functools.partial(content_files, request.content_dir)
    if (request.output_dir / MANIFEST).is_file():
        tasks["output"] = functools.partial(files_not_in_place, request.output_dir, stamps_file(request, cache))
    return Ahead(Background(*tasks.values()), tuple(tasks)) if tasks else None


def find_inputs(request: BuildRequest, cache: BuildCache | None, ahead: Ahead | None) -> Inputs:
    """Every input listed once, and the kept site loaded when there is one (see :func:`look_ahead`)."""
    if cache is None:
        return Inputs(None, content_files(request.content_dir))
    frame = input_frame(request)
    kept = None
    if ahead is not None and "content" in ahead.tasks and frame is not None:
        kept = snapshot.load(cache, request.output_dir, frame, build_time(request).timestamp(), request.future)
    content = ahead.content() if ahead is not None else None
    if content is None:  # not listed there, or that failed
        content = content_files(request.content_dir)
    cache.inputs = incremental.with_content(frame, content)  # every build records it, a cold one too
    return Inputs(frame, content, kept)


def _build(request: BuildRequest, progress: Progress) -> BuildResult:
    started = time.perf_counter()
    diagnostics = Diagnostics()
    if request.clean:
        drop_cache(request.site_root)
    cache = open_cache(request.site_root) if request.cache else None
    ahead = look_ahead(request, cache)
    try:
        inputs = find_inputs(request, cache, ahead)
        result = unchanged_result(request, cache, ahead) or full_build(
            request, diagnostics, progress, cache, inputs, ahead
        )
    except OSError as exc:  # the system refused: an output folder that cannot be made (/proc/x), a full disk
        raise UsageError(f"{exc.filename or request.output_dir}: {exc.strerror or exc}") from None
    finally:
        if ahead is not None:
            ahead.cancel()
        if cache is not None:
            cache.close()
    progress("done", 1, 1)
    result.seconds = time.perf_counter() - started
    return result
