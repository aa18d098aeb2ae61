"""Rows of the optimiser's result tables, their columns, and pure functions over them.

The commands write these tables and ``yingji report`` reads them back; nothing
here imports a solver, so results are read without PuLP or HiGHS. One record
type per table: its fields are the table's columns, taken from it, never re-typed.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import NamedTuple

import numpy as np
import pandas as pd

from sim.metrics import mean_ci, weighted_mean

# ---------------------------------------------------------------- plan-years' tables

LEAVING_WAYS = ("used", "failed", "rotated", "scrapped")


@dataclass(frozen=True, slots=True)
class YearRow:
    """One planned year: the money, the stock, and the simulated outcomes with their CIs."""

    year: int
    budget_yuan: float
    replaced_yuan: float
    bought_yuan: float
    upkeep_yuan: float
    stock_value_start_yuan: float  # the carried stock and this year's purchases
    stock_value_end_yuan: float
    weighted_unmet_mean: float
    weighted_unmet_ci_low: float
    weighted_unmet_ci_high: float
    trapped_lost_per_year: float
    people_without_relief_per_year: float
    proved_optimal: bool
    gap: float
    # share floors the holding ceilings could not meet this year, lowered to what fits
    floors_lowered: str = ""
    village_restocked_yuan: float = 0.0  # from the villages' own money, not the budget


@dataclass(frozen=True, slots=True)
class PurchaseRow:
    """A line bought in a year: a replacement of what left, or new by the optimiser."""

    year: int
    kind: str  # "replacement" or "new" (the county's money), or "village" (a village's own)
    depot_id: str
    item_id: str
    quantity: int
    cost_yuan: float


@dataclass(frozen=True, slots=True)
class LeavingRow:
    """Units that left the ledger in a year, and how (:data:`LEAVING_WAYS`)."""

    year: int
    how: str
    depot_id: str
    item_id: str
    purchase_year: int
    quantity: int
    value_yuan: float  # at today's price


@dataclass(frozen=True, slots=True)
class JudgedYear:
    """One judging year of a planned year: its weight and what the simulation gave it."""

    year: int
    replication: int
    weight: float  # how much the judging year counts (1 when every year counts alike)
    weighted_unmet: float  # yuan-equivalent
    people_without_relief: float  # 0 when the scenario states no relief needs
    trapped_lost: float


JUDGED_OUTCOMES = ("weighted_unmet", "people_without_relief", "trapped_lost")
JUDGED_COLUMNS = tuple(f.name for f in fields(JudgedYear))


YEAR_COLUMNS = tuple(f.name for f in fields(YearRow))
PURCHASE_COLUMNS = tuple(f.name for f in fields(PurchaseRow))
LEAVING_COLUMNS = tuple(f.name for f in fields(LeavingRow))


# ---------------------------------------------------------------- two paths of budgets

DIFFERENCE_STATS = ("mean", "ci_low", "ci_high")
DIFFERENCE_COLUMNS = (
    "year", "budget_yuan", "against_budget_yuan", "extra_yuan", "cumulative_extra_yuan",
    "weighted_unmet_mean", "against_weighted_unmet_mean",
    *(f"{outcome}_difference_{stat}" for outcome in JUDGED_OUTCOMES for stat in DIFFERENCE_STATS),
)  # fmt: skip


def paired_years(
    years: pd.DataFrame,
    judged: pd.DataFrame,
    against_years: pd.DataFrame,
    against_judged: pd.DataFrame,
) -> pd.DataFrame:
    """Per year, the against path minus the planned one, paired on the same judging years.

    ``years`` and ``judged`` are a path's tables as plan-years writes them (a row
    per year; a row per year and judging year, :data:`JUDGED_COLUMNS`). Both
    paths faced the same hazards in each judging year, so each outcome's
    difference is taken year by year and its mean and 95% CI weighted as the
    judging years are (:func:`sim.metrics.mean_ci`). Returns
    :data:`DIFFERENCE_COLUMNS`, a row per year: both budgets, the extra money and
    its running total, both paths' mean shortfall and each outcome's difference.
    Raises ValueError when the two paths were not planned and judged on the same years.
    """
    first, second = _aligned(judged), _aligned(against_judged)
    keys = ["year", "replication"]
    if not np.array_equal(first[keys].to_numpy(), second[keys].to_numpy()):
        raise ValueError("the two paths were not judged on the same years")
    if not np.allclose(first["weight"], second["weight"], rtol=1e-12, atol=0.0):
        raise ValueError("the two paths weigh their judging years differently")
    planned_years = years["year"].astype(int).tolist()
    if planned_years != against_years["year"].astype(int).tolist():
        raise ValueError("the two paths do not plan the same years")
    if sorted(set(first["year"])) != sorted(planned_years):
        raise ValueError("the judged years are not the planned years")
    budget = years["budget_yuan"].to_numpy(dtype=float)
    against = against_years["budget_yuan"].to_numpy(dtype=float)
    extra = against - budget
    rows = []
    for index, year in enumerate(planned_years):
        mine, theirs = first[first["year"] == year], second[second["year"] == year]
        row = {
            "year": year,
            "budget_yuan": budget[index],
            "against_budget_yuan": against[index],
            "extra_yuan": extra[index],
            "cumulative_extra_yuan": float(extra[: index + 1].sum()),
        }
        rows.append(row | _differences(mine, theirs))
    return pd.DataFrame(rows, columns=list(DIFFERENCE_COLUMNS))


def _aligned(judged: pd.DataFrame) -> pd.DataFrame:
    """Judged rows in (year, judging year) order, so two paths line up row by row."""
    return judged.sort_values(["year", "replication"], kind="stable").reset_index(drop=True)


def _differences(mine: pd.DataFrame, theirs: pd.DataFrame) -> dict[str, float]:
    """One year's means and paired differences (theirs minus mine), weighted by ``mine``."""
    weights = mine["weight"].to_numpy(dtype=float)
    row = {
        "weighted_unmet_mean": weighted_mean(mine["weighted_unmet"].to_numpy(float), weights),
        "against_weighted_unmet_mean": weighted_mean(
            theirs["weighted_unmet"].to_numpy(float), weights
        ),
    }
    for outcome in JUDGED_OUTCOMES:
        gap = theirs[outcome].to_numpy(dtype=float) - mine[outcome].to_numpy(dtype=float)
        stats = mean_ci(gap, weights=weights)
        row |= {
            f"{outcome}_difference_{s}": v for s, v in zip(DIFFERENCE_STATS, stats, strict=True)
        }
    return row


