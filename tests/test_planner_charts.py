"""Charts: every chart renders in Chinese and English, to PNG and PDF, without missing glyphs."""

from __future__ import annotations

import base64
import copy
import re
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy import stats

import scenarios
from optimize.baselines import status_quo
from optimize.comparison import compare_results
from optimize.evaluate import simulate_plans
from planner import charts, fonts
from planner.report_files import _png  # the report's own drawing of a chart
from scenarios.plan import Plan, Purchase
from sim import simulate
from sim.metrics import HEADLINE, mean_ci, weighted_unmet_by_township
from tests.builders import TOWNSHIPS, write_scenario

CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
LANGS = ("zh", "en")
BUDGETS = (1_000_000.0, 1_500_000.0, 2_000_000.0)
LABELS = ("normal", "wet")
REPS = 12
TRICKY_NAME = "$x^2$ <b>"
MORE_STOCK = Plan(
    "more_stock",
    (
        Purchase("sandbag", "D_A", 3000),
        Purchase("boat", "D_COUNTY", 4),
        Purchase("water", "D_COUNTY", 2000),
        Purchase("blower", "D_C", 20),
        Purchase("sandbag", "D_B", 500),
    ),
)


def sweep_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A sweep's (summary, years) frames by hand: 3 budgets x 2 intensities, 2 plans."""
    rng = np.random.default_rng(11)
    hazard_years = rng.gamma(2.0, 300_000.0, size=REPS)  # the same years in every cell
    years, summary, cell = [], [], 0
    for budget in BUDGETS:
        for intensity, label in zip((1.0, 1.5), LABELS, strict=True):
            for plan in ("optimised", "status_quo"):
                cut = 0.0 if plan == "status_quo" else budget / 4
                values = intensity * hazard_years * rng.uniform(0.8, 1.2, REPS) - cut
                grid = {"cell": cell, "budget_yuan": budget, "rain_intensity": intensity}
                grid |= {"rain_intensity_label": label, "plan": plan}
                years += [grid | {"replication": r, HEADLINE: v} for r, v in enumerate(values)]
                mean, low, high = mean_ci(values)
                summary.append(
                    grid
                    | {"purchase_cost_yuan": budget if plan == "optimised" else 0.0}
                    | {
                        "metric": HEADLINE,
                        "group": "all",
                        "unit": "weighted shortfall, yuan-equivalent / year",
                    }
                    | {"mean": mean, "ci_low": low, "ci_high": high, "n": REPS}
                )
            cell += 1
    return pd.DataFrame(summary), pd.DataFrame(years)


@pytest.fixture(scope="module")
def sweep():
    return sweep_frames()


@pytest.fixture(scope="module")
def comparison(tiny_scenario):
    results = simulate_plans(tiny_scenario, [status_quo(), MORE_STOCK], reps=20, seed=4)
    return compare_results(results, "status_quo")


@pytest.fixture(scope="module")
def busy_year(tiny_result):
    """The replication with the most events."""
    return int(tiny_result.events["replication"].value_counts().idxmax())


def build(name: str, lang: str, scenario, result, sweep, comparison, year) -> Figure:
    """One chart of the tiny results, by name."""
    if name == "frontier":
        return charts.funding_frontier(*sweep, current_budget_yuan=1_200_000, lang=lang)
    if name == "spending":
        return charts.plan_spending(*charts.spending_frames(MORE_STOCK, scenario), lang=lang)
    if name == "map":
        values = charts.township_unmet(result.events, result.replications)
        return charts.township_map(scenario, values, lang=lang)
    if name == "response":
        return charts.response_times(result.events, scenario, lang)
    if name == "forest":
        return charts.comparison_forest(comparison, lang, scenario=scenario)
    return charts.year_timeline(result.events, result.dispatches, year, scenario, lang)


def render(fig: Figure, folder, name: str) -> None:
    """Save as PNG and PDF; any warning (a missing glyph above all) fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for suffix in ("png", "pdf"):
            path = folder / f"{name}.{suffix}"
            fig.savefig(path, dpi=60)
            assert path.stat().st_size > 1000


def titles_and_labels(fig: Figure) -> tuple[list[str], list[str]]:
    """The figure's non-empty titles, and every axis label (empty ones too)."""
    titles = [fig.get_suptitle()] if fig.get_suptitle() else []
    labels = []
    for ax in fig.axes:
        titles += [ax.get_title(loc) for loc in ("left", "center", "right") if ax.get_title(loc)]
        labels += [ax.get_xlabel(), ax.get_ylabel()]
    return titles, labels


