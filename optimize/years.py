"""A plan over several years: each year's budget replaces what left, the rest is optimised.

Year by year, from the scenario's plan year (``[ledger] plan_year``):

1. the budget first replaces what left the ledger at the end of the year before
   (failed, rotated, scrapped), like for like in the same depot, most critical
   item first, as far as the money goes; village stores get back, from their
   villages' own money and outside the county's budget, all that left them,
   used up included (``[ledger] villages_restock``); bought in the year, these
   reach their depots with its purchases, after the lead time (``[delivery]``);
2. the rest of the budget is optimised (:func:`optimize.model.build_problem` under
   the scenario's rules) with the stock carried over, on the same sampled years
   every year;
3. the year is simulated with that plan on the same judging years every year
   (common random numbers across the years, so a change between years is the
   stock's, not the weather's); what the events used up and lost, averaged over
   the judging years and rounded to whole units, leaves the oldest lots first
   (first in, first out);
4. the ledger ages through the year (:func:`scenarios.ledger.close_year`).

Upkeep is reported, not paid from the procurement budget. Every unit is accounted
for: a year's opening lots + bought = used + failed + rotated + scrapped + kept.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from optimize.demand import sample_years
from optimize.evaluate import outcomes_per_year
from optimize.model import Budgets, build_problem, extract_plan, solve
from optimize.records import LEAVING_WAYS, JudgedYear, LeavingRow, PurchaseRow, YearRow
from scenarios import rules
from scenarios.ledger import Lot, close_year, opening_lots, upkeep_yuan
from scenarios.schema import Scenario, StockLine
from sim import build_network, simulate
from sim.metrics import mean_ci, weighted_mean, weighted_unmet_per_year


@dataclass(frozen=True, slots=True)
class YearsSettings:
    """How each year is planned and judged: the sample, the judging years, the solver."""

    sampled_years: int = 200
    reps: int = 200
    seed: int | None = None
    jobs: int = 1
    time_limit_s: float = 120.0
    mip_gap: float = 1e-3
    threads: int | None = None  # HiGHS's threads; None: its default, half the cores


@dataclass(frozen=True, slots=True)
class YearsPlan:
    """The plan over the years: a row per year, the purchase lines, what left, each judged year."""

    years: tuple[YearRow, ...]
    purchases: tuple[PurchaseRow, ...]
    leaving: tuple[LeavingRow, ...]
    closing: tuple[Lot, ...]  # the ledger at the end of the last year
    judged: tuple[JudgedYear, ...]  # a row per planned year and judging year
    sampled_years: int
    reps: int


class PlanningError(ValueError):
    """A year's plan cannot be made (its rules cannot be met with the money left, no plan)."""


def plan_years(
    scenario: Scenario,
    budgets_yuan: Sequence[float],
    settings: YearsSettings | None = None,
    progress: Callable[[str], None] | None = None,
) -> YearsPlan:
    """Plan a year for each budget, from the scenario's plan year, one by one."""
    request = settings or YearsSettings()
    seed = scenario.seed if request.seed is None else request.seed
    prices = {item.item_id: item.unit_price_yuan for item in scenario.items}
    lots = list(opening_lots(scenario))
    left: list[Lot] = []  # what left the ledger at the end of the year before
    villages: list[Lot] = []  # what the village stores get back this year
    years, purchases, leaving, judged = [], [], [], []
    for number, budget in enumerate(budgets_yuan):
        year = scenario.ledger.plan_year + number
        if progress:
            progress(f"{year}: replacing, optimising, simulating")
        replaced = _replace(scenario, left, budget, year)
        lots += replaced + villages
        money = budget - _cost(replaced, prices)
        holding = _holding(scenario, lots, year, replaced + villages)
        county, lowered = _floors_that_fit(holding, money)
        plan, report = _optimise(county, money, request, seed, year)
        bought = [Lot(p.depot_id, p.item_id, year, p.quantity) for p in plan.purchases]
        lots += bought
        held = (_cost(lots, prices), upkeep_yuan(scenario, lots))  # through the year
        result = simulate(county, plan, reps=request.reps, seed=seed, jobs=request.jobs)
        judged += _judged(year, result)
        used = _used_up(build_network(county, plan), result.mean_end_stock())
        lots, taken = _take_oldest(lots, used)
        closed = close_year(scenario, lots, year)
        lots = list(closed.kept)
        left = [*closed.failed, *closed.rotated, *closed.scrapped]
        purchases += [_line(year, "village", lot, prices) for lot in villages]
        purchases += [_line(year, "replacement", lot, prices) for lot in replaced]
        purchases += [_line(year, "new", lot, prices) for lot in bought]
        for how, gone in zip(
            LEAVING_WAYS, (taken, closed.failed, closed.rotated, closed.scrapped), strict=True
        ):
            leaving += [_left(year, how, lot, prices) for lot in gone]
        years.append(
            replace(
                _year_row(year, budget, (replaced, bought), held, lots, result, report, prices),
                floors_lowered=lowered,
                village_restocked_yuan=_cost(villages, prices),
            )
        )
        villages = _village_restock(scenario, [*taken, *left], year + 1)
    return YearsPlan(tuple(years), tuple(purchases), tuple(leaving), tuple(lots),
                     tuple(judged), request.sampled_years, request.reps)  # fmt: skip


