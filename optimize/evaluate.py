"""Judging plans by the simulation, never by the optimizer's own objective.

Every plan is simulated on the same replications (common random numbers), so
paired differences between plans are not noise from different hazards. When the
replications carry weights (a replay table with year probabilities), every mean,
interval and share here is weighted by them, as in :mod:`sim.metrics`.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from scenarios.plan import Plan
from scenarios.schema import Scenario
from sim import simulate
from sim.metrics import (
    event_weights,
    mean_ci,
    people_without_relief,
    per_replication,
    ratio_ci,
    weighted_mean,
    weighted_unmet_by_category,
    weighted_unmet_by_hazard,
    weighted_unmet_per_year,
    worst_years_ci,
)
from sim.records import SimulationResult


def _breakdown(prefix: str, table: pd.DataFrame, weights: pd.Series | None) -> dict[str, float]:
    return {
        f"{prefix}={column}": weighted_mean(values, weights) for column, values in table.items()
    }


def _events_stats(result: SimulationResult) -> dict[str, float]:
    """Share of events handled in their township; lives lost and people without relief a year."""
    events, weights = result.events, result.weights
    in_township = events["handled_level"].to_numpy() == "township"
    chosen = None if weights is None else event_weights(events, weights)
    share = weighted_mean(in_township.astype(float), chosen) if len(events) else float("nan")
    yearly = outcomes_per_year(result)
    return {"share_in_township": share} | {
        f"{column}_per_year": weighted_mean(values, weights) for column, values in yearly.items()
    }


def outcomes_per_year(result: SimulationResult) -> pd.DataFrame:
    """Per replication: lives lost to delay and, with relief needs, people without relief."""
    lost = per_replication(result.events, "trapped_lost", result.replications)
    yearly = pd.DataFrame({"trapped_lost": lost.to_numpy()}, index=lost.index)
    relief = people_without_relief(result)
    if "any" in relief.columns:
        yearly["people_without_relief"] = relief["any"].to_numpy()
    return yearly


# The columns every evaluation row starts with; breakdowns by hazard and category follow.
EVALUATION_COLUMNS = ("plan", "purchase_cost_yuan", "staffing_cost_yuan", "weighted_unmet_mean")
EVALUATION_COLUMNS += ("weighted_unmet_ci_low", "weighted_unmet_ci_high", "replications")


def evaluation_row(
    plan: Plan, scenario: Scenario, result: SimulationResult, reference: pd.Series | None
) -> dict[str, object]:
    """One plan's row: cost, headline with 95% CI, paired difference, breakdowns."""
    yearly, weights = weighted_unmet_per_year(result), result.weights
    mean, low, high = mean_ci(yearly, weights=weights)
    row: dict[str, object] = {
        "plan": plan.plan_id,
        "purchase_cost_yuan": plan.purchase_cost_yuan(scenario),
        "staffing_cost_yuan": plan.staffing_cost_yuan(scenario),
        "weighted_unmet_mean": mean,
        "weighted_unmet_ci_low": low,
        "weighted_unmet_ci_high": high,
        "replications": len(yearly),
    }
    share = scenario.objective.worst_share
    worst, worst_low, worst_high = worst_years_ci(yearly, share, weights)
    row |= {
        "worst_share": share,
        "worst_years_mean": worst,
        "worst_years_ci_low": worst_low,
        "worst_years_ci_high": worst_high,
    }
    if reference is not None:
        difference = yearly.to_numpy() - reference.to_numpy()
        weights_here = None if weights is None else weights.reindex(yearly.index).to_numpy()
        diff_mean, diff_low, diff_high = mean_ci(difference, weights=weights_here)
        row |= {
            "vs_status_quo_mean": diff_mean,
            "vs_status_quo_ci_low": diff_low,
            "vs_status_quo_ci_high": diff_high,
        }
    row |= _events_stats(result)
    row |= _breakdown("hazard", weighted_unmet_by_hazard(result), weights)
    row |= _breakdown("category", weighted_unmet_by_category(result), weights)
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
    yearly: dict[str, pd.Series], plan: str, against: str, weights: pd.Series | None = None
) -> tuple[float, float, float]:
    """Relative cut of the headline by ``plan`` against ``against`` (ratio of means, 95% CI).

    ``weights`` are the replications' (the simulation result's ``weights``), if any.
    """
    saved = yearly[against].to_numpy() - yearly[plan].to_numpy()
    weights_here = None if weights is None else weights.reindex(yearly[against].index).to_numpy()
    ratio, low, high = ratio_ci(saved, yearly[against].to_numpy(), weights=weights_here)
    return float(ratio), float(low), float(high)
