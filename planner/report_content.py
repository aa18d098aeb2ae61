"""``yingji report``: the funding-request report from whatever results a folder holds.

The report is built once as a list of :class:`Section` (paragraphs, charts,
tables) and then written three ways from that one list: a self-contained HTML
page, a PDF, and an Excel workbook with the procurement list and the tables.
Nothing is half-written: every file goes through a temporary file and a rename.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from optimize.records import money_moved
from planner import charts
from planner.document import Report, ReportTable, Section
from planner.labels import (
    AGAINST_LABELS,
    ASSUMPTION_ROWS,
    CATEGORY_LABELS,
    LANGS,
    METRIC_LABELS,
    NEED_LABELS,
    PROVINCE_COLUMNS,
    SIZE_LABELS,
    TIER_LABELS,
    UNIT_LABELS,
    VERDICT_LABELS,
    YEAR_LABELS,
    category_name,
    colon,
    judgement_label,
    label,
    own_words,
    plan_name,
    sentence,
    solve_words,
    text,
    words,
)
from planner.results import PlanResults, Results, SweepResults, find_results
from planner.tables import (
    against_cells,
    stated_rows,
    year_cells,
)
from scenarios.norms import compliance
from scenarios.plan import plan_costs, procurement_lines
from scenarios.schema import Scenario
from sim.metrics import HEADLINE


def build_report(results: Results, lang: str = "zh", version: str = "") -> Report:
    """Every section the results allow, in the order a reader needs them."""
    scenario = results.scenario
    charts.use_report_fonts()
    name = scenario.name_zh if lang == "zh" else (scenario.name_en or scenario.scenario_id)
    name = _province_name(results, lang) or name
    sections = [
        Section("findings", words("findings", lang), bullets=tuple(_findings(results, lang))),
        _assumptions(scenario, lang, _current_budget(results)),
        Section("method", words("method", lang), paragraphs=(words("method_text", lang),)),
    ]
    # each part the results hold, in the order a reader needs them
    parts = (
        (results.today, _today_section),
        (results.plan, _plan_section),
        (results.sweep, _sweep_section),
        (results.comparison, _compare_section),
        (results.years, _years_section),
        (results.plan, _procurement_section),
    )
    sections += [build(results, lang) for part, build in parts if part is not None]
    return Report(
        lang,
        words("title", lang).format(name),
        words("subtitle", lang).format(version, date.today().isoformat()),
        tuple(sections),
        results,
    )


def _yuan(value: float) -> str:
    return f"{value:,.0f}"


def _findings(results: Results, lang: str) -> list[str]:
    found = _budget_warnings(results, lang)
    if results.today is not None:
        summary = results.today.summary
        headline = summary[(summary["metric"] == HEADLINE) & (summary["group"] == "all")]
        share = summary[summary["metric"] == "share_in_township"]["mean"]
        if len(headline):
            row = headline.iloc[0]
            found.append(
                words("today_finding", lang).format(
                    _yuan(row["mean"]),
                    _yuan(row["ci_low"]),
                    _yuan(row["ci_high"]),
                    float(share.iloc[0]) if len(share) else float("nan"),
                )
            )
        found.extend(_lives_finding(summary, results.scenario, lang))
    if results.plan is not None:
        found.extend(_plan_finding(results.plan.evaluation, lang))
        found.extend(_plan_quality(results.plan, lang))
        found.extend(_sensitivity_finding(results.plan, lang))
    if results.sweep is not None:
        found.extend(_sweep_findings(results, lang))
    if results.comparison is not None:
        found.extend(_compare_findings(results.comparison.comparison, lang))
    return found


def _budget_warnings(results: Results, lang: str) -> list[str]:
    """A warning first for every plan a run judged that costs more than the budget."""
    records = [part.record for part in (results.today, results.comparison) if part is not None]
    return [
        words("over_budget", lang).format(
            over["plan_id"],
            _yuan(over["cost_yuan"]),
            _yuan(over["budget_yuan"]),
            over["cost_yuan"] / max(over["budget_yuan"], 1.0),
        )
        for record in records
        for over in record.get("over_budget") or ()
    ]


def _lives_finding(summary: pd.DataFrame, scenario: Scenario, lang: str) -> list[str]:
    """Lives lost to delay and people without relief at the first-relief hour, with CIs."""
    rows = summary.set_index(["metric", "group"])
    lives, relief = ("trapped_lost", "all"), ("people_without_relief", "need=any")
    if lives not in rows.index or relief not in rows.index:
        return []  # a results folder from before these outcomes, or no relief items named
    hours = f"{scenario.outcomes.first_relief_h:g}"
    return [
        words("lives_finding", lang).format(
            *(float(rows.loc[lives, c]) for c in ("mean", "ci_low", "ci_high")),
            hours,
            *(float(rows.loc[relief, c]) for c in ("mean", "ci_low", "ci_high")),
        )
    ]


def _plan_finding(evaluation: pd.DataFrame, lang: str) -> list[str]:
    rows = evaluation.set_index("plan")
    if "optimised" not in rows.index or "last_year_rule" not in rows.index:
        return []
    best, rule = rows.loc["optimised"], rows.loc["last_year_rule"]
    cut = 1 - best["weighted_unmet_mean"] / rule["weighted_unmet_mean"]
    return [
        words("plan_finding", lang).format(
            _yuan(best["purchase_cost_yuan"]),
            _yuan(best["weighted_unmet_mean"]),
            _yuan(best["weighted_unmet_ci_low"]),
            _yuan(best["weighted_unmet_ci_high"]),
            _yuan(rule["weighted_unmet_mean"]),
            words("plan_less" if cut >= 0 else "plan_more", lang).format(abs(cut)),
        )
    ]


def _plan_quality(plan: PlanResults, lang: str) -> list[str]:
    """What the solver proved and of which model, the two engines' values, the plan's stability."""
    check, solve = plan.solve.get("model_check"), plan.solve.get("solve", {})
    if not check or "objective" not in solve:
        return []  # a results folder written before runs checked themselves
    found = [
        words("plan_quality", lang).format(
            words("proved" if solve.get("optimal") else "not_proved", lang),
            plan.record.get("sampled_years", "?"),
            _gap(solve.get("gap"), lang),
            check["years"],
            _yuan(check["model_mean"]),
            _yuan(check["simulated_mean"]),
            check["ratio"],
            *check["ratio_ci"],
        )
    ]
    stages = dict(solve.get("stages") or ())
    objective = plan.solve.get("objective") or {}
    if {"lives", "relief"} <= stages.keys() and objective:
        hour, slack = objective["first_relief_h"], objective["stage_slack"]
        found.append(
            words("plan_aims", lang).format(stages["lives"], hour, stages["relief"], slack)
        )
    if solve.get("carried_worth"):
        worth, left = solve["carried_worth"], solve["carried_yuan"]
        found.append(
            words("plan_carried", lang).format(
                worth, _yuan(left), _yuan(worth * left), _yuan(solve["objective"] + worth * left)
            )
        )
    stability = plan.solve.get("stability")
    if stability:
        shares = (stability["by_item"][0], stability["by_item_depot"][0])
        found.append(words("plan_stability", lang).format(*shares))
    return found


def _gap(gap: object, lang: str) -> str:
    """A solver's gap as a percentage, or that it reported none (CBC)."""
    if isinstance(gap, int | float) and math.isfinite(gap):
        return f"{gap:.2%}"
    return words("gap_not_reported", lang)


