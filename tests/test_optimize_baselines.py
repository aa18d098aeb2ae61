"""Baseline plans, judging plans by simulation, and marginal values from LP duals."""

from __future__ import annotations

import copy
import math

import numpy as np
import pandas as pd
import pulp
import pytest
from pandas.testing import assert_frame_equal

import scenarios
from optimize.baselines import equal_split, expected_demand, last_year_rule, status_quo, top_up
from optimize.demand import sample_years
from optimize.marginal import COLUMNS as MARGINAL_COLUMNS
from optimize.marginal import marginal_values
from optimize.model import Budgets, build_problem, extract_plan, solve
from planner.pipeline import judge
from scenarios import rules
from scenarios.plan import Plan, Staffing
from scenarios.rules import breaches
from sim import build_network
from sim.hazards import base_demand
from tests import builders

SHARES = {"flood": 0.5, "living": 0.3, "forest_fire": 0.2}
BUDGET = 200_000.0
BASELINES = (equal_split, last_year_rule)


def procurement_toml(tiers=("county", "township")) -> dict:
    """The tiny county's TOML with a [procurement] section (last year's category shares)."""
    toml = copy.deepcopy(builders.TOML_BASE)
    toml["procurement"] = {"depot_tiers": list(tiers), "last_year_category_shares": SHARES}
    return toml


@pytest.fixture(scope="module")
def shares_scenario(tmp_path_factory):
    path = builders.write_scenario(tmp_path_factory.mktemp("shares"), toml=procurement_toml())
    return scenarios.load(path)


@pytest.fixture(scope="module")
def shares_network(shares_scenario):
    return build_network(shares_scenario)


def tiers(scenario) -> dict[str, str]:
    return {depot.depot_id: depot.tier for depot in scenario.depots}


def equipment(scenario) -> set[str]:
    return {item.item_id for item in scenario.items if item.kind == "equipment"}


def prices(scenario) -> dict[str, float]:
    return {item.item_id: item.unit_price_yuan for item in scenario.items}


def spent_by_category(plan: Plan, scenario) -> dict[str, float]:
    category = {item.item_id: item.category for item in scenario.items}
    price = prices(scenario)
    money: dict[str, float] = {}
    for p in plan.purchases:
        spent = p.quantity * price[p.item_id]
        money[category[p.item_id]] = money.get(category[p.item_id], 0.0) + spent
    return money


def units_by_item(plan: Plan) -> dict[str, int]:
    units: dict[str, int] = {}
    for p in plan.purchases:
        units[p.item_id] = units.get(p.item_id, 0) + p.quantity
    return units


# --- status quo and the money-spending baselines ----------------------------------------------


