"""Paired comparisons of plans simulated on the same years (common random numbers).

Each plan is set against a reference plan year by year, so the interval of a
difference excludes the year-to-year swing of the hazards that both plans faced.
A difference is called significant when its 95% interval excludes zero; the
intervals are per row and not adjusted for how many rows are looked at. Years
with weights (a replay table with year probabilities) count by their weights.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from sim.metrics import (
    mean_ci,
    weighted_mean,
    weighted_unmet_by_category,
    weighted_unmet_by_hazard,
    weighted_unmet_by_township,
    weighted_unmet_per_year,
)
from sim.records import SimulationResult

BREAKDOWNS: dict[str, Callable[[SimulationResult], pd.DataFrame]] = {
    "hazard": weighted_unmet_by_hazard,
    "category": weighted_unmet_by_category,
    "township": weighted_unmet_by_township,
}
COMPARISON_COLUMNS = (
    "plan",
    "reference",
    "breakdown",
    "group",
    "plan_mean",
    "reference_mean",
    "difference_mean",
    "difference_ci_low",
    "difference_ci_high",
    "relative_difference",
    "verdict",
    "replications",
)
BETTER, WORSE, NOT_SIGNIFICANT, IDENTICAL = "better", "worse", "not significant", "identical"


def verdict(plan_years: np.ndarray, reference_years: np.ndarray, low: float, high: float) -> str:
    """``better`` when the whole interval of plan minus reference is below zero, and so on."""
    if np.array_equal(plan_years, reference_years):
        return IDENTICAL
    if high < 0:
        return BETTER
    if low > 0:
        return WORSE
    return NOT_SIGNIFICANT


def paired_row(
    plan: str,
    reference: str,
    breakdown: str,
    group: str,
    values: np.ndarray,
    base: np.ndarray,
    weights: np.ndarray | None = None,
) -> dict[str, object]:
    """One comparison row: both means, the paired difference with its 95% CI, the verdict.

    ``weights``, one per year in the order of ``values``, weigh the years if given.
    """
    difference, low, high = mean_ci(values - base, weights=weights)
    reference_mean = weighted_mean(base, weights)
    relative = difference / reference_mean if reference_mean > 0 else np.nan
    return {
        "plan": plan,
        "reference": reference,
        "breakdown": breakdown,
        "group": str(group),
        "plan_mean": weighted_mean(values, weights),
        "reference_mean": reference_mean,
        "difference_mean": difference,
        "difference_ci_low": low,
        "difference_ci_high": high,
        "relative_difference": relative,
        "verdict": verdict(values, base, low, high),
        "replications": len(values),
    }


def compare_results(results: dict[str, SimulationResult], reference: str) -> pd.DataFrame:
    """Every plan against ``reference``: the headline, then each hazard, category, township.

    The results must come from the same replications (same seed and count).
    """
    base = results[reference]
    weights = None if base.weights is None else base.weights.reindex(base.replications).to_numpy()
    rows = []
    for plan, result in results.items():
        if plan == reference:
            continue
        if not np.array_equal(result.replications, base.replications):
            raise ValueError(f"plan {plan!r} was simulated on other years than {reference!r}")
        rows.append(
            paired_row(
                plan,
                reference,
                "all",
                "all",
                weighted_unmet_per_year(result).to_numpy(float),
                weighted_unmet_per_year(base).to_numpy(float),
                weights,
            )
        )
        for breakdown, split in BREAKDOWNS.items():
            values, reference_values = _aligned(split(result), split(base))
            for group in values.columns:
                rows.append(
                    paired_row(
                        plan,
                        reference,
                        breakdown,
                        group,
                        values[group].to_numpy(float),
                        reference_values[group].to_numpy(float),
                        weights,
                    )
                )
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))


def _aligned(a: pd.DataFrame, b: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both tables over the union of their columns (a group one plan never hit counts 0)."""
    columns = list(dict.fromkeys([*map(str, a.columns), *map(str, b.columns)]))
    a = a.set_axis(list(map(str, a.columns)), axis=1).reindex(columns=columns, fill_value=0.0)
    b = b.set_axis(list(map(str, b.columns)), axis=1).reindex(columns=columns, fill_value=0.0)
    return a, b