def _current_budget(results: Results) -> float:
    if results.plan is not None:
        budget = results.plan.record.get("budget_yuan")
        if isinstance(budget, int | float):
            return float(budget)
    return results.scenario.procurement_budget_yuan


def _sweep_findings(results: Results, lang: str) -> list[str]:
    """Cells still missing, then the budget step around today's budget in each series."""
    sweep = results.sweep
    assert sweep is not None
    found = _missing_cells(sweep, lang)
    if charts.COUNTY in sweep.years.columns:
        return found + _province_findings(sweep, lang)
    if "budget_yuan" not in sweep.years.columns:
        return found
    steps = charts.step_effects(sweep.years, lang=lang)
    budget = _current_budget(results)
    for series, group in steps.groupby("series", sort=False):
        # the step from today's budget upwards, else the nearest one
        inside = group[(group["budget_from_yuan"] <= budget) & (budget < group["budget_to_yuan"])]
        distance = (group["budget_from_yuan"] - budget).abs()
        row = inside.iloc[0] if len(inside) else group.loc[distance.idxmin()]
        found.append(
            words("sweep_finding", lang).format(
                series or "—",
                charts.budget_phrase(row["budget_from_yuan"], lang),
                charts.budget_phrase(row["budget_to_yuan"], lang),
                _yuan(row["reduction_mean"]),
                _interval(row["ci_low"], row["ci_high"], lang),
            )
        )
    return found


