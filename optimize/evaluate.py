"""Judging plans by the simulation, never by the optimizer's own objective.

Every plan is simulated on the same replications (common random numbers), so
paired differences between plans are not noise from different hazards.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from scenarios.plan import Plan
from scenarios.schema import Scenario
from sim import simulate
from sim.metrics import (
    mean_ci,
    ratio_ci,
    weighted_unmet_by_category,
    weighted_unmet_by_hazard,
    weighted_unmet_per_year,
)
from sim.records import SimulationResult


def _breakdown(prefix: str, table: pd.DataFrame) -> dict[str, float]:
    return {f"{prefix}={column}": float(values.mean()) for column, values in table.items()}


def evaluation_row(
    plan: Plan, scenario: Scenario, result: SimulationResult, reference: pd.Series | None
) -> dict[str, object]:
    """One plan's row: cost, headline with 95% CI, paired difference, breakdowns."""
    yearly = weighted_unmet_per_year(result)
    mean, low, high = mean_ci(yearly)
    row: dict[str, object] = {
        "plan": plan.plan_id,
        "purchase_cost_yuan": plan.purchase_cost_yuan(scenario),
        "staffing_cost_yuan": plan.staffing_cost_yuan(scenario),
        "weighted_unmet_mean": mean,
        "weighted_unmet_ci_low": low,
        "weighted_unmet_ci_high": high,
        "replications": len(yearly),
    }
    if reference is not None:
        diff_mean, diff_low, diff_high = mean_ci(yearly.to_numpy() - reference.to_numpy())
        row |= {
            "vs_status_quo_mean": diff_mean,
            "vs_status_quo_ci_low": diff_low,
            "vs_status_quo_ci_high": diff_high,
        }
    events = result.events
    row["share_in_township"] = float((events["handled_level"] == "township").mean())
    row["trapped_lost_per_year"] = float(events["trapped_lost"].sum() / len(yearly))
    row |= _breakdown("hazard", weighted_unmet_by_hazard(result))
    row |= _breakdown("category", weighted_unmet_by_category(result))
    return row


def simulate_plans(
    scenario: Scenario,
    plans: list[Plan],
    reps: int,
    seed: int,
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
) -> dict[str, SimulationResult]:
    """Simulate each plan on the same replications (common random numbers), by plan id."""
    return {
        plan.plan_id: simulate(scenario, plan, reps=reps, seed=seed, jobs=jobs, progress=progress)
        for plan in plans
    }


def evaluate_plans(
    scenario: Scenario,
    plans: list[Plan],
    reps: int,
    seed: int,
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """Simulate each plan on the same replications; the first plan is the reference.

    Returns the evaluation frame (one row per plan) and each plan's yearly
    headline values, aligned on replication, for further paired comparisons.
    """
    results = simulate_plans(scenario, plans, reps, seed, jobs, progress)
    return evaluation_frame(scenario, plans, results)


def evaluation_frame(
    scenario: Scenario, plans: list[Plan], results: dict[str, SimulationResult]
) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """The evaluation rows of simulated plans (the first is the reference) and their years."""
    rows, yearly = [], {}
    reference = None
    for plan in plans:
        result = results[plan.plan_id]
        rows.append(evaluation_row(plan, scenario, result, reference))
        yearly[plan.plan_id] = weighted_unmet_per_year(result)
        if reference is None:
            reference = yearly[plan.plan_id]
    return pd.DataFrame(rows), yearly


def paired_reduction(
    yearly: dict[str, pd.Series], plan: str, against: str
) -> tuple[float, float, float]:
    """Relative cut of the headline by ``plan`` against ``against`` (ratio of means, 95% CI)."""
    saved = yearly[against].to_numpy() - yearly[plan].to_numpy()
    ratio, low, high = ratio_ci(saved, yearly[against].to_numpy())
    return float(ratio), float(low), float(high)
