"""Work beside the build: results in order, a failure is a missing result, not a crash or a hang."""

from __future__ import annotations

import functools

from cumthidua.parallel import Background, ordered_map


def _fails() -> str:
    raise OSError("the disk is gone")


def test_background_tasks_give_their_results_in_order_and_a_failed_one_gives_none() -> None:
    work = Background(lambda: "first", _fails, lambda: ["third"])
    assert work.result(2) == ["third"]
    assert work.result(0) == "first"
    assert work.result(1) is None


def test_a_cancelled_background_works_out_what_is_asked_later_here() -> None:
    work = Background(lambda: "first", lambda: "second")
    assert work.result(0) == "first"
    work.cancel()
    assert work.result(1) == "second"


def test_ordered_map_keeps_the_order_of_the_items_across_workers() -> None:
    assert list(ordered_map(functools.partial(pow, 2), range(300), jobs=2)) == [2**n for n in range(300)]
