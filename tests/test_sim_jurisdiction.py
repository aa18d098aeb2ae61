"""Which county's depots, teams and supplier agreements answer an event (sim.dispatch).

A city is several counties; each county's bureau keeps a county depot, county and
social teams and supplier agreements for its own townships. The tests build two
copies of the tiny county 200 km apart as two counties, and check the rule in the
network, in the simulation, in the optimiser's model year by year against the
simulation, and that one county's stock changes nothing in the other's years.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import scenarios
from optimize.baselines import equal_split, status_quo
from optimize.demand import sample_years
from optimize.model import UNLIMITED_YUAN, Budgets, build_problem, solve
from scenarios.county_workbook import write_county_workbook
from scenarios.plan import Plan, Purchase
from sim import build_network, simulate
from sim.metrics import weighted_unmet_per_year
from sim.network import agreements_for
from tests import builders
from tests.support import expect_input_error

# A large flood in each county's seat township, each alone in its year, then both together.
FLOODS = (
    "year,time_h,township_id,hazard,severity_people\n"
    "1,4000,A2,flood,1500\n"
    "2,4000,A,flood,1500\n"
    "3,4000,A,flood,1500\n3,4001,A2,flood,1500\n"
)


def _city(folder, tables=None, replay=FLOODS):
    folder.mkdir(parents=True, exist_ok=True)
    extra = {}
    if replay is not None:
        (folder / "replay.csv").write_text(replay, encoding="utf-8")
        extra = {"replay": "replay.csv"}
    path = builders.write_scenario(
        folder, tables=tables or builders.two_county_tables(), extra_tables=extra
    )
    return scenarios.load(path)


def _one_county(folder, replay=FLOODS):
    """The same six townships with no county named: one county, as before the rule."""
    tables = builders.two_county_tables()
    for town in tables["townships"]:
        town["county"] = ""
    return _city(folder, tables, replay)


def test_a_county_depot_team_and_agreement_serve_only_their_own_county(tmp_path):
    network = build_network(_city(tmp_path))
    town = network.township_ids.index
    depot = network.depot_ids.index
    team = network.team_ids.index
    home, away = town("A"), town("A2")
    assert depot("D_COUNTY") in network.sources[home].depots
    assert depot("D_COUNTY") not in network.sources[away].depots
    assert depot("D_COUNTY2") in network.sources[away].depots
    flood = [h.hazard_id for h in network.scenario.hazards].index("flood")
    assert {team("county_water"), team("social_1")} <= set(network.candidates[flood][home].teams)
    assert team("county_water") not in network.candidates[flood][away].teams
    assert team("social_1") not in network.candidates[flood][away].teams
    assert team("county_water2") in network.candidates[flood][away].teams
    water = network.item_ids.index("water")
    assert agreements_for(network, home, water).tolist() == [0]
    assert agreements_for(network, away, water).tolist() == []


def test_without_counties_every_township_is_one_county_as_before(tmp_path):
    network = build_network(_one_county(tmp_path))
    away = network.township_ids.index("A2")
    assert network.depot_ids.index("D_COUNTY") in network.sources[away].depots
    assert agreements_for(network, away, network.item_ids.index("water")).tolist() == [0]


def test_simulated_flood_gets_nothing_from_the_other_countys_depot_or_agreement(tmp_path):
    """County 2's flood (year 1) draws no unit from a county depot or an agreement: its own
    hold none. As one county it drew on county 1's depot and agreement."""
    city = simulate(_city(tmp_path / "city"), status_quo(), reps=1, seed=7).items
    one = simulate(_one_county(tmp_path / "one"), status_quo(), reps=1, seed=7).items
    assert city[["from_county", "from_agreement"]].sum().sum() == 0
    assert one[["from_county", "from_agreement"]].sum().sum() > 0
    assert city["unmet"].sum() > one["unmet"].sum()


def test_simulated_teams_of_one_county_never_answer_the_others_events(tmp_path):
    result = simulate(_city(tmp_path, replay=None), status_quo(), reps=20, seed=3)
    events = result.events.set_index(["replication", "event_id"])["township_id"].astype(str)
    sent = result.dispatches.join(events, on=["replication", "event_id"])
    team_county = sent["team_id"].astype(str).str.endswith("2")
    event_county = sent["township_id"].str.endswith("2")
    assert len(sent) > 50
    assert (team_county == event_county).all()


def test_one_countys_stock_changes_nothing_in_the_other_countys_years(tmp_path):
    """Separability, the rule's consequence: doubling county 1's county-depot stock leaves
    every event of county 2 as it was, event by event, over 20 sampled years."""
    tables = builders.two_county_tables()
    more = copy.deepcopy(tables)
    for line in more["stock"]:
        if line["depot_id"] == "D_COUNTY":
            line["quantity"] *= 2
    base = simulate(_city(tmp_path / "base", tables, None), status_quo(), reps=20, seed=3).items
    richer = simulate(_city(tmp_path / "more", more, None), status_quo(), reps=20, seed=3).items

    def county_two(items):
        rows = items[items["township_id"].astype(str).str.endswith("2")]
        return rows.reset_index(drop=True)

    assert len(county_two(base)) > 20
    assert county_two(base).equals(county_two(richer))
    assert not base.equals(richer)  # county 1 did gain


@pytest.mark.parametrize(
    "plan",
    [
        status_quo(),
        Plan("bought", (Purchase("boat", "D_COUNTY2", 2), Purchase("water", "D_COUNTY", 400)), ()),
    ],
    ids=["status_quo", "bought_in_both"],
)
def test_model_equals_simulation_year_by_year_in_a_city_of_two_counties(tmp_path, plan):
    """Both engines on the jurisdiction rule: the model's value of each replayed year with
    the plan held fixed equals the simulation's."""
    scenario = _city(tmp_path)
    network = build_network(scenario)
    saa = build_problem(
        network, sample_years(network, 7, 3, first=0), Budgets(UNLIMITED_YUAN),
        planning_rules=False,
    )  # fmt: skip
    saa.fix_plan(plan, network)
    assert solve(saa, "highs", mip_gap=0.0).found_plan
    simulated = weighted_unmet_per_year(simulate(scenario, plan, reps=3, seed=7))
    assert simulated.iloc[0] > 0
    assert saa.year_costs() == pytest.approx(simulated.to_numpy(), rel=1e-9, abs=1e-6)


def test_a_rule_of_thumb_splits_county_equipment_between_the_counties(tmp_path):
    plan = equal_split(build_network(_city(tmp_path, replay=None)), 1_000_000)
    boats = {p.depot_id: p.quantity for p in plan.purchases if p.item_id == "boat"}
    assert boats.get("D_COUNTY", 0) > 0 and boats.get("D_COUNTY2", 0) > 0


def test_a_township_without_its_county_among_named_ones_is_refused_at_its_row(tmp_path):
    tables = builders.two_county_tables()
    tables["townships"][4]["county"] = ""
    path = builders.write_scenario(tmp_path, tables=tables)
    expect_input_error(
        lambda: scenarios.load(path),
        tmp_path / "townships.csv",
        "row 6, field county",
        "empty, while other townships name theirs",
    )


def test_the_county_column_comes_back_from_the_workbook(tmp_path):
    path = builders.write_scenario(tmp_path / "csv", tables=builders.two_county_tables())
    again = scenarios.load(write_county_workbook(path, tmp_path / "city.xlsx"))
    assert [t.county for t in again.townships] == ["甲县"] * 3 + ["乙县"] * 3
    assert np.array_equal(build_network(again).township_county, [0, 0, 0, 1, 1, 1])
