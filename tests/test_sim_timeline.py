"""Exact timelines, computed by hand, on a deterministic two-township county.

Townships A (county seat) and B lie 10 km apart on a plain: 0.2 h by road, no
local travel. Mobilisation delays have no spread and rescue work is fixed, so
every time below follows from the scenario by arithmetic.
"""

from __future__ import annotations

import copy

import pytest

import scenarios
from sim import simulate
from tests import builders

ALARM_DELAY_H = 0.5


def _township(township_id: str, x_km: float) -> dict:
    town = copy.deepcopy(builders.TOWNSHIPS[0])
    town.update(township_id=township_id, x_km=x_km, y_km=0, terrain="plain")
    town["is_county_seat"] = "true" if township_id == "A" else "false"
    return town


def _hazard(hazard_id: str, work_h: float) -> dict:
    return {
        "hazard_id": hazard_id,
        "name_zh": hazard_id,
        "trigger": "independent",
        "annual_rate": 0,
        "exposure": "population",
        "month_weights": builders.FLAT_MONTHS,
        "severity_median_people": 0,
        "severity_sigma": 0,
        "duration_median_h": 5,
        "alarm_delay_h": ALARM_DELAY_H,
        "rescue_skill": "water_rescue",
        "rescue_person_hours_base": work_h,
        "rescue_work_distribution": "fixed",
        "rescue_deadline_h": 2,
        "max_teams": 2,
    }


def _team(team_id: str, tier: str, base: str, members: int, mobilisation_min: float) -> dict:
    team = builders._team(team_id, tier, base, members, "water_rescue", mobilisation_min)
    team["mobilisation_sigma"] = 0
    return team


def two_townships(tmp_path, teams, stock, demand, hazards, events, radius_km=15.0, matrix_h=None):
    toml = copy.deepcopy(builders.TOML_BASE)
    del toml["rain_episodes"]
    toml["travel"].update(
        speed_kmh={"plain": 50, "hill": 50, "mountain": 50},
        road_factor=1.0,
        local_travel_h={"plain": 0.0, "hill": 0.0, "mountain": 0.0},
    )
    toml["dispatch"].update(
        neighbour_radius_km=radius_km,
        issue_delay_h={"village": 0.1, "township": 0.3, "county": 0.5},
    )
    depots = [d for d in builders.DEPOTS if d["township_id"] in ("A", "B")]
    builders.write_csv(tmp_path / "replay.csv", events)
    extra = {"replay": "replay.csv"}
    if matrix_h is not None:
        rows = [
            {"township_id": t} | dict(zip("AB", row, strict=True))
            for t, row in zip("AB", matrix_h, strict=True)
        ]
        builders.write_csv(tmp_path / "travel.csv", rows)
        extra["travel_matrix"] = "travel.csv"
    path = builders.write_scenario(
        tmp_path,
        toml=toml,
        tables={
            "townships": [_township("A", 0), _township("B", 10)],
            "depots": depots,
            "stock": stock,
            "teams": teams,
            "agreements": None,
            "demand": demand,
        },
        hazards=hazards,
        extra_tables=extra,
    )
    return scenarios.load(path)


