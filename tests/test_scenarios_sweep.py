"""Sweep files: the grid is read, every cell's scenario is built, and bad input is refused.

Each test writes a real sweep TOML file (and, where needed, the tiny scenario of
:mod:`tests.builders` and small CSV plans) into ``tmp_path`` and reads it with
:func:`scenarios.sweep.load_sweep`. Refusals are checked with
:func:`tests.support.expect_input_error`: one line naming the file, the field and
the value.
"""

from __future__ import annotations

import copy
import gc
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from scenarios import load
from scenarios.sweep import Sweep, default_sweep_path, load_sweep, value_label
from tests import builders
from tests.support import expect_input_error

SCENARIO_LINE = 'scenario = "scenario.toml"'

# ---------------------------------------------------------------- helpers


def write_sweep(
    folder: Path, grid: str | None, sweep: str = SCENARIO_LINE, extra: str = ""
) -> Path:
    """Write ``sweep.toml`` into ``folder``: a [sweep] table, a [grid] table (unless None)."""
    text = f"[sweep]\n{sweep}\n\n"
    if grid is not None:
        text += f"[grid]\n{grid}\n"
    path = folder / "sweep.toml"
    path.write_text(text + extra, encoding="utf-8")
    return path


def write_plan(path: Path, rows: list[dict[str, Any]]) -> Path:
    """Write a CSV plan (``part,item_id,depot_id,team_id,quantity``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    full = [
        {"part": "", "item_id": "", "depot_id": "", "team_id": "", "quantity": ""} | row
        for row in rows
    ]
    builders.write_csv(path, full)
    return path


def purchase(item_id: str, depot_id: str, quantity: int) -> dict[str, Any]:
    return {"part": "purchase", "item_id": item_id, "depot_id": depot_id, "quantity": quantity}


def staffing(team_id: str, members: int) -> dict[str, Any]:
    return {"part": "staffing", "team_id": team_id, "quantity": members}


def refused(sweep: Path, file: Path, *fragments: str) -> str:
    """Load ``sweep``, expect one InputError line about ``file`` that contains ``fragments``."""
    return expect_input_error(lambda: load_sweep(sweep), file, *fragments)


def tiny_sweep(tmp_path: Path, grid: str | None, sweep: str = SCENARIO_LINE) -> Path:
    """The tiny scenario and a sweep file over it, both in ``tmp_path``."""
    builders.write_scenario(tmp_path)
    return write_sweep(tmp_path, grid, sweep)


def team(scenario: Any, team_id: str) -> Any:
    return next(t for t in scenario.teams if t.team_id == team_id)


def stock_quantity(scenario: Any, depot_id: str, item_id: str) -> int:
    line = next(s for s in scenario.stock if (s.depot_id, s.item_id) == (depot_id, item_id))
    return line.quantity


@pytest.fixture(scope="module")
def bundled() -> Sweep:
    return load_sweep()


# ---------------------------------------------------------------- the bundled example


def test_bundled_sweep_has_eight_budgets_times_normal_and_wet(bundled: Sweep) -> None:
    assert bundled.path == default_sweep_path()
    assert [axis.name for axis in bundled.axes] == ["budget_yuan", "rain_intensity"]
    assert len(bundled.cells) == 16
    assert len(bundled.cell_scenarios) == 16
    budgets = bundled.axes[0]
    assert budgets.values == tuple(float(v) for v in range(1_500_000, 5_000_001, 500_000))
    assert budgets.labels[0] == "1500000"
    assert bundled.axes[1].labels == ("常年 normal", "丰水年 wet")
    assert bundled.settings.action == "optimise"
    assert bundled.settings.baselines == ("status_quo", "last_year_rule")
    assert bundled.name == "Default county budget sweep"
    assert bundled.seed == bundled.base.seed
    assert len(bundled.inputs_sha256) == 64


def test_bundled_sweep_budget_axis_sets_the_procurement_budget_of_each_cell(
    bundled: Sweep,
) -> None:
    for cell, scenario in zip(bundled.cells, bundled.cell_scenarios, strict=True):
        assert scenario.procurement_budget_yuan == pytest.approx(cell.value("budget_yuan"))


def test_bundled_sweep_wet_cells_scale_rain_hazards_by_one_and_a_half_only(
    bundled: Sweep,
) -> None:
    base_rates = {h.hazard_id: (h.trigger, h.annual_rate) for h in bundled.base.hazards}
    triggers = {trigger for trigger, _ in base_rates.values()}
    assert triggers == {"rain", "independent"}
    for cell, scenario in zip(bundled.cells, bundled.cell_scenarios, strict=True):
        wet = cell.value("rain_intensity") == 1.5
        for hazard in scenario.hazards:
            trigger, base_rate = base_rates[hazard.hazard_id]
            factor = 1.5 if wet and trigger == "rain" else 1.0
            assert hazard.annual_rate == pytest.approx(base_rate * factor), (cell, hazard)


def test_bundled_sweep_cells_run_in_cartesian_order_last_axis_fastest(bundled: Sweep) -> None:
    first, second, last = bundled.cells[0], bundled.cells[1], bundled.cells[-1]
    assert first.index == 0
    assert first.describe() == "budget_yuan=1500000, rain_intensity=常年 normal"
    assert second.describe() == "budget_yuan=1500000, rain_intensity=丰水年 wet"
    assert last.describe() == "budget_yuan=5000000, rain_intensity=丰水年 wet"
    assert [cell.index for cell in bundled.cells] == list(range(16))


# ---------------------------------------------------------------- axes and cells


def test_cells_are_the_cartesian_product_with_values_and_labels(tmp_path: Path) -> None:
    grid = (
        "budget_yuan = [100000, 200000]\n"
        '"dispatch.when_no_team" = { values = ["queue", "lost"], labels = ["wait", "drop"] }\n'
        "hazard_intensity = [1, 2]\n"
    )
    sweep = load_sweep(tiny_sweep(tmp_path, grid))
    assert len(sweep.cells) == 8
    assert [cell.describe() for cell in sweep.cells[:3]] == [
        "budget_yuan=100000, dispatch.when_no_team=wait, hazard_intensity=1",
        "budget_yuan=100000, dispatch.when_no_team=wait, hazard_intensity=2",
        "budget_yuan=100000, dispatch.when_no_team=drop, hazard_intensity=1",
    ]
    cell = sweep.cells[6]
    assert cell.choices == (
        ("budget_yuan", 200000.0),
        ("dispatch.when_no_team", "lost"),
        ("hazard_intensity", 1.0),
    )
    assert cell.value("dispatch.when_no_team") == "lost"
    assert cell.value("rain_intensity", "none here") == "none here"
    assert sweep.cell_scenarios[6].dispatch.when_no_team == "lost"
    assert sweep.cell_scenarios[6].procurement_budget_yuan == 200000.0


def test_list_axis_without_labels_is_labelled_by_its_values(tmp_path: Path) -> None:
    sweep = load_sweep(tiny_sweep(tmp_path, "budget_yuan = [1e6, 2_500_000, 1234.5]"))
    (axis,) = sweep.axes
    assert axis.values == (1_000_000.0, 2_500_000.0, 1234.5)
    assert all(isinstance(value, float) for value in axis.values)
    assert axis.labels == ("1000000", "2500000", "1234.5")


@pytest.mark.parametrize(
    ("value", "label"),
    [(1e6, "1000000"), (0.5, "0.5"), (7, "7"), ("lost", "lost"), ([1, 2], "[1, 2]")],
)
def test_value_label_shows_whole_floats_without_a_decimal_point(value: Any, label: str) -> None:
    assert value_label(value) == label


def test_labelled_axis_keeps_its_labels(tmp_path: Path) -> None:
    grid = 'rain_intensity = { values = [1.0, 1.8], labels = ["normal", "wet"] }'
    sweep = load_sweep(tiny_sweep(tmp_path, grid))
    (axis,) = sweep.axes
    assert axis.values == (1.0, 1.8)
    assert axis.labels == ("normal", "wet")
    assert [cell.describe() for cell in sweep.cells] == [
        "rain_intensity=normal",
        "rain_intensity=wet",
    ]


def test_unquoted_dotted_keys_flatten_to_the_same_axes_as_quoted_keys(tmp_path: Path) -> None:
    builders.write_scenario(tmp_path)
    quoted_grid = (
        '"teams.county_water.members" = [30, 40]\n'
        '"travel.speed_kmh.plain" = { values = [50, 60], labels = ["slow", "fast"] }\n'
    )
    dotted_grid = (
        "teams.county_water.members = [30, 40]\n"
        'travel.speed_kmh.plain = { values = [50, 60], labels = ["slow", "fast"] }\n'
    )
    quoted = load_sweep(write_sweep(tmp_path, quoted_grid))
    dotted = load_sweep(write_sweep(tmp_path, dotted_grid))
    assert dotted.axes == quoted.axes
    assert [axis.name for axis in dotted.axes] == [
        "teams.county_water.members",
        "travel.speed_kmh.plain",
    ]
    assert dotted.cells == quoted.cells


def test_subtables_of_grid_flatten_to_dotted_axes(tmp_path: Path) -> None:
    builders.write_scenario(tmp_path)
    extra = (
        "[grid.teams.county_water]\nmembers = [30, 40]\n"
        "[grid.items.sandbag]\nunit_price_yuan = [2, 3]\n"
    )
    sweep = load_sweep(write_sweep(tmp_path, "", extra=extra))
    assert [axis.name for axis in sweep.axes] == [
        "teams.county_water.members",
        "items.sandbag.unit_price_yuan",
    ]
    assert len(sweep.cells) == 4


def test_dotted_path_into_a_team_row_sets_that_team_only(tmp_path: Path) -> None:
    sweep = load_sweep(tiny_sweep(tmp_path, '"teams.county_water.members" = [30, 60]'))
    assert [team(s, "county_water").members for s in sweep.cell_scenarios] == [30, 60]
    assert [team(s, "county_fire").members for s in sweep.cell_scenarios] == [40, 40]
    assert team(sweep.base, "county_water").members == 30


def test_dotted_path_into_an_item_sets_its_unit_price(tmp_path: Path) -> None:
    sweep = load_sweep(tiny_sweep(tmp_path, '"items.sandbag.unit_price_yuan" = [2, 4]'))
    prices = [s.item("sandbag").unit_price_yuan for s in sweep.cell_scenarios]
    assert prices == [2.0, 4.0]
    assert {s.item("boat").unit_price_yuan for s in sweep.cell_scenarios} == {30000.0}


def test_dotted_path_into_a_dispatch_rule(tmp_path: Path) -> None:
    sweep = load_sweep(tiny_sweep(tmp_path, '"dispatch.when_no_team" = ["queue", "lost"]'))
    assert [s.dispatch.when_no_team for s in sweep.cell_scenarios] == ["queue", "lost"]
    assert sweep.axes[0].labels == ("queue", "lost")


def test_dotted_path_into_a_dict_field_sets_one_key_and_keeps_the_others(tmp_path: Path) -> None:
    sweep = load_sweep(tiny_sweep(tmp_path, '"travel.speed_kmh.plain" = [20, 80]'))
    speeds = [dict(s.travel.speed_kmh) for s in sweep.cell_scenarios]
    assert speeds == [
        {"plain": 20.0, "hill": 40.0, "mountain": 25.0},
        {"plain": 80.0, "hill": 40.0, "mountain": 25.0},
    ]


def test_dotted_path_into_a_composite_key_row_of_stock(tmp_path: Path) -> None:
    grid = '"stock.D_COUNTY/sandbag.quantity" = [0, 5000]'
    sweep = load_sweep(tiny_sweep(tmp_path, grid))
    assert [stock_quantity(s, "D_COUNTY", "sandbag") for s in sweep.cell_scenarios] == [0, 5000]
    assert {stock_quantity(s, "D_COUNTY", "water") for s in sweep.cell_scenarios} == {300}
    assert {stock_quantity(s, "D_A", "sandbag") for s in sweep.cell_scenarios} == {500}


def test_dotted_path_into_a_hazard_sets_its_annual_rate(tmp_path: Path) -> None:
    sweep = load_sweep(tiny_sweep(tmp_path, '"hazards.forest_fire.annual_rate" = [0.5, 6]'))
    rates = [s.hazard("forest_fire").annual_rate for s in sweep.cell_scenarios]
    assert rates == [0.5, 6.0]
    assert {s.hazard("flood").annual_rate for s in sweep.cell_scenarios} == {2.0}


def test_hazard_intensity_scales_every_hazard_rain_triggered_or_not(tmp_path: Path) -> None:
    sweep = load_sweep(tiny_sweep(tmp_path, "hazard_intensity = [0.5, 2]"))
    base = {h.hazard_id: h.annual_rate for h in sweep.base.hazards}
    for factor, scenario in zip((0.5, 2.0), sweep.cell_scenarios, strict=True):
        for hazard in scenario.hazards:
            assert hazard.annual_rate == pytest.approx(base[hazard.hazard_id] * factor)


def test_rain_intensity_scales_rain_triggered_hazards_only(tmp_path: Path) -> None:
    sweep = load_sweep(tiny_sweep(tmp_path, "rain_intensity = [2]"))
    (scenario,) = sweep.cell_scenarios
    assert scenario.hazard("flood").annual_rate == pytest.approx(4.0)
    assert scenario.hazard("landslide").annual_rate == pytest.approx(6.0)
    assert scenario.hazard("forest_fire").annual_rate == pytest.approx(3.0)


def test_both_intensities_multiply_and_apply_after_a_dotted_rate(tmp_path: Path) -> None:
    grid = '"hazards.flood.annual_rate" = [1]\nhazard_intensity = [2]\nrain_intensity = [3]\n'
    (scenario,) = load_sweep(tiny_sweep(tmp_path, grid)).cell_scenarios
    assert scenario.hazard("flood").annual_rate == pytest.approx(1 * 2 * 3)
    assert scenario.hazard("landslide").annual_rate == pytest.approx(3 * 2 * 3)
    assert scenario.hazard("forest_fire").annual_rate == pytest.approx(3 * 2)


def test_mixed_whole_and_fractional_values_on_one_axis_become_floats(tmp_path: Path) -> None:
    sweep = load_sweep(tiny_sweep(tmp_path, '"items.sandbag.unit_price_yuan" = [2, 2.5, 3]'))
    (axis,) = sweep.axes
    assert axis.values == (2.0, 2.5, 3.0)
    assert all(type(value) is float for value in axis.values)
    assert axis.labels == ("2", "2.5", "3")


def test_whole_values_alone_stay_integers(tmp_path: Path) -> None:
    sweep = load_sweep(tiny_sweep(tmp_path, '"teams.county_water.members" = [30, 40]'))
    assert all(type(value) is int for value in sweep.axes[0].values)


def test_joint_budget_axis_leaves_the_scenario_unchanged(tmp_path: Path) -> None:
    sweep = load_sweep(tiny_sweep(tmp_path, "joint_budget_yuan = [100000, 300000]"))
    assert sweep.axes[0].values == (100000.0, 300000.0)
    assert [cell.value("joint_budget_yuan") for cell in sweep.cells] == [100000.0, 300000.0]
    assert all(scenario is sweep.base for scenario in sweep.cell_scenarios)


def test_staff_budget_axis_goes_to_the_optimiser_not_the_scenario(tmp_path: Path) -> None:
    """A staffing budget needs no [procurement] section: the cell hands it to the optimiser."""
    sweep = load_sweep(tiny_sweep(tmp_path, "staff_budget_yuan = [0, 50000]"))
    assert [cell.value("staff_budget_yuan") for cell in sweep.cells] == [0.0, 50000.0]
    assert all(scenario is sweep.base for scenario in sweep.cell_scenarios)


def test_staff_and_joint_budget_axes_exclude_each_other(tmp_path: Path) -> None:
    path = tiny_sweep(tmp_path, "staff_budget_yuan = [1]\njoint_budget_yuan = [2]\n")
    refused(path, path, "grid.joint_budget_yuan: excludes staff_budget_yuan")


@pytest.mark.parametrize("spelling", ["optimise", "optimize"])
def test_action_accepts_both_spellings_of_optimise(tmp_path: Path, spelling: str) -> None:
    settings = f'{SCENARIO_LINE}\naction = "{spelling}"'
    sweep = load_sweep(tiny_sweep(tmp_path, "budget_yuan = [1]", settings))
    assert sweep.settings.action == "optimise"


def test_settings_are_read_and_the_sweep_seed_overrides_the_scenario_seed(tmp_path: Path) -> None:
    settings = (
        f'{SCENARIO_LINE}\nname_zh = "小扫描"\nreps = 7\nseed = 11\nsampled_years = 3\n'
        'time_limit_s = 5\nmip_gap = 0.01\nsolver = "cbc"\nbaselines = ["equal_split"]'
    )
    sweep = load_sweep(tiny_sweep(tmp_path, "budget_yuan = [1]", settings))
    assert sweep.base.seed == 7
    assert sweep.seed == 11
    assert sweep.name == "小扫描"
    assert (sweep.settings.reps, sweep.settings.sampled_years) == (7, 3)
    assert sweep.settings.time_limit_s == 5.0
    assert sweep.settings.solver == "cbc"
    assert sweep.settings.baselines == ("equal_split",)


def test_sweep_without_names_is_named_after_its_file(tmp_path: Path) -> None:
    sweep = load_sweep(tiny_sweep(tmp_path, "budget_yuan = [1]"))
    assert sweep.name == "sweep"
    assert sweep.plans == ()


def test_scenario_default_reads_the_bundled_county(tmp_path: Path, bundled: Sweep) -> None:
    sweep = load_sweep(write_sweep(tmp_path, "budget_yuan = [1e6]", 'scenario = "default"'))
    assert sweep.base == bundled.base
    assert sweep.cell_scenarios[0].procurement_budget_yuan == 1e6


def test_plan_files_are_loaded_relative_to_the_sweep_file(tmp_path: Path) -> None:
    write_plan(
        tmp_path / "plans" / "ours.csv",
        [purchase("sandbag", "D_A", 100), staffing("county_water", 35)],
    )
    settings = f'{SCENARIO_LINE}\nplans = ["plans/ours.csv"]'
    sweep = load_sweep(tiny_sweep(tmp_path, "budget_yuan = [1e5, 2e5]", settings))
    (plan,) = sweep.plans
    assert plan.plan_id == "ours"
    assert [(p.item_id, p.depot_id, p.quantity) for p in plan.purchases] == [
        ("sandbag", "D_A", 100)
    ]
    assert [(s.team_id, s.members) for s in plan.staffing] == [("county_water", 35)]


def test_evaluate_sweep_with_plans_and_no_baselines(tmp_path: Path) -> None:
    write_plan(tmp_path / "a.csv", [purchase("water", "D_B", 10)])
    write_plan(tmp_path / "b.csv", [staffing("town_C", 60)])
    settings = f'{SCENARIO_LINE}\naction = "evaluate"\nplans = ["a.csv", "b.csv"]\nbaselines = []'
    sweep = load_sweep(tiny_sweep(tmp_path, '"teams.town_C.max_members" = [60, 100]', settings))
    assert sweep.settings.action == "evaluate"
    assert sweep.settings.baselines == ()
    assert [plan.plan_id for plan in sweep.plans] == ["a", "b"]
    assert len(sweep.cells) == 2


def test_evaluate_sweep_with_baselines_only(tmp_path: Path) -> None:
    settings = f'{SCENARIO_LINE}\naction = "evaluate"\nbaselines = ["status_quo"]'
    sweep = load_sweep(tiny_sweep(tmp_path, "budget_yuan = [1]", settings))
    assert sweep.settings.baselines == ("status_quo",)


# ---------------------------------------------------------------- inputs hash


def hashed_sweep(tmp_path: Path) -> Path:
    builders.write_scenario(tmp_path)
    write_plan(tmp_path / "ours.csv", [purchase("sandbag", "D_A", 100)])
    return write_sweep(tmp_path, "budget_yuan = [1]", f'{SCENARIO_LINE}\nplans = ["ours.csv"]')


def test_inputs_hash_is_stable_when_nothing_changes(tmp_path: Path) -> None:
    path = hashed_sweep(tmp_path)
    assert load_sweep(path).inputs_sha256 == load_sweep(path).inputs_sha256


def test_inputs_hash_changes_with_the_sweep_file(tmp_path: Path) -> None:
    path = hashed_sweep(tmp_path)
    before = load_sweep(path).inputs_sha256
    path.write_text(path.read_text(encoding="utf-8") + "# a comment\n", encoding="utf-8")
    assert load_sweep(path).inputs_sha256 != before


def test_inputs_hash_changes_with_a_scenario_csv_table(tmp_path: Path) -> None:
    path = hashed_sweep(tmp_path)
    before = load_sweep(path).inputs_sha256
    stock = copy.deepcopy(builders.STOCK)
    stock[0]["quantity"] = 4
    builders.write_csv(tmp_path / "stock.csv", stock)
    after = load_sweep(path)
    assert stock_quantity(after.base, "D_COUNTY", "boat") == 4
    assert after.inputs_sha256 != before


def test_inputs_hash_changes_with_the_scenario_toml(tmp_path: Path) -> None:
    path = hashed_sweep(tmp_path)
    before = load_sweep(path).inputs_sha256
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(scenario.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert load_sweep(path).inputs_sha256 != before


def test_inputs_hash_changes_with_a_plan_file(tmp_path: Path) -> None:
    path = hashed_sweep(tmp_path)
    before = load_sweep(path).inputs_sha256
    write_plan(tmp_path / "ours.csv", [purchase("sandbag", "D_A", 101)])
    assert load_sweep(path).inputs_sha256 != before


# ---------------------------------------------------------------- refusals: the file


def test_missing_sweep_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    refused(path, path, "file not found")


def test_invalid_toml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sweep.toml"
    path.write_text("[sweep\nscenario = 1\n", encoding="utf-8")
    refused(path, path, "not valid TOML")


def test_unknown_top_level_section_is_refused(tmp_path: Path) -> None:
    builders.write_scenario(tmp_path)
    path = write_sweep(tmp_path, "budget_yuan = [1]", extra="[grids]\nx = [1]\n")
    refused(path, path, "grids: unknown section", "[sweep] and [grid]")


def test_unknown_key_in_sweep_table_is_refused(tmp_path: Path) -> None:
    path = tiny_sweep(tmp_path, "budget_yuan = [1]", f"{SCENARIO_LINE}\nrepz = 3")
    refused(path, path, "sweep.repz: unknown key (a typo?)")


@pytest.mark.parametrize(
    ("setting", "field", "shown"),
    [
        ("reps = 0", "sweep.reps", "(got 0)"),
        ('action = "run"', "sweep.action", "(got 'run')"),
        ('baselines = ["best_guess"]', "sweep.baselines[0]", "(got 'best_guess')"),
        ("mip_gap = 1.0", "sweep.mip_gap", "(got 1.0)"),
        ('solver = "gurobi"', "sweep.solver", "(got 'gurobi')"),
        ("reps = 1000000", "sweep.reps", "100000"),  # each cell past what a run holds
        ("sampled_years = 1000000", "sweep.sampled_years", "5000"),
        ("time_limit_s = 1e300", "sweep.time_limit_s", "604800"),
    ],
    ids=["reps-zero", "action", "baseline", "mip-gap", "solver", "reps", "sampled", "time"],
)
def test_bad_setting_is_refused_naming_the_field_and_value(
    tmp_path: Path, setting: str, field: str, shown: str
) -> None:
    path = tiny_sweep(tmp_path, "budget_yuan = [1]", f"{SCENARIO_LINE}\n{setting}")
    refused(path, path, f"{field}: ", shown)


def test_a_grid_of_more_cells_than_a_sweep_holds_is_refused_before_any_is_built(
    tmp_path: Path,
) -> None:
    budgets = ", ".join(str(100_000 + k) for k in range(100))
    grid = f"budget_yuan = [{budgets}]\nhazard_intensity = [{', '.join(map(str, range(1, 101)))}]"
    path = tiny_sweep(tmp_path, grid)  # 10,000 cells filled the memory while loading
    started = time.monotonic()
    message = refused(path, path, "grid: 100 budget_yuan x 100 hazard_intensity is 10,000 cells")
    assert "split the grid" in message
    assert time.monotonic() - started < 5


def test_missing_grid_is_refused(tmp_path: Path) -> None:
    path = tiny_sweep(tmp_path, None)
    refused(path, path, "grid: missing table")


def test_empty_grid_is_refused(tmp_path: Path) -> None:
    path = tiny_sweep(tmp_path, "")
    refused(path, path, "grid: empty grid")


def test_grid_that_is_not_a_table_is_refused(tmp_path: Path) -> None:
    builders.write_scenario(tmp_path)
    path = tmp_path / "sweep.toml"
    path.write_text(f"grid = [1, 2]\n[sweep]\n{SCENARIO_LINE}\n", encoding="utf-8")
    refused(path, path, "grid: must be a table", "(got [1, 2])")


def test_missing_scenario_file_is_refused_in_the_sweep_file(tmp_path: Path) -> None:
    path = write_sweep(tmp_path, "budget_yuan = [1]", 'scenario = "elsewhere/county.toml"')
    refused(path, path, "sweep.scenario: file not found", "(got 'elsewhere/county.toml')")


def test_invalid_base_scenario_is_refused_naming_the_scenario_file(tmp_path: Path) -> None:
    toml = copy.deepcopy(builders.TOML_BASE)
    toml["scenario"]["seed"] = -1
    scenario = builders.write_scenario(tmp_path, toml=toml)
    path = write_sweep(tmp_path, "budget_yuan = [1]")
    refused(path, scenario, "scenario.seed", "(got -1)")


# ---------------------------------------------------------------- refusals: axes


@pytest.mark.parametrize(
    ("grid", "field", "problem"),
    [
        ("budget_yuan = []", "grid.budget_yuan", "empty list"),
        (
            '"teams.county_water.members" = { values = [] }',
            "grid.teams.county_water.members",
            "empty list",
        ),
    ],
    ids=["list", "table"],
)
def test_empty_axis_is_refused(tmp_path: Path, grid: str, field: str, problem: str) -> None:
    path = tiny_sweep(tmp_path, grid)
    refused(path, path, f"{field}: {problem}")


@pytest.mark.parametrize(
    ("grid", "field", "shown"),
    [
        ("budget_yuan = 1000000", "grid.budget_yuan", "(got 1000000)"),
        ('"dispatch.when_no_team" = "lost"', "grid.dispatch.when_no_team", "(got 'lost')"),
        ("hazard_intensity = { values = 2 }", "grid.hazard_intensity", "(got 2)"),
    ],
    ids=["number", "string", "table-values"],
)
def test_axis_that_is_not_a_list_is_refused(
    tmp_path: Path, grid: str, field: str, shown: str
) -> None:
    path = tiny_sweep(tmp_path, grid)
    refused(path, path, f"{field}: must be a list of values", shown)


def test_unknown_key_in_an_axis_table_is_refused(tmp_path: Path) -> None:
    grid = 'budget_yuan = { values = [1], labels = ["a"], label = "b" }'
    path = tiny_sweep(tmp_path, grid)
    refused(path, path, "grid.budget_yuan.label: unknown key")


@pytest.mark.parametrize(
    ("axis", "problem"),
    [
        ("teams.county_water.memberz", "unknown field 'memberz' (a typo?)"),
        ("item.sandbag.unit_price_yuan", "unknown field 'item' (a typo?)"),
        ("budget", "unknown field 'budget' (a typo?)"),
        ("source_path", "unknown field 'source_path'"),
        ("dispatch.when_no_teams", "unknown field 'when_no_teams'"),
        ("procurement_budget_yuan.total", "'procurement_budget_yuan' has no field 'total'"),
        ("teams.county_water.members.x", "'members' has no field 'x'"),
    ],
)
def test_unknown_dotted_path_is_refused_naming_the_axis(
    tmp_path: Path, axis: str, problem: str
) -> None:
    path = tiny_sweep(tmp_path, f'"{axis}" = [1]')
    refused(path, path, f"grid.{axis}: {problem}")


@pytest.mark.parametrize(
    ("axis", "problem"),
    [
        ("teams.county_waters.members", "no row of teams has team_id 'county_waters'"),
        ("items.gold.unit_price_yuan", "no row of items has item_id 'gold'"),
        ("hazards.earthquake.annual_rate", "no row of hazards has hazard_id 'earthquake'"),
        ("stock.D_A/water.quantity", "no row of stock has depot_id/item_id 'D_A/water'"),
        ("stock.D_COUNTY.quantity", "'D_COUNTY' matches several rows; use depot_id/item_id"),
        ("stock.D_A/sandbag/x.quantity", "rows of stock are keyed by depot_id/item_id"),
    ],
    ids=["team", "item", "hazard", "stock-pair", "stock-ambiguous", "stock-too-long"],
)
def test_unknown_or_ambiguous_row_id_is_refused(tmp_path: Path, axis: str, problem: str) -> None:
    path = tiny_sweep(tmp_path, f'"{axis}" = [1]')
    refused(path, path, f"grid.{axis}: {problem}")


def test_path_naming_a_row_without_a_field_is_refused(tmp_path: Path) -> None:
    path = tiny_sweep(tmp_path, '"teams.county_water" = [30]')
    refused(path, path, "grid.teams.county_water: names a row of teams; add the field to set")


def test_dotted_path_into_a_missing_section_is_refused(tmp_path: Path) -> None:
    path = tiny_sweep(tmp_path, '"procurement.depot_tiers" = [["county"]]')
    refused(path, path, "grid.procurement.depot_tiers: the scenario has no [procurement] section")


@pytest.mark.parametrize(
    "axis",
    ["budget_yuan", "staff_budget_yuan", "joint_budget_yuan", "hazard_intensity", "rain_intensity"],
)
def test_named_axis_below_zero_is_refused(tmp_path: Path, axis: str) -> None:
    path = tiny_sweep(tmp_path, f"{axis} = [1, -0.5]")
    refused(path, path, f"grid.{axis}: must be a finite number >= 0", "(got -0.5)")


@pytest.mark.parametrize(
    ("value", "shown"),
    [('"1e6"', "(got '1e6')"), ("true", "(got True)"), ("[1]", "(got [1])")],
    ids=["string", "bool", "list"],
)
def test_budget_that_is_not_a_number_is_refused(tmp_path: Path, value: str, shown: str) -> None:
    path = tiny_sweep(tmp_path, f"budget_yuan = [1000000, {value}]")
    refused(path, path, "grid.budget_yuan: must be a number", shown)


@pytest.mark.parametrize(("value", "shown"), [("inf", "(got inf)"), ("nan", "(got nan)")])
def test_intensity_that_is_not_finite_is_refused(tmp_path: Path, value: str, shown: str) -> None:
    path = tiny_sweep(tmp_path, f"hazard_intensity = [{value}]")
    refused(path, path, "grid.hazard_intensity: must be a finite number >= 0", shown)


@pytest.mark.parametrize(
    ("labels", "shown"),
    [
        ('["one"]', "(got ['one'])"),
        ('["a", "b", "c"]', "(got ['a', 'b', 'c'])"),
        ('"ab"', "(got 'ab')"),
    ],
    ids=["short", "long", "not-a-list"],
)
def test_labels_not_one_per_value_are_refused(tmp_path: Path, labels: str, shown: str) -> None:
    path = tiny_sweep(tmp_path, f"budget_yuan = {{ values = [1, 2], labels = {labels} }}")
    refused(path, path, "grid.budget_yuan.labels: must be a list as long as values", shown)


def test_repeated_labels_are_refused(tmp_path: Path) -> None:
    path = tiny_sweep(tmp_path, 'rain_intensity = { values = [1, 2], labels = ["wet", "wet"] }')
    refused(path, path, "grid.rain_intensity.labels: labels repeat", "(got ['wet', 'wet'])")


def test_repeated_values_with_labels_are_refused(tmp_path: Path) -> None:
    path = tiny_sweep(tmp_path, 'budget_yuan = { values = [1e6, 1_000_000], labels = ["a", "b"] }')
    refused(path, path, "grid.budget_yuan: values repeat", "(got [1000000.0, 1000000])")


def test_repeated_values_without_labels_are_refused_as_values(tmp_path: Path) -> None:
    path = tiny_sweep(tmp_path, '"dispatch.when_no_team" = ["queue", "queue"]')
    message = refused(path, path, "grid.dispatch.when_no_team: values repeat")
    assert "labels" not in message


def test_the_same_axis_named_twice_is_refused(tmp_path: Path) -> None:
    grid = '"teams.county_water.members" = [30, 40]\nteams.county_water.members = [50, 60]\n'
    path = tiny_sweep(tmp_path, grid)
    refused(path, path, "grid.teams.county_water.members: named twice")


def test_axis_table_with_a_misspelt_values_key_is_refused_as_such(tmp_path: Path) -> None:
    path = tiny_sweep(tmp_path, 'budget_yuan = { value = [1e6, 2e6], labels = ["a", "b"] }')
    refused(path, path, "grid.budget_yuan.value: unknown key: use values and labels")


def test_two_axes_setting_the_same_field_are_refused(tmp_path: Path) -> None:
    path = tiny_sweep(tmp_path, "budget_yuan = [1e6]\nprocurement_budget_yuan = [2e6]\n")
    refused(path, path, "grid.procurement_budget_yuan: sets the same field as budget_yuan")


# ---------------------------------------------------------------- refusals: invalid scenarios


def test_team_members_outside_its_bounds_make_the_scenario_invalid(tmp_path: Path) -> None:
    path = tiny_sweep(tmp_path, '"teams.county_water.members" = [30, 500]')
    refused(
        path,
        path,
        "grid.teams.county_water.members: makes the scenario invalid",
        "outside min_members 1 .. max_members 200",
        "(got 500)",
    )


def test_negative_item_price_makes_the_scenario_invalid(tmp_path: Path) -> None:
    path = tiny_sweep(tmp_path, '"items.sandbag.unit_price_yuan" = [-1]')
    refused(
        path,
        path,
        "grid.items.sandbag.unit_price_yuan: makes the scenario invalid",
        "unit_price_yuan: input should be greater than 0",
        "(got -1)",
    )


def test_unknown_dispatch_rule_makes_the_scenario_invalid(tmp_path: Path) -> None:
    path = tiny_sweep(tmp_path, '"dispatch.when_no_team" = ["queue", "drop"]')
    refused(
        path,
        path,
        "grid.dispatch.when_no_team: makes the scenario invalid",
        "'queue' or 'lost'",
        "(got 'drop')",
    )


def test_unknown_terrain_in_a_dict_field_makes_the_scenario_invalid(tmp_path: Path) -> None:
    path = tiny_sweep(tmp_path, '"travel.speed_kmh.swamp" = [5]')
    refused(path, path, "grid.travel.speed_kmh.swamp: makes the scenario invalid", "(got 5)")


def test_bad_value_on_one_axis_of_several_names_that_axis(tmp_path: Path) -> None:
    grid = 'budget_yuan = [1, 2]\n"hazards.flood.annual_rate" = [1, -2]\n'
    path = tiny_sweep(tmp_path, grid)
    refused(path, path, "grid.hazards.flood.annual_rate: makes the scenario invalid", "(got -2)")


def test_values_invalid_only_together_are_refused_naming_the_cell(tmp_path: Path) -> None:
    grid = (
        '"teams.county_water.members" = [30, 150]\n"teams.county_water.max_members" = [200, 100]\n'
    )
    path = tiny_sweep(tmp_path, grid)
    message = refused(
        path,
        path,
        "grid: cell 3 (teams.county_water.members=150, teams.county_water.max_members=100)",
        "is invalid",
        "outside min_members 1 .. max_members 100",
    )
    assert ": grid.teams" not in message


# ---------------------------------------------------------------- refusals: plans and actions


def test_missing_plan_file_is_refused(tmp_path: Path) -> None:
    write_plan(tmp_path / "ours.csv", [purchase("sandbag", "D_A", 1)])
    settings = f'{SCENARIO_LINE}\nplans = ["ours.csv", "plans/theirs.csv"]'
    path = tiny_sweep(tmp_path, "budget_yuan = [1]", settings)
    refused(path, path, "sweep.plans[1]: plan file not found", "(got 'plans/theirs.csv')")


def test_plan_with_an_unknown_item_is_refused_naming_the_plan_file(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "ours.csv", [purchase("gold", "D_A", 1)])
    path = tiny_sweep(tmp_path, "budget_yuan = [1]", f'{SCENARIO_LINE}\nplans = ["ours.csv"]')
    refused(path, plan, "row 2, field item_id: unknown item", "(got 'gold')")


def test_plan_invalid_in_one_cell_only_is_refused_naming_the_plan_file(tmp_path: Path) -> None:
    plan = write_plan(tmp_path / "ours.csv", [staffing("county_water", 150)])
    settings = f'{SCENARIO_LINE}\nplans = ["ours.csv"]'
    path = tiny_sweep(tmp_path, '"teams.county_water.max_members" = [200, 100]', settings)
    refused(path, plan, "row 2, field quantity: outside team size 1..100", "(got 150)")


def test_evaluate_sweep_without_plans_or_baselines_is_refused(tmp_path: Path) -> None:
    settings = f'{SCENARIO_LINE}\naction = "evaluate"\nbaselines = []'
    path = tiny_sweep(tmp_path, "budget_yuan = [1]", settings)
    refused(path, path, "sweep.plans: an evaluate sweep needs plan files or baselines")


def test_two_plans_with_the_same_file_stem_are_refused(tmp_path: Path) -> None:
    write_plan(tmp_path / "a" / "ours.csv", [purchase("sandbag", "D_A", 1)])
    write_plan(tmp_path / "b" / "ours.csv", [purchase("water", "D_B", 1)])
    settings = f'{SCENARIO_LINE}\nplans = ["a/ours.csv", "b/ours.csv"]'
    path = tiny_sweep(tmp_path, "budget_yuan = [1]", settings)
    refused(path, path, "sweep.plans[1]: another plan is already called 'ours'", "(got 'ours.csv')")


@pytest.mark.parametrize("stem", ["status_quo", "optimised"])
def test_plan_named_like_a_baseline_or_the_optimised_plan_is_refused(
    tmp_path: Path, stem: str
) -> None:
    write_plan(tmp_path / f"{stem}.csv", [purchase("sandbag", "D_A", 1)])
    settings = f'{SCENARIO_LINE}\nplans = ["{stem}.csv"]'
    path = tiny_sweep(tmp_path, "budget_yuan = [1]", settings)
    refused(path, path, f"sweep.plans[0]: another plan is already called {stem!r}")


def test_the_readme_sweep_example_loads(tmp_path: Path) -> None:
    """The sweep file shown in the README is valid against the bundled county."""
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    start = readme.index("```toml\n[sweep]") + len("```toml\n")
    text = readme[start : readme.index("```", start)]
    path = tmp_path / "readme.toml"
    path.write_text(text.replace('"default_county.toml"', '"default"'), encoding="utf-8")
    sweep = load_sweep(path)
    assert [axis.name for axis in sweep.axes][:2] == ["budget_yuan", "rain_intensity"]
    assert len(sweep.cells) == 3 * 2 * 2 * 2 * 2 * 2


# ---------------------------------------------------------------- a province: many counties

COUNTIES_LINE = 'counties = ["counties/*/scenario.toml"]'


def province_sweep(tmp_path: Path, grid: str | None, sweep: str = COUNTIES_LINE, n: int = 3):
    """Three tiny counties and a sweep file over them, all in ``tmp_path``."""
    builders.write_province(tmp_path, n)
    return write_sweep(tmp_path, grid, sweep)


def test_counties_are_the_first_axis_in_sorted_order_labelled_by_their_names(
    tmp_path: Path,
) -> None:
    path = province_sweep(tmp_path, "budget_factor = [1.0, 1.5]")
    sweep = load_sweep(path)
    county = sweep.axes[0]
    assert county.name == "county"
    assert county.values == ("tiny_1", "tiny_2", "tiny_3")
    assert county.labels == ("小县1 Tiny county 1", "小县2 Tiny county 2", "小县3 Tiny county 3")
    assert [p.parent.name for p in sweep.county_paths] == ["01", "02", "03"]
    assert len(sweep.cells) == 6
    assert sweep.cells[1].describe() == "county=小县1 Tiny county 1, budget_factor=1.5"
    assert sweep.base.scenario_id == "tiny_1"
    assert [sweep.county(cell).scenario_id for cell in sweep.cells] == [
        "tiny_1", "tiny_1", "tiny_2", "tiny_2", "tiny_3", "tiny_3",
    ]  # fmt: skip


def test_budget_factor_scales_each_countys_own_budget_to_whole_yuan(tmp_path: Path) -> None:
    path = province_sweep(tmp_path, "budget_factor = [1.0, 1.2]")
    sweep = load_sweep(path)
    budgets = [scenario.procurement_budget_yuan for scenario in sweep.cell_scenarios]
    assert budgets == [60000, 72000, 80000, 96000, 100000, 120000]
    # 1.1 x 60,000 is 66,000.00000000001 in floating point: whole yuan
    path.write_text(path.read_text(encoding="utf-8").replace("1.2", "1.1"), encoding="utf-8")
    assert load_sweep(path).cell_scenarios[1].procurement_budget_yuan == 66000


def test_budget_factor_works_on_a_single_scenario_too(tmp_path: Path) -> None:
    sweep = load_sweep(tiny_sweep(tmp_path, "budget_factor = [0.5, 2]"))
    assert [s.procurement_budget_yuan for s in sweep.cell_scenarios] == [50000, 200000]


def test_each_county_runs_on_its_own_seed_unless_the_sweep_sets_one(tmp_path: Path) -> None:
    path = province_sweep(tmp_path, "budget_factor = [1.0]")
    sweep = load_sweep(path)
    assert [sweep.cell_seed(cell) for cell in sweep.cells] == [7, 8, 9]
    path = write_sweep(tmp_path, "budget_factor = [1.0]", f"{COUNTIES_LINE}\nseed = 3")
    sweep = load_sweep(path)
    assert [sweep.cell_seed(cell) for cell in sweep.cells] == [3, 3, 3]


def test_a_province_without_a_grid_runs_each_county_as_it_is(tmp_path: Path) -> None:
    sweep = load_sweep(province_sweep(tmp_path, None))
    assert [axis.name for axis in sweep.axes] == ["county"]
    assert [s.procurement_budget_yuan for s in sweep.cell_scenarios] == [60000, 80000, 100000]
    assert list(sweep.cell_scenarios) == list(sweep.counties)


def test_counties_listed_one_by_one_and_as_a_workbook_are_read(tmp_path: Path) -> None:
    from scenarios.county_workbook import write_county_workbook

    paths = builders.write_province(tmp_path, 2)
    write_county_workbook(paths[1], tmp_path / "second.xlsx")
    path = write_sweep(tmp_path, None, 'counties = ["second.xlsx", "counties/01/scenario.toml"]')
    sweep = load_sweep(path)
    assert sweep.axes[0].values == ("tiny_2", "tiny_1")  # as listed: only globs are sorted


def test_the_inputs_hash_covers_every_countys_tables(tmp_path: Path) -> None:
    path = province_sweep(tmp_path, None)
    before = load_sweep(path).inputs_sha256
    stock = tmp_path / "counties" / "03" / "stock.csv"
    stock.write_text(stock.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert load_sweep(path).inputs_sha256 != before


def test_a_province_holds_one_scenario_per_county_not_one_per_cell(tmp_path: Path) -> None:
    """The sweep keeps its counties; cells' scenarios are built when asked for, then dropped."""
    builders.write_province(tmp_path, 3)

    def held(factors: int) -> int:
        grid = f"budget_factor = {[1 + k / 100 for k in range(factors)]}"
        path = tmp_path / f"sweep_{factors}.toml"
        path.write_text(f"[sweep]\n{COUNTIES_LINE}\n[grid]\n{grid}\n", encoding="utf-8")
        sweep, size = traced(lambda: load_sweep(path))
        assert len(sweep.cells) == 3 * factors
        return size

    one, many = held(1), held(40)
    _, county = traced(lambda: load(tmp_path / "counties" / "01" / "scenario.toml"))
    # 117 more cells hold less than one more county would
    assert many - one < county, (one, many, county)


