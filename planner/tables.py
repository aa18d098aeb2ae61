"""Summary tables for the terminal, labelled in Chinese and English."""

from __future__ import annotations

import math

import pandas as pd
from rich.markup import escape
from rich.table import Table

from planner.labels import (
    AXIS_LABELS,
    BOTH,
    CATEGORY_LABELS,
    METRIC_LABELS,
    NEED_LABELS,
    PART_LABELS,
    SIZE_LABELS,
    TIER_LABELS,
    YEAR_LABELS,
    category_name,
    judgement_label,
    label,
    solve_words,
)
from scenarios.norms import NormCompliance
from scenarios.plan import Plan
from scenarios.schema import Scenario
from scenarios.sweep import Sweep


def year_cells(row: dict, lang: str = BOTH) -> dict[str, str]:
    """One planned year's cells as shown (``YEAR_LABELS`` keys): money whole, the CI beside."""
    shown = {key: f"{row[key]:,.0f}" for key in YEAR_LABELS if key.endswith("_yuan")}
    low, high = row["weighted_unmet_ci_low"], row["weighted_unmet_ci_high"]
    cells = shown | {
        "year": str(int(row["year"])),
        "weighted_unmet_mean": f"{row['weighted_unmet_mean']:,.0f} ({low:,.0f} – {high:,.0f})",
        "trapped_lost_per_year": f"{row['trapped_lost_per_year']:.2f}",
        "people_without_relief_per_year": f"{row['people_without_relief_per_year']:,.0f}",
        "proved_optimal": solve_words(bool(row["proved_optimal"]), float(row["gap"]), lang),
    }
    return {key: cells[key] for key in YEAR_LABELS}  # the console adds them in this order


def against_cells(row: dict, lang: str = BOTH) -> dict[str, str]:
    """One year's paired differences as shown (``AGAINST_LABELS`` keys): signed, CI beside.

    Numbers only, the same in any ``lang`` (taken as :func:`year_cells` takes it).
    """

    def signed(outcome: str, digits: int) -> str:
        mean, low, high = (row[f"{outcome}_difference_{s}"] for s in ("mean", "ci_low", "ci_high"))
        return f"{mean:+,.{digits}f} ({low:+,.{digits}f} – {high:+,.{digits}f})"

    return {
        "year": str(int(row["year"])),
        "budget_yuan": f"{row['budget_yuan']:,.0f}",
        "against_budget_yuan": f"{row['against_budget_yuan']:,.0f}",
        "extra_yuan": f"{row['extra_yuan']:+,.0f}",
        "cumulative_extra_yuan": f"{row['cumulative_extra_yuan']:+,.0f}",
        "weighted_unmet": signed("weighted_unmet", 0),
        "people_without_relief": signed("people_without_relief", 0),
        "trapped_lost": signed("trapped_lost", 2),
    }


