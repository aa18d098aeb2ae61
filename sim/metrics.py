"""Metrics: pure functions from result frames to tidy summaries with 95% intervals.

The headline metric is **criticality-weighted unmet demand per year**, in
*yuan-equivalent*: every unit of an item not delivered by its deadline costs its
unit price x its criticality weight (``items.csv``), a unit delivered late
costs ``late_fraction`` of that, and every person-hour of rescue work not
done by its deadline costs ``rescue_work_yuan_per_person_hour`` (late work
at ``late_fraction``). Intervals are over replications (independent years).

When the scenario's replay table gives its years' probabilities, every summary
weighs each replication by ``result.weights`` (its year's probability over how
many replications replayed that year): means are weighted means, and intervals
use the weighted variance with Kish's effective sample size
``n_eff = (sum w)^2 / sum w^2`` in place of the count. Without weights every
figure is computed exactly as the unweighted formulas below say.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from sim.records import SimulationResult

SUMMARY_COLUMNS = ("metric", "group", "unit", "mean", "ci_low", "ci_high", "n")
HEADLINE = "weighted_unmet"
RESCUE_CATEGORY = "rescue_work"
EVERYDAY_CATEGORY = "everyday_calls"  # calls no duty crew was free for ([everyday])


Weights = pd.Series | np.ndarray | None


def effective_size(weights: np.ndarray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2``: the count for equal weights."""
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / (w @ w)) if w.any() else 0.0


def _weights_of(values: np.ndarray | pd.Series, weights: pd.Series | np.ndarray) -> np.ndarray:
    """The weights in the order of ``values``, matched on replication when both are Series."""
    if isinstance(values, pd.Series) and isinstance(weights, pd.Series):
        weights = weights.reindex(values.index)
    w = np.asarray(weights, dtype=float)
    if w.shape != (len(values),) or not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weights must be finite, >= 0 and one per value")
    return w