def test_timeline_escalation_work_and_supplies_by_hand(tmp_path):
    scenario = two_townships(
        tmp_path,
        teams=[_team("town_B", "township", "B", 10, 30), _team("county", "county", "A", 20, 6)],
        stock=[
            {"depot_id": "V_B", "item_id": "sandbag", "quantity": 30},
            {"depot_id": "D_B", "item_id": "sandbag", "quantity": 50},
            {"depot_id": "D_COUNTY", "item_id": "sandbag", "quantity": 100},
            {"depot_id": "D_COUNTY", "item_id": "boat", "quantity": 1},
        ],
        demand=[
            {"hazard": "flood", "item_id": "sandbag", "per_event": 100, "deadline_h": 1},
            {"hazard": "flood", "item_id": "boat", "per_event": 2, "deadline_h": 2},
        ],
        hazards=[_hazard("flood", 60)],
        events=[
            {"year": 2020, "time_h": 100, "township_id": "B", "hazard": "flood"}
            | {"severity_people": 0},
        ],
    )
    result = simulate(scenario, reps=1, seed=1)
    event = result.events.iloc[0]
    # Alarm at 100.5. The township team (30 min) arrives at 101.0 but alone would
    # finish at 107 > deadline 102, so the county team is sent too: 6 min + 0.2 h
    # travel = 100.8. Work: 20 ph/h from 100.8, 30 from 101.0; 4 + 30 t = 60 gives
    # t = 1.8667 h, done at 102.8667. By the deadline: 20 x 1.2 + 10 x 1.0 = 34.
    assert event["alarm_h"] == pytest.approx(100.5)
    assert event["first_arrival_h"] == pytest.approx(100.8)
    assert event["response_h"] == pytest.approx(0.3)
    assert event["teams_dispatched"] == 2
    assert event["rescue_in_time"] == pytest.approx(34.0)
    assert event["rescue_late"] == pytest.approx(26.0)
    assert event["rescue_shortfall_yuan"] == pytest.approx(100 * 0.5 * 26.0)
    assert event["end_h"] == pytest.approx(105.0)  # duration 5 h outlasts the work
    assert event["handled_level"] == "outside"  # one boat never came
    dispatches = result.dispatches.set_index("team_id")
    assert dispatches.loc["town_B", "arrival_h"] == pytest.approx(101.0)
    assert dispatches.loc["county", "leave_scene_h"] == pytest.approx(102.0 + 13 / 15)
    assert dispatches.loc["county", "back_at_base_h"] == pytest.approx(103.0 + 1 / 15)
    items = result.items.set_index("item_id")
    # Sandbags: village 30 at 100.6 and township 50 at 100.8 are in time (deadline
    # 101.0); the county's 20 arrive at 100.5 + 0.5 + 0.2 = 101.2, late.
    sandbags = items.loc["sandbag"]
    assert sandbags[["from_village", "from_township", "from_county"]].tolist() == [30, 50, 20]
    assert (sandbags["served_in_time"], sandbags["served_late"], sandbags["unmet"]) == (80, 20, 0)
    assert sandbags["shortfall_yuan"] == pytest.approx(20 * 0.5 * 2 * 3)
    # Boats: the county's only boat arrives at 101.2, in time for 102; one is unmet.
    boats = items.loc["boat"]
    assert (boats["served_in_time"], boats["served_late"], boats["unmet"]) == (1, 0, 1)
    assert boats["shortfall_yuan"] == pytest.approx(30000 * 5)


def test_returned_equipment_goes_on_to_an_event_still_short_of_it(tmp_path):
    scenario = two_townships(
        tmp_path,
        teams=[_team("fire_only", "county", "A", 5, 5) | {"skills": "forest_fire"}],
        stock=[{"depot_id": "D_COUNTY", "item_id": "boat", "quantity": 1}],
        demand=[{"hazard": "flood", "item_id": "boat", "per_event": 1, "deadline_h": 2}],
        hazards=[_hazard("flood", 0) | {"duration_median_h": 3}],
        events=[
            {"year": 1, "time_h": 100, "township_id": "A", "hazard": "flood"}
            | {"severity_people": 0, "duration_h": 3},
            {"year": 1, "time_h": 101, "township_id": "B", "hazard": "flood"}
            | {"severity_people": 0, "duration_h": 10},
        ],
    )
    result = simulate(scenario, reps=1, seed=1)
    boats = result.items.set_index("event_id")
    # Event 0 in A takes the boat (in time); it ends at 103 and the boat is back at
    # once (no local travel). Event 1 in B has waited since its alarm at 101.5; the
    # boat leaves the county depot at 103 + 0.5 and reaches B at 103.7, after its
    # deadline of 103 but before the event ends at 111: served late.
    assert (boats.loc[0, "served_in_time"], boats.loc[0, "unmet"]) == (1, 0)
    assert (boats.loc[1, "served_late"], boats.loc[1, "unmet"]) == (1, 0)
    assert boats.loc[1, "from_county"] == 1