def traced(make):
    """What ``make()`` returns, and the bytes of its allocations still alive after it."""
    gc.collect()
    tracemalloc.start()
    try:
        made = make()
        gc.collect()
        size = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return made, size


def test_a_bad_county_is_refused_in_one_line_naming_its_own_file(tmp_path: Path) -> None:
    path = province_sweep(tmp_path, "budget_factor = [1.0]")
    stock = tmp_path / "counties" / "02" / "stock.csv"
    lines = stock.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace("2000", "-5")
    stock.write_text("\n".join(lines) + "\n", encoding="utf-8")
    refused(path, stock, "row 3", "quantity", "'-5'")


@pytest.mark.parametrize(
    ("sweep", "field", "problem", "shown"),
    [
        ('counties = ["north/*.toml"]', "sweep.counties[0]", "matches no county file", "north"),
        ('counties = ["north.toml"]', "sweep.counties[0]", "county file not found", "north"),
        ("counties = []", "sweep.counties", "empty list", ""),
        (
            'counties = "counties/*/scenario.toml"',
            "sweep.counties",
            "input should be a valid tuple",
            "counties/",
        ),
        (
            'counties = ["counties/*/scenario.toml", "counties/02/scenario.toml"]',
            "sweep.counties[1]",
            "names a county file listed already",
            "counties/02",
        ),
        (
            f'{COUNTIES_LINE}\nscenario = "counties/01/scenario.toml"',
            "sweep.counties",
            "not both",
            "",
        ),
        (f'{COUNTIES_LINE}\nplans = ["ours.csv"]', "sweep.plans", "one county's", "ours.csv"),
    ],
)
def test_bad_county_lists_are_refused_naming_the_key_and_value(
    tmp_path: Path, sweep: str, field: str, problem: str, shown: str
) -> None:
    path = province_sweep(tmp_path, "budget_factor = [1.0]", sweep)
    refused(path, path, f"{field}: ", problem, shown)


