"""``yingji plan-years``: plan several years ahead, replacements first, and write the tables.

With a second path of budgets (``--against-budgets`` or ``--against-rise``) both
paths are planned as two tasks on the executors the sweeps use, and judged on the
same simulated years, so what the second path's money buys is a paired
difference year by year. The folder holds the first path's tables as always,
the second path's in ``against/``, and the per-year differences in
``against_difference``.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import asdict, astuple, dataclass, field, replace
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table

from optimize.records import (
    JUDGED_COLUMNS,
    LEAVING_COLUMNS,
    PURCHASE_COLUMNS,
    YEAR_COLUMNS,
    paired_years,
)
from optimize.years import PlanningError, YearsPlan, YearsSettings, plan_years
from planner.errors import RequestError
from planner.executors import open_executor
from planner.labels import (
    AGAINST_LABELS,
    LEAVING_LABELS,
    PURCHASE_KIND_LABELS,
    YEAR_LABELS,
    both,
    label,
)
from planner.output import terminal
from planner.results import (
    AGAINST,
    DIFFERENCE,
    YEARS_TABLES,
    prepare_out_dir,
    run_folder,
    write_run_record,
    write_tables,
)
from planner.tables import against_cells, year_cells
from scenarios import InputError, load
from scenarios.files import write_atomic
from scenarios.ledger import LOT_COLUMNS
from scenarios.plan import (
    DEPOT_ID_TITLE,
    ITEM_ID_TITLE,
    PURCHASE_TITLES,
    TOTAL_LABEL,
    Plan,
    Purchase,
    fill_sheet,
    purchase_rows,
)
from scenarios.schema import Scenario

MAX_YEARS = 30  # a plan beyond a generation's stock is not a plan
# A rise above doubling every year, or a fall of more than half, is not a budget path a
# bureau plans by; such budgets are given year by year with --against-budgets.
RISE_PERCENT = (-50.0, 100.0)
WORKBOOK = "plan_years.xlsx"
YEARS_SHEET = "总表 years"
LEAVING_SHEET = "出库 leaving"
YEAR_SHEET_COLUMNS = {  # the years sheet: column title -> YearRow field
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
    "村级自补 villages restocked, own money (yuan)": "village_restocked_yuan",
}
LEAVING_TITLES = ("年 year", "方式 how", ITEM_ID_TITLE, "物资 item (zh)", DEPOT_ID_TITLE,
                  "购置年 bought in", "数量 quantity", "金额 value (yuan)")  # fmt: skip
AGAINST_SHEET = "对照 against"
AGAINST_COLUMNS = {  # the against sheet: column title -> optimize.records.DIFFERENCE_COLUMNS
    "年 year": "year",
    "预算 budget (yuan)": "budget_yuan",
    "对照预算 against budget (yuan)": "against_budget_yuan",
    "多出 extra (yuan)": "extra_yuan",
    "累计多出 extra so far (yuan)": "cumulative_extra_yuan",
    "加权缺口 weighted shortfall (yuan-equivalent)": "weighted_unmet_mean",
    "对照加权缺口 against weighted shortfall (yuan-equivalent)": "against_weighted_unmet_mean",
    "缺口之差 shortfall difference": "weighted_unmet_difference_mean",
    "缺口之差下限 95% CI low": "weighted_unmet_difference_ci_low",
    "缺口之差上限 95% CI high": "weighted_unmet_difference_ci_high",
    "未救助之差 without relief, difference": "people_without_relief_difference_mean",
    "未救助之差下限 95% CI low": "people_without_relief_difference_ci_low",
    "未救助之差上限 95% CI high": "people_without_relief_difference_ci_high",
    "延误死亡之差 lives lost, difference": "trapped_lost_difference_mean",
    "延误死亡之差下限 95% CI low": "trapped_lost_difference_ci_low",
    "延误死亡之差上限 95% CI high": "trapped_lost_difference_ci_high",
}


@dataclass(frozen=True, slots=True)
class PlanYearsRequest:
    """What ``yingji plan-years`` was asked: the county, the years and their budgets."""

    scenario_path: Path | None
    years: int | None = None
    budget_yuan: float | None = None  # the same every year (default: the scenario's)
    budgets_yuan: tuple[float, ...] = ()  # one a year, instead
    settings: YearsSettings = field(default_factory=YearsSettings)
    out: Path = Path("results/plan_years")
    against_budgets_yuan: tuple[float, ...] = ()  # a second path, one a year
    against_rise_percent: float | None = None  # or the first path's, risen by this a year
    scheduler: str | None = None  # a Dask scheduler's address, as for sweeps
    local_cluster: int | None = None  # or a local Dask cluster of this many workers


@dataclass(frozen=True, slots=True)
class PathTask:
    """One path of budgets, planned as one task on an executor."""

    path: str  # "planned" or "against"
    scenario: Scenario
    budgets_yuan: tuple[float, ...]
    settings: YearsSettings


def plan_path(task: PathTask) -> YearsPlan | PlanningError:
    """Plan one path's years; a year its rules refuse comes back as the error, not raised."""
    try:
        return plan_years(task.scenario, task.budgets_yuan, task.settings)
    except PlanningError as error:
        return error


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


