"""Metrics: pure functions from result frames to tidy summaries with 95% intervals.

The headline metric is **criticality-weighted unmet demand per year**, in
*penalty yuan*: every unit of an item not delivered by its deadline costs its
unit price x its criticality weight (``items.csv``), a unit delivered late
costs ``late_fraction`` of that, and every person-hour of rescue work not
done by its deadline costs ``rescue_work_yuan_per_person_hour`` (late work
at ``late_fraction``). Intervals are over replications (independent years).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from sim.records import SimulationResult

SUMMARY_COLUMNS = ("metric", "group", "unit", "mean", "ci_low", "ci_high", "n")
HEADLINE = "weighted_unmet"
RESCUE_CATEGORY = "rescue_work"


def mean_ci(values: np.ndarray | pd.Series, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of independent observations."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n == 0:
        return np.nan, np.nan, np.nan
    mean = float(x.mean())
    if n == 1:
        return mean, np.nan, np.nan
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / np.sqrt(n)
    return mean, mean - float(half), mean + float(half)


def ratio_ci(
    numerator: np.ndarray, denominator: np.ndarray, confidence: float = 0.95
) -> tuple[float, float, float]:
    """Ratio of sums over replications with a delta-method confidence interval."""
    x, y = np.asarray(numerator, float), np.asarray(denominator, float)
    n = len(x)
    if n == 0 or y.sum() == 0:
        return np.nan, np.nan, np.nan
    ratio = x.sum() / y.sum()
    if n == 1:
        return float(ratio), np.nan, np.nan
    residual = x - ratio * y
    se = np.sqrt(residual.var(ddof=1) / n) / y.mean()
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * se
    return float(ratio), float(ratio - half), float(ratio + half)


def quantile_ci(
    values: np.ndarray, q: float, confidence: float = 0.95
) -> tuple[float, float, float]:
    """Sample quantile with a distribution-free (order statistic) confidence interval."""
    x = np.sort(np.asarray(values, dtype=float)[~np.isnan(values)])
    n = len(x)
    if n == 0:
        return np.nan, np.nan, np.nan
    z = stats.norm.ppf(0.5 + confidence / 2)
    spread = z * np.sqrt(n * q * (1 - q))
    low = int(np.clip(np.floor(n * q - spread), 0, n - 1))
    high = int(np.clip(np.ceil(n * q + spread), 0, n - 1))
    return float(np.quantile(x, q)), float(x[low]), float(x[high])


def per_replication(
    frame: pd.DataFrame, column: str, replications: np.ndarray, by: str | None = None
) -> pd.DataFrame | pd.Series:
    """Yearly totals of ``column``; replications with no rows count as zero."""
    if by is None:
        totals = frame.groupby("replication")[column].sum()
        return totals.reindex(replications, fill_value=0.0)
    table = frame.pivot_table(
        index="replication", columns=by, values=column, aggfunc="sum", observed=False
    )
    return table.reindex(replications).fillna(0.0)


def weighted_unmet_per_year(result: SimulationResult) -> pd.Series:
    """Headline metric per replication: item and rescue penalty yuan per year."""
    items = per_replication(result.items, "penalty_yuan", result.replications)
    rescue = per_replication(result.events, "rescue_penalty_yuan", result.replications)
    return (items + rescue).rename(HEADLINE)


def weighted_unmet_by(result: SimulationResult, column: str) -> pd.DataFrame:
    """Penalty yuan per year split by an event column (``hazard``, ``township_id``).

    One row per replication, one column per value; items and rescue work together.
    """
    events = result.events.assign(
        total_penalty_yuan=result.events["item_penalty_yuan"] + result.events["rescue_penalty_yuan"]
    )
    return per_replication(events, "total_penalty_yuan", result.replications, by=column)


def weighted_unmet_by_hazard(result: SimulationResult) -> pd.DataFrame:
    """Penalty yuan per year split by hazard (columns), one row per replication."""
    return weighted_unmet_by(result, "hazard")


def weighted_unmet_by_township(result: SimulationResult) -> pd.DataFrame:
    """Penalty yuan per year split by township (columns), one row per replication."""
    return weighted_unmet_by(result, "township_id")


def weighted_unmet_by_category(result: SimulationResult) -> pd.DataFrame:
    """Penalty yuan per year split by item category, plus rescue work as its own column."""
    table = per_replication(result.items, "penalty_yuan", result.replications, by="category")
    table.columns = table.columns.astype(str)
    rescue = per_replication(result.events, "rescue_penalty_yuan", result.replications)
    table[RESCUE_CATEGORY] = rescue
    return table


def _row(metric: str, group: str, unit: str, estimate: tuple[float, float, float], n: int):
    return (metric, group, unit, *estimate, n)


def _headline_rows(result: SimulationResult) -> list[tuple]:
    n, unit = len(result.replications), "penalty yuan / year"
    rows = [_row(HEADLINE, "all", unit, mean_ci(weighted_unmet_per_year(result)), n)]
    for hazard, values in weighted_unmet_by_hazard(result).items():
        rows.append(_row(HEADLINE, f"hazard={hazard}", unit, mean_ci(values), n))
    for category, values in weighted_unmet_by_category(result).items():
        rows.append(_row(HEADLINE, f"category={category}", unit, mean_ci(values), n))
    return rows


def _response_rows(events: pd.DataFrame) -> list[tuple]:
    response = events["response_h"].to_numpy(dtype=float)
    rows = [
        _row(f"response_p{int(q * 100)}", "all", "h", quantile_ci(response, q), len(response))
        for q in (0.5, 0.9)
    ]
    for hazard, group in events.groupby("hazard", observed=True):
        values = group["response_h"].to_numpy(dtype=float)
        rows.append(
            _row("response_p50", f"hazard={hazard}", "h", quantile_ci(values, 0.5), len(values))
        )
    return rows


def _count_rows(result: SimulationResult) -> list[tuple]:
    """Events per year, containment shares, lives and evacuation, items in time."""
    events, items, reps = result.events, result.items, result.replications
    n = len(reps)

    def yearly(frame: pd.DataFrame, column: str) -> pd.Series:
        return per_replication(frame, column, reps)

    count = yearly(events.assign(one=1.0), "one")
    rows = [_row("events", "all", "events / year", mean_ci(count), n)]
    for level, metric in (
        ("township", "share_in_township"),
        ("outside", "share_needing_outside_help"),
    ):
        hits = yearly(events.assign(hit=(events["handled_level"] == level).astype(float)), "hit")
        rows.append(_row(metric, "all", "share of events", ratio_ci(hits, count), n))
    lost = mean_ci(yearly(events, "trapped_lost"))
    rows.append(_row("trapped_lost", "all", "people / year", lost, n))
    evacuated = ratio_ci(yearly(events, "evacuated_before_impact"), yearly(events, "to_evacuate"))
    rows.append(_row("evacuated_before_impact", "all", "share of people to evacuate", evacuated, n))
    in_time = ratio_ci(yearly(items, "served_in_time"), yearly(items, "demand"))
    rows.append(_row("items_in_time", "all", "share of item units", in_time, n))
    return rows


def summarize(result: SimulationResult) -> pd.DataFrame:
    """The summary table: headline with CI, breakdowns, response, containment, lives.

    Columns: metric, group, unit, mean, ci_low, ci_high, n. Means and intervals are
    over replications; response quantiles pool every event of the run.
    """
    rows = _headline_rows(result)
    counts = _count_rows(result)
    rows += counts[:1] + _response_rows(result.events) + counts[1:]
    return pd.DataFrame.from_records(rows, columns=list(SUMMARY_COLUMNS))