@pytest.fixture(scope="module")
def ruled_network(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ruled")
    path = builders.write_scenario(folder, builders.ruled_toml(), builders.ruled_tables())
    return build_network(scenarios.load(path))


def test_status_quo_buys_nothing_and_keeps_todays_teams():
    plan = status_quo()
    assert plan.plan_id == "status_quo"
    assert plan.purchases == ()
    assert plan.staffing == ()


@pytest.mark.parametrize("rule", BASELINES, ids=lambda rule: rule.__name__)
@pytest.mark.parametrize("budget", [0.0, 1_000.0, 100_000.0, BUDGET, 1_000_000.0])
def test_baselines_never_overspend_and_leave_less_than_a_unit_per_item(
    shares_network, shares_scenario, rule, budget
):
    plan = rule(shares_network, budget)
    spent = plan.purchase_cost_yuan(shares_scenario)
    assert spent <= budget + 1e-6
    # Every item (and, under the shares, every category) is given money of its own and whole
    # units are bought with it: what is left is less than one unit price per item.
    assert budget - spent < sum(prices(shares_scenario).values())


@pytest.mark.parametrize(
    ("rule", "budget"),
    [
        (last_year_rule, BUDGET),
        (last_year_rule, 1_000_000.0),
        # Not 200,000 for the equal split: its 50,000 a type buys one 30,000 yuan boat and
        # leaves 20,000 unspent, 178,980 in all (89.5%).
        (equal_split, 240_000.0),
        (equal_split, 1_000_000.0),
    ],
)
def test_baselines_spend_most_of_the_budget(shares_network, shares_scenario, rule, budget):
    spent = rule(shares_network, budget).purchase_cost_yuan(shares_scenario)
    assert spent >= 0.9 * budget


def test_last_year_rule_without_procurement_section_spends_most_of_the_budget(
    tiny_network, tiny_scenario
):
    spent = last_year_rule(tiny_network, BUDGET).purchase_cost_yuan(tiny_scenario)
    assert spent >= 0.9 * BUDGET


def test_last_year_rule_without_procurement_section_never_overspends(tiny_network, tiny_scenario):
    plan = last_year_rule(tiny_network, BUDGET)
    assert 0 < plan.purchase_cost_yuan(tiny_scenario) <= BUDGET


@pytest.mark.parametrize("rule", BASELINES, ids=lambda rule: rule.__name__)
def test_baselines_buy_whole_positive_units_at_county_and_township_depots(
    shares_network, shares_scenario, rule
):
    plan = rule(shares_network, BUDGET)
    assert plan.purchases
    tier = tiers(shares_scenario)
    kit = equipment(shares_scenario)
    for p in plan.purchases:
        assert isinstance(p.quantity, int)
        assert p.quantity > 0
        assert tier[p.depot_id] in {"county", "township"}
        if p.item_id in kit:
            assert p.depot_id == "D_COUNTY"
        else:
            assert tier[p.depot_id] == "township"
    keys = [(p.item_id, p.depot_id) for p in plan.purchases]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("rule", BASELINES, ids=lambda rule: rule.__name__)
def test_baselines_spread_consumables_over_townships_by_expected_demand(
    shares_network, shares_scenario, rule
):
    plan = rule(shares_network, BUDGET)
    demand = expected_demand(shares_network)
    town_of_depot = {d.depot_id: d.township_id for d in shares_scenario.depots}
    towns = list(shares_network.township_ids)
    for item in ("sandbag", "water"):
        bought = {p.depot_id: p.quantity for p in plan.purchases if p.item_id == item}
        assert len(bought) == 3, f"{item} should go to all three township depots: {bought}"
        units = sum(bought.values())
        column = shares_network.item_ids.index(item)
        share = demand[:, column] / demand[:, column].sum()
        for depot, quantity in bought.items():
            exact = units * share[towns.index(town_of_depot[depot])]
            assert abs(quantity - exact) < 1.0


@pytest.mark.parametrize("rule", BASELINES, ids=lambda rule: rule.__name__)
def test_baselines_only_use_the_depot_tiers_the_scenario_allows(tmp_path, rule):
    path = builders.write_scenario(tmp_path, toml=procurement_toml(tiers=("county",)))
    scenario = scenarios.load(path)
    plan = rule(build_network(scenario), BUDGET)
    assert plan.purchases
    assert {tiers(scenario)[p.depot_id] for p in plan.purchases} == {"county"}


def test_last_year_rule_keeps_each_category_within_its_share(shares_network, shares_scenario):
    plan = last_year_rule(shares_network, BUDGET)
    money = spent_by_category(plan, shares_scenario)
    assert set(money) == set(SHARES)
    price = prices(shares_scenario)
    for category, share in SHARES.items():
        members = [i.item_id for i in shares_scenario.items if i.category == category]
        allowed = share * BUDGET
        assert money[category] <= allowed + 1e-6
        # Each item of the category leaves less than one of its units unbought.
        assert allowed - money[category] < sum(price[m] for m in members)


def test_last_year_rule_splits_a_category_by_expected_demand_value(shares_network):
    bought = units_by_item(last_year_rule(shares_network, BUDGET))
    value = expected_demand(shares_network).sum(axis=0) * shares_network.item_price_yuan
    flood = [shares_network.item_ids.index(i) for i in ("sandbag", "boat")]
    money = SHARES["flood"] * BUDGET * value[flood] / value[flood].sum()
    for column, given in zip(flood, money, strict=True):
        price = shares_network.item_price_yuan[column]
        assert bought[shares_network.item_ids[column]] == math.floor(given / price + 1e-9)


@pytest.mark.parametrize("rule", BASELINES, ids=lambda rule: rule.__name__)
def test_zero_budget_gives_an_empty_plan(shares_network, tiny_network, rule):
    assert rule(shares_network, 0.0).purchases == ()
    assert rule(tiny_network, 0.0).purchases == ()


def test_equal_split_gives_every_item_type_the_same_money(shares_network):
    bought = units_by_item(equal_split(shares_network, 1_000_000.0))
    for column, item in enumerate(shares_network.item_ids):
        price = shares_network.item_price_yuan[column]
        assert bought[item] == math.floor(250_000.0 / price + 1e-9)


def test_baselines_on_the_default_county_stay_within_budget_and_holding_ceilings(
    default_scenario,
):
    """A rule of thumb fills no depot past what its design events need, and still spends."""
    network = build_network(default_scenario)
    budget = default_scenario.procurement_budget_yuan
    allowed = set(default_scenario.procurement.depot_tiers)
    tier = tiers(default_scenario)
    for rule in BASELINES:
        plan = rule(network, budget)
        assert 0.9 * budget <= plan.purchase_cost_yuan(default_scenario) <= budget
        assert {tier[p.depot_id] for p in plan.purchases} <= allowed
        kinds = {b.rule for b in breaches(plan, default_scenario)}
        assert "holding_ceiling" not in kinds, rule.__name__


def test_what_a_depot_has_no_room_for_goes_to_the_next(default_scenario):
    """Life jackets are spread by demand; a township depot at its ceiling passes the rest on."""
    network = build_network(default_scenario)
    room = rules.room_at(default_scenario)
    plan = top_up(network, default_scenario.procurement_budget_yuan)
    jackets = {p.depot_id: p.quantity for p in plan.purchases if p.item_id == "life_jacket"}
    assert len(jackets) > 1
    for depot, quantity in jackets.items():
        assert quantity <= room[("life_jacket", depot)]
    assert any(quantity == room[("life_jacket", depot)] for depot, quantity in jackets.items())


# --- expected demand --------------------------------------------------------------------------


def test_expected_water_demand_in_township_b_by_hand(tiny_network):
    # flood: rate 2, river exposure 0.3 of 1.2, 0.2 per person, 300 people median, sigma 0.8
    flood = 2.0 * (0.3 / 1.2) * (0.2 * 300 * math.exp(0.8**2 / 2))
    # forest fire: rate 3, forest 5,000 of 21,000 ha, 5 cases per event (no people term)
    fire = 3.0 * (5_000 / 21_000) * 5
    # landslide: rate 3, hazard points 5 of 17, 0.3 per person, 40 people median, sigma 1
    landslide = 3.0 * (5 / 17) * (0.3 * 40 * math.exp(1.0**2 / 2))
    table = expected_demand(tiny_network)
    town = tiny_network.township_ids.index("B")
    water = tiny_network.item_ids.index("water")
    assert table.shape == (3, 4)
    assert table[town, water] == pytest.approx(flood + fire + landslide, rel=1e-12)


def test_expected_demand_of_one_hazard_and_item_with_every_term_by_hand(tmp_path):
    """A tent needed only by forest fires: per person, per event and per hour, with p0 = 0.7."""
    items = [
        *builders.ITEMS,
        {
            "item_id": "tent",
            "name_zh": "帐篷",
            "name_en": "Tent",
            "category": "living",
            "unit": "顶",
            "unit_price_yuan": 800,
            "kind": "consumable",
            "criticality_weight": 2,
        },
    ]
    demand = [
        *builders.DEMAND,
        {
            "hazard": "forest_fire",
            "item_id": "tent",
            "per_person": 0.5,
            "per_event": 4,
            "per_hour": 2,
            "deadline_h": 24,
        },
    ]
    hazards = copy.deepcopy(builders.HAZARDS)
    hazards[2]["duration_sigma"] = 0.5
    path = builders.write_scenario(
        tmp_path, tables={"items": items, "demand": demand}, hazards=hazards
    )
    network = build_network(scenarios.load(path))
    people = 50 * math.exp(1.0**2 / 2) * (1 - 0.7)  # median 50, sigma 1, 70% without people
    hours = 10 * math.exp(0.5**2 / 2)  # median 10 h, sigma 0.5
    per_event = 0.5 * people + 4 + 2 * hours
    table = expected_demand(network)
    tent = network.item_ids.index("tent")
    forest = {"A": 1_000, "B": 5_000, "C": 15_000}
    for town, hectares in forest.items():
        expected = 3.0 * hectares / 21_000 * per_event
        assert table[network.township_ids.index(town), tent] == pytest.approx(expected, rel=1e-12)


def test_expected_demand_agrees_with_the_sampler_for_per_event_items(tiny_network):
    """Boats (floods, in rain episodes) and blowers (fires): whole demands per event.

    The table is of demand before growth; the optimiser's demand scenarios add
    what a fire reached late grows by, so the sampled events' own demand is compared.
    """
    years = sample_years(tiny_network, seed=11, count=3_000)
    sampled = np.zeros((len(years), *expected_demand(tiny_network).shape))
    for row, events in enumerate(years):
        for event in events:
            sampled[row, event.event.township] += base_demand(tiny_network, event.event)
    table = expected_demand(tiny_network)
    for item in ("boat", "blower"):
        column = tiny_network.item_ids.index(item)
        for town in range(len(tiny_network.township_ids)):
            values = sampled[:, town, column]
            error = values.std(ddof=1) / math.sqrt(len(values))
            assert abs(values.mean() - table[town, column]) < 5 * error + 1e-9, (item, town)


# --- judging plans by simulation --------------------------------------------------------------


@pytest.fixture(scope="module")
def judged(tiny_scenario, tiny_network):
    plans = [
        status_quo(),
        last_year_rule(tiny_network, BUDGET),
        equal_split(tiny_network, BUDGET),
    ]
    judged = judge(tiny_scenario, plans, reps=30, seed=5)
    evaluation, yearly = judged.evaluation, judged.yearly
    return plans, evaluation, yearly


def test_evaluation_has_one_row_per_plan_with_the_headline_and_breakdowns(judged, tiny_scenario):
    plans, evaluation, yearly = judged
    assert list(evaluation["plan"]) == [p.plan_id for p in plans]
    for column in (
        "plan",
        "purchase_cost_yuan",
        "staffing_cost_yuan",
        "weighted_unmet_mean",
        "weighted_unmet_ci_low",
        "weighted_unmet_ci_high",
    ):
        assert column in evaluation.columns
    hazards = {f"hazard={h.hazard_id}" for h in tiny_scenario.hazards}
    assert hazards <= set(evaluation.columns)
    assert any(column.startswith("category=") for column in evaluation.columns)
    assert (evaluation["replications"] == 30).all()
    costs = [p.purchase_cost_yuan(tiny_scenario) for p in plans]
    assert evaluation["purchase_cost_yuan"].tolist() == costs
    assert evaluation["purchase_cost_yuan"].iloc[0] == 0.0
    assert (evaluation["staffing_cost_yuan"] == 310_000.0).all()  # today's teams, every plan
    ordered = evaluation[["weighted_unmet_ci_low", "weighted_unmet_mean", "weighted_unmet_ci_high"]]
    assert (ordered.diff(axis=1).iloc[:, 1:] >= 0).all().all()
    assert set(yearly) == {p.plan_id for p in plans}
    for plan_id, values in yearly.items():
        row = evaluation.set_index("plan").loc[plan_id]
        assert len(values) == 30
        assert values.mean() == pytest.approx(row["weighted_unmet_mean"])


def test_status_quo_row_has_no_paired_difference_and_others_do(judged):
    _, evaluation, _ = judged
    columns = ["vs_status_quo_mean", "vs_status_quo_ci_low", "vs_status_quo_ci_high"]
    first = evaluation.iloc[0]
    for column in columns:
        assert column not in evaluation.columns or pd.isna(first[column])
    rest = evaluation.iloc[1:]
    assert rest[columns].notna().all().all()
    assert (rest["vs_status_quo_ci_low"] <= rest["vs_status_quo_mean"]).all()
    assert (rest["vs_status_quo_mean"] <= rest["vs_status_quo_ci_high"]).all()
    # The paired mean difference is the difference of the means (same replications).
    headline = evaluation["weighted_unmet_mean"]
    expected = (headline.iloc[1:] - headline.iloc[0]).to_numpy()
    np.testing.assert_allclose(rest["vs_status_quo_mean"].to_numpy(), expected, rtol=1e-9)


def test_same_seed_gives_identical_evaluations(judged, tiny_scenario):
    plans, evaluation, yearly = judged
    rerun = judge(tiny_scenario, plans, reps=30, seed=5)
    again, yearly_again = rerun.evaluation, rerun.yearly
    assert_frame_equal(evaluation, again)
    for plan_id, values in yearly.items():
        pd.testing.assert_series_equal(values, yearly_again[plan_id])


def test_plans_are_judged_on_common_random_numbers(tiny_scenario):
    evaluation = judge(tiny_scenario, [status_quo(), Plan("same")], reps=10, seed=2).evaluation
    twin = evaluation.iloc[1]
    assert twin["vs_status_quo_mean"] == 0.0
    assert twin["vs_status_quo_ci_low"] == pytest.approx(0.0, abs=1e-9)
    assert twin["vs_status_quo_ci_high"] == pytest.approx(0.0, abs=1e-9)


# --- the optimised plan against the baselines -------------------------------------------------


@pytest.fixture(scope="module")
def solved(shares_network):
    years = sample_years(shares_network, shares_network.scenario.seed, 40)
    saa = build_problem(shares_network, years, Budgets(BUDGET))
    report = solve(saa)
    plan = extract_plan(saa, shares_network)
    chosen = {key: round(var.value() or 0.0) for key, var in saa.purchases.items()}
    marginal = marginal_values(shares_network, years, plan)
    return years, report, plan, chosen, marginal, saa


def test_optimised_plan_beats_every_baseline_in_the_simulation(
    solved, shares_network, shares_scenario
):
    _, report, optimised, _, _, _ = solved
    assert report.optimal
    assert optimised.purchase_cost_yuan(shares_scenario) <= BUDGET
    plans = [
        status_quo(),
        optimised,
        last_year_rule(shares_network, BUDGET),
        equal_split(shares_network, BUDGET),
    ]
    evaluation = judge(shares_scenario, plans, reps=200, seed=shares_scenario.seed).evaluation
    table = evaluation.set_index("plan")
    mean = table["weighted_unmet_mean"]
    numbers = table[["purchase_cost_yuan", "weighted_unmet_mean", "weighted_unmet_ci_high"]]
    for baseline in ("status_quo", "last_year_rule", "equal_split"):
        assert mean["optimised"] < mean[baseline], numbers.to_string()
    assert mean["optimised"] < table.loc["status_quo", "weighted_unmet_ci_high"]
    assert table.loc["optimised", "vs_status_quo_ci_high"] < 0, numbers.to_string()


# --- marginal values --------------------------------------------------------------------------


def test_marginal_values_have_a_row_per_purchasable_stock_limit_and_team(solved, shares_network):
    years, _, _, _, marginal, saa = solved
    assert list(marginal.columns) == list(MARGINAL_COLUMNS)
    purchases = marginal[marginal["kind"] == "purchase"]
    staffing = marginal[marginal["kind"] == "staffing"]
    assert len(purchases) + len(staffing) == len(marginal)
    stock_keys = {
        (shares_network.item_ids[i], shares_network.depot_ids[d])
        for i, d in saa.stock_rows
        if shares_network.depot_tier[d] in ("county", "township")
    }
    rows = list(zip(purchases["item_id"], purchases["depot_id"], strict=True))
    assert len(rows) == len(set(rows))
    assert set(rows) == stock_keys
    # At today's team sizes no size enters the model; decided, every team sent in time does.
    assert not saa.team_rows
    decided = build_problem(shares_network, years, Budgets(BUDGET, staffing_yuan=1e15))
    teams = {shares_network.team_ids[k] for k in decided.team_rows}
    assert teams and sorted(staffing["team_id"]) == sorted(teams)


def test_measured_marginal_values_come_first_sorted_by_saving_per_yuan(solved):
    _, _, _, _, marginal, _ = solved
    measured = marginal[marginal["method"] == "finite_difference"]
    bounded = marginal[marginal["method"] == "dual_bound"]
    assert len(measured) > 0
    assert list(marginal.index[: len(measured)]) == list(measured.index)
    assert (measured["saving_per_unit_yuan"] >= 0).all()
    assert (marginal["unit_cost_yuan"] > 0).all()
    np.testing.assert_allclose(
        measured["saving_per_yuan"], measured["saving_per_unit_yuan"] / measured["unit_cost_yuan"]
    )
    assert measured["saving_per_yuan"].is_monotonic_decreasing
    assert measured["saving_per_unit_yuan"].max() > 0
    assert bounded["saving_per_unit_yuan"].isna().all()


def test_an_item_nobody_demands_has_no_marginal_value(tmp_path):
    items = [
        *builders.ITEMS,
        {
            "item_id": "rope",
            "name_zh": "绳索",
            "name_en": "Rope",
            "category": "general_equipment",
            "unit": "根",
            "unit_price_yuan": 50,
            "kind": "consumable",
            "criticality_weight": 1,
        },
    ]
    stock = [*builders.STOCK, {"depot_id": "D_A", "item_id": "rope", "quantity": 5}]
    path = builders.write_scenario(tmp_path, tables={"items": items, "stock": stock})
    network = build_network(scenarios.load(path))
    years = sample_years(network, seed=3, count=10)
    saa = build_problem(network, years, Budgets(50_000))
    solve(saa)
    plan = extract_plan(saa, network)
    assert all(p.item_id != "rope" for p in plan.purchases)
    marginal = marginal_values(network, years, plan)
    rope = marginal[marginal["item_id"] == "rope"]
    assert (rope["saving_per_unit_yuan"].fillna(0) == 0).all()


class FixedPlanValue:
    """The second stage's expected penalty with every purchase fixed (no budget row binding)."""

    def __init__(self, network, years, chosen):
        self.saa = build_problem(network, years, Budgets(1e12))
        self.chosen = chosen
        for var in self.saa.purchases.values():
            var.cat = pulp.LpContinuous

    def __call__(self, key=None, step: float = 0.0) -> float:
        for other, var in self.saa.purchases.items():
            value = self.chosen.get(other, 0) + (step if other == key else 0.0)
            var.lowBound = var.upBound = value
        self.saa.problem.solve(pulp.HiGHS(msg=False, mip=False))
        if self.saa.problem.status != pulp.LpStatusOptimal:
            return math.inf
        return float(pulp.value(self.saa.problem.objective))


@pytest.fixture(scope="module")
def fixed_value(solved, shares_network):
    years, _, _, chosen, _, _ = solved
    return FixedPlanValue(shares_network, years, chosen)


def test_fixed_plan_value_is_the_solved_objective(solved, fixed_value):
    _, report, _, _, _, _ = solved
    assert fixed_value() == pytest.approx(report.objective, rel=1e-9, abs=1e-6)


def test_dual_bounds_lie_between_one_more_and_one_fewer_unit(solved, shares_network, fixed_value):
    """The penalty is convex in stock: each dual is a subgradient of it.

    saving(one more unit) <= dual <= loss(one fewer unit).
    """
    _, _, _, chosen, marginal, _ = solved
    value, base = fixed_value, fixed_value()
    table = marginal.set_index(["item_id", "depot_id"])
    for key in sorted(chosen):
        item, depot = key
        row = table.loc[(shares_network.item_ids[item], shares_network.depot_ids[depot])]
        dual = float(row["dual_bound_per_unit_yuan"])
        gained = base - value(key, 1.0)
        assert gained <= dual + 1e-6, (key, gained, dual)
        if chosen[key] + shares_network.initial_stock[depot, item] >= 1:
            lost = value(key, -1.0) - base
            assert dual <= lost + 1e-6, (key, dual, lost)


def test_measured_savings_are_what_one_more_unit_saves(solved, shares_network, fixed_value):
    _, _, _, _, marginal, saa = solved
    value, base = fixed_value, fixed_value()
    kind = marginal["kind"] == "purchase"
    measured = marginal[kind & (marginal["method"] == "finite_difference")]
    index = {
        (shares_network.item_ids[i], shares_network.depot_ids[d]): (i, d) for i, d in saa.purchases
    }
    checked = 0
    for item_id, depot_id, saving in measured[
        ["item_id", "depot_id", "saving_per_unit_yuan"]
    ].itertuples(index=False):
        key = index[(item_id, depot_id)]
        assert saving == pytest.approx(base - value(key, 1.0), rel=1e-6, abs=1e-6)
        checked += 1
    assert checked > 0


def test_measured_team_savings_are_what_one_more_member_saves(solved, shares_network):
    """Each team's finite difference, re-solved warm, against the whole fixed-plan
    programme built and solved afresh with that team one member larger."""
    years, _, plan, _, marginal, _ = solved
    teams = marginal[(marginal["kind"] == "staffing") & (marginal["method"] == "finite_difference")]
    unlimited = Budgets(1e15, staffing_yuan=1e15)

    def fixed_value(staffing: Plan) -> float:
        saa = build_problem(shares_network, years, unlimited)
        saa.fix_plan(staffing, shares_network)
        return solve(saa, mip_gap=0.0).objective

    base = fixed_value(plan)
    today = dict(zip(shares_network.team_ids, shares_network.team_members.tolist(), strict=True))
    assert len(teams) == len(today)
    for team_id, saving in teams[["team_id", "saving_per_unit_yuan"]].itertuples(index=False):
        bigger = Plan(
            "bigger",
            plan.purchases,
            tuple(Staffing(t, int(m) + (t == team_id)) for t, m in today.items()),
        )
        assert saving == pytest.approx(max(0.0, base - fixed_value(bigger)), rel=1e-6, abs=1e-6)
    assert teams["saving_per_unit_yuan"].max() > 0


def _gaps(network) -> np.ndarray:
    """A year's expected need less everything held today, per item (the top-up's target)."""
    return expected_demand(network).sum(axis=0) - network.initial_stock.sum(axis=0)


def test_top_up_fills_the_most_critical_gap_first_hand_computed(ruled_network):
    scenario = ruled_network.scenario
    gap = _gaps(ruled_network)
    price = ruled_network.item_price_yuan
    order = sorted(
        (i for i in range(ruled_network.n_items) if gap[i] > 0),
        key=lambda i: (-scenario.items[i].criticality_weight, price[i], i),
    )
    assert order, "the test county needs a gap to fill"
    first = order[0]
    lot = scenario.items[first].lot_size
    units = max(math.ceil(gap[first] / lot) * lot, scenario.items[first].min_order)
    # Exactly the first gap's money: nothing is left for any other item or for last year's rule.
    plan = top_up(ruled_network, float(units * price[first]))
    bought = {p.item_id for p in plan.purchases}
    assert bought == {ruled_network.item_ids[first]}
    assert sum(p.quantity for p in plan.purchases) == units


def test_top_up_keeps_the_placement_rules_and_the_budget(ruled_network):
    scenario = ruled_network.scenario
    for budget in (5_000.0, 60_000.0, 400_000.0):
        plan = top_up(ruled_network, budget)
        assert plan.purchase_cost_yuan(scenario) <= budget + 1e-6
        kinds = {b.rule for b in breaches(plan, scenario)}
        assert not kinds & {"depot_tier", "operator", "hazardous", "lot_size", "max_purchase"}


@pytest.mark.parametrize("rule", [equal_split, last_year_rule])
def test_every_baseline_buys_in_whole_lots_where_the_rules_allow(ruled_network, rule):
    plan = rule(ruled_network, 200_000.0)
    assert plan.purchases
    kinds = {b.rule for b in breaches(plan, ruled_network.scenario)}
    assert not kinds & {"depot_tier", "operator", "hazardous", "lot_size"}