def _number(value: float, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit.startswith("share"):
        return f"{value:.1%}"
    counted = unit.startswith(("people", "person-hours", "calls"))
    whole = unit.startswith("weighted") or (counted and abs(value) >= 10)
    if abs(value) >= 1000 or whole:
        return f"{value:,.0f}"
    return f"{value:.2f}"


def _group_label(group: str, scenario: Scenario) -> str:
    if group == "all":
        return ""
    kind, _, key = group.partition("=")
    if kind == "hazard":
        hazard = scenario.hazard(key)
        return f"{hazard.name_zh} {hazard.name_en or key}"
    if kind == "category":
        return label(CATEGORY_LABELS, key)
    if kind == "need":
        return label(NEED_LABELS, key)
    if kind == "size":
        threshold = f"{scenario.outcomes.small_event_people:,.0f}"
        return f"{label(SIZE_LABELS, key)} ({'<' if key == 'small' else '≥'} {threshold} 人 people)"
    return group


def stated_rows(summary: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """The summary rows worth showing: no kit row for a scenario that states no kit effects."""
    if scenario.capabilities:
        return summary
    return summary[summary["metric"] != "kit_saved_h"]


def summary_table(
    summary: pd.DataFrame, scenario: Scenario, reps: int, seed: int, plan: Plan | None
) -> Table:
    """A rich table of the summary frame: estimate and 95% interval per row."""
    plan_name = plan.plan_id if plan is not None else "现状 status quo"
    table = Table(
        title=escape(
            f"{scenario.name_zh} {scenario.name_en} — {reps} 年 years, seed {seed}, "
            f"plan: {plan_name}"
        ),
        caption="加权未满足需求单位: 加权缺口（元当量）/年 (单价 x 关键度; 迟到按比例计) — "
        "yuan-equivalent per year (unit price x criticality; late units at the late fraction)",
    )
    table.add_column("指标 metric")
    table.add_column("分组 group")
    table.add_column("均值 mean", justify="right")
    table.add_column("95% 置信区间 CI", justify="right")
    table.add_column("单位 unit")
    previous = None
    for row in stated_rows(summary, scenario).itertuples(index=False):
        name = label(METRIC_LABELS, row.metric) if row.metric != previous else ""
        if row.metric != previous and previous is not None:
            table.add_section()
        previous = row.metric
        interval = f"{_number(row.ci_low, row.unit)} – {_number(row.ci_high, row.unit)}"
        table.add_row(
            name,
            escape(_group_label(row.group, scenario)),
            _number(row.mean, row.unit),
            interval,
            row.unit,
        )
    return table


def compliance_table(rows: list[NormCompliance], scenario: Scenario) -> Table:
    """Each reserve norm: required, held today, bought, held after, and what is still short."""
    table = Table(
        title="储备标准达标 Reserve norms: today and after the plan",
        caption="county-wide units; a norm is met when own stock is at least its physical "
        "share and own stock plus supplier agreements reach it",
    )
    for title in ("物资 item", "标准 required", "协议 agreed", "现有 today", "采购 bought"):
        table.add_column(title, justify="right" if title != "物资 item" else "left")
    for title in ("方案后 after", "仍缺 still short", "补足费用 cost to meet (yuan)"):
        table.add_column(title, justify="right")
    names = {item.item_id: item.name_zh for item in scenario.items}
    for row in rows:
        mark = {True: "✓", False: "✗"}
        table.add_row(
            escape(f"{names[row.item_id]} {row.item_id}"),
            f"{row.required_units:,} ({row.physical_share:.0%} own)",
            f"{row.agreed_units:,}",
            f"{row.held_today:,} {mark[row.meets_today]}",
            f"{row.bought:,}",
            f"{row.held_after:,} {mark[row.meets_after]}",
            f"{row.units_short_after:,}",
            f"{row.cost_to_meet_yuan:,.0f}",
        )
    return table


def cost_table(costs: pd.DataFrame) -> Table:
    """The plan's money by part, item category (or team tier) and depot tier."""
    table = Table(title="计划费用 What the plan costs (yuan)")
    table.add_column("部分 part")
    table.add_column("类别 category")
    table.add_column("层级 tier")
    table.add_column("金额 cost", justify="right")
    table.add_column("新增 change", justify="right")
    for row in costs.itertuples(index=False):
        table.add_row(
            label(PART_LABELS, row.part),
            escape(category_name(row.category)),
            escape(label(TIER_LABELS, row.tier)),
            f"{row.cost_yuan:,.0f}",
            f"{row.change_cost_yuan:+,.0f}",
        )
    if len(costs):
        table.add_section()
        table.add_row(
            "合计 total",
            "",
            "",
            f"{costs['cost_yuan'].sum():,.0f}",
            f"{costs['change_cost_yuan'].sum():+,.0f}",
        )
    return table


def evaluation_table(evaluation: pd.DataFrame, reference: str = "status quo") -> Table:
    """Every plan's simulated headline on common random numbers, with 95% intervals.

    The difference column is each plan minus the first row's plan, ``reference``.
    """
    table = Table(
        title="模拟评估 Plans judged by simulation (common random numbers)",
        caption="加权缺口 weighted shortfall, yuan-equivalent / year; "
        f"difference = plan minus {escape(reference)}, paired by year",
    )
    table.add_column("方案 plan")
    table.add_column("采购 purchases", justify="right")
    table.add_column("均值 mean", justify="right")
    table.add_column("95% CI", justify="right")
    heading = "比现状 vs status quo" if reference == "status quo" else f"vs {reference}"
    table.add_column(escape(heading), justify="right")
    worst = "worst_years_mean" in evaluation.columns
    if worst:
        share = float(evaluation["worst_share"].iloc[0])
        table.add_column(f"最坏{share:.0%}年份均值 worst {share:.0%} of years", justify="right")
    for row in evaluation.to_dict("records"):
        difference = ""
        if not math.isnan(row.get("vs_status_quo_mean", math.nan)):
            difference = (
                f"{row['vs_status_quo_mean']:+,.0f} "
                f"({row['vs_status_quo_ci_low']:+,.0f} – {row['vs_status_quo_ci_high']:+,.0f})"
            )
        cells = [
            escape(str(row["plan"])),
            f"{row['purchase_cost_yuan']:,.0f}",
            f"{row['weighted_unmet_mean']:,.0f}",
            f"{row['weighted_unmet_ci_low']:,.0f} – {row['weighted_unmet_ci_high']:,.0f}",
            difference,
        ]
        if worst:
            cells.append(
                f"{row['worst_years_mean']:,.0f} "
                f"({row['worst_years_ci_low']:,.0f} – {row['worst_years_ci_high']:,.0f})"
            )
        table.add_row(*cells)
    return table


def sweep_table(headline: pd.DataFrame, sweep: Sweep) -> Table:
    """One row per finished cell: its grid values and each plan's headline with 95% CI."""
    table = Table(
        title=escape(f"扫描 Sweep {sweep.name} — {sweep.settings.reps} 年 years per cell"),
        caption="加权缺口 weighted shortfall, yuan-equivalent / year (95% CI); "
        "every cell on the same simulated years",
    )
    table.add_column("cell", justify="right")
    for axis in sweep.axes:
        table.add_column(escape(label(AXIS_LABELS, axis.name)))
    plans = list(dict.fromkeys(headline["plan"])) if len(headline) else []
    for plan in plans:
        table.add_column(escape(str(plan)), justify="right")
    solved = sweep.settings.action == "optimise" and "proved_optimal" in headline.columns
    if solved:
        table.add_column("求解 solve (sampled model)")
        table.caption += "; NOT proved: the cell's plan is not proved optimal for its sampled model"
    for cell in sweep.cells:
        rows = headline[headline["cell"] == cell.index] if len(headline) else headline
        if rows.empty:
            continue
        by_plan = {row["plan"]: row for row in rows.to_dict("records")}
        shown = [_estimate(by_plan[p]) if p in by_plan else "–" for p in plans]
        if solved:
            shown.append(_solve_status(rows.iloc[0]))
        table.add_row(str(cell.index), *(escape(value) for _, value in cell.labels), *shown)
    return table


def _solve_status(row: pd.Series) -> str:
    """``proved, gap 0.02%`` or ``NOT proved``: what the solver proved of the cell's model."""
    if bool(row["proved_optimal"]):
        return f"proved, gap {float(row['solver_gap']):.2%}"
    return "NOT proved"


def _estimate(row: dict) -> str:
    return f"{row['mean']:,.0f} ({row['ci_low']:,.0f} – {row['ci_high']:,.0f})"


def sensitivity_table(moved: pd.DataFrame) -> Table:
    """Per judgement: the money moved between categories when halved and when doubled."""
    table = Table(
        title="清单取决于什么 What the list rests on: each judgement halved and doubled",
        caption="yuan the re-solved plan puts in other categories (same sampled years, budget "
        "and rules), the share of its money on the same items, the category that gains most "
        "(+) and loses most (−); moves within the solver's gap are noise",
    )
    table.add_column("判断 judgement")
    table.add_column("减半 halved ×0.5", justify="right")
    table.add_column("加倍 doubled ×2", justify="right")
    for parameter, rows in moved.groupby("parameter", sort=False):
        cells = {row.factor: _moved_cell(row) for row in rows.itertuples()}
        table.add_row(escape(judgement_label(parameter)), cells.get(0.5, ""), cells.get(2.0, ""))
    return table


def _moved_cell(row) -> str:
    if math.isnan(row.moved_yuan):
        return escape(row.solver)
    moved = f"{row.moved_yuan:,.0f} ({row.shared_by_item:.0%} same)"
    if not isinstance(row.gains_most, str) or not isinstance(row.loses_most, str):
        return moved  # nothing changed category
    gains, loses = (label(CATEGORY_LABELS, c, "zh") for c in (row.gains_most, row.loses_most))
    return f"{moved}\n+{gains} −{loses}"