def _interval(low: float, high: float, lang: str) -> str:
    """An interval as people read it: ``a–b``, or signed and with a word when it holds 0."""
    if low >= 0:
        return f"{_yuan(low)}–{_yuan(high)}"
    return f"{low:+,.0f} {words('interval_to', lang)} {high:+,.0f}"


def _province_findings(sweep: SweepResults, lang: str) -> list[str]:
    """A province: the step of all its counties' budgets from where they are today, per series."""
    _, years, _ = charts.province_frames(sweep.summary, sweep.years)
    if years.empty:
        return []
    budget = _province_budget(sweep)
    found = []
    for series, group in charts.step_effects(years, lang=lang).groupby("series", sort=False):
        inside = group[(group["budget_from_yuan"] <= budget) & (budget < group["budget_to_yuan"])]
        distance = (group["budget_from_yuan"] - budget).abs()
        row = inside.iloc[0] if len(inside) else group.loc[distance.idxmin()]
        shown = f"（{series}）" if lang == "zh" and series else f" ({series})" if series else ""
        found.append(
            words("province_finding", lang).format(
                sweep.summary[charts.COUNTY].nunique(),
                shown,
                charts.budget_phrase(row["budget_from_yuan"], lang),
                charts.budget_phrase(row["budget_to_yuan"], lang),
                _yuan(row["reduction_mean"]),
                _interval(row["ci_low"], row["ci_high"], lang),
            )
        )
    return found


def _province_budget(sweep: SweepResults) -> float:
    """The counties' own budgets added up (the province today), from the sweep's manifest."""
    counties = sweep.manifest.get("counties") or []
    return float(sum(county.get("procurement_budget_yuan", 0.0) for county in counties))


def _province_name(results: Results, lang: str) -> str:
    """A province sweep's own name for the report's title ('' for any other results)."""
    sweep = results.sweep
    if sweep is None or charts.COUNTY not in sweep.summary.columns:
        return ""
    names = (sweep.manifest.get("name_zh", ""), sweep.manifest.get("name_en", ""))
    return (names[0] or names[1]) if lang == "zh" else (names[1] or names[0])


def _missing_cells(sweep: SweepResults, lang: str) -> list[str]:
    """A warning when the sweep's manifest lists cells that have no results yet."""
    planned = {int(cell["cell"]) for cell in sweep.manifest.get("cells", [])}
    finished = set(sweep.summary["cell"].astype(int))
    missing = sorted(planned - finished)
    if not missing:
        return []
    shown = ", ".join(map(str, missing[:10])) + ("…" if len(missing) > 10 else "")
    return [words("sweep_missing", lang).format(len(planned), len(planned & finished), shown)]


def _compare_findings(comparison: pd.DataFrame, lang: str) -> list[str]:
    """What is less than what, in plain words: a difference is said as less or more."""
    found = []
    for row in comparison[comparison["breakdown"] == "all"].to_dict("records"):
        names = plan_name(row["plan"], lang), plan_name(row["reference"], lang)
        mean, low, high = (
            row["difference_mean"],
            row["difference_ci_low"],
            row["difference_ci_high"],
        )
        if row["verdict"] == "better":
            key, figures = "compare_less", (-mean, -high, -low)
            figures = tuple(_yuan(value) for value in figures)
        elif row["verdict"] == "worse":
            key, figures = "compare_more", tuple(_yuan(value) for value in (mean, low, high))
        else:
            key, figures = "compare_same", tuple(f"{value:+,.0f}" for value in (mean, low, high))
        found.append(sentence(words(key, lang).format(*names, *figures)))
    return found


def _assumptions(scenario: Scenario, lang: str, budget: float) -> Section:
    """The county's figures the results rest on; ``budget``: the one the plan was made for."""
    index = LANGS.index(lang)
    prices = {item.item_id: item.unit_price_yuan for item in scenario.items}
    stock_value = sum(line.quantity * prices[line.item_id] for line in scenario.stock)
    members = sum(team.members for team in scenario.teams)
    rows = [
        (ASSUMPTION_ROWS["townships"][index], f"{len(scenario.townships)}"),
        (
            ASSUMPTION_ROWS["population"][index],
            f"{sum(t.population for t in scenario.townships):,}",
        ),
        (ASSUMPTION_ROWS["teams"][index], f"{len(scenario.teams)} / {members:,}"),
        (ASSUMPTION_ROWS["stock"][index], _yuan(stock_value)),
        (ASSUMPTION_ROWS["budget"][index], _budget_cell(scenario, budget, lang)),
        (ASSUMPTION_ROWS["items"][index], f"{len(scenario.items)}"),
        (ASSUMPTION_ROWS["late"][index], f"{scenario.penalties.late_fraction:.0%}"),
        (
            ASSUMPTION_ROWS["rescue"][index],
            _yuan(scenario.penalties.rescue_work_yuan_per_person_hour),
        ),
    ]
    for hazard in scenario.hazards:
        label = ASSUMPTION_ROWS["hazard"][index].format(
            charts.hazard_name(scenario, hazard.hazard_id, lang)
        )
        rows.append((label, f"{hazard.annual_rate:g} / {hazard.rescue_deadline_h:g}"))
    titles = ("项目", "数值") if lang == "zh" else ("", "value")
    frame = pd.DataFrame(rows, columns=list(titles))
    table = ReportTable(words("table_assumptions", lang), frame)
    return Section("assumptions", words("assumptions", lang), tables=(table,))