# ---------------------------------------------------------------- what the list rests on

SENSITIVITY_FILE = "sensitivity.csv"  # in an optimize run's folder


class SensitivityRow(NamedTuple):
    """One category's purchase money in the plan solved with one judgement scaled."""

    parameter: str  # a judgement key: "criticality:flood", "late_fraction", "demand", ...
    factor: float  # what it was multiplied by
    category: str
    money_yuan: float
    base_money_yuan: float  # the same category in the plan solved as given
    shared_by_item: float  # share of purchase money the two plans put on the same items
    solver: str  # "optimal", "stopped at the time limit: best found", or why no plan came out


SENSITIVITY_COLUMNS = SensitivityRow._fields


def money_moved(rows: pd.DataFrame) -> pd.DataFrame:
    """Per judgement and factor: the yuan moved between categories, and which gained and lost most.

    Money moved is half the sum of the categories' absolute changes: what a
    re-split of the same total moves from some categories to others. Judgements
    are ordered by the most either factor moves, largest first.
    """
    change = rows.assign(change_yuan=rows["money_yuan"] - rows["base_money_yuan"])
    summary = (
        change.groupby(["parameter", "factor"], sort=False)
        .agg(
            moved_yuan=("change_yuan", lambda c: 0.5 * c.abs().sum(skipna=False)),
            shared_by_item=("shared_by_item", "first"),
            solver=("solver", "first"),
        )
        .reset_index()
    )
    solved = change.dropna(subset=["change_yuan"]).groupby(["parameter", "factor"], sort=False)
    for column, pick, sign in (("gains_most", "idxmax", 1.0), ("loses_most", "idxmin", -1.0)):
        named = change.loc[getattr(solved["change_yuan"], pick)()]
        named = named[sign * named["change_yuan"] > 0]  # a category that gained (lost) at all
        named = named[["parameter", "factor", "category"]].rename(columns={"category": column})
        summary = summary.merge(named, how="left")
    order = summary.groupby("parameter")["moved_yuan"].max().sort_values(ascending=False)
    rank = {parameter: k for k, parameter in enumerate(order.index)}
    return summary.sort_values(
        ["parameter", "factor"], key=lambda c: c.map(rank) if c.name == "parameter" else c
    ).reset_index(drop=True)
