"""Where sweep cells run: this process, a local process pool, or a Dask cluster.

All three call the same function on the same inputs and hand each result back
to the caller as it finishes; only the caller writes files, so Dask workers on
other machines need no shared disk.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from planner.errors import RequestError

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
        with _dask(scheduler, local_cluster, connect_timeout_s) as executor:
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
def _one_thread_children() -> Iterator[None]:
    """Child processes started inside this block inherit one-thread settings."""
    saved = {key: os.environ.get(key) for key in ONE_THREAD}
    os.environ.update(ONE_THREAD)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def _pool(jobs: int) -> Iterator[Executor]:
    with _one_thread_children(), _started_pool(jobs) as executor:
        yield executor


@contextmanager
def _started_pool(jobs: int) -> Iterator[Executor]:
    # Spawned, not forked: a fork copies HiGHS's thread pool without its threads, and a
    # worker's first solve then waits forever for them (seen after a solve in the parent).
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))

    def run(function: Callable[[Any], Any], tasks: list[Any]) -> Iterator[tuple]:
        futures = {pool.submit(function, task): task for task in tasks}
        for future in as_completed(futures):
            try:
                outcome = future.result()
            except Exception as error:  # a lost worker fails its task only
                outcome = error
            yield futures[future], outcome

    try:
        yield Executor(f"{jobs} processes", jobs, run)
    except BaseException:
        _stop_now(pool)
        raise
    else:
        pool.shutdown(wait=True)


def _stop_now(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers now rather than after their cell."""
    # Python 3.14 has terminate_workers(); before it the process table is the only handle,
    # and shutdown() forgets it, so take it first.
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in workers:
        process.terminate()


@contextmanager
def _dask(
    scheduler: str | None, local_cluster: int | None, connect_timeout_s: float
) -> Iterator[Executor]:
    import dask
    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.ERROR)
    cluster = None
    if scheduler is None:
        # A worker samples its task's stack every 10 ms for Dask's profiler; on a cell's
        # deep SimPy generator stacks that cost about a tenth of the cell's time.
        with dask.config.set({"distributed.worker.profile.enabled": False}):
            cluster = LocalCluster(
                n_workers=local_cluster,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                host="127.0.0.1",
            )
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
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _connect(client_type: type, address: str, timeout_s: float):
    try:
        return client_type(address, timeout=timeout_s)
    except (OSError, TimeoutError, ValueError) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise RequestError(f"cannot reach the Dask scheduler at {address}: {reason}") from None


def _dask_runner(client) -> Callable[[Callable[[Any], Any], list[Any]], Iterator[tuple]]:
    from distributed import as_completed as dask_completed

    def run(function: Callable[[Any], Any], tasks: list[Any]) -> Iterator[tuple]:
        futures = {client.submit(function, task, pure=False): task for task in tasks}
        try:
            for future in dask_completed(list(futures)):
                try:
                    outcome = future.result()
                except Exception as error:  # a lost worker fails its task only
                    outcome = error
                yield futures[future], outcome
        finally:
            client.cancel(list(futures))

    return run
