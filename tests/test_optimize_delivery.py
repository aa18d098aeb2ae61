"""Purchases that arrive after a lead time, in both engines.

An event alarmed before an item's delivery hour draws only on the stock held at
the year's start; one alarmed at or after it draws on the purchases too
(:func:`sim.network.arrived`). The simulation adds the purchases to the depots at
that hour; the model holds the draws of events before it to the stock held. The
tests check the engines against a hand-computed timeline, against each other
year by year, and against today's results when nothing arrives late.
"""

from __future__ import annotations

import copy

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import scenarios
from optimize.baselines import status_quo
from optimize.demand import sample_years
from optimize.model import (
    UNLIMITED_YUAN,
    Budgets,
    ModelOptions,
    build_problem,
    extract_plan,
    solve,
)
from optimize.years import _holding
from scenarios.ledger import Lot
from scenarios.plan import Plan, Purchase
from sim import build_network, simulate
from sim.metrics import weighted_unmet_per_year
from tests import builders

# 1 March (day 60) and 30 days: hour (59 + 30) x 24 = 2,136, in the spring fire season.
SPRING = {"approval_day": "03-01", "lead_time_days": 30}
DELIVERY_H = (59 + 30) * 24.0
YEARS = (
    "year,time_h,township_id,hazard,severity_people\n"
    "1,1000,C,forest_fire,0\n"  # before the delivery: the two blowers held
    "2,4500,C,forest_fire,0\n"  # after it: held and bought
    "3,1000,C,forest_fire,0\n3,4500,A,flood,2000\n"  # a fire before, a flood after
    "4,1000,B,forest_fire,0\n4,1001,C,forest_fire,0\n"  # two fires together, both before
    "5,2130,C,forest_fire,0\n5,2137,C,forest_fire,0\n"  # together, one each side of it
)
BOUGHT = Plan(
    "bought",
    (
        Purchase("blower", "D_C", 10),
        Purchase("boat", "D_COUNTY", 2),
        Purchase("sandbag", "D_A", 1000),
    ),
    (),
)


def _county(folder, delivery=None, stock=None, items=None, demand=None, replay=YEARS):
    """The tiny county replaying ``replay``; two blowers held in C, none lost in a fire."""
    folder.mkdir(parents=True, exist_ok=True)
    toml = copy.deepcopy(builders.TOML_BASE)
    if delivery is not None:
        toml["delivery"] = delivery
    if items is None:
        items = copy.deepcopy(builders.ITEMS)
        for item in items:
            item["loss_rate"] = 0.0  # the model returns every unit: no loss to tell them apart
    if stock is None:
        stock = [line for line in builders.STOCK if line["item_id"] != "blower"]
        stock.append({"depot_id": "D_C", "item_id": "blower", "quantity": 2})
    (folder / "replay.csv").write_text(replay, encoding="utf-8")
    path = builders.write_scenario(
        folder,
        toml=toml,
        tables={"items": items, "stock": stock, "demand": demand or builders.DEMAND},
        extra_tables={"replay": "replay.csv"},
    )
    return scenarios.load(path)


def _model_year_costs(scenario, plan, years=5, options=None):
    """The model's value of ``plan`` held fixed in each replayed year."""
    network = build_network(scenario)
    saa = build_problem(
        network, sample_years(network, 7, years, first=0), Budgets(UNLIMITED_YUAN), options,
        planning_rules=False,
    )  # fmt: skip
    saa.fix_plan(plan, network)
    assert solve(saa, "highs", mip_gap=0.0).found_plan
    return saa.year_costs()


def _blowers_in_time(result) -> pd.Series:
    items = result.items[result.items["item_id"] == "blower"]
    return items.set_index(["replication", "event_id"])["served_in_time"]


# --- the simulation, by hand --------------------------------------------------------------------


def test_simulated_fire_before_the_delivery_gets_only_the_held_blowers_hand_computed(tmp_path):
    """Years 1 and 2 of the replay, ten blowers bought for C. Each fire asks for 6, grown to
    7 by its late first crew. The February fire, alarmed at 1,000.5 h, before the delivery
    at 2,136 h, gets the two held; with no lead time it gets all 7. The July fire gets 7
    either way."""
    timed_county = _county(tmp_path / "timed", SPRING)
    blower = build_network(timed_county).item_ids.index("blower")
    assert build_network(timed_county).item_delivery_h[blower] == DELIVERY_H
    timed = simulate(timed_county, BOUGHT, reps=2, seed=7)
    now = simulate(_county(tmp_path / "now"), BOUGHT, reps=2, seed=7)
    assert _blowers_in_time(timed).tolist() == [2.0, 7.0]
    assert _blowers_in_time(now).tolist() == [7.0, 7.0]