def _weighted_spread(residual: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Standard error of a weighted mean whose deviations are ``residual``, and its t dof.

    The weighted variance, made unbiased for ``n_eff`` observations, over ``n_eff``.
    """
    n_eff = effective_size(w)
    variance = (w @ residual**2) / w.sum() * n_eff / (n_eff - 1)
    return float(np.sqrt(variance / n_eff)), n_eff - 1


def weighted_mean(values: np.ndarray | pd.Series, weights: Weights = None) -> float:
    """``values.mean()``, or the weighted mean when ``weights`` are given (as :func:`mean_ci`)."""
    if weights is None:
        return float(values.mean())
    w = _weights_of(values, weights)
    return float(w @ np.asarray(values, dtype=float) / w.sum()) if w.sum() > 0 else np.nan


def mean_ci(
    values: np.ndarray | pd.Series, confidence: float = 0.95, *, weights: Weights = None
) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of independent observations.

    With ``weights`` (matched on the index when both are Series): the weighted
    mean, and a t interval from the weighted variance with Kish's effective
    sample size ``n_eff`` for the count (``n_eff - 1`` degrees of freedom); equal
    weights give the unweighted interval. No interval from fewer than two
    observations of positive weight.
    """
    if weights is not None:
        return _weighted_mean_ci(
            np.asarray(values, float), _weights_of(values, weights), confidence
        )
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n == 0:
        return np.nan, np.nan, np.nan
    mean = float(x.mean())
    if n == 1:
        return mean, np.nan, np.nan
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / np.sqrt(n)
    return mean, mean - float(half), mean + float(half)


def _weighted_mean_ci(
    x: np.ndarray, w: np.ndarray, confidence: float
) -> tuple[float, float, float]:
    if len(x) == 0 or w.sum() <= 0:
        return np.nan, np.nan, np.nan
    mean = float(w @ x / w.sum())
    if np.count_nonzero(w) < 2:
        return mean, np.nan, np.nan
    se, dof = _weighted_spread(x - mean, w)
    half = float(stats.t.ppf(0.5 + confidence / 2, dof) * se)
    return mean, mean - half, mean + half


def ratio_ci(
    numerator: np.ndarray | pd.Series,
    denominator: np.ndarray | pd.Series,
    confidence: float = 0.95,
    *,
    weights: Weights = None,
) -> tuple[float, float, float]:
    """Ratio of sums over replications with a delta-method confidence interval.

    With ``weights``: the ratio of weighted sums, its interval from the weighted
    variance of the residuals with Kish's effective sample size (as :func:`mean_ci`).
    """
    if weights is not None:
        w = _weights_of(numerator, weights)
        return _weighted_ratio_ci(
            np.asarray(numerator, float), np.asarray(denominator, float), w, confidence
        )
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


def _weighted_ratio_ci(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, confidence: float
) -> tuple[float, float, float]:
    if len(x) == 0 or w @ y == 0:
        return np.nan, np.nan, np.nan
    ratio = float((w @ x) / (w @ y))
    if np.count_nonzero(w) < 2:
        return ratio, np.nan, np.nan
    se, dof = _weighted_spread(x - ratio * y, w)
    half = float(stats.t.ppf(0.5 + confidence / 2, dof) * se / (w @ y / w.sum()))
    return ratio, ratio - half, ratio + half


def quantile_ci(
    values: np.ndarray, q: float, confidence: float = 0.95, *, weights: Weights = None
) -> tuple[float, float, float]:
    """Sample quantile with a distribution-free (order statistic) confidence interval.

    With ``weights`` (one per value): the weighted quantile (the smallest value
    whose share of the total weight at or below it reaches ``q``), and the
    interval's ranks placed by share of weight, with Kish's ``n_eff`` for ``n``.
    """
    if weights is not None:
        x, w = np.asarray(values, dtype=float), _weights_of(values, weights)
        keep = ~np.isnan(x) & (w > 0)
        return _weighted_quantile_ci(x[keep], w[keep], q, confidence)
    x = np.sort(np.asarray(values, dtype=float)[~np.isnan(values)])
    n = len(x)
    if n == 0:
        return np.nan, np.nan, np.nan
    z = stats.norm.ppf(0.5 + confidence / 2)
    spread = z * np.sqrt(n * q * (1 - q))
    low = int(np.clip(np.floor(n * q - spread), 0, n - 1))
    high = int(np.clip(np.ceil(n * q + spread), 0, n - 1))
    return float(np.quantile(x, q)), float(x[low]), float(x[high])


def _weighted_quantile_ci(
    x: np.ndarray, w: np.ndarray, q: float, confidence: float
) -> tuple[float, float, float]:
    if len(x) == 0:
        return np.nan, np.nan, np.nan
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    share = np.cumsum(w) / w.sum()
    spread = stats.norm.ppf(0.5 + confidence / 2) * np.sqrt(q * (1 - q) / effective_size(w))

    def at(level: float) -> float:
        return float(x[min(int(np.searchsorted(share, level)), len(x) - 1)])

    return at(q), at(max(q - spread, 0.0)), at(min(q + spread, 1.0))


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
    """Headline metric per replication: items, rescue work and everyday calls, per year."""
    items = per_replication(result.items, "shortfall_yuan", result.replications)
    rescue = per_replication(result.events, "rescue_shortfall_yuan", result.replications)
    calls = per_replication(result.calls, "shortfall_yuan", result.replications)
    return (items + rescue + calls).rename(HEADLINE)


def weighted_unmet_by(result: SimulationResult, column: str) -> pd.DataFrame:
    """Penalty yuan per year split by an event column (``hazard``, ``township_id``).

    One row per replication, one column per value; items and rescue work together.
    By township, a station's unanswered everyday calls count where it is based.
    """
    events = result.events.assign(
        total_shortfall_yuan=result.events["item_shortfall_yuan"]
        + result.events["rescue_shortfall_yuan"]
    )
    table = per_replication(events, "total_shortfall_yuan", result.replications, by=column)
    if column == "township_id" and len(result.calls):
        calls = per_replication(result.calls, "shortfall_yuan", result.replications, by=column)
        table = table.add(calls, fill_value=0.0)
    return table


def weighted_unmet_by_hazard(result: SimulationResult) -> pd.DataFrame:
    """Penalty yuan per year split by hazard (columns), one row per replication.

    Disaster events only: everyday calls are a category of their own (by category).
    """
    return weighted_unmet_by(result, "hazard")


def weighted_unmet_by_township(result: SimulationResult) -> pd.DataFrame:
    """Penalty yuan per year split by township (columns), one row per replication."""
    return weighted_unmet_by(result, "township_id")


def weighted_unmet_by_category(result: SimulationResult) -> pd.DataFrame:
    """Penalty yuan per year split by item category, plus rescue work as its own column."""
    table = per_replication(result.items, "shortfall_yuan", result.replications, by="category")
    table.columns = table.columns.astype(str)
    rescue = per_replication(result.events, "rescue_shortfall_yuan", result.replications)
    table[RESCUE_CATEGORY] = rescue
    if len(result.calls):
        table[EVERYDAY_CATEGORY] = per_replication(
            result.calls, "shortfall_yuan", result.replications
        )
    return table


def worst_years_mean(
    yearly: np.ndarray | pd.Series, share: float, weights: Weights = None
) -> float:
    """The mean of the worst ``share`` of years (CVaR), weighted: threshold plus mean excess.

    With the threshold at the weighted (1 - share) quantile, ``t + E[(x - t)+] / share``
    is the mean of the worst share of the weight, a year split where the share ends;
    the optimiser minimises the same estimator (Rockafellar and Uryasev).
    """
    x = np.asarray(yearly, dtype=float)
    w = np.full(len(x), 1.0 / len(x)) if weights is None else _weights_of(yearly, weights)
    w = w / w.sum()
    order = np.argsort(x, kind="stable")
    reached = np.cumsum(w[order])
    threshold = x[order][np.searchsorted(reached, 1.0 - share - 1e-12, side="left")]
    return float(threshold + (w * np.maximum(x - threshold, 0.0)).sum() / share)


def worst_years_ci(
    yearly: np.ndarray | pd.Series,
    share: float,
    weights: Weights = None,
    resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """The mean of the worst ``share`` of years and a 95% bootstrap interval over years.

    Years are resampled with replacement (``resamples`` times, a fixed ``seed``: the
    same years give the same interval); percentile interval.
    """
    x = np.asarray(yearly, dtype=float)
    w = np.full(len(x), 1.0 / len(x)) if weights is None else _weights_of(yearly, weights)
    estimate = worst_years_mean(x, share, w)
    if len(x) < 2:
        return estimate, float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(x), size=(resamples, len(x)))
    values = [worst_years_mean(x[d], share, w[d]) for d in draws if w[d].sum() > 0]
    low, high = np.percentile(values, [2.5, 97.5])
    return estimate, float(low), float(high)


def worst_years_difference_ci(
    first: pd.Series,
    second: pd.Series,
    share: float,
    weights: Weights = None,
    resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """The worst-years mean of ``first`` minus that of ``second``, paired by year, 95% CI.

    Both are resampled on the same years (a fixed ``seed``), so the interval is of
    the difference the common years leave, not of two separate estimates.
    """
    a, b = np.asarray(first, dtype=float), np.asarray(second, dtype=float)
    w = np.full(len(a), 1.0 / len(a)) if weights is None else _weights_of(first, weights)
    estimate = worst_years_mean(a, share, w) - worst_years_mean(b, share, w)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(a), size=(resamples, len(a)))
    values = [
        worst_years_mean(a[d], share, w[d]) - worst_years_mean(b[d], share, w[d])
        for d in draws
        if w[d].sum() > 0
    ]
    low, high = np.percentile(values, [2.5, 97.5])
    return float(estimate), float(low), float(high)


def people_without_relief(result: SimulationResult) -> pd.DataFrame:
    """People per year still lacking each relief need at the first-relief hour.

    For each need of ``[outcomes] relief_items`` (water, food, shelter...), an
    event's people affected times the share of the need's most-short item not
    there ``first_relief_h`` after impact; ``any`` takes, per event, the need
    most short (a lower bound on those lacking at least one). One row per
    replication, one column per need and ``any``.
    """
    needs = result.outcomes.relief_items
    reps = result.replications
    if not needs:
        return pd.DataFrame(index=pd.Index(reps, name="replication"))
    keys = ["replication", "event_id"]
    people = result.events.set_index(keys)["severity_people"]
    items = result.items
    short = 1.0 - items["served_by_first_relief"] / items["demand"].where(items["demand"] > 0)
    items = items.assign(short=short.fillna(0.0).clip(0.0, 1.0))
    lacking = pd.DataFrame(
        {
            need: items[items["item_id"].isin(ids)].groupby(keys)["short"].max()
            for need, ids in needs.items()
        }
    ).fillna(0.0)
    lacking["any"] = lacking.max(axis=1)
    counted = lacking.mul(people.reindex(lacking.index).fillna(0.0), axis=0).reset_index()
    return pd.DataFrame(
        {column: per_replication(counted, column, reps) for column in [*needs, "any"]}
    )


def _row(metric: str, group: str, unit: str, estimate: tuple[float, float, float], n: int):
    """A summary row. Every summary quantity is at least 0, so is its interval's lower end.

    A t interval of a rare, skewed quantity (earthquake losses) can reach below 0;
    the parameter cannot, so the interval is cut there.
    """
    mean, low, high = estimate
    return (metric, group, unit, mean, low if math.isnan(low) else max(low, 0.0), high, n)


def _headline_rows(result: SimulationResult) -> list[tuple]:
    n, unit, w = (
        len(result.replications),
        "weighted shortfall, yuan-equivalent / year",
        result.weights,
    )
    yearly = weighted_unmet_per_year(result)
    rows = [_row(HEADLINE, "all", unit, mean_ci(yearly, weights=w), n)]
    for hazard, values in weighted_unmet_by_hazard(result).items():
        rows.append(_row(HEADLINE, f"hazard={hazard}", unit, mean_ci(values, weights=w), n))
    for category, values in weighted_unmet_by_category(result).items():
        rows.append(_row(HEADLINE, f"category={category}", unit, mean_ci(values, weights=w), n))
    return rows


def event_weights(events: pd.DataFrame, weights: pd.Series | None) -> np.ndarray | None:
    """Each event's weight: its replication's (``None`` when replications weigh alike)."""
    if weights is None:
        return None
    return weights.reindex(events["replication"]).to_numpy(dtype=float)


def _response_rows(events: pd.DataFrame, weights: pd.Series | None = None) -> list[tuple]:
    response = events["response_h"].to_numpy(dtype=float)
    w = event_weights(events, weights)
    rows = [
        _row(
            f"response_p{int(q * 100)}",
            "all",
            "h",
            quantile_ci(response, q, weights=w),
            len(response),
        )
        for q in (0.5, 0.9)
    ]
    for hazard, group in events.groupby("hazard", observed=True):
        values = group["response_h"].to_numpy(dtype=float)
        estimate = quantile_ci(values, 0.5, weights=event_weights(group, weights))
        rows.append(_row("response_p50", f"hazard={hazard}", "h", estimate, len(values)))
    return rows


def _count_rows(result: SimulationResult) -> list[tuple]:
    """Events per year, containment shares, lives and evacuation, items in time."""
    events, items, reps, w = result.events, result.items, result.replications, result.weights
    n = len(reps)

    def yearly(frame: pd.DataFrame, column: str) -> pd.Series:
        return per_replication(frame, column, reps)

    count = yearly(events.assign(one=1.0), "one")
    rows = [_row("events", "all", "events / year", mean_ci(count, weights=w), n)]
    small = events["severity_people"] < result.outcomes.small_event_people
    for level, metric in (
        ("township", "share_in_township"),
        ("outside", "share_needing_outside_help"),
    ):
        hit = (events["handled_level"] == level).astype(float)
        for group, chosen in (("all", None), ("size=small", small), ("size=large", ~small)):
            if chosen is not None and metric != "share_in_township":
                continue
            part = events if chosen is None else events[chosen]
            hits = yearly(part.assign(hit=hit), "hit")
            total = yearly(part.assign(one=1.0), "one")
            estimate = ratio_ci(hits, total, weights=w)
            rows.append(_row(metric, group, "share of events", estimate, n))
    lost = mean_ci(yearly(events, "trapped_lost"), weights=w)
    rows.append(_row("trapped_lost", "all", "people / year", lost, n))
    if "kit_saved_h" in events:  # runs recorded before kit saved work have no such column
        saved = mean_ci(yearly(events, "kit_saved_h"), weights=w)
        rows.append(_row("kit_saved_h", "all", "person-hours / year", saved, n))
    if "county_first_batch_h" in events:
        batch = events["county_first_batch_h"]
        drew = events[batch.notna()]
        soon = drew.assign(hit=(drew["county_first_batch_h"] <= result.outcomes.first_batch_h))
        estimate = ratio_ci(yearly(soon, "hit"), yearly(drew.assign(one=1.0), "one"), weights=w)
        hours = f"{result.outcomes.first_batch_h:g} h"
        unit = "share of events supplied by the county"
        rows.append(_row("county_first_batch_in_time", f"within {hours}", unit, estimate, n))
    if len(result.calls):
        missed = mean_ci(yearly(result.calls, "unanswered"), weights=w)
        rows.append(_row("everyday_unanswered", "all", "calls / year", missed, n))
    relief = people_without_relief(result)
    hours = f"{result.outcomes.first_relief_h:g} h"
    for need in relief.columns:
        estimate = mean_ci(relief[need], weights=w)
        rows.append(
            _row("people_without_relief", f"need={need}", f"people / year at {hours}", estimate, n)
        )
    evacuated = ratio_ci(
        yearly(events, "evacuated_before_impact"), yearly(events, "to_evacuate"), weights=w
    )
    rows.append(_row("evacuated_before_impact", "all", "share of people to evacuate", evacuated, n))
    in_time = ratio_ci(yearly(items, "served_in_time"), yearly(items, "demand"), weights=w)
    rows.append(_row("items_in_time", "all", "share of item units", in_time, n))
    return rows


def summarize(result: SimulationResult) -> pd.DataFrame:
    """The summary table: headline with CI, breakdowns, response, containment, lives.

    Columns: metric, group, unit, mean, ci_low, ci_high, n. Means and intervals are
    over replications; response quantiles pool every event of the run. With
    ``result.weights`` each replication (and each of its events) counts by its weight.
    """
    rows = _headline_rows(result)
    counts = _count_rows(result)
    rows += counts[:1] + _response_rows(result.events, result.weights) + counts[1:]
    return pd.DataFrame.from_records(rows, columns=list(SUMMARY_COLUMNS))
