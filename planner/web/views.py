"""What the pages show, as plain rows of text: built from a scenario and a job's results.

Every value is a string here; the templates escape them (names come from users' files).
"""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from planner import charts
from planner.labels import (
    BREAKDOWN_LABELS,
    CATEGORY_LABELS,
    TIER_LABELS,
    VERDICT_LABELS,
    label,
    page_word,
    plan_name,
)
from planner.report_content import metric_table
from planner.results import PlanResults, find_results
from scenarios import InputError
from scenarios.plan import Plan, procurement_lines
from scenarios.schema import Scenario
from sim.metrics import HEADLINE

FIGURE_DPI = 90  # a page image, not print
_drawing = threading.Lock()  # matplotlib's font cache is not made for threads drawing at once


@dataclass(frozen=True, slots=True)
class Table:
    """Column titles and rows of shown text; numeric columns right-aligned."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...] = ()


def _yuan(value: float) -> str:
    return f"{value:,.0f}"


def scenario_name(scenario: Scenario, lang: str) -> str:
    """The county's name in ``lang`` (its id if it has no English name)."""
    return scenario.name_zh if lang == "zh" else (scenario.name_en or scenario.scenario_id)


def stock_table(scenario: Scenario, lang: str) -> Table:
    """Today's stock value: a row per tier, a column per category, totals."""
    value = charts.stock_value_by(scenario)
    grid = value.pivot_table(
        index="tier", columns="category", values="value_yuan", aggfunc="sum", fill_value=0.0
    )
    tiers = [t for t in TIER_LABELS if t in grid.index] + [
        t for t in grid.index if t not in TIER_LABELS
    ]
    categories = [c for c in CATEGORY_LABELS if c in grid.columns] + [
        c for c in grid.columns if c not in CATEGORY_LABELS
    ]
    grid = grid.reindex(index=tiers, columns=categories)
    total = page_word("col_total", lang)
    columns = (
        page_word("col_tier", lang),
        *(label(CATEGORY_LABELS, c, lang) for c in categories),
        total,
    )
    rows = [
        (label(TIER_LABELS, tier, lang), *(_yuan(v) for v in row), _yuan(row.sum()))
        for tier, row in grid.iterrows()
    ]
    rows.append((total, *(_yuan(v) for v in grid.sum()), _yuan(grid.to_numpy().sum())))
    return Table(columns, tuple(rows), (False,) + (True,) * (len(columns) - 1))


def today_table(out: Path, lang: str) -> Table:
    """A simulate job's headline outcomes with their 95% CIs (summary.csv)."""
    results = find_results(out)
    assert results.today is not None
    frame = metric_table(results.today.summary, results.scenario, lang)
    return _frame_table(frame, (False, False, True, True, False))


def _frame_table(frame: pd.DataFrame, numeric: tuple[bool, ...]) -> Table:
    rows = tuple(tuple(str(v) for v in row) for row in frame.itertuples(index=False))
    return Table(tuple(map(str, frame.columns)), rows, numeric)


def plan_results(out: Path) -> tuple[PlanResults, Scenario]:
    """An optimize job's plan and judgement, and the scenario it was run for."""
    results = find_results(out)
    assert results.plan is not None
    return results.plan, results.scenario


def procurement_table(part: PlanResults, scenario: Scenario, lang: str) -> tuple[Table, float]:
    """The purchases line by line (item, depot, quantity, unit price, amount) and their total."""
    lines = procurement_lines(part.plan, scenario)
    words = ("col_item", "col_depot", "col_tier", "col_quantity", "col_unit")
    columns = (
        *(page_word(w, lang) for w in words),
        *(page_word(w, lang) for w in ("col_price", "col_amount")),
    )
    rows = []
    for row in lines.to_dict("records"):
        item = row["name_zh"] if lang == "zh" else (row["name_en"] or row["item_id"])
        depot = charts.depot_name(scenario, row["depot_id"], lang)
        rows.append(
            (
                item,
                depot,
                label(TIER_LABELS, row["tier"], lang),
                f"{row['quantity']:,}",
                row["unit"],
                f"{row['unit_price_yuan']:,.2f}".removesuffix(".00"),
                _yuan(row["cost_yuan"]),
            )
        )
    total = float(lines["cost_yuan"].sum())
    numeric = (False, False, False, True, False, True, True)
    return Table(columns, tuple(rows), numeric), total