def test_two_counties_with_one_id_are_refused_naming_the_second_file(tmp_path: Path) -> None:
    builders.write_province(tmp_path, 2)
    second = tmp_path / "counties" / "02" / "scenario.toml"
    text = second.read_text(encoding="utf-8").replace('"tiny_2"', '"tiny_1"')
    second.write_text(text, encoding="utf-8")
    path = write_sweep(tmp_path, None, COUNTIES_LINE)
    refused(path, second, "scenario: names a county 'tiny_1' as scenario.toml does")


def test_a_county_on_the_grid_is_refused_pointing_to_the_counties_list(tmp_path: Path) -> None:
    path = province_sweep(tmp_path, 'county = ["a.toml"]')
    refused(path, path, "grid.county: counties are listed in [sweep] counties")


def test_budget_factor_and_budget_yuan_together_are_refused(tmp_path: Path) -> None:
    path = province_sweep(tmp_path, "budget_yuan = [1]\nbudget_factor = [1.0]")
    refused(path, path, "grid.budget_factor: sets the same field as budget_yuan")


@pytest.mark.parametrize(("value", "shown"), [("-1", "-1"), ('"x"', "'x'"), ("inf", "inf")])
def test_a_bad_budget_factor_is_refused(tmp_path: Path, value: str, shown: str) -> None:
    path = province_sweep(tmp_path, f"budget_factor = [{value}]")
    refused(path, path, "grid.budget_factor: must be", f"(got {shown})")