def risen(budgets: tuple[float, ...], percent: float) -> tuple[float, ...]:
    """Each year's budget raised by ``percent`` a year, compounded: year k times (1+p)^k."""
    return tuple(round(b * (1.0 + percent / 100.0) ** k, 2) for k, b in enumerate(budgets))


def against_of(request: PlanYearsRequest, budgets: tuple[float, ...]) -> tuple[float, ...]:
    """The second path's budgets, one a year as the first path's; empty when none is asked."""
    rise = request.against_rise_percent
    if request.against_budgets_yuan and rise is not None:
        raise RequestError("give --against-budgets or --against-rise, not both")
    if rise is not None:
        low, high = RISE_PERCENT
        if not (math.isfinite(rise) and low <= rise <= high):
            raise RequestError(f"--against-rise {rise}: a rise from {low:g} to {high:g}% a year")
        return risen(budgets, rise)
    given = request.against_budgets_yuan
    if given and len(given) != len(budgets):
        raise RequestError(
            f"--against-budgets gives {len(given)} budgets for {len(budgets)} years: "
            "give one a year, as many as the years planned"
        )
    return given


def run_plan_years(request: PlanYearsRequest, console: Console | None = None) -> Path:
    """Plan the years, print a row per year, write the tables; returns the folder."""
    console = console or terminal(stderr=True)
    scenario = load(request.scenario_path)
    budgets = budgets_of(request, scenario)
    if len(budgets) > MAX_YEARS:
        raise RequestError(f"{len(budgets)} years: at most {MAX_YEARS}")
    against = against_of(request, budgets)
    if request.out.exists() and not request.out.is_dir():
        raise InputError(request.out, "--out", "exists and is not a folder")
    paths = {"planned": budgets} | ({AGAINST: against} if against else {})
    plans = plan_paths(scenario, paths, request, console)
    differences = against_frame(plans["planned"], plans[AGAINST]) if against else None
    settings = request.settings
    seed = scenario.seed if settings.seed is None else settings.seed
    # The folder is made once there is a plan: a refused year leaves none.
    with run_folder(request.out, "plan-years") as out:
        _write(out, plans, differences, scenario)
        write_run_record(
            out, "plan-years", scenario, seed=seed, reps=settings.reps,
            sampled_years=settings.sampled_years, budgets_yuan=list(budgets),
            against_budgets_yuan=list(against) or None,
            against_rise_percent=request.against_rise_percent,
        )  # fmt: skip
    terminal().print(years_table(plans["planned"], scenario))
    wrote = f"{', '.join(YEARS_TABLES)} (.csv and .parquet)"
    if differences is not None:
        terminal().print(against_table(differences, request.against_rise_percent))
        wrote += f"; {AGAINST}/ the same for the second path; {DIFFERENCE} (.csv and .parquet)"
    console.print(
        f"wrote {out}: {wrote}, {WORKBOOK}, run.json, scenario.json", markup=False, highlight=False
    )
    return out


