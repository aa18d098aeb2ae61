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
from planner.labels import CATEGORY_LABELS, TIER_LABELS, label, page_word, plan_name
from planner.report_content import metric_table
from planner.results import PlanResults, find_results
from scenarios.plan import procurement_lines
from scenarios.schema import Scenario

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
