"""Design events and the holding ceilings they set: hand-computed, and refused when impossible."""

from __future__ import annotations

import math

import numpy as np
import pytest

import scenarios
from scenarios.design import design_event, design_need, exposure_shares, holding_ceilings
from scenarios.plan import Plan, Purchase
from scenarios.rules import breaches, purchase_room
from sim import build_network
from sim.hazards import Event, base_demand
from tests import builders
from tests.support import expect_input_error

Z90 = 1.2815515655446004  # the standard normal's 90th percentile


def _write(tmp_path, toml=None, tables=None):
    toml = toml or builders.ruled_toml(holding_events={"township": 1, "county": 3})
    return builders.write_scenario(tmp_path, toml, tables or builders.ruled_tables())


@pytest.fixture(scope="module")
def held(tmp_path_factory) -> scenarios.Scenario:
    return scenarios.load(_write(tmp_path_factory.mktemp("held")))


def test_design_event_is_the_quantile_of_size_and_duration_hand_computed(held):
    people, duration = design_event(held.hazard("flood"), 0.9)
    # flood: median 300 people, sigma 0.8; median 36 h, sigma 0.3
    assert people == pytest.approx(300 * math.exp(0.8 * Z90))  # 836.3
    assert duration == pytest.approx(36 * math.exp(0.3 * Z90))  # 52.9


def test_design_need_hand_computed(held):
    need = design_need(held)
    # sandbags: 1 per person + 200 per event = ceil(836.3 + 200); boats 2 per event
    assert need["flood"] == {"sandbag": 1037, "boat": 2, "water": 168}  # water 0.2 x 836.3
    assert need["forest_fire"] == {"blower": 6, "water": 5}
    assert need["landslide"] == {"water": 44}  # 0.3 x 40 e^1.28 = 43.2


def test_design_need_is_what_the_simulation_demands_of_that_event(held):
    """The simulation's own demand of the design-size event gives the same units."""
    network = build_network(held)
    need = design_need(held)
    for k, hazard in enumerate(held.hazards):
        people, duration = design_event(hazard, held.rules.design_quantile)
        event = Event(0, k, 0, 0.0, people, duration, 0.0, False, 0, -1)
        simulated = base_demand(network, event)
        expected = np.zeros(network.n_items)
        for item_id, units in need.get(hazard.hazard_id, {}).items():
            expected[network.item_ids.index(item_id)] = units
        np.testing.assert_array_equal(simulated, expected)


def test_exposure_shares_hand_computed(held):
    # river exposure 0.8 / 0.3 / 0.1; hazard points 2 / 5 / 10; forest 1,000 / 5,000 / 15,000 ha
    expected = [
        [0.8 / 1.2, 0.3 / 1.2, 0.1 / 1.2],
        [2 / 17, 5 / 17, 10 / 17],
        [1 / 21, 5 / 21, 15 / 21],
    ]
    np.testing.assert_allclose(exposure_shares(held), expected)
    flat = held.model_copy(
        update={
            "townships": tuple(t.model_copy(update={"river_exposure": 0.0}) for t in held.townships)
        }
    )
    np.testing.assert_allclose(exposure_shares(flat)[0], [1 / 3, 1 / 3, 1 / 3])  # zero everywhere


def test_ceilings_are_design_events_of_the_hazards_in_reach(held):
    ceilings = holding_ceilings(held)
    assert ceilings[("sandbag", "D_A")] == 1037  # one flood design event
    assert ceilings[("sandbag", "D_COUNTY")] == 3 * 1037
    assert ceilings[("water", "D_B")] == 168  # the flood needs more water than a landslide
    assert ceilings[("blower", "D_COUNTY")] == 18
    assert not any(depot.startswith("V_") for _, depot in ceilings)  # village: no ceiling named


