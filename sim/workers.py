"""Process pools whose workers never outlive the process that started them.

A ``ProcessPoolExecutor`` worker waits on its task queue for ever once its
parent is gone: a parent killed by SIGKILL (or by a SIGTERM nothing turned
into an interrupt) left its workers idle, holding their memory, until someone
killed them by hand. Every pool of the project is made here, so the rule is in
one place:

* a worker asks the kernel for SIGKILL when its parent dies (Linux), or else
  watches its parent from a thread, and exits at once if the parent is already
  gone when it starts;
* a worker ignores SIGINT: Ctrl-C reaches the whole process group, and the
  parent, which owns the interruption, ends the workers itself (a worker that
  took the interrupt would print a traceback, or go on with the next task);
* leaving the pool by an exception (Ctrl-C included) cancels the queued tasks
  and ends the workers now instead of after every queued task.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing.context import BaseContext
from typing import Any

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
PARENT_POLL_S = 1.0


@contextmanager
def process_pool(
    jobs: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
    mp_context: BaseContext | None = None,
) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``jobs`` workers that die with this process; an exception stops them now."""
    pool = ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=mp_context,
        initializer=_start_worker,
        initargs=(os.getpid(), initializer, initargs),
    )
    try:
        yield pool
    except BaseException:
        stop_now(pool)
        raise
    else:
        pool.shutdown(wait=True)


def stop_now(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers now rather than after their task."""
    # Python 3.14 has terminate_workers(); before it the process table is the only handle,
    # and shutdown() forgets it, so take it first.
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in workers:
        process.terminate()


def _start_worker(
    parent_pid: int, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]
) -> None:
    """A pool worker's first act: tie it to its parent, then the caller's initializer."""
    end_with_parent(parent_pid)
    leave_interrupts_to_parent()
    if initializer is not None:
        initializer(*initargs)


def end_with_parent(parent_pid: int) -> None:
    """End this process when ``parent_pid``, its parent, dies, however it dies."""
    if not _kernel_kills_orphan():
        threading.Thread(
            target=_watch_parent, args=(parent_pid,), name="parent watch", daemon=True
        ).start()
    # The parent may have died before the line above took effect (it then never will):
    # the orphan has been handed to another parent by now.
    if os.getppid() != parent_pid:
        os._exit(1)


def leave_interrupts_to_parent() -> None:
    """Ignore Ctrl-C here: the parent gets it too and ends this process itself.

    SIGTERM, the parent's way of ending a worker, ends it at once: a forked worker
    inherits the command's own SIGTERM handler (stop as Ctrl-C does), under which the
    pool's worker loop caught the interrupt as a task's failure and went on to the next.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _kernel_kills_orphan() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; False where it cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL_S)
    os._exit(1)