def evaluation_table(part: PlanResults, lang: str) -> Table:
    """Every judged plan: what it buys, its weighted shortfall and its paired change on today."""
    columns = tuple(
        page_word(w, lang) for w in ("col_plan", "col_purchases", "col_mean", "col_ci", "col_vs")
    )
    rows = []
    for row in part.evaluation.to_dict("records"):
        vs = row.get("vs_status_quo_mean")
        against = (
            ""
            if vs is None or pd.isna(vs)
            else f"{vs:+,.0f} ({row['vs_status_quo_ci_low']:+,.0f} – "
            f"{row['vs_status_quo_ci_high']:+,.0f})"
        )
        rows.append(
            (
                plan_name(str(row["plan"]), lang),
                _yuan(row["purchase_cost_yuan"]),
                _yuan(row["weighted_unmet_mean"]),
                f"{_yuan(row['weighted_unmet_ci_low'])} – {_yuan(row['weighted_unmet_ci_high'])}",
                against,
            )
        )
    return Table(columns, tuple(rows), (False, True, True, True, True))


# ---------------------------------------------------------------------------- pictures


def png(figure: Figure) -> bytes:
    """A figure as PNG bytes."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=FIGURE_DPI, bbox_inches="tight")
    return buffer.getvalue()


def county_map(scenario: Scenario, lang: str) -> bytes:
    """The report's township map, coloured by population (before anything is simulated)."""
    population = pd.Series({t.township_id: float(t.population) for t in scenario.townships})
    with _drawing:
        return png(charts.township_map(scenario, population, page_word("population", lang), lang))


def today_map(out: Path, lang: str) -> bytes:
    """The report's township map of a simulate job: weighted shortfall per township."""
    results = find_results(out)
    assert results.today is not None
    scenario, today = results.scenario, results.today
    reps = int(today.record.get("reps", 0)) or int(today.events["replication"].max()) + 1
    ids = [t.township_id for t in scenario.townships]
    unmet = charts.township_unmet(today.events, np.arange(reps), ids)
    with _drawing:
        return png(charts.township_map(scenario, unmet, page_word("today_map", lang), lang))


def spending_chart(out: Path, lang: str) -> bytes:
    """The report's chart of what the plan spends, by category and tier, and its top items."""
    part, scenario = plan_results(out)
    with _drawing:
        return png(charts.plan_spending(*charts.spending_frames(part.plan, scenario), lang=lang))


# ---------------------------------------------------------------------------- what more buys


@dataclass(frozen=True, slots=True)
class SweepView:
    """A finished budget sweep: its budgets, the frontier, each budget's plan, the county."""

    budgets: tuple[float, ...]
    frontier: Table
    status_quo: str  # the status quo's shortfall with its CI, as text
    years: int  # simulated years per budget
    plans: tuple[Plan | None, ...]
    scenario: Scenario
    plan_outcomes: tuple[str, ...]  # each plan's own judged shortfall with its CI ('' if none)
    agrees: tuple[bool, ...]  # each plan judged as its sweep cell's plan was, to the yuan


def _ci(low: float, high: float) -> str:
    return f"{_yuan(low)} – {_yuan(high)}"


def sweep_view(out: Path, plan_folders: list[Path], lang: str) -> SweepView:
    """A sweep job's frontier (each budget's simulated shortfall, the paired step) and plans."""
    results = find_results(out)
    assert results.sweep is not None
    summary, years = results.sweep.summary, results.sweep.years
    points = charts.frontier_points(summary, "optimised")
    steps = charts.step_effects(years, "optimised")
    headline = summary[(summary["metric"] == HEADLINE) & (summary["group"] == "all")]
    spent = headline[headline["plan"] == "optimised"].set_index("budget_yuan")
    columns = tuple(
        page_word(w, lang)
        for w in ("col_budget", "col_spends", "col_mean", "col_ci", "col_step", "col_step_ci")
    )
    rows = []
    for point in points.to_dict("records"):
        budget = point["budget_yuan"]
        step = steps[steps["budget_to_yuan"] == budget]
        reduction, interval = "", ""
        if not step.empty:
            first = step.iloc[0]
            reduction = f"{first['reduction_mean']:+,.0f}"
            interval = f"{first['ci_low']:+,.0f} – {first['ci_high']:+,.0f}"
        rows.append(
            (
                _yuan(budget),
                _yuan(float(spent.loc[budget, "purchase_cost_yuan"])),
                _yuan(point["mean"]),
                _ci(point["ci_low"], point["ci_high"]),
                reduction,
                interval,
            )
        )
    quo = headline[headline["plan"] == "status_quo"]
    status = ""
    if not quo.empty:
        row = quo.iloc[0]
        status = f"{_yuan(row['mean'])} ({_ci(row['ci_low'], row['ci_high'])})"
    parts = [_plan_or_none(folder) for folder in plan_folders]
    outcomes, agrees = [], []
    for point, part in zip(points.to_dict("records"), parts, strict=False):
        row = _optimised_row(part)
        if row is None:
            outcomes.append("")
            agrees.append(False)
            continue
        mean = float(row["weighted_unmet_mean"])
        outcomes.append(
            f"{_yuan(mean)} ({_ci(row['weighted_unmet_ci_low'], row['weighted_unmet_ci_high'])})"
        )
        agrees.append(abs(mean - float(point["mean"])) < 0.5)
    n = int(points["n"].min()) if not points.empty else 0
    return SweepView(
        tuple(float(b) for b in points["budget_yuan"]),
        Table(columns, tuple(rows), (True,) * len(columns)),
        status,
        n,
        tuple(None if part is None else part.plan for part in parts),
        results.scenario,
        tuple(outcomes),
        tuple(agrees),
    )


