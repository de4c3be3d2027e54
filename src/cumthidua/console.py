"""What the terminal shows: problems, a progress bar on slow builds, one summary line.

Kept apart from :mod:`cumthidua.build` so building never depends on a
terminal: the build reports ``(stage, done, total)`` to a callback and this
module decides whether and how to draw it. Colour only on a terminal and
never with ``NO_COLOR`` (https://no-color.org).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TextIO

from .build import BuildResult
from .diagnostics import Diagnostic, Diagnostics

PROGRESS_DELAY = 1.0  # seconds before a bar appears: quick builds stay quiet
REFRESH_INTERVAL = 0.2  # seconds between redraws of the bar
COUNTED_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}]"
STEP_FORMAT = "{desc}… [{elapsed}]"
_STYLES = {"error": "1;31", "warning": "1;33", "ok": "32", "dim": "2"}
_STAGE_NAMES = {
    "wait": "waiting for another build of this site to end",
    "config": "reading site.yaml",
    "reuse": "loading the last build's site",
    "read": "reading articles",
    "assemble": "assembling the site",
    "decide": "finding the pages to render",
    "render": "rendering pages",
    "write": "writing files",
}


def error_count(diagnostics: Diagnostics) -> str:
    count = len(diagnostics.errors)
    return f"{count} error{'s' if count != 1 else ''}"


def build_summary(result: BuildResult) -> str:
    """The line that ends a build: what was built, how fast, what changed in the output."""
    stats = result.stats
    changes = f"{stats.written} written, {stats.unchanged} unchanged, {stats.removed} removed"
    return f"Built {result.articles} articles, {result.pages} pages in {result.seconds:.2f} s ({changes})"


def wants_colour(stream: TextIO) -> bool:
    """Colour only on a terminal that is not ``dumb``, and never with NO_COLOR set."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@dataclass
class Console:
    """Where messages go, how loud they are and whether they are coloured."""

    quiet: bool = False
    verbose: bool = False
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)

    def paint(self, text: str, style: str, stream: TextIO) -> str:
        return f"\033[{_STYLES[style]}m{text}\033[0m" if wants_colour(stream) else text

    def info(self, message: str) -> None:
        """Normal output: the summary, what a command did. Silent with --quiet."""
        if not self.quiet:
            print(message, file=self.out, flush=True)

    def detail(self, message: str) -> None:
        """Only with --verbose."""
        if self.verbose and not self.quiet:
            print(self.paint(message, "dim", self.out), file=self.out, flush=True)

    def error(self, message: str) -> None:
        """Always shown, on stderr."""
        print(message, file=self.err, flush=True)

    def diagnostics(self, items: Iterable[Diagnostic]) -> None:
        for item in items:
            if item.severity != "error" and self.quiet:
                continue
            label = f": {item.severity}: "
            text = item.format().replace(label, ": " + self.paint(item.severity, item.severity, self.err) + ": ", 1)
            self.error(text)

    def progress(self) -> BuildProgress:
        return BuildProgress(self)


class BuildProgress:
    """A build's progress callback: times each stage, draws a bar when the build is slow.

    The bar is drawn by a thread of its own, so it appears after a second and
    keeps its clock ticking even through a stage that reports nothing for a while.
    """

    def __init__(self, console: Console, delay: float = PROGRESS_DELAY):
        self.console = console
        self.delay = delay
        self.started = time.perf_counter()
        self.stage = ""
        self.stage_started = self.started
        self.done = self.total = 0
        self.timings: dict[str, float] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._drawer: threading.Thread | None = None
        if self.can_draw:
            self._drawer = threading.Thread(target=self._draw, name="cumthidua-progress", daemon=True)
            self._drawer.start()

    @property
    def can_draw(self) -> bool:
        stream = self.console.err
        return not self.console.quiet and bool(getattr(stream, "isatty", None) and stream.isatty())

    def __call__(self, stage: str, done: int, total: int) -> None:
        with self._lock:
            if stage != self.stage:
                self._finish_stage(time.perf_counter())
                self.stage, self.stage_started = stage, time.perf_counter()
            self.done, self.total = done, total
        if stage == "wait" and not self.can_draw and not self.console.quiet:
            self.console.error(f"cumthidua: {_STAGE_NAMES[stage]}…")  # a log or a script has no bar to show it
        if stage == "done":
            self.close()

    def _draw(self) -> None:
        if self._closed.wait(self.delay):
            return  # a quick build: no bar at all
        from tqdm import tqdm  # imported only when a bar is drawn: a quick rebuild does not pay for it

        bar = tqdm(file=self.console.err, leave=False, dynamic_ncols=True, unit="")
        shown = ("", -1)
        while True:
            with self._lock:
                stage, done, total = self.stage, self.done, self.total
            if (stage, total) != shown:
                counted = total > 1
                bar.bar_format = COUNTED_FORMAT if counted else STEP_FORMAT
                bar.set_description_str(_STAGE_NAMES.get(stage, stage), refresh=False)
                bar.reset(total=total if counted else None)
                shown = (stage, total)
            bar.n = done
            bar.refresh()
            if self._closed.wait(REFRESH_INTERVAL):
                break
        bar.close()

    def _finish_stage(self, now: float) -> None:
        if self.stage:
            self.timings[self.stage] = self.timings.get(self.stage, 0.0) + now - self.stage_started

    def close(self) -> None:
        """Stop drawing and clear the bar; safe to call twice."""
        self._closed.set()
        if self._drawer is not None and self._drawer is not threading.current_thread():
            self._drawer.join(timeout=5)

    def report_timings(self) -> None:
        """Per-stage times, for --verbose."""
        for stage, seconds in self.timings.items():
            self.console.detail(f"  {_STAGE_NAMES.get(stage, stage):<22} {seconds * 1000:8.1f} ms")
