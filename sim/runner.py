"""Replications: seeds, serial and multi-process runs, identical results either way.

Replication *k* draws its events from ``SeedSequence(seed, spawn_key=(k, 0))``
and each event's service noise from ``spawn_key=(k, 1, event_id)``, so it sees
the same events under every plan and in every process layout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import as_completed

import numpy as np

from scenarios.plan import Plan
from scenarios.schema import ITEM_CATEGORIES, Scenario
from scenarios.size import check_run_size
from sim.hazards import Event, draw_events, replay_events, replication_weights
from sim.model import CountyModel
from sim.network import CountyNetwork, build_network
from sim.records import Records, SimulationResult, to_frames
from sim.rows import StockRow
from sim.workers import process_pool

DEPOT_TIERS = ("county", "township", "village")
Progress = Callable[[int], None]


def hazard_stream(seed: int, replication: int) -> np.random.Generator:
    """The generator that draws replication ``replication``'s events."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replication, 0)))


def events_for(network: CountyNetwork, seed: int, replication: int) -> list[Event]:
    """The events replication ``replication`` faces: sampled, or replayed from the event table."""
    hazard_rng = hazard_stream(seed, replication)
    if network.scenario.replay is not None:
        return replay_events(network.scenario, network, replication, hazard_rng)
    return draw_events(network.scenario, network, hazard_rng)


def run_replication(network: CountyNetwork, seed: int, replication: int) -> CountyModel:
    """Simulate one county year and return the finished model (its rows and its stock)."""
    events = events_for(network, seed, replication)
    return CountyModel(network, events, seed, replication).run()


def _stock_rows(network: CountyNetwork, model: CountyModel) -> list[StockRow]:
    """Value per tier and category of all the year holds (arrivals too) and of its end stock."""
    tiers = np.array([DEPOT_TIERS.index(t) for t in network.depot_tier])
    rows = []
    for tier in np.unique(tiers):
        start = network.year_stock[tiers == tier].sum(axis=0) * network.item_price_yuan
        end = model.stock_at_horizon[tiers == tier].sum(axis=0) * network.item_price_yuan
        for category in range(len(ITEM_CATEGORIES)):
            mask = network.item_category == category
            rows.append(
                StockRow(
                    replication=model.replication,
                    tier=int(tier),
                    category=category,
                    start_value_yuan=float(start[mask].sum()),
                    end_value_yuan=float(end[mask].sum()),
                )
            )
    return rows


def run_chunk(network: CountyNetwork, seed: int, replications: Sequence[int]) -> Records:
    """Run several replications in this process and collect their rows."""
    records = Records([], [], [], [], [], [])
    for replication in replications:
        model = run_replication(network, seed, replication)
        records.events.extend(model.event_rows)
        records.items.extend(model.item_rows)
        records.dispatches.extend(model.dispatch_rows)
        records.stock.extend(_stock_rows(network, model))
        records.calls.extend(model.call_rows)
        records.end_stock.append(model.stock.copy())
    return records


_WORKER_NETWORK: CountyNetwork | None = None


def _init_worker(scenario: Scenario, plan: Plan | None) -> None:
    global _WORKER_NETWORK  # noqa: PLW0603 - one network per worker process, built once
    _WORKER_NETWORK = build_network(scenario, plan)


def _worker_chunk(seed: int, replications: Sequence[int]) -> tuple[int, Records]:
    assert _WORKER_NETWORK is not None
    return replications[0], run_chunk(_WORKER_NETWORK, seed, replications)


def _chunks(replications: Sequence[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(replications), size):
        yield list(replications[start : start + size])


def simulate(
    scenario: Scenario,
    plan: Plan | None = None,
    reps: int = 100,
    seed: int | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
    first_replication: int = 0,
) -> SimulationResult:
    """Run ``reps`` replications and return tidy frames, identical for any ``jobs``.

    A replay table with year probabilities gives the result its replications'
    weights, which every summary of it uses.

    Parameters
    ----------
    scenario, plan
        The county, and an optional plan applied to its starting state.
    reps
        Number of simulated years; refused (:class:`scenarios.InputError`) when their
        expected events exceed :data:`scenarios.size.MAX_RUN_EVENTS`.
    seed
        Base seed; ``None`` uses the scenario's seed.
    jobs
        Worker processes; 1 runs in this process.
    progress
        Called with the number of replications just finished.
    first_replication
        Index of the first replication (to extend an earlier run).
    """
    check_run_size(scenario, reps)  # refused in one line, not after filling the memory
    seed = scenario.seed if seed is None else seed
    replications = list(range(first_replication, first_replication + reps))
    network = build_network(scenario, plan)
    chunk = max(1, min(50, reps // (4 * max(jobs, 1)) or 1))
    parts: dict[int, Records] = {}
    if jobs <= 1:
        for part in _chunks(replications, chunk):
            parts[part[0]] = run_chunk(network, seed, part)
            if progress:
                progress(len(part))
    else:
        with process_pool(jobs, _init_worker, (scenario, plan)) as pool:
            futures = {
                pool.submit(_worker_chunk, seed, part): len(part)
                for part in _chunks(replications, chunk)
            }
            for future in as_completed(futures):
                start, records = future.result()
                parts[start] = records
                if progress:
                    progress(futures[future])
    merged = Records([], [], [], [], [], [])
    for start in sorted(parts):
        merged.events.extend(parts[start].events)
        merged.items.extend(parts[start].items)
        merged.dispatches.extend(parts[start].dispatches)
        merged.stock.extend(parts[start].stock)
        merged.calls.extend(parts[start].calls)
        merged.end_stock.extend(parts[start].end_stock)
    weights = replication_weights(scenario, replications)
    return to_frames(merged, network, np.array(replications), weights)
