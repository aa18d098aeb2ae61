"""Summary tables for the terminal, labelled in Chinese and English."""

from __future__ import annotations

import math

import pandas as pd
from rich.markup import escape
from rich.table import Table

from scenarios.plan import Plan
from scenarios.schema import Scenario

METRIC_LABELS = {
    "weighted_unmet": "加权未满足需求 weighted unmet demand",
    "events": "事件数 events",
    "response_p50": "首支队伍到场 中位数 first team on scene, median",
    "response_p90": "首支队伍到场 90分位 first team on scene, 90th pct",
    "share_in_township": "小灾不出乡 handled inside the township",
    "share_needing_outside_help": "需县外支援 needed help from outside the county",
    "trapped_lost": "被困人员未及时救出 trapped people lost to delay",
    "evacuated_before_impact": "灾前转移 evacuated before impact",
    "items_in_time": "物资按时到位 item units delivered in time",
}
CATEGORY_LABELS = {
    "flood": "防汛 flood",
    "forest_fire": "森林灭火 forest fire",
    "fire_rescue": "消防救援 fire rescue",
    "living": "基本生活 living",
    "medical": "医疗 medical",
    "general_equipment": "通用装备 general equipment",
    "rescue_work": "救援人力 rescue work",
}


def _number(value: float, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit.startswith("share"):
        return f"{value:.1%}"
    if abs(value) >= 1000:
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
        return CATEGORY_LABELS.get(key, key)
    return group


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
        caption="加权未满足需求单位: 罚金元/年 (单价 x 关键度; 迟到按比例计) — "
        "penalty yuan per year (unit price x criticality; late units at the late fraction)",
    )
    table.add_column("指标 metric")
    table.add_column("分组 group")
    table.add_column("均值 mean", justify="right")
    table.add_column("95% 置信区间 CI", justify="right")
    table.add_column("单位 unit")
    previous = None
    for row in summary.itertuples(index=False):
        label = METRIC_LABELS.get(row.metric, row.metric) if row.metric != previous else ""
        if row.metric != previous and previous is not None:
            table.add_section()
        previous = row.metric
        interval = f"{_number(row.ci_low, row.unit)} – {_number(row.ci_high, row.unit)}"
        table.add_row(
            label,
            escape(_group_label(row.group, scenario)),
            _number(row.mean, row.unit),
            interval,
            row.unit,
        )
    return table
