"""Run a function over many items on all cores, results in input order.

Workers are forked (Linux): they inherit the site, the pages and the
renderer as they are, so nothing big is sent to them, and each returns small
results in chunks. Results are yielded in the order of the items, so output
and messages do not depend on which worker was faster. Small jobs, one job,
a platform without ``fork`` or a process running other threads (``serve``)
run in this process. :class:`Background` runs one task beside the build
(the look at the last build's output files while the site loads).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

MIN_PARALLEL_ITEMS = 64  # below this, starting workers costs more than it saves
_task: Callable[[Any], Any] | None = None  # set before forking, inherited by the workers


def default_jobs() -> int:
    return os.cpu_count() or 1


def _run_chunk(items: Sequence[Any]) -> list[Any]:
    assert _task is not None
    return [_task(item) for item in items]


FORK_SAFE_THREADS = {"cumthidua-progress"}  # threads whose locks the workers never touch


def _can_fork() -> bool:
    """Fork only when no other thread could hold a lock the child needs (``serve``'s server and watcher could)."""
    others = [t for t in threading.enumerate() if t is not threading.current_thread()]
    safe = all(thread.name in FORK_SAFE_THREADS for thread in others)
    return safe and "fork" in multiprocessing.get_all_start_methods()


class Background:
    """``task(*args)`` worked out in a forked process while this one goes on, for a task that waits on the
    system more than it computes and gives a small result. Where this process cannot fork, it is worked out
    when its result is asked for."""

    def __init__(self, task: Callable[..., Any], *args: Any):
        self._task, self._args = task, args
        self._process: Any = None
        self._done = False
        self._value: Any = None
        if not _can_fork():
            return
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_send_result, args=(send, task, args), daemon=True)
        self._process.start()
        send.close()

    def result(self) -> Any | None:
        """The task's result, waiting for it; None when it failed."""
        if not self._done:
            self._value = self._receive_result() if self._process is not None else _result(self._task, self._args)
            self._done = True
        return self._value

    def _receive_result(self) -> Any | None:
        try:
            return self._receive.recv()
        except (EOFError, OSError):
            return None
        finally:
            self.cancel()

    def cancel(self) -> None:
        """Stop the task if it still runs (its result is not needed)."""
        if self._process is not None:
            self._receive.close()
            if self._process.is_alive():
                self._process.terminate()
            self._process.join()
            self._process = None


def _result(task: Callable[..., Any], args: tuple) -> Any | None:
    try:
        return task(*args)
    except Exception:  # the caller does without it
        return None


def _leave_interrupts_to_the_parent() -> None:
    """Ctrl-C reaches every process of the terminal's group: the parent stops the workers and says so once,
    instead of each worker printing its traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _send_result(send: Any, task: Callable[..., Any], args: tuple) -> None:
    _leave_interrupts_to_the_parent()
    send.send(_result(task, args))
    send.close()


def chunked(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def ordered_map(task: Callable[[Any], Any], items: Sequence[Any], jobs: int | None = None) -> Iterator[Any]:
    """``map(task, items)`` across ``jobs`` forked workers, yielded in order, a chunk at a time."""
    global _task
    jobs = default_jobs() if jobs is None else max(1, jobs)
    if jobs == 1 or len(items) < MIN_PARALLEL_ITEMS or not _can_fork():
        for item in items:
            yield task(item)
        return
    size = max(8, min(256, len(items) // (jobs * 8) or 1))
    _task = task
    try:
        with multiprocessing.get_context("fork").Pool(jobs, initializer=_leave_interrupts_to_the_parent) as pool:
            for results in pool.imap(_run_chunk, chunked(items, size)):
                yield from results
    finally:
        _task = None
