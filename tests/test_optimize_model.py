"""The SAA model against theory: the budget-constrained multi-item newsvendor, and limits."""

from __future__ import annotations

import copy
import gc
import itertools
import time

import numpy as np
import pytest

import scenarios
from optimize import highs_solver
from optimize.demand import sample_years
from optimize.model import (
    Budgets,
    InfeasibleRequestError,
    ModelOptions,
    build_problem,
    extract_plan,
    payroll_yuan,
    solve,
)
from sim import build_network
from tests import builders

ITEMS = [
    # item_id, price, criticality (penalty = price x criticality), demand per affected person
    ("rope", 3, 4.0, 0.5),
    ("lamp", 5, 3.0, 0.3),
    ("kit", 7, 6.0, 0.2),
]


def newsvendor_scenario(tmp_path, value_carried: bool = False) -> scenarios.Scenario:
    """One township, buying only for the county depot, consumables, deadlines always met.

    The plain newsvendor values nothing past the year (``value_carried`` off).
    """
    items = [
        {
            "item_id": item,
            "name_zh": item,
            "name_en": item,
            "category": "general_equipment",
            "unit": "个",
            "unit_price_yuan": price,
            "kind": "consumable",
            "criticality_weight": weight,
        }
        for item, price, weight, _ in ITEMS
    ]
    demand = {item: per_person for item, _, _, per_person in ITEMS}
    return storm_county(tmp_path, items, demand, value_carried=value_carried)


def storm_county(
    folder,
    items: list[dict],
    per_person: dict[str, float],
    value_carried: bool = False,
    rate: float = 2.0,
    severity: tuple[float, float] = (40, 0.8),
) -> scenarios.Scenario:
    """One township hit by storms, the county depot the only one bought for, deadlines met.

    ``items`` are ``items.csv`` rows of one category, each demanded at
    ``per_person[item_id]`` a person affected; ``severity`` is the storms' median
    people affected and its sigma.
    """
    toml = copy.deepcopy(builders.TOML_BASE)
    del toml["rain_episodes"]
    toml["objective"] = {"value_carried": value_carried}
    toml["procurement"] = {
        "depot_tiers": ["county"],
        "last_year_category_shares": {items[0]["category"]: 1.0},
    }
    demand = [
        {"hazard": "storm", "item_id": item_id, "per_person": share, "deadline_h": 1000}
        for item_id, share in per_person.items()
    ]
    hazard = {
        "hazard_id": "storm",
        "name_zh": "暴雨",
        "trigger": "independent",
        "annual_rate": rate,
        "exposure": "population",
        "month_weights": builders.FLAT_MONTHS,
        "severity_median_people": severity[0],
        "severity_sigma": severity[1],
        "duration_median_h": 10,
        "rescue_skill": "water_rescue",
        "rescue_person_hours_base": 0,
        "rescue_deadline_h": 10,
    }
    path = builders.write_scenario(
        folder,
        toml=toml,
        tables={
            "townships": [builders.TOWNSHIPS[0]],
            "items": items,
            "depots": [builders.DEPOTS[0], builders.DEPOTS[1], builders.DEPOTS[4]],
            "stock": None,
            "agreements": None,
            "teams": [builders._team("t", "county", "A", 5, "water_rescue", 10)],
            "demand": demand,
        },
        hazards=[hazard],
    )
    return scenarios.load(path)


def yearly_demand(network, years) -> np.ndarray:
    """Units demanded per year (rows) and item (columns)."""
    table = np.zeros((len(years), network.n_items))
    for row, events in enumerate(years):
        for event in events:
            table[row, event.items] += event.quantity
    return table


