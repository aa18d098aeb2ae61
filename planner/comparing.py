"""``yingji compare``: plans on the same simulated years, paired differences, plain verdicts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from optimize.baselines import status_quo
from optimize.comparison import BETTER, IDENTICAL, NOT_SIGNIFICANT, WORSE, compare_results
from optimize.evaluate import paired_reduction
from planner.labels import BREAKDOWN_LABELS, CATEGORY_LABELS, VERDICT_LABELS, label
from planner.output import over_budget_records, terminal
from planner.pipeline import judge
from planner.progress import progress_bar
from planner.results import (
    COMPARISON_FILE,
    EVALUATION_FILE,
    run_folder,
    write_csv,
    write_run_record,
)
from planner.tables import evaluation_table
from scenarios import InputError, load, load_plan
from scenarios.plan import Plan
from scenarios.schema import Scenario

STATUS_QUO = "status_quo"  # a plan argument that needs no file: buy nothing, keep today's teams
DEFAULT_SCENARIO = "default"


@dataclass(frozen=True, slots=True)
class CompareRequest:
    """Everything ``yingji compare`` was asked to do."""

    scenario: str
    plans: tuple[str, ...]
    reps: int = 200
    seed: int | None = None
    jobs: int = 1
    out: Path = field(default=Path("results/compare"))


def run_compare(request: CompareRequest, console: Console | None = None) -> pd.DataFrame:
    """Simulate the plans on common random numbers; print and write the paired comparison."""
    console = console or terminal(stderr=True)
    scenario_path = None if request.scenario == DEFAULT_SCENARIO else Path(request.scenario)
    scenario = load(scenario_path)
    plans = _plans(request.plans, scenario)
    over = over_budget_records(console, plans, scenario)
    with run_folder(request.out, "compare") as out:
        seed = scenario.seed if request.seed is None else request.seed
        label = "模拟比较 simulating the plans on the same years"
        with progress_bar(console, label, request.reps * len(plans)) as advance:
            judged = judge(scenario, plans, request.reps, seed, request.jobs, advance)
        results, evaluation, yearly = judged.results, judged.evaluation, judged.yearly
        comparison = compare_results(results, plans[0].plan_id)
        write_csv(comparison, out / COMPARISON_FILE)
        write_csv(_against_reference(evaluation, plans[0].plan_id), out / EVALUATION_FILE)
        write_run_record(
            out, "compare", scenario, plans=list(request.plans), reps=request.reps, seed=seed,
            over_budget=over,
        )  # fmt: skip
    screen = terminal()
    screen.print(evaluation_table(evaluation, reference=plans[0].plan_id))
    for plan in plans[1:]:
        rows = comparison[comparison["plan"] == plan.plan_id]
        screen.print(comparison_table(rows, scenario, request.reps, seed))
        weights = results[plans[0].plan_id].weights
        sentence = _headline_sentence(rows, yearly, plan.plan_id, plans[0].plan_id, weights)
        screen.print(escape(sentence))
        screen.print(escape(_quiet_townships(rows)))
    console.print(
        f"wrote {out}/{COMPARISON_FILE}, {EVALUATION_FILE}, run.json, scenario.json",
        markup=False,
        highlight=False,
    )
    return comparison


def _against_reference(evaluation: pd.DataFrame, reference: str) -> pd.DataFrame:
    """The evaluation rows with their paired columns named for what they are here."""
    renamed = {c: c.replace("vs_status_quo", "vs_reference") for c in evaluation.columns}
    return evaluation.rename(columns=renamed).assign(reference=reference)


def _plans(arguments: tuple[str, ...], scenario: Scenario) -> list[Plan]:
    plans = []
    for argument in arguments:
        if argument == STATUS_QUO:
            plans.append(status_quo())
        else:
            plans.append(load_plan(Path(argument), scenario))
    seen: dict[str, str] = {}
    for argument, plan in zip(arguments, plans, strict=True):
        if plan.plan_id in seen:
            raise InputError(
                argument,
                "",
                f"this plan has the same name ({plan.plan_id}) as {seen[plan.plan_id]}; "
                "rename one of the files",
            )
        seen[plan.plan_id] = argument
    return plans


def comparison_table(rows: pd.DataFrame, scenario: Scenario, reps: int, seed: int) -> Table:
    """The headline, hazards and categories, and the townships where the plans differ."""
    plan, reference = rows["plan"].iloc[0], rows["reference"].iloc[0]
    table = Table(
        title=escape(f"方案比较 {plan} vs {reference} — {reps} 年 years, seed {seed}"),
        caption="weighted shortfall, yuan-equivalent / year; difference = "
        f"{plan} minus {reference}, paired by year, 95% CI per row (not adjusted for the "
        "number of rows: about 1 row in 20 of plans that truly tie shows a difference)",
    )
    table.add_column("分组 breakdown")
    table.add_column("")
    table.add_column(escape(str(reference)), justify="right")
    table.add_column(escape(str(plan)), justify="right")
    table.add_column("差值 difference (95% CI)", justify="right")
    table.add_column("结论 verdict")
    previous = None
    for row in rows.to_dict("records"):
        if row["breakdown"] == "township" and row["verdict"] not in (BETTER, WORSE):
            continue
        if row["breakdown"] != previous and previous is not None:
            table.add_section()
        shown = label(BREAKDOWN_LABELS, row["breakdown"]) if row["breakdown"] != previous else ""
        previous = row["breakdown"]
        verdict = label(VERDICT_LABELS, row["verdict"])
        if row["verdict"] in (BETTER, WORSE):
            verdict = f"{plan} {verdict}"
        table.add_row(
            shown,
            escape(_group_label(row["breakdown"], row["group"], scenario)),
            f"{row['reference_mean']:,.0f}",
            f"{row['plan_mean']:,.0f}",
            f"{row['difference_mean']:+,.0f} ({row['difference_ci_low']:+,.0f} – "
            f"{row['difference_ci_high']:+,.0f})",
            escape(verdict),
        )
    return table


def _group_label(breakdown: str, group: str, scenario: Scenario) -> str:
    if breakdown == "hazard":
        hazard = scenario.hazard(group)
        return f"{hazard.name_zh} {hazard.name_en or group}"
    if breakdown == "category":
        return label(CATEGORY_LABELS, group)
    if breakdown == "township":
        names = {t.township_id: t.name_zh for t in scenario.townships}
        return f"{names.get(group, '')} {group}".strip()
    return ""


def _headline_sentence(
    rows: pd.DataFrame,
    yearly: dict[str, pd.Series],
    plan: str,
    reference: str,
    weights: pd.Series | None = None,
) -> str:
    headline = rows[rows["breakdown"] == "all"].iloc[0]
    if headline["verdict"] == IDENTICAL:
        return f"{plan} and {reference} give the same simulated years: no difference."
    cut, low, high = paired_reduction(yearly, plan, reference, weights)
    change = _change_words(plan, reference, cut, low, high)
    if headline["verdict"] == NOT_SIGNIFICANT:
        return f"Overall, {plan} and {reference} do not differ significantly ({change})."
    better = plan if headline["verdict"] == BETTER else reference
    return f"Overall, {better} is better: {change}."


def _change_words(plan: str, reference: str, cut: float, low: float, high: float) -> str:
    """``B cuts weighted unmet demand by 26.5% (95% CI ...) against A``, or ``raises`` it."""
    if cut >= 0:
        return (
            f"{plan} cuts weighted unmet demand by {cut:.1%} (95% CI {low:.1%} to {high:.1%}) "
            f"against {reference}"
        )
    return (
        f"{plan} raises weighted unmet demand by {-cut:.1%} (95% CI {-high:.1%} to {-low:.1%}) "
        f"against {reference}"
    )


def _quiet_townships(rows: pd.DataFrame) -> str:
    townships = rows[rows["breakdown"] == "township"]
    quiet = townships["verdict"].isin([NOT_SIGNIFICANT, IDENTICAL]).sum()
    return (
        f"乡镇 Townships: {len(townships) - quiet} differ significantly (listed above); "
        f"no significant difference in the other {quiet} of {len(townships)}."
    )
