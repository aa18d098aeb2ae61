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
from planner.tables import YEAR_LABELS, year_cells
from scenarios import InputError, load
from scenarios.files import write_atomic
from scenarios.plan import PURCHASE_TITLES, TOTAL_LABEL, Plan, Purchase, fill_sheet, purchase_rows
from scenarios.schema import Scenario

MAX_YEARS = 30  # a plan beyond a generation's stock is not a plan
WORKBOOK = "plan_years.xlsx"
YEARS_SHEET = "总表 years"
LEAVING_SHEET = "出库 leaving"
KINDS = {"replacement": "更新 replacement", "new": "新购 new"}
WAYS = {"used": "消耗 used", "failed": "损坏 failed", "rotated": "轮换 rotated",
        "scrapped": "报废 scrapped"}  # fmt: skip
YEAR_COLUMNS = {  # the years sheet: column title -> YearRow field
    "年 year": "year",
    "预算 budget (yuan)": "budget_yuan",
    "更新 replaced (yuan)": "replaced_yuan",
    "新购 new (yuan)": "bought_yuan",
    "维护 upkeep (yuan)": "upkeep_yuan",
    "年末库存 stock at year end (yuan)": "stock_value_end_yuan",
    "加权缺口 weighted shortfall (yuan-equivalent)": "weighted_unmet_mean",
    "95% CI low": "weighted_unmet_ci_low",
    "95% CI high": "weighted_unmet_ci_high",
    "延误死亡 lives lost": "trapped_lost_per_year",
    "未救助 people without relief": "people_without_relief_per_year",
    "下限调整 floors lowered": "floors_lowered",
}
LEAVING_TITLES = ("年 year", "方式 how", "item_id", "物资 item (zh)", "depot_id",
                  "购置年 bought in", "数量 quantity", "金额 value (yuan)")  # fmt: skip


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
    if request.out.exists() and not request.out.is_dir():
        raise InputError(request.out, "--out", "exists and is not a folder")
    settings = request.settings
    with console.status("多年规划 planning the years") as status:
        try:
            planned = plan_years(
                scenario, budgets, settings, lambda text: status.update(f"多年规划 {text}")
            )
        except PlanningError as error:
            raise RequestError(str(error)) from None
    out = prepare_out_dir(request.out)  # made once there is a plan: a refused year leaves none
    _write(out, planned, scenario)
    seed = scenario.seed if settings.seed is None else settings.seed
    write_run_record(
        out, "plan-years", request.scenario_path, seed=seed, reps=settings.reps,
        sampled_years=settings.sampled_years, budgets_yuan=list(budgets),
    )  # fmt: skip
    terminal().print(years_table(planned, scenario))
    console.print(
        f"wrote {out}/years.csv, purchases.csv, leaving.csv, closing_stock.csv (and .parquet), "
        f"{WORKBOOK}, run.json",
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


def _write(out: Path, planned: YearsPlan, scenario: Scenario) -> None:
    for name, frame in frames(planned).items():
        write_csv(frame, out / f"{name}.csv")
        write_parquet(frame, out / f"{name}.parquet")
    workbook = years_workbook(planned, scenario)
    write_atomic(out / WORKBOOK, workbook.save)


def years_workbook(planned: YearsPlan, scenario: Scenario):
    """The purchasing office's workbook: the years, each year's purchase list, what left."""
    from openpyxl import Workbook  # here, so that importing the planner stays quick

    workbook = Workbook()
    workbook.remove(workbook.active)
    rows = [{title: getattr(row, name) for title, name in YEAR_COLUMNS.items()}
            for row in planned.years]  # fmt: skip
    fill_sheet(workbook.create_sheet(YEARS_SHEET), tuple(YEAR_COLUMNS), rows, [])
    titles = ("类型 kind", *PURCHASE_TITLES)
    for row in planned.years:
        lines, total = [], 0.0
        for kind, label in KINDS.items():
            bought = tuple(
                Purchase(p.item_id, p.depot_id, p.quantity)
                for p in planned.purchases
                if p.year == row.year and p.kind == kind
            )
            kept, _ = purchase_rows(Plan(kind, bought), scenario)
            lines += [{"类型 kind": label} | line for line in kept]
            total += sum(line["金额 cost (yuan)"] for line in kept)
        summary = [{"类型 kind": TOTAL_LABEL, "金额 cost (yuan)": total}]
        fill_sheet(workbook.create_sheet(f"{row.year} 采购 purchases"), titles, lines, summary)
    names = {item.item_id: item.name_zh for item in scenario.items}
    left = [
        dict(zip(LEAVING_TITLES, (r.year, WAYS[r.how], r.item_id, names[r.item_id], r.depot_id,
                                  r.purchase_year, r.quantity, r.value_yuan), strict=True))
        for r in planned.leaving
    ]  # fmt: skip
    fill_sheet(workbook.create_sheet(LEAVING_SHEET), LEAVING_TITLES, left, [])
    return workbook


def years_table(planned: YearsPlan, scenario: Scenario) -> Table:
    """A row per year: money, stock, and the simulated outcomes with their intervals."""
    table = Table(
        title=f"{scenario.name_zh} {scenario.name_en} — 多年规划 plan over the years "
        f"({planned.sampled_years} sampled years to choose, {planned.reps} simulated years "
        "to judge each year, the same years every year)"
    )
    for zh, en in (*YEAR_LABELS.values(), ("求解", "solve")):
        table.add_column(f"{zh} {en}", justify="right")
    for row in planned.years:
        solved = "proved" if row.proved_optimal else f"NOT proved, gap {row.gap:.2%}"
        table.add_row(*year_cells(asdict(row)).values(), solved)
    table.caption = (
        "yuan; the weighted shortfall in yuan-equivalent a year; lives and people a year; "
        "upkeep of the stock held, reported, not paid from the budget"
    )
    return table
