"""One cell of a sweep: optimise (if asked), then judge every plan by simulation.

A cell is a plain function of picklable inputs so that a process pool or a
Dask worker runs exactly what the serial loop runs. A task carries its county
and the cell's changes, and the worker builds the cell's scenario: the caller
keeps one scenario per county, not one per cell. Whatever goes wrong inside a
cell is caught and returned as its error, so one bad cell never stops the others.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from optimize.demand import optimiser_years
from planner.pipeline import baseline, baseline_budget, budgets_for, checked, judge, solve
from scenarios.plan import Plan
from scenarios.schema import Scenario
from scenarios.sweep import (
    JOINT_BUDGET_AXIS,
    STAFF_BUDGET_AXIS,
    Cell,
    SweepSettings,
    apply_changes,
    value_label,
)
from sim import build_network
from sim.metrics import HEADLINE, SUMMARY_COLUMNS, summarize

# Columns every cell file has, after the grid's own columns (same types in every cell).
# Each cell row: the plan and its costs, the cell's procurement budget (a province's
# budgets differ by county), then the simulation's summary columns.
PLAN_SUMMARY_COLUMNS = (
    "plan",
    "purchase_cost_yuan",
    "staffing_cost_yuan",
    "procurement_budget_yuan",
    *SUMMARY_COLUMNS,
)


@dataclass(frozen=True, slots=True)
class CellTask:
    """Everything a worker needs to run one cell: its county and the cell's changes to it."""

    cell: Cell
    county: Scenario
    settings: SweepSettings
    plans: tuple[Plan, ...]
    seed: int
    sweep_path: Path = Path("sweep.toml")  # named by an error (none: the cell was checked)

    def scenario(self) -> Scenario:
        """The cell's scenario, built from its county as the sweep file was checked."""
        return apply_changes(self.county, self.cell.choices, self.sweep_path)


@dataclass(frozen=True, slots=True)
class CellOutcome:
    """A finished cell: its summary and yearly frames, or the error that stopped it."""

    index: int
    summary: pd.DataFrame | None
    years: pd.DataFrame | None
    seconds: float
    error: str | None = None
    details: str = ""


def run_cell(task: CellTask) -> CellOutcome:
    """Run one cell; never raises for a problem of the cell itself."""
    started = time.perf_counter()
    try:
        summary, years = _run(task, started)
    except Exception as error:  # a failing cell is recorded, never fatal
        message = " ".join(str(error).split()) or type(error).__name__
        return CellOutcome(
            task.cell.index,
            None,
            None,
            time.perf_counter() - started,
            f"{type(error).__name__}: {message}",
            traceback.format_exc(),
        )
    return CellOutcome(task.cell.index, summary, years, time.perf_counter() - started)


def _run(task: CellTask, started: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    settings, scenario = task.settings, task.scenario()
    network = build_network(scenario)
    budgets = budgets_for(
        scenario,
        staff_budget_yuan=task.cell.value(STAFF_BUDGET_AXIS),
        joint_budget_yuan=task.cell.value(JOINT_BUDGET_AXIS),
    )
    money = baseline_budget(network, checked(network, budgets))
    plans = [baseline(name, network, money) for name in settings.baselines]
    solved = {"solver_solution": "", "proved_optimal": False, "solver_gap": np.nan}
    solved["solve_s"] = np.nan
    if settings.action == "optimise":
        years, weights = optimiser_years(network, task.seed, settings.sampled_years)
        # One solver thread per cell: cells are the parallelism, and the solver's path
        # (so the plan) does not depend on how many cores a worker has.
        made = solve(
            network,
            years,
            budgets,
            settings.solver,
            settings.time_limit_s,
            settings.mip_gap,
            threads=1,
            year_weights=weights,
        )
        plans.insert(0, made.plan)
        report = made.report
        solved = {
            "solver_solution": report.solution,
            "proved_optimal": report.optimal,
            "solver_gap": report.gap,
            "solve_s": report.build_s + report.solve_s,
        }
    plans.extend(task.plans)
    judged = judge(scenario, plans, settings.reps, task.seed)
    summaries, yearly = [], []
    for plan in plans:
        summaries.append(_plan_summary(plan, scenario, summarize(judged.results[plan.plan_id])))
        yearly.append(_plan_years(plan, judged.yearly[plan.plan_id]))
    summary = pd.concat(summaries, ignore_index=True)
    summary = summary.assign(**solved, cell_s=time.perf_counter() - started)
    return _with_cell(summary, task.cell), _with_cell(pd.concat(yearly), task.cell)


def _plan_summary(plan: Plan, scenario: Scenario, summary: pd.DataFrame) -> pd.DataFrame:
    return summary.assign(
        plan=plan.plan_id,
        purchase_cost_yuan=plan.purchase_cost_yuan(scenario),
        staffing_cost_yuan=plan.staffing_cost_yuan(scenario),
        procurement_budget_yuan=float(scenario.procurement_budget_yuan),
    )[list(PLAN_SUMMARY_COLUMNS)]


def _plan_years(plan: Plan, yearly: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "plan": plan.plan_id,
            "replication": yearly.index.to_numpy(dtype=np.int64),
            HEADLINE: yearly.to_numpy(dtype=float),
        }
    )


def grid_columns(cell: Cell) -> dict[str, object]:
    """The cell's columns: ``cell``, each axis's value and, where it differs, its label."""
    columns: dict[str, object] = {"cell": cell.index}
    labels = dict(cell.labels)
    for name, value in cell.choices:
        columns[name] = value if isinstance(value, str | int | float) else labels[name]
        if labels[name] != value_label(value):
            columns[f"{name}_label"] = labels[name]
    return columns


def _with_cell(frame: pd.DataFrame, cell: Cell) -> pd.DataFrame:
    columns = grid_columns(cell)
    frame = frame.reset_index(drop=True)
    leading = pd.DataFrame({name: [value] * len(frame) for name, value in columns.items()})
    return pd.concat([leading, frame], axis=1)