def _replace(scenario: Scenario, left: Sequence[Lot], budget: float, year: int) -> list[Lot]:
    """Like for like in the same depot, most critical item first, as far as the money goes.

    Only in the depots the county buys for: village stores are restocked by the villages.
    """
    items = {item.item_id: item for item in scenario.items}
    tiers = rules.purchase_tiers(scenario)
    bought_for = {depot.depot_id for depot in scenario.depots if depot.tier in tiers}
    ours = [lot for lot in left if lot.depot_id in bought_for]
    order = sorted(ours, key=lambda lot: (-items[lot.item_id].criticality_weight, lot.item_id))
    money, bought = budget, []
    for lot in order:
        price = items[lot.item_id].unit_price_yuan
        units = min(lot.quantity, math.floor(money / price + 1e-9))
        if units > 0:
            bought.append(Lot(lot.depot_id, lot.item_id, year, units))
            money -= units * price
    return _merged(bought)


def _village_restock(scenario: Scenario, gone: Sequence[Lot], year: int) -> list[Lot]:
    """What the village stores get back in ``year``: all that left them, like for like."""
    if not scenario.ledger.villages_restock:
        return []
    villages = {depot.depot_id for depot in scenario.depots if depot.tier == "village"}
    return _merged([replace(lot, purchase_year=year, assumed_year=False)
                    for lot in gone if lot.depot_id in villages])  # fmt: skip


def _merged(lots: Sequence[Lot]) -> list[Lot]:
    """Lots of the same depot, item and year as one."""
    totals: dict[tuple[str, str, int], int] = {}
    for lot in lots:
        key = (lot.depot_id, lot.item_id, lot.purchase_year)
        totals[key] = totals.get(key, 0) + lot.quantity
    return [Lot(depot, item, year, units) for (depot, item, year), units in totals.items()]


def _floors_that_fit(county: Scenario, money: float) -> tuple[Scenario, str]:
    """The county with the share floors its holding ceilings cannot meet this year lowered.

    Stock bought in earlier years fills the depots to their ceilings, so a
    category's floor share of the year's money may find no room left; the floor
    is lowered to what fits of the money (and the year says so) instead of the
    year failing or its spending being capped.
    """
    lowered = rules.floors_that_fit(county, money)
    if not lowered:
        return county, ""
    shares = {"category": dict(county.rules.category_share), "tier": dict(county.rules.tier_share)}
    for (kind, group), floor in lowered.items():
        shares[kind][group] = (floor, shares[kind][group][1])
    changed = county.rules.model_copy(
        update={"category_share": shares["category"], "tier_share": shares["tier"]}
    )
    said = "; ".join(
        f"{group} floor to {floor:.2%}" for (_, group), floor in sorted(lowered.items())
    )
    return county.model_copy(update={"rules": changed}), said


def _holding(
    scenario: Scenario, lots: Sequence[Lot], year: int, ordered: Sequence[Lot]
) -> Scenario:
    """The county in ``year``, holding ``lots`` (one stock line per depot, item and year).

    The lots ``ordered`` in ``year`` itself (its replacements, the villages'
    restocking) are on order: they reach their depots with the year's purchases,
    after the lead time ([delivery]). Stock held at the plan year's start is on
    hand, whatever year it is dated (a one-year item held then is dated that year).
    """
    on_order = {(lot.depot_id, lot.item_id, lot.purchase_year) for lot in ordered}
    stock = tuple(
        StockLine(
            depot_id=d, item_id=i, quantity=q, purchase_year=y, on_order=(d, i, y) in on_order
        )
        for d, i, y, q in sorted(
            (lot.depot_id, lot.item_id, lot.purchase_year, lot.quantity)
            for lot in _merged(lots)
            if lot.quantity > 0
        )
    )
    ledger = scenario.ledger.model_copy(update={"plan_year": year})
    return scenario.model_copy(update={"stock": stock, "ledger": ledger})