def _budget_cell(scenario: Scenario, budget: float, lang: str) -> str:
    """The budget optimised, and the scenario's own when the run was given another."""
    if abs(budget - scenario.procurement_budget_yuan) < 0.5:
        return _yuan(budget)
    return words("budget_given", lang).format(
        _yuan(budget), _yuan(scenario.procurement_budget_yuan)
    )


def metric_table(summary: pd.DataFrame, scenario: Scenario, lang: str) -> pd.DataFrame:
    """The headline outcomes of a simulation with their 95% CIs, in ``lang`` (shown values)."""
    summary = stated_rows(summary, scenario)
    rows = summary[
        summary["metric"].isin(
            [
                HEADLINE,
                "share_in_township",
                "share_needing_outside_help",
                "trapped_lost",
                "kit_saved_h",
                "everyday_unanswered",
                "people_without_relief",
                "response_p50",
            ]
        )
    ]
    records = []
    for row in rows.to_dict("records"):
        group = _group_name(row["group"], scenario, lang)
        metric = label(METRIC_LABELS, row["metric"], lang)
        share = str(row["unit"]).startswith("share")
        shown = (
            (lambda v: f"{v:.1%}")
            if share
            else (lambda v: f"{v:,.0f}" if abs(v) >= 100 else f"{v:.2f}")
        )
        records.append(
            (
                metric,
                group,
                shown(row["mean"]),
                f"{shown(row['ci_low'])} – {shown(row['ci_high'])}",
                unit_name(row["unit"], lang),
            )
        )
    titles = (
        ("指标", "分组", "均值", "95%置信区间", "单位")
        if lang == "zh"
        else ("metric", "group", "mean", "95% CI", "unit")
    )
    return pd.DataFrame(records, columns=list(titles))


def unit_name(unit: str, lang: str) -> str:
    """A summary unit in the report's language."""
    if lang == "zh" and unit.startswith("people / year at "):
        return f"人/年（灾后{unit.removeprefix('people / year at ').removesuffix(' h')}小时）"
    return label(UNIT_LABELS, unit, lang)


def _group_name(group: str, scenario: Scenario, lang: str) -> str:
    if group == "all":
        return ""
    kind, _, key = str(group).partition("=")
    named = {
        "hazard": lambda: charts.hazard_name(scenario, key, lang),
        "category": lambda: label(CATEGORY_LABELS, key, lang),
        "township": lambda: charts.township_name(scenario, key, lang),
        "need": lambda: label(NEED_LABELS, key, lang),
        "size": lambda: _size_name(key, scenario, lang),
    }
    return named[kind]() if kind in named else str(group)


def _size_name(key: str, scenario: Scenario, lang: str) -> str:
    sign = "<" if key == "small" else "≥"
    people = "人" if lang == "zh" else "people"
    threshold = f"{scenario.outcomes.small_event_people:,.0f}"
    return f"{label(SIZE_LABELS, key, lang)} ({sign} {threshold} {people})"


def _typical_year(events: pd.DataFrame, replications: np.ndarray) -> int:
    """The simulated year whose weighted unmet demand is closest to the median year."""
    penalty = (
        (events["item_shortfall_yuan"] + events["rescue_shortfall_yuan"])
        .groupby(events["replication"])
        .sum()
    )
    yearly = penalty.reindex(replications, fill_value=0.0)
    median = float(yearly.median())
    return int((yearly - median).abs().idxmin())