def newsvendor_by_dynamic_programme(
    demand, prices, penalties, budget, weights=None, credit_per_unit=None
) -> float:
    """Exact optimum of min sum_i p_i E[(D_i - x_i)+] - k_i x_i s.t. sum_i c_i x_i <= budget.

    x is whole and at most the largest yearly demand (what the model may buy);
    ``credit_per_unit`` k_i is what a unit bought is credited (default none);
    ``weights`` are the years' probabilities (default: the plain mean over years).
    """
    credit = np.zeros(demand.shape[1]) if credit_per_unit is None else credit_per_unit
    best = np.zeros(budget + 1)  # best[b]: least expected penalty of the items so far with b yuan
    for item in range(demand.shape[1]):
        most = min(budget // prices[item], int(np.ceil(demand[:, item].max())))
        shortage = [
            penalties[item] * np.average(np.maximum(demand[:, item] - units, 0), weights=weights)
            - credit[item] * units
            for units in range(most + 1)
        ]
        best = np.array(
            [
                min(
                    best[money - units * prices[item]] + shortage[units]
                    for units in range(min(most, money // prices[item]) + 1)
                )
                for money in range(budget + 1)
            ]
        )
    return float(best[budget])


@pytest.fixture(scope="module")
def newsvendor(tmp_path_factory):
    scenario = newsvendor_scenario(tmp_path_factory.mktemp("newsvendor"))
    network = build_network(scenario)
    years = sample_years(network, seed=3, count=40)
    return scenario, network, years


@pytest.mark.parametrize("budget", [0, 60, 150, 400])
def test_newsvendor_saa_matches_the_exact_dynamic_programme(newsvendor, budget):
    _, network, years = newsvendor
    saa = build_problem(network, years, Budgets(budget))
    report = solve(saa, mip_gap=0.0)
    assert report.optimal
    prices = [int(p) for p in network.item_price_yuan]
    reference = newsvendor_by_dynamic_programme(
        yearly_demand(network, years), prices, network.item_shortfall_yuan, budget
    )
    assert report.objective == pytest.approx(reference, rel=1e-7, abs=1e-6)
    plan = extract_plan(saa, network)
    assert plan.purchase_cost_yuan(network.scenario) <= budget


def test_unlimited_budget_covers_every_sampled_year(newsvendor):
    _, network, years = newsvendor
    report = solve(build_problem(network, years, Budgets(10**7)), mip_gap=0.0)
    assert report.objective == pytest.approx(0.0, abs=1e-6)


def test_zero_budget_returns_the_status_quo(newsvendor):
    _, network, years = newsvendor
    saa = build_problem(network, years, Budgets(0))
    solve(saa, mip_gap=0.0)
    assert extract_plan(saa, network).purchases == ()


def newsvendor_weights(years: int, seed: int) -> np.ndarray:
    """Uneven year probabilities: a few likely years, many unlikely ones."""
    weights = np.random.default_rng(seed).random(years) ** 4 + 1e-3
    return weights / weights.sum()


@pytest.mark.parametrize("budget", [60, 150, 400])
def test_weighted_newsvendor_saa_matches_the_weighted_dynamic_programme(newsvendor, budget):
    _, network, years = newsvendor
    weights = newsvendor_weights(len(years), budget)
    saa = build_problem(network, years, Budgets(budget), year_weights=weights * 7.0)  # scaled
    report = solve(saa, mip_gap=0.0)
    assert report.optimal
    demand = yearly_demand(network, years)
    prices = [int(p) for p in network.item_price_yuan]
    penalties = network.item_shortfall_yuan
    reference = newsvendor_by_dynamic_programme(demand, prices, penalties, budget, weights)
    assert report.objective == pytest.approx(reference, rel=1e-7, abs=1e-6)
    # The plan chosen is one the weighted newsvendor says is optimal: its weighted shortage
    # is the optimum, and the years' own penalties weigh up to the objective.
    plan = extract_plan(saa, network)
    shortage = weights @ (np.maximum(demand - bought_units(network, plan), 0) @ penalties)
    assert shortage == pytest.approx(reference, rel=1e-7, abs=1e-6)
    assert weights @ saa.year_costs() == pytest.approx(report.objective, rel=1e-9)
    assert plan.purchase_cost_yuan(network.scenario) <= budget


def bought_units(network, plan) -> np.ndarray:
    """Units of each item a plan buys, over all depots."""
    units = np.zeros(network.n_items)
    for purchase in plan.purchases:
        units[network.item_ids.index(purchase.item_id)] += purchase.quantity
    return units


def test_weights_change_the_newsvendors_choice_for_the_better(newsvendor):
    _, network, years = newsvendor
    demand, penalties = yearly_demand(network, years), network.item_shortfall_yuan
    weights = newsvendor_weights(len(years), 1)
    choices = {}
    for name, year_weights in (("plain", None), ("weighted", weights)):
        saa = build_problem(network, years, Budgets(400), year_weights=year_weights)
        solve(saa, mip_gap=0.0)
        choices[name] = bought_units(network, extract_plan(saa, network))
    assert not np.array_equal(choices["plain"], choices["weighted"])

    def expected_shortage(units: np.ndarray) -> float:
        return float(weights @ (np.maximum(demand - units, 0) @ penalties))

    assert expected_shortage(choices["weighted"]) < expected_shortage(choices["plain"])


def test_equal_year_weights_are_the_plain_sample_average(newsvendor):
    _, network, years = newsvendor
    plain = solve(build_problem(network, years, Budgets(150)), mip_gap=0.0)
    alike = build_problem(network, years, Budgets(150), year_weights=[2.5] * len(years))
    assert solve(alike, mip_gap=0.0).objective == pytest.approx(plain.objective, rel=1e-12)


@pytest.mark.parametrize(
    "weights", [[1.0, 2.0], [1.0, 0.0, 1.0], [1.0, float("nan"), 1.0], [1.0, -1.0, 3.0]]
)
def test_year_weights_must_be_positive_and_one_per_year(tiny_network, weights):
    years = sample_years(tiny_network, seed=1, count=3)
    with pytest.raises(ValueError, match="one positive, finite number per year"):
        build_problem(tiny_network, years, Budgets(10_000), year_weights=weights)


def test_more_budget_never_worsens_the_saa_objective(newsvendor):
    _, network, years = newsvendor
    objectives = [
        solve(build_problem(network, years, Budgets(budget)), mip_gap=0.0).objective
        for budget in (0, 30, 90, 200, 500)
    ]
    assert all(later <= earlier + 1e-9 for earlier, later in itertools.pairwise(objectives))


def test_staffing_below_its_minimum_cost_is_refused(tiny_network):
    years = sample_years(tiny_network, seed=1, count=2)
    with pytest.raises(InfeasibleRequestError, match="below the cost of every team"):
        build_problem(tiny_network, years, Budgets(1000, staffing_yuan=10))


def test_constraints_are_named_for_readable_lp_files(tiny_network):
    years = sample_years(tiny_network, seed=1, count=2)
    saa = build_problem(tiny_network, years, Budgets(50_000, staffing_yuan=400_000))
    names = {constraint.name for constraint in saa.problem.constraints()}
    assert "procurement_budget" in names
    assert "staffing_budget" in names
    assert any(name.startswith("stock_") for name in names)
    assert any(name.startswith("demand_") for name in names)
    assert any(name.startswith("team_") for name in names)


def test_cbc_and_highs_agree(tiny_network):
    years = sample_years(tiny_network, seed=1, count=5)
    highs = solve(build_problem(tiny_network, years, Budgets(60_000)), "highs", mip_gap=0.0)
    cbc = solve(build_problem(tiny_network, years, Budgets(60_000)), "cbc", mip_gap=0.0)
    assert highs.optimal
    assert cbc.objective == pytest.approx(highs.objective, rel=1e-6)


def test_a_joint_budget_pays_for_purchases_and_members_together(tiny_network):
    years = sample_years(tiny_network, seed=2, count=8)
    payroll = payroll_yuan(tiny_network)
    joint = payroll + 40_000
    saa = build_problem(tiny_network, years, Budgets(0, joint_yuan=joint))
    report = solve(saa, mip_gap=0.0)
    assert report.optimal
    plan = extract_plan(saa, tiny_network)
    scenario = tiny_network.scenario
    assert plan.purchase_cost_yuan(scenario) + plan.staffing_cost_yuan(scenario) <= joint + 1e-6
    for staffing in plan.staffing:
        team = next(t for t in scenario.teams if t.team_id == staffing.team_id)
        assert team.min_members <= staffing.members <= team.max_members


def test_deciding_staffing_never_worsens_the_saa_objective(tiny_network):
    years = sample_years(tiny_network, seed=2, count=8)
    payroll = payroll_yuan(tiny_network)
    fixed = solve(build_problem(tiny_network, years, Budgets(40_000)), mip_gap=0.0)
    flexible = solve(
        build_problem(tiny_network, years, Budgets(40_000, staffing_yuan=payroll)), mip_gap=0.0
    )
    # Today's staffing is one of the choices the staffing budget allows.
    assert flexible.objective <= fixed.objective + 1e-6


@pytest.mark.parametrize("staffing", [False, True])
def test_the_reduced_model_has_the_full_models_optimum(tiny_network, staffing):
    years = sample_years(tiny_network, seed=4, count=12)
    payroll = payroll_yuan(tiny_network)
    budgets = Budgets(60_000, staffing_yuan=payroll * 1.05 if staffing else None)
    full = build_problem(tiny_network, years, budgets, ModelOptions(reduce=False))
    reduced = build_problem(tiny_network, years, budgets)
    assert reduced.problem.numVariables() < full.problem.numVariables()
    assert reduced.problem.numConstraints() < full.problem.numConstraints()
    assert set(reduced.purchases) == set(full.purchases)
    assert set(reduced.stock_rows) == set(full.stock_rows)
    full_report = solve(full, mip_gap=0.0)
    reduced_report = solve(reduced, mip_gap=0.0)
    assert full_report.optimal and reduced_report.optimal
    assert reduced_report.objective == pytest.approx(full_report.objective, rel=1e-7, abs=1e-6)


def test_a_fixed_plan_costs_the_same_each_year_in_the_reduced_and_full_models(tiny_network):
    years = sample_years(tiny_network, seed=5, count=10)
    budgets = Budgets(50_000)
    chosen = build_problem(tiny_network, years, budgets)
    solve(chosen, mip_gap=0.0)
    plan = extract_plan(chosen, tiny_network)
    costs = []
    for options in (ModelOptions(reduce=False), ModelOptions()):
        saa = build_problem(tiny_network, years, budgets, options)
        saa.fix_plan(plan, tiny_network)
        solve(saa, mip_gap=0.0)
        costs.append(saa.year_costs())
    np.testing.assert_allclose(costs[1], costs[0], rtol=1e-7, atol=1e-6)


@pytest.mark.parametrize("staffing", [False, True])
def test_a_rounded_lp_plan_stays_within_every_budget_and_its_gap_is_proved(tiny_network, staffing):
    years = sample_years(tiny_network, seed=6, count=12)
    payroll = payroll_yuan(tiny_network)
    budgets = Budgets(45_000, staffing_yuan=payroll * 1.02 if staffing else None)
    # A loose gap keeps the rounded LP relaxation; the exact optimum checks its bound.
    saa = build_problem(tiny_network, years, budgets)
    rounded = solve(saa, mip_gap=0.5)
    exact = solve(build_problem(tiny_network, years, budgets), mip_gap=0.0, rounding=False)
    assert rounded.method == "LP rounding"
    assert rounded.optimal and rounded.gap <= 0.5
    assert rounded.best_bound <= exact.objective + 1e-6 <= rounded.objective + 2e-6
    plan = extract_plan(saa, tiny_network)
    scenario = tiny_network.scenario
    assert plan.purchase_cost_yuan(scenario) <= budgets.procurement_yuan
    if staffing:
        assert plan.staffing_cost_yuan(scenario) <= budgets.staffing_yuan + 1e-6
        for staff in plan.staffing:
            team = next(t for t in scenario.teams if t.team_id == staff.team_id)
            assert team.min_members <= staff.members <= team.max_members


def test_rounding_that_misses_the_gap_falls_back_to_branch_and_bound(newsvendor):
    _, network, years = newsvendor
    report = solve(build_problem(network, years, Budgets(150)), mip_gap=0.0)
    exact = solve(build_problem(network, years, Budgets(150)), mip_gap=0.0, rounding=False)
    assert report.method == "branch and bound"
    assert report.optimal
    assert report.objective == pytest.approx(exact.objective, rel=1e-9, abs=1e-9)


def test_one_thread_solve_after_a_default_solve_in_the_same_process(tiny_network):
    """HiGHS keeps one thread pool per process: a sweep cell asking for one thread after
    an earlier solve (any thread count) must still solve, to the same optimum."""
    years = sample_years(tiny_network, seed=1, count=5)
    default = solve(build_problem(tiny_network, years, Budgets(60_000)), mip_gap=0.0)
    single = solve(build_problem(tiny_network, years, Budgets(60_000)), mip_gap=0.0, threads=1)
    again = solve(build_problem(tiny_network, years, Budgets(60_000)), mip_gap=0.0)
    assert default.optimal and single.optimal and again.optimal
    assert single.objective == pytest.approx(default.objective, rel=1e-9)
    assert again.objective == pytest.approx(default.objective, rel=1e-9)


@pytest.mark.parametrize("staffing", [False, True])
def test_branch_and_bound_from_the_rounded_plan_reaches_the_exact_optimum(tiny_network, staffing):
    """Branching from the rounded plan (whole values only, HiGHS completing them) still
    proves the optimum, and its objective and bound are those of the full model."""
    years = sample_years(tiny_network, seed=6, count=12)
    payroll = payroll_yuan(tiny_network)
    budgets = Budgets(45_000, staffing_yuan=payroll * 1.02 if staffing else None)
    saa = build_problem(tiny_network, years, budgets)
    loose = solve(build_problem(tiny_network, years, budgets), mip_gap=0.5)
    report = solve(saa, mip_gap=0.0)
    exact = solve(build_problem(tiny_network, years, budgets), mip_gap=0.0, rounding=False)
    assert loose.method == "LP rounding"
    assert report.method == "branch and bound" or report.objective == loose.objective
    assert report.optimal
    assert report.objective <= loose.objective + 1e-6
    assert report.objective == pytest.approx(exact.objective, rel=1e-9, abs=1e-6)
    assert report.best_bound <= exact.objective + 1e-6
    assert saa.year_costs().mean() == pytest.approx(report.in_sample_penalty, rel=1e-9)


@pytest.mark.parametrize("budget", [100, 250, 400])
def test_branching_from_a_rounded_plan_that_misses_improves_it_to_the_newsvendor_optimum(
    newsvendor, budget
):
    """Where the rounded LP plan is not optimal, branch and bound from it must still find
    the exact budget-constrained newsvendor optimum."""
    _, network, years = newsvendor
    rounded = solve(build_problem(network, years, Budgets(budget)), mip_gap=0.5)
    report = solve(build_problem(network, years, Budgets(budget)), mip_gap=0.0)
    demand = yearly_demand(network, years)
    prices = [price for _, price, _, _ in ITEMS]
    penalties = [price * weight for _, price, weight, _ in ITEMS]
    exact = newsvendor_by_dynamic_programme(demand, prices, penalties, budget)
    assert rounded.method == "LP rounding" and rounded.objective > exact + 1e-6
    assert report.method == "branch and bound" and report.optimal
    assert report.objective == pytest.approx(exact, rel=1e-9)
    assert report.best_bound <= exact + 1e-6


def test_branching_from_a_start_highs_misvalues_still_proves_a_true_bound():
    """HiGHS 1.16 values the rounded plan of the default county's 50 years at 5M yuan 144
    yuan below its own objective in its presolved space (the model without the county's
    planning rules); branching from it must still end with HiGHS's value equal to the
    plan's and a bound below the exact optimum."""
    network = build_network(scenarios.load())
    years = sample_years(network, network.scenario.seed, 50)
    budgets = Budgets(5_000_000)
    exact = solve(
        build_problem(network, years, budgets, planning_rules=False), mip_gap=0.0, rounding=False
    )
    problem = build_problem(network, years, budgets, planning_rules=False).problem
    engine = highs_solver.HighsWithOffset(msg=False, timeLimit=120, gapRel=0.0)
    engine.createAndConfigureSolver(problem)
    engine.buildSolverModel(problem)
    highs = problem.solverModel
    integers = np.array([v.index for v in problem.variables() if v.isInteger()], dtype=np.int32)
    lower, upper = (
        np.asarray(b)[integers] for b in (highs.getLp().col_lower_, highs.getLp().col_upper_)
    )
    highs.setOptionValue("solve_relaxation", True)
    highs.run()
    assert highs_solver.dive(highs, integers)
    start = highs.getSolution()
    highs.changeColsBounds(len(integers), integers, lower, upper)
    highs.setOptionValue("solve_relaxation", False)
    highs_solver.branch_and_bound_from(highs, integers, start, 120, time.perf_counter())
    assert not highs_solver.valued_below_itself(highs)
    assert highs_solver.own_objective(highs) == pytest.approx(exact.objective, rel=1e-9)
    assert highs.getInfo().mip_dual_bound <= exact.objective * (1 + 1e-9)


@pytest.mark.parametrize("enabled", [True, False])
def test_a_build_leaves_the_garbage_collector_as_it_found_it(tiny_network, enabled):
    years = sample_years(tiny_network, seed=1, count=3)
    before = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        build_problem(tiny_network, years, Budgets(10_000))
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if before else gc.disable)()


def test_the_status_never_says_optimal_beside_optimal_false():
    """PuLP calls a plan found before the time limit "Optimal"; the report says what was proved."""
    import pulp

    from optimize.model import _status

    problem = pulp.LpProblem("tiny", pulp.LpMinimize)
    x = pulp.LpVariable("x", lowBound=0, cat="Integer")
    problem += x
    problem += x >= 1.5
    problem.solve(pulp.HiGHS(msg=False))
    assert _status(problem, proved=True) == "Optimal"
    assert _status(problem, proved=False) == "Not proved optimal"  # stopped with a plan
    problem += x <= 1
    problem.solve(pulp.HiGHS(msg=False))
    assert _status(problem, proved=False) == "Infeasible"


def test_the_rounding_lp_started_from_the_credits_basis_ends_where_a_cold_start_does(
    tiny_network,
):
    """The credit's LP and the rounding's LP share rows and columns: starting the second
    from the first's basis reaches the same LP bound. The LP's optimum may be another
    vertex of equal value, so the rounded plans may differ, each within its proved gap."""
    years = sample_years(tiny_network, seed=6, count=12)
    warm = build_problem(tiny_network, years, Budgets(45_000))
    warm_report = solve(warm, mip_gap=0.5)
    assert warm.lp_basis is not None and warm.credit is not None and warm.credit.worth > 0
    cold = build_problem(tiny_network, years, Budgets(45_000))
    cold.credit = warm.credit  # given: no credit LP, so no basis to start from
    cold_report = solve(cold, mip_gap=0.5)
    assert cold.lp_basis is None
    assert warm_report.method == cold_report.method == "LP rounding"
    assert warm_report.best_bound == pytest.approx(cold_report.best_bound, rel=1e-9)
    for report in (warm_report, cold_report):
        assert report.best_bound - 1e-6 <= report.objective
        assert report.optimal and report.gap <= 0.5