def test_a_hazard_that_cannot_reach_a_township_sets_none_of_its_ceilings(tmp_path):
    tables = builders.ruled_tables()
    tables["townships"] = [dict(t) for t in builders.TOWNSHIPS]
    tables["townships"][2]["forest_area_ha"] = 0  # C has no forest
    scenario = scenarios.load(_write(tmp_path, tables=tables))
    ceilings = holding_ceilings(scenario)
    assert ceilings[("blower", "D_C")] == 0
    assert ceilings[("blower", "D_B")] == 6


def test_room_is_the_ceiling_less_stock_in_whole_lots(held):
    room = purchase_room(held)
    assert room[("sandbag", "D_A")] == 500  # 1,037 less 500 held = 537, whole lots of 100
    assert room[("sandbag", "D_COUNTY")] == 1100  # 3,111 less 2,000 = 1,111
    assert room[("boat", "D_COUNTY")] == 3  # 6 less 3
    assert room[("blower", "D_C")] == 2  # 6 less 4


def test_room_at_the_county_never_falls_below_the_rules_minimum(tmp_path):
    toml = builders.ruled_toml(holding_events={"township": 1, "county": 1})
    scenario = scenarios.load(_write(tmp_path, toml=toml))
    # one design event needs 6 blowers; the county holds 10; the rules ask for 2
    assert holding_ceilings(scenario)[("blower", "D_COUNTY")] == 6
    assert purchase_room(scenario)[("blower", "D_COUNTY")] == 2


def test_a_purchase_past_a_ceiling_is_a_breach(held):
    keeps = Plan(
        "keeps",
        (
            Purchase("sandbag", "D_A", 500),
            Purchase("boat", "D_A", 1),
            Purchase("water", "D_COUNTY", 10),
            Purchase("blower", "D_C", 2),
        ),
    )
    assert breaches(keeps, held) == []
    over = Plan("over", (*keeps.purchases[1:], Purchase("sandbag", "D_A", 600)))
    found = [b for b in breaches(over, held) if b.rule == "holding_ceiling"]
    assert [(b.subject, b.detail) for b in found] == [
        ("sandbag", "sandbag in D_A: 600 units bought, room for 500 under its holding ceiling")
    ]


def test_no_ceiling_without_holding_events(tmp_path):
    scenario = scenarios.load(_write(tmp_path, toml=builders.ruled_toml()))
    assert holding_ceilings(scenario) == {} and purchase_room(scenario) == {}


def test_a_minimum_the_ceilings_leave_no_room_for_is_refused(tmp_path):
    toml = builders.ruled_toml(holding_events={"township": 1})
    # the county depot is not bought for
    toml["procurement"] = {"depot_tiers": ["township"], "last_year_category_shares": {"flood": 1}}
    tables = builders.ruled_tables()
    for item in tables["items"]:
        if item["item_id"] == "boat":
            item.update(min_purchase=5, max_purchase="")  # only D_A may hold boats: room 2
    path = _write(tmp_path, toml=toml, tables=tables)
    expect_input_error(
        lambda: scenarios.load(path),
        path.parent / "items.csv",
        "row 3, field item_id",
        "the rules ask for 5 units and the holding ceilings",
        "room for 2",
    )


@pytest.mark.parametrize(
    ("rules", "fragments"),
    [
        ({"holding_events": {"township": 0}}, ("rules.holding_events.township", "greater than")),
        ({"holding_events": {"city": 1}}, ("rules.holding_events.city",)),
        ({"holding_events": {"county": 1e6}}, ("rules.holding_events.county",)),
        ({"design_quantile": 1.0}, ("rules.design_quantile", "less than or equal to 0.999")),
        ({"design_quantile": "nan"}, ("rules.design_quantile",)),
        ({"design_quantile": 0.2}, ("rules.design_quantile", "greater than or equal to 0.5")),
    ],
)
def test_bad_holding_rules_are_refused_in_one_line(tmp_path, rules, fragments):
    toml = builders.ruled_toml(**rules)
    path = _write(tmp_path, toml=toml)
    expect_input_error(lambda: scenarios.load(path), path, *fragments)
