"""Everyday calls of full-time stations: counted by the simulation, priced in the optimiser."""

from __future__ import annotations

import pandas as pd
import pytest

import scenarios
from optimize.baselines import status_quo
from optimize.demand import sample_years
from optimize.everyday import erlang_b, expected_unanswered, member_saving
from optimize.marginal import marginal_values
from optimize.model import Budgets, build_problem, extract_plan, solve
from scenarios.plan import Plan, Staffing
from sim import build_network, simulate
from sim.metrics import mean_ci, summarize, weighted_unmet_by_category, weighted_unmet_per_year
from tests import builders
from tests.support import expect_input_error

CALLS = 600.0  # a year, at the fire station in B
UNANSWERED_YUAN = 20_000.0


def _station_county(folder, calls=CALLS, unanswered_yuan=UNANSWERED_YUAN, station=None):
    """The tiny county whose fire station in B answers everyday calls with duty crews of 5."""
    teams = [dict(team) for team in builders.TABLES["teams"]]
    for team in teams:
        if team["team_id"] == "station_B":
            team.update({"everyday_calls_per_year": calls, "status": "full_time"})
            team.update(station or {})
    toml = builders.TOML_BASE | {
        "everyday": {
            "crew_members": 5,
            "on_duty_share": 0.5,
            "call_hours": 4.0,
            "unanswered_yuan": unanswered_yuan,
        }
    }
    path = builders.write_scenario(folder, toml=toml, tables={"teams": teams})
    return path, scenarios.load(path)


def test_duty_crews_and_the_expected_calls_missed_by_hand(tmp_path):
    _, scenario = _station_county(tmp_path)
    network = build_network(scenario)
    station = network.team_ids.index("station_B")
    load = CALLS / 8760 * 4.0
    # 15 members, half on duty: 7.5, so one crew of 5; B(1, a) = a / (1 + a)
    assert erlang_b(1, load) == pytest.approx(load / (1 + load))
    assert expected_unanswered(network, station, 1) == pytest.approx(CALLS * load / (1 + load))
    # the 20th member makes a second crew; the 16th-19th make none
    assert member_saving(network, station, 15) == 0.0
    second = expected_unanswered(network, station, 1) - expected_unanswered(network, station, 2)
    assert member_saving(network, station, 19) == pytest.approx(UNANSWERED_YUAN * second)


def test_engines_agree_on_everyday_calls_in_expectation(tmp_path):
    """The model's Erlang expectation lies within the simulation's interval; both in headline."""
    _, scenario = _station_county(tmp_path)
    network = build_network(scenario)
    result = simulate(scenario, status_quo(), reps=200, seed=11)
    assert (result.calls["team_id"] == "station_B").all() and len(result.calls) == 200
    missed = result.calls.set_index("replication")["unanswered"].astype(float)
    mean, low, high = mean_ci(missed)
    expected = expected_unanswered(network, network.team_ids.index("station_B"), 1)
    assert low <= expected <= high
    # the calls' shortfall is in the headline and a category of its own
    yearly = weighted_unmet_per_year(result)
    plain = simulate(plain_scenario(scenario), status_quo(), reps=200, seed=11)
    calls = weighted_unmet_by_category(result)["everyday_calls"]
    assert (yearly - weighted_unmet_per_year(plain)).to_numpy() == pytest.approx(calls.to_numpy())
    assert calls.mean() == pytest.approx(UNANSWERED_YUAN * mean)
    summary = summarize(result).set_index("metric")
    assert summary.loc["everyday_unanswered", "mean"] == pytest.approx(mean)
    # the fixed-plan model adds the expectation to every year, exactly
    years = sample_years(network, 11, 4)
    costs = {}
    for name, county in (("calls", scenario), ("none", plain_scenario(scenario))):
        saa = build_problem(build_network(county), years, Budgets(0.0), planning_rules=False)
        saa.fix_plan(status_quo(), build_network(county))
        assert solve(saa, "highs", mip_gap=0.0).found_plan
        costs[name] = saa.year_costs()
    assert costs["calls"] - costs["none"] == pytest.approx([UNANSWERED_YUAN * expected] * 4)