def assert_language(strings: list[str], lang: str) -> None:
    for value in strings:
        if lang == "zh":
            assert CJK.search(value), f"no Chinese in {value!r}"
        else:
            assert not CJK.search(value), f"Chinese in the English chart: {value!r}"


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", ["frontier", "spending", "map", "response", "forest", "timeline"])
def test_chart_renders_in_language(
    name, lang, tiny_scenario, tiny_result, sweep, comparison, busy_year, tmp_path
):
    """Each chart saves to PNG and PDF with no missing glyph, titled and labelled in ``lang``."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = build(name, lang, tiny_scenario, tiny_result, sweep, comparison, busy_year)
    assert isinstance(fig, Figure)
    render(fig, tmp_path, f"{name}_{lang}")
    titles, labels = titles_and_labels(fig)
    assert titles
    assert_language(titles, lang)
    assert_language([label for label in labels if label], lang)
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>":
            assert ax.get_ylabel()
            continue
        siblings = ax.get_shared_x_axes().get_siblings(ax)
        assert any(sibling.get_xlabel() for sibling in siblings), f"no x label in {name}"
        has_categories = any(t.get_text() for t in ax.get_yticklabels()) and not ax.get_ylabel()
        assert ax.get_ylabel() or has_categories, f"no y label in {name}"


def test_charts_are_not_in_pyplot(tiny_scenario, tiny_result):
    """Charts never register figures with pyplot, so a long report run holds no figures."""
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    charts.response_times(tiny_result.events, tiny_scenario)
    assert plt.get_fignums() == before


def test_unknown_language_is_refused(tiny_scenario, tiny_result):
    with pytest.raises(ValueError, match="lang"):
        charts.response_times(tiny_result.events, tiny_scenario, "fr")


@pytest.mark.parametrize("lang", LANGS)
def test_frontier_annotates_the_paired_step_effect(sweep, lang):
    """Each step's written effect is the mean over years of unmet(b0) - unmet(b1), same years."""
    summary, years = sweep
    wet = years[(years["rain_intensity_label"] == "wet") & (years["plan"] == "optimised")]
    low = wet[wet["budget_yuan"] == BUDGETS[0]].set_index("replication")[HEADLINE]
    high = wet[wet["budget_yuan"] == BUDGETS[1]].set_index("replication")[HEADLINE]
    paired = (low - high).to_numpy()
    interval = stats.ttest_1samp(paired, 0.0).confidence_interval(0.95)

    steps = charts.step_effects(years)
    row = steps[(steps["series"] == "wet") & (steps["budget_from_yuan"] == BUDGETS[0])].iloc[0]
    assert row["budget_to_yuan"] == BUDGETS[1]
    assert row["reduction_mean"] == pytest.approx(paired.mean())
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((interval.low, interval.high))
    assert row["n"] == REPS
    assert len(steps) == len(LABELS) * (len(BUDGETS) - 1)

    fig = charts.funding_frontier(summary, years, 1_200_000, lang=lang)
    gid = f"step:wet:{BUDGETS[0]:g}:{BUDGETS[1]:g}"
    written = [t.get_text() for ax in fig.axes for t in ax.texts if t.get_gid() == gid]
    assert written == [charts.format_yuan(paired.mean(), lang)]
    step_title = fig.axes[1].get_title("left")
    assert ("每增加50万元" if lang == "zh" else "Each extra 500k yuan") in step_title
    notes = [t.get_text() for t in fig.axes[0].texts]
    assert any(charts.budget_phrase(1_200_000, lang) in note for note in notes)
    status_quo_notes = [t for t in fig.axes[0].texts if str(t.get_gid()).startswith("status_quo")]
    assert len(status_quo_notes) == len(LABELS)


def test_frontier_with_the_budget_as_only_axis(sweep, tmp_path):
    """A sweep over the budget alone draws one line (no label columns)."""
    summary, years = (
        frame[frame["rain_intensity_label"] == "normal"].drop(
            columns=["rain_intensity", "rain_intensity_label"]
        )
        for frame in sweep
    )
    assert set(charts.series_labels(years)) == {""}
    fig = charts.funding_frontier(summary, years, lang="en")
    render(fig, tmp_path, "one_line")
    assert len(fig.axes[0].get_lines()) == 1 + 1  # the frontier and the status quo level


def test_money_words():
    assert charts.budget_phrase(500_000, "zh") == "50万元"
    assert charts.budget_phrase(500_000, "en") == "500k yuan"
    assert charts.budget_phrase(2_800_000, "en") == "2.8M yuan"
    assert charts.format_yuan(81_234, "zh") == "8.1万"
    assert charts.format_yuan(81_234, "en") == "81.2k"
    assert charts.format_yuan(-640, "zh") == "-0.06万"