def plan_part(folder: Path) -> PlanResults | None:
    """An optimize run's plan and judgement in ``folder``, or None if there is none."""
    return _plan_or_none(folder)


def _plan_or_none(folder: Path) -> PlanResults | None:
    try:
        return find_results(folder).plan
    except InputError:
        return None


def _optimised_row(part: PlanResults | None) -> dict | None:
    """The plan's own row of its judgement (``optimised``), or None."""
    if part is None:
        return None
    rows = part.evaluation[part.evaluation["plan"] == "optimised"]
    return None if rows.empty else rows.iloc[0].to_dict()


def plan_difference(first: Plan, second: Plan, scenario: Scenario, lang: str) -> Table:
    """What the second plan buys that the first does not, line by line, and the yuan in all.

    Rows: item, depot, the quantity in each plan, the change and its yuan (largest first);
    the last row is the total change of money.
    """

    def quantities(plan: Plan) -> dict[tuple[str, str], int]:
        return {(p.item_id, p.depot_id): p.quantity for p in plan.purchases}

    before, after = quantities(first), quantities(second)
    items = {item.item_id: item for item in scenario.items}
    changes = []
    for key in sorted(set(before) | set(after)):
        change = after.get(key, 0) - before.get(key, 0)
        if change:
            changes.append((key, change, change * items[key[0]].unit_price_yuan))
    changes.sort(key=lambda c: (-c[2], c[0]))
    words = ("col_item", "col_depot", "col_before", "col_after", "col_change", "col_change_yuan")
    rows = []
    for (item_id, depot_id), change, money in changes:
        item = items[item_id]
        name = item.name_zh if lang == "zh" else (item.name_en or item.item_id)
        rows.append(
            (
                name,
                charts.depot_name(scenario, depot_id, lang),
                f"{before.get((item_id, depot_id), 0):,}",
                f"{after.get((item_id, depot_id), 0):,}",
                f"{change:+,}",
                f"{money:+,.0f}",
            )
        )
    total = sum(c[2] for c in changes)
    rows.append((page_word("col_total", lang), "", "", "", "", f"{total:+,.0f}"))
    numeric = (False, False, True, True, True, True)
    return Table(tuple(page_word(w, lang) for w in words), tuple(rows), numeric)


def frontier_chart(out: Path, current: float | None, lang: str) -> bytes:
    """The report's funding frontier of a sweep job, with the county's budget marked."""
    results = find_results(out)
    assert results.sweep is not None
    with _drawing:
        return png(
            charts.funding_frontier(results.sweep.summary, results.sweep.years, current, lang=lang)
        )


# ---------------------------------------------------------------------------- plan A, plan B


@dataclass(frozen=True, slots=True)
class ComparisonView:
    """A compare job: both plans' outcomes, the paired difference, its breakdown."""

    plans: Table
    difference: str  # second minus first, with its CI
    verdict: str
    breakdown: Table
    years: int
    over_budget: tuple[str, ...]


