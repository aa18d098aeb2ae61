"""What a purchase leaves for next year: the credit against LP duality and the newsvendor."""

from __future__ import annotations

import numpy as np
import pulp
import pytest

import scenarios
from optimize.demand import sample_years
from optimize.model import (
    NO_CREDIT,
    Budgets,
    CarriedCredit,
    HighsWithOffset,
    build_problem,
    carried_per_unit,
    carried_yuan,
    extract_plan,
    solve,
)
from sim import build_network
from tests.test_optimize_model import (
    ITEMS,
    newsvendor_by_dynamic_programme,
    newsvendor_scenario,
    storm_county,
    yearly_demand,
)


@pytest.fixture(scope="module")
def carried(tmp_path_factory):
    scenario = newsvendor_scenario(tmp_path_factory.mktemp("carried"), value_carried=True)
    network = build_network(scenario)
    return scenario, network, sample_years(network, seed=3, count=40)


def _relaxation(network, years, budget: float) -> float:
    saa = build_problem(network, years, Budgets(budget))
    saa.problem.solve(HighsWithOffset(msg=False, mip=False))
    return float(pulp.value(saa.problem.objective))


@pytest.mark.parametrize("budget", [60.0, 150.0])
def test_the_worth_of_a_yuan_is_the_budgets_lp_dual_by_finite_difference(carried, budget):
    """LP duality: the credit's worth is the slope of the relaxation's optimum in the budget."""
    _, network, years = carried
    saa = build_problem(network, years, Budgets(budget))
    report = solve(saa, mip_gap=0.0)
    step = 0.5  # within the relaxation's linear piece: each price is 3 yuan or more
    slope = (
        _relaxation(network, years, budget) - _relaxation(network, years, budget + step)
    ) / step
    assert saa.credit.worth == pytest.approx(slope, rel=1e-6)
    assert report.carried_worth == saa.credit.worth > 0


def test_the_shares_left_are_what_the_newsvendors_years_do_not_draw(carried):
    """Stock held is none, so the years draw min(demand, bought) of the new units, oldest first."""
    _, network, years = carried
    saa = build_problem(network, years, Budgets(150.0))
    solve(saa, mip_gap=0.0)
    relaxed = build_problem(network, years, Budgets(150.0))
    relaxed.problem.solve(HighsWithOffset(msg=False, mip=False))
    demand = yearly_demand(network, years)
    for (item, depot), share in saa.credit.left.items():
        bought = relaxed.purchases[(item, depot)].value()
        drawn = np.minimum(demand[:, item], bought).mean()
        assert share == pytest.approx(1.0 - drawn / bought, abs=1e-7)
    assert saa.credit.left  # the relaxation buys something the years draw on


@pytest.mark.parametrize("budget", [60, 150, 400])
def test_the_credited_newsvendor_matches_the_dynamic_programme_with_the_credit(carried, budget):
    """Given a credit, the optimum is the newsvendor's, each unit bought worth its credit back."""
    scenario, network, years = carried
    credit = CarriedCredit(0.2, {(0, 0): 0.5})  # rope in the county depot: half of it left
    saa = build_problem(network, years, Budgets(budget))
    saa.credit = credit
    report = solve(saa, mip_gap=0.0)
    per_unit = carried_per_unit(scenario)
    back = [credit.worth * per_unit[item] * (0.5 if item == "rope" else 1.0) for item, *_ in ITEMS]
    prices = [int(p) for p in network.item_price_yuan]
    demand = yearly_demand(network, years)
    penalties = network.item_shortfall_yuan
    reference = newsvendor_by_dynamic_programme(
        demand, prices, penalties, budget, credit_per_unit=back
    )
    assert report.objective == pytest.approx(reference, rel=1e-7, abs=1e-6)
    plan = extract_plan(saa, network)
    assert report.carried_yuan == pytest.approx(carried_yuan(network, plan, credit))
    assert report.in_sample_penalty == pytest.approx(saa.year_costs().mean())


def test_money_that_buys_nothing_more_credits_nothing(carried):
    _, network, years = carried
    saa = build_problem(network, years, Budgets(10**6))
    report = solve(saa, mip_gap=0.0)
    assert saa.credit == NO_CREDIT and report.carried_credit == 0.0
    assert report.objective == pytest.approx(0.0, abs=1e-6)


TWINS = [  # alike this year; the boat serves ten years, the raft one
    ("boat", {"service_life_years": 10}),
    ("raft", {"service_life_years": 1}),
]


def _twins(folder, value_carried: bool, raft_weight: float) -> scenarios.Scenario:
    """Two equipment items of one price for one hazard, the money enough for one of them."""
    items = [
        {
            "item_id": item,
            "name_zh": item,
            "name_en": item,
            "category": "flood",
            "unit": "个",
            "unit_price_yuan": 1000,
            "kind": "equipment",
            "criticality_weight": raft_weight if item == "raft" else 1.0,
        }
        | life
        for item, life in TWINS
    ]
    per_person = {item: 0.05 for item, _ in TWINS}
    return storm_county(folder, items, per_person, value_carried, rate=3.0, severity=(60, 0.5))


def _bought(scenario) -> dict[str, int]:
    network = build_network(scenario)
    years = sample_years(network, seed=5, count=30)
    saa = build_problem(network, years, Budgets(3000))
    solve(saa, mip_gap=0.0)
    return {p.item_id: p.quantity for p in extract_plan(saa, network).purchases}


def test_the_list_buys_what_lasts_when_this_year_cannot_tell_them_apart(tmp_path):
    """A raft worth 1% more this year wins alone; with the years counted, the boat does."""
    this_year = _bought(_twins(tmp_path / "plain", False, 1.01))
    over_life = _bought(_twins(tmp_path / "carried", True, 1.01))
    assert this_year.get("raft", 0) > this_year.get("boat", 0)
    assert over_life.get("boat", 0) > over_life.get("raft", 0)
    assert sum(this_year.values()) == sum(over_life.values()) == 3  # the money buys three
