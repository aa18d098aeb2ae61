"""What the list rests on: judgements scaled exactly, re-solved plans checked against LP theory."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import scenarios
from optimize.demand import sample_years
from optimize.model import Budgets, build_problem, extract_plan, solve
from optimize.records import SENSITIVITY_COLUMNS, money_moved
from optimize.sensitivity import (
    FACTORS,
    SensitivityTask,
    judgements,
    scaled,
    sensitivity_rows,
    solve_scaled,
    tasks,
)
from scenarios.plan import Plan
from scenarios.schema import Capability
from sim import build_network
from tests import builders

BUDGET = 120_000.0
SEED, YEARS = 11, 20
SMALL = 8_000.0  # too little for every category: they compete


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> scenarios.Scenario:
    return scenarios.load(builders.write_scenario(tmp_path_factory.mktemp("tiny")))


@pytest.fixture(scope="module")
def bare(tmp_path_factory) -> scenarios.Scenario:
    """The tiny county with one boat and nothing else in stock: every category competes."""
    stock = [{"depot_id": "D_COUNTY", "item_id": "boat", "quantity": 1}]
    folder = tmp_path_factory.mktemp("bare")
    return scenarios.load(builders.write_scenario(folder, tables={"stock": stock}))


def test_each_judgement_scales_what_it_names_and_nothing_else(tiny):
    doubled = scaled(tiny, "criticality:flood", 2.0)
    for before, after in zip(tiny.items, doubled.items, strict=True):
        factor = 2.0 if before.category == "flood" else 1.0
        assert after.criticality_weight == before.criticality_weight * factor
    assert scaled(tiny, "late_fraction", 2.0).penalties.late_fraction == 1.0  # 0.5 x 2, at most 1
    assert scaled(tiny, "late_fraction", 0.5).penalties.late_fraction == 0.25
    halved = scaled(tiny, "demand", 0.5)
    assert [r.per_event for r in halved.demand] == [r.per_event / 2 for r in tiny.demand]
    assert [r.per_person for r in halved.demand] == [r.per_person / 2 for r in tiny.demand]
    rates = [h.annual_rate for h in scaled(tiny, "event_rate", 2.0).hazards]
    assert rates == [2 * h.annual_rate for h in tiny.hazards]
    for parameter in judgements(tiny):
        assert scaled(tiny, parameter, 1.0) == tiny
    kit = (Capability(item_id="boat", hazard="flood", saves_person_hours=40, max_share=0.3),)
    kitted = tiny.model_copy(update={"capabilities": kit})
    assert judgements(kitted)[-1] == "kit_savings"
    assert [c.saves_person_hours for c in scaled(kitted, "kit_savings", 0.5).capabilities] == [20]
    assert scaled(kitted, "kit_savings", 0.5).capabilities[0].max_share == 0.3
    with pytest.raises(ValueError, match="unknown judgement"):
        scaled(tiny, "weather", 2.0)


def test_judgements_cover_every_category_and_both_factors(tiny):
    assert judgements(tiny) == [
        "criticality:flood",
        "criticality:forest_fire",
        "criticality:living",
        "late_fraction",
        "demand",
        "event_rate",
    ]
    made = tasks(tiny, Budgets(BUDGET), SEED, YEARS, 0.0, 60.0)
    assert [(t.parameter, t.factor) for t in made[:2]] == [
        ("criticality:flood", f) for f in FACTORS
    ]
    assert len(made) == 2 * len(judgements(tiny))


def _shortfall(scenario, plan: Plan, category: str) -> float:
    """The plan's expected shortfall of one category's items in the model, at the given weights."""
    network = build_network(scenario)
    years = sample_years(network, SEED, YEARS)
    chosen = [k for k, item in enumerate(scenario.items) if item.category == category]
    saa = build_problem(
        network, years, Budgets(SMALL), items=chosen, rescue=False, planning_rules=False
    )
    saa.fix_plan(plan, network)
    report = solve(saa, "highs", mip_gap=0.0)
    assert report.found_plan
    return report.objective


def test_a_heavier_weight_never_raises_its_own_shortfall_exchange_argument(bare):
    """Theory: minimising f + t g exactly, the optimal g is non-increasing in t.

    Scaling the living items' criticality by t multiplies their shortfall term g
    (the penalty is linear in the weight), so halving it can only raise the
    living shortfall at the optimum, and doubling it only lower it.
    """
    network = build_network(bare)
    saa = build_problem(network, sample_years(network, SEED, YEARS), Budgets(SMALL))
    assert solve(saa, "highs", mip_gap=0.0).optimal
    shortfall = {1.0: _shortfall(bare, extract_plan(saa, network), "living")}
    for factor in FACTORS:
        task = SensitivityTask(
            bare, "criticality:living", factor, Budgets(SMALL), SEED, YEARS, 0.0, 60.0
        )
        plan, how = solve_scaled(task)
        assert how == "optimal" and plan is not None
        shortfall[factor] = _shortfall(bare, plan, "living")
    assert shortfall[0.5] >= shortfall[1.0] - 1e-6
    assert shortfall[1.0] >= shortfall[2.0] - 1e-6
    assert shortfall[0.5] > shortfall[2.0] + 1.0  # and here the weight does move the plan


def test_a_factor_of_one_gives_the_plan_back(tiny):
    network = build_network(tiny)
    saa = build_problem(network, sample_years(network, SEED, YEARS), Budgets(BUDGET))
    solve(saa, "highs", mip_gap=0.0)
    base = extract_plan(saa, network)
    task = SensitivityTask(tiny, "demand", 1.0, Budgets(BUDGET), SEED, YEARS, 0.0, 60.0)
    plan, _ = solve_scaled(task)
    rows = sensitivity_rows(tiny, base, [(task, plan, "optimal")])
    assert (rows["money_yuan"] == rows["base_money_yuan"]).all()
    assert rows["shared_by_item"].eq(1.0).all()
    assert money_moved(rows)["moved_yuan"].tolist() == [0.0]


def test_money_moved_hand_computed():
    rows = pd.DataFrame(
        [
            ("a", 0.5, "flood", 100.0, 300.0, 0.8, "optimal"),
            ("a", 0.5, "living", 500.0, 300.0, 0.8, "optimal"),
            ("a", 2.0, "flood", 350.0, 300.0, 0.9, "optimal"),
            ("a", 2.0, "living", 250.0, 300.0, 0.9, "optimal"),
            ("b", 0.5, "flood", math.nan, 300.0, math.nan, "refused: too little money"),
            ("b", 0.5, "living", math.nan, 300.0, math.nan, "refused: too little money"),
            ("b", 2.0, "flood", 0.0, 300.0, 0.5, "optimal"),
            ("b", 2.0, "living", 600.0, 300.0, 0.5, "optimal"),
        ],
        columns=list(SENSITIVITY_COLUMNS),
    )
    moved = money_moved(rows)
    # b moves 300 at x2 (all flood money to living), more than a's 200 at x0.5: b first
    assert moved["parameter"].tolist() == ["b", "b", "a", "a"]
    assert moved["moved_yuan"].tolist()[1:] == [300.0, 200.0, 50.0]
    assert math.isnan(moved["moved_yuan"].iloc[0])  # refused: nothing to compare
    assert moved.loc[2, ["gains_most", "loses_most"]].tolist() == ["living", "flood"]
    assert moved.loc[3, ["gains_most", "loses_most"]].tolist() == ["flood", "living"]


def test_money_moved_names_no_category_when_nothing_moves():
    rows = pd.DataFrame(
        [("a", 0.5, c, 100.0, 100.0, 1.0, "optimal") for c in ("flood", "living")],
        columns=list(SENSITIVITY_COLUMNS),
    )
    moved = money_moved(rows)
    assert moved["moved_yuan"].tolist() == [0.0]
    assert moved[["gains_most", "loses_most"]].isna().all(axis=None)
