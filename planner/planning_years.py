"""``yingji plan-years``: plan several years ahead, replacements first, and write the tables."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from optimize.years import PlanningError, YearsPlan, YearsSettings, plan_years
from planner.errors import RequestError
from planner.output import prepare_out_dir, terminal, write_csv, write_parquet, write_run_record
from scenarios import load
from scenarios.schema import Scenario

MAX_YEARS = 30  # a plan beyond a generation's stock is not a plan


@dataclass(frozen=True, slots=True)
class PlanYearsRequest:
    """What ``yingji plan-years`` was asked: the county, the years and their budgets."""

    scenario_path: Path | None
    years: int | None = None
    budget_yuan: float | None = None  # the same every year (default: the scenario's)
    budgets_yuan: tuple[float, ...] = ()  # one a year, instead
    settings: YearsSettings = field(default_factory=YearsSettings)
    out: Path = Path("results/plan_years")


def budgets_of(request: PlanYearsRequest, scenario: Scenario) -> tuple[float, ...]:
    """One budget a year: the list given, or one budget repeated (5 years by default)."""
    if request.budgets_yuan:
        if request.years is not None and request.years != len(request.budgets_yuan):
            raise RequestError(
                f"--years {request.years} but --budgets gives {len(request.budgets_yuan)} "
                "budgets: give one a year, or leave out --years"
            )
        if request.budget_yuan is not None:
            raise RequestError("give --budget (the same every year) or --budgets, not both")
        return request.budgets_yuan
    years = 5 if request.years is None else request.years
    budget = (
        scenario.procurement_budget_yuan if request.budget_yuan is None else request.budget_yuan
    )
    return (float(budget),) * years


def run_plan_years(request: PlanYearsRequest, console: Console | None = None) -> Path:
    """Plan the years, print a row per year, write the tables; returns the folder."""
    console = console or terminal(stderr=True)
    scenario = load(request.scenario_path)
    budgets = budgets_of(request, scenario)
    if len(budgets) > MAX_YEARS:
        raise RequestError(f"{len(budgets)} years: at most {MAX_YEARS}")
    out = prepare_out_dir(request.out)
    settings = request.settings
    with console.status("多年规划 planning the years") as status:
        try:
            planned = plan_years(
                scenario, budgets, settings, lambda text: status.update(f"多年规划 {text}")
            )
        except PlanningError as error:
            raise RequestError(str(error)) from None
    _write(out, planned)
    seed = scenario.seed if settings.seed is None else settings.seed
    write_run_record(
        out, "plan-years", request.scenario_path, seed=seed, reps=settings.reps,
        sampled_years=settings.sampled_years, budgets_yuan=list(budgets),
    )  # fmt: skip
    terminal().print(years_table(planned, scenario))
    console.print(
        f"wrote {out}/years.csv, purchases.csv, leaving.csv, closing_stock.csv (and .parquet), "
        "run.json",
        markup=False,
        highlight=False,
    )
    return out


def frames(planned: YearsPlan) -> dict[str, pd.DataFrame]:
    """The plan's tables by name: a row per year, per purchase line, per lot that left."""
    return {
        "years": pd.DataFrame([asdict(row) for row in planned.years]),
        "purchases": pd.DataFrame([asdict(row) for row in planned.purchases]),
        "leaving": pd.DataFrame([asdict(row) for row in planned.leaving]),
        "closing_stock": pd.DataFrame([asdict(lot) for lot in planned.closing]),
    }


def _write(out: Path, planned: YearsPlan) -> None:
    for name, frame in frames(planned).items():
        write_csv(frame, out / f"{name}.csv")
        write_parquet(frame, out / f"{name}.parquet")


def years_table(planned: YearsPlan, scenario: Scenario) -> Table:
    """A row per year: money, stock, and the simulated outcomes with their intervals."""
    hour = f"{scenario.outcomes.first_relief_h:g} h"
    table = Table(
        title=f"{scenario.name_zh} {scenario.name_en} — 多年规划 plan over the years "
        f"({planned.sampled_years} sampled years to choose, {planned.reps} simulated years "
        "to judge each year, the same years every year)"
    )
    for column in (
        "年 year", "预算 budget", "更新 replaced", "新购 new", "维护 upkeep",
        "年末库存 stock at year end", "加权缺口 weighted shortfall (95% CI)",
        "延误死亡 lives lost", f"{hour} 未救助 without relief", "求解 solve",
    ):  # fmt: skip
        table.add_column(column, justify="right")
    for row in planned.years:
        table.add_row(
            str(row.year),
            f"{row.budget_yuan:,.0f}",
            f"{row.replaced_yuan:,.0f}",
            f"{row.bought_yuan:,.0f}",
            f"{row.upkeep_yuan:,.0f}",
            f"{row.stock_value_end_yuan:,.0f}",
            f"{row.weighted_unmet_mean:,.0f} ({row.weighted_unmet_ci_low:,.0f} – "
            f"{row.weighted_unmet_ci_high:,.0f})",
            f"{row.trapped_lost_per_year:.2f}",
            f"{row.people_without_relief_per_year:,.0f}",
            "proved" if row.proved_optimal else f"NOT proved, gap {row.gap:.2%}",
        )
    table.caption = (
        "yuan; the weighted shortfall in yuan-equivalent a year; lives and people a year; "
        "upkeep of the stock held, reported, not paid from the budget"
    )
    return table