def plan_paths(
    scenario: Scenario,
    paths: dict[str, tuple[float, ...]],
    request: PlanYearsRequest,
    console: Console,
) -> dict[str, YearsPlan]:
    """Each path of budgets planned: one here, or each a task on the executors sweeps use."""
    settings = request.settings
    on_dask = request.scheduler is not None or request.local_cluster is not None
    if len(paths) == 1 and not on_dask:
        return {"planned": _plan_here(scenario, paths["planned"], settings, console)}
    # Each task simulates on its share of the processes (Dask workers run one each), and
    # every solve on one HiGHS thread, so any executor gives the same numbers.
    processes = 1 if on_dask else min(settings.jobs, len(paths))
    inner = 1 if on_dask else max(1, settings.jobs // len(paths))
    each = replace(settings, jobs=inner, threads=1)
    tasks = [PathTask(name, scenario, budgets, each) for name, budgets in paths.items()]
    plans: dict[str, YearsPlan] = {}
    with (
        console.status(f"多年规划 planning {len(tasks)} paths of budgets") as status,
        open_executor(processes, request.scheduler, request.local_cluster) as executor,
    ):
        where = f"多年规划 planning {len(tasks)} paths of budgets on {executor.description}"
        status.update(where)
        for task, outcome in executor.run(plan_path, tasks):
            plans[task.path] = _planned(task, outcome)
            status.update(f"{where}: {len(plans)} of {len(tasks)} planned")
    return plans


def _plan_here(
    scenario: Scenario, budgets: tuple[float, ...], settings: YearsSettings, console: Console
) -> YearsPlan:
    """One path in this process: its simulation on --jobs processes, news year by year."""
    with console.status("多年规划 planning the years") as status:
        try:
            return plan_years(
                scenario, budgets, settings, lambda text: status.update(f"多年规划 {text}")
            )
        except PlanningError as error:
            raise RequestError(str(error)) from None


def _planned(task: PathTask, outcome: object) -> YearsPlan:
    """A path's plan, or one line saying which path failed and why."""
    if isinstance(outcome, YearsPlan):
        return outcome
    which = "the first path" if task.path == "planned" else "the path set against it"
    if isinstance(outcome, PlanningError):
        raise RequestError(f"{which}: {outcome}")
    # a worker lost, or an error of its own: one line, as a sweep says of its cells
    reason = " ".join(str(outcome).split())
    raise RequestError(f"{which} failed: {type(outcome).__name__}{': ' + reason if reason else ''}")


def against_frame(planned: YearsPlan, against: YearsPlan) -> pd.DataFrame:
    """Per year, the second path minus the first on the same judging years (paired)."""
    first, second = frames(planned), frames(against)
    return paired_years(first["years"], first["judged"], second["years"], second["judged"])


def frames(planned: YearsPlan) -> dict[str, pd.DataFrame]:
    """The plan's tables by name (:data:`planner.results.YEARS_TABLES`), columns by record type."""
    rows = {
        "years": (planned.years, YEAR_COLUMNS),
        "purchases": (planned.purchases, PURCHASE_COLUMNS),
        "leaving": (planned.leaving, LEAVING_COLUMNS),
        "closing_stock": (planned.closing, LOT_COLUMNS),
        "judged": (planned.judged, JUDGED_COLUMNS),
    }
    return {
        name: pd.DataFrame([astuple(row) for row in records], columns=list(columns))
        for name, (records, columns) in rows.items()
    }


def _write(
    out: Path, plans: dict[str, YearsPlan], differences: pd.DataFrame | None, scenario: Scenario
) -> None:
    write_tables(out, frames(plans["planned"]))
    if differences is None:
        # an earlier run's second path in this folder would be read as this run's
        shutil.rmtree(out / AGAINST, ignore_errors=True)
        for suffix in (".csv", ".parquet"):
            (out / f"{DIFFERENCE}{suffix}").unlink(missing_ok=True)
    else:
        write_tables(prepare_out_dir(out / AGAINST), frames(plans[AGAINST]))
        write_tables(out, {DIFFERENCE: differences})
    workbook = years_workbook(plans["planned"], scenario, differences)
    write_atomic(out / WORKBOOK, workbook.save)


def years_workbook(planned: YearsPlan, scenario: Scenario, differences: pd.DataFrame | None = None):
    """The purchasing office's workbook: the years, each year's list, what left, the against."""
    from openpyxl import Workbook  # here, so that importing the planner stays quick

    workbook = Workbook()
    workbook.remove(workbook.active)
    rows = [{title: getattr(row, name) for title, name in YEAR_SHEET_COLUMNS.items()}
            for row in planned.years]  # fmt: skip
    fill_sheet(workbook.create_sheet(YEARS_SHEET), tuple(YEAR_SHEET_COLUMNS), rows, [])
    titles = ("类型 kind", *PURCHASE_TITLES)
    for row in planned.years:
        lines, total = [], 0.0
        for kind, words in PURCHASE_KIND_LABELS.items():
            bought = tuple(
                Purchase(p.item_id, p.depot_id, p.quantity)
                for p in planned.purchases
                if p.year == row.year and p.kind == kind
            )
            kept, _ = purchase_rows(Plan(kind, bought), scenario)
            lines += [{"类型 kind": both(words)} | line for line in kept]
            total += sum(line["金额 cost (yuan)"] for line in kept)
        summary = [{"类型 kind": TOTAL_LABEL, "金额 cost (yuan)": total}]
        fill_sheet(workbook.create_sheet(f"{row.year} 采购 purchases"), titles, lines, summary)
    names = {item.item_id: item.name_zh for item in scenario.items}
    left = [
        dict(zip(LEAVING_TITLES, (r.year, label(LEAVING_LABELS, r.how), r.item_id,
                                  names[r.item_id], r.depot_id, r.purchase_year, r.quantity,
                                  r.value_yuan), strict=True))
        for r in planned.leaving
    ]  # fmt: skip
    fill_sheet(workbook.create_sheet(LEAVING_SHEET), LEAVING_TITLES, left, [])
    if differences is not None:
        rows = [{title: row[name] for title, name in AGAINST_COLUMNS.items()}
                for row in differences.to_dict("records")]  # fmt: skip
        fill_sheet(workbook.create_sheet(AGAINST_SHEET), tuple(AGAINST_COLUMNS), rows, [])
    return workbook


def years_table(planned: YearsPlan, scenario: Scenario) -> Table:
    """A row per year: money, stock, and the simulated outcomes with their intervals."""
    table = Table(
        title=f"{scenario.name_zh} {scenario.name_en} — 多年规划 plan over the years "
        f"({planned.sampled_years} sampled years to choose, {planned.reps} simulated years "
        "to judge each year, the same years every year)"
    )
    for pair in YEAR_LABELS.values():
        table.add_column(both(pair), justify="right")
    for row in planned.years:
        table.add_row(*year_cells(asdict(row)).values())
    table.caption = (
        "yuan; the weighted shortfall in yuan-equivalent a year; lives and people a year; "
        "upkeep of the stock held, reported, not paid from the budget"
    )
    return table


def against_table(differences: pd.DataFrame, rise_percent: float | None = None) -> Table:
    """Per year, what the second path's money buys: paired differences with their 95% CIs."""
    path = "" if rise_percent is None else f" ({rise_percent:+g}% a year)"
    table = Table(
        title=f"对照预算能买到什么 What the budgets set against the plan buy{path}: "
        "against minus planned, simulated on the same judging years (mean, 95% CI)"
    )
    for zh, en in AGAINST_LABELS.values():
        table.add_column(f"{zh} {en}", justify="right")
    for row in differences.to_dict("records"):
        table.add_row(*against_cells(row).values())
    table.caption = (
        "yuan; below 0 the second path leaves less: shortfall in yuan-equivalent a year, "
        "lives and people a year"
    )
    return table
