"""Statistical quality of an SAA plan: lower and upper bounds on the true optimum, and the gap.

As in Mak, Morton and Wood (1999) and Kleywegt, Shapiro and Homem-de-Mello (2002):

* **lower bound**: the optimal values of ``M`` independent SAA problems of ``N``
  years each average to an estimate whose expectation is at most the true optimum
  (the SAA optimum is optimistically biased); with a one-sided 95% Student-t
  interval. When a solve stops short of optimality its proven bound is used, so
  the estimate stays a lower bound.
* **upper bound**: the chosen plan held fixed and the second stage solved on
  ``N'`` fresh years; their mean penalty estimates the plan's true cost, which is
  at least the optimum; one-sided 95% interval.
* **gap**: the multiple-replications procedure of Mak, Morton and Wood: on each
  independent sample ``m`` the chosen plan's penalty ``f_m(plan)`` minus the
  sample's optimum ``v_m`` is a non-negative gap estimate ``G_m``; their mean, with
  a one-sided 95% interval, bounds the plan's true optimality gap. Evaluating the
  plan on the same years as each ``v_m`` (common random numbers) removes most of
  the year-to-year variance that makes ``upper - lower`` useless on its own.

All in the model's units (expected yuan-equivalent per year), less the worth of
what the plan carries out of the year when the objective credits it
(``[objective] value_carried``), by one credit for every sample (the plan's own
solve's :class:`optimize.model.CarriedCredit`), so every sample minimises the
same function. Independent
samples use disjoint blocks of replications of the hazard sampler.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from optimize.demand import IN_SAMPLE_OFFSET, sample_years
from optimize.model import (
    NO_CREDIT,
    Budgets,
    CarriedCredit,
    ModelOptions,
    SolveFailedError,
    SolveReport,
    build_problem,
    carried_yuan,
    solve,
)
from scenarios.plan import Plan
from sim.network import CountyNetwork

OUT_OF_SAMPLE_OFFSET = 2_000_000  # years for the upper bound, apart from any SAA sample


@dataclass(frozen=True, slots=True)
class SaaBounds:
    """Lower and upper bound estimates of the optimum and the optimality gap."""

    lower_mean: float
    lower_low: float  # one-sided 95% lower confidence limit
    upper_mean: float
    upper_high: float  # one-sided 95% upper confidence limit
    gap: float  # mean of the paired gaps G_m
    gap_high: float  # one-sided 95% upper confidence limit of the gap
    relative_gap: float
    relative_gap_high: float
    replications: int
    years_per_replication: int
    evaluation_years: int


def _one_sided(values: np.ndarray, side: int) -> tuple[float, float]:
    mean = float(np.mean(values))
    if len(values) < 2:
        return mean, float("nan")
    half = stats.t.ppf(0.95, len(values) - 1) * np.std(values, ddof=1) / np.sqrt(len(values))
    return mean, mean + side * float(half)


def sample_lower_bound(report: SolveReport) -> float:
    """The proven lower bound of a sample's optimum; refused when the solve proved none.

    A solve stopped before any solution, or without a bound, proves nothing about
    the optimum, so its objective is never taken for a bound.
    """
    if not report.found_plan or not np.isfinite(report.best_bound):
        raise SolveFailedError(
            f"an SAA sample's solve proved no bound ({report.status}: {report.solution}); "
            "give it a longer time limit"
        )
    return min(report.best_bound, report.objective)


def _replication(
    network: CountyNetwork,
    plan: Plan,
    budgets: Budgets,
    sample: list,
    options: ModelOptions | None,
    time_limit_s: float,
    mip_gap: float,
    rounding: bool,
    credit: CarriedCredit,
) -> tuple[float, float]:
    """(lower bound of the sample's optimum, the plan's value on the same sample)."""
    saa = build_problem(network, sample, budgets, options)
    saa.credit = credit
    bound = sample_lower_bound(solve(saa, "highs", time_limit_s, mip_gap, rounding=rounding))
    fixed = build_problem(network, sample, budgets, options, planning_rules=False)
    fixed.fix_plan(plan, network)
    penalty = _solved(solve(fixed, "highs", mip_gap=0.0)).objective
    return bound, penalty - credit.worth * carried_yuan(network, plan, credit)


def _solved(report: SolveReport) -> SolveReport:
    if not report.found_plan:
        raise SolveFailedError(f"the fixed-plan problem did not solve: {report.solution}")
    return report


def plan_cost_by_year(
    network: CountyNetwork,
    plan: Plan,
    budgets: Budgets,
    seed: int,
    years: int,
    options: ModelOptions | None = None,
) -> np.ndarray:
    """The plan's second-stage penalty on ``years`` fresh sampled years, one value per year."""
    sample = sample_years(network, seed, years, first=OUT_OF_SAMPLE_OFFSET)
    saa = build_problem(network, sample, budgets, options, planning_rules=False)
    saa.fix_plan(plan, network)
    _solved(solve(saa, "highs", mip_gap=0.0))
    return saa.year_costs()


def saa_bounds(
    network: CountyNetwork,
    plan: Plan,
    budgets: Budgets,
    seed: int,
    replications: int = 5,
    years: int = 50,
    evaluation_years: int = 500,
    options: ModelOptions | None = None,
    time_limit_s: float = 120.0,
    mip_gap: float = 1e-4,
    rounding: bool = True,
    credit: CarriedCredit = NO_CREDIT,
) -> SaaBounds:
    """Lower bound and gap from independent SAA solves, upper bound from fresh years.

    ``credit``: how what the plan leaves for next year is credited (the plan's own
    solve's ``SaaProblem.credit``; none by default).

    Raises :class:`SolveFailedError` when a sample's solve proves no bound (for
    example stopped by its time limit before any solution).
    """
    lower, gaps = [], []
    for m in range(replications):
        first = IN_SAMPLE_OFFSET + (m + 1) * years  # block 0 is the plan's own sample
        sample = sample_years(network, seed, years, first=first)
        bound, plan_cost = _replication(
            network, plan, budgets, sample, options, time_limit_s, mip_gap, rounding, credit
        )
        lower.append(bound)
        gaps.append(max(0.0, plan_cost - bound))
    upper = plan_cost_by_year(network, plan, budgets, seed, evaluation_years, options)
    upper = upper - credit.worth * carried_yuan(network, plan, credit)
    lower_mean, lower_low = _one_sided(np.array(lower), -1)
    upper_mean, upper_high = _one_sided(upper, +1)
    gap, gap_high = _one_sided(np.array(gaps), +1)
    scale = max(abs(upper_mean), 1e-9)
    return SaaBounds(
        lower_mean=lower_mean,
        lower_low=lower_low,
        upper_mean=upper_mean,
        upper_high=upper_high,
        gap=gap,
        gap_high=gap_high,
        relative_gap=gap / scale,
        relative_gap_high=gap_high / scale,
        replications=replications,
        years_per_replication=years,
        evaluation_years=evaluation_years,
    )
