"""Charts for the funding request: pure functions from tidy frames to matplotlib figures.

Every chart takes the frames as they are read back from the results files and
returns a :class:`matplotlib.figure.Figure` built without pyplot (no global
figure state; save it with ``fig.savefig(path)``). Every title, axis label,
legend and note is in Chinese (``lang="zh"``, the default) or English
(``lang="en"``); names from the scenario (townships, teams, items, plans) are
data and are drawn literally, never as mathtext.

Colours come from cividis and every series also differs in marker, line style
or hatch, so the charts survive greyscale printing. Money is shown in 万元
(10,000 yuan) in Chinese and in thousand or million yuan in English.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter
from matplotlib.transforms import blended_transform_factory, offset_copy

from planner.fonts import use_report_fonts
from planner.labels import (
    AXIS_LABELS,
    LANGS,
    METRIC_LABELS,
    TIER_LABELS,
    VERDICT_LABELS,
    category_name,
    judgement_label,
    label,
    own_words,
    plan_name,
    text,
)
from scenarios.plan import Plan, plan_costs
from scenarios.schema import ITEM_CATEGORIES, Scenario
from sim.metrics import HEADLINE, mean_ci
from sim.model import HANDLED_LEVELS

DEPOT_TIERS = ("county", "township", "village")
TITLE_SIZE, LABEL_SIZE, TICK_SIZE, NOTE_SIZE = 13, 11, 10, 9
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "h")
LINE_STYLES = ("-", "--", "-.", ":")
HATCHES = ("", "//", "..", "xx", "\\\\", "++", "oo")
MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_yuan(value: float, lang: str) -> str:
    """An amount of yuan in the unit of the money axes: ``8.1万`` in Chinese, ``81.2k`` in English.

    One decimal, two below a tenth of the unit, so small amounts do not show as zero.
    """
    if not np.isfinite(value):
        return "–"
    scale, suffix = (1e4, "万") if lang == "zh" else (1e3, "k")
    digits = 1 if abs(value) >= scale / 10 else 2
    return f"{value / scale:,.{digits}f}{suffix}"


def budget_phrase(value: float, lang: str) -> str:
    """A budget or budget step in words: ``50万元``, ``500k yuan``, ``2.8M yuan``."""
    if lang == "zh":
        return f"{value / 1e4:,.4g}万元"
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.4g}M yuan"
    return f"{value / 1e3:,.4g}k yuan"


def hazard_name(scenario: Scenario | None, hazard_id: str, lang: str) -> str:
    """A hazard's name in ``lang``, from the scenario; the id when it has none."""
    hazard = _find(scenario.hazards if scenario else (), "hazard_id", hazard_id)
    if hazard is None:
        return hazard_id
    return hazard.name_zh if lang == "zh" else hazard.name_en or hazard_id.replace("_", " ")


def township_name(scenario: Scenario, township_id: str, lang: str) -> str:
    """A township's name: its Chinese name in Chinese, its English name or id in English."""
    township = _find(scenario.townships, "township_id", township_id)
    if township is None:
        return township_id
    return township.name_zh if lang == "zh" else township.name_en or township_id


def team_name(scenario: Scenario, team_id: str, lang: str) -> str:
    """A team's name in ``lang``; its id when it has no name in that language."""
    team = _find(scenario.teams, "team_id", team_id)
    if team is None:
        return team_id
    return (team.name_zh if lang == "zh" else team.name_en) or team_id


def depot_name(scenario: Scenario, depot_id: str, lang: str) -> str:
    """A depot's name: its own or its township's in Chinese; township (id) in English."""
    depot = _find(scenario.depots, "depot_id", depot_id)
    if depot is None:
        return depot_id
    if lang == "zh":
        return depot.name_zh or township_name(scenario, depot.township_id, "zh")
    return f"{township_name(scenario, depot.township_id, 'en')} ({depot_id})"


def _find(objects: Iterable, key: str, value: str):
    return next((o for o in objects if getattr(o, key) == value), None)


def _unmet_label(lang: str) -> str:
    """The headline's name (from the summary tables' labels) with its unit."""
    return label(METRIC_LABELS, HEADLINE, lang) + text("unmet_unit", lang)


# ---------------------------------------------------------------- figure plumbing


