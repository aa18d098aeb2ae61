"""A depot's yearly upkeep: a depot idle today is opened only when it is worth what it costs.

The county: township C far off (90, 60 km) with all the forest, and its depot idle
(no stock) at an upkeep; no blower anywhere. Blowers at C's own depot reach its fires
in time, from the county depot they arrive late.
"""

from __future__ import annotations

import copy
import itertools

import pytest

import scenarios
from optimize.baselines import last_year_rule, top_up
from optimize.demand import sample_years
from optimize.marginal import marginal_values
from optimize.model import Budgets, build_problem, extract_plan, solve
from scenarios.plan import idle_depots, plan_costs
from sim import build_network
from tests import builders
from tests.support import expect_input_error

BUDGET = 60_000.0


def _tables(upkeep: float | None) -> dict[str, list[dict]]:
    towns = copy.deepcopy(builders.TOWNSHIPS)
    towns[0]["forest_area_ha"] = towns[1]["forest_area_ha"] = 0
    towns[2].update(x_km=90, y_km=60)
    stock = [s for s in builders.STOCK if s["depot_id"] != "D_C" and s["item_id"] != "blower"]
    depots = [dict(d) for d in builders.DEPOTS if d["depot_id"] != "D_C"]
    if upkeep is not None:
        depots.append(
            {
                "depot_id": "D_C",
                "tier": "township",
                "township_id": "C",
                "upkeep_yuan_per_year": upkeep,
            }
        )
    return {"townships": towns, "stock": stock, "depots": depots}


def _solved(tmp_path_factory, upkeep: float | None):
    folder = tmp_path_factory.mktemp("upkeep")
    # One objective for every depot setting: the credit for what a list leaves for next
    # year is found from each problem's own relaxation, so it is left out here.
    toml = builders.TOML_BASE | {"objective": {"value_carried": False}}
    scenario = scenarios.load(builders.write_scenario(folder, toml=toml, tables=_tables(upkeep)))
    network = build_network(scenario)
    years = sample_years(network, 11, 20)
    saa = build_problem(network, years, Budgets(BUDGET))
    report = solve(saa, "highs", mip_gap=0.0)
    assert report.optimal
    return scenario, network, years, extract_plan(saa, network), report.objective


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    """The county with no depot at C, with one at no upkeep, 10,000 and 50,000 a year."""
    return {upkeep: _solved(tmp_path_factory, upkeep) for upkeep in (None, 0.0, 1e4, 5e4)}


def test_idle_depots_are_those_holding_nothing_at_an_upkeep(solved, tiny_scenario):
    assert idle_depots(solved[1e4][0]) == {"D_C": 1e4}
    assert idle_depots(solved[0.0][0]) == {}  # no upkeep: nothing to pay to open it
    assert idle_depots(tiny_scenario) == {}


def test_a_depot_worth_its_upkeep_is_opened_and_paid_from_the_budget(solved):
    scenario, _, _, plan, _ = solved[1e4]
    assert any(p.depot_id == "D_C" for p in plan.purchases)
    assert plan.upkeep_yuan(scenario) == 1e4
    assert plan.purchase_cost_yuan(scenario) + plan.upkeep_yuan(scenario) <= BUDGET
    costs = plan_costs(plan, scenario)
    upkeep = costs[costs["part"] == "upkeep"]
    assert upkeep[["category", "tier", "cost_yuan"]].values.tolist() == [["depot", "township", 1e4]]


def test_a_depot_not_worth_its_upkeep_stays_closed_as_if_it_were_not_there(solved):
    scenario, _, _, plan, objective = solved[5e4]
    assert not any(p.depot_id == "D_C" for p in plan.purchases)
    assert plan.upkeep_yuan(scenario) == 0
    assert objective == pytest.approx(solved[None][4], rel=1e-9)


def test_the_optimum_only_worsens_as_the_upkeep_rises(solved):
    """More upkeep only removes plans: free depot <= 10,000 <= 50,000 <= no depot at all."""
    objectives = [solved[u][4] for u in (0.0, 1e4, 5e4, None)]
    for lower, higher in itertools.pairwise(objectives):
        assert lower <= higher * (1 + 1e-12)  # equal optima may differ in the last digit
    assert objectives[0] < objectives[1] < objectives[3]  # the depot matters, and so does its cost


def test_rules_of_thumb_open_no_depot(solved):
    _, network, _, _, _ = solved[1e4]
    for plan in (top_up(network, BUDGET), last_year_rule(network, BUDGET)):
        assert plan.purchases and not any(p.depot_id == "D_C" for p in plan.purchases)


def test_marginal_values_leave_out_a_depot_the_plan_does_not_open(solved):
    _, network, years, plan, _ = solved[5e4]
    marginal = marginal_values(network, years, plan)
    assert "D_C" not in set(marginal["depot_id"])
    _, network, years, plan, _ = solved[1e4]
    assert "D_C" in set(marginal_values(network, years, plan)["depot_id"])


@pytest.mark.parametrize(
    ("value", "fragment"), [(-1, "greater than or equal to 0"), ("inf", ""), (1e9, "less than")]
)
def test_bad_upkeep_is_refused_in_one_line(tmp_path, value, fragment):
    path = builders.write_scenario(tmp_path, tables=_tables(value))
    expect_input_error(
        lambda: scenarios.load(path),
        path.parent / "depots.csv",
        "row 8, field upkeep_yuan_per_year",
        fragment,
    )


def test_a_depot_that_adds_nothing_stays_closed_even_with_money_to_spare(tmp_path):
    """A second store beside the county depot, with more money than the years can use:
    its upkeep costs the objective nothing, and it is still not opened."""
    tables = _tables(None)
    tables["depots"].append(
        {"depot_id": "D_A2", "tier": "county", "township_id": "A", "upkeep_yuan_per_year": 1000}
    )
    scenario = scenarios.load(builders.write_scenario(tmp_path, tables=tables))
    network = build_network(scenario)
    saa = build_problem(network, sample_years(network, 11, 20), Budgets(5_000_000.0))
    assert solve(saa, "highs", mip_gap=0.0).optimal
    assert extract_plan(saa, network).upkeep_yuan(scenario) == 0
