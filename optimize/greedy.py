"""The greedy baseline: buy, lot by lot, what the simulation says saves the most per yuan.

This is what a careful analyst with a simulator and no optimizer would do. Each
step simulates the current plan, lists the items that fell short (by penalty,
and the township or county depot that would have served them), simulates one
lot more of each candidate on the same replications, and buys the lot with the
largest drop in weighted unmet demand per yuan. Greedy marginal analysis is a
heuristic here: lots are lumpy and stock interacts across events.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from scenarios.plan import Plan
from sim import simulate
from sim.metrics import weighted_mean, weighted_unmet_per_year
from sim.network import CountyNetwork

GREEDY_REPLICATIONS = 3_000_000


def _candidates(network: CountyNetwork, items: pd.DataFrame, limit: int) -> list[tuple[int, int]]:
    """(item, depot) pairs behind the largest shortfalls: the township depot, then the county's."""
    short = items[items["shortfall_yuan"] > 0]
    if short.empty:
        return []
    ranked = (
        short.groupby(["item_id", "township_id"], observed=True)["shortfall_yuan"]
        .sum()
        .sort_values(ascending=False)
    )
    depots = {
        (network.depot_tier[k], int(network.depot_town[k])): k
        for k in range(len(network.depot_ids))
    }
    # The county depot of each county (the one that serves it: sim.network's sources).
    county = {
        int(network.township_county[network.depot_town[k]]): k
        for k in reversed(range(len(network.depot_ids)))
        if network.depot_tier[k] == "county"
    }
    found: list[tuple[int, int]] = []
    for item_id, township_id in ranked.index:
        item = network.item_ids.index(str(item_id))
        town = network.township_ids.index(str(township_id))
        home = county.get(int(network.township_county[town]))
        for depot in (depots.get(("township", town)), home):
            if depot is not None and (item, depot) not in found:
                found.append((item, depot))
        if len(found) >= limit:
            break
    return found[:limit]


def greedy(
    network: CountyNetwork,
    budget_yuan: float,
    seed: int,
    steps: int = 8,
    candidates: int = 8,
    reps: int = 60,
    progress: Callable[[int], None] | None = None,
) -> Plan:
    """Spend ``budget_yuan`` in ``steps`` lots, each on the best simulated saving per yuan."""
    scenario = network.scenario
    plan = Plan("greedy")
    lot_yuan = budget_yuan / max(steps, 1)
    left = budget_yuan
    # Its own replications, apart from those plans are judged on, so that greedy
    # is not tuned to the very years it is then scored on.
    first = GREEDY_REPLICATIONS
    for _ in range(2 * steps):  # leftovers smaller than a lot take a few more steps
        if left <= 0:
            break
        current = simulate(scenario, plan, reps=reps, seed=seed, first_replication=first)
        base = weighted_mean(weighted_unmet_per_year(current), current.weights)
        best: tuple[float, Plan, float] | None = None
        for item, depot in _candidates(network, current.items, candidates):
            price = float(network.item_price_yuan[item])
            units = int(min(max(1, lot_yuan // price), left // price))
            if units <= 0:
                continue
            trial = plan.with_units(network.item_ids[item], network.depot_ids[depot], units)
            result = simulate(scenario, trial, reps=reps, seed=seed, first_replication=first)
            after = weighted_mean(weighted_unmet_per_year(result), result.weights)
            saving = (base - after) / (units * price)
            if best is None or saving > best[0]:
                best = (saving, trial, units * price)
            if progress:
                progress(1)
        if best is None or best[0] <= 0 or not np.isfinite(best[0]):
            break
        _, plan, spent = best
        left -= spent
    return plan