def _figure(lang: str, width: float, height: float) -> Figure:
    """A new figure with the report fonts, outside pyplot's global state."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    use_report_fonts()
    return Figure(figsize=(width, height), layout="constrained", dpi=100)


def _style(ax: Axes, grid_axis: str = "both") -> None:
    """Readable ticks and a light grid behind the data."""
    ax.tick_params(labelsize=TICK_SIZE)
    ax.grid(True, axis=grid_axis, color="0.85", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _colours(n: int) -> list:
    """``n`` cividis colours from dark to light, stopping before the pale yellow end."""
    cmap = matplotlib.colormaps["cividis"]
    return [cmap(x) for x in np.linspace(0.0, 0.7, max(n, 1))][:n]


def _literal(texts: Iterable) -> None:
    """Draw these text objects as they are: a ``$`` in a name is not mathtext."""
    for item in texts:
        item.set_parse_math(False)


def _ticks(ax: Axes, axis: str, positions: Sequence[float], labels: Sequence[str]) -> None:
    """Fixed tick labels drawn literally (they are names from the data)."""
    setter = ax.set_yticks if axis == "y" else ax.set_xticks
    setter(list(positions), list(labels), parse_math=False, fontsize=TICK_SIZE)


def _scaled(scale: float) -> FuncFormatter:
    """Tick labels in units of ``scale`` (2.5 stays 2.5, 10 shows as 10)."""
    return FuncFormatter(lambda value, _: f"{value / scale:,.4g}")


def _money_scale(lang: str) -> float:
    """Money axes: 万元 in Chinese, thousand yuan in English."""
    return 1e4 if lang == "zh" else 1e3


def _legend(ax: Axes, **kwargs) -> None:
    """A frameless legend of the labelled artists, if any; labels are data, drawn literally."""
    if not ax.get_legend_handles_labels()[0]:
        return
    legend = ax.legend(fontsize=NOTE_SIZE, frameon=False, **kwargs)
    _literal([*legend.get_texts(), legend.get_title()])


# ---------------------------------------------------------------- a plan over years


def years_outlook(years: pd.DataFrame, lang: str = "zh") -> Figure:
    """A plan over several years: money and stock (top), the simulated shortfall (bottom).

    ``years`` is ``yingji plan-years``' ``years.csv``: per year the replacement and
    new money as bars beside each other, the stock value at the year's end as a
    line; below, each year's weighted shortfall with its 95% band.
    """
    fig = _figure(lang, 10, 7)
    top, bottom = fig.subplots(2, 1, sharex=True)
    year = years["year"].to_numpy(dtype=float)
    dark, light, line = _colours(3)
    top.bar(year - 0.2, years["replaced_yuan"], 0.4, color=dark, label=text("years_replaced", lang))
    top.bar(year + 0.2, years["bought_yuan"], 0.4, color=light, label=text("years_new", lang))
    top.plot(year, years["stock_value_end_yuan"], marker="o", color="0.3",
             label=text("years_stock", lang))  # fmt: skip
    bottom.fill_between(year, years["weighted_unmet_ci_low"], years["weighted_unmet_ci_high"],
                        color=line, alpha=0.25, linewidth=0)  # fmt: skip
    bottom.plot(year, years["weighted_unmet_mean"], marker="o", color=line)
    _year_panels(top, bottom, year, ("years_money_title", "years_unmet_title"), lang)
    _legend(top, loc="upper left")
    return fig


def _year_panels(top: Axes, bottom: Axes, year, titles: tuple[str, str], lang: str) -> None:
    """Money above, the simulated shortfall below, one tick a year: titles, labels, scales."""
    top.set_title(text(titles[0], lang), fontsize=TITLE_SIZE, loc="left")
    top.set_ylabel(text("money_axis", lang), fontsize=LABEL_SIZE)
    bottom.set_title(text(titles[1], lang), fontsize=TITLE_SIZE, loc="left")
    bottom.set_ylabel(_unmet_label(lang), fontsize=LABEL_SIZE)
    bottom.set_xlabel(text("year_axis", lang), fontsize=LABEL_SIZE)
    _ticks(bottom, "x", year, [str(int(y)) for y in year])
    for ax in (top, bottom):
        ax.yaxis.set_major_formatter(_scaled(_money_scale(lang)))
        _style(ax, "y")


def years_against(
    years: pd.DataFrame, against: pd.DataFrame, names: tuple[str, str], lang: str = "zh"
) -> Figure:
    """Two paths of budgets: each year's budget (top), each path's simulated shortfall (bottom).

    ``years`` and ``against`` are the two paths' ``years.csv`` (``against/`` for the
    second), named ``names`` in the legends; both were judged on the same simulated
    years. The bands are each path's 95% CI of its own mean, not of the difference.
    """
    fig = _figure(lang, 10, 8.5)  # tall enough for the shortfall axis's whole label
    top, bottom = fig.subplots(2, 1, sharex=True)
    year = years["year"].to_numpy(dtype=float)
    paths = zip((years, against), names, _colours(2), (-0.2, 0.2), strict=True)
    for number, (frame, name, colour, offset) in enumerate(paths):
        top.bar(year + offset, frame["budget_yuan"], 0.4, color=colour, hatch=HATCHES[number],
                edgecolor="white", linewidth=0, label=name)  # fmt: skip
        bottom.fill_between(year, frame["weighted_unmet_ci_low"], frame["weighted_unmet_ci_high"],
                            color=colour, alpha=0.2, linewidth=0)  # fmt: skip
        bottom.plot(year, frame["weighted_unmet_mean"], marker=MARKERS[number],
                    linestyle=LINE_STYLES[number], color=colour, label=name)  # fmt: skip
    _year_panels(top, bottom, year, ("against_money_title", "against_unmet_title"), lang)
    for ax in (top, bottom):
        _legend(ax, loc="upper left")
    return fig


# ---------------------------------------------------------------- funding frontier


def grid_axes(frame: pd.DataFrame, budget_column: str = "budget_yuan") -> list[str]:
    """A sweep frame's grid axes other than the budget (columns between ``cell`` and ``plan``)."""
    columns = list(frame.columns)
    start = columns.index("cell") + 1 if "cell" in columns else 0
    grid = columns[start : columns.index("plan")]
    return [c for c in grid if not c.endswith("_label") and c != budget_column]


def series_labels(
    frame: pd.DataFrame, budget_column: str = "budget_yuan", lang: str | None = None
) -> pd.Series:
    """Which line of the frontier each row belongs to: its grid labels other than the budget.

    An axis's ``*_label`` column is used where the sweep has one, its value where not;
    several axes are joined with ``", "``; one empty label when the budget is the only axis.
    """
    parts = []
    for axis in grid_axes(frame, budget_column):
        column = f"{axis}_label" if f"{axis}_label" in frame.columns else axis
        parts.append(frame[column].astype(str).map(lambda text: own_words(text, lang)))
    if not parts:
        return pd.Series("", index=frame.index, name="series")
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + ", " + part
    return joined.rename("series")


def frontier_points(
    summary: pd.DataFrame,
    plan: str = "optimised",
    budget_column: str = "budget_yuan",
    lang: str | None = None,
) -> pd.DataFrame:
    """The headline of ``plan`` per series and budget.

    Columns: series, budget_yuan, mean, ci_low, ci_high (yuan-equivalent / year), n.
    """
    rows = summary[
        (summary["metric"] == HEADLINE) & (summary["group"] == "all") & (summary["plan"] == plan)
    ]
    points = pd.DataFrame(
        {
            "series": series_labels(rows, budget_column, lang),
            "budget_yuan": rows[budget_column].astype(float),
            **{c: rows[c].astype(float) for c in ("mean", "ci_low", "ci_high", "n")},
        }
    )
    return points.sort_values(["budget_yuan"], kind="stable").reset_index(drop=True)


def step_effects(
    years: pd.DataFrame,
    plan: str = "optimised",
    budget_column: str = "budget_yuan",
    lang: str | None = None,
) -> pd.DataFrame:
    """Paired reduction of weighted unmet demand from each budget to the next, per series.

    For consecutive budgets b0 < b1 of one series, the reduction in a simulated
    year is unmet(b0) - unmet(b1) on the same replication (common random
    numbers); its mean and Student-t 95% CI are over replications. Columns:
    series, budget_from_yuan, budget_to_yuan, reduction_mean, ci_low, ci_high
    (weighted shortfall, yuan-equivalent / year; positive = less unmet demand), n.
    """
    rows = years[years["plan"] == plan]
    table = pd.DataFrame(
        {
            "series": series_labels(rows, budget_column, lang),
            "budget": rows[budget_column].astype(float),
            "replication": rows["replication"],
            "value": rows[HEADLINE].astype(float),
        }
    )
    records = []
    for series, group in table.groupby("series", sort=False):
        wide = group.pivot_table(index="replication", columns="budget", values="value")
        budgets = sorted(wide.columns)
        for low, high in itertools.pairwise(budgets):
            paired = (wide[low] - wide[high]).dropna()
            records.append((series, low, high, *mean_ci(paired), len(paired)))
    columns = ["series", "budget_from_yuan", "budget_to_yuan", "reduction_mean"]
    return pd.DataFrame(records, columns=[*columns, "ci_low", "ci_high", "n"])


