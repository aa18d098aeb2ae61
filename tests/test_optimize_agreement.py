"""The optimiser's model of a plan against the simulation, and how a run reports it."""

from __future__ import annotations

import pandas as pd
import pytest

import scenarios
from optimize.agreement import ModelCheck, check_model, model_values
from optimize.baselines import status_quo
from optimize.demand import sample_years
from optimize.improve import improve
from optimize.marginal import marginal_values
from optimize.model import (
    UNLIMITED_YUAN,
    Budgets,
    SolveReport,
    build_problem,
    extract_plan,
    solve,
)
from optimize.stability import Stability
from planner.optimizing import improvement_line, solve_lines
from scenarios.plan import Plan, Purchase
from sim import build_network, simulate
from tests import builders


def test_check_model_by_hand():
    index = pd.RangeIndex(5, 9, name="replication")
    model = pd.Series([1.0, 2.0, 3.0, 6.0], index=index)
    simulated = pd.Series([2.0, 4.0, 6.0, 12.0], index=index)
    check = check_model(model, simulated)
    assert check.years == 4 and check.first_replication == 5
    assert check.model_mean == pytest.approx(3.0)
    assert check.simulated_mean == pytest.approx(6.0)
    assert check.ratio == pytest.approx(2.0)
    assert check.ratio_ci == pytest.approx((2.0, 2.0))  # a constant ratio has no spread
    assert check.correlation == pytest.approx(1.0)


def test_check_model_refuses_years_the_simulation_did_not_run():
    model = pd.Series([1.0, 2.0], index=pd.RangeIndex(0, 2, name="replication"))
    with pytest.raises(ValueError, match="do not cover"):
        check_model(model, pd.Series([1.0], index=pd.RangeIndex(0, 1, name="replication")))


def test_model_rescue_work_equals_the_simulation_year_by_year(tiny_scenario):
    """Teams come from the simulation of each year, so rescue work is valued exactly."""
    network = build_network(tiny_scenario)
    years = sample_years(network, 5, 12, first=0)
    saa = build_problem(network, years, Budgets(UNLIMITED_YUAN), items=set(), rescue=True)
    saa.fix_plan(status_quo(), network)
    assert solve(saa, "highs", mip_gap=0.0).found_plan
    events = simulate(tiny_scenario, status_quo(), reps=12, seed=5).events
    rescue = events.groupby("replication")["rescue_shortfall_yuan"].sum().reindex(range(12))
    assert rescue.sum() > 10_000
    assert saa.year_costs() == pytest.approx(rescue.fillna(0.0).to_numpy(), rel=1e-9, abs=1e-6)


def test_model_values_are_the_fixed_plan_model_on_the_judging_years(tiny_scenario):
    """model_values is the SAA second stage of those replications with the plan held fixed."""
    network = build_network(tiny_scenario)
    model = model_values(network, status_quo(), 3, 6, seed=5)
    assert model.index.tolist() == list(range(3, 9))
    saa = build_problem(network, sample_years(network, 5, 6, first=3), Budgets(UNLIMITED_YUAN))
    saa.fix_plan(status_quo(), network)
    solve(saa, "highs", mip_gap=0.0)
    assert model.to_numpy() == pytest.approx(saa.year_costs(), abs=1e-6)


def _report() -> SolveReport:
    return SolveReport(
        solver="highs", status="Optimal", solution="Optimal Solution Found", optimal=True,
        objective=100.0, best_bound=100.0, gap=0.0, build_s=0.1, solve_s=0.2, variables=10,
        constraints=5, integers=3,
    )  # fmt: skip


def _check() -> ModelCheck:
    return ModelCheck(20, 0, 100.0, (80.0, 120.0), 105.0, (85.0, 125.0), 1.05, (1.0, 1.1), 0.99)


@pytest.mark.parametrize(
    ("share", "warned"), [(0.5, True), (0.74, True), (0.75, False), (0.9, False)]
)
def test_a_run_warns_in_one_line_when_its_halves_disagree(share, warned):
    stability = Stability(50, 1, (share,), (share / 2,))
    lines = solve_lines(_report(), 100, _check(), stability)
    warnings = [line for line in lines if line.startswith("warning:")]
    assert len(warnings) == (1 if warned else 0)
    assert any("for the sampled model of 100 years" in line for line in lines)


def test_a_weighted_replay_run_has_no_stability_line():
    lines = solve_lines(_report(), 3, _check(), None)
    assert not any("stability" in line for line in lines)


# --- the simulation-judged improvement step ---------------------------------------------------


def test_improvement_step_moves_money_off_a_purchase_that_saves_nothing(tmp_path):
    """Radios nobody asks for: the step moves their money to what the simulation says helps."""
    radio = {**builders.ITEMS[0], "item_id": "radio", "unit_price_yuan": 5000, "kind": "equipment"}
    tables = {"items": [*builders.ITEMS, radio]}
    scenario = scenarios.load(builders.write_scenario(tmp_path / "radio", tables=tables))
    network = build_network(scenario)
    plan = Plan("optimised", (Purchase("radio", "D_A", 40), Purchase("boat", "D_B", 1)), ())
    years = sample_years(network, 3, 20)
    marginal = marginal_values(network, years, plan)
    improved, moves = improve(scenario, network, plan, marginal, seed=3, reps=200, tries=2)
    assert moves and (moves[0].from_item, moves[0].from_depot) == ("radio", "D_A")
    assert moves[0].kept and moves[0].change_mean < 0 and moves[0].change_ci[1] < 0
    assert improved.plan_id == "improved"
    assert improved.purchase_cost_yuan(scenario) <= plan.purchase_cost_yuan(scenario)
    radios = sum(p.quantity for p in improved.purchases if p.item_id == "radio")
    assert radios == 40 - moves[0].units_removed


def test_improvement_step_keeps_nothing_the_simulation_cannot_confirm(tiny_scenario):
    network = build_network(tiny_scenario)
    years = sample_years(network, 3, 20)
    saa = build_problem(network, years, Budgets(100_000))
    solve(saa, "highs", mip_gap=0.0)
    plan = extract_plan(saa, network)
    marginal = marginal_values(network, years, plan)
    improved, moves = improve(tiny_scenario, network, plan, marginal, seed=3, reps=30, tries=3)
    for move in moves:
        assert move.kept == (move.change_ci[1] < 0)
    if not any(move.kept for move in moves):
        assert improved == plan
    assert "improvement step" in improvement_line(moves, None, 30)


@pytest.mark.parametrize(
    ("fresh", "plain", "warned"),
    [(93.0, True, False), (125.0, True, False), (126.0, True, True), (230.0, False, False)],
)
def test_a_run_warns_when_its_sample_flatters_the_plan_against_fresh_years(fresh, plain, warned):
    """The default county: 0.93 at 200 sampled years, 2.30 at 30 (its list then loses to
    the 200-year list by 63k a year in the simulation)."""
    check = ModelCheck(20, 0, fresh, (80.0, 300.0), fresh, (80.0, 300.0), 1.0, (0.9, 1.1), 0.9)
    lines = solve_lines(_report(), 30, check, None, expected_shortfall=plain)
    flagged = [line for line in lines if "sample's accidents" in line]
    assert bool(flagged) == warned
    if warned:
        assert flagged[0].startswith("warning:") and "1.3 times" in flagged[0]