def _today_section(results: Results, lang: str) -> Section:
    today, scenario = results.today, results.scenario
    assert today is not None
    reps = int(today.record.get("reps", 0)) or int(today.events["replication"].max()) + 1
    replications = np.arange(reps)
    unmet = charts.township_unmet(
        today.events, replications, [t.township_id for t in scenario.townships]
    )
    typical = _typical_year(today.events, replications)
    figures = (
        (
            words("figure_map", lang),
            charts.township_map(scenario, unmet, words("penalty_unit", lang), lang),
        ),
        (words("figure_response", lang), charts.response_times(today.events, scenario, lang)),
        (
            words("figure_timeline", lang),
            charts.year_timeline(today.events, today.dispatches, typical, scenario, lang),
        ),
    )
    table = ReportTable(words("table_today", lang), metric_table(today.summary, scenario, lang))
    return Section("today", words("today", lang), figures=figures, tables=(table,))


def _plan_section(results: Results, lang: str) -> Section:
    part, scenario = results.plan, results.scenario
    assert part is not None
    figure = charts.plan_spending(*charts.spending_frames(part.plan, scenario), lang=lang)
    tables = (
        ReportTable(words("table_costs", lang), _cost_table(part.plan, scenario, lang)),
        ReportTable(words("table_evaluation", lang), _evaluation_table(part.evaluation, lang)),
        ReportTable(words("table_marginal", lang), _marginal_table(part.marginal, scenario, lang)),
    )
    norms = compliance(scenario, part.plan)
    if norms:
        table = ReportTable(
            words("table_compliance", lang), _compliance_table(norms, scenario, lang)
        )
        tables = (*tables, table)
    figures = ((words("figure_spending", lang), figure),)
    if part.sensitivity is not None:
        moved = money_moved(part.sensitivity)
        tornado = charts.sensitivity_tornado(moved, lang)
        figures = (*figures, (words("figure_tornado", lang), tornado))
        title = words("table_sensitivity", lang).format(part.record.get("sampled_years", "?"))
        table = ReportTable(title, _sensitivity_table(moved, lang))
        tables = (*tables, table)
    return Section("plan", words("plan", lang), figures=figures, tables=tables)