def _optimise(county: Scenario, money: float, request: YearsSettings, seed: int, year: int):
    """The year's new purchases: the SAA model under the county's rules, on the money left."""
    network = build_network(county)
    sampled = sample_years(network, seed, request.sampled_years)
    try:
        saa = build_problem(network, sampled, Budgets(max(0.0, money)))
    except ValueError as error:
        raise PlanningError(f"{year}: {error}") from None
    report = solve(saa, "highs", request.time_limit_s, request.mip_gap, threads=request.threads)
    if not report.found_plan:
        raise PlanningError(f"{year}: the solver found no plan ({report.status})")
    return extract_plan(saa, network, f"year_{year}"), report


def _used_up(network, end: np.ndarray) -> dict[tuple[str, str], int]:
    """Units the year's events used up or lost, averaged over the judging years, whole."""
    gone = np.floor(np.clip(network.year_stock - end, 0.0, None) + 0.5)
    return {
        (network.depot_ids[d], network.item_ids[i]): int(gone[d, i])
        for d, i in zip(*np.nonzero(gone), strict=True)
    }


def _take_oldest(lots: list[Lot], used: dict[tuple[str, str], int]) -> tuple[list[Lot], list[Lot]]:
    """Take what was used from the oldest lots first (first in, first out)."""
    kept, taken = [], []
    need = dict(used)
    for lot in sorted(lots, key=lambda lot: (lot.depot_id, lot.item_id, lot.purchase_year)):
        key = (lot.depot_id, lot.item_id)
        take = min(lot.quantity, need.get(key, 0))
        if take:
            taken.append(replace(lot, quantity=take))
            need[key] -= take
        if lot.quantity - take > 0:
            kept.append(replace(lot, quantity=lot.quantity - take))
    return kept, taken


def _cost(lots: Sequence[Lot], prices: dict[str, float]) -> float:
    return float(sum(prices[lot.item_id] * lot.quantity for lot in lots))


def _line(year: int, kind: str, lot: Lot, prices: dict[str, float]) -> PurchaseRow:
    return PurchaseRow(year, kind, lot.depot_id, lot.item_id, lot.quantity,
                       prices[lot.item_id] * lot.quantity)  # fmt: skip


def _left(year: int, how: str, lot: Lot, prices: dict[str, float]) -> LeavingRow:
    return LeavingRow(year, how, lot.depot_id, lot.item_id, lot.purchase_year, lot.quantity,
                      prices[lot.item_id] * lot.quantity)  # fmt: skip


def _judged(year: int, result) -> list[JudgedYear]:
    """The year's judging years one by one: the outcomes a paired comparison needs."""
    unmet = weighted_unmet_per_year(result)
    outcomes = outcomes_per_year(result).reindex(unmet.index)
    relief = outcomes.get("people_without_relief", pd.Series(0.0, index=unmet.index))
    weights = (
        pd.Series(1.0, index=unmet.index)
        if result.weights is None
        else result.weights.reindex(unmet.index)
    )
    lost = outcomes["trapped_lost"]
    return [
        JudgedYear(year, int(k), float(weights[k]), float(unmet[k]), float(relief[k]),
                   float(lost[k]))
        for k in unmet.index
    ]  # fmt: skip


def _year_row(year, budget, lines, held, kept, result, report, prices) -> YearRow:
    """The year's row: money spent, stock value held and left, outcomes judged by simulation."""
    (replaced, bought), (value, upkeep) = lines, held
    mean, low, high = mean_ci(weighted_unmet_per_year(result), weights=result.weights)
    outcomes, w = outcomes_per_year(result), result.weights
    relief = outcomes.get("people_without_relief")
    return YearRow(
        year=year,
        budget_yuan=budget,
        replaced_yuan=_cost(replaced, prices),
        bought_yuan=_cost(bought, prices),
        upkeep_yuan=upkeep,
        stock_value_start_yuan=value,
        stock_value_end_yuan=_cost(kept, prices),
        weighted_unmet_mean=mean,
        weighted_unmet_ci_low=low,
        weighted_unmet_ci_high=high,
        trapped_lost_per_year=weighted_mean(outcomes["trapped_lost"], w),
        people_without_relief_per_year=0.0 if relief is None else weighted_mean(relief, w),
        proved_optimal=report.optimal,
        gap=report.gap,
    )
