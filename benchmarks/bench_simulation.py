"""Simulation speed on the default county.

Prints, for the bundled default county:

* the time of one county year (median and 90th percentile over many years);
* incidents per second with SimPy, next to the same model driven by a plain
  ``heapq`` event loop (``HeapqEnvironment`` below: the same model code, the
  same dispatch, supply and return logic, only the event kernel differs);
* 1,000 replications end to end (sampling, simulation, tidy frames) on 1 and
  2 processes, and the speed-up.

Run: ``python benchmarks/bench_simulation.py [--reps 1000] [--years 300]``.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import os
import platform
import statistics
import time
from collections.abc import Callable, Generator

import numpy as np

import scenarios
from sim import build_network, simulate
from sim.model import CountyModel
from sim.runner import events_for


class HeapqEvent:
    """The part of a SimPy event the county model uses: callbacks, a value, succeed()."""

    __slots__ = ("callbacks", "env", "triggered", "value")

    def __init__(self, env: HeapqEnvironment) -> None:
        self.env = env
        self.callbacks: list[Callable[[HeapqEvent], None]] = []
        self.value = None
        self.triggered = False

    def succeed(self, value=None) -> HeapqEvent:
        self.value = value
        self.triggered = True
        self.env.schedule(self, 0.0, priority=1)
        return self


class HeapqEnvironment:
    """A plain heapq event loop with SimPy's ordering: (time, priority, insertion)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.queue: list[tuple[float, int, int, HeapqEvent]] = []
        self.counter = itertools.count()
        self.processed = 0

    def schedule(self, event: HeapqEvent, delay: float, priority: int = 1) -> None:
        heapq.heappush(self.queue, (self.now + delay, priority, next(self.counter), event))

    def event(self) -> HeapqEvent:
        return HeapqEvent(self)

    def timeout(self, delay: float) -> HeapqEvent:
        event = HeapqEvent(self)
        event.triggered = True
        self.schedule(event, delay)
        return event

    def process(self, generator: Generator) -> None:
        start = HeapqEvent(self)
        start.callbacks.append(lambda _: self._resume(generator, None))
        self.schedule(start, 0.0, priority=0)

    def _resume(self, generator: Generator, value) -> None:
        try:
            target = generator.send(value)
        except StopIteration:
            return
        target.callbacks.append(lambda event: self._resume(generator, event.value))

    def run(self, until: float | None = None) -> None:
        queue = self.queue
        while queue and (until is None or queue[0][0] < until):
            when, _, _, event = heapq.heappop(queue)
            self.now = when
            self.processed += 1
            for callback in event.callbacks:
                callback(event)
        if until is not None:
            self.now = until


def time_years(network, years: int, seed: int, kernel: str) -> tuple[list[float], int, float]:
    """Per-year wall times, incidents simulated, and total weighted item penalty."""
    times, incidents, penalty = [], 0, 0.0
    for replication in range(years):
        events = events_for(network, seed, replication)
        start = time.perf_counter()
        environment = HeapqEnvironment() if kernel == "heapq" else None
        model = CountyModel(network, events, seed, replication, environment=environment)
        model.run()
        times.append(time.perf_counter() - start)
        incidents += len(model.event_rows)
        penalty += sum(row[20] + row[21] for row in model.event_rows)
    return times, incidents, penalty


def time_sampling(network, years: int, seed: int) -> list[float]:
    times = []
    for replication in range(years):
        start = time.perf_counter()
        events_for(network, seed, replication)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--years", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    scenario = scenarios.load()
    network = build_network(scenario)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )

    sampling = time_sampling(network, args.years, args.seed)
    print(f"hazard sampling per year: median {statistics.median(sampling) * 1e3:.2f} ms")
    results = {}
    for kernel in ("simpy", "heapq", "simpy", "heapq"):  # interleaved, second pass counts
        results[kernel] = time_years(network, args.years, args.seed, kernel)
    for kernel, (times, incidents, penalty) in results.items():
        print(
            f"{kernel:>5} county year: median {statistics.median(times) * 1e3:.2f} ms, "
            f"p90 {np.quantile(times, 0.9) * 1e3:.2f} ms, "
            f"{incidents / sum(times):,.0f} incidents/s, penalty sum {penalty:,.0f}"
        )
    ratio = (results["heapq"][1] / sum(results["heapq"][0])) / (
        results["simpy"][1] / sum(results["simpy"][0])
    )
    print(f"heapq loop / SimPy incidents-per-second ratio: {ratio:.2f}x")
    print(f"same results under both kernels: {results['simpy'][2] == results['heapq'][2]}")

    walls = {}
    for jobs in (1, 2):
        start = time.perf_counter()
        result = simulate(scenario, reps=args.reps, seed=args.seed, jobs=jobs)
        walls[jobs] = time.perf_counter() - start
        print(
            f"{args.reps} replications on {jobs} process(es): {walls[jobs]:.2f} s "
            f"({len(result.events):,} incidents, {len(result.items):,} item rows)"
        )
    print(f"speed-up 2 vs 1 processes: {walls[1] / walls[2]:.2f}x")


if __name__ == "__main__":
    main()
