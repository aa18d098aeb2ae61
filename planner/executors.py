"""Where sweep cells run: this process, a local process pool, or a Dask cluster.

All three call the same function on the same inputs and hand each result back
to the caller as it finishes; only the caller writes files, so Dask workers on
other machines need no shared disk.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import as_completed
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from itertools import islice
from multiprocessing import resource_tracker
from typing import Any

from planner.errors import RequestError
from sim.workers import leave_interrupts_to_parent, process_pool

Outcome = Any  # what the function returned, or the exception that lost its task


@dataclass
class Executor:
    """Runs tasks and yields ``(task, outcome)`` as each finishes."""

    description: str
    slots: int
    _run: Callable[[Callable[[Any], Any], list[Any]], Iterator[tuple[Any, Outcome]]] = field(
        repr=False
    )

    def run(self, function: Callable[[Any], Any], tasks: Iterable[Any]) -> Iterator[tuple]:
        """Call ``function`` on every task; a task lost with its worker yields the exception."""
        return self._run(function, list(tasks))


@contextmanager
def open_executor(
    jobs: int = 1,
    scheduler: str | None = None,
    local_cluster: int | None = None,
    connect_timeout_s: float = 20.0,
) -> Iterator[Executor]:
    """The executor asked for: ``scheduler`` or ``local_cluster`` mean Dask, else ``jobs``."""
    if scheduler is not None or local_cluster is not None:
        # A local cluster's nannies write their workers' settings into this process's
        # environment (Dask's pre-spawn-environ), where later child processes would
        # inherit them.
        with _environ_restored(), _dask(scheduler, local_cluster, connect_timeout_s) as executor:
            yield executor
    elif jobs > 1:
        with _pool(jobs) as executor:
            yield executor
    else:
        yield Executor("this process", 1, _serial)


def _serial(function: Callable[[Any], Any], tasks: list[Any]) -> Iterator[tuple]:
    for task in tasks:
        yield task, function(task)


# Each worker runs one cell at a time on one core, so its numeric libraries should not
# start threads of their own (Dask's nanny sets the same for its workers).
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@contextmanager
def _environ_restored() -> Iterator[None]:
    """Whatever this block sets in ``os.environ`` for its children is undone after it."""
    saved = dict(os.environ)
    try:
        yield
    finally:
        for key in set(os.environ) - set(saved):
            del os.environ[key]
        os.environ.update(saved)


@contextmanager
def _pool(jobs: int) -> Iterator[Executor]:
    with _environ_restored():
        os.environ.update(ONE_THREAD)  # inherited by the workers spawned next
        with _started_pool(jobs) as executor:
            yield executor


@contextmanager
def _started_pool(jobs: int) -> Iterator[Executor]:
    # Spawned, not forked: a fork copies HiGHS's thread pool without its threads, and a
    # worker's first solve then waits forever for them (seen after a solve in the parent).
    with process_pool(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:

        def run(function: Callable[[Any], Any], tasks: list[Any]) -> Iterator[tuple]:
            futures = {pool.submit(function, task): task for task in tasks}
            for future in as_completed(futures):
                yield futures[future], _outcome(future)

        yield Executor(f"{jobs} processes", jobs, run)


def _outcome(future) -> Outcome:
    """A finished future's result, or the exception that lost its task (a worker gone)."""
    try:
        return future.result()
    except Exception as error:  # a lost worker fails its task only
        return error


# Dask's defaults suit interactive work on workers that hold large data; a sweep cell is
# seconds of CPU with small results, and on a machine whose cores all run cells every
# wake-up of a Dask process takes time from one. So a local cluster:
# * checks its event loop's health every 500 ms, not 20 ms, its host every 5 s and the
#   workers' memory every 2 s (together a sixth of the idle CPU of the defaults);
# * does not sample the task's stack every 10 ms for the profiler, which on a cell's
#   deep SimPy generator stacks costs about a twentieth of the cell;
# * leaves MALLOC_TRIM_THRESHOLD_ unset (None removes it from what a nanny hands its
#   worker): setting it also switches off glibc's adaptive mmap threshold, so every
#   array over 128 KiB is mapped, faulted in page by page and unmapped again: 20-35
#   times the page faults and 10-20% longer cells.
LOCAL_WORKER_CONFIG = {
    "distributed.admin.tick.interval": "500ms",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "2s",
    "distributed.worker.profile.enabled": False,
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
}