def test_a_team_back_from_one_event_reinforces_another_running_late(tmp_path):
    scenario = two_townships(
        tmp_path,
        teams=[_team("town_B", "township", "B", 10, 30), _team("county", "county", "A", 20, 6)],
        stock=None,
        demand=[{"hazard": "small", "item_id": "boat", "per_event": 0, "deadline_h": 1}],
        hazards=[_hazard("small", 20), _hazard("big", 100)],
        events=[
            {"year": 1, "time_h": 100.0, "township_id": "A", "hazard": "small"}
            | {"severity_people": 0},
            {"year": 1, "time_h": 100.2, "township_id": "B", "hazard": "big"}
            | {"severity_people": 0},
        ],
        radius_km=5.0,  # B's team is not a neighbour of A
    )
    result = simulate(scenario, reps=1, seed=1)
    dispatches = result.dispatches.set_index(["event_id", "team_id"])
    # Event 0 (A, alarm 100.5): the county team arrives at 100.6, 20 ph done at 101.6.
    assert dispatches.loc[(0, "county"), "leave_scene_h"] == pytest.approx(101.6)
    # Event 1 (B, alarm 100.7): only B's team is free; it arrives at 101.2. The county
    # team, back at 101.6, is sent on: 101.6 + 0.1 + 0.2 = 101.9. By then 7 ph are
    # done; 93 more at 30 ph/h take 3.1 h: done at 105.0 instead of 111.2.
    assert dispatches.loc[(1, "county"), "dispatched_h"] == pytest.approx(101.6)
    assert dispatches.loc[(1, "county"), "arrival_h"] == pytest.approx(101.9)
    assert dispatches.loc[(1, "town_B"), "leave_scene_h"] == pytest.approx(105.0)
    big = result.events.set_index("event_id").loc[1]
    assert big["rescue_in_time"] == pytest.approx(10 * 1.0 + 20 * 0.3)
    assert big["rescue_late"] == pytest.approx(100 - 16)


def test_a_cut_road_slows_travel_into_the_township(tmp_path):
    hazard = _hazard("flood", 20) | {"road_cut_probability": 1.0, "road_cut_duration_h": 24}
    scenario = two_townships(
        tmp_path,
        teams=[_team("county", "county", "A", 20, 6)],
        stock=None,
        demand=[{"hazard": "flood", "item_id": "boat", "per_event": 0, "deadline_h": 1}],
        hazards=[hazard],
        events=[
            {"year": 1, "time_h": 100, "township_id": "B", "hazard": "flood"}
            | {"severity_people": 0},
        ],
    )
    result = simulate(scenario, reps=1, seed=1)
    # The tiny county's slowdown is 2x: 100.5 + 0.1 + 2 x 0.2 = 101.0.
    assert result.events.loc[0, "first_arrival_h"] == pytest.approx(101.0)


def test_an_event_at_the_end_of_the_year_is_followed_to_its_end(tmp_path):
    scenario = two_townships(
        tmp_path,
        teams=[_team("county", "county", "A", 20, 6)],
        stock=[{"depot_id": "D_COUNTY", "item_id": "boat", "quantity": 1}],
        demand=[{"hazard": "flood", "item_id": "boat", "per_event": 1, "deadline_h": 2}],
        hazards=[_hazard("flood", 20)],
        events=[
            {"year": 1, "time_h": 8759, "township_id": "A", "hazard": "flood"}
            | {"severity_people": 0},
        ],
    )
    result = simulate(scenario, reps=1, seed=1)
    assert len(result.events) == 1
    assert result.events.loc[0, "end_h"] == pytest.approx(8764.0)
    assert result.items.loc[0, "served_in_time"] == 1
    # The boat is out at the scene when the year ends.
    boats = result.stock[(result.stock["tier"] == "county") & (result.stock["category"] == "flood")]
    assert boats["end_value_yuan"].item() == 0.0
    assert boats["start_value_yuan"].item() == 30000.0


def test_an_explicit_travel_matrix_replaces_distances(tmp_path):
    scenario = two_townships(
        tmp_path,
        teams=[_team("county", "county", "A", 20, 6)],
        stock=None,
        demand=[{"hazard": "flood", "item_id": "boat", "per_event": 0, "deadline_h": 1}],
        hazards=[_hazard("flood", 20)],
        events=[
            {"year": 1, "time_h": 100, "township_id": "B", "hazard": "flood"}
            | {"severity_people": 0},
        ],
        matrix_h=[[0.0, 1.0], [1.5, 0.0]],
    )
    result = simulate(scenario, reps=1, seed=1)
    # From A to B takes 1.0 h by the matrix (not 0.2 h by distance): 100.5 + 0.1 + 1.0.
    assert result.events.loc[0, "first_arrival_h"] == pytest.approx(101.6)
