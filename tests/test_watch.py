"""Watching a site: one rebuild per burst of changes, only for the files that make the site."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from cumthidua.watch import Coalescer, SiteWatcher, is_noise

WAIT = 30.0


class Batches:
    """Collects what the watcher reports, and lets a test wait for it (bounded)."""

    def __init__(self) -> None:
        self.items: list[set[Path]] = []
        self.arrived = threading.Event()

    def __call__(self, paths: set[Path]) -> None:
        self.items.append(paths)
        self.arrived.set()

    def all_paths(self) -> set[Path]:
        return set().union(*self.items) if self.items else set()

    def wait_for(self, condition, what: str) -> None:
        deadline = time.monotonic() + WAIT
        while not condition():
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}; got {self.items}")
            time.sleep(0.05)


def test_a_burst_of_changes_is_handed_over_at_once() -> None:
    batches = Batches()
    coalescer = Coalescer(batches, quiet=0.3)
    coalescer.start()
    paths = [Path(f"content/tin-{n}.md") for n in range(100)]
    for path in paths:
        coalescer.add([path])
    batches.wait_for(lambda: batches.all_paths() == set(paths), "every path")
    coalescer.stop()
    assert len(batches.items) < len(paths)  # coalesced, not one call per event


def test_changes_during_a_rebuild_come_in_the_next_batch() -> None:
    batches = Batches()
    release = threading.Event()

    def slow_rebuild(paths: set[Path]) -> None:
        batches(paths)
        release.wait(WAIT)

    coalescer = Coalescer(slow_rebuild, quiet=0.05)
    coalescer.start()
    coalescer.add([Path("a.md")])
    batches.wait_for(lambda: batches.items, "the first batch")
    coalescer.add([Path("b.md")])
    coalescer.add([Path("c.md")])
    release.set()
    batches.wait_for(lambda: len(batches.items) == 2, "the second batch")
    coalescer.stop()
    assert batches.items == [{Path("a.md")}, {Path("b.md"), Path("c.md")}]


def test_editor_swap_and_backup_files_are_noise() -> None:
    for name in (".tin.md.swp", "tin.md~", "#tin.md#", ".#tin.md", "4913"):
        assert is_noise(Path("content") / name)
    assert not is_noise(Path("content/tin.md"))


def test_site_watcher_sees_content_templates_static_and_config_but_not_the_output(tmp_path: Path) -> None:
    root = tmp_path / "site"
    (root / "content").mkdir(parents=True)
    (root / "public").mkdir()
    (root / "site.yaml").write_text("title: A\n", "utf-8")
    batches = Batches()
    watcher = SiteWatcher(
        root, [root / "content", root / "templates", root / "static"], [root / "site.yaml"], batches,
        ignore=[root / "public"],
    )  # fmt: skip
    watcher.start()
    try:
        (root / "public" / "index.html").write_text("x", "utf-8")
        (root / "notes.txt").write_text("x", "utf-8")
        (root / "content" / "tin.md").write_text("x", "utf-8")
        batches.wait_for(lambda: root / "content" / "tin.md" in batches.all_paths(), "the article")
        (root / "templates").mkdir()  # created after the watch started
        batches.wait_for(lambda: root / "templates" in batches.all_paths(), "the new templates folder")
        (root / "templates" / "base.html").write_text("x", "utf-8")
        (root / "site.yaml").write_text("title: B\n", "utf-8")
        batches.wait_for(lambda: root / "templates" / "base.html" in batches.all_paths(), "a template")
        batches.wait_for(lambda: root / "site.yaml" in batches.all_paths(), "the config file")
    finally:
        watcher.stop()
    seen = batches.all_paths()
    assert not any(path.is_relative_to(root / "public") for path in seen)
    assert root / "notes.txt" not in seen


def test_site_watcher_falls_back_to_polling_when_the_system_refuses_watches(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "site"
    (root / "content").mkdir(parents=True)
    batches = Batches()
    watcher = SiteWatcher(root, [root / "content"], [root / "site.yaml"], batches)

    def refuse(*args, **kwargs):
        raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr(watcher.observer, "schedule", refuse)
    watcher.start()
    try:
        (root / "content" / "tin.md").write_text("x", "utf-8")
        batches.wait_for(lambda: root / "content" / "tin.md" in batches.all_paths(), "the article, seen by polling")
    finally:
        watcher.stop()
