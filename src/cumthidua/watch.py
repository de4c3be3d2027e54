"""Watch a site's sources and call back once per burst of changes.

An editor's save is often several events (write a temp file, rename it over
the old one, touch a backup), and a ``git pull`` is hundreds: a rebuild for
each would be wasted. :class:`Coalescer` waits until the events have been
quiet for a moment, then hands over every changed path at once.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

QUIET_PERIOD = 0.2  # seconds without events before a burst counts as over
MAX_WAIT = 2.0  # a never-ending stream of events still rebuilds this often


def is_noise(path: Path) -> bool:
    """Editor swap, backup and lock files: changes to them change nothing."""
    name = path.name
    return (
        name.startswith((".#", "#"))
        or name.endswith(("~", ".swp", ".swx", ".swpx", ".tmp", ".part"))
        or name == "4913"  # vim's "can I write here" probe
    )


class Coalescer:
    """Collects changed paths and calls ``on_change`` once a burst is over.

    ``on_change`` runs on the coalescer's own thread, one call at a time;
    changes arriving during a call are gathered for the next one.
    """

    def __init__(self, on_change: Callable[[set[Path]], None], quiet: float = QUIET_PERIOD, max_wait: float = MAX_WAIT):
        self.on_change = on_change
        self.quiet = quiet
        self.max_wait = max_wait
        self._pending: set[Path] = set()
        self._first = 0.0
        self._last = 0.0
        self._stopped = False
        self._condition = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="cumthidua-coalescer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def add(self, paths: Iterable[Path]) -> None:
        with self._condition:
            now = time.monotonic()
            if not self._pending:
                self._first = now
            self._pending.update(paths)
            self._last = now
            self._condition.notify()

    def stop(self) -> None:
        with self._condition:
            self._stopped = True
            self._condition.notify()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=10)

    def _next_batch(self) -> set[Path] | None:
        with self._condition:
            while not self._stopped:
                if not self._pending:
                    self._condition.wait()
                    continue
                now = time.monotonic()
                due = min(self._last + self.quiet, self._first + self.max_wait)
                if now >= due:
                    batch, self._pending = self._pending, set()
                    return batch
                self._condition.wait(due - now)
            return None

    def _run(self) -> None:
        while (batch := self._next_batch()) is not None:
            self.on_change(batch)


class _Handler(FileSystemEventHandler):
    def __init__(self, accept: Callable[[Path], bool], coalescer: Coalescer):
        self.accept = accept
        self.coalescer = coalescer

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return  # reading a file changes nothing
        paths = [Path(str(p)) for p in (event.src_path, getattr(event, "dest_path", "")) if p]
        changed = [p for p in paths if self.accept(p) and not is_noise(p)]
        if changed:
            self.coalescer.add(changed)


class SiteWatcher:
    """Watches a site's content, templates, static files and config file.

    The site folder itself is watched without recursion, so a ``templates/``
    or ``static/`` folder created later is noticed and watched from then on,
    while the output folder and anything else in the site folder is not.
    """

    def __init__(
        self,
        root: Path,
        folders: list[Path],
        files: list[Path],
        on_change: Callable[[set[Path]], None],
        ignore: list[Path] | None = None,
    ):
        self.root = root.resolve()
        self.folders = [f.resolve() for f in folders]
        self.files = [f.resolve() for f in files]
        self.ignore = [f.resolve() for f in ignore or []]
        self.coalescer = Coalescer(self._changed)
        self.on_change = on_change
        self.observer = Observer()
        self._watched: set[tuple[Path, bool]] = set()
        self._handler = _Handler(self.is_watched, self.coalescer)

    def is_watched(self, path: Path) -> bool:
        path = path.resolve() if not path.is_absolute() else path
        if any(path.is_relative_to(folder) for folder in self.ignore):
            return False  # the output folder, when it lies inside a watched one
        return path in self.files or any(path.is_relative_to(folder) for folder in self.folders)

    def _schedule(self) -> None:
        """Watch every watched folder that exists and is not watched yet."""
        wanted = {(folder, True) for folder in self.folders if folder.is_dir()}
        wanted |= {(path.parent, False) for path in self.files if path.parent.is_dir()}
        wanted.add((self.root, False))
        for folder, recursive in sorted(wanted - self._watched):
            self.observer.schedule(self._handler, str(folder), recursive=recursive)
            self._watched.add((folder, recursive))

    def _changed(self, paths: set[Path]) -> None:
        with contextlib.suppress(OSError):  # a folder that cannot be watched still gets rebuilt now
            self._schedule()
        self.on_change(paths)

    def start(self) -> None:
        try:
            self._schedule()
        except OSError:  # e.g. the system's inotify watch limit: look for changes by polling instead
            self.observer = PollingObserver()
            self._watched.clear()
            self._schedule()
        self.coalescer.start()
        self.observer.start()

    def stop(self) -> None:
        self.observer.stop()
        self.coalescer.stop()
        if self.observer.is_alive():
            self.observer.join(timeout=10)