def test_purchases_count_in_the_years_stock_and_arrive_at_their_hour(tmp_path):
    network = build_network(_county(tmp_path, SPRING), BOUGHT)
    at = network.depot_ids.index("D_C"), network.item_ids.index("blower")
    assert network.initial_stock[at] == 2 and network.arriving_stock[at] == 10
    assert network.year_stock[at] == 12
    result = simulate(network.scenario, BOUGHT, reps=1, seed=7)
    start = result.stock.groupby("replication")["start_value_yuan"].sum().iloc[0]
    held_and_bought = (network.year_stock.sum(axis=0) * network.item_price_yuan).sum()
    assert start == pytest.approx(held_and_bought)  # the year's stock, the arrivals too


# --- the engines against each other ---------------------------------------------------------------


def test_model_equals_simulation_year_by_year_with_a_delivery_inside_the_fire_season(tmp_path):
    """A fixed plan, fires before, after and on both sides of the delivery: the model's
    value of each year equals the simulation's (the agreement tests' tolerance)."""
    scenario = _county(tmp_path, SPRING)
    simulated = weighted_unmet_per_year(simulate(scenario, BOUGHT, reps=5, seed=7))
    assert _model_year_costs(scenario, BOUGHT) == pytest.approx(
        simulated.to_numpy(), rel=1e-9, abs=1e-6
    )
    at_once = weighted_unmet_per_year(simulate(_county(tmp_path / "now"), BOUGHT, reps=5, seed=7))
    assert (simulated > at_once + 1.0).tolist() == [True, False, True, True, True]


def test_model_equals_simulation_when_stock_on_order_arrives_late(tmp_path):
    """Ten blowers on order for C (a plan-year's replacements): the year's stock covers
    every draw, the stock held does not cover the fires before the delivery, so the
    "ample" reduction must judge those on the held stock alone."""
    stock = [line for line in builders.STOCK if line["item_id"] != "blower"]
    stock += [
        {"depot_id": "D_C", "item_id": "blower", "quantity": 2},
        {"depot_id": "D_C", "item_id": "blower", "quantity": 10, "on_order": "true"},
    ]
    scenario = _county(tmp_path, SPRING, stock=stock)
    simulated = weighted_unmet_per_year(simulate(scenario, status_quo(), reps=5, seed=7))
    for reduce in (True, False):
        model = _model_year_costs(scenario, status_quo(), options=ModelOptions(reduce=reduce))
        assert model == pytest.approx(simulated.to_numpy(), rel=1e-9, abs=1e-6)
    assert simulated.iloc[0] > 0 and simulated.iloc[1] == 0  # short before, covered after


def test_a_purchase_delivered_after_every_event_changes_neither_engines_shortfall(tmp_path):
    """Delivered on 1 November, after the year's last replayed event: the plan is worth
    what buying nothing is worth, in the simulation and in the model."""
    scenario = _county(tmp_path, {"approval_day": "11-01"})
    plain = weighted_unmet_per_year(simulate(scenario, status_quo(), reps=5, seed=7))
    bought = weighted_unmet_per_year(simulate(scenario, BOUGHT, reps=5, seed=7))
    assert bought.tolist() == plain.tolist()
    assert _model_year_costs(scenario, BOUGHT) == pytest.approx(
        _model_year_costs(scenario, status_quo()), rel=1e-12, abs=1e-9
    )
    assert plain.sum() > 100_000  # the years are not quiet


def test_with_no_lead_time_both_engines_equal_todays_results_exactly(tmp_path):
    """Approval on 1 January with no lead time is today's model: the same frames from the
    simulation and the same plan and objective from the optimiser, on sampled years."""
    toml = copy.deepcopy(builders.TOML_BASE)
    today = scenarios.load(builders.write_scenario(tmp_path / "today", toml=toml))
    toml["delivery"] = {"approval_day": 1, "lead_time_days": 0}
    zero = scenarios.load(builders.write_scenario(tmp_path / "zero", toml=toml))
    plan = Plan("p", (Purchase("blower", "D_C", 3), Purchase("water", "D_A", 50)), ())
    first, second = simulate(today, plan, reps=20, seed=3), simulate(zero, plan, reps=20, seed=3)
    for frame in ("events", "items", "dispatches", "stock"):
        assert_frame_equal(getattr(first, frame), getattr(second, frame))
    reports, plans = [], []
    for scenario in (today, zero):
        network = build_network(scenario)
        saa = build_problem(network, sample_years(network, 3, 20), Budgets(60_000))
        reports.append(solve(saa, "highs", mip_gap=0.0))
        plans.append(extract_plan(saa, network))
    assert reports[0].objective == reports[1].objective and plans[0] == plans[1]