def comparison_view(out: Path, names: dict[str, str], lang: str) -> ComparisonView:
    """A compare job's results; ``names`` gives each plan id the page's name for it."""
    results = find_results(out)
    assert results.comparison is not None
    part, scenario = results.comparison, results.scenario
    columns = tuple(page_word(w, lang) for w in ("col_plan", "col_purchases", "col_mean", "col_ci"))
    rows = []
    for row in part.evaluation.to_dict("records"):
        rows.append(
            (
                names.get(str(row["plan"]), plan_name(str(row["plan"]), lang)),
                _yuan(row["purchase_cost_yuan"]),
                _yuan(row["weighted_unmet_mean"]),
                _ci(row["weighted_unmet_ci_low"], row["weighted_unmet_ci_high"]),
            )
        )
    comparison = part.comparison
    total = comparison[comparison["breakdown"] == "all"].iloc[0]
    difference = (
        f"{total['difference_mean']:+,.0f} "
        f"({total['difference_ci_low']:+,.0f} – {total['difference_ci_high']:+,.0f})"
    )
    words = (
        "col_breakdown",
        "col_group",
        "col_first",
        "col_second",
        "col_difference",
        "col_verdict",
    )
    lines = []
    for row in comparison[comparison["breakdown"].isin(("hazard", "category"))].to_dict("records"):
        group = str(row["group"])
        if row["breakdown"] == "hazard":
            shown = charts.hazard_name(scenario, group, lang)
        else:
            shown = label(CATEGORY_LABELS, group, lang)
        lines.append(
            (
                label(BREAKDOWN_LABELS, str(row["breakdown"]), lang),
                shown,
                _yuan(row["reference_mean"]),
                _yuan(row["plan_mean"]),
                f"{row['difference_mean']:+,.0f} "
                f"({row['difference_ci_low']:+,.0f} – {row['difference_ci_high']:+,.0f})",
                label(VERDICT_LABELS, str(row["verdict"]), lang),
            )
        )
    over = part.record.get("over_budget") or []
    over_names = tuple(
        names.get(str(o.get("plan_id", "")), str(o.get("plan_id", "")))
        for o in over
        if isinstance(o, dict)
    )
    breakdown = Table(
        tuple(page_word(w, lang) for w in words),
        tuple(lines),
        (False, False, True, True, True, False),
    )
    return ComparisonView(
        Table(columns, tuple(rows), (False, True, True, True)),
        difference,
        label(VERDICT_LABELS, str(total["verdict"]), lang),
        breakdown,
        int(total["replications"]),
        over_names,
    )


def comparison_chart(out: Path, names: dict[str, str], lang: str) -> bytes:
    """The report's forest of paired differences (total, hazards, categories) of a compare job.

    ``names`` gives each plan id the short name the chart's title uses (A, B; the
    original, the edited plan), not the name of the file the job wrote.
    """
    results = find_results(out)
    assert results.comparison is not None
    frame = results.comparison.comparison
    frame = frame.assign(
        plan=frame["plan"].replace(names), reference=frame["reference"].replace(names)
    )
    with _drawing:
        return png(charts.comparison_forest(frame, lang, results.scenario))


# ---------------------------------------------------------------------------- editing a plan


@dataclass(frozen=True, slots=True)
class EditRow:
    """One line of the edit table: what it is (shown) and its quantity (an input)."""

    index: int
    item: str
    depot: str
    unit: str
    price: str
    quantity: str


def edit_rows(plan: Plan, scenario: Scenario, lang: str) -> list[EditRow]:
    """The plan's purchase lines as the edit table shows them, in the plan's order."""
    items = {item.item_id: item for item in scenario.items}
    rows = []
    for index, purchase in enumerate(plan.purchases):
        item = items[purchase.item_id]
        rows.append(
            EditRow(
                index,
                item.name_zh if lang == "zh" else (item.name_en or item.item_id),
                charts.depot_name(scenario, purchase.depot_id, lang),
                item.unit,
                f"{item.unit_price_yuan:,.2f}".removesuffix(".00"),
                str(purchase.quantity),
            )
        )
    return rows


def item_choices(scenario: Scenario, lang: str) -> list[tuple[str, str]]:
    """Every item as (id, shown name) for the added line's list."""
    return [
        (i.item_id, i.name_zh if lang == "zh" else (i.name_en or i.item_id)) for i in scenario.items
    ]


def depot_choices(scenario: Scenario, lang: str) -> list[tuple[str, str]]:
    """Every depot as (id, shown name) for the added line's list."""
    return [(d.depot_id, charts.depot_name(scenario, d.depot_id, lang)) for d in scenario.depots]