def test_spending_frames_add_up(tiny_scenario):
    """Top items sum purchases over depots; the stock value is quantity x unit price."""
    top = charts.top_items(MORE_STOCK, tiny_scenario, n=3)
    assert list(top["item_id"]) == ["boat", "blower", "water"]
    assert top["cost_yuan"].tolist() == [4 * 30000.0, 20 * 3500.0, 2000 * 30.0]
    everything = charts.top_items(MORE_STOCK, tiny_scenario, n=10)
    assert everything["cost_yuan"].sum() == pytest.approx(
        MORE_STOCK.purchase_cost_yuan(tiny_scenario)
    )
    sandbag = everything.set_index("item_id").loc["sandbag"]
    assert sandbag["quantity"] == 3500
    stock = charts.stock_value_by(tiny_scenario)
    prices = {i.item_id: i.unit_price_yuan for i in tiny_scenario.items}
    expected = sum(line.quantity * prices[line.item_id] for line in tiny_scenario.stock)
    assert stock["value_yuan"].sum() == pytest.approx(expected)
    village = stock[stock["tier"] == "village"]
    assert village["value_yuan"].sum() == pytest.approx(3 * 20 * 30.0)


def test_township_unmet_is_the_yearly_mean(tiny_result):
    """Per township: mean over every year of item + rescue penalties, the same as sim.metrics."""
    values = charts.township_unmet(tiny_result.events, tiny_result.replications)
    expected = weighted_unmet_by_township(tiny_result).mean()
    expected.index = expected.index.astype(str)
    pd.testing.assert_series_equal(values, expected, check_names=False)
    quiet = tiny_result.events[tiny_result.events["township_id"] != "C"]
    values = charts.township_unmet(quiet, tiny_result.replications)
    assert values["C"] == 0.0
    plain = quiet.assign(township_id=quiet["township_id"].astype(str))
    values = charts.township_unmet(plain, tiny_result.replications, ["A", "B", "C"])
    assert list(values.index) == ["A", "B", "C"]
    assert values["C"] == 0.0


@pytest.fixture(scope="module")
def tricky(tmp_path_factory):
    """The tiny county with a township whose name looks like mathtext and HTML."""
    towns = copy.deepcopy(TOWNSHIPS)
    towns[0] |= {"name_zh": TRICKY_NAME, "name_en": TRICKY_NAME}
    path = write_scenario(tmp_path_factory.mktemp("tricky"), tables={"townships": towns})
    scenario = scenarios.load(path)
    return scenario, simulate(scenario, reps=6, seed=3)


@pytest.mark.parametrize("lang", LANGS)
def test_names_render_literally(tricky, lang, tmp_path):
    """A township called ``$x^2$ <b>`` is drawn as those characters, not as maths or markup."""
    scenario, result = tricky
    values = charts.township_unmet(result.events, result.replications)
    fig = charts.township_map(scenario, values, lang=lang)
    render(fig, tmp_path, "map")
    (name,) = [t for t in fig.axes[0].texts if t.get_gid() == "township:A"]
    assert name.get_text() == TRICKY_NAME
    assert not name.get_parse_math()

    in_a = result.events[result.events["township_id"] == "A"]
    year = int(in_a["replication"].iloc[0])
    fig = charts.year_timeline(result.events, result.dispatches, year, scenario, lang)
    render(fig, tmp_path, "timeline")
    ticks = [t for t in fig.axes[0].get_yticklabels() if t.get_text() == TRICKY_NAME]
    assert ticks
    assert not any(t.get_parse_math() for t in ticks)


def test_report_font_is_registered_once():
    """The bundled Noto Sans SC is matplotlib's first choice, with DejaVu Sans behind it."""
    path = fonts.font_path()
    assert path.is_file()
    assert path.stat().st_size > 1_000_000
    family = fonts.use_report_fonts()
    assert fonts.use_report_fonts() == family == "Noto Sans SC"
    assert matplotlib.rcParams["font.family"] == [family, "DejaVu Sans"]
    assert matplotlib.rcParams["pdf.fonttype"] == 3  # CFF outlines: Type 3 keeps the PDF valid
    found = matplotlib.font_manager.findfont(matplotlib.font_manager.FontProperties(family=family))
    assert found == str(path)


def test_missing_font_package_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(fonts, "FONT_PACKAGE", "no_such_font_package")
    with pytest.raises(fonts.FontMissingError, match="pip install pylopdf-fonts-zh-cn"):
        fonts.font_path()


def test_names_at_the_schemas_longest_keep_the_map_a_page_wide(tmp_path):
    """A 5,000-character name made a 95,000 px map; names stop at 80 (scenarios.schema.Name)."""
    rows = copy.deepcopy(TOWNSHIPS)
    for row in rows:
        row["name_zh"] = row["name_en"] = "镇" * 80
    scenario = scenarios.load(write_scenario(tmp_path, tables={"townships": rows}))
    values = pd.Series({town.township_id: 1.0 for town in scenario.townships})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # constrained layout gives up, and says so
        png = base64.b64decode(_png(charts.township_map(scenario, values)))
    width = int.from_bytes(png[16:20], "big")  # the PNG header's width
    assert width < 3000, width