def test_a_grid_value_bad_for_one_county_names_that_countys_file(tmp_path: Path) -> None:
    builders.write_province(tmp_path, 2)
    path = write_sweep(tmp_path, '"teams.village_C.members" = [150]', COUNTIES_LINE)
    second = tmp_path / "counties" / "02"
    teams = second / "teams.csv"
    teams.write_text(teams.read_text(encoding="utf-8").replace(",200,", ",100,"), "utf-8")
    message = refused(path, path, "grid.teams.village_C.members", "county tiny_2", "(got 150)")
    assert str(second) in message


def test_more_counties_times_cells_than_a_sweep_holds_are_refused_before_loading_any(
    tmp_path: Path,
) -> None:
    builders.write_province(tmp_path, 2)
    factors = ", ".join(str(1 + k / 1000) for k in range(600))
    path = write_sweep(tmp_path, f"budget_factor = [{factors}]", COUNTIES_LINE)
    (tmp_path / "counties" / "02" / "stock.csv").write_text("broken", encoding="utf-8")
    refused(path, path, "grid: 2 counties x 600 budget_factor is 1,200 cells", "split")


def test_the_readme_province_example_loads(tmp_path: Path) -> None:
    """The province sweep shown in the README reads a glob of TOML counties and a workbook."""
    from scenarios.county_workbook import write_county_workbook

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    start = readme.index('```toml\n[sweep]\nname_zh = "某省') + len("```toml\n")
    first, second = builders.write_province(tmp_path / "made", 2)
    for name in ("scenario.toml", *(p.name for p in first.parent.glob("*.csv"))):
        (tmp_path / "counties").mkdir(exist_ok=True)
        (tmp_path / "counties" / name).write_bytes((first.parent / name).read_bytes())
    (tmp_path / "north").mkdir()
    write_county_workbook(second, tmp_path / "north" / "north_county.xlsx")
    path = tmp_path / "province.toml"
    path.write_text(readme[start : readme.index("```", start)], encoding="utf-8")
    sweep = load_sweep(path)
    assert sweep.axes[0].values == ("tiny_1", "tiny_2")
    assert [s.procurement_budget_yuan for s in sweep.cell_scenarios] == [60000, 72000, 80000, 96000]