COUNTY = "county"  # a province sweep's first axis (scenarios.sweep.COUNTY_AXIS)
PROVINCE_DROPPED = ("county", "budget_yuan", "budget_factor")  # replaced by the province's budget


def province_frames(
    summary: pd.DataFrame, years: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """A province sweep as one county: its counties added up in each simulated year.

    Returns (summary, years) frames as :func:`funding_frontier` reads them, with
    ``budget_yuan`` the sum of the counties' budgets, and how many finished cells
    were left out because not every county has finished their budget. A province
    year is the counties' same replication: their sum over replications is a sample
    of province years, so its mean and Student-t interval are the province's.
    """
    headline = summary[(summary["metric"] == HEADLINE) & (summary["group"] == "all")]
    budgets = headline.groupby("cell")["procurement_budget_yuan"].first()
    grid = list(years.columns[: list(years.columns).index("plan")])
    keys = [c for c in grid if c != "cell" and c.removesuffix("_label") not in PROVINCE_DROPPED]
    by_budget = [c for c in grid if c.removesuffix("_label") in ("budget_yuan", "budget_factor")]
    if not by_budget:  # the counties at their own budgets: no curve to draw
        return pd.DataFrame(), pd.DataFrame(), 0
    rows = years.assign(budget_yuan=years["cell"].map(budgets))
    groups = [*keys, *by_budget]
    counties = rows.groupby(groups, dropna=False)[COUNTY].transform("nunique")
    complete = counties == years[COUNTY].nunique()
    left_out = int(rows.loc[~complete, "cell"].nunique())
    added = (
        rows[complete]
        .groupby([*groups, "plan", "replication"], dropna=False, sort=False)
        .agg(budget_yuan=("budget_yuan", "sum"), value=(HEADLINE, "sum"))
        .reset_index()
    )
    added["cell"] = added.groupby(groups, dropna=False, sort=False).ngroup()
    province_years = added[["cell", "budget_yuan", *keys, "plan", "replication", "value"]]
    province_years = province_years.rename(columns={"value": HEADLINE})
    records = []
    for (_, plan), group in province_years.groupby(["cell", "plan"], sort=False):
        first = group.iloc[0]
        mean, low, high = mean_ci(group[HEADLINE])
        fields = {c: first[c] for c in ("cell", "budget_yuan", *keys)}
        records.append(fields | {"plan": plan, "metric": HEADLINE, "group": "all",
                                 "mean": mean, "ci_low": low, "ci_high": high,
                                 "n": len(group)})  # fmt: skip
    return pd.DataFrame(records), province_years.reset_index(drop=True), left_out


def funding_frontier(
    summary: pd.DataFrame,
    years: pd.DataFrame,
    current_budget_yuan: float | None = None,
    plan: str = "optimised",
    lang: str = "zh",
    budget_column: str = "budget_yuan",
    reference_plan: str = "status_quo",
) -> Figure:
    """Weighted unmet demand against budget with 95% bands, and what each budget step buys.

    ``summary`` and ``years`` are a sweep's frames (:func:`planner.sweeping.load_results`).
    Top: one line per series (intensity label), the current budget and, if the
    sweep simulated it, the status quo as a reference. Bottom: each step's
    paired reduction (:func:`step_effects`) with its CI, its value written on it.
    """
    fig = _figure(lang, 10, 8)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    points = frontier_points(summary, plan, budget_column, lang)
    series = list(dict.fromkeys(points["series"]))
    colours = _colours(len(series))
    _frontier_lines(top, points, series, colours, lang)
    _status_quo_lines(top, summary, series, colours, reference_plan, budget_column, lang)
    if current_budget_yuan is not None:
        _current_budget(top, bottom, current_budget_yuan, lang)
    steps = step_effects(years, plan, budget_column, lang)
    _step_bars(bottom, steps, series, colours, lang)
    top.set_title(text("frontier_title", lang), fontsize=TITLE_SIZE, loc="left")
    top.set_ylabel(_unmet_label(lang), fontsize=LABEL_SIZE)
    top.yaxis.set_major_formatter(_scaled(_money_scale(lang)))
    bottom.set_xlabel(text("budget_axis", lang), fontsize=LABEL_SIZE)
    bottom.xaxis.set_major_formatter(_scaled(1e4 if lang == "zh" else 1e6))
    for ax in (top, bottom):
        _style(ax)
    top.tick_params(labelbottom=True)
    axes = [label(AXIS_LABELS, axis, lang) for axis in grid_axes(summary, budget_column)]
    _legend(top, loc="best", title=", ".join(axes) or None)
    return fig


def _frontier_lines(
    ax: Axes, points: pd.DataFrame, series: list[str], colours: list, lang: str
) -> None:
    """One line with markers and a shaded 95% band per series; one legend entry for the bands."""
    for index, (name, colour) in enumerate(zip(series, colours, strict=True)):
        rows = points[points["series"] == name]
        ax.fill_between(
            rows["budget_yuan"], rows["ci_low"], rows["ci_high"], color=colour, alpha=0.18, lw=0
        )
        ax.plot(
            rows["budget_yuan"],
            rows["mean"],
            color=colour,
            marker=MARKERS[index % len(MARKERS)],
            linestyle=LINE_STYLES[index % len(LINE_STYLES)],
            linewidth=2,
            markersize=6,
            label=name or None,
        )
    ax.fill_between([], [], [], color="0.6", alpha=0.3, lw=0, label=text("band", lang))


def _status_quo_lines(
    ax: Axes,
    summary: pd.DataFrame,
    series: list[str],
    colours: list,
    reference_plan: str,
    budget_column: str,
    lang: str,
) -> None:
    """The status quo buys nothing, so its level is one flat line per series."""
    reference = frontier_points(summary, reference_plan, budget_column, lang)
    for index, (name, colour) in enumerate(zip(series, colours, strict=True)):
        level = reference.loc[reference["series"] == name, "mean"]
        if level.empty:
            continue
        ax.axhline(level.mean(), color=colour, linestyle=":", linewidth=1.5)
        shown = plan_name("status_quo", lang) + (f" · {name}" if name else "")
        ax.annotate(
            shown,
            (1.0, level.mean()),
            xycoords=blended_transform_factory(ax.transAxes, ax.transData),
            xytext=(-4, 3),
            textcoords="offset points",
            ha="right",
            va="bottom",
            fontsize=NOTE_SIZE,
            color="0.2",
            parse_math=False,
            gid=f"status_quo:{index}",
        )


def _current_budget(top: Axes, bottom: Axes, budget: float, lang: str) -> None:
    for ax in (top, bottom):
        ax.axvline(budget, color="0.25", linestyle="--", linewidth=1.2)
    top.annotate(
        text("current_budget", lang).format(budget_phrase(budget, lang)),
        (budget, 1.0),
        xycoords=blended_transform_factory(top.transData, top.transAxes),
        xytext=(4, -4),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=NOTE_SIZE,
        color="0.15",
    )


def _step_bars(ax: Axes, steps: pd.DataFrame, series: list[str], colours: list, lang: str) -> None:
    """Bars of each step's paired reduction between its two budgets, with CI and value."""
    widths = (steps["budget_to_yuan"] - steps["budget_from_yuan"]).unique()
    if len(widths) == 1:
        ax.set_title(
            text("step_title_even", lang).format(budget_phrase(widths[0], lang)),
            fontsize=LABEL_SIZE,
            loc="left",
        )
    else:
        ax.set_title(text("step_title_uneven", lang), fontsize=LABEL_SIZE, loc="left")
    ax.set_ylabel(text("reduction_axis", lang), fontsize=LABEL_SIZE)
    ax.yaxis.set_major_formatter(_scaled(_money_scale(lang)))
    ax.axhline(0, color="0.3", linewidth=0.8)
    count = max(len(series), 1)
    for index, (name, colour) in enumerate(zip(series, colours, strict=True)):
        rows = steps[steps["series"] == name]
        span = rows["budget_to_yuan"] - rows["budget_from_yuan"]
        width = 0.7 * span / count
        centre = rows["budget_from_yuan"] + span / 2 + (index - (count - 1) / 2) * width
        error = np.vstack(
            [rows["reduction_mean"] - rows["ci_low"], rows["ci_high"] - rows["reduction_mean"]]
        )
        ax.bar(
            centre,
            rows["reduction_mean"],
            width=width,
            color=colour,
            alpha=0.85,
            hatch=HATCHES[index % len(HATCHES)],
            edgecolor="0.15",
            linewidth=0.6,
            yerr=np.nan_to_num(error),
            error_kw={"ecolor": "0.1", "capsize": 3, "linewidth": 1},
        )
        for row, x in zip(rows.itertuples(index=False), centre, strict=True):
            top = row.reduction_mean if np.isnan(row.ci_high) else max(row.ci_high, 0)
            ax.annotate(
                format_yuan(row.reduction_mean, lang),
                (x, top),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=NOTE_SIZE - 1,
                gid=f"step:{row.series}:{row.budget_from_yuan:g}:{row.budget_to_yuan:g}",
            )


# ---------------------------------------------------------------- what the plan buys


def stock_value_by(scenario: Scenario) -> pd.DataFrame:
    """Value of today's stock at unit prices. Columns: tier, category, value_yuan."""
    items = {i.item_id: i for i in scenario.items}
    depots = {d.depot_id: d for d in scenario.depots}
    records = [
        (
            depots[line.depot_id].tier,
            items[line.item_id].category,
            line.quantity * items[line.item_id].unit_price_yuan,
        )
        for line in scenario.stock
    ]
    frame = pd.DataFrame(records, columns=["tier", "category", "value_yuan"])
    frame = frame.astype({"value_yuan": float})
    return frame.groupby(["tier", "category"], as_index=False)["value_yuan"].sum()


def top_items(plan: Plan, scenario: Scenario, n: int = 10) -> pd.DataFrame:
    """The ``n`` items the plan spends most on, all depots together.

    Columns: item_id, name_zh, name_en, category, unit, quantity, cost_yuan; largest first.
    """
    items = {i.item_id: i for i in scenario.items}
    records = [
        (p.item_id, p.quantity, p.quantity * items[p.item_id].unit_price_yuan)
        for p in plan.purchases
    ]
    frame = pd.DataFrame(records, columns=["item_id", "quantity", "cost_yuan"])
    frame = frame.astype({"quantity": "int64", "cost_yuan": float})
    frame = frame.groupby("item_id", as_index=False, sort=False)[["quantity", "cost_yuan"]].sum()
    for column in ("name_zh", "name_en", "category", "unit"):
        frame[column] = [getattr(items[i], column) for i in frame["item_id"]]
    frame = frame.sort_values(["cost_yuan", "item_id"], ascending=[False, True], kind="stable")
    columns = ["item_id", "name_zh", "name_en", "category", "unit", "quantity", "cost_yuan"]
    return frame.head(n)[columns].reset_index(drop=True)


def spending_frames(
    plan: Plan, scenario: Scenario, n: int = 10
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The three frames :func:`plan_spending` draws: plan costs, today's stock, top items."""
    return plan_costs(plan, scenario), stock_value_by(scenario), top_items(plan, scenario, n)


def plan_spending(
    plan_costs_frame: pd.DataFrame,
    status_quo_stock_frame: pd.DataFrame,
    top_items_frame: pd.DataFrame,
    lang: str = "zh",
) -> Figure:
    """What the plan buys by item category and depot tier next to today's stock, and top items.

    Frames as made by :func:`spending_frames`: :func:`scenarios.plan.plan_costs`
    (purchase rows are used), :func:`stock_value_by` and :func:`top_items`.
    """
    fig = _figure(lang, 12, 7.5)
    axes = fig.subplot_mosaic([["category", "top"], ["tier", "top"]], height_ratios=(2, 1))
    purchases = plan_costs_frame[plan_costs_frame["part"] == "purchase"]
    stock = status_quo_stock_frame
    categories = [
        c for c in ITEM_CATEGORIES if c in set(purchases["category"]) or c in set(stock["category"])
    ]
    bought = purchases.groupby("category")["cost_yuan"].sum()
    held = stock.groupby("category")["value_yuan"].sum()
    labels = [category_name(c, lang) for c in categories]
    _paired_bars(
        axes["category"], labels, held.reindex(categories), bought.reindex(categories), lang
    )
    axes["category"].set_title(text("by_category", lang), fontsize=LABEL_SIZE, loc="left")
    bought = purchases.groupby("tier")["cost_yuan"].sum()
    held = stock.groupby("tier")["value_yuan"].sum()
    labels = [label(TIER_LABELS, t, lang) for t in DEPOT_TIERS]
    _paired_bars(axes["tier"], labels, held.reindex(DEPOT_TIERS), bought.reindex(DEPOT_TIERS), lang)
    axes["tier"].set_title(text("by_tier", lang), fontsize=LABEL_SIZE, loc="left")
    _top_item_bars(axes["top"], top_items_frame, lang)
    fig.suptitle(text("spending_title", lang), fontsize=TITLE_SIZE)
    handles, labels = axes["category"].get_legend_handles_labels()
    fig.legend(
        handles, labels, loc="outside lower center", ncols=2, frameon=False, fontsize=NOTE_SIZE
    )
    return fig


def _paired_bars(
    ax: Axes, labels: list[str], held: pd.Series, bought: pd.Series, lang: str
) -> None:
    """Two horizontal bars per group: today's stock (hatched, light) and the plan's purchases."""
    y = np.arange(len(labels))
    height = 0.38
    light, dark = _colours(2)[1], _colours(2)[0]
    ax.barh(
        y - height / 2,
        held.fillna(0.0),
        height,
        color=light,
        hatch="//",
        edgecolor="0.2",
        linewidth=0.6,
        label=text("stock_now", lang),
    )
    ax.barh(
        y + height / 2,
        bought.fillna(0.0),
        height,
        color=dark,
        edgecolor="0.2",
        linewidth=0.6,
        label=text("plan_buys", lang),
    )
    for offset, values in ((-height / 2, held), (height / 2, bought)):
        for position, value in zip(y + offset, values.fillna(0.0), strict=True):
            if value > 0:
                ax.annotate(
                    format_yuan(value, lang),
                    (value, position),
                    xytext=(3, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=NOTE_SIZE - 1,
                )
    _ticks(ax, "y", y, labels)
    ax.invert_yaxis()
    ax.set_xlabel(text("money_axis", lang), fontsize=LABEL_SIZE)
    ax.xaxis.set_major_formatter(_scaled(_money_scale(lang)))
    ax.margins(x=0.15)
    _style(ax, "x")


def _top_item_bars(ax: Axes, top: pd.DataFrame, lang: str) -> None:
    """The largest purchases by money, biggest on top, category in the label."""
    names = (
        top["name_zh"]
        if lang == "zh"
        else top["name_en"].where(top["name_en"] != "", top["item_id"])
    )
    labels = [
        f"{name}（{category_name(c, lang)}）"
        if lang == "zh"
        else f"{name} ({category_name(c, lang)})"
        for name, c in zip(names, top["category"], strict=True)
    ]
    y = np.arange(len(top))
    ax.barh(y, top["cost_yuan"], 0.6, color=_colours(1)[0], edgecolor="0.2", linewidth=0.6)
    for position, value in zip(y, top["cost_yuan"], strict=True):
        ax.annotate(
            format_yuan(value, lang),
            (value, position),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=NOTE_SIZE - 1,
        )
    _ticks(ax, "y", y, labels)
    # Room for at least six bars, so a short list keeps bars of the usual thickness.
    ax.set_ylim(max(len(top), 6) - 0.5, -0.5)
    ax.set_title(text("top_items", lang).format(len(top)), fontsize=LABEL_SIZE, loc="left")
    ax.set_xlabel(text("money_axis", lang), fontsize=LABEL_SIZE)
    ax.xaxis.set_major_formatter(_scaled(_money_scale(lang)))
    ax.margins(x=0.18)
    _style(ax, "x")


# ---------------------------------------------------------------- where the gaps are


def township_unmet(
    events: pd.DataFrame, replications: np.ndarray, township_ids: Sequence[str] | None = None
) -> pd.Series:
    """Mean yearly weighted shortfall per township, items and rescue (yuan-equivalent / year).

    Years are ``replications`` (also those without events); townships with no
    event get zero: every category of a categorical ``township_id``, or ``township_ids``.
    """
    penalty = events["item_shortfall_yuan"] + events["rescue_shortfall_yuan"]
    totals = penalty.groupby(events["township_id"], observed=False).sum()
    totals.index = totals.index.astype(str)
    if township_ids is not None:
        totals = totals.reindex(list(township_ids), fill_value=0.0)
    years = max(len(replications), 1)
    return (totals.astype(float) / years).rename(HEADLINE)


def township_response(events: pd.DataFrame) -> pd.Series:
    """Median time to first team on scene per township (h); NaN where no team arrived."""
    median = events.groupby("township_id", observed=False)["response_h"].median()
    median.index = median.index.astype(str)
    return median.rename("response_p50")


def township_map(
    scenario: Scenario,
    township_values: pd.Series,
    value_label: str | None = None,
    lang: str = "zh",
) -> Figure:
    """Townships at their coordinates, area by population, colour by a value per township.

    ``township_values`` is indexed by township_id. Without ``value_label`` the
    values are the weighted shortfall in yuan-equivalent / year (:func:`township_unmet`);
    otherwise they are drawn as they are under that colourbar label (give units).
    Darker is more; a township without a value is white.
    """
    fig = _figure(lang, 9, 7.5)
    ax = fig.subplots()
    towns = scenario.townships
    x = np.array([t.x_km for t in towns])
    y = np.array([t.y_km for t in towns])
    population = np.array([t.population for t in towns], dtype=float)
    values = township_values.reindex([t.township_id for t in towns]).astype(float)
    area = 60 + 900 * population / max(population.max(), 1.0)
    dots = ax.scatter(
        x,
        y,
        s=area,
        c=values,
        cmap=matplotlib.colormaps["cividis_r"].with_extremes(bad="white"),
        edgecolors="0.15",
        linewidths=0.8,
        zorder=2,
        plotnonfinite=True,
        # Amounts start at zero, so a pale township has almost no gap, not just the least.
        vmin=0.0 if values.min() >= 0 else None,
    )
    _colourbar(fig, ax, dots, value_label, lang)
    radius = dict(zip((t.township_id for t in towns), np.sqrt(area) / 2, strict=True))
    _township_names(fig, ax, scenario, radius, lang)
    _depot_markers(fig, ax, scenario, radius, lang)
    ax.set_title(text("map_title", lang), fontsize=TITLE_SIZE, loc="left")
    ax.set_xlabel(text("east_axis", lang), fontsize=LABEL_SIZE)
    ax.set_ylabel(text("north_axis", lang), fontsize=LABEL_SIZE)
    ax.set_aspect("equal", adjustable="datalim")
    ax.margins(0.12)
    ax.text(0.01, 0.01, text("area_note", lang), transform=ax.transAxes, fontsize=NOTE_SIZE)
    _style(ax)
    return fig


def _colourbar(fig: Figure, ax: Axes, dots, value_label: str | None, lang: str) -> None:
    bar = fig.colorbar(dots, ax=ax, shrink=0.8)
    bar.ax.tick_params(labelsize=TICK_SIZE)
    if value_label is None:
        bar.set_label(_unmet_label(lang), fontsize=LABEL_SIZE)
        bar.ax.yaxis.set_major_formatter(_scaled(_money_scale(lang)))
    else:
        bar.set_label(value_label, fontsize=LABEL_SIZE, parse_math=False)


def _township_names(
    fig: Figure, ax: Axes, scenario: Scenario, radius: dict[str, float], lang: str
) -> None:
    """Each township's name just outside its circle, up and to the right."""
    for town in scenario.townships:
        gap = radius[town.township_id] * 0.71 + 2
        ax.annotate(
            township_name(scenario, town.township_id, lang),
            (town.x_km, town.y_km),
            xytext=(gap, gap),
            textcoords="offset points",
            fontsize=NOTE_SIZE,
            parse_math=False,
            zorder=4,
            gid=f"township:{town.township_id}",
        )


# Depot and station markers sit on the rim of the township's circle, each in its own direction.
SITE_STYLES = {
    "county_depot": {"marker": "s", "s": 70, "facecolors": "black", "direction": (-0.71, -0.71)},
    "township_depot": {"marker": "s", "s": 22, "facecolors": "white", "direction": (0.0, -1.0)},
    "fire_station": {"marker": "^", "s": 60, "facecolors": "0.6", "direction": (0.71, -0.71)},
}


def _depot_markers(
    fig: Figure, ax: Axes, scenario: Scenario, radius: dict[str, float], lang: str
) -> None:
    """County depots, township depots and fire stations, beside the township they are in."""
    where = {t.township_id: (t.x_km, t.y_km) for t in scenario.townships}
    sites = {
        "county_depot": {d.township_id for d in scenario.depots if d.tier == "county"},
        "township_depot": {d.township_id for d in scenario.depots if d.tier == "township"},
        "fire_station": {t.base_township for t in scenario.teams if t.tier == "fire_station"},
    }
    for key, places in sites.items():
        style = dict(SITE_STYLES[key])
        dx, dy = style.pop("direction")
        for number, place in enumerate(sorted(p for p in places if p in where)):
            reach = radius[place] + 6
            shifted = offset_copy(ax.transData, fig=fig, x=dx * reach, y=dy * reach, units="points")
            ax.scatter(
                *where[place],
                transform=shifted,
                edgecolors="black",
                linewidths=0.9,
                zorder=3,
                label=text(key, lang) if number == 0 else None,
                **style,
            )
    _legend(ax, loc="upper left", markerscale=0.9)


# ---------------------------------------------------------------- response


def response_times(events: pd.DataFrame, scenario: Scenario, lang: str = "zh") -> Figure:
    """Time to first team on scene by hazard with its rescue deadline; where events were handled.

    Left: box plots of ``response_h`` per hazard, the hazard's ``rescue_deadline_h``
    marked and the share of events reached in time written beside it. Right: the
    share of events handled inside the township, by the county, or with outside help.
    """
    fig = _figure(lang, 12, 5.5)
    left, right = fig.subplots(1, 2, width_ratios=(3, 2))
    hazards = [h.hazard_id for h in scenario.hazards if (events["hazard"] == h.hazard_id).any()]
    _response_boxes(left, events, scenario, hazards, lang)
    _handled_bars(right, events, scenario, hazards, lang)
    fig.suptitle(text("response_title", lang), fontsize=TITLE_SIZE)
    return fig


def _response_boxes(
    ax: Axes, events: pd.DataFrame, scenario: Scenario, hazards: list[str], lang: str
) -> None:
    data = [events.loc[events["hazard"] == h, "response_h"].dropna().to_numpy() for h in hazards]
    y = np.arange(len(hazards))
    if hazards:
        ax.boxplot(
            data,
            positions=y,
            orientation="horizontal",
            widths=0.55,
            patch_artist=True,
            boxprops={"facecolor": _colours(2)[1], "edgecolor": "0.15"},
            medianprops={"color": "black", "linewidth": 2},
            flierprops={"marker": ".", "markersize": 4, "markerfacecolor": "0.3"},
        )
    for position, hazard, values in zip(y, hazards, data, strict=True):
        deadline = scenario.hazard(hazard).rescue_deadline_h
        ax.vlines(deadline, position - 0.4, position + 0.4, colors="black", linestyles="--", lw=2)
        share = float(np.mean(values <= deadline)) if len(values) else np.nan
        # The y axis runs downwards, so position - 0.4 is the top end of the deadline mark.
        ax.annotate(
            text("in_time", lang).format(share),
            (deadline, position - 0.4),
            xytext=(0, 1),
            textcoords="offset points",
            fontsize=NOTE_SIZE,
            ha="center",
            va="bottom",
        )
    labels = [
        text("n", lang).format(hazard_name(scenario, h, lang), len(d))
        for h, d in zip(hazards, data, strict=True)
    ]
    _ticks(ax, "y", y, labels)
    ax.set_ylim(len(hazards) - 0.4, -0.8)
    ax.set_xlabel(text("response_axis", lang), fontsize=LABEL_SIZE)
    ax.set_xlim(left=0)
    handle = Line2D([], [], color="black", linestyle="--", lw=2, label=text("deadline", lang))
    ax.legend(
        handles=[handle],
        fontsize=NOTE_SIZE,
        frameon=False,
        loc="upper left",
        bbox_to_anchor=(0.0, -0.16),
    )
    _style(ax, "x")


def _handled_bars(
    ax: Axes, events: pd.DataFrame, scenario: Scenario, hazards: list[str], lang: str
) -> None:
    """100% stacked bars: share of events per handling level, per hazard and for all."""
    groups = [(hazard_name(scenario, h, lang), events[events["hazard"] == h]) for h in hazards]
    groups.append((text("all_events", lang), events))
    y = np.arange(len(groups))
    left = np.zeros(len(groups))
    colours = _colours(len(HANDLED_LEVELS))
    for index, level in enumerate(HANDLED_LEVELS):
        shares = np.array(
            [(g["handled_level"] == level).mean() * 100 if len(g) else 0.0 for _, g in groups]
        )
        ax.barh(
            y,
            shares,
            0.6,
            left=left,
            color=colours[index],
            hatch=HATCHES[index],
            edgecolor="0.15",
            linewidth=0.6,
            label=text(f"level_{level}", lang),
        )
        for position, start, share in zip(y, left, shares, strict=True):
            if share >= 8:
                # A white box keeps the number readable over dark fills and hatching.
                ax.text(
                    start + share / 2,
                    position,
                    f"{share:.0f}%",
                    ha="center",
                    va="center",
                    fontsize=NOTE_SIZE - 1,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1, "alpha": 0.85},
                )
        left += shares
    _ticks(ax, "y", y, [name for name, _ in groups])
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel(text("share_axis", lang), fontsize=LABEL_SIZE)
    ax.set_title(text("handled_title", lang), fontsize=LABEL_SIZE, loc="left")
    _legend(ax, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=1)
    _style(ax, "x")


# ---------------------------------------------------------------- plan comparison


VERDICT_MARKERS = {
    "better": {"marker": "o", "facecolor": "black"},
    "worse": {"marker": "s", "facecolor": "black"},
    "not significant": {"marker": "o", "facecolor": "white"},
    "identical": {"marker": "D", "facecolor": "white"},
}


def comparison_forest(
    comparison: pd.DataFrame,
    lang: str = "zh",
    scenario: Scenario | None = None,
    plan: str | None = None,
) -> Figure:
    """Paired differences (plan minus reference) with 95% CIs: total, per hazard, per category.

    ``comparison`` is :func:`optimize.comparison.compare_results`'s frame; ``plan``
    picks one plan (the first by default). Each row's verdict is written at the
    right and shown by its marker; hazard names come from ``scenario`` when given.
    """
    plan = plan if plan is not None else str(comparison["plan"].iloc[0])
    rows = comparison[comparison["plan"] == plan]
    rows = pd.concat(
        [rows[rows["breakdown"] == kind] for kind in ("all", "hazard", "category")],
        ignore_index=True,
    )
    fig = _figure(lang, 10, 1.6 + 0.42 * len(rows))
    ax = fig.subplots()
    y = np.arange(len(rows))
    scale = _money_scale(lang)
    for position, row in zip(y, rows.itertuples(index=False), strict=True):
        style = VERDICT_MARKERS.get(row.verdict, VERDICT_MARKERS["not significant"])
        ax.errorbar(
            row.difference_mean,
            position,
            xerr=[
                [row.difference_mean - row.difference_ci_low],
                [row.difference_ci_high - row.difference_mean],
            ],
            fmt=style["marker"],
            color="black",
            markerfacecolor=style["facecolor"],
            markersize=7,
            capsize=3,
            linewidth=1.3,
        )
        ax.annotate(
            label(VERDICT_LABELS, row.verdict, lang),
            (1.0, position),
            xycoords=blended_transform_factory(ax.transAxes, ax.transData),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            fontsize=NOTE_SIZE,
            parse_math=False,
        )
    ax.axvline(0, color="0.2", linewidth=1)
    # A rule between the total, the hazards and the categories.
    for boundary in np.flatnonzero(rows["breakdown"].ne(rows["breakdown"].shift()).to_numpy())[1:]:
        ax.axhline(boundary - 0.5, color="0.6", linewidth=0.8)
    _ticks(ax, "y", y, [_comparison_label(r, scenario, lang) for r in rows.itertuples()])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.xaxis.set_major_formatter(_scaled(scale))
    ax.set_xlabel(text("difference_axis", lang), fontsize=LABEL_SIZE)
    reference = str(rows["reference"].iloc[0]) if len(rows) else ""
    ax.set_title(
        text("forest_title", lang).format(plan_name(plan, lang), plan_name(reference, lang)),
        fontsize=TITLE_SIZE,
        loc="left",
        parse_math=False,
    )
    _style(ax, "x")
    return fig


def _comparison_label(row, scenario: Scenario | None, lang: str) -> str:
    if row.breakdown == "all":
        return text("headline", lang)
    if row.breakdown == "hazard":
        return text("hazard_prefix", lang) + hazard_name(scenario, row.group, lang)
    return text("category_prefix", lang) + category_name(row.group, lang)


# ---------------------------------------------------------------- one simulated year


def year_timeline(
    events: pd.DataFrame,
    dispatches: pd.DataFrame,
    replication: int,
    scenario: Scenario,
    lang: str = "zh",
) -> Figure:
    """One simulated year: each event from impact to end by township, and each team's trips.

    Events are bars from impact to end with the hazard's marker at impact. Team
    bars run from dispatch to back at base: travelling out (hatched), on scene
    (the event's hazard colour, its marker at arrival) and returning (light
    grey). The time axis covers the part of the year with activity.
    """
    year = events[events["replication"] == replication]
    trips = dispatches[dispatches["replication"] == replication]
    towns = [
        t.township_id for t in scenario.townships if (year["township_id"] == t.township_id).any()
    ]
    teams = [t.team_id for t in scenario.teams if (trips["team_id"] == t.team_id).any()]
    fig = _figure(lang, 12, 2.6 + 0.3 * (len(towns) + len(teams)))
    top, bottom = fig.subplots(
        2, 1, sharex=True, height_ratios=(max(len(towns), 1) + 1, max(len(teams), 1) + 1)
    )
    hazards = [h.hazard_id for h in scenario.hazards]
    look = {
        h: {"color": c, "marker": MARKERS[i % len(MARKERS)]}
        for i, (h, c) in enumerate(zip(hazards, _colours(len(hazards)), strict=True))
    }
    _event_rows(top, year, towns, scenario, look, lang)
    _team_rows(bottom, trips, year, teams, scenario, look, lang)
    _year_axis(bottom, scenario, year, trips, lang)
    top.set_title(text("events_panel", lang), fontsize=LABEL_SIZE, loc="left")
    bottom.set_title(text("teams_panel", lang), fontsize=LABEL_SIZE, loc="left")
    fig.suptitle(text("timeline_title", lang).format(replication), fontsize=TITLE_SIZE)
    if year.empty:
        top.text(0.5, 0.5, text("no_events", lang), transform=top.transAxes, ha="center")
    for ax in (top, bottom):
        _style(ax, "x")
    return fig


def _event_rows(
    ax: Axes, year: pd.DataFrame, towns: list[str], scenario: Scenario, look: dict, lang: str
) -> None:
    """One row per township that had events: a bar per event, the hazard's marker at impact."""
    row_of = {town: i for i, town in enumerate(towns)}
    seen = set()
    for event in year.itertuples(index=False):
        hazard, row = str(event.hazard), row_of[str(event.township_id)]
        start, length = event.impact_h / 24, max(event.end_h - event.impact_h, 0) / 24
        ax.broken_barh(
            [(start, length)],
            (row - 0.3, 0.6),
            facecolors=look[hazard]["color"],
            edgecolor="0.15",
            linewidth=0.5,
        )
        ax.plot(
            start,
            row,
            linestyle="none",
            markeredgecolor="black",
            markersize=7,
            label=None if hazard in seen else hazard_name(scenario, hazard, lang),
            **look[hazard],
        )
        seen.add(hazard)
    _ticks(ax, "y", range(len(towns)), [township_name(scenario, t, lang) for t in towns])
    ax.set_ylim(len(towns) - 0.5, -0.5)
    if seen:
        _legend(ax, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def _team_rows(
    ax: Axes,
    trips: pd.DataFrame,
    year: pd.DataFrame,
    teams: list[str],
    scenario: Scenario,
    look: dict,
    lang: str,
) -> None:
    """One row per team that moved: out, on scene, back; the event's marker on arrival."""
    hazard_of = dict(zip(year["event_id"], year["hazard"].astype(str), strict=True))
    row_of = {team: i for i, team in enumerate(teams)}
    plain = {"color": "0.5", "marker": "o"}
    for trip in trips.itertuples(index=False):
        row, style = row_of[str(trip.team_id)], look.get(hazard_of.get(trip.event_id), plain)
        legs = (
            (trip.dispatched_h, trip.arrival_h, {"facecolors": "white", "hatch": "////"}),
            (trip.arrival_h, trip.leave_scene_h, {"facecolors": style["color"]}),
            (trip.leave_scene_h, trip.back_at_base_h, {"facecolors": "0.85"}),
        )
        for start, end, fill in legs:
            if np.isfinite(start) and np.isfinite(end) and end > start:
                ax.broken_barh(
                    [(start / 24, (end - start) / 24)],
                    (row - 0.3, 0.6),
                    edgecolor="0.15",
                    linewidth=0.5,
                    **fill,
                )
        if np.isfinite(trip.arrival_h):
            ax.plot(
                trip.arrival_h / 24,
                row,
                linestyle="none",
                markeredgecolor="black",
                markersize=6,
                **style,
            )
    _ticks(ax, "y", range(len(teams)), [team_name(scenario, t, lang) for t in teams])
    ax.set_ylim(len(teams) - 0.5, -0.5)
    handles = [
        Patch(facecolor="white", hatch="////", edgecolor="0.15", label=text("travel", lang)),
        Patch(facecolor=_colours(1)[0], edgecolor="0.15", label=text("on_scene", lang)),
        Patch(facecolor="0.85", edgecolor="0.15", label=text("return", lang)),
    ]
    ax.legend(
        handles=handles,
        fontsize=NOTE_SIZE,
        frameon=False,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
    )


def _year_axis(
    ax: Axes, scenario: Scenario, year: pd.DataFrame, trips: pd.DataFrame, lang: str
) -> None:
    """Days since the start of the year over the active span, ticked at month starts if long."""
    days = scenario.horizon_days
    times = (
        pd.concat(
            [year["impact_h"], year["end_h"], trips["dispatched_h"], trips["back_at_base_h"]]
        ).dropna()
        / 24
    )
    first, last = (times.min(), times.max()) if len(times) else (0.0, days)
    pad = max(3.0, 0.05 * (last - first))
    # Month ticks only help over two months or more; a short span reads better in days.
    if last - first + 2 * pad >= 60 and days >= 360:
        starts = np.cumsum((0, *MONTH_DAYS))[:12]
        names = [f"{m}月" for m in range(1, 13)] if lang == "zh" else list(EN_MONTHS)
        ax.set_xticks(starts, names, fontsize=TICK_SIZE, ha="left")
        ax.set_xlabel(text("day_axis", lang), fontsize=LABEL_SIZE)
    else:
        ax.set_xlabel(text("day_axis_plain", lang), fontsize=LABEL_SIZE)
    ax.set_xlim(max(0.0, first - pad), min(days, last + pad))


# ---------------------------------------------------------------- what the list rests on


def sensitivity_tornado(moved: pd.DataFrame, lang: str = "zh") -> Figure:
    """Money moved between categories with each judgement halved (left) and doubled (right).

    ``moved`` as :func:`optimize.records.money_moved` gives it: judgements
    largest first, which are drawn at the top. Each bar names the category that
    gains most.
    """
    order = list(dict.fromkeys(moved["parameter"]))
    fig = _figure(lang, 11, 1.6 + 0.55 * len(order))
    ax = fig.add_subplot()
    _style(ax, "x")
    rows = np.arange(len(order))[::-1]
    colours = _colours(2)
    for (factor, sign, key), colour in zip(
        ((0.5, -1.0, "halved"), (2.0, 1.0, "doubled")), colours, strict=True
    ):
        part = moved[moved["factor"] == factor].set_index("parameter").reindex(order)
        amounts = part["moved_yuan"].to_numpy(dtype=float)
        values = np.nan_to_num(amounts)
        ax.barh(rows, sign * values, color=colour, height=0.6, label=text(key, lang))
        for row, value, was, gains in zip(rows, values, amounts, part["gains_most"], strict=True):
            if isinstance(gains, str):
                note = f"+{category_name(gains, lang)}"
            else:  # no plan came out, or no category gained
                note = text("no_plan", lang) if np.isnan(was) else ""
            ax.annotate(
                note,
                (sign * value, row),
                xytext=(4 * sign, 0),
                textcoords="offset points",
                ha="left" if sign > 0 else "right",
                va="center",
                fontsize=NOTE_SIZE,
                annotation_clip=False,
            ).set_parse_math(False)
    ax.axvline(0.0, color="0.3", linewidth=0.8)
    _ticks(ax, "y", rows, [judgement_label(p, lang) for p in order])
    scale = _money_scale(lang)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{abs(v) / scale:,.4g}"))
    widest = float(np.nanmax(np.abs(moved["moved_yuan"].to_numpy(dtype=float)), initial=1.0))
    ax.set_xlim(-1.35 * widest, 1.35 * widest)
    ax.set_xlabel(text("tornado_axis", lang), fontsize=LABEL_SIZE)
    fig.suptitle(text("tornado_title", lang), fontsize=TITLE_SIZE)
    _legend(ax, loc="lower right")
    return fig
