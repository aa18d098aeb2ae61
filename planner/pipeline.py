"""The one way a plan is made and judged, for ``optimize``, ``compare`` and every sweep cell.

The budgets asked for, the baseline plans by name, the solve (a :class:`Plan`
and its solve report out; no solver object leaves ``optimize/``) and the
judgement: plans simulated on the same judging years (common random numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from optimize.baselines import equal_split, last_year_rule, status_quo, top_up
from optimize.evaluate import evaluation_frame, outcomes_per_year, simulate_plans
from optimize.model import (
    NO_CREDIT,
    Budgets,
    CarriedCredit,
    InfeasibleRequestError,
    SolveReport,
    build_problem,
    check_budgets,
    extract_plan,
    payroll_yuan,
)
from optimize.model import solve as solve_problem
from planner.errors import RequestError
from scenarios.plan import Plan
from scenarios.schema import Scenario
from sim.network import CountyNetwork
from sim.records import SimulationResult

BASELINES = ("status_quo", "top_up", "last_year_rule", "equal_split")


def budgets_for(
    scenario: Scenario,
    budget_yuan: float | None = None,
    staff_budget_yuan: float | None = None,
    joint_budget_yuan: float | None = None,
) -> Budgets:
    """The budgets asked for, falling back on the scenario's."""
    procurement = scenario.procurement
    staff = staff_budget_yuan
    if staff is None and joint_budget_yuan is None and procurement is not None:
        staff = procurement.staffing_budget_yuan
    budget = scenario.procurement_budget_yuan if budget_yuan is None else budget_yuan
    return Budgets(budget, staff, joint_budget_yuan)


def checked(network: CountyNetwork, budgets: Budgets) -> Budgets:
    """The budgets, or one line saying why no plan can keep them (today's staff cost more)."""
    try:
        check_budgets(network, budgets)
    except InfeasibleRequestError as error:
        raise RequestError(str(error)) from None
    return budgets


def baseline_budget(network: CountyNetwork, budgets: Budgets) -> float:
    """Money the baselines spend on purchases (a joint pot keeps today's staff first)."""
    if budgets.joint_yuan is None:
        return budgets.procurement_yuan
    return max(0.0, budgets.joint_yuan - payroll_yuan(network))


def baseline(name: str, network: CountyNetwork, money: float) -> Plan:
    """The baseline plan ``name`` (one of :data:`BASELINES`) spending ``money``."""
    if name == "status_quo":
        return status_quo()
    if name == "top_up":
        return top_up(network, money)
    if name == "last_year_rule":
        return last_year_rule(network, money)
    if name == "equal_split":
        return equal_split(network, money)
    raise ValueError(f"unknown baseline {name!r}: one of {', '.join(BASELINES)}")


@dataclass(frozen=True, slots=True)
class Solved:
    """A solve's plan, what the solver proved, and the credit for what the list carries over."""

    plan: Plan
    report: SolveReport
    credit: CarriedCredit


def solve(
    network: CountyNetwork,
    years: list,
    budgets: Budgets,
    solver: str = "highs",
    time_limit_s: float = 120.0,
    mip_gap: float = 1e-3,
    threads: int | None = None,
    year_weights: list[float] | None = None,
) -> Solved:
    """Build and solve the SAA model; refuse in one line when no plan comes out.

    ``year_weights`` are the years' probabilities (``None``: all alike).
    """
    try:
        saa = build_problem(network, years, budgets, year_weights=year_weights)
        report = solve_problem(saa, solver, time_limit_s, mip_gap, threads=threads)
    except InfeasibleRequestError as error:
        raise RequestError(str(error)) from None
    if not report.found_plan:
        raise RequestError(
            f"the solver found no plan ({report.status}: {report.solution}); "
            "try a longer time limit or fewer sampled years"
        )
    return Solved(extract_plan(saa, network, "optimised"), report, saa.credit or NO_CREDIT)


@dataclass(frozen=True, slots=True)
class Judged:
    """Plans simulated on the same judging years: each one's result, row and yearly headline."""

    results: dict[str, SimulationResult]
    evaluation: pd.DataFrame  # a row per plan, the first the reference
    yearly: dict[str, pd.Series]  # each plan's headline per judging year

    def outcomes(self) -> dict[str, pd.DataFrame]:
        """Each plan's lives lost to delay and people without relief, per judging year."""
        return {plan_id: outcomes_per_year(result) for plan_id, result in self.results.items()}


def judge(
    scenario: Scenario,
    plans: list[Plan],
    reps: int,
    seed: int,
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
) -> Judged:
    """Simulate every plan on the same ``reps`` judging years; the first is the reference."""
    results = simulate_plans(scenario, plans, reps, seed, jobs, progress)
    evaluation, yearly = evaluation_frame(scenario, plans, results)
    return Judged(results, evaluation, yearly)