def test_everyday_calls_are_the_same_for_any_number_of_processes(tmp_path):
    _, scenario = _station_county(tmp_path)
    one = simulate(scenario, status_quo(), reps=12, seed=5, jobs=1)
    two = simulate(scenario, status_quo(), reps=12, seed=5, jobs=2)
    assert one.calls["unanswered"].sum() > 0
    pd.testing.assert_frame_equal(one.calls, two.calls)


def plain_scenario(scenario):
    """The same county with unanswered calls worth nothing."""
    everyday = scenario.everyday.model_copy(update={"unanswered_yuan": 0.0})
    return scenario.model_copy(update={"everyday": everyday})


def test_the_optimiser_staffs_duty_crews_when_missed_calls_cost(tmp_path):
    """Today's payroll shared out anew: the station gains crews only where missed calls cost."""
    on_duty = {}
    for worth in (0.0, UNANSWERED_YUAN):
        _, scenario = _station_county(tmp_path / f"w{worth:g}", unanswered_yuan=worth)
        network = build_network(scenario)
        payroll = float(sum(t.members * t.cost_per_member_yuan for t in scenario.teams))
        saa = build_problem(network, sample_years(network, 11, 8), Budgets(0.0, payroll))
        assert solve(saa, "highs", mip_gap=0.0).found_plan
        members = {s.team_id: s.members for s in extract_plan(saa, network).staffing}
        everyday = scenario.everyday
        on_duty[worth] = int(members["station_B"] * everyday.on_duty_share // everyday.crew_members)
    # At 20,000 a missed call: 1 crew misses 129 calls a year, 2 crews 17, 3 crews 1.6.
    assert on_duty[UNANSWERED_YUAN] >= 3 > on_duty[0.0]


def test_a_members_marginal_value_counts_the_crew_it_completes(tmp_path):
    _, scenario = _station_county(tmp_path)
    network = build_network(scenario)
    years = sample_years(network, 11, 6)
    for size, expect_calls in ((19, True), (15, False)):
        plan = Plan("p", (), (Staffing("station_B", size),))
        values = marginal_values(network, years, plan)
        row = values[values["team_id"] == "station_B"].iloc[0]
        station = network.team_ids.index("station_B")
        calls = member_saving(network, station, size)
        assert (calls > 0) == expect_calls
        assert row["saving_per_unit_yuan"] >= calls


@pytest.mark.parametrize(
    ("values", "fragments"),
    [
        ({"crew_members": 0}, ("everyday.crew_members",)),
        ({"on_duty_share": 0}, ("everyday.on_duty_share",)),
        ({"call_hours": "inf"}, ("everyday.call_hours",)),
        ({"unanswered_yuan": -1}, ("everyday.unanswered_yuan",)),
        ({"unanswered_yuan": 1e12}, ("everyday.unanswered_yuan",)),
        ({"crews": 2}, ("everyday.crews", "unknown key")),
    ],
)
def test_bad_everyday_section_is_refused_in_one_line(tmp_path, values, fragments):
    toml = builders.TOML_BASE | {"everyday": values}
    path = builders.write_scenario(tmp_path, toml=toml)
    expect_input_error(lambda: scenarios.load(path), path, *fragments)


@pytest.mark.parametrize("calls", [-1, "inf", "nan", 1e6])
def test_bad_everyday_calls_of_a_team_are_refused_in_one_line(tmp_path, calls):
    teams = [dict(team) for team in builders.TABLES["teams"]]
    teams[-1]["everyday_calls_per_year"] = calls
    bad = builders.write_scenario(tmp_path / "bad", tables={"teams": teams})
    expect_input_error(
        lambda: scenarios.load(bad), bad.parent / "teams.csv", "field everyday_calls_per_year"
    )
