"""What the planner minimises: lives first, then people without relief, then the shortfall."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import scenarios
from optimize.baselines import status_quo
from optimize.demand import sample_years
from optimize.model import Budgets, InfeasibleRequestError, build_problem, extract_plan, solve
from scenarios.schema import Capability
from sim import build_network, simulate
from sim.metrics import people_without_relief, weighted_unmet_per_year
from tests import builders

YEARS = 6


@pytest.fixture(scope="module")
def short_of_water(tmp_path_factory):
    """Six replayed years where water from the county misses a 2-hour relief hour in B.

    Landslides trap people (0.05 per person affected); water is the one relief need.
    """
    folder = tmp_path_factory.mktemp("relief")
    hazards = copy.deepcopy(builders.HAZARDS)
    hazards[1]["road_cut_probability"] = 1.0
    hazards[0]["road_cut_probability"] = 0.0
    (folder / "replay.csv").write_text(
        "year,time_h,township_id,hazard,severity_people\n"
        "1,4500,A,flood,4000\n2,4500,C,forest_fire,30\n3,4500,B,landslide,600\n"
        "4,1000,C,forest_fire,0\n5,4500,B,landslide,400\n5,4505,A,flood,3000\n"
        "6,4500,C,landslide,40\n6,4501,C,forest_fire,0\n",
        encoding="utf-8",
    )
    path = builders.write_scenario(folder, hazards=hazards, extra_tables={"replay": "replay.csv"})
    scenario = scenarios.load(path)
    outcomes = scenario.outcomes.model_copy(
        update={"relief_items": {"water": ("water",)}, "first_relief_h": 2.0}
    )
    return scenario.model_copy(update={"outcomes": outcomes})


def _aiming(scenario, **objective):
    """The scenario minimising the aims asked, with no credit for what a list leaves over."""
    chosen = {"value_carried": False} | objective
    return scenario.model_copy(update={"objective": scenario.objective.model_copy(update=chosen)})


def _solved(scenario, budget: float):
    network = build_network(scenario)
    saa = build_problem(network, sample_years(network, 7, YEARS, first=0), Budgets(budget))
    report = solve(saa, "highs", mip_gap=0.0)
    assert report.found_plan
    return network, saa, report


def _relief_per_year(saa) -> np.ndarray:
    """The model's people without relief per sampled year, from its ``lack`` variables."""
    per_year = np.zeros(YEARS)
    for var in saa.problem.variables():
        if var.name.startswith("lack_"):
            per_year[int(var.name.split("_")[1])] += var.value() or 0.0
    return per_year


def test_engines_agree_on_people_without_relief_and_lives_year_by_year(short_of_water):
    """With nothing to buy, the model's relief at the hour and lives lost are the simulation's."""
    aiming = _aiming(short_of_water, minimise="lives_first", stage_slack=0.0)
    _, saa, report = _solved(aiming, 0.0)
    result = simulate(aiming, status_quo(), reps=YEARS, seed=7)
    simulated = people_without_relief(result)["any"].to_numpy()
    assert simulated.sum() > 500  # B's people wait for county water
    assert _relief_per_year(saa) == pytest.approx(simulated, rel=1e-9, abs=1e-6)
    stages = dict(report.stages)
    assert stages["relief"] == pytest.approx(simulated.mean(), rel=1e-9)
    lives = result.events.groupby("replication")["trapped_lost"].sum()
    assert lives.sum() > 1
    assert stages["lives"] == pytest.approx(lives.sum() / YEARS, rel=1e-9)


def test_lives_secant_is_exact_when_the_kit_saves_all_it_can(short_of_water):
    """Water that saves landslide work (a test's stand-in): in stock, it saves its most."""
    kit = (Capability(item_id="water", hazard="landslide", saves_person_hours=2.0, max_share=0.3),)
    teams = tuple(t.model_copy(update={"operates": ("water",)}) for t in short_of_water.teams)
    kitted = _aiming(
        short_of_water.model_copy(update={"capabilities": kit, "teams": teams}),
        minimise="lives_first",
        stage_slack=0.0,
    )
    _, _, report = _solved(kitted, 0.0)
    result = simulate(kitted, status_quo(), reps=YEARS, seed=7)
    assert result.events["kit_saved_h"].sum() > 0
    lives = result.events["trapped_lost"].sum() / YEARS
    plain = simulate(short_of_water, status_quo(), reps=YEARS, seed=7)
    assert lives < plain.events["trapped_lost"].sum() / YEARS  # the saving came sooner
    assert dict(report.stages)["lives"] == pytest.approx(lives, rel=1e-9)


def test_each_objective_is_best_on_what_it_minimises_first(short_of_water):
    """Lives first buys water near B for the relief hour; the shortfall objective does not."""
    plans = {}
    for aim in ("shortfall", "lives_first"):
        scenario = _aiming(short_of_water, minimise=aim, stage_slack=0.0)
        network, saa, _ = _solved(scenario, 20_000.0)
        plans[aim] = extract_plan(saa, network, aim)
    judged = {}
    for aim, plan in plans.items():
        result = simulate(short_of_water, plan, reps=YEARS, seed=7)
        judged[aim] = (
            people_without_relief(result)["any"].mean(),
            weighted_unmet_per_year(result).mean(),
        )
    assert judged["lives_first"][0] < judged["shortfall"][0] - 1.0
    assert judged["shortfall"][1] < judged["lives_first"][1]


def test_a_mix_prices_people_without_relief(short_of_water):
    """A dear enough price per person reaches lives first's relief; a tiny one, the shortfall's."""
    relief, objective = {}, {}
    for name, aim in (
        ("first", {"minimise": "lives_first", "stage_slack": 0.0}),
        ("dear", {"minimise": "mix", "relief_person_yuan": 1e6}),
        ("cheap", {"minimise": "mix", "relief_person_yuan": 1e-3}),
        ("shortfall", {}),
    ):
        _, saa, report = _solved(_aiming(short_of_water, **aim), 20_000.0)
        relief[name], objective[name] = _relief_per_year(saa).mean(), report.objective
    assert relief["dear"] == pytest.approx(relief["first"], abs=1e-6)
    assert relief["cheap"] > relief["dear"] + 1.0
    # the cheap mix's own shortfall is the shortfall objective's optimum
    shortfall = objective["cheap"] - 1e-3 * relief["cheap"]
    assert shortfall == pytest.approx(objective["shortfall"], rel=1e-9)


def test_lives_with_team_sizes_to_decide_are_refused(short_of_water):
    network = build_network(_aiming(short_of_water, minimise="lives_first"))
    years = sample_years(network, 7, 2, first=0)
    with pytest.raises(InfeasibleRequestError, match="today's team sizes"):
        build_problem(network, years, Budgets(1000.0, staffing_yuan=1e9))


def test_solving_again_holds_each_aim_once(short_of_water):
    """A second solve of the same problem replaces the holds instead of stacking them."""
    network = build_network(_aiming(short_of_water, minimise="lives_first"))
    saa = build_problem(network, sample_years(network, 7, YEARS, first=0), Budgets(20_000.0))
    first = solve(saa, "highs", mip_gap=0.0)
    again = solve(saa, "highs", mip_gap=0.0)
    held = [row.name for row in saa.problem.constraints() if row.name.startswith("aim_")]
    assert held == ["aim_lives", "aim_relief"]
    assert again.objective == pytest.approx(first.objective, rel=1e-9)
    assert dict(again.stages)["relief"] == pytest.approx(dict(first.stages)["relief"], abs=1e-6)
