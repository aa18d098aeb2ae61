"""A simulation-judged improvement step after the SAA solve.

The SAA plan is optimal for the model; the simulation is the judge. This step
tries to move one lot of money at a time: away from the purchase whose marginal
saving per yuan (``optimize.marginal``) is lowest, to the item and depot whose
marginal saving per yuan is highest. A move is kept only when the paired
simulation on common random numbers, on a block of replications of its own
(:data:`IMPROVE_OFFSET`, apart from the optimiser's, the judging and every other
block), lowers the headline with 95% confidence; a move that would break one
of the scenario's planning rules is not tried. When the objective credits
what a list carries into next year (``[objective] value_carried``), a move is
judged on the shortfall less that credit, the solve's own. What the
kept moves gain is then measured again on the judging years, which chose nothing.

If it gains significantly there, the model still disagrees with the simulation
somewhere; if it does not, the SAA plan is as good as the simulation can tell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import pandas as pd

from optimize.model import NO_CREDIT, CarriedCredit, carried_yuan
from scenarios.plan import Plan
from scenarios.rules import breaches
from scenarios.schema import Scenario
from sim import simulate
from sim.hazards import replication_weights
from sim.metrics import mean_ci, weighted_unmet_per_year
from sim.network import CountyNetwork

IMPROVE_OFFSET = 5_000_000  # the improvement step's own years, clear of every other block
LOT_SHARE = 0.01  # a move shifts about this share of the plan's purchase money


@dataclass(frozen=True, slots=True)
class Move:
    """One tried move of money and what the paired simulation said of it (yuan-equivalent/yr)."""

    from_item: str
    from_depot: str
    units_removed: int
    to_item: str
    to_depot: str
    units_added: int
    change_mean: float  # moved plan minus plan before, per year (negative: better)
    change_ci: tuple[float, float]
    kept: bool
    credit_change: float = 0.0  # the change in the credit for what the list carries over


def _ranked(marginal: pd.DataFrame, plan: Plan) -> tuple[list[tuple[str, str]], list]:
    """Purchases held, lowest saving per yuan first; places to buy, highest first.

    A purchase with no marginal value (no event in the sample asks for it there)
    saves nothing per yuan.
    """
    rows = marginal[(marginal["kind"] == "purchase") & marginal["saving_per_yuan"].notna()]
    keys = list(zip(rows["item_id"], rows["depot_id"], strict=True))
    value = dict(zip(keys, rows["saving_per_yuan"], strict=True))
    held = sorted({(p.item_id, p.depot_id) for p in plan.purchases})
    givers = sorted(held, key=lambda k: value.get(k, 0.0))
    takers = sorted((k for k in keys if value[k] > 0), key=lambda k: -value[k])
    return givers, takers


def improve(
    scenario: Scenario,
    network: CountyNetwork,
    plan: Plan,
    marginal: pd.DataFrame,
    seed: int,
    reps: int,
    tries: int = 6,
    credit: CarriedCredit = NO_CREDIT,
) -> tuple[Plan, list[Move]]:
    """Try ``tries`` moves guided by the marginal values; keep those the simulation confirms.

    Each move takes ``LOT_SHARE`` of the plan's purchase money, or the price of
    one unit of the taker if more (at least one unit, at most what is held), from
    the giver and buys whole units of the taker with what it frees, so the plan
    never costs more. Returns the plan after the kept moves (with the id
    ``improved`` when any was kept) and every move tried. ``credit``: the
    solve's credit for what a list leaves for next year (none by default).
    """
    prices = dict(zip(network.item_ids, network.item_price_yuan.tolist(), strict=True))
    lot_yuan = LOT_SHARE * plan.purchase_cost_yuan(scenario)
    givers, takers = _ranked(marginal, plan)
    current = _yearly(scenario, plan, seed, reps)
    weights = replication_weights(scenario, current.index.tolist())
    moves: list[Move] = []
    for give in givers:
        if len(moves) >= tries:
            break
        held = sum(p.quantity for p in plan.purchases if (p.item_id, p.depot_id) == give)
        money = held * prices[give[0]]
        # The next place to buy, in turn, that the giver's holding can pay for within the rules.
        turn = takers[len(moves) :] + takers[: len(moves)]
        found = next(
            (
                move
                for t in turn
                if t != give and prices[t[0]] <= money
                for move in [_trial(scenario, plan, give, t, held, lot_yuan, prices)]
                if move is not None
            ),
            None,
        )
        if found is None:
            continue
        take, removed, added, trial = found
        after = _yearly(scenario, trial, seed, reps)
        gained = credit.worth * (
            carried_yuan(network, trial, credit) - carried_yuan(network, plan, credit)
        )
        change, low, high = mean_ci(after - current - gained, weights=weights)
        kept = bool(high < 0)
        moves.append(Move(*give, removed, *take, added, change, (low, high), kept, gained))
        if kept:
            plan, current = trial, after
    if any(move.kept for move in moves):
        plan = replace(plan, plan_id="improved")
    return plan, moves


def _trial(scenario, plan: Plan, give, take, held: int, lot_yuan: float, prices: dict):
    """(take, units removed, units added, moved plan), or ``None`` if it breaks a planning rule.

    A lot of money, or enough for one unit of what is bought, whichever is more.
    """
    lot = max(lot_yuan, prices[take[0]])
    removed = min(held, max(1, math.ceil(lot / prices[give[0]] - 1e-9)))
    added = math.floor(removed * prices[give[0]] / prices[take[0]] + 1e-9)
    trial = plan.with_units(*give, -removed).with_units(*take, added)
    if breaches(trial, scenario):
        return None
    return take, removed, added, trial


def _yearly(scenario: Scenario, plan: Plan, seed: int, reps: int) -> pd.Series:
    """The plan's headline per year on the improvement step's own replications."""
    result = simulate(scenario, plan, reps=reps, seed=seed, first_replication=IMPROVE_OFFSET)
    return weighted_unmet_per_year(result)
