"""Kit that shortens rescue work (capabilities.csv): read, refused at the edge, bought for."""

from __future__ import annotations

import copy

import pytest

import scenarios
from optimize.baselines import status_quo
from optimize.demand import sample_years
from optimize.marginal import marginal_values
from optimize.model import UNLIMITED_YUAN, Budgets, build_problem, extract_plan, solve
from scenarios.plan import Plan, Purchase
from sim import build_network
from tests import builders
from tests.support import expect_input_error

CAPABILITIES = [
    {"item_id": "boat", "hazard": "flood", "saves_person_hours": 150, "max_share": 0.3},
    {"item_id": "blower", "hazard": "forest_fire", "saves_person_hours": 20, "max_share": 0.4},
]


def _write(folder, capabilities=None):
    tables = {"capabilities": CAPABILITIES if capabilities is None else capabilities}
    return builders.write_scenario(folder, tables=tables)


def test_capabilities_are_read_into_the_network(tmp_path):
    network = build_network(scenarios.load(_write(tmp_path)))
    flood = [h.hazard_id for h in network.scenario.hazards].index("flood")
    boat = network.item_ids.index("boat")
    assert network.kit_saves_h[flood, boat] == 150.0 and network.kit_share[flood, boat] == 0.3
    assert network.kit_saves_h.sum() == 170.0  # nothing else saves work


def test_the_default_county_states_what_its_kit_saves(default_scenario):
    kit = {(c.hazard, c.item_id) for c in default_scenario.capabilities}
    assert ("flood", "assault_boat") in kit and ("forest_fire", "wind_fire_extinguisher") in kit
    assert all(c.source.startswith("estimate") for c in default_scenario.capabilities)


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        ({"item_id": "juice"}, ("row 2, field item_id", "unknown id")),
        ({"hazard": "tsunami"}, ("row 2, field hazard", "unknown id")),
        ({"hazard": "landslide"}, ("row 2, field item_id", "never asks for it", "boat")),
        ({"saves_person_hours": 0}, ("row 2, field saves_person_hours",)),
        ({"saves_person_hours": -5}, ("row 2, field saves_person_hours",)),
        ({"saves_person_hours": "inf"}, ("row 2, field saves_person_hours",)),
        ({"saves_person_hours": "1e9"}, ("row 2, field saves_person_hours",)),
        ({"max_share": 1.0}, ("row 2, field max_share",)),
        ({"max_share": "nan"}, ("row 2, field max_share",)),
    ],
)
def test_bad_capabilities_are_refused_in_one_line(tmp_path, change, fragments):
    rows = copy.deepcopy(CAPABILITIES)
    rows[0].update(change)
    path = _write(tmp_path, rows)
    expect_input_error(lambda: scenarios.load(path), path.parent / "capabilities.csv", *fragments)


def test_kit_that_would_do_all_the_work_is_refused(tmp_path):
    sandbags = {"item_id": "sandbag", "hazard": "flood", "saves_person_hours": 1, "max_share": 0.7}
    path = _write(tmp_path, [CAPABILITIES[0], sandbags])
    expect_input_error(
        lambda: scenarios.load(path),
        path.parent / "capabilities.csv",
        "row 3, field max_share",
        "sums to 1",
    )


def test_a_capability_listed_twice_is_refused(tmp_path):
    path = _write(tmp_path, [CAPABILITIES[0], CAPABILITIES[0]])
    expect_input_error(
        lambda: scenarios.load(path),
        path.parent / "capabilities.csv",
        "hazard/item_id",
        "duplicate",
    )


def _drone_county(folder):
    """The tiny county with a drone nobody misses (criticality 0.01) that saves flood work."""
    drone = {
        **builders.ITEMS[1],
        "item_id": "drone",
        "name_zh": "无人机",
        "category": "general_equipment",
        "unit_price_yuan": 500,
        "criticality_weight": 0.01,
    }
    demand = [*builders.DEMAND, {"hazard": "flood", "item_id": "drone", "per_event": 1,
                                 "deadline_h": 4}]  # fmt: skip
    saves = [{"item_id": "drone", "hazard": "flood", "saves_person_hours": 300, "max_share": 0.3}]
    tables = {"items": [*builders.ITEMS, drone], "demand": demand, "capabilities": saves}
    return scenarios.load(builders.write_scenario(folder, tables=tables))


def test_the_optimiser_buys_kit_for_the_work_it_saves(tmp_path):
    """The drone is bought only when it saves flood work."""
    kitted = _drone_county(tmp_path)
    bought = {}
    for name, scenario in (("plain", kitted.model_copy(update={"capabilities": ()})),
                           ("kit", kitted)):  # fmt: skip
        network = build_network(scenario)
        saa = build_problem(network, sample_years(network, 3, 30), Budgets(100_000))
        assert solve(saa, "highs", mip_gap=0.0).found_plan
        plan = extract_plan(saa, network)
        bought[name] = sum(p.quantity for p in plan.purchases if p.item_id == "drone")
    assert bought["plain"] == 0 and bought["kit"] > 0


def test_a_kits_marginal_value_is_what_it_saves_of_the_whole_model(tmp_path):
    """The finite difference counts the rescue work a drone saves, as the full model does."""
    network = build_network(_drone_county(tmp_path))
    years = sample_years(network, 3, 30)
    values = marginal_values(network, years, status_quo())
    row = values[(values["item_id"] == "drone") & (values["depot_id"] == "D_COUNTY")].iloc[0]
    assert row["method"] == "finite_difference" and row["saving_per_unit_yuan"] > 0
    objective = []
    for plan in (status_quo(), Plan("one", (Purchase("drone", "D_COUNTY", 1),))):
        saa = build_problem(network, years, Budgets(UNLIMITED_YUAN, UNLIMITED_YUAN))
        saa.fix_plan(plan, network)
        objective.append(solve(saa, "highs", mip_gap=0.0).objective)
    assert row["saving_per_unit_yuan"] == pytest.approx(objective[0] - objective[1], rel=1e-6)
