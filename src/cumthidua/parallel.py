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
    """Tasks worked out in turn in a forked process while this one goes on, each result sent as soon as it is
    ready: for tasks that wait on the system more than they compute and give small results. Where this process
    cannot fork, each is worked out when its result is asked for."""

    def __init__(self, *tasks: Callable[[], Any]):
        self._tasks = tasks
        self._process: Any = None
        self._values: list[Any] = []
        if not _can_fork():
            return
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_send_results, args=(send, tasks), daemon=True)
        self._process.start()
        send.close()

    def result(self, number: int = 0) -> Any | None:
        """The result of task ``number``, waiting for it; None when it failed. (When the process failed or was
        cancelled, the tasks it did not send are worked out here.)"""
        while len(self._values) <= number:
            if self._process is not None:
                self._values.append(self._receive_result())
            else:
                self._values.append(_result(self._tasks[len(self._values)]))
        return self._values[number]

    def _receive_result(self) -> Any | None:
        try:
            value = self._receive.recv()
        except (EOFError, OSError):
            value = None
        else:
            if len(self._values) + 1 < len(self._tasks):
                return value
        self.cancel()  # the last result, or none will come
        return value

    def cancel(self) -> None:
        """Stop the tasks if they still run (their results are not needed)."""
        if self._process is not None:
            self._receive.close()
            if self._process.is_alive():
                self._process.terminate()
            self._process.join()
            self._process = None


def _result(task: Callable[[], Any]) -> Any | None:
    try:
        return task()
    except Exception:  # the caller does without it
        return None


def _leave_interrupts_to_the_parent() -> None:
    """Ctrl-C reaches every process of the terminal's group: the parent stops the workers and says so once,
    instead of each worker printing its traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _send_results(send: Any, tasks: tuple[Callable[[], Any], ...]) -> None:
    """Each result is sent by a thread while the next task runs, so that a result bigger than a pipe holds (the
    content files' listing) cannot keep the next task waiting for the parent to read it."""
    _leave_interrupts_to_the_parent()
    sending: threading.Thread | None = None
    for task in tasks:
        value = _result(task)
        if sending is not None:
            sending.join()
        sending = threading.Thread(target=send.send, args=(value,))
        sending.start()
    if sending is not None:
        sending.join()
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
