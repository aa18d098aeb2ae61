"""What a township can recruit: part-time members within its limit, refused when today breaks it."""

from __future__ import annotations

import copy

import pytest

import scenarios
from optimize.demand import sample_years
from optimize.marginal import marginal_values
from optimize.model import Budgets, build_problem, extract_plan, solve
from scenarios.plan import Plan, Staffing
from scenarios.rules import breaches, recruitment_room
from sim import build_network
from tests import builders
from tests.support import expect_input_error

STAFFING = Budgets(0.0, staffing_yuan=1_000_000.0)  # more than the teams can use


def _county(folder, limits: dict[str, object], full_time: tuple[str, ...] = ("station_B",)):
    towns = copy.deepcopy(builders.TOWNSHIPS)
    for town in towns:
        if town["township_id"] in limits:
            town["max_part_time_members"] = limits[town["township_id"]]
    teams = copy.deepcopy(builders.TEAMS)
    for team in teams:
        team["status"] = "full_time" if team["team_id"] in full_time else "part_time"
    return builders.write_scenario(folder, tables={"townships": towns, "teams": teams})


def _staffed(path):
    scenario = scenarios.load(path)
    network = build_network(scenario)
    saa = build_problem(network, sample_years(network, 11, 20), STAFFING)
    report = solve(saa, "highs", mip_gap=0.0)
    assert report.optimal
    members = {s.team_id: s.members for s in extract_plan(saa, network).staffing}
    return members, report.objective


def test_a_townships_part_time_members_stay_within_what_it_can_recruit(tmp_path):
    free, unlimited = _staffed(_county(tmp_path / "free", {}))
    assert free["town_C"] + free["village_C"] > 80  # unlimited, C recruits more: the check bites
    held, limited = _staffed(_county(tmp_path / "held", {"C": 80}))
    assert held["town_C"] + held["village_C"] <= 80
    assert limited >= unlimited - 1e-6  # a limit only removes plans


def test_full_time_members_do_not_count_against_the_limit(tmp_path):
    # B: town_B's 50 part-time members; the fire station's 15 are full-time.
    members, _ = _staffed(_county(tmp_path / "b", {"B": 60}))
    assert members["town_B"] <= 60
    path = _county(tmp_path / "b_part", {"B": 60}, full_time=())
    expect_input_error(
        lambda: scenarios.load(path),
        path.parent / "townships.csv",
        "row 3, field max_part_time_members",
        "below today's 65 part-time members",
    )


@pytest.mark.parametrize(
    ("limit", "fragment"),
    [(70, "below today's 80 part-time members"), (0, "greater than or equal to 1"), ("inf", "")],
)
def test_bad_recruitment_limits_are_refused_in_one_line(tmp_path, limit, fragment):
    path = _county(tmp_path, {"C": limit})
    expect_input_error(
        lambda: scenarios.load(path),
        path.parent / "townships.csv",
        "row 4, field max_part_time_members",
        fragment,
    )


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [("turnout", 0, "greater than 0"), ("turnout", 1.5, "less than or equal to 1"),
     ("turnout", "nan", ""), ("status", "sometimes", "full_time")],
)  # fmt: skip
def test_bad_team_turnout_and_status_are_refused_in_one_line(tmp_path, field, value, fragment):
    teams = copy.deepcopy(builders.TEAMS)
    teams[1][field] = value
    path = builders.write_scenario(tmp_path, tables={"teams": teams})
    expect_input_error(
        lambda: scenarios.load(path), path.parent / "teams.csv", f"row 3, field {field}", fragment
    )


def test_a_plan_past_a_townships_limit_breaks_the_recruitment_rule(tmp_path):
    scenario = scenarios.load(_county(tmp_path, {"C": 80}))
    over = Plan("over", staffing=(Staffing("town_C", 60),))  # 60 + village_C's 30 = 90 > 80
    assert [(b.rule, b.subject) for b in breaches(over, scenario)] == [("recruitment", "C")]
    assert recruitment_room(scenario, over) == {"C": -10}
    assert not [b for b in breaches(Plan("today"), scenario) if b.rule == "recruitment"]


def test_marginal_values_offer_no_member_a_full_township_cannot_recruit(tmp_path):
    """C is at its limit today: its part-time teams get no marginal row, valuing still works."""
    scenario = scenarios.load(_county(tmp_path, {"C": 80}))
    network = build_network(scenario)
    marginal = marginal_values(network, sample_years(network, 11, 10), Plan("today"))
    teams = set(marginal.loc[marginal["kind"] == "staffing", "team_id"])
    assert teams and not teams & {"town_C", "village_C"}
