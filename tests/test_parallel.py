"""Work beside the build: results in order, a failure is a missing result, not a crash or a hang."""

from __future__ import annotations

import functools
import time
from pathlib import Path

import pytest

from cumthidua.parallel import Background, _can_fork, ordered_map

needs_fork = pytest.mark.skipif(not _can_fork(), reason="the tasks would run in this process")


def _fails() -> str:
    raise OSError("the disk is gone")


def test_background_tasks_give_their_results_in_order_and_a_failed_one_gives_none() -> None:
    work = Background(lambda: "first", _fails, lambda: ["third"])
    assert work.result(2) == ["third"]
    assert work.result(0) == "first"
    assert work.result(1) is None


def _write_marker(marker: Path) -> str:
    marker.write_text("started", "utf-8")
    return "second"


@needs_fork
def test_a_result_bigger_than_the_pipe_does_not_hold_up_the_next_task(tmp_path: Path) -> None:
    """The content listing of 100,000 files is megabytes: the look at the output must start while this process
    is still busy loading the kept site, not once it reads the listing."""
    marker = tmp_path / "second-task-started"
    work = Background(lambda: "x" * 8_000_000, functools.partial(_write_marker, marker))
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert marker.exists(), "the second task waited for the first result to be read"
    assert work.result(0) == "x" * 8_000_000 and work.result(1) == "second"


@needs_fork
def test_a_cancelled_background_works_out_what_is_asked_later_here() -> None:
    work = Background(lambda: "first", lambda: "second")
    assert work.result(0) == "first"
    work.cancel()
    assert work.result(1) == "second"


def test_ordered_map_keeps_the_order_of_the_items_across_workers() -> None:
    assert list(ordered_map(functools.partial(pow, 2), range(300), jobs=2)) == [2**n for n in range(300)]
