"""The bad-years objective (CVaR) against brute force, and the measure the simulation uses."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from optimize.demand import sample_years
from optimize.model import Budgets, build_problem, extract_plan, solve
from planner.optimizing import beats_line
from scenarios.schema import Objective
from sim import build_network
from sim.metrics import worst_years_ci, worst_years_difference_ci, worst_years_mean
from tests.test_optimize_model import newsvendor_scenario, newsvendor_weights, yearly_demand


def test_worst_years_mean_by_hand():
    years = np.arange(1.0, 11.0)
    assert worst_years_mean(years, 0.1) == pytest.approx(10.0)
    # The worst 2.5 years: 10, 9 and half of 8.
    assert worst_years_mean(years, 0.25) == pytest.approx((10 + 9 + 0.5 * 8) / 2.5)
    assert worst_years_mean(years, 1.0) == pytest.approx(years.mean())
    # Weighted: a year of weight 0.5 at 4 and 0.5 spread over 1, 2: the worst half is 4.
    assert worst_years_mean([1.0, 2.0, 4.0], 0.5, [0.25, 0.25, 0.5]) == pytest.approx(4.0)


def test_worst_years_interval_is_reproducible_and_brackets_the_estimate():
    years = np.random.default_rng(3).lognormal(size=300)
    mean, low, high = worst_years_ci(years, 0.1)
    assert low < mean < high
    assert worst_years_ci(years, 0.1) == (mean, low, high)


@pytest.fixture(scope="module")
def newsvendor(tmp_path_factory):
    scenario = newsvendor_scenario(tmp_path_factory.mktemp("newsvendor"))
    network = build_network(scenario)
    return scenario, sample_years(network, seed=3, count=40)


def _brute_force(demand, prices, penalties, budget, choice: Objective, weights=None) -> float:
    """The least objective over every whole allocation within the budget, by enumeration."""
    best = np.inf
    ranges = [range(budget // int(p) + 1) for p in prices]
    w = None if weights is None else np.asarray(weights, dtype=float)
    for units in itertools.product(*ranges):
        if np.dot(units, prices) > budget:
            continue
        yearly = (np.maximum(demand - np.array(units), 0) * penalties).sum(axis=1)
        expected = np.average(yearly, weights=w)
        worst = worst_years_mean(yearly, choice.worst_share, w)
        value = (1 - choice.worst_weight) * expected + choice.worst_weight * worst
        best = min(best, value)
    return float(best)


@pytest.mark.parametrize(
    ("weight", "share", "budget"), [(1.0, 0.1, 60), (0.5, 0.2, 60), (1.0, 0.25, 45)]
)
def test_worst_years_saa_matches_brute_force_newsvendor(newsvendor, weight, share, budget):
    scenario, years = newsvendor
    choice = Objective(worst_weight=weight, worst_share=share, value_carried=False)
    network = build_network(scenario.model_copy(update={"objective": choice}))
    saa = build_problem(network, years, Budgets(budget))
    report = solve(saa, mip_gap=0.0)
    assert report.optimal
    reference = _brute_force(
        yearly_demand(network, years),
        network.item_price_yuan,
        network.item_shortfall_yuan,
        budget,
        choice,
    )
    assert report.objective == pytest.approx(reference, rel=1e-7, abs=1e-6)
    # The model's value of its own plan is the measure the simulation reports.
    costs = saa.year_costs()
    mixed = (1 - weight) * costs.mean() + weight * worst_years_mean(costs, share)
    assert report.objective == pytest.approx(mixed, rel=1e-7, abs=1e-6)
    assert extract_plan(saa, network).purchase_cost_yuan(network.scenario) <= budget


def test_weighted_years_worst_share_matches_brute_force(newsvendor):
    scenario, years = newsvendor
    weights = newsvendor_weights(len(years), 5)
    choice = Objective(worst_weight=1.0, worst_share=0.15, value_carried=False)
    network = build_network(scenario.model_copy(update={"objective": choice}))
    saa = build_problem(network, years, Budgets(60), year_weights=weights)
    report = solve(saa, mip_gap=0.0)
    reference = _brute_force(
        yearly_demand(network, years),
        network.item_price_yuan,
        network.item_shortfall_yuan,
        60,
        choice,
        weights,
    )
    assert report.objective == pytest.approx(reference, rel=1e-7, abs=1e-6)


def test_a_bad_years_plan_trades_the_mean_for_the_worst_years(newsvendor):
    """In sample: no better on average than the expected-year plan, no worse in bad years."""
    scenario, years = newsvendor
    values = {}
    for weight in (0.0, 1.0):
        choice = Objective(worst_weight=weight, worst_share=0.1, value_carried=False)
        network = build_network(scenario.model_copy(update={"objective": choice}))
        saa = build_problem(network, years, Budgets(90))
        solve(saa, mip_gap=0.0)
        costs = saa.year_costs()
        values[weight] = (costs.mean(), worst_years_mean(costs, 0.1))
    assert values[1.0][0] >= values[0.0][0] - 1e-6
    assert values[1.0][1] <= values[0.0][1] + 1e-6


def test_paired_worst_years_difference_by_hand():
    years = pd.Series(np.random.default_rng(5).lognormal(size=200))
    same = worst_years_difference_ci(years, years, 0.1)
    assert same == (0.0, 0.0, 0.0)
    # A plan that halves every year halves the worst years' mean too: the difference is
    # minus half of it, and the paired interval excludes zero.
    estimate, low, high = worst_years_difference_ci(years / 2, years, 0.1)
    assert estimate == pytest.approx(-worst_years_mean(years, 0.1) / 2)
    assert low < estimate < high < 0


def test_the_line_against_a_baseline_says_better_only_when_the_interval_says_so(tmp_path):
    scenario = newsvendor_scenario(tmp_path)
    years = pd.Series(np.random.default_rng(2).lognormal(size=100), index=range(100))
    assert "better with 95% confidence on the expected year" in beats_line(
        years * 0.5, years, scenario, "top_up"
    )
    noise = pd.Series(np.random.default_rng(3).normal(size=100), index=range(100))
    assert "NOT better" in beats_line(years + noise * 0.01, years, scenario, "top_up")