def _sensitivity_table(moved: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Per judgement and factor: money moved, the share kept on the same items, who gains."""
    head = {
        "zh": ("判断", "倍数", "类别间移动（元）", "相同物资的资金", "增加最多", "减少最多"),
        "en": ("judgement", "factor", "moved (yuan)", "same items", "gains most", "loses most"),
    }[lang]
    rows = []
    for row in moved.itertuples():
        solved = not math.isnan(row.moved_yuan)
        rows.append(
            (
                judgement_label(row.parameter, lang),
                f"×{row.factor:g}",
                _yuan(row.moved_yuan) if solved else row.solver,
                f"{row.shared_by_item:.0%}" if solved else "–",
                _category_or_dash(row.gains_most, lang),
                _category_or_dash(row.loses_most, lang),
            )
        )
    return pd.DataFrame(rows, columns=list(head))


def _category_or_dash(category: object, lang: str) -> str:
    """A category's name, or a dash where no category gained (or lost)."""
    return label(CATEGORY_LABELS, category, lang) if isinstance(category, str) else "–"


def _sensitivity_finding(plan: PlanResults, lang: str) -> list[str]:
    """The judgement that moves the list most, and the criticality weight that does."""
    if plan.sensitivity is None:
        return []
    moved = money_moved(plan.sensitivity).dropna(subset=["moved_yuan"])
    if moved.empty:
        return []
    top = moved.loc[moved["moved_yuan"].idxmax()]
    weights = moved[moved["parameter"].str.startswith("criticality:")]
    if weights.empty:
        return []
    weight = weights.loc[weights["moved_yuan"].idxmax()]
    how = words("halving" if top["factor"] < 1 else "doubling", lang)
    return [
        words("sensitivity_finding", lang).format(
            judgement_label(top["parameter"], lang),
            how,
            _yuan(top["moved_yuan"]),
            top["shared_by_item"],
            judgement_label(weight["parameter"], lang),
            _yuan(weight["moved_yuan"]),
        )
    ]


def _compliance_table(rows, scenario: Scenario, lang: str) -> pd.DataFrame:
    """Each norm: required (own share), agreements, today, bought, after, cost still to meet."""
    names = {item.item_id: item for item in scenario.items}
    yes, no = ("达标", "未达标") if lang == "zh" else ("met", "not met")
    records = [
        (
            names[r.item_id].name_zh if lang == "zh" else names[r.item_id].name_en,
            f"{r.required_units:,} ({r.physical_share:.0%})",
            f"{r.agreed_units:,}",
            f"{r.held_today:,} {yes if r.meets_today else no}",
            f"{r.bought:,}",
            f"{r.held_after:,} {yes if r.meets_after else no}",
            _yuan(r.cost_to_meet_yuan),
        )
        for r in rows
    ]
    titles = (
        ("物资", "标准（自有比例）", "协议储备", "现有", "采购", "方案后", "仍需费用（元）")
        if lang == "zh"
        else (
            "item",
            "required (own share)",
            "agreed",
            "today",
            "bought",
            "after",
            "cost still to meet",
        )
    )
    return pd.DataFrame(records, columns=list(titles))


def _cost_table(plan, scenario: Scenario, lang: str) -> pd.DataFrame:
    costs = plan_costs(plan, scenario)
    rows = []
    for row in costs.to_dict("records"):
        rows.append(
            (
                category_name(row["category"], lang),
                label(TIER_LABELS, row["tier"], lang),
                _yuan(row["cost_yuan"]),
                f"{row['change_cost_yuan']:+,.0f}",
            )
        )
    total = (costs["cost_yuan"].sum(), costs["change_cost_yuan"].sum())
    rows.append((words("total", lang), "", _yuan(total[0]), f"{total[1]:+,.0f}"))
    titles = (
        ("类别", "层级", "金额", "新增") if lang == "zh" else ("category", "tier", "cost", "change")
    )
    return pd.DataFrame(rows, columns=list(titles))


def _evaluation_table(evaluation: pd.DataFrame, lang: str) -> pd.DataFrame:
    rows = [
        (
            plan_name(row["plan"], lang),
            _yuan(row["purchase_cost_yuan"]),
            _yuan(row["weighted_unmet_mean"]),
            f"{_yuan(row['weighted_unmet_ci_low'])} – {_yuan(row['weighted_unmet_ci_high'])}",
        )
        for row in evaluation.to_dict("records")
    ]
    titles = (
        ("方案", "采购金额（元）", "加权未满足需求", "95%置信区间")
        if lang == "zh"
        else ("plan", "purchases (yuan)", "weighted unmet demand", "95% CI")
    )
    return pd.DataFrame(rows, columns=list(titles))


def _marginal_table(marginal: pd.DataFrame, scenario: Scenario, lang: str) -> pd.DataFrame:
    if marginal.empty or "saving_per_yuan" not in marginal.columns:
        return pd.DataFrame()
    top = marginal.sort_values("saving_per_yuan", ascending=False).head(10)
    items = {i.item_id: i for i in scenario.items}
    rows = []
    for row in top.to_dict("records"):
        if row.get("kind") == "staffing":
            what = charts.team_name(scenario, str(row["team_id"]), lang)
        else:
            item = items.get(str(row["item_id"]))
            what = (item.name_zh if lang == "zh" else item.name_en) if item else str(row["item_id"])
            what = f"{what} @ {charts.depot_name(scenario, str(row['depot_id']), lang)}"
        rows.append(
            (
                what,
                _yuan(row["unit_cost_yuan"]),
                f"{row['saving_per_unit_yuan']:,.1f}",
                f"{row['saving_per_yuan']:.3f}",
            )
        )
    titles = (
        ("物资或队伍", "单价（元）", "每单位减少加权缺口（元当量/年）", "每元减少")
        if lang == "zh"
        else ("item or team", "unit cost (yuan)", "saving per unit (yuan/yr)", "saving per yuan")
    )
    return pd.DataFrame(rows, columns=list(titles))


def _sweep_section(results: Results, lang: str) -> Section:
    sweep = results.sweep
    assert sweep is not None
    if charts.COUNTY in sweep.summary.columns:
        return _province_section(results, sweep, lang)
    figures = ()
    if "budget_yuan" in sweep.summary.columns:
        figure = charts.funding_frontier(
            sweep.summary, sweep.years, _current_budget(results), lang=lang
        )
        figures = ((words("figure_frontier", lang), figure),)
    table = ReportTable(words("table_frontier", lang), _frontier_table(sweep.summary, lang))
    return Section("sweep", words("sweep", lang), figures=figures, tables=(table,))


def _frontier_table(summary: pd.DataFrame, lang: str) -> pd.DataFrame:
    headline = summary[(summary["metric"] == HEADLINE) & (summary["group"] == "all")]
    labels = (
        charts.series_labels(headline, lang=lang)
        if "budget_yuan" in headline.columns
        else pd.Series("", index=headline.index)
    )
    rows = []
    for row, series in zip(headline.to_dict("records"), labels, strict=True):
        rows.append(
            (
                _yuan(row.get("budget_yuan", float("nan"))),
                series,
                plan_name(row["plan"], lang),
                _yuan(row["mean"]),
                f"{_yuan(row['ci_low'])} – {_yuan(row['ci_high'])}",
                _cell_solve(row, lang),
            )
        )
    titles = (
        ("预算（元）", "情景", "方案", "加权未满足需求", "95%置信区间", "求解")
        if lang == "zh"
        else ("budget (yuan)", "scenario", "plan", "weighted unmet demand", "95% CI", "solve")
    )
    return pd.DataFrame(rows, columns=list(titles))


def _province_section(results: Results, sweep: SweepResults, lang: str) -> Section:
    """A province: what it covers, one curve for all its counties, one table of every county."""
    counties = sweep.summary[charts.COUNTY].nunique()
    first = results.scenario.name_zh if lang == "zh" else results.scenario.name_en
    paragraphs = [words("province_text", lang).format(counties, first or results.scenario.name_zh)]
    summary, years, left_out = charts.province_frames(sweep.summary, sweep.years)
    figures = ()
    if not summary.empty and len(summary["budget_yuan"].unique()) > 1:
        figure = charts.funding_frontier(summary, years, _province_budget(sweep), lang=lang)
        figures = ((words("figure_province", lang), figure),)
    if left_out:
        paragraphs.append(words("province_incomplete", lang).format(left_out))
    table = ReportTable(words("table_province", lang), _province_table(sweep.summary, lang))
    return Section(
        "sweep",
        words("sweep", lang),
        paragraphs=tuple(paragraphs),
        figures=figures,
        tables=(table,),
    )


def _province_table(summary: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A row per county and budget: its budget in yuan, each plan's headline with CI, the solve."""
    headline = summary[(summary["metric"] == HEADLINE) & (summary["group"] == "all")]
    others = headline.drop(
        columns=[c for c in headline.columns if c.removesuffix("_label") in charts.PROVINCE_DROPPED]
    )
    series = charts.series_labels(others, lang=lang)
    plans = list(dict.fromkeys(headline["plan"]))
    titles = {key: label(PROVINCE_COLUMNS, key, lang) for key in PROVINCE_COLUMNS}
    rows = []
    for _, rows_of_cell in headline.groupby("cell", sort=True):
        first = rows_of_cell.iloc[0]
        county = first.get(f"{charts.COUNTY}_label", first[charts.COUNTY])
        row = {
            titles["county"]: own_words(str(county), lang),
            titles["budget"]: _yuan(first["procurement_budget_yuan"]),
        }
        if series.ne("").any():
            row[titles["scenario"]] = series.loc[rows_of_cell.index[0]]
        by_plan = {r["plan"]: r for r in rows_of_cell.to_dict("records")}
        for plan in plans:
            found = by_plan.get(plan)
            row[plan_name(plan, lang)] = (
                f"{_yuan(found['mean'])} ({_yuan(found['ci_low'])} – {_yuan(found['ci_high'])})"
                if found
                else "–"
            )
        optimised = by_plan.get("optimised")
        row[titles["solve"]] = _cell_solve(optimised, lang) if optimised else "–"
        rows.append(row)
    return pd.DataFrame(rows)


def _cell_solve(row: dict, lang: str) -> str:
    """What a cell's solve proved, for an optimised plan; a dash for the baselines."""
    if row["plan"] != "optimised" or "proved_optimal" not in row:
        return "–"
    return solve_words(bool(row["proved_optimal"]), float(row.get("solver_gap", math.nan)), lang)


def _years_section(results: Results, lang: str) -> Section:
    """A plan over several years: its chart and a row per year; a second path set against it."""
    years = results.years
    assert years is not None
    frame = years.years
    table = ReportTable(words("table_years", lang), _labelled(frame, YEAR_LABELS, year_cells, lang))
    figures = ((words("figure_years", lang), charts.years_outlook(frame, lang)),)
    paragraphs, tables = (words("years_text", lang),), (table,)
    if years.differences is not None and years.against_years is not None:
        names = (words("against_planned", lang), _against_name(years.record, lang))
        chart = charts.years_against(frame, years.against_years, names, lang)
        figures += ((words("figure_years_against", lang), chart),)
        paragraphs += (_against_text(years.differences, names[1], lang),)
        shown = _labelled(years.differences, AGAINST_LABELS, against_cells, lang)
        tables += (ReportTable(words("table_years_against", lang), shown),)
    return Section(
        "years", words("years", lang), paragraphs=paragraphs, figures=figures, tables=tables
    )


def _labelled(frame: pd.DataFrame, labels: dict, cells, lang: str) -> pd.DataFrame:
    """A row per record as ``cells`` shows it, titled in ``lang`` from ``labels``."""
    titles = {key: pair[LANGS.index(lang)] for key, pair in labels.items()}
    return pd.DataFrame(
        [
            {titles[key]: cell for key, cell in cells(row, lang).items()}
            for row in frame.to_dict("records")
        ]
    )


def _against_name(record: dict, lang: str) -> str:
    """The second path's name: its rise a year when it was given as one."""
    rise = record.get("against_rise_percent")
    return (
        words("against_given", lang) if rise is None else words("against_rise", lang).format(rise)
    )


def _against_text(differences: pd.DataFrame, name: str, lang: str) -> str:
    """How the paths were set against each other, and the last year's paired differences."""
    last = differences.iloc[-1]
    figures = [
        f"{last[f'{outcome}_difference_{stat}']:+,.{digits}f}"
        for outcome, digits in (("weighted_unmet", 0), ("people_without_relief", 0),
                                ("trapped_lost", 2))
        for stat in ("mean", "ci_low", "ci_high")
    ]  # fmt: skip
    return words("years_against_text", lang).format(
        name, int(last["year"]), f"{last['cumulative_extra_yuan']:,.0f}", *figures
    )


def _compare_section(results: Results, lang: str) -> Section:
    part, scenario = results.comparison, results.scenario
    assert part is not None
    figures = tuple(
        (
            words("figure_compare", lang) + colon(lang) + plan_name(plan, lang),
            charts.comparison_forest(part.comparison, lang, scenario, plan),
        )
        for plan in dict.fromkeys(part.comparison["plan"])
    )
    rows = part.comparison[part.comparison["breakdown"].isin(["all", "hazard", "category"])]
    records = [
        (
            plan_name(row["plan"], lang),
            plan_name(row["reference"], lang),
            _group_name(
                "all" if row["breakdown"] == "all" else f"{row['breakdown']}={row['group']}",
                scenario,
                lang,
            )
            or text("headline", lang),
            f"{row['difference_mean']:+,.0f}",
            f"{row['difference_ci_low']:+,.0f} – {row['difference_ci_high']:+,.0f}",
            label(VERDICT_LABELS, row["verdict"], lang),
        )
        for row in rows.to_dict("records")
    ]
    titles = (
        ("方案", "对照", "分组", "差值", "95%置信区间", "结论")
        if lang == "zh"
        else ("plan", "reference", "group", "difference", "95% CI", "verdict")
    )
    table = ReportTable(words("table_compare", lang), pd.DataFrame(records, columns=list(titles)))
    return Section("compare", words("compare", lang), figures=figures, tables=(table,))


PROCUREMENT_LINES_SHOWN = 25


def _procurement_section(results: Results, lang: str) -> Section:
    part = results.plan
    assert part is not None
    every = procurement_lines(part.plan, results.scenario)
    lines = every.head(PROCUREMENT_LINES_SHOWN)
    rows = [
        (
            row["name_zh"] if lang == "zh" else row["name_en"],
            label(CATEGORY_LABELS, row["category"], lang),
            charts.depot_name(results.scenario, row["depot_id"], lang),
            f"{row['quantity']:,}",
            _yuan(row["unit_price_yuan"]),
            _yuan(row["cost_yuan"]),
        )
        for row in lines.to_dict("records")
    ]
    total = words("total_lines", lang).format(len(every))
    rows.append((total, "", "", "", "", _yuan(every["cost_yuan"].sum())))
    titles = (
        ("物资", "类别", "储备点", "数量", "单价（元）", "金额（元）")
        if lang == "zh"
        else ("item", "category", "depot", "quantity", "unit price (yuan)", "cost (yuan)")
    )
    caption = words("table_procurement", lang).format(PROCUREMENT_LINES_SHOWN)
    table = ReportTable(caption, pd.DataFrame(rows, columns=list(titles)))
    return Section("procurement", words("procurement", lang), tables=(table,))


def load_report(folder: str | Path, lang: str = "zh", version: str = "") -> Report:
    """Find the results in ``folder`` and build the report; one line if anything is wrong."""
    return build_report(find_results(folder), lang, version)
