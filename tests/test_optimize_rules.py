"""The optimiser keeps every planning rule of the scenario, and says so when it cannot."""

from __future__ import annotations

import pytest

import scenarios
from optimize.demand import sample_years
from optimize.marginal import marginal_values
from optimize.model import (
    Budgets,
    InfeasibleRequestError,
    build_problem,
    check_budgets,
    extract_plan,
    solve,
)
from scenarios.plan import Plan
from scenarios.rules import breaches, purchase_room
from scenarios.schema import PlanningRules
from sim import build_network
from tests import builders

BUDGET = 150_000.0


@pytest.fixture(scope="module")
def ruled(tmp_path_factory) -> scenarios.Scenario:
    folder = tmp_path_factory.mktemp("ruled")
    return scenarios.load(
        builders.write_scenario(folder, builders.ruled_toml(), builders.ruled_tables())
    )


@pytest.fixture(scope="module")
def unruled(tmp_path_factory) -> scenarios.Scenario:
    """The same county and years with none of the rules."""
    folder = tmp_path_factory.mktemp("unruled")
    return scenarios.load(builders.write_scenario(folder))


def _solved_plan(scenario: scenarios.Scenario, budget: float = BUDGET):
    network = build_network(scenario)
    years = sample_years(network, seed=11, count=40)
    saa = build_problem(network, years, Budgets(budget))
    report = solve(saa, "highs", mip_gap=0.0)
    assert report.found_plan, report
    return network, years, extract_plan(saa, network), report


def test_the_optimised_plan_keeps_every_rule_the_unruled_plan_breaks(ruled, unruled):
    # Without the rules the plan breaks some of them: so the check below can fail.
    _, _, free, _ = _solved_plan(unruled)
    assert {b.rule for b in breaches(free, ruled)}
    _, _, plan, report = _solved_plan(ruled)
    assert report.optimal
    assert breaches(plan, ruled) == []
    bought = {(p.item_id, p.depot_id): p.quantity for p in plan.purchases}
    assert {d for (i, d) in bought if i == "boat"} <= {"D_COUNTY", "D_A"}
    assert {d for (i, d) in bought if i == "water"} <= {"D_COUNTY"}
    assert sum(q for (i, _), q in bought.items() if i == "sandbag") % 100 == 0


def test_the_rounded_lp_plan_keeps_every_rule_and_its_gap_is_proved(ruled):
    """The dive turns a fractional minimum-order switch on rather than off (off forbade what
    the LP bought with it, and every rounding failed into branch and bound)."""
    network = build_network(ruled)
    years = sample_years(network, seed=11, count=40)
    saa = build_problem(network, years, Budgets(BUDGET))
    rounded = solve(saa, "highs", mip_gap=0.5)
    assert rounded.method == "LP rounding"
    assert breaches(extract_plan(saa, network), ruled) == []
    _, _, _, exact = _solved_plan(ruled)
    assert rounded.best_bound <= exact.objective + 1e-6 <= rounded.objective + 2e-6
    assert rounded.objective <= exact.objective * 1.5 + 1e-6  # within its proved gap


def test_the_rules_cost_the_model_something_and_never_gain(ruled, unruled):
    """Rules only remove plans: the ruled optimum is no better than the free one, same years."""
    _, _, _, free = _solved_plan(unruled)
    _, _, _, held = _solved_plan(ruled)
    assert held.objective >= free.objective - 1e-6


def test_required_purchases_above_the_budget_are_refused_in_one_line(ruled):
    network = build_network(ruled)
    # one lot of every type: 500 sandbags, a boat, 1 case of water, 2 blowers = 38,030 yuan
    with pytest.raises(InfeasibleRequestError, match="minimum purchases cost 38,030 yuan"):
        check_budgets(network, Budgets(30_000.0))


def test_rules_that_cannot_all_be_met_are_refused_by_the_solve(ruled):
    """No room left for the one boat the rules ask for where boats may go: infeasible."""
    room = {"D_COUNTY": 7.5, "D_A": 1.2}  # their stock takes 7 and 1 m3; a boat takes 1 m3
    depots = tuple(
        d.model_copy(update={"capacity_m3": room.get(d.depot_id, d.capacity_m3)})
        for d in ruled.depots
    )
    network = build_network(ruled.model_copy(update={"depots": depots}))
    saa = build_problem(network, sample_years(network, seed=3, count=10), Budgets(BUDGET))
    with pytest.raises(InfeasibleRequestError, match="cannot all be met"):
        solve(saa, "highs")


def test_marginal_values_of_a_ruled_plan_skip_places_the_rules_forbid(ruled):
    network, years, plan, _ = _solved_plan(ruled)
    marginal = marginal_values(network, years, plan)
    places = set(zip(marginal["item_id"], marginal["depot_id"], strict=True))
    assert not {(i, d) for i, d in places if i == "boat" and d not in ("D_COUNTY", "D_A", "")}
    assert not {(i, d) for i, d in places if i == "water" and d not in ("D_COUNTY", "")}


def test_a_plan_held_fixed_is_valued_even_when_it_breaks_the_rules(ruled):
    """The status quo buys nothing, below every minimum: valued without the rules, refused with."""
    network = build_network(ruled)
    years = sample_years(network, seed=5, count=10)
    saa = build_problem(network, years, Budgets(BUDGET), planning_rules=False)
    saa.fix_plan(Plan("status_quo"), network)
    assert solve(saa, "highs").found_plan
    with pytest.raises(ValueError, match="planning_rules=False"):
        build_problem(network, years, Budgets(BUDGET)).fix_plan(Plan("status_quo"), network)


def test_required_purchases_above_a_category_ceiling_are_refused_naming_it(ruled):
    rules = PlanningRules(category_share={"flood": (0.0, 0.5)}, min_lots_per_item=1)
    network = build_network(ruled.model_copy(update={"rules": rules}))
    # 500 sandbags and a boat (31,000 yuan of flood kit) need 62,000 yuan at a 50% ceiling.
    with pytest.raises(InfeasibleRequestError, match=r"flood purchases .* at least 62,000"):
        check_budgets(network, Budgets(40_000.0))
    check_budgets(network, Budgets(62_000.0))


def test_the_optimised_plan_keeps_holding_ceilings_and_tier_shares(tmp_path, ruled):
    toml = builders.ruled_toml(
        holding_events={"township": 1, "county": 3}, tier_share={"county": [0.5, 1.0]}
    )
    held = scenarios.load(builders.write_scenario(tmp_path, toml, builders.ruled_tables()))
    # The plan made without them breaks them: so the checks below can fail.
    _, _, free, _ = _solved_plan(ruled)
    assert {"holding_ceiling", "tier_floor"} <= {b.rule for b in breaches(free, held)}
    _, _, plan, report = _solved_plan(held)
    assert report.optimal
    assert breaches(plan, held) == []
    room = purchase_room(held)
    assert all(p.quantity <= room[(p.item_id, p.depot_id)] for p in plan.purchases)


def test_a_floor_the_holding_ceilings_leave_no_room_for_is_refused_naming_it(ruled):
    rules = PlanningRules(
        category_share={"living": (0.5, 1.0)},
        min_lots_per_item=1,
        holding_events={"county": 1, "township": 1},
    )
    network = build_network(ruled.model_copy(update={"rules": rules}))
    # Water (living) may only go to the licensed county depot, which holds 300 cases against a
    # design event's 168: room for the rules' one case, 30 yuan, against 50% of 38,030 yuan.
    with pytest.raises(
        InfeasibleRequestError, match=r"room for 30 yuan of living, less than its 50%"
    ):
        check_budgets(network, Budgets(BUDGET))
