"""Demand scenarios, SAA bounds and the greedy baseline."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import scenarios
from optimize.baselines import status_quo
from optimize.demand import (
    IN_SAMPLE_OFFSET,
    DemandEvent,
    overlapping_groups,
    recorded_years,
    sample_years,
)
from optimize.greedy import greedy
from optimize.model import Budgets, SolveFailedError, build_problem, extract_plan, solve
from optimize.saa import plan_cost_by_year, saa_bounds
from planner.pipeline import judge
from sim import build_network
from sim.runner import events_for
from tests import builders
from tests.test_optimize_model import newsvendor_scenario


def test_demand_scenarios_are_the_simulations_own_years(tiny_network):
    years = sample_years(tiny_network, seed=4, count=3)
    for k, events in enumerate(years):
        simulated = events_for(tiny_network, 4, IN_SAMPLE_OFFSET + k)
        assert [e.event for e in events] == simulated
        for event in events:
            assert (event.quantity > 0).all()
            assert (event.deadline_h >= event.event.impact_h).all()
            assert event.end_h == pytest.approx(event.event.impact_h + event.event.duration_h)


def _interval(years_event: DemandEvent, alarm: float, end: float) -> DemandEvent:
    return replace(years_event, alarm_h=alarm, end_h=end)


def test_overlapping_groups_are_the_maximal_sets_under_way_together(tiny_network):
    template = next(e for events in sample_years(tiny_network, 4, 5) for e in events)
    # [0, 10), [5, 15), [12, 20), [30, 31): {0, 1} and {1, 2} overlap, 3 stands alone.
    events = [
        _interval(template, 0, 10),
        _interval(template, 5, 15),
        _interval(template, 12, 20),
        _interval(template, 30, 31),
    ]
    groups = sorted(overlapping_groups(events))
    assert groups == [[0, 1], [1, 2], [3]]


@pytest.fixture(scope="module")
def tiny_plan(tiny_network):
    years = sample_years(tiny_network, seed=5, count=15)
    saa = build_problem(tiny_network, years, Budgets(80_000))
    solve(saa)
    return years, saa, extract_plan(saa, tiny_network)


def test_year_costs_average_to_the_objective_before_the_credit(tiny_plan):
    _, saa, _ = tiny_plan
    credit = saa.credit.worth * saa.carried_expression().value()
    assert saa.credit.worth > 0  # the tiny county's money binds: a yuan left is worth something
    assert saa.year_costs().mean() == pytest.approx(
        saa.problem.objective.value() + credit, rel=1e-9
    )


def test_fixing_the_plan_reproduces_its_in_sample_value(tiny_plan, tiny_network):
    years, saa, plan = tiny_plan
    fixed = build_problem(tiny_network, years, Budgets(80_000))
    fixed.credit = saa.credit  # the same objective: what the plan leaves credited alike
    fixed.fix_plan(plan, tiny_network)
    assert solve(fixed, mip_gap=0.0).objective == pytest.approx(
        saa.problem.objective.value(), rel=1e-7, abs=1e-6
    )


def test_saa_bounds_are_ordered_and_the_gap_is_non_negative(tiny_plan, tiny_network):
    _, _, plan = tiny_plan
    bounds = saa_bounds(
        tiny_network, plan, Budgets(80_000), seed=5, replications=3, years=15, evaluation_years=60
    )
    assert bounds.gap >= 0
    assert bounds.gap_high >= bounds.gap
    assert bounds.lower_low <= bounds.lower_mean
    assert bounds.upper_high >= bounds.upper_mean
    assert bounds.relative_gap == pytest.approx(bounds.gap / bounds.upper_mean)


def test_a_plan_that_covers_everything_has_no_gap(tiny_network):
    budgets = Budgets(10**8)
    years = sample_years(tiny_network, seed=6, count=10)
    saa = build_problem(tiny_network, years, budgets)
    solve(saa, mip_gap=0.0)
    plan = extract_plan(saa, tiny_network)
    # With money to spare every sample's optimum and the plan's cost are the floor
    # left by rescue work alone, so the paired gaps vanish.
    bounds = saa_bounds(
        tiny_network, plan, budgets, seed=6, replications=2, years=10, evaluation_years=20
    )
    assert bounds.gap == pytest.approx(0.0, abs=1e-6)


def test_plan_cost_by_year_is_one_value_per_fresh_year(tiny_plan, tiny_network):
    _, _, plan = tiny_plan
    costs = plan_cost_by_year(tiny_network, plan, Budgets(80_000), seed=5, years=12)
    assert costs.shape == (12,)
    assert (costs >= -1e-6).all()


def test_greedy_spends_within_budget_in_whole_units_and_beats_the_status_quo(
    tiny_network, tiny_scenario
):
    plan = greedy(tiny_network, 60_000, seed=3, steps=3, candidates=4, reps=20)
    assert plan.plan_id == "greedy"
    assert 0 < plan.purchase_cost_yuan(tiny_scenario) <= 60_000
    assert all(p.quantity > 0 and isinstance(p.quantity, int) for p in plan.purchases)
    again = greedy(tiny_network, 60_000, seed=3, steps=3, candidates=4, reps=20)
    assert again == plan
    evaluation = judge(tiny_scenario, [status_quo(), plan], reps=40, seed=11).evaluation
    means = evaluation.set_index("plan")["weighted_unmet_mean"]
    assert means["greedy"] < means["status_quo"]
    assert np.isfinite(means).all()


@pytest.fixture(scope="module")
def large_newsvendor(tmp_path_factory):
    """The newsvendor county with 400 sampled years: too large to solve in no time at all."""
    network = build_network(newsvendor_scenario(tmp_path_factory.mktemp("large_newsvendor")))
    return network, sample_years(network, seed=3, count=400)


def test_a_solve_stopped_before_any_solution_reports_no_objective_bound_or_gap(large_newsvendor):
    network, years = large_newsvendor
    report = solve(build_problem(network, years, Budgets(305)), time_limit_s=0.0, rounding=False)
    assert report.solution == "No Solution Found"
    assert not report.found_plan and not report.optimal
    assert np.isnan(report.objective) and np.isnan(report.best_bound) and np.isnan(report.gap)


def test_saa_bounds_refuse_a_sample_whose_solve_proved_no_bound(large_newsvendor):
    """Before the fix a solve stopped without a solution gave its constant as a 'lower bound'."""
    network, _ = large_newsvendor
    with pytest.raises(SolveFailedError, match="proved no bound"):
        saa_bounds(
            network,
            status_quo(),
            Budgets(305),
            seed=3,
            replications=2,
            years=400,
            evaluation_years=20,
            time_limit_s=0.0,
            rounding=False,
        )


# ---------------------------------------------------------------- overlap groups by a sweep


def quadratic_overlapping_groups(events) -> list[list[int]]:
    """The pairwise search the sweep replaced, kept as the reference it must agree with."""
    starts = sorted(range(len(events)), key=lambda k: events[k].alarm_h)
    groups: list[set[int]] = []
    for k in starts:
        moment = events[k].alarm_h
        active = {j for j in starts if events[j].alarm_h <= moment < max(events[j].end_h, moment)}
        active.add(k)
        if not any(active <= group for group in groups):
            groups = [group for group in groups if not group <= active] + [active]
    return [sorted(group) for group in groups]


def test_sweep_overlap_groups_match_the_pairwise_search_in_content_and_order(tiny_network):
    template = next(e for events in sample_years(tiny_network, 4, 5) for e in events)
    rng = np.random.default_rng(2024)
    for _ in range(3000):
        count = int(rng.integers(0, 16))
        # Whole hours on a short range make ties of starts, of ends and of a start with an
        # end; lengths from -2 to 4 include events over at their own alarm (zero or less).
        alarms = rng.integers(0, 10, count).astype(float)
        lengths = rng.integers(-2, 5, count).astype(float)
        events = [
            _interval(template, float(a), float(a + b))
            for a, b in zip(alarms, lengths, strict=True)
        ]
        assert overlapping_groups(events) == quadratic_overlapping_groups(events), events


def test_sweep_overlap_groups_match_on_continuous_times(tiny_network):
    template = next(e for events in sample_years(tiny_network, 4, 5) for e in events)
    rng = np.random.default_rng(7)
    for _ in range(200):
        alarms = rng.random(60) * 500
        events = [
            _interval(template, float(a), float(a + b))
            for a, b in zip(alarms, rng.exponential(30, 60), strict=True)
        ]
        assert overlapping_groups(events) == quadratic_overlapping_groups(events)


def test_overlap_groups_of_an_event_over_at_its_alarm(tiny_network):
    template = next(e for events in sample_years(tiny_network, 4, 5) for e in events)
    # [0, 10) is under way when 1 and 2 raise their alarm at 5 and are over at once.
    events = [_interval(template, 0, 10), _interval(template, 5, 5), _interval(template, 5, 4)]
    assert overlapping_groups(events) == [[0, 1], [0, 2]]
    assert overlapping_groups([]) == []


# ---------------------------------------------------------------- recorded years with probabilities


@pytest.fixture(scope="module")
def weighted_set(tmp_path_factory):
    """Three recorded years at 0.2, 0.0 and 0.8 (2019 quiet), on the tiny county."""
    folder = tmp_path_factory.mktemp("weighted_set")
    (folder / "replay.csv").write_text(
        "year,time_h,township_id,hazard,severity_people,probability\n"
        "2018,4500,A,flood,900,0.2\n"
        "2018,4510,B,landslide,60,0.2\n"
        "2019,,,,,0.0\n"
        "2020,4600,A,flood,2500,0.8\n",
        encoding="utf-8",
    )
    path = builders.write_scenario(folder, extra_tables={"replay": "replay.csv"})
    return build_network(scenarios.load(path))


def test_recorded_years_are_each_year_once_with_its_probability(weighted_set):
    years, weights = recorded_years(weighted_set, seed=3)
    assert weights == [0.2, 0.8]  # the year of probability 0 is left out
    assert [len(events) for events in years] == [2, 1]
    assert [e.event.severity_people for e in years[1]] == [2500]
    for number, events in enumerate(years):
        assert {event.year for event in events} == {number}
    first = IN_SAMPLE_OFFSET + (2 - IN_SAMPLE_OFFSET) % 3  # the first at or after it to replay 2020
    assert [e.event for e in years[1]] == events_for(weighted_set, 3, first)


def test_recorded_years_need_probabilities(tiny_network):
    with pytest.raises(ValueError, match="no probabilities"):
        recorded_years(tiny_network, seed=3)


def test_weighted_year_costs_weigh_up_to_the_objective(weighted_set):
    years, weights = recorded_years(weighted_set, seed=3)
    saa = build_problem(weighted_set, years, Budgets(30_000), year_weights=weights)
    report = solve(saa, mip_gap=0.0)
    costs = saa.year_costs()
    assert weights @ costs == pytest.approx(report.objective, rel=1e-9)
    assert costs[1] > costs[0]  # the big flood of 2020 is the costly year
