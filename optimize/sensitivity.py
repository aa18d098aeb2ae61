"""What the list rests on: the plan re-solved with each estimated input halved and doubled.

A reviewer asks which judgements decide the list. Each *judgement* here is an
input the scenario marks as an estimate and the optimiser's objective depends on:
the criticality weights of one item category, how bad a late delivery is
against one never made, how much each event demands, how often events happen,
and how much rescue work kit on scene saves. The SAA model is solved again
with the judgement scaled by each of :data:`FACTORS`, on years drawn on the
same seed as the plan's own (the same years where the judgement does not change
what happens in them), and the money by category is compared with the plan's.
The tornado chart of the report is drawn from :func:`money_moved`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pandas as pd

from optimize.demand import optimiser_years
from optimize.model import Budgets, InfeasibleRequestError, build_problem, extract_plan, solve
from optimize.records import SENSITIVITY_COLUMNS, SensitivityRow
from optimize.stability import shared_money
from scenarios.plan import Plan
from scenarios.schema import Scenario
from sim import build_network

FACTORS = (0.5, 2.0)
CRITICALITY = "criticality:"  # + a category: every item weight of that category
LATE = "late_fraction"  # how bad a late unit is against a missing one (at most 1)
DEMAND = "demand"  # every row of the demand table: per person, per event and per hour
EVENT_RATE = "event_rate"  # every hazard's events a year
KIT = "kit_savings"  # every capability's rescue person-hours saved a unit


@dataclass(frozen=True, slots=True)
class SensitivityTask:
    """One re-solve: the scenario with ``parameter`` scaled by ``factor``."""

    scenario: Scenario
    parameter: str
    factor: float
    budgets: Budgets
    seed: int
    sampled_years: int
    mip_gap: float
    time_limit_s: float
    threads: int | None = None


def judgements(scenario: Scenario) -> list[str]:
    """The estimated inputs the list is tested against, as keys of :func:`scaled`."""
    categories = sorted({item.category for item in scenario.items})
    kit = [KIT] if scenario.capabilities else []
    return [f"{CRITICALITY}{c}" for c in categories] + [LATE, DEMAND, EVENT_RATE, *kit]


def scaled(scenario: Scenario, parameter: str, factor: float) -> Scenario:
    """The scenario with one judgement times ``factor`` (a late unit at most as bad as none)."""
    if parameter.startswith(CRITICALITY):
        category = parameter.removeprefix(CRITICALITY)
        items = tuple(
            item.model_copy(update={"criticality_weight": item.criticality_weight * factor})
            if item.category == category
            else item
            for item in scenario.items
        )
        return scenario.model_copy(update={"items": items})
    if parameter == LATE:
        late = min(1.0, scenario.penalties.late_fraction * factor)
        penalties = scenario.penalties.model_copy(update={"late_fraction": late})
        return scenario.model_copy(update={"penalties": penalties})
    if parameter == DEMAND:
        rows = tuple(
            row.model_copy(
                update={
                    "per_person": row.per_person * factor,
                    "per_event": row.per_event * factor,
                    "per_hour": row.per_hour * factor,
                }
            )
            for row in scenario.demand
        )
        return scenario.model_copy(update={"demand": rows})
    if parameter == EVENT_RATE:
        hazards = tuple(
            hazard.model_copy(update={"annual_rate": hazard.annual_rate * factor})
            for hazard in scenario.hazards
        )
        return scenario.model_copy(update={"hazards": hazards})
    if parameter == KIT:
        kit = tuple(
            row.model_copy(update={"saves_person_hours": row.saves_person_hours * factor})
            for row in scenario.capabilities
        )
        return scenario.model_copy(update={"capabilities": kit})
    raise ValueError(f"unknown judgement {parameter!r}")


def tasks(
    scenario: Scenario,
    budgets: Budgets,
    seed: int,
    sampled_years: int,
    mip_gap: float,
    time_limit_s: float,
    threads: int | None = None,
) -> list[SensitivityTask]:
    """Every judgement at every factor, in a fixed order."""
    return [
        SensitivityTask(
            scenario,
            parameter,
            factor,
            budgets,
            seed,
            sampled_years,
            mip_gap,
            time_limit_s,
            threads,
        )
        for parameter in judgements(scenario)
        for factor in FACTORS
    ]


def solve_scaled(task: SensitivityTask) -> tuple[Plan | None, str]:
    """The plan solved with the task's judgement scaled, and how the solve ended."""
    scenario = scaled(task.scenario, task.parameter, task.factor)
    network = build_network(scenario)
    years, weights = optimiser_years(network, task.seed, task.sampled_years)
    try:
        saa = build_problem(network, years, task.budgets, year_weights=weights)
    except InfeasibleRequestError as error:
        return None, f"refused: {error}"
    report = solve(saa, "highs", task.time_limit_s, task.mip_gap, threads=task.threads)
    if not report.found_plan:
        return None, f"no plan: {report.status}"
    how = "optimal" if report.optimal else "stopped at the time limit: best found"
    return extract_plan(saa, network, f"{task.parameter}x{task.factor:g}"), how


def sensitivity_rows(
    scenario: Scenario, base: Plan, solved: list[tuple[SensitivityTask, Plan | None, str]]
) -> pd.DataFrame:
    """Tidy rows: each judgement and factor, the money by category against the base plan's."""
    network = build_network(scenario)
    categories = sorted({item.category for item in scenario.items})
    base_money = _money_by_category(base, scenario)
    rows = []
    for task, plan, how in solved:
        money = _money_by_category(plan, scenario) if plan is not None else {}
        shared = shared_money(base, plan, network) if plan is not None else float("nan")
        for category in categories:
            rows.append(
                SensitivityRow(
                    task.parameter,
                    task.factor,
                    category,
                    money.get(category, float("nan") if plan is None else 0.0),
                    base_money.get(category, 0.0),
                    shared,
                    how,
                )
            )
    return pd.DataFrame(rows, columns=list(SENSITIVITY_COLUMNS))


def _money_by_category(plan: Plan, scenario: Scenario) -> dict[str, float]:
    items = {item.item_id: item for item in scenario.items}
    money: dict[str, float] = defaultdict(float)
    for purchase in plan.purchases:
        item = items[purchase.item_id]
        money[item.category] += purchase.quantity * item.unit_price_yuan
    return dict(money)