def test_reduced_and_full_models_reach_the_same_optimum_with_a_delivery(tmp_path):
    """The reductions (ample sources, sets inside sets) keep the optimum when what is
    bought counts only after its delivery."""
    network = build_network(_county(tmp_path, SPRING))
    years = sample_years(network, 7, 5, first=0)
    objectives = []
    for reduce in (True, False):
        saa = build_problem(network, years, Budgets(60_000), ModelOptions(reduce=reduce))
        report = solve(saa, "highs", mip_gap=0.0)
        assert report.optimal
        objectives.append(report.objective)
    assert objectives[0] == pytest.approx(objectives[1], rel=1e-9)


# --- the optimiser's choice ---------------------------------------------------------------------


def _two_fire_kits(tmp_path, blower_lead):
    """Fires in February, in April and in October; blowers worth twice a beater each."""
    items = copy.deepcopy(builders.ITEMS)
    for item in items:
        item["loss_rate"] = 0.0
        if item["item_id"] == "blower":
            item["lead_time_days"] = blower_lead
    beater = {**items[3], "item_id": "beater", "name_en": "Fire beater", "criticality_weight": 2}
    beater.pop("lead_time_days", None)
    items.append(beater)
    demand = [row for row in builders.DEMAND if row["hazard"] != "forest_fire"]
    demand += [
        {"hazard": "forest_fire", "item_id": "blower", "per_event": 6, "deadline_h": 3},
        {"hazard": "forest_fire", "item_id": "beater", "per_event": 6, "deadline_h": 3},
    ]
    replay = "year,time_h,township_id,hazard,severity_people\n"
    replay += "1,1000,C,forest_fire,0\n2,2500,C,forest_fire,0\n3,7000,C,forest_fire,0\n"
    stock = [line for line in builders.STOCK if line["item_id"] != "blower"]
    return _county(
        tmp_path / f"lead_{blower_lead}", {"approval_day": "02-01"}, stock, items, demand, replay
    )


@pytest.mark.parametrize(("blower_lead", "bought"), [(0, "blower"), (240, "beater")])
def test_optimiser_buys_the_kit_that_arrives_before_the_fires(tmp_path, blower_lead, bought):
    """Money for six units. Blowers weigh twice as much, so arriving with the money
    (approved 1 February) they are bought; arriving after 240 days' lead (28 September)
    they serve only the October fire, and the beaters that arrive at once serve all
    three: the optimiser buys those, and the simulation agrees it is the better list."""
    scenario = _two_fire_kits(tmp_path, blower_lead)
    network = build_network(scenario)
    years = sample_years(network, 7, 3, first=0)
    saa = build_problem(network, years, Budgets(6 * 3500.0), planning_rules=False)
    assert solve(saa, "highs", mip_gap=0.0).found_plan
    plan = extract_plan(saa, network)
    assert {p.item_id for p in plan.purchases} == {bought}
    assert sum(p.quantity for p in plan.purchases) == 6
    other = "beater" if bought == "blower" else "blower"
    rival = Plan("rival", (Purchase(other, plan.purchases[0].depot_id, 6),), ())
    chosen = weighted_unmet_per_year(simulate(scenario, plan, reps=3, seed=7)).sum()
    assert chosen < weighted_unmet_per_year(simulate(scenario, rival, reps=3, seed=7)).sum()


# --- plan-years: a year's replacements are bought in it and arrive late -------------------------


def test_a_years_replacements_are_on_order_and_arrive_with_its_purchases(tmp_path):
    scenario = _county(tmp_path, SPRING)
    replaced = [Lot("D_C", "blower", 2028, 4)]
    county = _holding(scenario, [Lot("D_C", "blower", 2026, 2), *replaced], 2028, replaced)
    assert [(line.purchase_year, line.on_order) for line in county.stock] == [
        (2026, False),
        (2028, True),
    ]
    network = build_network(county)
    at = network.depot_ids.index("D_C"), network.item_ids.index("blower")
    assert (network.initial_stock[at], network.arriving_stock[at]) == (2.0, 4.0)