@contextmanager
def _dask(
    scheduler: str | None, local_cluster: int | None, connect_timeout_s: float
) -> Iterator[Executor]:
    from distributed import Client

    logging.getLogger("distributed").setLevel(logging.ERROR)
    cluster = None
    if scheduler is None:
        cluster = _local_cluster(local_cluster)
        client = Client(cluster)
        where = f"a local Dask cluster of {local_cluster} workers"
    else:
        client = _connect(Client, scheduler, connect_timeout_s)
        where = f"the Dask cluster at {scheduler}"
    try:
        slots = sum(client.nthreads().values())
        if slots == 0:
            raise RequestError(f"the Dask cluster at {scheduler} has no workers")
        yield Executor(f"{where} ({slots} threads)", slots, _dask_runner(client))
    except BaseException:
        if cluster is not None:
            _stop_local_workers(cluster)
        raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _local_cluster(workers: int | None):
    """A cluster of worker processes on this machine, its nannies in this process."""
    import dask
    from distributed import LocalCluster

    with dask.config.set(LOCAL_WORKER_CONFIG), _interrupts_held() as held:
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
            # A worker still beating its heart as the cluster closes logs an error
            # with a traceback; a cell's own errors come back with its result.
            silence_logs=logging.CRITICAL,
            # Runs dask_setup below in each worker process as it starts.
            preload=[__name__],
        )
    if held:
        cluster.close()
        raise KeyboardInterrupt
    return cluster


@contextmanager
def _interrupts_held() -> Iterator[list[int]]:
    """Ctrl-C in this block is only noted in the list; processes started in it never take it."""
    # Ctrl-C inside LocalCluster() leaves it half-built (Dask's exit hook then fails with
    # a traceback) and reaches workers still starting, before dask_setup ignores it. So
    # the handler notes it, in whatever thread it lands, and it is blocked in the threads
    # started here, whose mask the worker processes they spawn keep for good.
    held: list[int] = []
    if threading.current_thread() is not threading.main_thread() or os.name != "posix":
        yield held
        return
    resource_tracker.ensure_running()  # starting it unblocks SIGINT in the starting thread
    previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield held
    finally:
        # Unblocking runs the handler for a Ctrl-C still pending, before it is replaced.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        signal.signal(signal.SIGINT, previous or signal.default_int_handler)


def dask_setup(worker) -> None:
    """Dask's preload hook, in each local worker: Ctrl-C is the CLI's to handle, not its."""
    # Ctrl-C reaches the whole process group; a worker that took it would print the
    # KeyboardInterrupt of its event loop, a traceback for each worker.
    leave_interrupts_to_parent()


def _stop_local_workers(cluster) -> None:
    """End the workers after a short grace instead of waiting for their running cells."""
    import asyncio

    # A closing cluster lets each worker finish its task for up to 4 s before its nanny
    # ends it (10 s seen on an interrupted sweep); the cells are lost either way.
    async def stop() -> None:
        closing = (nanny.close(timeout=1) for nanny in cluster.workers.values())
        await asyncio.gather(*closing, return_exceptions=True)

    # What this did not stop, cluster.close() does; its error must not hide the interrupt.
    with suppress(Exception):
        cluster.sync(stop)


def _connect(client_type: type, address: str, timeout_s: float):
    try:
        return client_type(address, timeout=timeout_s)
    except (OSError, TimeoutError, ValueError) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise RequestError(f"cannot reach the Dask scheduler at {address}: {reason}") from None


# Tasks handed to the scheduler ahead of those running, per worker thread: each is kept
# there pickled until it finishes (a county's scenario, 0.27 MB for the bundled one), so a
# 500-cell province is handed out a few at a time, not all at once.
AHEAD_PER_SLOT = 2


def _dask_runner(client) -> Callable[[Callable[[Any], Any], list[Any]], Iterator[tuple]]:
    from distributed import as_completed as dask_completed

    def run(function: Callable[[Any], Any], tasks: list[Any]) -> Iterator[tuple]:
        waiting = iter(tasks)
        futures: dict[Any, Any] = {}

        added = _submit(client, function, waiting, futures, AHEAD_PER_SLOT)
        running = dask_completed(added)
        try:
            for future in running:
                task = futures.pop(future)
                yield task, _outcome(future)
                for more in _submit(client, function, waiting, futures, AHEAD_PER_SLOT):
                    running.add(more)
        finally:
            client.cancel(list(futures))

    return run


def _submit(client, function: Callable[[Any], Any], waiting: Iterator, futures: dict, ahead: int):
    """Submit tasks from ``waiting`` until ``ahead`` per worker thread are in ``futures``."""
    # workers that join (or leave) the cluster change how many are kept handed out
    room = ahead * max(sum(client.nthreads().values()), 1) - len(futures)
    added = []
    for task in islice(waiting, max(room, 0)):
        future = client.submit(function, task, pure=False)
        futures[future] = task
        added.append(future)
    return added
